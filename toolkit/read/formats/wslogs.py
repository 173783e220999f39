"""Text logs of WebSocket clients (format ``wslog``): their frames and connection events as WebSocket rows.

Four shapes, told line by line (``../shared/reference/websocket-recordings.md`` §4-7 quotes each source):

- the **websockets** library's DEBUG log (``src/websockets/protocol.py``, ``client.py``, ``frames.py``;
  ``%(asctime)s %(message)s`` or any prefix ending in the ``websockets.client`` logger's name):
  ``= connection is OPEN``, ``> GET /path HTTP/1.1`` and ``> Host:``, ``< HTTP/1.1 101 ...``,
  ``> TEXT '...' [n bytes]``, ``< CLOSE 1012 (service restart) [2 bytes]``, ``> PING ...``,
  ``- timed out waiting for keepalive pong``, ``connect failed; reconnecting in 3.1 seconds: ...``.
  Payloads longer than 75 characters are cut in the middle: their kind, and their event time when the tail
  keeps it, are read; their stream only when the head keeps the whole symbol (else NA), never their
  sequence numbers. The URL's scheme is not logged: it is written ``wss://``.
- **websocket-client**'s trace (``websocket/_logging.py``, ``_handshake.py``, ``_abnf.py``, ``_app.py``;
  1.9.x): ``--- request header ---`` blocks, ``Websocket connected``, ``++Sent decoded: fin=1 opcode=1
  data=b'...'``, ``++Rcv decoded: ...``, ``Connection closed (code 1012)`` (up to 1.9.0 the close frame
  itself, ``fin=1 opcode=8 data=b'\\x03\\xf4' - reconnect``), ``Handshake status 502 ...``. The bare trace
  handler writes no time: only lines with a time (an application handler's ``%(asctime)s``) can be rows,
  the others are rejects.
- **ccxt pro** ``verbose=True`` (``python/ccxt/async_support/base/ws/client.py``): ``<ISO time>Z
  connecting to <url>``, ``connected``, ``sending {dict repr}``, ``message <text>``, ``close False
  WSMessage(type=<WSMsgType.CLOSE: 8>, data=1001, ...)``, ``on_close 1001``, ``on_error ...``.
- **hummingbot**'s log (``%(asctime)s - %(process)d - %(name)s - %(levelname)s - %(message)s``):
  ``Subscribed to public order book ... channels...`` (a connection's start), ``The websocket connection
  was closed (... Close code = 1012 msg data: 1012)`` (a close frame came when ``msg data`` repeats the
  code; ``None``: the connection was lost), ``Unexpected error occurred when listening to order book
  streams...``. It logs no frames at all.

A file holding such lines is read here whole, in order (a connection's lines depend on those before them); its
other lines (a bot's REST calls, tracebacks) are read by the ``text`` format, with their own line numbers.
Lines of a connection that carry no row (handshake headers, keepalive notes, teardown) are counted skips.
"""

from __future__ import annotations

import re

from .._ws import WsRows, iso_ns, ws_frame
from ..engine import Chunk, Reader, register_reader, reader
from . import _wsfast
from ._lines import opening_time
from ._wsstate import Log, bytes_text, status_in, str_text

