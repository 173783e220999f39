"""Quote bad input safely: bounded, redacted excerpts and short value descriptions.

A reject quotes its input, which may be anything a recording holds: a line
of megabytes, a YAML document whose aliases expand to billions of nodes, a
string with lone surrogates. Nothing here ever walks more than a bounded part
of a value, and secrets are masked before any cut.
"""

from __future__ import annotations

import re

import orjson

from ..secrets import MASK, is_key_id, is_secret_name, redact

EXCERPT = 200
_TEXT_LIMIT = 64 << 10  # characters of a raw line masked before the excerpt is cut from it
_SURROGATE = re.compile("[\ud800-\udfff]")


def no_surrogates(text: str) -> str:
    """``text`` with lone surrogates (from ``\\ud800`` escapes) replaced by U+FFFD.

    Examples
    --------
    >>> no_surrogates("a\\ud800b")
    'a�b'
    """
    return _SURROGATE.sub("\ufffd", text)


def clean_data(obj, depth: int = 0):
    """Parsed data with lone surrogates replaced in every string (keys too)."""
    t = type(obj)
    if t is str:
        return no_surrogates(obj)
    if depth > 200:
        return obj
    if t is dict:
        return {clean_data(k, depth + 1): clean_data(v, depth + 1) for k, v in obj.items()}
    if t is list:
        return [clean_data(v, depth + 1) for v in obj]
    return obj


class _Full(Exception):
    pass


def bounded_json(obj, limit: int = EXCERPT * 4) -> str:
    """JSON-like text of ``obj``, at most about ``limit`` characters, secrets masked.

    Values under secret names are written ``"***"`` and every string is
    masked as :func:`toolkit.secrets.redact` does before anything is cut; the
    walk stops once ``limit`` characters are written, so shared (aliased)
    containers never expand.

    Examples
    --------
    >>> bounded_json({"ACCESS-KEY": ["ak-1"], "url": "/x?signature=ab12"})
    '{"ACCESS-KEY":["***"],"url":"/x?signature=***"}'
    >>> bomb = ["lol"]
    >>> for _ in range(30):
    ...     bomb = [bomb] * 9
    >>> len(bounded_json(bomb, 50))
    50
    """
    out: list[str] = []
    size = [0]

    def put(text: str) -> None:
        out.append(text)
        size[0] += len(text)
        if size[0] > limit:
            raise _Full

    def walk(value, secret: bool, depth: int) -> None:
        t = type(value)
        if t is dict:
            put("{")
            for i, (k, v) in enumerate(value.items()):
                if i:
                    put(",")
                put(_scalar(k if type(k) is str else _key(k), False))
                put(":")
                walk(v, secret or is_secret_name(k), depth + 1) if depth < 50 else put("…")
            put("}")
        elif t is list or t is tuple:
            put("[")
            for i, v in enumerate(value):
                if i:
                    put(",")
                walk(v, secret, depth + 1) if depth < 50 else put("…")
            put("]")
        else:
            put(_scalar(value, secret))

    try:
        walk(obj, False, 0)
    except _Full:
        return "".join(out)[:limit]
    return "".join(out)


def _key(key) -> str:
    return repr(key)[:40] if isinstance(key, (int, float, bool)) or key is None else type(key).__name__


def _scalar(value, secret: bool) -> str:
    if value is None or type(value) is bool:
        return orjson.dumps(value).decode()
    if secret and type(value) in (str, int, float, bytes) and not is_key_id(value):
        return f'"{MASK}"'
    if type(value) is int or type(value) is float:
        return repr(value)[:40]
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value[:_TEXT_LIMIT]).decode("utf-8", "replace")
    elif not isinstance(value, str):
        value = type(value).__name__
    text = redact(no_surrogates(value[:_TEXT_LIMIT]))
    return orjson.dumps(text).decode()


def excerpt(raw) -> str:
    """A short, redacted excerpt of a raw input line or entry, for rejects.

    Secrets are masked before the text is cut, so a long token is never half shown.

    Examples
    --------
    >>> excerpt(b'{"ACCESS-KEY": "ak-1", "status": "--200"}\\r\\n')
    '{"ACCESS-KEY": "***", "status": "--200"}'
    """
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw[:_TEXT_LIMIT]).decode("utf-8", "replace")
    elif isinstance(raw, str):
        raw = raw[:_TEXT_LIMIT]
    else:
        raw = bounded_json(raw)
    raw = no_surrogates(raw).strip("\r\n\ufeff")
    text = redact(raw)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def short(value, n: int = 20) -> str:
    """A value quoted in a reject reason: its first ``n`` characters as ``repr``, never the whole value.

    Examples
    --------
    >>> short([[1, 2]] * 3)
    "'[[1,2],[1,2],[1,2]]'"
    """
    text = value if isinstance(value, str) else bounded_json(value, n * 2)
    return repr(no_surrogates(text[:n]))
