"""Find and mask API keys, signatures and other secrets in names and text.

One definition serves the recorder, the loader (messages, reject excerpts,
warnings) and :func:`toolkit.scrub`: a field is secret when its name contains
``key``, ``sign``, ``secret``, ``token``, ``password`` or ``authorization``
(case-insensitive), which covers the exchange's ``ACCESS-KEY`` and
``ACCESS-SIGN`` headers and query parameters such as ``apiKey`` or
``signature``.
"""

from __future__ import annotations

import functools
import re

MASK = "***"

_WORDS = r"(?:key|sign|secret|token|passw(?:or)?d|authorization|cookie)"
_SECRET_NAME = re.compile(_WORDS, re.I)
_SECRET_TEXT = re.compile(rf"{_WORDS}|\\u00", re.I)
_SECRET_BYTES = re.compile(rf"{_WORDS}|\\u00".encode(), re.I)
_NAME = rf"[A-Za-z0-9_.\-]*{_WORDS}[A-Za-z0-9_.\-]*"

# "name": "value" and 'name': 'value' (JSON, Python reprs, YAML flow style)
_QUOTED = re.compile(
    rf"""(?P<head>(?P<q>["']){_NAME}(?P=q)\s*[:=]\s*(?P<vq>["']))"""
    rf"""(?P<value>(?:\\.|(?!(?P=vq))[^\\])*)(?P=vq)""",
    re.I,
)
# HAR-style header objects: {"name": "ACCESS-KEY", "value": "..."}
_NAME_VALUE = re.compile(
    rf"""(?P<head>["']name["']\s*:\s*["']{_NAME}["']\s*,\s*["']value["']\s*:\s*(?P<vq>["']))"""
    rf"""(?P<value>(?:\\.|(?!(?P=vq))[^\\])*)(?P=vq)""",
    re.I,
)
# name=value (query strings, form bodies, key=value logs) and "Name: value" header lines
_BARE = re.compile(
    rf"""(?P<head>(?<![A-Za-z0-9_.\-]){_NAME}(?:=|:[ \t]*)(?:(?:Bearer|Basic|Token)[ \t]+)?)"""
    rf"""(?P<value>[^\s&#"',;}}\])]+)""",
    re.I,
)


def is_secret_name(name: object) -> bool:
    """Tell whether a header, parameter or field name holds a secret.

    Examples
    --------
    >>> is_secret_name("ACCESS-SIGN"), is_secret_name("ACCESS-TIMESTAMP")
    (True, False)
    """
    return isinstance(name, str) and _secret_name(name)


