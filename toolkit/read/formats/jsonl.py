"""JSON Lines recordings: one API call per line, flat or nested (gateway) form.

Flat form (key aliases in brackets)::

    {"ts": "2026-11-20T21:05:00Z", "method": "POST", "url": "https://.../order",
     "status": 429, "response": {"code": 429, "message": "Rate limit exceeded"},
     "elapsed_ms": 41.5}

    time   [ts, timestamp, time, @timestamp]  ISO-8601 or epoch s/ms
    url    [url, uri, path]
    status [status, status_code, http_status]  null when no response came
    body   [response, body, response_body]     object, JSON string or text
    latency [elapsed_ms, latency_ms, duration_ms] in ms, or [elapsed] in s
    error, market, method, request {headers, params, body}
    bot    the bot that made the call (else the file's name says)
    key_id the fingerprint of its API key (else one is made of request.headers ACCESS-KEY)

Nested form, as gateways and proxies write it::

    {"time": ..., "request": {"method", "url", "headers"},
     "response": {"status", "headers", "body"}, "duration_ms": ...}

A line with a ``ws`` key is a WebSocket frame or connection event as :func:`toolkit.attach_recorder`
writes it, a row of :attr:`toolkit.Load.websocket` (:func:`.._wsrecorded.recorded_row`).

Caddy and Traefik access logs, and any layout a ``fields=`` mapping names,
are brought to the flat form first (:mod:`.access`). A structured logger's
record with a time and a message but no URL (freqtrade's JSON log, go-zero)
has its message read as a bot's log line (:mod:`.botlogs`): a row when it
names a call, else a counted skip.
"""

from __future__ import annotations

import json

import orjson

from ...secrets import mentions_secret
from .._excerpt import bounded_json, clean_data
from .._frame import _INT64, as_int, parse_body
from .._orders import NO_ORDER, answer_data, names_orders, order_fields
from .._rows import CODE, ERROR, MESSAGE, NO_BODY, NO_CODE, Batch
from .._ws import WsRows, ws_frame
from .._wsrecorded import RecordedLines, recorded_row
from ..engine import Chunk, LineReader, Options, register_reader
from . import _fastjsonl as fast
from ._fields import (_ECHO, _METHODS, Reject, first, header, latency_of, mask_seen, may_echo, method_of, status_of,
                      symbol_of)
from .access import adapt, check_fields
from .botlogs import SKIP, message_row

_TIME_KEYS = ("ts", "timestamp", "time", "@timestamp")
_URL_KEYS = ("url", "uri", "path")
_STATUS_KEYS = ("status", "status_code", "http_status")
_BODY_KEYS = ("response", "body", "response_body")
_MS_KEYS = ("elapsed_ms", "latency_ms", "duration_ms")


