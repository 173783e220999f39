"""Recording the ``websockets`` library's client (``websockets.asyncio.client``, 13 and later).

:func:`toolkit.record.connect` is ``websockets.connect`` with a recording connection class
(``create_connection=``): the sans-I/O protocol's ``send_frame`` and ``recv_frame`` pass every frame through
the recorder as it goes (keepalive pings and pongs and close frames too), the handshake writes ``open`` or
``handshake_failed`` (with the HTTP status of a refused upgrade), and ``connection_lost`` writes ``close``
with the protocol's close code (1006 when no close frame came). A connection that cannot be made at all is a
``handshake_failed`` line too. It works the same awaited, in ``async with`` and in the reconnecting
``async for``.
"""

from __future__ import annotations

from ._ws import WsRecorder


def connect(url, recorder: WsRecorder, **kwargs):
    """``websockets.asyncio.client.connect(url, **kwargs)``, recorded by ``recorder``."""
    from websockets.asyncio.client import ClientConnection
    from websockets.asyncio.client import connect as base_connect

    connection = kwargs.pop("create_connection", None) or ClientConnection
    recording = type("Recording" + connection.__name__, (_RecordingConnection, connection),
                     {"_toolkit": recorder, "_toolkit_url": url})

    class RecordingConnect(base_connect):
        async def connect(self):
            try:
                return await super().connect()
            except Exception as exc:
                if not getattr(exc, "_toolkit_recorded", False):
                    recorder.event(recorder.new_connection(), url, "handshake_failed", error=exc)
                raise

    return RecordingConnect(url, create_connection=recording, **kwargs)


class _RecordingConnection:
    """Mixed into the client's connection class."""

    _toolkit: WsRecorder
    _toolkit_url = ""

    def __init__(self, protocol, *args, **kwargs):
        super().__init__(protocol, *args, **kwargs)
        self._toolkit_id = self._toolkit.new_connection()
        self._toolkit_open = False
        send = protocol.send_frame

        def send_frame(frame):
            self._toolkit_frame("sent", frame)
            send(frame)

        protocol.send_frame = send_frame
        recv = protocol.recv_frame

        def recv_frame(frame):  # before the protocol answers it (a close frame is echoed at once)
            self._toolkit_frame("received", frame)
            recv(frame)

        protocol.recv_frame = recv_frame

    def _toolkit_frame(self, direction, frame):
        try:
            opcode = int(frame.opcode.value)
            code = reason = None
            if opcode == 8:
                from websockets.frames import Close

                close = Close.parse(frame.data) if frame.data else None
                code, reason = (close.code, close.reason) if close else (1005, "")
            self._toolkit.frame(self._toolkit_id, self._toolkit_url, direction, opcode, bytes(frame.data),
                                code=code, reason=reason)
        except Exception as err:  # a frame that cannot be recorded never breaks the socket
            self._toolkit.writer.failed(f"could not record a WebSocket frame ({type(err).__name__})")

    async def handshake(self, *args, **kwargs):
        try:
            await super().handshake(*args, **kwargs)
        except Exception as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            self._toolkit.event(self._toolkit_id, self._toolkit_url, "handshake_failed", status=status, error=exc)
            exc._toolkit_recorded = True
            raise
        self._toolkit_open = True
        self._toolkit.event(self._toolkit_id, self._toolkit_url, "open")

    def connection_lost(self, exc):
        super().connection_lost(exc)
        if self._toolkit_open:
            self._toolkit_open = False
            p = self.protocol
            self._toolkit.event(self._toolkit_id, self._toolkit_url, "close", code=p.close_code or 1006,
                                reason=p.close_reason, error=exc)
