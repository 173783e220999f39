"""Recording for the clients other than ``requests``: httpx (sync and async), aiohttp and ccxt.

:func:`toolkit.attach_recorder` hands these here; every adapter writes the
same JSON line through the same recorder (masking, flush per call,
rotation) as the ``requests`` one:

- ``httpx.Client`` / ``httpx.AsyncClient``: its transports (and mounted
  ones) are wrapped. The response body is copied as the caller reads it, so
  ``client.stream(...)`` still streams; the line is written when the
  response is closed (for ``client.get`` that is before it returns).
- ``aiohttp.ClientSession``: a trace config times each request and copies
  the request body as it is sent, and the session's response class copies
  the body when it is read (``await resp.json()``, ``text()``, ``read()``);
  a response released without being read (or streamed from
  ``resp.content``) is recorded without its body, when it is released.
- a ccxt exchange: its HTTP session is recorded (``requests.Session`` for
  ``ccxt``; for ``ccxt.async_support`` the ``aiohttp.ClientSession`` it
  creates in ``open()``, now or whenever it creates a new one).

Failures (timeouts, refused connections, DNS errors, bodies cut short) are
recorded with ``"status": null`` and the exception's text, and reach the
caller unchanged. Every adapter is safe under many threads or tasks: the
only shared state is the file writer, which has its own lock.
"""

from __future__ import annotations

import time
import zlib

from . import classify
from .record import MAX_BODY, _now, _Recorder, _Writer

#: Response bodies kept for the record, at most (bytes); the recorder cuts them further to ``max_body``.
CAPTURE = 16 << 20


def attach_other(client, path, *, max_bytes=None, rotate=None, market=None, market_rules=None,
                 max_body=MAX_BODY):
    """Record an httpx client, an aiohttp session or a ccxt exchange; see :func:`toolkit.attach_recorder`."""
    kind = _kind(client)
    if kind is None:
        raise TypeError("session must be a requests.Session, an httpx.Client or AsyncClient, an aiohttp.ClientSession "
                        f"or a ccxt exchange, not {type(client).__name__}")
    if getattr(client, "_toolkit_recorder", None) is not None:
        raise ValueError(f"this client already records to {client._toolkit_recorder.writer.path}")
    if market is not None and market not in ("spot", "futures"):
        raise ValueError(f"market must be 'spot', 'futures' or None, not {market!r}")
    if not isinstance(max_body, int) or max_body < 0:
        raise ValueError(f"max_body must be a non-negative int, not {max_body!r}")
    options = {"max_bytes": max_bytes, "rotate": rotate, "market": market, "market_rules": market_rules,
               "max_body": max_body}
    if kind == "ccxt":
        return _attach_ccxt(client, path, options)
    rules = classify.compile_market_rules(market_rules)
    recorder = _Recorder(_Writer.acquire(path, max_bytes, rotate), market, rules, max_body)
    {"httpx": _attach_httpx, "httpx_async": _attach_httpx, "aiohttp": _attach_aiohttp}[kind](client, recorder)
    object.__setattr__(client, "_toolkit_recorder", recorder)
    return client


def _kind(client) -> str | None:
    mro = type(client).__mro__
    names = {c.__name__ for c in mro}
    modules = {(c.__module__ or "").split(".")[0] for c in mro}
    if "httpx" in modules and hasattr(client, "_transport") and hasattr(client, "_mounts"):
        return "httpx_async" if "AsyncClient" in names else "httpx"
    if "aiohttp" in modules and "ClientSession" in names:
        return "aiohttp"
    if all(hasattr(client, a) for a in ("id", "session", "fetch", "has")):  # ccxt's Exchange
        return "ccxt"
    return None