# --- the websockets library -------------------------------------------------------------------------------
_WS_PREFIX = re.compile(r"^.*?\bwebsockets(?:\.\w+)+:?\s+(?:-\s+)?")
_LEVEL = re.compile(r"^(?:DEBUG|INFO|WARNING|ERROR)\s+(?:-\s+)?")
_STATE = re.compile(r"^= connection is (CONNECTING|OPEN|CLOSING|CLOSED)\s*$")
_GET = re.compile(r"^> GET (\S+) HTTP/1\.1\s*$")
_HOST = re.compile(r"^> Host: (\S+)")
_STATUS = re.compile(r"^< HTTP/1\.1 (\d{3})\s*(.*)$")
_HEADER = re.compile(r"^[<>] (?:[\w-]+: |\[body\])")
_TEXT = re.compile(r"^([<>]) TEXT (.*) \[(\d+) bytes\]\s*$")
_BINARY = re.compile(r"^([<>]) (?:BINARY|CONT) .*\[(?:binary, |text, )?(\d+) bytes\]\s*$")
_CLOSE = re.compile(r"^([<>]) CLOSE(?: (\d+) \(([^)]*)\)\s*(.*?))?\s*\[(\d+) bytes\]\s*$")
_CONTROL = re.compile(r"^([<>]) (PING|PONG) .*\[(?:binary, |text, )?(\d+) bytes\]\s*$")
_NOTE = re.compile(r"^(?:% |[<>] EOF\s*$|x (?:half-)?closing TCP connection|! failing connection)")
_PONG_TIMEOUT = re.compile(r"^- timed out waiting for keepalive pong")
_RETRY = re.compile(r"connect failed; reconnecting in [\d.]+ seconds: (.*)$")

# --- websocket-client --------------------------------------------------------------------------------------
_WC_RAW = re.compile(r"\+\+(?:Sent|Rcv) raw: ")
_WC_CLOSED = re.compile(r"Connection closed(?: normally)? \(code (\d+)\)(?:: (.*?))?(?: - (?:reconnect|goodbye))?\s*$")
_WC_OLD_CLOSE = re.compile(r"fin=\d opcode=8 data=(b(['\"]).*\2) - (?:reconnect|goodbye)\s*$")
_WC_HANDSHAKE = re.compile(r"Handshake status (\d{3})\b(.*?)(?: -\+-\+- .*)?(?: - (?:reconnect|goodbye))?\s*$")
_WC_LOST = re.compile(r"Connection to remote host was lost\.")
_WC_FAILED = re.compile(r"^(.+?) - (?:reconnect|goodbye)\s*$")
_WC_NOTES = re.compile(r"reconnect\(\) - retrying|Calling dispatcher reconnect|Sending ping|close status: \d+")

# --- ccxt pro ------------------------------------------------------------------------------------------------
_CX = re.compile(r"^(connecting to (\S+) with timeout|connected\s*$|sending |message |receive loop|ping loop|"
                 r"close (?:True|False) WSMessage|on_close |closing |on_error |ping WSMessage|pong WSMessage|"
                 r"Connection to \S+ timed out due to a ping-pong keepalive)")
_CX_CLOSE = re.compile(r"data=(\d+)")

# --- hummingbot ----------------------------------------------------------------------------------------------
_HB = re.compile(r"^- \d+ - ([\w.]+) - \w+ - (.*)$")
_HB_SUBSCRIBED = re.compile(r"^Subscribed to (?:public )?.*channels")
_HB_CLOSED = re.compile(r"^The websocket connection was closed \((.*)\)\s*$")
_HB_CODE = re.compile(r"Close code = (\d+) msg data: (\S+)")
_HB_ERROR = re.compile(r"^Unexpected error occurred when listening to order book streams")

_ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips
#: Whole messages that are notes of a client's loops, not frames or events (ccxt pro's): skipped at once.
_NOTES = {"receive loop": "connection note", "ping loop": "connection note"}
#: How the websockets library's messages begin (``= connection is``, ``> TEXT``, ``% sent``, ``x closing``, ...).
_WS_FIRST = frozenset(("= ", "< ", "> ", "% ", "x ", "! ", "- "))
_MARKERS = re.compile(r"(?:= connection is |[<>] (?:TEXT|CLOSE|PING|PONG|GET /\S*ws\b)|\+\+(?:Sent|Rcv) decoded|"
                      r"--- request header ---|Websocket connected|connecting to wss?://|on_close \d|"
                      r"The websocket connection was closed|Subscribed to public .*channels)")