def record(rec: dict, line: int) -> tuple:
    """Extract one JSON record as a row (a :class:`~.._rows.Row`'s fields); raise :class:`Reject` when it cannot be
    one.

    The lines of the common shapes are read by :mod:`._fastjsonl` instead, to the same row.
    """
    get = rec.get
    req = get("request")
    resp = get("response")
    nested = type(req) is dict and ("url" in req or "method" in req or "uri" in req)

    ts = first(rec, _TIME_KEYS)
    if ts is None and nested:
        ts = first(req, _TIME_KEYS)
    if ts is None:
        raise Reject("missing time")
    t = type(ts)
    if t is str:
        ts_str, ts_int = ts, None
    elif t is int and -(1 << 63) <= ts < (1 << 63):
        ts_str, ts_int = None, ts
    elif t is int or t is float:
        ts_str, ts_int = repr(ts), None
    else:
        raise Reject(f"time is not a string or number: {t.__name__}")

    src = req if nested else rec
    url = first(src, _URL_KEYS)
    if url is None:
        raise Reject("missing URL")
    if type(url) is not str:
        raise Reject(f"URL is not a string: {type(url).__name__}")
    method = src.get("method")
    if method is not None and (type(method) is not str or method not in _METHODS):
        method = method_of(method)

    if type(resp) is dict and ("status" in resp or "status_code" in resp):
        raw_status = first(resp, ("status", "status_code"))
        body = first(resp, ("body", "response_body", "content", "text"))
        resp_headers = resp.get("headers")
        if type(resp_headers) is dict:
            server_ts = resp_headers.get("Date")
            if server_ts is None:
                server_ts = header(resp_headers, "Date")
        else:
            server_ts = header(resp_headers, "Date") if resp_headers else None
    else:
        raw_status = first(rec, _STATUS_KEYS)
        body = first(rec, _BODY_KEYS)
        resp_headers = get("response_headers")
        server_ts = header(resp_headers, "Date") if resp_headers else None
    if server_ts is not None and type(server_ts) is not str:
        server_ts = None
    if type(raw_status) is int and 100 <= raw_status <= 599:
        status = raw_status
    else:
        status = status_of(raw_status)
    error = get("error")
    if error is not None and type(error) is not str:
        error = bounded_json(error, 4000)
    if raw_status is None and not error:
        raise Reject("neither a status nor an error")

    items = failed = None
    if body is None:
        kind = NO_BODY
        code = message = None
    elif type(body) is dict:
        code = body.get("code")
        message = body.get("msg") or body.get("message")
        data = body.get("data")
        if (type(code) is int and type(message) is str and type(data) is not list
                and (type(data) is not dict or "results" not in data)):
            kind = CODE
        else:  # no message, or a batch's items
            kind, code, message, items, failed = parse_body(body)
    else:
        kind, code, message, items, failed = parse_body(body)

    latency = first(rec, _MS_KEYS)
    if latency is None:
        latency = get("elapsed")
        if latency is not None:
            latency = latency_of(None, latency)
    if latency is not None and type(latency) is not float:
        latency = latency_of(latency, None)

    market = get("market")
    if market is not None and type(market) is not str:
        market = None
    symbol = get("symbol")
    if symbol is not None and type(symbol) is not str:
        symbol = None
    if symbol is None:
        params = get("params")
        if params is not None:
            symbol = symbol_of(params)
    client_ts = None
    rparams = rbody = None
    bot = get("bot")
    if bot is not None and type(bot) is not str:
        bot = None
    key = get("key_id")
    if key is not None and type(key) is not str:
        key = None
    if type(req) is dict:
        rparams, rbody = req.get("params"), req.get("body")
        if symbol is None:
            params = req.get("params")
            if params is not None:
                symbol = symbol_of(params)
            if symbol is None:
                rbody = req.get("body")
                if type(rbody) is dict:
                    symbol = rbody.get("symbol")
                    if type(symbol) is not str or not symbol:
                        symbol = None
                elif rbody is not None:
                    symbol = symbol_of(rbody)
        headers = req.get("headers")
        if headers:
            client_ts = headers.get("ACCESS-TIMESTAMP") if type(headers) is dict else None
            if client_ts is None:
                client_ts = header(headers, "ACCESS-TIMESTAMP")
            if client_ts is not None:
                if type(client_ts) is str and client_ts.isascii() and client_ts.isdigit() and len(client_ts) < 19:
                    client_ts = int(client_ts)  # the common case, quickly
                else:
                    client_ts = as_int(client_ts)
            if key is None:
                key = header(headers, "ACCESS-KEY")  # a list of values (Caddy, vcrpy): the first
                if type(key) is not str:
                    key = None

    if code is not None and not _INT64[0] <= code < _INT64[1]:
        kind, code = NO_CODE, None
    if client_ts is not None and not _INT64[0] <= client_ts < _INT64[1]:
        client_ts = None
    order = order_fields(rparams, rbody, None if body is None else answer_data(body), get("params")) \
        if names_orders(url) else NO_ORDER
    return (line, ts_str, ts_int, method, url, status, kind, code, message, error,
            latency, market, symbol, client_ts, server_ts, items, failed, bot, key, *order)


_BLANK = object()
_BOM = b"\xef\xbb\xbf"


def _int(text: str):
    """An integer of JSON text; one of more digits than Python converts (4,300) as the float it rounds to."""
    return int(text) if len(text) < 4000 else float(text)


def _no_constant(name: str):
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _lenient(raw: bytes, exc: orjson.JSONDecodeError) -> tuple:
    """(value, None) for a line orjson refused but that holds JSON after all, (None, why) when it does not;
    ``_BLANK`` as value when it holds only BOMs and whitespace.

    Read on: BOMs at the start of the line (files joined with ``cat``), invalid
    UTF-8 bytes (as replacement characters), escaped lone surrogates (as U+FFFD)
    and numbers beyond a double's range (``1e400`` as infinity, as Python reads it).
    ``NaN`` and ``Infinity``, which are not JSON, stay refused.
    """
    if not raw.replace(_BOM, b"").strip():  # blank: ASCII whitespace and BOMs only
        return _BLANK, None
    text = raw.strip()
    while text.startswith(_BOM):
        text = text[3:].lstrip()
    decoded = text.decode("utf-8", "replace")
    for attempt in (text, decoded):
        try:
            return orjson.loads(attempt), None
        except orjson.JSONDecodeError as err:
            exc = err
    try:  # legal JSON that orjson refuses: an escaped lone surrogate, a number beyond a double's range
        return clean_data(json.loads(decoded, parse_int=_int, parse_constant=_no_constant)), None
    except (ValueError, RecursionError):
        pass
    if text[:1] in (b"{", b"["):
        return None, f"invalid JSON ({str(exc).split(':')[0]})"
    return None, "invalid JSON (not a JSON value)"


