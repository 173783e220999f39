"""Recording an ``httpx.Client`` or ``httpx.AsyncClient``: its transports (and mounted ones) are wrapped.

The response body is copied as the caller reads it, so ``client.stream(...)`` still streams; the line is
written when the response is closed (for ``client.get`` that is before it returns).
"""

from __future__ import annotations

from ._core import Recorder, Settings, decoded, elapsed_ms, start

#: Response bodies kept for the record, at most (bytes); the recorder cuts them further to ``max_body``.
CAPTURE = 16 << 20


def attach(client, settings: Settings):
    """Record ``client`` (an ``httpx.Client`` or ``AsyncClient``) with ``settings``, checked already."""
    import httpx

    recorder = Recorder.open(settings)
    wrap = _SyncTransport if isinstance(client, httpx.Client) else _AsyncTransport
    client._transport = wrap(client._transport, recorder)
    client._mounts = {pattern: (None if t is None else wrap(t, recorder, owner=False))
                      for pattern, t in client._mounts.items()}
    object.__setattr__(client, "_toolkit_recorder", recorder)
    return client


class _Call:
    """One httpx exchange under way: the request's parts, its clock and the body read so far."""

    __slots__ = ("recorder", "request", "started", "clock", "status", "headers", "chunks", "size", "done")

    def __init__(self, recorder, request):
        self.recorder = recorder
        self.request = request
        self.started, self.clock = start()
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
            content = decoded(b"".join(self.chunks), self.headers.get("Content-Encoding"))
        self.recorder.record(req.method, str(req.url), _raw(req.headers), body or None, self.started,
                             elapsed_ms(self.clock),
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
