"""WebSocket rows: what a frame or a connection event becomes, told once for every recording shape.

Every WebSocket reader (HAR ``_webSocketMessages``, the text logs of WebSocket libraries, the recorder's
JSON Lines) hands its frames to one :class:`WsRows`, which tells a frame's ``kind``, ``stream``, exchange time
and sequence numbers from its payload (:func:`classify_payload`, the MSX frame vocabulary of
``endpoints.md`` §5), and ends in one vectorised step (:func:`ws_frame`) that types the columns of
:data:`toolkit.schema.WS_DTYPES`, tells each URL's market and masks secrets in URLs, streams and texts.

Examples
--------
>>> rows = WsRows("feed.har")
>>> c = rows.connection()
>>> rows.event(1, 1772439302_000_000_000, "wss://x/api/v1/spot/ws", c, "open")
>>> rows.frame(2, 1772439302_500_000_000, "wss://x/api/v1/spot/ws", c, "received",
...            '{"action":"ticker","result":{"s":"BTCUSDT","c":"1","E":1772439302400}}')
>>> from toolkit.classify import compile_market_rules
>>> df = ws_frame(rows.rows, "feed.har", compile_market_rules(None))
>>> df[["connection", "kind", "stream", "market"]].values.tolist()
[['feed.har#1', 'open', <NA>, 'spot'], ['feed.har#1', 'data', 'BTCUSDT@ticker', 'spot']]
>>> df["latency_ms"].tolist()
[<NA>, 100.0]
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import numpy as np
import orjson
import pandas as pd

from .. import classify
from ..schema import MARKETS, STRING, WS_DTYPES
from ..secrets import redact, redact_url

#: The channels of push shape A, ``{"action": "<channel>", "result": {...}}``.
PUSH_A = frozenset(("ticker", "book_ticker", "order_book_update", "kline", "order_book", "markPrice",
                    "miniTicker", "mark_price"))
#: Shape B's channel names that are not a symbol's stream.
_ALL_MARKET = {"miniTickerArr": "!miniTicker@arr", "miniTicker": "!miniTicker@arr"}
#: A cut payload (the ``websockets`` log's elision): the head keeps the envelope, the tail the event time.
_HEAD = re.compile(r'^\{\s*"(action|event)"\s*:\s*"([^"]*)"')
_CHANNEL = re.compile(r'"channel"\s*:\s*"([^"]*)"')
_SYMBOL = re.compile(r'"(?:s|symbol)"\s*:\s*"([^"]*)"')
_TAIL = re.compile(r'"(?:t|E|time|timestamp)"\s*:\s*(\d{10,16})\s*\}*\s*$')


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECONDS: dict = {}


def iso_ns(text) -> int | None:
    """Epoch ns of an ISO 8601 time (``T`` or space, ``.`` or ``,`` before the fraction; naive is UTC), or None.

    Examples
    --------
    >>> iso_ns("2026-03-02 08:15:02,417"), iso_ns("2026-03-02T08:15:02.417Z"), iso_ns("soon")
    (1772439302417000000, 1772439302417000000, None)
    """
    if type(text) is not str:
        return None
    base = _SECONDS.get(text[:19])  # the second, parsed once; the fraction read here
    rest = text[19:]
    if rest.endswith("Z"):
        rest = rest[:-1]
    elif rest.endswith("+00:00"):
        rest = rest[:-6]
    if base is not None and (not rest or (rest[0] in ".," and rest[1:].isdigit() and len(rest) <= 10)):
        return base + (int(rest[1:].ljust(9, "0")) if rest else 0)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    delta = t - _EPOCH
    ns = (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    if len(text) >= 19 and text[10] in "T " and t.tzinfo is timezone.utc and len(_SECONDS) < 100_000:
        if not rest or rest[0] in ".,":
            _SECONDS[text[:19]] = ns - delta.microseconds * 1000
    return ns


def _ms(value):
    """An exchange time in epoch ms (an int), or None."""
    t = type(value)
    if t is int or t is float:
        return int(value) if 1e11 < value < 1e14 else None
    if t is str and value.isdigit():
        return _ms(int(value))
    return None


def _push_stream(channel: str, body) -> str | None:
    """The stream of a market-data push, from its own fields (``BTCUSDT@kline_1m``, ``!miniTicker@arr``)."""
    if type(body) is dict:
        named = body.get("stream")
        if type(named) is str and named:
            return named
        symbol = body.get("s")
        if symbol is None:
            symbol = body.get("symbol")
        if type(symbol) is str and symbol:
            if channel == "kline" and type(body.get("interval")) is str:
                return f"{symbol}@kline_{body['interval']}"
            return f"{symbol}@{channel}"
    if channel in _ALL_MARKET:
        return _ALL_MARKET[channel]
    return None


def classify_payload(data, sent: bool) -> tuple:
    """``(kind, stream, event_ms, first_seq, last_seq, detail)`` of one text frame's payload.

    Examples
    --------
    >>> classify_payload('{"action":"subscribe","streams":["BTCUSDT@ticker","!miniTicker@arr@3000ms"]}', True)
    ('subscribe', 'BTCUSDT@ticker,!miniTicker@arr@3000ms', None, None, None, None)
    >>> classify_payload('{"action":"order_book_update","result":{"s":"ETHUSDT","U":5,"u":9,"t":1772439302417}}',
    ...                  False)
    ('data', 'ETHUSDT@order_book_update', 1772439302417, 5, 9, None)
    >>> classify_payload('{"event":"subscribed","message":"订阅成功: !miniTicker@arr@3000ms","time":1772439302417}',
    ...                  False)
    ('ack', '!miniTicker@arr@3000ms', 1772439302417, None, None, 'subscribed')
    """
    try:
        d = orjson.loads(data)
    except orjson.JSONDecodeError:
        return "other", None, None, None, None, None
    if type(d) is not dict:
        return "other", None, None, None, None, None
    action = d.get("action")
    if action is not None:
        if action == "ping":
            return "ping", None, None, None, None, None
        if action == "subscribe" or action == "unsubscribe":
            streams = d.get("streams")
            if type(streams) is list:
                streams = ",".join(s for s in streams if type(s) is str) or None
            elif type(streams) is not str:
                streams = None
            return action, streams, None, None, None, None
        result = d.get("result")
        if type(result) is dict and type(action) is str:
            stream = _push_stream(action, result)
            event = result.get("t")
            if event is None:
                event = result.get("E")
            if action == "order_book_update":
                first, last = result.get("U"), result.get("u")
                return ("data", stream, _ms(event), first if type(first) is int else None,
                        last if type(last) is int else None, None)
            return "data", stream, _ms(event), None, None, None
        return "other", None, None, None, None, None
    event = d.get("event")
    when = d.get("time")
    if when is None:
        when = d.get("timestamp")
    if event == "data":
        channel = d.get("channel")
        body = d.get("data")
        stream = d.get("stream")
        if type(stream) is not str or not stream:
            stream = _push_stream(channel, body) if type(channel) is str else None
        if when is None and type(body) is dict:
            when = body.get("timestamp")
        return "data", stream, _ms(when), None, None, None
    if event == "pong":
        return "pong", None, _ms(when), None, None, None
    if event == "subscribed" or event == "unsubscribed":
        return "ack", _acked(d), _ms(when), None, None, event
    if event == "connected":
        return "welcome", None, _ms(when), None, None, None
    return "other", None, _ms(when), None, None, event if type(event) is str else None


def _acked(d: dict) -> str | None:
    """The streams an ack names: futures ``data.streams``, spot the message after its colon."""
    data = d.get("data")
    if type(data) is dict and type(data.get("streams")) is list:
        return ",".join(s for s in data["streams"] if type(s) is str) or None
    message = d.get("message")
    if type(message) is str and ":" in message:
        return message.split(":", 1)[1].strip() or None
    return None


def classify_cut(text: str) -> tuple:
    """The same as :func:`classify_payload` for a payload cut short (its middle elided): what its head and tail
    still show; the rest NA.

    Examples
    --------
    >>> classify_cut('{"action":"order_book_update","result":{"s":"BT..."]],"t":1772439302417}}')
    ('data', None, 1772439302417, None, None, None)
    """
    head = _HEAD.match(text)
    tail = _TAIL.search(text)
    event_ms = _ms(int(tail.group(1))) if tail else None
    if head is None:
        return "other", None, event_ms, None, None, None
    key, name = head.groups()
    if key == "action":
        if name in PUSH_A:
            symbol = _SYMBOL.search(text.split("...", 1)[0])
            return "data", f"{symbol.group(1)}@{name}" if symbol else None, event_ms, None, None, None
        return (name if name in ("subscribe", "unsubscribe", "ping") else "other"), None, None, None, None, None
    if name == "data":
        channel = _CHANNEL.search(text)
        stream = _ALL_MARKET.get(channel.group(1)) if channel else None
        return "data", stream, event_ms, None, None, None
    kinds = {"pong": "pong", "subscribed": "ack", "unsubscribed": "ack", "connected": "welcome"}
    if name in ("subscribed", "unsubscribed"):  # which streams is cut; the channel may be left: "subscribed: ticker"
        channel = _CHANNEL.search(text.split("...", 1)[0])
        return "ack", None, event_ms, None, None, f"{name}: {channel.group(1)}" if channel else name
    return kinds.get(name, "other"), None, event_ms, None, None, None


class WsRows:
    """The WebSocket rows of one recording, as its reader finds them; :func:`ws_frame` types them.

    A row is a plain tuple: ``(line, ts_ns, url, connection, direction, kind, stream, close_code, status,
    detail, size, event_ms, first_seq, last_seq, bot, market)``.
    """

    __slots__ = ("rows", "source", "opened")

    def __init__(self, source: str):
        self.rows: list[tuple] = []
        self.source = source
        self.opened = 0

    def connection(self) -> str:
        """A new connection id, unique within the load (the source's name and a count)."""
        self.opened += 1
        return f"{self.source}#{self.opened}"

    def frame(self, line, ts_ns, url, conn, direction, payload, *, size=None, cut=False, bot=None,
              market=None) -> None:
        """A text frame (``payload`` a str or bytes of JSON text), sent or received."""
        kind, stream, event_ms, first, last, detail = (classify_cut(payload) if cut
                                                      else classify_payload(payload, direction == "sent"))
        if size is None:
            size = len(payload.encode() if type(payload) is str else payload)
        self.rows.append((line, ts_ns, url, conn, direction, kind, stream, None, None, detail, size, event_ms,
                          first, last, bot, market))

    def control(self, line, ts_ns, url, conn, direction, kind, *, size=None, close_code=None, detail=None,
                bot=None, market=None) -> None:
        """A frame whose kind is known without a payload (protocol ping/pong/close, a binary frame: other)."""
        self.rows.append((line, ts_ns, url, conn, direction, kind, None, close_code, None, detail, size, None,
                          None, None, bot, market))

    def event(self, line, ts_ns, url, conn, kind, *, close_code=None, status=None, detail=None, bot=None,
              market=None) -> None:
        """A connection event: ``open``, ``handshake_failed`` (with its HTTP ``status``), ``close``, ``error``."""
        self.rows.append((line, ts_ns, url, conn, "event", kind, None, close_code, status, detail, None, None,
                          None, None, bot, market))


_DIRECTIONS = frozenset(("sent", "received"))
_EVENTS = frozenset(("open", "handshake_failed", "close", "error"))
_OPCODES = {9: "ping", 10: "pong", 8: "close", 2: "other"}


def _text(value):
    return value if type(value) is str else None


def _int(value):
    return value if type(value) is int and not isinstance(value, bool) else None


def recorded_row(rec: dict, line: int):
    """The row of one WebSocket line as :func:`toolkit.attach_recorder` writes it; the reason (a str) when it
    cannot be one.

    A frame: ``{"ts", "ws": "sent"|"received", "connection", "url", "data": <text>, "size"}``, or with
    ``"opcode"`` 2 (binary, ``size`` only), 8 (close, with ``code`` and ``reason``), 9 or 10 (ping, pong);
    an event: ``{"ts", "ws": "event", "event": "open"|"close"|"error"|"handshake_failed", "connection",
    "url", "code", "reason", "status", "error"}``; each perhaps with ``market`` and ``bot``.

    Examples
    --------
    >>> r = recorded_row({"ts": "2026-03-02T08:15:02.417Z", "ws": "received", "connection": "c1",
    ...                   "url": "wss://x/api/v1/spot/ws", "data": '{"event":"pong","time":1772439302400}'}, 7)
    >>> r[5], r[11]
    ('pong', 1772439302400)
    >>> recorded_row({"ts": "2026-03-02T08:15:02Z", "ws": "sideways", "connection": "c1"}, 8)
    "WebSocket line's ws is not 'sent', 'received' or 'event': 'sideways'"
    """
    ts = rec.get("ts")
    ts = iso_ns(ts) if type(ts) is str else (int(ts * 1e9) if type(ts) in (int, float) and ts > 0 else None)
    if ts is None:
        return "WebSocket line has no time"
    way = rec.get("ws")
    conn = rec.get("connection")
    if type(conn) is not str or not conn:
        return "WebSocket line has no connection"
    url, bot, market = _text(rec.get("url")), _text(rec.get("bot")), _text(rec.get("market"))
    if way == "event":
        kind = rec.get("event")
        if kind not in _EVENTS:
            return f"WebSocket event is not one of {sorted(_EVENTS)}: {kind!r}"
        detail = _text(rec.get("reason")) or _text(rec.get("error"))
        return (line, ts, url, conn, "event", kind, None, _int(rec.get("code")), _int(rec.get("status")), detail,
                None, None, None, None, bot, market)
    if way not in _DIRECTIONS:
        return f"WebSocket line's ws is not 'sent', 'received' or 'event': {way!r}"
    size = _int(rec.get("size"))
    opcode = rec.get("opcode", 1)
    if opcode != 1:
        kind = _OPCODES.get(opcode, "other")
        return (line, ts, url, conn, way, kind, None, _int(rec.get("code")) if kind == "close" else None, None,
                _text(rec.get("reason")), size, None, None, None, bot, market)
    data = rec.get("data")
    if type(data) is not str:
        return "WebSocket frame has no text data"
    kind, stream, event_ms, first, last, detail = (classify_cut(data) if rec.get("cut")
                                                  else classify_payload(data, way == "sent"))
    return (line, ts, url, conn, way, kind, stream, None, None, detail, size if size is not None else len(data.encode()),
            event_ms, first, last, bot, market)


_URL_CACHE: dict = {}


def _masked_url(url):
    if url is None:
        return None
    got = _URL_CACHE.get(url)
    if got is None:
        got = redact_url(url.split("#", 1)[0])
        if len(_URL_CACHE) < 10_000:
            _URL_CACHE[url] = got
    return got


def _categorical(values, dtype=None) -> pd.Categorical:
    codes, uniques = pd.factorize(pd.array(values, dtype=STRING), use_na_sentinel=True)
    cats = pd.Index(uniques, dtype=STRING)
    if dtype is not None:  # a fixed vocabulary
        return pd.Categorical(pd.array(values, dtype=STRING), dtype=dtype)
    return pd.Categorical.from_codes(codes, categories=cats)


def _masked(values) -> pd.arrays.ArrowStringArray:
    """Texts with secrets masked (each distinct value once)."""
    arr = pd.array(values, dtype=STRING)
    codes, uniques = pd.factorize(arr)
    if not len(uniques):
        return arr
    clean = np.array([redact(str(u)) for u in uniques], dtype=object)
    out = np.where(codes >= 0, clean[np.maximum(codes, 0)], None)
    return pd.array(out, dtype=STRING)


def ws_frame(rows: list[tuple], source: str, rules) -> pd.DataFrame:
    """The typed frame (:data:`toolkit.schema.WS_DTYPES`) of a reader's :class:`WsRows` rows, in their order.

    ``rules`` are the compiled market rules: a row without its own market takes its URL's.
    """
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in WS_DTYPES.items()})
    (line, ts, url, conn, direction, kind, stream, close_code, status, detail, size, event_ms, first, last, bot,
     market) = zip(*rows)
    n = len(rows)
    ts_ns = pd.array(ts, dtype="Int64")
    ev = pd.array(event_ms, dtype="Int64")
    ev_ns = ev * 1_000_000
    urls = [_masked_url(u) for u in url]
    out = {
        "ts": pd.to_datetime(ts_ns, utc=True),
        "bot": _categorical(bot),
        "market": _markets(urls, market, rules),
        "url": _categorical(urls),
        "connection": _categorical(conn),
        "direction": pd.Categorical(direction, dtype=WS_DTYPES["direction"]),
        "kind": pd.Categorical(kind, dtype=WS_DTYPES["kind"]),
        "stream": _masked(stream),
        "close_code": pd.array(close_code, dtype="Int32"),
        "status": pd.array(status, dtype="Int16"),
        "detail": _masked(detail),
        "size": pd.array(size, dtype="Int64"),
        "event_ts": pd.to_datetime(ev_ns, utc=True),
        "latency_ms": pd.array(np.where(np.array(direction, dtype=object) == "received", 1, np.nan),
                               dtype="Float64") * ((ts_ns - ev_ns).astype("Float64") / 1e6),
        "first_seq": pd.array(first, dtype="Int64"),
        "last_seq": pd.array(last, dtype="Int64"),
        "source": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=pd.Index([source], dtype=STRING)),
        "line": pd.array(line, dtype="Int64"),
    }
    return pd.DataFrame(out, copy=False).astype({"ts": WS_DTYPES["ts"], "event_ts": WS_DTYPES["event_ts"]})


def _markets(urls: list, own: tuple, rules) -> pd.Categorical:
    """Each row's own market when it names one, else its URL's under ``rules``."""
    cache: dict = {}
    codes = np.empty(len(urls), np.int8)
    for i, (u, m) in enumerate(zip(urls, own)):
        if m in MARKETS:
            codes[i] = MARKETS.index(m)
            continue
        code = cache.get(u)
        if code is None:
            code = cache[u] = (classify.url_market(u.split("?", 1)[0].split("://", 1)[-1], rules)
                               if u else MARKETS.index("unknown"))
        codes[i] = code
    return pd.Categorical.from_codes(codes, dtype=WS_DTYPES["market"])


def empty_ws() -> pd.DataFrame:
    """An empty frame of :data:`toolkit.schema.WS_DTYPES`."""
    return ws_frame([], "", [])


__all__ = ["PUSH_A", "WsRows", "classify_cut", "classify_payload", "empty_ws", "iso_ns", "recorded_row", "ws_frame"]