def _websockets(msg: str, line, ts, log: Log) -> str | None:
    """One message of the websockets log; returns a skip reason, "" when it made rows, None when not its."""
    rows = log.rows
    if (m := _TEXT.match(msg)) is not None:
        c = log.current()
        shown, size = m.group(2), int(m.group(3))
        text = str_text(shown)
        cut = text is None or ("..." in shown and len(text.encode()) < size)
        rows.frame(line, ts, c.url, c.id, "sent" if m.group(1) == ">" else "received", text or shown, size=size,
                   cut=cut)
        return ""
    if (m := _STATE.match(msg)) is not None:
        state = m.group(1)
        if state == "CONNECTING":
            log.attempt()
            return "connection state"
        if state == "OPEN":
            log.open(line, ts)
            return ""
        if state == "CLOSED":
            c = log.conn
            if c is not None and c.opened and not c.closed:
                log.close(line, ts, c.code if c.code is not None else 1006)
                return ""
        return "connection state"
    if (m := _CONTROL.match(msg)) is not None:
        c = log.current()
        rows.control(line, ts, c.url, c.id, "sent" if m.group(1) == ">" else "received", m.group(2).lower(),
                     size=int(m.group(3)))
        return ""
    if (m := _CLOSE.match(msg)) is not None:
        c = log.current()
        code = int(m.group(2)) if m.group(2) else 1005
        if c.code is None:
            c.code = code
        rows.control(line, ts, c.url, c.id, "sent" if m.group(1) == ">" else "received", "close",
                     size=int(m.group(5)), close_code=code, detail=m.group(4) or None)
        return ""
    if (m := _BINARY.match(msg)) is not None:
        c = log.current()
        rows.control(line, ts, c.url, c.id, "sent" if m.group(1) == ">" else "received", "other",
                     size=int(m.group(2)))
        return ""
    if (m := _GET.match(msg)) is not None:
        if log.conn is None or log.conn.opened or log.conn.failed:
            log.attempt()
        log.path, log.host = m.group(1), None
        return "handshake"
    if (m := _HOST.match(msg)) is not None:
        log.host = m.group(1)
        if log.conn is not None and not log.conn.opened:
            log.conn.url = log._url()
        return "handshake"
    if (m := _STATUS.match(msg)) is not None:
        if m.group(1) != "101":
            log.failed(line, ts, int(m.group(1)), m.group(2) or None)
            return ""
        return "handshake"
    if _HEADER.match(msg):
        return "handshake"
    if _PONG_TIMEOUT.match(msg):
        c = log.current()
        rows.event(line, ts, c.url, c.id, "error", detail="timed out waiting for keepalive pong")
        return ""
    if _NOTE.match(msg):
        return "keepalive or teardown"
    if (m := _RETRY.search(msg)) is not None:
        if log.conn is not None and log.conn.failed:
            return "reconnect note"
        log.failed(line, ts, status_in(m.group(1)), m.group(1))
        return ""
    return None


def _decoded(msg: str, at: int):
    """``(direction, opcode, payload bytes)`` of websocket-client's ``++Sent decoded: fin=1 opcode=1 data=b'...'``
    (``ABNF.__str__``), or None when the line is not one."""
    head = msg[max(0, at - 7):at]
    if not head.endswith(("++Sent ", "++Rcv ")):
        return None
    op = msg.find(" opcode=", at)
    end = msg.find(" data=", op)
    if op < 0 or end < 0 or not msg[op + 8:end].isdigit():
        return None
    literal = msg[end + 6:].rstrip()
    if not (literal[:2] in ("b'", 'b"') and literal[-1:] == literal[1:2]):
        return None
    return ("sent" if head.endswith("++Sent ") else "received"), int(msg[op + 8:end]), bytes_text(literal)


