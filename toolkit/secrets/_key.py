"""A key's one-way fingerprint (:func:`key_id`): tells keys apart, cannot be turned back into the key, never masked."""

from __future__ import annotations

import functools
import hashlib
import re

__all__ = ["is_key_id", "key_id"]

_KEY_ID = re.compile(r"k-[0-9a-f]{8}")
# what recorders and tools write in place of a key: only symbols ("***", "<>"), or a word such as REDACTED
_PLACEHOLDER = re.compile(r"[\W_]*+(?:(?:redacted|filtered|masked|hidden|removed|scrubbed|secret|dummy|none|null|x+)"
                          r"[\W_]*+)?", re.I)


@functools.lru_cache(maxsize=4096)  # a recording holds a few keys on many calls: each is hashed once
def key_id(key) -> str | None:
    """A one-way fingerprint of an API key: ``k-`` and 8 hex digits of its SHA-256, as the recorder writes it and
    the readers make it of an ``ACCESS-KEY`` header; None when there is no key (not text, blank, or masked).

    It tells keys apart (the limits apply per key) and cannot be turned back into the key.

    Examples
    --------
    >>> key_id("ak-0007-5f1e9c2a7b"), key_id("***"), key_id("<REDACTED>"), key_id(None)
    ('k-8fa6e6a3', None, None, None)
    """
    if type(key) is not str or not key.strip() or _PLACEHOLDER.fullmatch(key.strip()):
        return None
    return "k-" + hashlib.sha256(key.strip().encode("utf-8", "surrogatepass")).hexdigest()[:8]


def is_key_id(value) -> bool:
    """Whether ``value`` is a key's fingerprint, as :func:`key_id` makes it (``k-8fa6e6a3``): never masked."""
    return type(value) is str and _KEY_ID.fullmatch(value) is not None