@functools.lru_cache(maxsize=8192)  # header names and body keys repeat on every call
def _secret_name(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


def _mask(m: re.Match) -> str:
    if m.group("value") == MASK:
        return m.group(0)
    return m.group("head") + MASK + m.group(0)[m.end("value") - m.start() :]


def mentions_secret(text) -> bool:
    """Tell whether text (str or bytes) holds a word that secret names contain.

    A cheap first test: text without one of these words has nothing to mask.
    JSON and YAML may spell letters as ``\\u`` escapes, so those count too.

    Examples
    --------
    >>> mentions_secret(b'{"code": 0}'), mentions_secret('x-api-key: 1')
    (False, True)
    """
    if isinstance(text, (bytes, bytearray)):
        return _SECRET_BYTES.search(text) is not None
    return _SECRET_TEXT.search(text) is not None


def redact_count(text: str) -> tuple[str, int]:
    """Mask every secret value in free text; return the text and how many were masked.

    Examples
    --------
    >>> redact_count('GET /api/v1/order?symbol=AAPL&signature=9f8e7d')
    ('GET /api/v1/order?symbol=AAPL&signature=***', 1)
    """
    if _SECRET_NAME.search(text) is None:  # every pattern below needs a secret word
        return text, 0
    total = 0
    for pattern in (_QUOTED, _NAME_VALUE, _BARE):
        counter = [0]

        def sub(m: re.Match, counter=counter) -> str:
            out = _mask(m)
            counter[0] += out != m.group(0)
            return out

        text = pattern.sub(sub, text)
        total += counter[0]
    return text, total


def redact(text):
    """Mask every secret value in free text (``None`` passes through).

    Examples
    --------
    >>> redact('{"ACCESS-KEY": "ak-123", "ACCESS-TIMESTAMP": "1700000000000"}')
    '{"ACCESS-KEY": "***", "ACCESS-TIMESTAMP": "1700000000000"}'
    """
    if not isinstance(text, str) or not text:
        return text
    return redact_count(text)[0]


def redact_url(url: str) -> str:
    """Mask secret query parameters of a URL, leaving the rest unchanged.

    Examples
    --------
    >>> redact_url("https://x/api?apiKey=abc&symbol=BTC")
    'https://x/api?apiKey=***&symbol=BTC'
    """
    if "?" not in url:
        return url
    head, _, query = url.partition("?")
    return head + "?" + redact(query)


def redact_mapping(mapping):
    """Return a copy of a headers/params mapping with secret values masked.

    Accepts a dict, a list of ``{"name", "value"}`` objects (HAR) or a list of
    pairs; values of secret names become ``***``.

    Examples
    --------
    >>> redact_mapping({"ACCESS-KEY": "ak", "symbol": "BTC"})
    {'ACCESS-KEY': '***', 'symbol': 'BTC'}
    """
    if isinstance(mapping, dict):
        return {k: (MASK if is_secret_name(k) else v) for k, v in mapping.items()}
    if isinstance(mapping, list):
        out = []
        for item in mapping:
            if isinstance(item, dict) and "name" in item:
                item = dict(item)
                if is_secret_name(item["name"]):
                    item["value"] = MASK
            elif isinstance(item, (list, tuple)) and len(item) == 2 and is_secret_name(item[0]):
                item = type(item)([item[0], MASK])
            out.append(item)
        return out
    return mapping


def redact_data(data, *, text: bool = True) -> tuple[object, int]:
    """Return a copy of parsed JSON or YAML data with every secret masked, and how many were.

    Masked: every string or number under a secret name, at any depth (so a
    list of header values under ``ACCESS-KEY`` is masked item by item); the
    ``value`` of a ``{"name": ..., "value": ...}`` pair whose name is secret
    (HAR headers, query strings, cookies); and, when ``text`` is true, secrets
    inside other strings and UTF-8 or gzip bytes (URLs with ``?apiKey=``, JSON
    held in a string) as :func:`redact` finds them. Shapes and types are kept,
    so the result serialises back into the same format.

    Examples
    --------
    >>> redact_data({"headers": {"ACCESS-SIGN": ["c2ln"]}, "url": "/api?apiKey=k1&x=1", "n": 2})
    ({'headers': {'ACCESS-SIGN': ['***']}, 'url': '/api?apiKey=***&x=1', 'n': 2}, 2)
    """
    count = [0]
    out = _redact_data(data, False, text, count)
    return out, count[0]


def _redact_data(obj, secret: bool, text: bool, count: list):
    t = type(obj)
    if t is dict:
        if "name" in obj and "value" in obj:  # a HAR-style pair: only its value can be secret
            secret_value = secret or is_secret_name(obj["name"])
            return {k: _redact_data(v, secret_value if k == "value" else k != "name" and is_secret_name(k),
                                    text, count) for k, v in obj.items()}
        return {k: _redact_data(v, secret or is_secret_name(k), text, count) for k, v in obj.items()}
    if t is list or t is tuple:
        return t(_redact_data(v, secret, text, count) for v in obj)
    if secret:
        if t is str or t is int or t is float or t is bytes:
            if obj != MASK:
                count[0] += 1
                return MASK if t is not bytes else MASK.encode()
        return obj
    if text:
        if t is str:
            new, n = redact_count(obj)
            count[0] += n
            return new
        if t is bytes:
            return _redact_bytes(obj, count)
    return obj


def _redact_bytes(data: bytes, count: list) -> bytes:
    """Secrets in UTF-8 text or gzip-compressed UTF-8 text held as bytes."""
    import gzip
    import zlib

    packed = data[:2] == b"\x1f\x8b"
    try:
        plain = gzip.decompress(data) if packed else data
        decoded = plain.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return data
    new, n = redact_count(decoded)
    if not n:
        return data
    count[0] += n
    new_bytes = new.encode("utf-8")
    return gzip.compress(new_bytes, mtime=0) if packed else new_bytes