def _websocket_client(msg: str, line, ts, log: Log) -> str | None:
    rows = log.rows
    if "++" in msg and "raw: " in msg and _WC_RAW.search(msg):
        return "raw frame bytes"
    at = msg.find("decoded: fin=")
    if at >= 0 and (m := _decoded(msg, at)) is not None:
        direction, opcode, data = m
        c = log.current()
        if opcode == 1 and data is not None:
            rows.frame(line, ts, c.url, c.id, direction, data)
        elif opcode == 8:
            code = int.from_bytes(data[:2], "big") if data and len(data) >= 2 else 1005
            if c.code is None:
                c.code = code
            rows.control(line, ts, c.url, c.id, direction, "close", size=len(data or b""), close_code=code,
                         detail=(data[2:].decode("utf-8", "replace") or None) if data else None)
        elif opcode in (9, 10):
            rows.control(line, ts, c.url, c.id, direction, "ping" if opcode == 9 else "pong", size=len(data or b""))
        else:
            rows.control(line, ts, c.url, c.id, direction, "other", size=len(data or b""))
        return ""
    if _WC_RAW.search(msg):
        return "raw frame bytes"
    if "--- request header ---" in msg:
        log.block = "request"
        log.attempt()
        log.path = log.host = None
        return "handshake"
    if "--- response header ---" in msg:
        log.block = "response"
        return "handshake"
    if "Websocket connected" in msg:
        log.open(line, ts)
        return ""
    if (m := _WC_CLOSED.search(msg)) is not None:
        return "" if log.close(line, ts, int(m.group(1)), m.group(2)) else "close note"
    if (m := _WC_OLD_CLOSE.search(msg)) is not None:
        data = bytes_text(m.group(1)) or b""
        code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
        return "" if log.close(line, ts, code) else "close note"
    if (m := _WC_HANDSHAKE.search(msg)) is not None:
        log.failed(line, ts, int(m.group(1)), m.group(2).strip() or None)
        return ""
    if _WC_LOST.search(msg):
        c = log.conn
        if c is not None and c.opened and not c.closed:
            log.close(line, ts, c.code if c.code is not None else 1006, "connection to remote host was lost")
            return ""
        return "close note"
    if _WC_NOTES.search(msg):
        return "reconnect note"
    if (m := _WC_FAILED.match(msg)) is not None and log.conn is not None:
        c = log.conn
        if not c.opened and not c.failed:
            log.failed(line, ts, status_in(m.group(1)), m.group(1))
        elif c.opened and not c.closed:
            rows.event(line, ts, c.url, c.id, "error", detail=m.group(1))
            log.close(line, ts, c.code if c.code is not None else 1006, m.group(1))
        else:
            return "reconnect note"
        return ""
    return None


def _ccxt(msg: str, line, ts, log: Log) -> str | None:
    m = _CX.match(msg)
    if m is None:
        return None
    rows = log.rows
    word = m.group(1)
    if word.startswith("connecting to"):
        log.attempt(m.group(2))
        return "connection note"
    if word.startswith("connected"):
        log.open(line, ts)
        return ""
    if word in ("receive loop", "ping loop", "closing "):
        return "connection note"
    c = log.current()
    rest = msg[len(word):]
    if word == "sending ":
        rows.frame(line, ts, c.url, c.id, "sent", _wsfast.sent_payload(rest))
    elif word == "message ":
        rows.frame(line, ts, c.url, c.id, "received", rest)
    elif word.startswith("close "):
        code = _CX_CLOSE.search(msg)
        code = int(code.group(1)) if code else 1005
        if c.code is None:
            c.code = code
        rows.control(line, ts, c.url, c.id, "received", "close", close_code=code)
    elif word == "on_close ":
        code = int(rest.split()[0]) if rest.split() and rest.split()[0].isdigit() else None
        return "" if log.close(line, ts, code) else "close note"
    elif word == "on_error ":
        if not c.opened and not c.failed:
            log.failed(line, ts, status_in(rest), rest)
        else:
            rows.event(line, ts, c.url, c.id, "error", detail=rest)
    elif word.startswith(("ping", "pong")):
        rows.control(line, ts, c.url, c.id, "received", word[:4])
    else:  # the keepalive timeout
        rows.event(line, ts, c.url, c.id, "error", detail=msg)
    return ""


