"""The state of a WebSocket client's log read in order (:mod:`.wslogs`): the connection it is on (its id, URL,
how far it got, the close code its frames showed), and the Python reprs its lines quote payloads in.
"""

from __future__ import annotations

import ast
import re

from .._ws import WsRows

_HTTP_IN_TEXT = re.compile(r"\bHTTP (\d{3})\b|^(\d{3}), message=")


class Conn:
    """The connection a log is on: its id, URL, how far it got, and the close code its frames showed."""

    __slots__ = ("id", "url", "opened", "closed", "failed", "code")

    def __init__(self, conn_id, url):
        self.id, self.url = conn_id, url
        self.opened = self.closed = self.failed = False
        self.code = None


class Log:
    """The state of a WebSocket log read in order: the current connection, the pending handshake."""

    def __init__(self, rows: WsRows):
        self.rows = rows
        self.conn: Conn | None = None
        self.path = self.host = None
        self.block = None  # websocket-client's header block being read: "request" or "response"
        self.market = None  # the market the log names, when it names no URL

    def attempt(self, url=None) -> Conn:
        self.conn = Conn(self.rows.connection(), url)
        return self.conn

    def current(self) -> Conn:
        """The connection frames belong to (one begun now, without an open row, when the log starts mid-way)."""
        if self.conn is None or self.conn.closed or self.conn.failed:
            return self.attempt(self._url())
        return self.conn

    def _url(self):
        if self.host is None:
            return None
        return f"wss://{self.host}{self.path or ''}"

    def open(self, line, ts, detail=None):
        c = self.conn
        if c is None or c.opened or c.closed or c.failed:
            c = self.attempt(self._url())
        if c.url is None:
            c.url = self._url()
        c.opened = True
        self.rows.event(line, ts, c.url, c.id, "open", detail=detail)

    def failed(self, line, ts, status=None, detail=None):
        c = self.conn
        if c is None or c.opened or c.closed or c.failed:
            c = self.attempt(self._url())
        c.failed = True
        self.rows.event(line, ts, c.url or self._url(), c.id, "handshake_failed", status=status, detail=detail)

    def close(self, line, ts, code, detail=None) -> bool:
        """A close row for the open connection; False when there is none (already closed, never opened)."""
        c = self.conn
        if c is None or c.closed or not c.opened:
            return False
        c.closed = True
        self.rows.event(line, ts, c.url, c.id, "close", close_code=code, detail=detail)
        return True


def bytes_text(literal: str):
    """The bytes of a ``b'...'`` repr."""
    if "\\" not in literal:
        return literal[2:-1].encode()
    try:
        return ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def str_text(literal: str) -> str | None:
    """The text of a ``'...'`` repr (the websockets log's payload)."""
    if len(literal) >= 2 and literal[0] == literal[-1] and literal[0] in "'\"" and "\\" not in literal:
        return literal[1:-1]
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return literal.strip("'\"")
    return value if isinstance(value, str) else None


def status_in(text: str):
    m = _HTTP_IN_TEXT.search(text)
    return int(m.group(1) or m.group(2)) if m else None


__all__ = ["Conn", "Log", "bytes_text", "status_in", "str_text"]