def _decoded(raw: bytes, encoding) -> bytes | str:
    """A raw (transport-level) body with its gzip / deflate ``Content-Encoding`` undone."""
    enc = (encoding or "").strip().lower()
    if not raw or enc in ("", "identity"):
        return raw
    if enc in ("gzip", "x-gzip", "deflate"):
        for wbits in (47, -zlib.MAX_WBITS):  # gzip or zlib (told by the header), or raw deflate
            try:
                return zlib.decompress(raw, wbits)
            except zlib.error:
                pass
    return f"<{enc[:20]}-encoded body, {len(raw):,} bytes, not recorded>"


# --- httpx -----------------------------------------------------------------------------------------------

def _attach_httpx(client, recorder):
    import httpx

    sync = isinstance(client, httpx.Client)
    wrap = _SyncTransport if sync else _AsyncTransport
    client._transport = wrap(client._transport, recorder)
    client._mounts = {pattern: (None if t is None else wrap(t, recorder, owner=False))
                      for pattern, t in client._mounts.items()}


class _Call:
    """One httpx exchange under way: the request's parts, its clock and the body read so far."""

    __slots__ = ("recorder", "request", "started", "clock", "status", "headers", "chunks", "size", "done")

    def __init__(self, recorder, request):
        self.recorder = recorder
        self.request = request
        self.started = _now()
        self.clock = time.perf_counter()
        self.status = self.headers = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.done = False

    def add(self, chunk: bytes):
        if self.size < CAPTURE:
            self.chunks.append(chunk)
        self.size += len(chunk)

    def finish(self, exc=None, read=True):
        if self.done:
            return
        self.done = True
        req = self.request
        try:
            body = req.content
        except Exception:  # a streamed request body is not kept
            body = None
        content = None
        if exc is None and read and self.status is not None:
            content = _decoded(b"".join(self.chunks), self.headers.get("Content-Encoding"))
        self.recorder.record(req.method, str(req.url), _raw(req.headers), body or None, self.started,
                             (time.perf_counter() - self.clock) * 1000.0,
                             None if exc is not None else self.status,
                             None if exc is not None else _raw(self.headers), content, exc)


