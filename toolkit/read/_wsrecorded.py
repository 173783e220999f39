"""The recorder's WebSocket lines (:func:`toolkit.attach_recorder`) as WebSocket rows: one line at a time
(:func:`recorded_row`, from the line's JSON object) or many (:class:`RecordedLines`, which a JSON Lines reader
hands the lines with a ``"ws"`` key: each is decoded by msgspec into the few fields a row takes, and their
times are cast in one step). Both follow one rule (:func:`_row`).

Examples
--------
>>> from toolkit.read._ws import WsRows
>>> rows = WsRows("feed.jsonl")
>>> rows.add(*recorded_row({"ts": "2026-03-02T08:15:02.417Z", "ws": "received", "connection": "c1",
...                         "url": "wss://x/api/v1/spot/ws", "data": '{"event":"pong","time":1772439302400}'}, 7))
>>> r = rows.resolve()[0]
>>> r[5], r[11]
('pong', 1772439302400)
"""

from __future__ import annotations

from typing import Annotated

import re

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
from msgspec import UNSET, Meta, UnsetType

from ._ws import in_range, iso_ns

#: How the recorder begins a WebSocket line: its time, then ``ws`` (a key no REST call's line has).
_RECORDED = re.compile(rb'\{[ \t]*"ts"[ \t]*:[ \t]*"[^"\\\n]*"[ \t]*,[ \t]*"ws"[ \t]*:')
RUN, RUNS = 256, 8  # runs of recorded lines read without trying them as calls first: how long, how many a piece
_DIRECTIONS = frozenset(("sent", "received"))
_EVENTS = frozenset(("open", "handshake_failed", "close", "error"))
_OPCODES = {9: "ping", 10: "pong", 8: "close", 2: "other"}
#: The times Arrow casts exactly as :func:`.._ws.iso_ns` reads them (UTC, up to ns); others are read one by one.
_PLAIN_TIME = r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|\+00:00)$"
#: The integers msgspec reads here (orjson gives larger ones as int up to 2**64, then float: read as a JSON object).
_Int = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]


def _text(value):
    return value if type(value) is str else None


def _int(value):
    return value if type(value) is int and not isinstance(value, bool) else None


def _epoch_ns(ts) -> int | None:
    """Epoch ns of a line's ``ts``: ISO 8601 text, or epoch seconds; None when it is neither (or out of range)."""
    if type(ts) is str:
        return iso_ns(ts)
    if type(ts) in (int, float) and 0 < ts < 9.2e9:  # seconds a timestamp holds (before 2262)
        return int(ts * 1e9)
    return None


def _row(line, ts, way, conn, url, bot, market, event, reason, error, code, status, size, opcode, data):
    """The row of one recorded WebSocket line (its fields as the recorder writes them, ``ts`` in epoch ns or None)
    with its text payload still to tell (None for events and control frames); the reason when it cannot be one."""
    if ts is None:
        return "WebSocket line has no time"
    if type(conn) is not str or not conn:
        return "WebSocket line has no connection"
    url, bot, market = _text(url), _text(bot), _text(market)
    if way == "event":
        if isinstance(event, (dict, list)) or event not in _EVENTS:
            return f"WebSocket event is not one of {sorted(_EVENTS)}: {event!r}"
        detail = _text(reason) or _text(error)
        return (line, ts, url, conn, "event", event, None, _int(code), _int(status), detail, None, None, None, None,
                bot, market), None
    if isinstance(way, (dict, list)) or way not in _DIRECTIONS:
        return f"WebSocket line's ws is not 'sent', 'received' or 'event': {way!r}"
    size = _int(size)
    if opcode != 1:
        kind = "other" if isinstance(opcode, (dict, list)) else _OPCODES.get(opcode, "other")
        return (line, ts, url, conn, way, kind, None, _int(code) if kind == "close" else None, None, _text(reason),
                size, None, None, None, bot, market), None
    if type(data) is not str:
        return "WebSocket frame has no text data"
    return (line, ts, url, conn, way, None, None, None, None, None, size if size is not None else len(data.encode()),
            None, None, None, bot, market), data


def recorded_row(rec: dict, line: int):
    """The row of one WebSocket line as :func:`toolkit.attach_recorder` writes it, with the text payload whose kind
    is still to tell (:meth:`.._ws.WsRows.add`; None for events and control frames); the reason (a str) when it
    cannot be one.

    A frame: ``{"ts", "ws": "sent"|"received", "connection", "url", "data": <text>, "size"}``, or with
    ``"opcode"`` 2 (binary, ``size`` only), 8 (close, with ``code`` and ``reason``), 9 or 10 (ping, pong);
    an event: ``{"ts", "ws": "event", "event": "open"|"close"|"error"|"handshake_failed", "connection",
    "url", "code", "reason", "status", "error"}``; each perhaps with ``market`` and ``bot``.

    Examples
    --------
    >>> recorded_row({"ts": "2026-03-02T08:15:02Z", "ws": "sideways", "connection": "c1"}, 8)
    "WebSocket line's ws is not 'sent', 'received' or 'event': 'sideways'"
    """
    g = rec.get
    return _row(line, _epoch_ns(g("ts")), g("ws"), g("connection"), g("url"), g("bot"), g("market"), g("event"),
                g("reason"), g("error"), g("code"), g("status"), g("size"), g("opcode", 1), g("data"))


