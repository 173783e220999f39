"""The common JSON Lines shapes decoded straight into typed structs, without building dicts.

:func:`read` decodes each line with msgspec into :class:`Rec`, where it lies
in the range's bytes (only the keys the reader uses; everything else, ``data``
included, is skipped by the decoder), and :func:`row` turns it into the
same row (a :class:`~.._rows.Row`'s fields) that :func:`.jsonl.record` would give, in the
same priority order of aliases.
A line takes this path only when its result is certain to be the same:

- it decodes into the strict typed shape (a time of string or number type,
  a URL of string type, status and ``code`` integers, a body that is an
  object or an array, headers that are objects, ...), which also refuses
  what orjson refuses: malformed JSON, escaped lone surrogates, a BOM, NUL;
- it satisfies the simple predicates below (status 100-599, a known method,
  a body with an integer ``code`` and a text message and ``data`` that is not
  a batch's, or no ``code`` at all, times and numbers that fit 64 bits, the
  ``Date``, ``ACCESS-TIMESTAMP`` and (without a ``key_id``) ``ACCESS-KEY`` headers
  spelled so when headers are given,
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

from typing import Annotated

import msgspec
import numpy as np
import pyarrow as pa
from msgspec import UNSET, Raw, UnsetType, field

from ...secrets import mentions_secret
from .. import _orders
from .._orders import NO_ORDER
from ._fastorders import _Order, _Probe, _Symbol, lean, order_of
from ._fields import _ECHO, _METHODS, may_echo
from .._rows import CODE, ERROR, MESSAGE, NO_BODY, NO_CODE

#: Switch for the fast path (the tests turn it off to compare both paths).
ENABLED = True

_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
# range checks done by the decoder: a value outside them fails the line's decode, and the general path reads it
_Int64 = Annotated[int, msgspec.Meta(ge=_I64_MIN, le=_I64_MAX)]
_Status = Annotated[int, msgspec.Meta(ge=100, le=599)]
_Absent = Annotated[int, msgspec.Meta(ge=1, le=0)]  # no value fits: the key is to be absent


class _Body(msgspec.Struct, gc=False):
    code: _Int64 | None = None
    msg: str | None = None
    message: str | None = None
    error: str | None = None
    data: _Probe | list[_Order | list[Raw] | str | int | float | bool | None] | str | int | float | bool | None = None


_AnyBody = _Body | list[Raw] | None  # a bare JSON array as the body has no envelope


class _Dated(msgspec.Struct, gc=False):
    date: str | None = field(name="Date", default=None)


class _Signed(msgspec.Struct, gc=False):
    stamp: str | _Int64 | None = field(name="ACCESS-TIMESTAMP", default=None)
    key: str | None = field(name="ACCESS-KEY", default=None)


class _Resp(_Body, gc=False):
    """``response``: the body itself (flat form) or status, headers and body (nested form)."""

    status: _Status | None | UnsetType = UNSET
    status_code: _Status | None | UnsetType = UNSET
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


_Time = str | _Int64 | float | None


class Rec(msgspec.Struct, gc=False):
    ts: _Time = None
    timestamp: _Time = None
    time: _Time = None
    at_timestamp: _Time = field(name="@timestamp", default=None)
    method: str | None = None
    url: str | None = None
    uri: str | None = None
    path: str | None = None
    status: _Status | None = None
    status_code: _Status | None = None
    http_status: _Status | None = None
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
    bot: str | None = None
    key_id: str | None = None
    # structured loggers' and access logs' keys: read by the general path
    logger: _Absent = 0
    ws: _Absent = 0  # the recorder's WebSocket lines: read by the general path
    traefik_status: _Absent = field(name="DownstreamStatus", default=0)
    traefik_path: _Absent = field(name="RequestPath", default=0)


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


def line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The start and end offsets of the lines of ``data``: ended by LF (not part of the line), the last
    perhaps by the end of ``data``. Found by numpy, a megabyte at a time, so no line is copied out; kept as
    arrays (8 bytes a line), which :func:`blocks` hands out as lists a block of lines at a time.

    Examples
    --------
    >>> [b.tolist() for b in line_bounds(b'{"a": 1}\\n\\n{"b": 2}')]
    [[0, 9, 10], [8, 9, 18]]
    """
    buf = np.frombuffer(data, np.uint8)
    step = 1 << 20
    ends = np.concatenate([np.flatnonzero(buf[i:i + step] == 10) + i for i in range(0, len(buf), step)]
                          or [np.zeros(0, np.intp)])
    starts = np.empty(len(ends) + 1, np.intp)
    starts[0] = 0
    starts[1:] = ends + 1
    if starts[-1] < len(data):  # a last line without LF
        ends = np.append(ends, len(data))
    else:
        starts = starts[:-1]
    return starts, ends


#: Lines whose offsets are made Python ints at a time: a piece of millions of short lines ({} a line) holds
#: arrays of them, not lists of millions of ints.
BLOCK_LINES = 1 << 16


def blocks(bounds: tuple[np.ndarray, np.ndarray]):
    """The (starts, ends) of :func:`line_bounds` as lists of ints, :data:`BLOCK_LINES` lines at a time."""
    starts, ends = bounds
    for i in range(0, len(starts), BLOCK_LINES):
        yield starts[i:i + BLOCK_LINES].tolist(), ends[i:i + BLOCK_LINES].tolist()