def _read_line(raw: bytes, line: int, out: Chunk, fields, append) -> None:
    """Read one line the general way: a row appended, a reject, a blank or a skip counted."""
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        rec, why = _lenient(raw, exc)
        if rec is _BLANK:
            out.blank += 1
            return
        if why is not None:
            out.reject(line, why, raw)
            return
    if type(rec) is not dict:
        name = "null" if rec is None else type(rec).__name__
        name = {"list": "an array", "str": "a string", "int": "a number",
                "float": "a number", "bool": "a boolean"}.get(name, name)
        out.reject(line, f"not a JSON object ({name})", raw)
        return
    if "ws" in rec:
        got = recorded_row(rec, line)
        if type(got) is str:
            out.reject(line, got, raw)
        else:
            out.ws_rows.append(got)
        return
    if fields is not None or "logger" in rec or "DownstreamStatus" in rec or "RequestPath" in rec:
        rec = adapt(rec, fields)
    try:
        row = record(rec, line)
    except Reject as exc:
        row = message_row(rec, line) if str(exc) == "missing URL" else None
        if row is None:
            out.reject(line, str(exc), raw)
        elif row is SKIP:
            out.skip("not an API call")
        else:
            append(row)
        return
    message, error = row[MESSAGE], row[ERROR]
    if message is not None:
        echo = _ECHO.get(message)
        if echo is None:
            echo = may_echo(message)
    else:
        echo = False
    if (echo or (error is not None and may_echo(error))) and mentions_secret(raw):  # a key echoed back
        row = mask_seen(row, rec)
    append(row)


def _parse_lines(data: bytes, first_line: int, out: Chunk, fields=None) -> Batch:
    """The rows of the lines of ``data`` (numbered from ``first_line``); rejects, blanks and skips go to
    ``out``, whose ``size`` becomes the number of lines.

    Lines of the common shapes are decoded by :mod:`._fastjsonl`; the others,
    and every line when a ``fields=`` mapping is given, by :func:`_read_line`.
    """
    starts, ends = bounds = fast.line_bounds(data)
    out.size = len(starts)
    batch = Batch(lambda n: data[starts[n - first_line]:ends[n - first_line]])
    append = batch.rows.append
    if fields is None and fast.ENABLED:
        general = lambda raw, line: _read_line(raw, line, out, None, append)  # noqa: E731
        no_time = lambda raw, line: out.reject(line, "missing time", raw)  # noqa: E731
        if b'"ws"' in data:  # the recorder's WebSocket lines: many decoded at once, long runs of them not as calls
            ws = RecordedLines(out, batch.rows, general)
            for a, b, recorded in ws.runs(data, starts):
                if recorded:
                    ws.read(data, starts[a:b], ends[a:b], first_line + a)
                else:
                    fast.read(data, (starts[a:b], ends[a:b]), first_line + a, append, ws, no_time)
            ws.flush()
        else:
            fast.read(data, bounds, first_line, append, general, no_time)
    else:
        line = first_line
        for block_starts, block_ends in fast.blocks(bounds):
            for a, b in zip(block_starts, block_ends):
                _read_line(data[a:b], line, out, fields, append)
                line += 1
    return batch


def parse_chunk(data: bytes, source: str, options: Options) -> Chunk:
    """Parse bytes of whole JSON Lines; line numbers count from 1 within ``data``."""
    out = Chunk()
    out.add(_parse_lines(data, 1, out, options.fields), source, options.rules)
    if out.ws_rows:
        rows = WsRows(source)
        rows.add_all(out.ws_rows)
        out.add_ws(ws_frame(rows, source, options.rules), len(out.ws_rows))
        out.ws_rows = []
    return out


class JsonLinesReader(LineReader):
    """Reads JSON Lines in chunks of whole lines, several processes at once for big files."""

    name = "jsonl"
    title = "JSON Lines"
    suffixes = (".jsonl", ".ndjson", ".json")
    rank = 10
    options = {"fields": check_fields}
    parse_chunk = staticmethod(parse_chunk)

    @staticmethod
    def sniff(lines: list[bytes], options: dict | None = None) -> float:
        """Share of sample lines that are JSON objects."""
        hits = 0
        for raw in lines:
            s = raw.strip()
            if s.startswith(b"{") and s.endswith(b"}"):
                hits += 1
        return hits / len(lines) if lines else 0.0


register_reader(JsonLinesReader())

__all__ = ["JsonLinesReader", "parse_chunk", "record"]
