"""Recording an ``aiohttp.ClientSession``'s WebSockets (``session.ws_connect``).

The session's WebSocket response class is replaced by one whose frame reader and writer pass every frame
through the recorder (text and binary frames, pings, pongs, close frames, either way, as they go), which
writes ``open`` when the upgrade succeeds and ``close`` (with the close code) once the socket is closed;
``ws_connect`` itself records a refused upgrade (``handshake_failed`` with its HTTP status) or a connection
that could not be made, and lets the exception reach the caller unchanged.
"""

from __future__ import annotations

from ._ws import WsRecorder


def attach(session, recorder: WsRecorder) -> None:
    """Record the WebSockets ``session`` (an ``aiohttp.ClientSession``) opens."""
    import aiohttp

    base = session._ws_response_class
    session._ws_response_class = type("Recording" + base.__name__, (_RecordingWebSocket, base),
                                      {"_toolkit": recorder, "_toolkit_types": aiohttp.WSMsgType})
    connect = session._ws_connect

    async def recording_ws_connect(url, *args, **kwargs):
        try:
            return await connect(url, *args, **kwargs)
        except aiohttp.WSServerHandshakeError as exc:
            recorder.event(recorder.new_connection(), str(url), "handshake_failed", status=exc.status, error=exc)
            raise
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            recorder.event(recorder.new_connection(), str(url), "handshake_failed", error=exc)
            raise

    object.__setattr__(session, "_ws_connect", recording_ws_connect)


class _Frames:
    """The socket's frame reader or writer, seen through: each frame recorded as it passes."""

    def __init__(self, inner, ws):
        self._inner = inner
        self._ws = ws

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def read(self):  # the reader
        try:
            msg = await self._inner.read()
        except Exception as exc:
            if type(exc).__name__ == "EofStream":  # the peer went without a close frame
                self._ws._toolkit_eof = True
            raise
        self._ws._toolkit_received(msg)
        return msg

    async def send_frame(self, message, opcode, compress=None):  # the writer
        self._ws._toolkit_frame("sent", int(opcode), message)
        return await self._inner.send_frame(message, opcode, compress)

    async def close(self, code=1000, message=b""):
        if self._ws._toolkit_eof:  # aiohttp's reflex to a lost connection, on a dead socket: not a close by the bot
            return await self._inner.close(code, message)
        reason = message.decode("utf-8", "replace") if isinstance(message, (bytes, bytearray)) else str(message)
        self._ws._toolkit_frame("sent", 8, b"", code=int(code), reason=reason)
        return await self._inner.close(code, message)


class _RecordingWebSocket:
    """Mixed into the session's WebSocket response class."""

    _toolkit: WsRecorder
    _toolkit_types = None
    _toolkit_eof = False

    def __init__(self, reader, writer, *args, **kwargs):
        super().__init__(_Frames(reader, self), _Frames(writer, self), *args, **kwargs)
        self._toolkit_id = self._toolkit.new_connection()
        self._toolkit_url = str(self._response.url)
        self._toolkit_done = False
        self._toolkit.event(self._toolkit_id, self._toolkit_url, "open")

    def _toolkit_frame(self, direction, opcode, data, code=None, reason=None):
        try:
            self._toolkit.frame(self._toolkit_id, self._toolkit_url, direction, opcode, data, code=code,
                                reason=reason)
        except Exception as err:  # a frame that cannot be recorded never breaks the socket
            self._toolkit.writer.failed(f"could not record a WebSocket frame ({type(err).__name__})")

    def _toolkit_received(self, msg):
        t = self._toolkit_types
        kind = msg.type
        if kind is t.TEXT:
            self._toolkit_frame("received", 1, msg.data)
        elif kind is t.BINARY:
            self._toolkit_frame("received", 2, msg.data)
        elif kind is t.PING or kind is t.PONG:
            self._toolkit_frame("received", 9 if kind is t.PING else 10, msg.data)
        elif kind is t.CLOSE:
            self._toolkit_frame("received", 8, b"", code=msg.data, reason=msg.extra)

    def _toolkit_closed(self):
        if self._closed and not self._toolkit_done:
            self._toolkit_done = True
            exc = self.exception()
            self._toolkit.event(self._toolkit_id, self._toolkit_url, "close", code=self.close_code or 1006,
                                error=exc)

    async def receive(self, timeout=None):
        try:
            return await super().receive(timeout)
        finally:
            self._toolkit_closed()

    async def close(self, *, code=1000, message=b""):
        try:
            return await super().close(code=code, message=message)
        finally:
            self._toolkit_closed()
