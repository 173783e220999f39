"""Recording an ``aiohttp.ClientSession``.

A trace config times each request and copies the request body as it is sent, and the session's response
class copies the body when it is read (``await resp.json()``, ``text()``, ``read()``); a response released
without being read (or streamed from ``resp.content``) is recorded without its body, when it is released.
The session's WebSockets (``ws_connect``) are recorded to the same file by :mod:`._aiohttp_ws`.
"""

from __future__ import annotations

from . import _aiohttp_ws
from ._core import Recorder, Settings, decoded, elapsed_ms, start
from ._ws import WsRecorder


def attach(session, settings: Settings):
    """Record ``session`` (an ``aiohttp.ClientSession``) with ``settings``, checked already."""
    import aiohttp

    recorder = Recorder.open(settings)
    trace = aiohttp.TraceConfig()

    async def on_start(_session, ctx, params):
        ctx.toolkit = [*start(), []]

    async def on_chunk(_session, ctx, params):
        if getattr(ctx, "toolkit", None) is not None:
            ctx.toolkit[2].append(params.chunk)

    async def on_end(_session, ctx, params):
        if getattr(ctx, "toolkit", None) is not None:
            params.response._toolkit_call = (recorder, *ctx.toolkit)

    async def on_exception(_session, ctx, params):
        started, clock, sent = getattr(ctx, "toolkit", None) or (*start(), [])
        recorder.record(params.method, str(params.url), params.headers, b"".join(sent) or None, started,
                        elapsed_ms(clock), None, None, None, params.exception)

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

    _aiohttp_ws.attach(session, WsRecorder(recorder))  # and its WebSockets (ws_connect), to the same file
    object.__setattr__(session, "close", recording_close)
    object.__setattr__(session, "_toolkit_recorder", recorder)
    return session


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
        content = None if body is None else decoded(body, None)  # aiohttp hands over decoded bodies
        recorder.record(info.method, str(info.real_url), info.headers, b"".join(sent) or None, started,
                        elapsed_ms(clock), None if exc is not None else self.status,
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
