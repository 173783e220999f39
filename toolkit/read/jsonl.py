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

Nested form, as gateways and proxies write it::

    {"time": ..., "request": {"method", "url", "headers"},
     "response": {"status", "headers", "body"}, "duration_ms": ...}

Caddy and Traefik access logs, and any layout a ``fields=`` mapping names,
are brought to the flat form first (:mod:`.access`). A structured logger's
record with a time and a message but no URL (freqtrade's JSON log, go-zero)
has its message read as a bot's log line (:mod:`.botlogs`): a row when it
names a call, else a counted skip.
"""

from __future__ import annotations

import orjson

from ._fields import _METHODS, Reject, first, header, latency_of, method_of, status_of, symbol_of
from ._frame import _INT64, CODE, NO_BODY, NO_CODE, Batch, as_int, parse_body
from ._source import Chunk, LineReader
from .access import adapt
from .botlogs import SKIP, message_row

_TIME_KEYS = ("ts", "timestamp", "time", "@timestamp")
_URL_KEYS = ("url", "uri", "path")
_STATUS_KEYS = ("status", "status_code", "http_status")
_BODY_KEYS = ("response", "body", "response_body")
_MS_KEYS = ("elapsed_ms", "latency_ms", "duration_ms")


def record(rec: dict, line: int) -> tuple:
    """Extract one JSON record as a :class:`Batch` row; raise :class:`Reject` when it cannot be one.

    Written for speed: the common keys are tried first with plain ``dict.get``.
    """
    get = rec.get
    req = get("request")
    resp = get("response")
    nested = type(req) is dict and ("url" in req or "method" in req or "uri" in req)

    ts = get("ts")
    if ts is None:
        ts = get("timestamp")
        if ts is None:
            ts = get("time")
            if ts is None:
                ts = get("@timestamp")
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
    url = src.get("url")
    if url is None:
        url = src.get("uri")
        if url is None:
            url = src.get("path")
            if url is None:
                raise Reject("missing URL")
    if type(url) is not str:
        raise Reject(f"URL is not a string: {type(url).__name__}")
    method = src.get("method")
    if method is not None and method not in _METHODS:
        method = method_of(method)

    if type(resp) is dict and ("status" in resp or "status_code" in resp):
        raw_status = resp.get("status")
        if raw_status is None:
            raw_status = resp.get("status_code")
        body = resp.get("body")
        if body is None:
            body = first(resp, ("response_body", "content", "text"))
        resp_headers = resp.get("headers")
        if type(resp_headers) is dict:
            server_ts = resp_headers.get("Date")
            if server_ts is None:
                server_ts = header(resp_headers, "Date")
        else:
            server_ts = header(resp_headers, "Date") if resp_headers else None
    else:
        raw_status = get("status")
        if raw_status is None:
            raw_status = get("status_code")
            if raw_status is None:
                raw_status = get("http_status")
        body = resp
        if body is None:
            body = get("body")
            if body is None:
                body = get("response_body")
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
        error = orjson.dumps(error, default=str).decode()
    if raw_status is None and not error:
        raise Reject("neither a status nor an error")

    if body is None:
        kind = NO_BODY
        code = message = None
    elif type(body) is dict:
        code = body.get("code")
        message = body.get("msg") or body.get("message")
        if type(code) is int and (message is None or type(message) is str):
            kind = CODE
        else:
            kind, code, message = parse_body(body)
    else:
        kind, code, message = parse_body(body)

    latency = get("elapsed_ms")
    if latency is None:
        latency = get("latency_ms")
        if latency is None:
            latency = get("duration_ms")
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
    if type(req) is dict:
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
                client_ts = int(client_ts) if type(client_ts) is str and client_ts.isdigit() else as_int(client_ts)

    if code is not None and not _INT64[0] <= code < _INT64[1]:
        kind, code = NO_CODE, None
    if client_ts is not None and not _INT64[0] <= client_ts < _INT64[1]:
        client_ts = None
    return (line, ts_str, ts_int, method, url, status, kind, code, message, error,
            latency, market, symbol, client_ts, server_ts)


def _parse_lines(lines: list[bytes], first_line: int, out: Chunk, fields=None) -> Batch:
    loads = orjson.loads
    JSONDecodeError = orjson.JSONDecodeError
    reject = out.reject
    batch = Batch(lambda n: lines[n - first_line])
    append = batch.rows.append
    line = first_line - 1
    for raw in lines:
        line += 1
        try:
            rec = loads(raw)
        except JSONDecodeError:
            if not raw.strip():
                out.blank += 1
                continue
            try:  # invalid UTF-8 bytes: keep the record, with replacement characters
                rec = loads(raw.decode("utf-8", "replace"))
            except JSONDecodeError as exc:
                if raw.lstrip()[:1] in (b"{", b"["):
                    reject(line, f"invalid JSON ({str(exc).split(':')[0]})", raw)
                else:
                    reject(line, "invalid JSON (not a JSON value)", raw)
                continue
        if type(rec) is not dict:
            name = "null" if rec is None else type(rec).__name__
            name = {"list": "an array", "str": "a string", "int": "a number",
                    "float": "a number", "bool": "a boolean"}.get(name, name)
            reject(line, f"not a JSON object ({name})", raw)
            continue
        if fields is not None or "logger" in rec or "DownstreamStatus" in rec or "RequestPath" in rec:
            rec = adapt(rec, fields)
        try:
            append(record(rec, line))
        except Reject as exc:
            row = message_row(rec, line) if str(exc) == "missing URL" else None
            if row is None:
                reject(line, str(exc), raw)
            elif row is SKIP:
                out.skip("not an API call")
            else:
                append(row)
    return batch


def parse_chunk(data: bytes, source: str, options: dict) -> Chunk:
    """Parse bytes of whole JSON Lines; line numbers count from 1 within ``data``."""
    out = Chunk()
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    out.size = len(lines)
    out.add(_parse_lines(lines, 1, out, options.get("fields")), source, options["rules"])
    return out


class JsonLinesReader(LineReader):
    """Reads JSON Lines in chunks of whole lines, several processes at once for big files."""

    name = "jsonl"
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
