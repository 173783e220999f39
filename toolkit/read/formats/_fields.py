"""Field helpers every reader shares: header lookup, method, status, latency, symbol."""

from __future__ import annotations

import re

import orjson

from ...schema import METHODS
from ...secrets import Echoes, mask_values, secret_values
from .._excerpt import short
from .._frame import as_int
from .._rows import ERROR, MESSAGE, URL

_METHODS = frozenset(METHODS)


class Reject(Exception):
    """A record that cannot become a row; the message is the reason."""


def first(rec: dict, keys: tuple[str, ...]):
    """The first of ``keys`` whose value in ``rec`` is not None."""
    for k in keys:
        v = rec.get(k)
        if v is not None:
            return v
    return None


def header(headers, name: str):
    """Case-insensitive header lookup in a dict, a HAR list or a list of pairs."""
    if not headers or not isinstance(headers, (dict, list, tuple)):
        return None
    lname = name.lower()
    if isinstance(headers, dict):
        v = headers.get(name)
        if v is None:
            for k, val in headers.items():
                if isinstance(k, str) and k.lower() == lname:
                    v = val
                    break
    else:
        v = None
        for item in headers:
            if isinstance(item, dict):
                k, val = item.get("name"), item.get("value")
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                k, val = item
            else:
                continue
            if isinstance(k, str) and k.lower() == lname:
                v = val
                break
    if isinstance(v, list):  # VCR stores header values as lists
        v = v[0] if v else None
    return v


def symbol_of(container):
    if isinstance(container, dict):
        s = container.get("symbol")
        return s if isinstance(s, str) and s else None
    if isinstance(container, str) and '"symbol"' in container:
        try:
            return symbol_of(orjson.loads(container))
        except orjson.JSONDecodeError:
            return None
    return None


def method_of(method):
    """Upper-case HTTP method, ``None`` when absent; :class:`Reject` when not a method."""
    if method is None:
        return None
    if isinstance(method, str):
        m = method.strip().upper()
        if m in _METHODS:
            return m
    raise Reject(f"unknown HTTP method {short(method)}")


def status_of(status):
    """HTTP status as int (``None``: no response); :class:`Reject` when unreadable."""
    if status is None:
        return None
    s = as_int(status) if type(status) is not bool else None
    if s is None:
        raise Reject(f"status is not a number: {short(status)}")
    if s == 0:  # written by some loggers (and HAR) when no response came
        return None
    if not 100 <= s <= 599:
        raise Reject(f"status out of range: {s}")
    return s


def latency_of(ms, seconds):
    try:
        if ms is not None and type(ms) is not bool:
            return float(ms)
        if seconds is not None and type(seconds) is not bool:
            return float(seconds) * 1000.0
    except (TypeError, ValueError, OverflowError):
        pass
    return None


def mask_seen(row: tuple, data) -> tuple:
    """A row with the secret values seen anywhere in its record masked in its URL, message and error too."""
    return mask_values_of(row, secret_values(data))


def mask_values_of(row: tuple, values: list) -> tuple:
    """A row with ``values`` masked in its URL, message and error."""
    if not values:
        return row
    fields = list(row)
    for at in (URL, MESSAGE, ERROR):
        fields[at] = mask_values(row[at], values)
    return tuple(fields)


def mask_echoes(rows: list, echoes: Echoes) -> list:
    """Rows of one document with the secret values seen anywhere in it (:class:`toolkit.secrets.Echoes`) masked
    in their URLs, messages and errors: a cookie one HAR entry sends, in another entry's URL."""
    if not echoes:
        return rows
    out = []
    for row in rows:
        fields = list(row)
        for at in (URL, MESSAGE, ERROR):
            fields[at] = echoes.mask(row[at])
        out.append(tuple(fields))
    return out


_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{6,}+")
_ECHO: dict = {}


def may_echo(text) -> bool:
    """Whether a message holds a credential-like word (six characters with a digit, or sixteen),
    which could be a key or signature seen elsewhere in its record. Worked out once per distinct text."""
    if not text:
        return False
    hit = _ECHO.get(text)
    if hit is None:
        hit = any(len(t) >= 16 or any(c.isdigit() for c in t) for t in _TOKEN.findall(text))
        if len(_ECHO) < 100_000:
            _ECHO[text] = hit
    return hit
