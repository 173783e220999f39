"""What a WebSocket frame's payload says: its kind, stream, exchange time and sequence numbers, in the MSX frame
vocabulary (``../shared/reference/endpoints.md`` §5: push shapes A and B, spot and futures acks, the futures
welcome, ``{"action":"ping"}`` and the pongs), told one frame at a time (:func:`classify_payload`), many at once
(:func:`classify_many`, decoded by msgspec into the few fields read), or from a payload cut short
(:func:`classify_cut`).
"""

from __future__ import annotations

import re

import msgspec
import orjson

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


class _Body(msgspec.Struct, gc=False):
    """The fields of a push's ``result`` or ``data`` (or an ack's ``data``) the rows use."""

    s: object = None
    symbol: object = None
    stream: object = None
    interval: object = None
    U: object = None
    u: object = None
    t: object = None
    E: object = None
    timestamp: object = None
    streams: object = None


class _Envelope(msgspec.Struct, gc=False):
    """The fields of an MSX frame the rows use (endpoints.md §5); the others are skipped unread."""

    action: object = None
    event: object = None
    channel: object = None
    stream: object = None
    streams: object = None
    result: _Body | msgspec.Raw | None = None
    data: _Body | msgspec.Raw | None = None
    message: object = None
    time: object = None
    timestamp: object = None


_BATCH = msgspec.json.Decoder(list[_Envelope]).decode


def classify_many(payloads: list[str]) -> list[tuple]:
    """:func:`classify_payload` of many text frames, decoded in one call (msgspec, into the few fields read);
    frame by frame when a frame is not a JSON object of the usual types.

    Examples
    --------
    >>> [k[0] for k in classify_many(['{"action":"ping"}', '{"event":"pong","time":1772439302417}', 'hello'])]
    ['ping', 'pong', 'other']
    """
    try:
        decoded = _BATCH(("[" + ",".join(payloads) + "]").encode())
    except (msgspec.DecodeError, UnicodeEncodeError, RecursionError):
        decoded = None
    if decoded is None or len(decoded) != len(payloads):
        return [classify_payload(p, False) for p in payloads]
    return [_classify(e) for e in decoded]


def _classify(e: _Envelope) -> tuple:
    """The same as :func:`classify_payload`, of a decoded envelope."""
    action = e.action
    if action is not None:
        if action == "ping":
            return "ping", None, None, None, None, None
        if action == "subscribe" or action == "unsubscribe":
            streams = e.streams
            if type(streams) is list:
                streams = ",".join(x for x in streams if type(x) is str) or None
            elif type(streams) is not str:
                streams = None
            return action, streams, None, None, None, None
        result = e.result
        if type(result) is _Body and type(action) is str:
            stream = result.stream if type(result.stream) is str and result.stream else None
            if stream is None:
                symbol = result.s if result.s is not None else result.symbol
                if type(symbol) is str and symbol:
                    stream = (f"{symbol}@kline_{result.interval}" if action == "kline" and type(result.interval) is str
                              else f"{symbol}@{action}")
                elif action in _ALL_MARKET:
                    stream = _ALL_MARKET[action]
            event = result.t if result.t is not None else result.E
            if action == "order_book_update":
                first, last = result.U, result.u
                return ("data", stream, _ms(event), first if type(first) is int else None,
                        last if type(last) is int else None, None)
            return "data", stream, _ms(event), None, None, None
        return "other", None, None, None, None, None
    event = e.event
    when = e.time if e.time is not None else e.timestamp
    body = e.data
    if event == "data":
        channel, stream = e.channel, e.stream
        if (type(stream) is not str or not stream) and type(channel) is str:
            stream = None
            if type(body) is _Body:
                if type(body.stream) is str and body.stream:
                    stream = body.stream
                else:
                    symbol = body.s if body.s is not None else body.symbol
                    if type(symbol) is str and symbol:
                        stream = (f"{symbol}@kline_{body.interval}" if channel == "kline" and type(body.interval) is str
                                  else f"{symbol}@{channel}")
            if stream is None:
                stream = _ALL_MARKET.get(channel)
        elif type(stream) is not str:
            stream = None
        if when is None and type(body) is _Body:
            when = body.timestamp
        return "data", stream, _ms(when), None, None, None
    if event == "pong":
        return "pong", None, _ms(when), None, None, None
    if event == "subscribed" or event == "unsubscribed":
        streams = body.streams if type(body) is _Body else None
        if type(streams) is list:
            named = ",".join(x for x in streams if type(x) is str) or None
        else:
            m = e.message
            named = (m.split(":", 1)[1].strip() or None) if type(m) is str and ":" in m else None
        return "ack", named, _ms(when), None, None, event
    if event == "connected":
        return "welcome", None, _ms(when), None, None, None
    return "other", None, _ms(when), None, None, event if type(event) is str else None


__all__ = ["PUSH_A", "classify_cut", "classify_many", "classify_payload"]
