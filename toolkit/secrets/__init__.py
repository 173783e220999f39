"""Find and mask API keys, signatures and other secrets in names and text.

One definition serves the recorder, the loader (messages, reject excerpts,
warnings), the store and :func:`toolkit.scrub`. A field is secret when its
name contains ``key``, ``sign``, ``secret``, ``token``, ``password``
(``passwd``), ``passphrase``, ``authorization`` or ``cookie``
(case-insensitive), which covers the exchange's ``ACCESS-KEY``,
``ACCESS-SIGN`` and ``ACCESS-PASSPHRASE`` headers and query parameters such
as ``apiKey`` or ``signature``. In text, masked are:

- the value of such a name written ``"name": "value"`` (JSON, Python reprs,
  JSON held in a string with escaped quotes, names spelled with ``\\u``
  escapes), also when the value is a number or a list of values;
- ``name=value`` and ``name: value`` (query strings, URL fragments, form
  bodies, ``api_key = X`` logs, header lines, YAML block lists; ``Bearer``/``Basic``
  tokens whole), and a credential-like word (holding a digit, or 20 characters
  long) right after the name in prose: ``Invalid ACCESS-KEY ak-...``;
- ``{"name": "ACCESS-KEY", "value": ...}`` objects and ``["ACCESS-KEY", ...]``
  pairs, and the value of every
  cookie (``Cookie:`` and ``Set-Cookie:`` lines whole, every item of a HAR
  ``cookies`` list);
- the password of URL userinfo (``https://bot:***@host/``);
- multipart form fields with a secret name;
- and every other occurrence, in the same text, of a value masked there.

A key's fingerprint (:func:`key_id`, ``k-`` and eight hex digits) is one-way, so
it is never masked, under whatever name it stands (a recording's ``key_id``).
"""

from ._data import redact_data
from ._key import is_key_id, key_id
from ._text import (MASK, MIN_ECHO, Echoes, is_secret_name, mask_values, mentions_secret, redact, redact_count,
                    redact_found, redact_mapping, redact_url, secret_values)

__all__ = ["MASK", "MIN_ECHO", "Echoes", "is_key_id", "is_secret_name", "key_id", "mask_values", "mentions_secret",
           "redact", "redact_count", "redact_data", "redact_found", "redact_mapping", "redact_url", "secret_values"]
