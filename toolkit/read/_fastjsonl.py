"""The common JSON Lines shapes decoded straight into typed structs, without building dicts.

:func:`rows` decodes each line with msgspec into :class:`Rec` (only the keys
the reader uses; everything else, ``data`` included, is skipped by the
decoder) and turns it into the same :data:`~._frame.ROW` tuple that
:func:`.jsonl.record` would give, in the same priority order of aliases.
A line takes this path only when its result is certain to be the same:

- it decodes into the strict typed shape (a time of string or number type,
  a URL of string type, status and ``code`` integers, a body that is an
  object or an array, headers that are objects, ...), which also refuses
  what orjson refuses: malformed JSON, escaped lone surrogates, a BOM, NUL;
- it satisfies the simple predicates below (status 100-599, a known method,
  a body with an integer ``code`` and a text message and ``data`` that is not
  a batch's, or no ``code`` at all, times and numbers that fit 64 bits, the
  ``Date`` and ``ACCESS-TIMESTAMP`` headers spelled so when headers are given,
  no secret echoed in the message, no access-log or structured-logger keys);
- and its bytes are valid UTF-8, which :mod:`orjson` requires and msgspec
  does not check where it skips a value. (A number beyond a double's range
  that msgspec skips needs no such look: the general path reads the line too,
  the number as infinity.)

Every other line gets ``None`` and is read by the general path, so each line
gets the same row, reject or skip either way (``tests/test_jsonl_fastpath.py``
loads a corpus of odd files both ways and compares).
"""

from __future__ import annotations

import msgspec
import numpy as np
import pyarrow as pa
from msgspec import UNSET, Raw, UnsetType, field

from ..secrets import mentions_secret
from ._fields import _ECHO, _METHODS, may_echo
from ._frame import CODE, NO_BODY, NO_CODE

#: Switch for the fast path (the tests turn it off to compare both paths).
ENABLED = True

_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


class _Probe(msgspec.Struct, gc=False):
    """A body's ``data`` object: only whether it holds a batch's ``results``."""

    results: object = UNSET


class _Item(msgspec.Struct, gc=False):
    """The first item of a list in ``data``: only whether it carries a batch item's ``success`` flag."""

    success: object = UNSET


class _Body(msgspec.Struct, gc=False):
    code: int | None = None
    msg: str | None = None
    message: str | None = None
    error: str | None = None
    data: _Probe | list[_Item | list[Raw] | str | int | float | bool | None] | str | int | float | bool | None = None


_AnyBody = _Body | list[Raw] | None  # a bare JSON array as the body has no envelope


class _Dated(msgspec.Struct, gc=False):
    date: str | None = field(name="Date", default=None)


class _Signed(msgspec.Struct, gc=False):
    stamp: str | int | None = field(name="ACCESS-TIMESTAMP", default=None)


class _Symbol(msgspec.Struct, gc=False):
    symbol: str | None = None


class _Resp(_Body, gc=False):
    """``response``: the body itself (flat form) or status, headers and body (nested form)."""

    status: int | None | UnsetType = UNSET
    status_code: int | None | UnsetType = UNSET
    headers: _Dated | None = None
    body: _AnyBody = None
    response_body: _AnyBody = None
    content: _AnyBody = None
    text: _AnyBody = None


class _Req(msgspec.Struct, gc=False):
    method: str | None | UnsetType = UNSET
    url: str | None | UnsetType = UNSET
    uri: str | None | UnsetType = UNSET
    path: str | None = None
    headers: _Signed | None = None
    params: _Symbol | None = None
    body: _Symbol | None = None


_Time = str | int | float | None


class Rec(msgspec.Struct, gc=False):
    ts: _Time = None
    timestamp: _Time = None
    time: _Time = None
    at_timestamp: _Time = field(name="@timestamp", default=None)
    method: str | None = None
    url: str | None = None
    uri: str | None = None
    path: str | None = None
    status: int | None = None
    status_code: int | None = None
    http_status: int | None = None
    response: _Resp | list[Raw] | None = None
    body: _AnyBody = None
    response_body: _AnyBody = None
    response_headers: _Dated | None = None
    error: str | None = None
    elapsed_ms: float | None = None
    latency_ms: float | None = None
    duration_ms: float | None = None
    elapsed: float | None = None
    market: str | None = None
    symbol: str | None = None
    params: _Symbol | None = None
    request: _Req | None = None
    logger: object = UNSET
    traefik_status: object = field(name="DownstreamStatus", default=UNSET)
    traefik_path: object = field(name="RequestPath", default=UNSET)


_decode = msgspec.json.Decoder(Rec).decode
_DecodeErrors = (msgspec.DecodeError, RecursionError)  # a ValidationError is a DecodeError

def _valid_utf8(data: bytes) -> bool:
    """Whether all of ``data`` is valid UTF-8 (checked by Arrow, without building a str)."""
    buf = pa.py_buffer(data)
    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, buf).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _unsure_lines(data: bytes, lines: list[bytes]) -> set:
    """Indexes of the lines that only the general path reads right, by their bytes: those with invalid UTF-8,
    which msgspec lets pass where it skips a value unchecked and orjson refuses.

    The whole of ``data`` is checked at once; the lines one by one only when it fails.
    """
    if data.isascii() or _valid_utf8(data):
        return set()
    unsure = set()
    for i, raw in enumerate(lines):
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                unsure.add(i)
    return unsure


