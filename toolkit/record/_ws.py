"""The one core of WebSocket recording: what a frame or a connection event becomes as a JSON line.

Every WebSocket adapter (:mod:`._aiohttp_ws` for ``aiohttp``'s ``ws_connect``, :mod:`._websockets` for the
``websockets`` library's client) hands its frames and events to one :class:`WsRecorder`, which writes them
through the file's one :class:`~._writer.Writer` (the REST recorder's: flushed at once, rotated, shared by
every client recording to the file), one line each::

    {"ts": "2026-03-02T08:15:02.417000Z", "ws": "received", "connection": "ws-3f9a1c-1",
     "url": "wss://.../api/v1/spot/ws", "market": "spot", "bot": "spot-mm", "data": "{\\"action\\":...}", "size": 152}
    {"ts": ..., "ws": "sent", ..., "opcode": 9, "size": 4}                       # a protocol ping (10: pong)
    {"ts": ..., "ws": "received", ..., "opcode": 8, "code": 1012, "reason": ""}  # a close frame
    {"ts": ..., "ws": "event", "event": "open", ...}
    {"ts": ..., "ws": "event", "event": "close", ..., "code": 1006}
    {"ts": ..., "ws": "event", "event": "handshake_failed", ..., "status": 502, "error": "InvalidStatus: ..."}

:func:`toolkit.read_logs` reads these lines into :attr:`toolkit.Load.websocket`. Secrets never reach the file:
the URL's query secrets, userinfo and fragment are masked (:func:`toolkit.secrets.redact_url`), and a frame
that mentions a secret word has its secret fields masked (a login frame's ``apiKey`` and ``signature``).
"""

from __future__ import annotations

import itertools
import os
import time

import orjson

from ..secrets import mentions_secret, redact, redact_data, redact_url
from ._core import Recorder, Settings, _iso

_now = time.time
_IDS = itertools.count(1)
_PREFIX = f"ws-{os.getpid():x}{os.urandom(2).hex()}"


class WsRecorder:
    """Writes one client's WebSocket frames and events, through the writer of its file."""

    def __init__(self, recorder: Recorder):
        self.rec = recorder
        self.writer = recorder.writer

    @classmethod
    def open(cls, settings: Settings) -> WsRecorder:
        """A recorder writing to ``settings.path`` (through the one writer of that file)."""
        return cls(Recorder.open(settings))

    @staticmethod
    def new_connection() -> str:
        """An id for a connection attempt, unique across processes and runs (its process, a random part, a count)."""
        return f"{_PREFIX}-{next(_IDS)}"

    def release(self):
        self.rec.release()

    def _write(self, line: dict, when: float) -> None:
        try:
            data = orjson.dumps(line)
        except (orjson.JSONEncodeError, TypeError) as err:
            self.writer.failed(f"could not build the record of a WebSocket frame ({type(err).__name__})")
            return
        self.writer.write(data + b"\n", when)

    def _base(self, when: float, way: str, conn: str, url: str) -> dict:
        url = redact_url(str(url).split("#", 1)[0])
        line = {"ts": _iso(when), "ws": way, "connection": conn, "url": url}
        market = self.rec.market or self.rec._market_of(url)
        if market:
            line["market"] = market
        if self.rec.bot is not None:
            line["bot"] = self.rec.bot
        return line

    def frame(self, conn: str, url: str, direction: str, opcode: int, data, *, code=None, reason=None) -> None:
        """A frame sent or received: text (opcode 1) is written whole, masked; others by their size (close frames
        with their code and reason)."""
        when = _now()
        line = self._base(when, direction, conn, url)
        size = len(data) if data is not None else 0
        if opcode == 1:
            text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray, memoryview)) else data
            if isinstance(data, str):
                size = len(data.encode("utf-8", "replace"))
            line["data"] = _masked(text)
        else:
            line["opcode"] = opcode
            if opcode == 8:
                line["code"] = code
                line["reason"] = redact(reason or "")
        line["size"] = size
        self._write(line, when)

    def event(self, conn: str, url: str, kind: str, *, code=None, status=None, reason=None, error=None) -> None:
        """A connection event: ``open``, ``close`` (with its code), ``handshake_failed`` (status), ``error``."""
        when = _now()
        line = self._base(when, "event", conn, url)
        line["event"] = kind
        if code is not None:
            line["code"] = int(code)
        if reason:
            line["reason"] = redact(str(reason))
        if status is not None:
            line["status"] = int(status)
        if error is not None:
            line["error"] = redact(f"{type(error).__name__}: {error}")
        self._write(line, when)


def _masked(text: str) -> str:
    """A frame's text with its secrets masked (only when it mentions a secret word: most frames do not)."""
    if not mentions_secret(text):
        return text
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return redact(text)
    return orjson.dumps(redact_data(data)[0]).decode()


__all__ = ["WsRecorder"]