def _raw(headers) -> dict:
    """httpx headers as written (its mapping lower-cases names)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.raw}


def _sync_stream(call, inner):
    import httpx

    class _TeeStream(httpx.SyncByteStream):
        def __iter__(self):
            try:
                for chunk in inner:
                    call.add(chunk)
                    yield chunk
            except Exception as exc:
                call.finish(exc)
                raise

        def close(self):
            try:
                inner.close()
            finally:
                call.finish()

    return _TeeStream()


def _async_stream(call, inner):
    import httpx

    class _TeeStream(httpx.AsyncByteStream):
        async def __aiter__(self):
            try:
                async for chunk in inner:
                    call.add(chunk)
                    yield chunk
            except Exception as exc:
                call.finish(exc)
                raise

        async def aclose(self):
            try:
                await inner.aclose()
            finally:
                call.finish()

    return _TeeStream()


class _SyncTransport:
    """An httpx transport that records each exchange made through the one it wraps."""

    def __init__(self, inner, recorder, owner=True):
        self._inner, self._recorder, self._owner = inner, recorder, owner

    def handle_request(self, request):
        call = _Call(self._recorder, request)
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            call.finish(exc)
            raise
        call.status, call.headers = response.status_code, response.headers
        response.stream = _sync_stream(call, response.stream)
        return response

    def close(self):
        try:
            self._inner.close()
        finally:
            if self._owner:
                self._recorder.release()

    def __enter__(self):
        self._inner.__enter__()
        return self

    def __exit__(self, *exc):
        self.close()

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _AsyncTransport(_SyncTransport):
    async def handle_async_request(self, request):
        call = _Call(self._recorder, request)
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            call.finish(exc)
            raise
        call.status, call.headers = response.status_code, response.headers
        response.stream = _async_stream(call, response.stream)
        return response

    async def aclose(self):
        try:
            await self._inner.aclose()
        finally:
            if self._owner:
                self._recorder.release()

    async def __aenter__(self):
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc):
        await self.aclose()


# --- aiohttp ---------------------------------------------------------------------------------------------

def _attach_aiohttp(session, recorder):
    import aiohttp

    trace = aiohttp.TraceConfig()

    async def on_start(_session, ctx, params):
        ctx.toolkit = [_now(), time.perf_counter(), []]

    async def on_chunk(_session, ctx, params):
        if getattr(ctx, "toolkit", None) is not None:
            ctx.toolkit[2].append(params.chunk)

    async def on_end(_session, ctx, params):
        if getattr(ctx, "toolkit", None) is not None:
            params.response._toolkit_call = (recorder, *ctx.toolkit)

    async def on_exception(_session, ctx, params):
        started, clock, sent = getattr(ctx, "toolkit", None) or (_now(), time.perf_counter(), [])
        recorder.record(params.method, str(params.url), params.headers, b"".join(sent) or None, started,
                        (time.perf_counter() - clock) * 1000.0, None, None, None, params.exception)

    trace.on_request_start.append(on_start)
    trace.on_request_chunk_sent.append(on_chunk)
    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    trace.freeze()
    session._trace_configs.append(trace)
    session._response_class = type("Recording" + session._response_class.__name__,
                                   (_RecordingResponse, session._response_class), {})
    close = session.close

    async def recording_close():
        try:
            await close()
        finally:
            recorder.release()

    object.__setattr__(session, "close", recording_close)


class _RecordingResponse:
    """Mixed into the session's response class: records the call when its body is read, or when released."""

    _toolkit_call = None
    _toolkit_reading = False

    def _toolkit_finish(self, body=None, exc=None):
        call, self._toolkit_call = self._toolkit_call, None
        if call is None:
            return
        recorder, started, clock, sent = call
        info = self.request_info
        content = None if body is None else _decoded(body, None)  # aiohttp hands over decoded bodies
        recorder.record(info.method, str(info.real_url), info.headers, b"".join(sent) or None, started,
                        (time.perf_counter() - clock) * 1000.0, None if exc is not None else self.status,
                        None if exc is not None else self.headers, content, exc)

    async def read(self):
        self._toolkit_reading = True
        try:
            body = await super().read()
        except Exception as exc:
            self._toolkit_finish(exc=exc)
            raise
        finally:
            self._toolkit_reading = False
        self._toolkit_finish(body)
        return body

    def release(self):
        if not self._toolkit_reading:
            self._toolkit_finish(self._body)
        return super().release()

    def close(self):
        if not self._toolkit_reading:
            self._toolkit_finish(self._body)
        return super().close()


# --- ccxt ------------------------------------------------------------------------------------------------

def _attach_ccxt(exchange, path, options):
    """Record a ccxt exchange through its HTTP session, now and whenever ``open()`` makes a new one."""
    from .record import attach_recorder

    state = {"session": None}

    def attach_session():
        session = getattr(exchange, "session", None)
        if session is not None and session is not state["session"] and \
                getattr(session, "_toolkit_recorder", None) is None:
            attach_recorder(session, path, **options)
            state["session"] = session

    attach_session()
    if callable(getattr(exchange, "open", None)):  # ccxt.async_support creates its aiohttp session in open()
        opener = exchange.open

        def recording_open(*args, **kwargs):
            result = opener(*args, **kwargs)
            attach_session()
            return result

        exchange.open = recording_open
    exchange._toolkit_recorder = _CcxtHandle(path, state)
    return exchange


class _CcxtHandle:
    """What ``exchange._toolkit_recorder`` holds: the file and the session being recorded."""

    def __init__(self, path, state):
        self._path, self._state = path, state

    @property
    def writer(self):
        session = self._state["session"]
        return session._toolkit_recorder.writer if session is not None else _PathOnly(self._path)


class _PathOnly:
    def __init__(self, path):
        self.path = path


__all__ = ["attach_other"]