def _hummingbot(msg: str, line, ts, log: Log) -> str | None:
    if _HB_SUBSCRIBED.match(msg):
        log.attempt()
        log.open(line, ts, detail=msg)
        return ""
    if (m := _HB_CLOSED.match(msg)) is not None:
        code = _HB_CODE.search(m.group(1))
        c = log.current()
        if not c.opened:
            c.opened = True
        if code is not None and code.group(2).isdigit():  # a close frame came: msg data repeats its code
            log.rows.control(line, ts, c.url, c.id, "received", "close", close_code=int(code.group(2)))
        log.close(line, ts, int(code.group(1)) if code else None, m.group(1))
        return ""
    if _HB_ERROR.match(msg):  # listening failed: on an open connection an error, else a failed attempt
        c = log.conn
        if c is not None and c.opened and not c.closed:
            log.rows.event(line, ts, c.url, c.id, "error", detail=msg)
        else:
            log.attempt()
            log.failed(line, ts, None, msg)
        return ""
    return None


def _message(text: str):
    """``(ts text or None, message, dialect)`` of a line."""
    if len(text) > 25 and text[24] == " " and text[23] == "Z" and text[10] == "T" and text[19] == ".":
        return text[:24], text[25:], "ccxt"  # ccxt's iso8601(milliseconds()) and a space
    if len(text) > 24 and text[23] == " " and text[19] == "," and text[10] == " " and text[24] not in "-[":
        # logging's asctime and one space (the websockets docs' format): no pattern to try
        rest = text[24:]
        if rest[:1] in "DIWE" and rest.startswith(("DEBUG ", "INFO ", "WARNING ", "ERROR ")):
            rest = rest.split(" ", 1)[1]
        elif "websockets." in rest[:120]:
            rest = _LEVEL.sub("", _WS_PREFIX.sub("", rest, count=1), count=1)
        return text[:23], rest, None
    m = opening_time(text)
    if m is None:
        return None, text.strip(), None
    ts = m.group("ts")
    rest = text[m.end():].lstrip(" ]")
    if rest.startswith("- ") and (h := _HB.match(rest)) is not None:
        return ts, h.group(2), ("hummingbot", h.group(1))
    if ts.endswith("Z") and "T" in ts:
        return ts, rest, "ccxt"
    if "websockets." in rest[:120]:
        rest = _WS_PREFIX.sub("", rest, count=1)
    return ts, _LEVEL.sub("", rest, count=1), None


def _header_line(msg: str, log: Log) -> bool:
    """A line of websocket-client's header blocks (which carry no prefix)."""
    if msg.startswith("-----------------------"):
        log.block = None
        return True
    if log.block == "request":
        if (m := re.match(r"GET (\S+) HTTP/1\.1", msg)) is not None:
            log.path = m.group(1)
        elif msg.lower().startswith("host:"):
            log.host = msg.split(":", 1)[1].strip()
            if log.conn is not None:
                log.conn.url = log._url()
        return True
    if log.block == "response":
        if (m := re.match(r"HTTP/1\.1 (\d{3})", msg)) is not None:
            return m.group(1) == "101"
        if re.match(r"[\w-]+: ", msg):
            return True
        log.block = None
    return False


def read_log(data: bytes, source: str) -> tuple[list[int], WsRows, Chunk, int]:
    """The WebSocket rows of a log's bytes; the lines they took; the chunk of their skips and rejects; how many
    lines they left to the text format (lines neither taken nor blank).

    The frames and notes most of a busy log is made of are found for the whole text at once (:mod:`._wsfast`);
    the other lines are read one at a time, in order.
    """
    rows, out = WsRows(source), Chunk()
    log = Log(rows)
    taken: list[int] = []
    text = data.decode("utf-8", "replace")
    general = _General(log, out, taken)
    found = _wsfast.scan(text)
    if found is None:
        for line, line_text in enumerate(text.split("\n"), 1):
            general(line, line_text)
    else:
        _wsfast.merge(found, text, log, out, taken, general)
    return taken, rows, out, general.left