def _pick(*values):
    for v in values:
        if v is not None and v is not UNSET:
            return v
    return None


def _body(body):
    """(kind, code, message) of a body the fast path can read; None when the general path must."""
    if body is None:
        return NO_BODY, None, None
    if type(body) is list:
        return NO_CODE, None, None
    code = body.code
    if code is None:  # no envelope: a bare body, its message from msg, message or error
        return NO_CODE, None, body.msg or body.message or body.error
    if not _I64_MIN <= code <= _I64_MAX:
        return None
    data = body.data
    if type(data) is _Probe:
        if data.results is not UNSET:  # a batch's results
            return None
    elif type(data) is list:
        if data and type(data[0]) is _Item and data[0].success is not UNSET:  # a batch's items
            return None
        return CODE, code, body.msg or body.message or body.error
    message = body.msg or body.message
    if message is None:
        message = body.error
    return CODE, code, message


def row(r: Rec, line: int):
    """The :data:`~._frame.ROW` tuple of one decoded line, or None when the general path must read it."""
    if r.logger is not UNSET or r.traefik_status is not UNSET or r.traefik_path is not UNSET:
        return None
    req = r.request
    nested = req is not None and (req.url is not UNSET or req.method is not UNSET or req.uri is not UNSET)
    ts = r.ts
    if ts is None:
        ts = r.timestamp
        if ts is None:
            ts = r.time
            if ts is None:
                ts = r.at_timestamp
                if ts is None:
                    return None
    t = type(ts)
    if t is str:
        ts_str, ts_int = ts, None
    elif t is int:
        if not _I64_MIN <= ts <= _I64_MAX:
            return None
        ts_str, ts_int = None, ts
    else:
        ts_str, ts_int = repr(ts), None

    if nested:
        url = req.url
        if url is None or url is UNSET:
            url = _pick(req.uri, req.path)
        method = req.method
        if method is UNSET:
            method = None
    else:
        url = r.url
        if url is None:
            url = r.uri
            if url is None:
                url = r.path
        method = r.method
    if url is None or (method is not None and method not in _METHODS):
        return None

    resp = r.response
    if type(resp) is _Resp and (resp.status is not UNSET or resp.status_code is not UNSET):
        raw_status = resp.status
        if raw_status is None or raw_status is UNSET:
            raw_status = _pick(resp.status_code)
        body = resp.body
        if body is None:
            body = _pick(resp.response_body, resp.content, resp.text)
        headers = resp.headers
    else:
        raw_status = r.status
        if raw_status is None:
            raw_status = r.status_code
            if raw_status is None:
                raw_status = r.http_status
        body = resp
        if body is None:
            body = r.body
            if body is None:
                body = r.response_body
        headers = r.response_headers
    server_ts = None
    if headers is not None:
        server_ts = headers.date
        if server_ts is None:  # perhaps spelled in another case: the general path looks
            return None
    error = r.error
    if raw_status is None:
        if not error:
            return None
        status = None
    elif 100 <= raw_status <= 599:
        status = raw_status
    else:
        return None
    got = _body(body)
    if got is None:
        return None
    kind, code, message = got

    latency = r.elapsed_ms
    if latency is None:
        latency = r.latency_ms
        if latency is None:
            latency = r.duration_ms
            if latency is None:
                latency = r.elapsed
                if latency is not None:
                    latency = latency * 1000.0

    symbol = r.symbol
    if symbol is None and r.params is not None:
        symbol = r.params.symbol or None
    client_ts = None
    if req is not None:
        if symbol is None:
            if req.params is not None:
                symbol = req.params.symbol or None
            if symbol is None and req.body is not None:
                symbol = req.body.symbol or None
        if req.headers is not None:
            stamp = req.headers.stamp
            if type(stamp) is str and stamp.isascii() and stamp.isdigit() and len(stamp) < 19:
                client_ts = int(stamp)
            elif type(stamp) is int and _I64_MIN <= stamp <= _I64_MAX:
                client_ts = stamp
            else:  # absent (perhaps spelled in another case) or written otherwise
                return None
    return (line, ts_str, ts_int, method, url, status, kind, code, message, error,
            latency, r.market, symbol, client_ts, server_ts, None, None)


def rows(lines: list[bytes], first_line: int, data: bytes):
    """Yield ``(line number, raw line, row or None)`` for each line; None where the general path must read it.

    ``data`` is the bytes the lines were split from (scanned once for what only
    the general path reads right).
    """
    unsure = _unsure_lines(data, lines)
    decode = _decode
    errors = _DecodeErrors
    echo_of = _ECHO.get
    line = first_line - 1
    for i, raw in enumerate(lines):
        line += 1
        got = None
        if i not in unsure:
            try:
                got = row(decode(raw), line)
            except errors:
                pass
            if got is not None:
                message, error = got[8], got[9]
                echo = False
                if message is not None:
                    echo = echo_of(message)
                    if echo is None:
                        echo = may_echo(message)
                if (echo or (error is not None and may_echo(error))) and mentions_secret(raw):
                    got = None  # a key echoed back: the general path masks it
        yield line, raw, got