def _unsure_lines(data: bytes, starts: np.ndarray, ends: np.ndarray) -> set:
    """Indexes of the lines that only the general path reads right, by their bytes: those with invalid UTF-8,
    which msgspec lets pass where it skips a value unchecked and orjson refuses.

    The whole of ``data`` is checked at once; the lines one by one only when it fails.
    """
    if data.isascii() or _valid_utf8(data):
        return set()
    unsure = set()
    for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        raw = data[a:b]
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


def row(r: Rec, line: int) -> tuple | None:
    """The row (a :class:`~.._rows.Row`'s fields) of one decoded line, or None when the general path must read
    it."""
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
        ts_str = ts
        ts_int = None
    elif t is int:
        ts_str = None
        ts_int = ts
    else:
        ts_str = repr(ts)
        ts_int = None

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
        status = resp.status
        if status is None or status is UNSET:
            status = _pick(resp.status_code)
        body = resp.body
        if body is None:
            body = _pick(resp.response_body, resp.content, resp.text)
        headers = resp.headers
    else:
        status = r.status
        if status is None:
            status = r.status_code
            if status is None:
                status = r.http_status
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
    if status is None and not error:
        return None

    # the body: (kind, code, message)
    code = message = None
    if body is None:
        kind = NO_BODY
    elif type(body) is list:  # a bare JSON array: no envelope
        kind = NO_CODE
    else:
        code = body.code
        if code is None:  # no envelope: a bare body, its message from msg, message or error
            kind = NO_CODE
            message = body.msg or body.message or body.error
        else:
            kind = CODE
            data = body.data
            if type(data) is list:
                if data and type(data[0]) is _Order and data[0].success is not UNSET:  # a batch's items
                    return None
                message = body.msg or body.message or body.error
            else:
                if type(data) is _Probe and data.results is not UNSET:  # a batch's results
                    return None
                message = body.msg or body.message
                if message is None:
                    message = body.error

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
    key = r.key_id
    if req is not None:
        if symbol is None:
            if req.params is not None:
                symbol = req.params.symbol or None
            if symbol is None and req.body is not None:
                symbol = req.body.symbol or None
        headers = req.headers
        if headers is not None:
            stamp = headers.stamp
            if type(stamp) is str and stamp.isascii() and stamp.isdigit() and len(stamp) < 19:
                client_ts = int(stamp)
            elif type(stamp) is int:
                client_ts = stamp
            else:  # absent (perhaps spelled in another case) or written otherwise
                return None
            if key is None:
                key = headers.key
                if key is None:  # absent, or perhaps spelled in another case
                    return None
    if (("rder" in url and "rderbook" not in url and "rderBook" not in url) or "trades" in url
            or "osition" in url) and _orders.READ:  # a call about orders (names_orders)
        order = None
        if r.params is None and (req is None or req.params is None):
            order = lean(None if req is None else req.body,
                         None if body is None or type(body) is list else body.data)
        if order is None:
            order = order_of(req.params, req.body, r.params, body) if req is not None else \
                order_of(None, None, r.params, body)
            if order is None:
                return None
    else:
        order = NO_ORDER
    return (line, ts_str, ts_int, method, url, status, kind, code, message, error,
            latency, r.market, symbol, client_ts, server_ts, None, None, r.bot, key, *order)


def read(data: bytes, bounds: tuple[np.ndarray, np.ndarray], first_line: int, append, general,
         no_time=None) -> None:
    """Read the lines of ``data`` (at ``bounds``, from :func:`line_bounds`; numbered from ``first_line``) in
    order: ``append(row)`` for each line read here, ``general(raw, line)`` for each that the general path must
    read (``raw``, the line's bytes), and ``no_time(raw, line)`` (when given) for each line that decodes but
    holds no time at all, which the general path would reject with "missing time" (a file of ``{}`` lines).

    Each line is decoded where it lies in ``data``, through a memoryview, so no line is copied.
    """
    unsure = _unsure_lines(data, *bounds)
    view = memoryview(data)
    decode = _decode
    errors = _DecodeErrors
    echo_of = _ECHO.get
    at_message, at_error = MESSAGE, ERROR
    line = first_line - 1
    for starts, ends in blocks(bounds):
        for a, b in zip(starts, ends):
            line += 1
            if unsure and line - first_line in unsure:
                general(data[a:b], line)
                continue
            try:
                rec = decode(view[a:b])
                got = row(rec, line)
            except errors:
                rec = got = None
            if got is None:
                if (no_time is not None and rec is not None and rec.ts is None and rec.timestamp is None
                        and rec.time is None and rec.at_timestamp is None and rec.request is None):
                    no_time(data[a:b], line)  # what the general path would reject it for, without reading it
                else:
                    general(data[a:b], line)
                continue
            message = got[at_message]
            if message is not None:
                echo = echo_of(message)
                if echo is None:
                    echo = may_echo(message)
                if echo and mentions_secret(data[a:b]):  # a key echoed back: the general path masks it
                    general(data[a:b], line)
                    continue
            error = got[at_error]
            if error is not None and may_echo(error) and mentions_secret(data[a:b]):
                general(data[a:b], line)
                continue
            append(got)