class _Line(msgspec.Struct, gc=False):
    """The fields of a recorded WebSocket line a row takes, in the types the recorder writes (a line with others
    is read as a JSON object, :func:`recorded_row`)."""

    ts: str | _Int | float | None = None
    ws: str | None | UnsetType = UNSET
    connection: str | None = None
    url: str | None = None
    bot: str | None = None
    market: str | None = None
    event: str | None = None
    reason: str | None = None
    error: str | None = None
    code: _Int | None = None
    status: _Int | None = None
    size: _Int | None = None
    opcode: _Int = 1
    data: str | None = None


_decode = msgspec.json.Decoder(_Line).decode


def _times(texts: list[str]) -> list:
    """Epoch ns of ISO 8601 times, cast in one step when all are plain UTC ones, else one by one."""
    arr = pa.array(texts, pa.string())
    if texts and pa.compute.all(pa.compute.match_substring_regex(arr, _PLAIN_TIME)).as_py():
        try:
            return in_range(arr.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()), texts)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a day or an hour that does not exist
            pass
    return [iso_ns(t) for t in texts]


class RecordedLines:
    """Reads the lines a JSON Lines reader hands over (``self(raw, line)``) that may be recorded WebSocket lines,
    many at once: each a row in ``out.ws_rows``, a reject in ``out``, or, when it is not one, read by
    ``general(raw, line)`` (its rows put where they would have come, among ``rows``).

    Call :meth:`flush` after the last line.
    """

    __slots__ = ("out", "rows", "general", "pending", "batch")

    def __init__(self, out, rows: list, general, *, batch: int = 8192):
        self.out, self.rows, self.general = out, rows, general
        self.pending: list[tuple] = []  # (raw, line, rows before it)
        self.batch = batch

    def __call__(self, raw: bytes, line: int) -> None:
        if b'"ws"' not in raw:
            self.general(raw, line)
            return
        self.pending.append((raw, line, len(self.rows)))
        if len(self.pending) >= self.batch:
            self.flush()

    @staticmethod
    def runs(data: bytes, starts) -> list[tuple[int, int, bool]]:
        """``(first, end, recorded)`` index ranges covering the lines of ``data`` (that begin at ``starts``) in
        order: the longest runs of :data:`RUN` lines or more that begin as the recorder writes a WebSocket line
        (``{"ts":"...","ws":``, a JSON object with a ``ws`` key, which the REST fast path hands on unread), at most
        :data:`RUNS` of them, and the lines between.

        Examples
        --------
        >>> from toolkit.read.formats._fastjsonl import line_bounds
        >>> call = b'{"ts":"2026-03-02T08:15:02Z","method":"GET"}\\n'
        >>> data = call + b'{"ts":"2026-03-02T08:15:03Z","ws":"sent"}\\n' * RUN
        >>> RecordedLines.runs(data, line_bounds(data)[0])
        [(0, 1, False), (1, 257, True)]
        """
        match = _RECORDED.match
        at = np.array([i for i, a in enumerate(starts.tolist()) if match(data, a)], np.int64)
        breaks = np.flatnonzero(np.diff(at) != 1) + 1
        found = sorted(((len(r), int(r[0])) for r in np.split(at, breaks) if len(r) >= RUN), reverse=True)[:RUNS]
        out, done = [], 0
        for length, first in sorted(found, key=lambda f: f[1]):
            if first > done:
                out.append((done, first, False))
            out.append((first, first + length, True))
            done = first + length
        if done < len(starts):
            out.append((done, len(starts), False))
        return out

    def read(self, data: bytes, starts, ends, first_line: int) -> None:
        """Read lines of ``data`` (at ``starts``, ``ends``; numbered from ``first_line``) as :meth:`__call__` does."""
        for line, (a, b) in enumerate(zip(starts.tolist(), ends.tolist()), first_line):
            self(data[a:b], line)

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        decoded = []
        for raw, _, _ in pending:
            try:
                decoded.append(_decode(raw))
            except (msgspec.DecodeError, RecursionError):  # not the recorder's types: read as a JSON object
                decoded.append(None)
        times = [None] * len(decoded)
        at = [k for k, d in enumerate(decoded) if d is not None and type(d.ts) is str]
        for k, ns in zip(at, _times([decoded[k].ts for k in at])):
            times[k] = ns
        out, rows, moved = self.out, self.rows, 0
        ws_rows = out.ws_rows
        for (raw, line, before), d, ts in zip(pending, decoded, times):
            if d is None or d.ws is UNSET:  # the general reading, its rows put where they belong
                n = len(rows)
                self.general(raw, line)
                if len(rows) > n:
                    new = rows[n:]
                    del rows[n:]
                    rows[before + moved:before + moved] = new
                    moved += len(new)
                continue
            if type(d.ts) is not str:
                ts = _epoch_ns(d.ts)
            way, data, conn = d.ws, d.data, d.connection
            if (way == "received" or way == "sent") and d.opcode == 1 and data is not None and conn and ts is not None:
                size = d.size  # a text frame, its fields of the types _row takes as they are
                ws_rows.append(((line, ts, d.url, conn, way, None, None, None, None, None,
                                 size if size is not None else len(data.encode()), None, None, None, d.bot, d.market),
                                data))
                continue
            got = _row(line, ts, d.ws, d.connection, d.url, d.bot, d.market, d.event, d.reason, d.error, d.code,
                       d.status, d.size, d.opcode, d.data)
            if type(got) is str:
                out.reject(line, got, raw)
            else:
                ws_rows.append(got)


__all__ = ["RUN", "RUNS", "RecordedLines", "recorded_row"]