class _General:
    """Reads one line of a log at a time, in order: a row, a skip, a reject, or a line left to the text format."""

    __slots__ = ("log", "out", "took", "last_text", "last_ts", "left")

    def __init__(self, log: Log, out: Chunk, taken: list[int]):
        self.log, self.out, self.took = log, out, taken.append
        self.last_text = self.last_ts = None  # lines of one record share their time: read it once
        self.left = 0  # lines left to the text format

    def __call__(self, line: int, text: str) -> None:
        if text[-1:] == "\r":
            text = text[:-1]
        if not text or text.isspace():
            if text.strip(_ASCII_SPACE):  # blank here, not to the text format (a no-break space)
                self.left += 1
            return
        log, out, took = self.log, self.out, self.took
        rows = log.rows
        ts_text, msg, dialect = _message(text)
        if log.block is not None and _header_line(msg, log):
            out.skip("handshake")
            took(line)
            return
        if msg in _NOTES or (msg[:2] == "++" and " raw: " in msg[:12]):
            out.skip(_NOTES.get(msg, "raw frame bytes"))  # a line a frame's line repeats, or a loop's note
            took(line)
            return
        before = len(rows.rows)
        if ts_text != self.last_text:
            self.last_text, self.last_ts = ts_text, (iso_ns(ts_text) if ts_text is not None else None)
        ts = self.last_ts
        if type(dialect) is tuple:  # hummingbot: no URL logged; a derivative connector's logger is futures
            log.market = "futures" if ".derivative." in dialect[1] or "perpetual" in dialect[1] else "spot"
            got = _hummingbot(msg, line, ts, log)
        elif dialect == "ccxt":
            got = _ccxt(msg, line, ts, log)
        elif msg[:2] in _WS_FIRST or "connect failed;" in msg:
            got = _websockets(msg, line, ts, log)
            if got is None:
                got = _websocket_client(msg, line, ts, log)
        else:
            got = _websocket_client(msg, line, ts, log)
        if got is None:
            self.left += 1
            return
        took(line)
        if got:
            out.skip(got)
            return
        if ts is None:
            del rows.rows[before:]
            rows.pending = [p for p in rows.pending if p[0] < before]
            out.reject(line, "WebSocket line without a time", text)
            return
        out.ws_units += 1
        if log.market is not None:
            for i in range(before, len(rows.rows)):
                r = rows.rows[i]
                if r[15] is None:
                    rows.rows[i] = (*r[:15], log.market)


class WebSocketLogReader(Reader):
    """Reads the text logs of WebSocket clients in order; their other lines are read as the ``text`` format."""

    name = "wslog"
    title = "WebSocket logs"
    suffixes = ()  # a directory walk finds them as text logs (.log, .txt); their content tells them apart
    rank = 50
    whole_file = True  # read whole, in order; a WebSocket client's line in the sample decides the format

    def read(self, stream, result, path: str | None = None) -> None:
        data = stream.read()
        taken, rows, out, left = read_log(data, result.source)
        if left:
            lines = data.split(b"\n")
            for line in taken:  # the text format reads the other lines, numbered as they are in the file
                lines[line - 1] = b""
            chunk = reader("text").parse_chunk(b"\n".join(lines), result.source, result.options)
            chunk.blank -= len(taken)
        else:  # every line a WebSocket one or blank: nothing for the text format
            chunk = Chunk()
            chunk.size = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        for line, reason, text in out.rejects:
            chunk.reject(line, reason, text)
        chunk.more_rejects.update(out.more_rejects)
        chunk.skipped += out.skipped
        chunk.skip_reasons.update(out.skip_reasons)
        chunk.add_ws(ws_frame(rows, result.source, result.options.rules), out.ws_units)
        result.merge(chunk)

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:
        """1.0 when a sample line is a WebSocket client's (the file's other lines are read as ``text``) and most
        are not JSON objects (JSON Lines, whose text may mention anything), else 0."""
        if sum(raw.lstrip()[:1] == b"{" for raw in lines) * 2 > len(lines):
            return 0.0
        return 1.0 if any(_MARKERS.search(raw.decode("utf-8", "replace")) for raw in lines) else 0.0


register_reader(WebSocketLogReader())

__all__ = ["WebSocketLogReader", "read_log"]
