"""Find and mask API keys, signatures and other secrets in names and text.

One definition serves the recorder, the loader (messages, reject excerpts,
warnings) and :func:`toolkit.scrub`: a field is secret when its name contains
``key``, ``sign``, ``secret``, ``token``, ``password`` or ``authorization``
(case-insensitive), which covers the exchange's ``ACCESS-KEY`` and
``ACCESS-SIGN`` headers and query parameters such as ``apiKey`` or
``signature``.
"""

from __future__ import annotations

import re

MASK = "***"

_WORDS = r"(?:key|sign|secret|token|passw(?:or)?d|authorization|cookie)"
_SECRET_NAME = re.compile(_WORDS, re.I)
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
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None


def _mask(m: re.Match) -> str:
    if m.group("value") == MASK:
        return m.group(0)
    return m.group("head") + MASK + m.group(0)[m.end("value") - m.start() :]


def redact_count(text: str) -> tuple[str, int]:
    """Mask every secret value in free text; return the text and how many were masked.

    Examples
    --------
    >>> redact_count('GET /api/v1/order?symbol=AAPL&signature=9f8e7d')
    ('GET /api/v1/order?symbol=AAPL&signature=***', 1)
    """
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
