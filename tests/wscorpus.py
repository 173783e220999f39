"""A corpus of WebSocket recordings of the MSX market-data feeds, each in the shape a real tool writes, with the
truth planted in it.

Three feeds are played (:func:`spot_feed`, :func:`futures_feed`, :func:`clean_session`), each a list of
connection attempts with their frames, in the MSX frame vocabulary (``../shared/reference/endpoints.md`` §5:
push shapes A and B, spot and futures acks, the futures welcome, ``{"action":"ping"}`` and the pongs), and
written by one writer per tool. Where each writer's shape comes from is in its docstring
(``../shared/reference/websocket-recordings.md`` quotes the sources). :func:`expected` says what each file
shows, from the feed as it was played and what the shape can carry, not from the reader.

    python -m tests.wscorpus tests/data/websocket      # writes the files and expected.json

The spot feed holds: a 45 s silence of one stream while another flows, a misspelled stream that is never
acknowledged, a server restart (1012), a sequence gap in ``order_book_update``, a ping left unanswered, a
network drop (1006), a reconnect storm (six refused upgrades, 502) and a client close (1000); the futures feed
a going-away close (1001), a refused upgrade and a reconnect; the clean session five hours without a fault.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HOST = "api9528mystks.mystonks.org"
SPOT_URL, FUTURES_URL = f"wss://{HOST}/api/v1/spot/ws", f"wss://{HOST}/api/v1/futures/ws"
T0 = 1772439302000  # 2026-03-02 08:15:02 UTC, epoch ms


@dataclass
class Attempt:
    """One connection attempt: refused (``status``) or opened, its frames ``(ms, "sent"|"received", payload)``
    and its end ``(ms, code, by)`` with ``by`` "server", "client" or "network" (None: still open)."""

    url: str
    at: int
    status: int = 101
    opened: int | None = None
    frames: list = field(default_factory=list)
    end: tuple | None = None
    subscribed: list = field(default_factory=list)
    acked: list = field(default_factory=list)


def _dump(d) -> str:
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


def ticker(sym, ms):  # spot ticker, push shape A
    return _dump({"action": "ticker", "result": {"s": sym, "o": "66980.0", "h": "67510.5", "l": "66801.2",
                                                 "c": "67321.5", "v": "1843.2", "q": "123456789.1", "n": 8123,
                                                 "p": "341.5", "P": "0.51", "w": "67102.3", "E": ms - 20}})


def book_ticker(sym, ms, u):
    return _dump({"action": "book_ticker", "result": {"s": sym, "u": u, "b": "3521.5", "B": "0.412",
                                                      "a": "3522.0", "A": "1.030", "t": ms - 15}})


def book_update(sym, ms, first, last):
    return _dump({"action": "order_book_update", "result": {"s": sym, "U": first, "u": last,
                                                            "b": [["3521.5", "0.4"]], "a": [["3522.0", "0"]],
                                                            "t": ms - 10}})


def kline(sym, ms):  # push shape B
    return _dump({"event": "data", "channel": "kline", "data": {"symbol": sym, "interval": "1m", "t": ms - ms % 60000,
                  "o": "67300.0", "h": "67330.5", "l": "67290.0", "c": "67321.5", "v": "12.5", "isClosed": False},
                  "time": ms - 25})


def futures_ticker(sym, ms):
    return _dump({"event": "data", "channel": "ticker", "stream": f"{sym}@ticker",
                  "data": {"symbol": sym, "lastPrice": "3521.5", "markPrice": "3521.7", "priceChange": "12.5",
                           "priceChangePercent": "0.36", "high24h": "3550.0", "low24h": "3480.2",
                           "volume24h": "88123.4", "timestamp": ms - 30}, "timestamp": ms - 30})


def mini_tickers(ms):  # futures miniTickerArr: adds ``stream``, ``timestamp`` for ``time``
    return _dump({"event": "data", "channel": "miniTickerArr", "stream": "!miniTicker@arr@3000ms",
                  "data": [{"s": "BTCUSDT", "c": "67321.5", "o": "66980.0", "h": "67510.5", "l": "66801.2",
                            "v": "1843.2", "P": "0.51", "E": ms - 40}], "timestamp": ms - 40})


def subscribe(streams):
    return _dump({"action": "subscribe", "streams": streams})


def spot_ack(stream, ms):
    return _dump({"event": "subscribed", "channel": stream.split("@")[1], "message": f"订阅成功: {stream}",
                  "time": ms})


def futures_ack(streams, ms):
    return _dump({"event": "subscribed", "message": "订阅成功", "timestamp": ms, "data": {"streams": streams}})


WELCOME = {"event": "connected", "message": "合约行情WebSocket连接成功",
           "data": {"clientId": "c-81f2", "supportChannels": ["order_book", "ticker", "book_ticker", "kline",
                                                              "miniTickerArr", "markPrice"],
                    "streamFormat": "{symbol}@{channel}"}}
PING = _dump({"action": "ping"})


def _pings(a: Attempt, start, stop, every, pong_key, unanswered=()):
    for t in range(start, stop, every):
        a.frames.append((t, "sent", PING))
        if t not in unanswered:
            a.frames.append((t + 30, "received", _dump({"event": "pong", pong_key: t + 25})))


def spot_feed() -> list[Attempt]:
    """The spot feed: three sessions, a 45 s stale stream, a gap, a drop and a storm of refused upgrades."""
    a = Attempt(SPOT_URL, T0, opened=T0 + 80)
    streams = ["BTCUSDT@ticker", "ETHUSDT@book_ticker", "BTCUSDT@tickr"]  # the last misspelled: never acked
    a.subscribed, a.acked = streams, streams[:2]
    a.frames.append((T0 + 100, "sent", subscribe(streams)))
    a.frames += [(T0 + 150, "received", spot_ack(s, T0 + 145)) for s in streams[:2]]
    a.frames += [(T0 + i * 1000, "received", ticker("BTCUSDT", T0 + i * 1000)) for i in range(1, 120)]
    book = [T0 + 500 + i * 1000 for i in range(1, 120)]
    book = [t for t in book if not T0 + 30500 < t < T0 + 75500]  # silent 45 s while the ticker flows
    a.frames += [(t, "received", book_ticker("ETHUSDT", t, 9000 + i)) for i, t in enumerate(book)]
    _pings(a, T0 + 20000, T0 + 120000, 20000, "time")
    a.end = (T0 + 120200, 1012, "server")
    b = Attempt(SPOT_URL, T0 + 121000, opened=T0 + 121060)
    b.subscribed = b.acked = ["ETHUSDT@order_book_update"]
    b.frames.append((T0 + 121100, "sent", subscribe(b.subscribed)))
    b.frames.append((T0 + 121150, "received", spot_ack(b.subscribed[0], T0 + 121145)))
    seq = 50_000
    for i in range(232):
        t = T0 + 121250 + i * 250
        first = seq + 1 + (5 if i == 100 else 0)  # one gap: U is 6 above the previous u
        b.frames.append((t, "received", book_update("ETHUSDT", t, first, first + 2)))
        seq = first + 2
    _pings(b, T0 + 140000, T0 + 180000, 20000, "time", unanswered={T0 + 160000})  # the server stops answering
    b.end = (T0 + 180000, 1006, "network")
    storm = [Attempt(SPOT_URL, T0 + 181000 + i * 4000, status=502) for i in range(6)]
    c = Attempt(SPOT_URL, T0 + 205000, opened=T0 + 205070)
    c.subscribed = c.acked = ["BTCUSDT@ticker"]
    c.frames.append((T0 + 205100, "sent", subscribe(c.subscribed)))
    c.frames.append((T0 + 205150, "received", spot_ack("BTCUSDT@ticker", T0 + 205145)))
    c.frames += [(T0 + 206000 + i * 1000, "received", ticker("BTCUSDT", T0 + 206000 + i * 1000)) for i in range(30)]
    c.end = (T0 + 236000, 1000, "client")
    for x in (a, b, c):
        x.frames.sort(key=lambda f: f[0])
    return [a, b, *storm, c]


def futures_feed(t0: int = T0 + 2_700_000) -> list[Attempt]:
    """The futures feed: the welcome, three streams in both push shapes, a 1001 close, a refused upgrade."""
    streams = ["BTCUSDT@kline_1m", "!miniTicker@arr@3000ms", "ETHUSDT@ticker"]
    out = []
    for start, length, end in ((t0, 90_500, (1001, "server")), (t0 + 95_000, 60_000, (1000, "client"))):
        a = Attempt(FUTURES_URL, start, opened=start + 70)
        a.subscribed = a.acked = streams
        a.frames.append((start + 75, "received", _dump({**WELCOME, "timestamp": start + 72})))
        a.frames.append((start + 100, "sent", subscribe(streams)))
        a.frames.append((start + 160, "received", futures_ack(streams, start + 155)))
        a.frames += [(start + i * 2000, "received", kline("BTCUSDT", start + i * 2000))
                     for i in range(1, (length - 500) // 2000 + 1)]
        a.frames += [(start + 300 + i * 3000, "received", mini_tickers(start + 300 + i * 3000))
                     for i in range(1, (length - 800) // 3000 + 1)]
        a.frames += [(start + 600 + i * 1000, "received", futures_ticker("ETHUSDT", start + 600 + i * 1000))
                     for i in range(1, (length - 1100) // 1000 + 1)]
        _pings(a, start + 20000, start + length, 20000, "timestamp")
        a.frames.sort(key=lambda f: f[0])
        a.end = (start + length, *end)
        out.append(a)
    out.insert(1, Attempt(FUTURES_URL, t0 + 92_000, status=502))
    return out


def clean_session(t0: int = T0 - 6 * 3_600_000, hours: float = 5.0) -> list[Attempt]:
    """Five hours of one futures connection without a fault: a kline and a ticker every 5 s, a ping every 20 s."""
    span = int(hours * 3_600_000)
    streams = ["BTCUSDT@kline_1m", "ETHUSDT@ticker"]
    a = Attempt(FUTURES_URL, t0, opened=t0 + 90)
    a.subscribed = a.acked = streams
    a.frames.append((t0 + 95, "received", _dump({**WELCOME, "timestamp": t0 + 92})))
    a.frames.append((t0 + 120, "sent", subscribe(streams)))
    a.frames.append((t0 + 180, "received", futures_ack(streams, t0 + 175)))
    a.frames += [(t0 + i * 5000, "received", kline("BTCUSDT", t0 + i * 5000)) for i in range(1, span // 5000)]
    a.frames += [(t0 + 2500 + i * 5000, "received", futures_ticker("ETHUSDT", t0 + 2500 + i * 5000))
                 for i in range(1, span // 5000)]
    _pings(a, t0 + 20_000, t0 + span, 20_000, "timestamp")
    a.frames.sort(key=lambda f: f[0])
    a.end = (t0 + span, 1000, "client")
    return [a]


# --- the writers, one per tool ---------------------------------------------------------------------------

def _iso(ms, sep="T", frac=3, z="Z"):
    t = datetime.fromtimestamp(ms / 1000, timezone.utc)
    text = t.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    return text + (f".{t.microsecond:06d}"[: frac + 1] if frac else "") + z


def _asctime(ms):  # logging's default asctime: local time (UTC here), a comma before the ms
    return _iso(ms, " ", 3, "").replace(".", ",")


def _rest_entry(ms, creator):
    """A REST call recorded beside the sockets (a folder, and a HAR, may hold both)."""
    return {"startedDateTime": _iso(ms), "time": 41.5,
            "request": {"method": "GET", "url": f"https://{HOST}/api/v1/stock/open-api/depth?symbol=BTCUSDT",
                        "httpVersion": "HTTP/1.1", "headers": [],
                        "queryString": [{"name": "symbol", "value": "BTCUSDT"}],
                        "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                         "content": {"size": 52, "mimeType": "application/json",
                                     "text": '{"code":0,"msg":"success","data":{"bids":[],"asks":[]}}'},
                         "redirectURL": "", "headersSize": -1, "bodySize": 52},
            "cache": {}, "timings": {"send": 0, "wait": 41.5, "receive": 0}}


def _ws_request(a: Attempt, url):
    path = a.url.split(HOST, 1)[1]
    return {"method": "GET", "url": url, "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Origin", "value": f"https://{HOST}"},
                        {"name": "Cache-Control", "value": "no-cache"}, {"name": "Connection", "value": "Upgrade"},
                        {"name": "Sec-WebSocket-Key", "value": "dGhlIHNhbXBsZSBub25jZQ=="},
                        {"name": "Sec-WebSocket-Version", "value": "13"}, {"name": "Host", "value": HOST}],
            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0, "_path": path}


def chrome_har(attempts, path, *, rest_at=None):
    """Chrome DevTools' "Save all as HAR" (devtools-frontend ``front_end/models/har/Log.ts``: ``Entry.build()``
    writes ``_webSocketMessages`` items ``{type, time, opcode, data}``, ``time`` in epoch seconds from
    ``pseudoWallTime()``; ``JSON.stringify(log, null, 2)``; creator WebInspector). A refused upgrade is a
    websocket entry with its status and no frames."""
    entries = []
    for a in attempts:
        req = _ws_request(a, a.url)
        req.pop("_path")
        e = {"_initiator": {"type": "script", "stack": {}}, "_priority": None, "_resourceType": "websocket"}
        if a.status == 101:
            e["_webSocketMessages"] = [{"type": "send" if d == "sent" else "receive", "time": ms / 1000 + 0.000123,
                                        "opcode": 1, "data": p} for ms, d, p in a.frames]
        last = a.frames[-1][0] if a.frames else a.at
        e.update({"cache": {}, "connection": "8341", "pageref": "page_1", "request": req,
                  "response": {"status": a.status, "statusText": "" if a.status == 101 else "Bad Gateway",
                               "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                               "content": {"size": 0, "mimeType": "x-unknown", "compression": 0},
                               "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 0,
                               "_error": None, "_fetchedViaServiceWorker": False},
                  "serverIPAddress": "", "startedDateTime": _iso(a.at), "time": float(last - a.at),
                  "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0,
                              "wait": float(last - a.at), "receive": 0}})
        entries.append(e)
    if rest_at is not None:
        entries.append(_rest_entry(rest_at, "chrome"))
    doc = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [{"startedDateTime": _iso(attempts[0].at), "id": "page_1", "title": "https://example/",
                              "pageTimings": {}}], "entries": entries}}
    Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False))


def mitmproxy_har(attempts, path):
    """mitmproxy's ``hardump`` (``mitmproxy/addons/savehar.py``): ``json.dumps(har, indent=4)`` (non-ASCII
    escaped), frame ``time`` from ``time.time()``, URL through ``pretty_url`` (``https://``), sockets in the
    order they ended; a refused upgrade is an ordinary HTTP entry (here 502 with an HTML body)."""
    entries = []
    for a in attempts:
        req = _ws_request(a, a.url.replace("wss://", "https://"))
        req.pop("_path")
        if a.status != 101:
            e = {"startedDateTime": _iso(a.at, frac=6, z="+00:00"), "time": 12.5, "request": req,
                 "response": {"status": a.status, "statusText": "Bad Gateway", "httpVersion": "HTTP/1.1",
                              "cookies": [], "headers": [{"name": "content-type", "value": "text/html"}],
                              "content": {"size": 47, "compression": 0, "mimeType": "text/html",
                                          "text": "<html><body>502 Bad Gateway</body></html>"},
                              "redirectURL": "", "headersSize": 61, "bodySize": 47},
                 "cache": {}, "timings": {"connect": 1.0, "ssl": 2.0, "send": 0.1, "receive": 0.2, "wait": 9.2},
                 "serverIPAddress": "203.0.113.7"}
            entries.append((a.at + 13, e))
            continue
        e = {"startedDateTime": _iso(a.at, frac=6, z="+00:00"), "time": 70.0, "request": req,
             "response": {"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
                          "cookies": [], "headers": [{"name": "Upgrade", "value": "websocket"}],
                          "content": {"size": 0, "compression": 0, "mimeType": ""}, "redirectURL": "",
                          "headersSize": 120, "bodySize": 0},
             "cache": {}, "timings": {"connect": 1.0, "ssl": 2.0, "send": 0.1, "receive": 0.2, "wait": 66.7},
             "serverIPAddress": "203.0.113.7", "_resourceType": "websocket",
             "_webSocketMessages": [{"type": "send" if d == "sent" else "receive", "time": ms / 1000 + 0.0000712,
                                     "opcode": 1, "data": p} for ms, d, p in a.frames]}
        entries.append((a.end[0] if a.end else 1 << 62, e))
    entries.sort(key=lambda x: x[0])
    doc = {"log": {"version": "1.2", "creator": {"name": "mitmproxy", "version": "11.0.2", "comment": ""},
                   "pages": [], "entries": [e for _, e in entries]}}
    Path(path).write_text(json.dumps(doc, indent=4))


def playwright_har(attempts, path):
    """Playwright's ``record_har_path`` (1.61+; ``harTracer.ts`` ``_onWebSocket()``): compact JSON, one GET
    entry per socket with the ``wss://`` URL, frame ``time`` in epoch **milliseconds**, entries in start
    order; a socket that failed has ``response._failureText``. Written gzipped."""
    entries = []
    for a in attempts:
        req = _ws_request(a, a.url)
        req.pop("_path")
        msgs = [{"type": "send" if d == "sent" else "receive", "time": ms + 0.316, "opcode": 1, "data": p}
                for ms, d, p in a.frames]
        resp = {"status": a.status if a.status == 101 else -1, "statusText": "", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": [], "content": {"size": -1, "mimeType": "x-unknown"}, "redirectURL": "",
                "headersSize": -1, "bodySize": -1, "_transferSize": 0}
        if a.status != 101:
            resp["_failureText"] = f"Unexpected response code: {a.status}"
        entries.append({"startedDateTime": _iso(a.at), "time": float(msgs[-1]["time"] - msgs[0]["time"]) if msgs else 0,
                        "request": req, "response": resp, "cache": {},
                        "timings": {"send": -1, "wait": -1, "receive": -1}, "_resourceType": "websocket",
                        "_webSocketMessages": msgs})
    doc = {"log": {"version": "1.2", "creator": {"name": "Playwright", "version": "1.61.0"},
                   "browser": {"name": "chromium", "version": "140.0.7339.16"}, "pages": [], "entries": entries}}
    data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    Path(path).write_bytes(gzip.compress(data, mtime=0))


def _elide(text: str) -> str:
    """``websockets.frames.Frame.__str__``: the payload's repr, its middle elided past 75 characters."""
    r = repr(text)
    return r if len(r) <= 75 else r[:48] + "..." + r[-24:]


def websockets_log(attempts, path):
    """The ``websockets`` library's DEBUG log (17.x, ``protocol.py``, ``client.py``, ``frames.py``) under
    ``logging.basicConfig(format="%(asctime)s %(message)s", level=logging.DEBUG)`` (its docs'
    ``topics/logging.rst``), the app pinging itself (``ping_interval=None``) and reconnecting with
    ``async for ws in connect(...)``, which logs each failure at INFO."""
    out = []
    w = lambda ms, text: out.append(f"{_asctime(ms)} {text}")
    for a in attempts:
        path_ = a.url.split(HOST, 1)[1]
        w(a.at, "= connection is CONNECTING")
        w(a.at, f"> GET {path_} HTTP/1.1")
        for h in (f"Host: {HOST}", "Upgrade: websocket", "Connection: Upgrade",
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
                  "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
                  "User-Agent: Python/3.11 websockets/17.4"):
            w(a.at, f"> {h}")
        if a.status != 101:
            w(a.at + 12, "< HTTP/1.1 502 Bad Gateway")
            w(a.at + 12, "< Content-Type: text/html")
            w(a.at + 12, "< Content-Length: 47")
            w(a.at + 12, "< [body] (47 bytes)")
            w(a.at + 13, "connect failed; reconnecting in 3.1 seconds: InvalidStatus: server rejected WebSocket "
                         "connection: HTTP 502")
            continue
        w(a.opened, "< HTTP/1.1 101 Switching Protocols")
        for h in ("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="):
            w(a.opened, f"< {h}")
        w(a.opened, "= connection is OPEN")
        for ms, d, p in a.frames:
            w(ms, f"{'>' if d == 'sent' else '<'} TEXT {_elide(p)} [{len(p.encode())} bytes]")
        ms, code, by = a.end
        names = {1000: "OK", 1001: "going away", 1012: "service restart"}
        if by == "server":
            w(ms, f"< CLOSE {code} ({names[code]}) [2 bytes]")
            w(ms, "= connection is CLOSING")
            w(ms, f"> CLOSE {code} ({names[code]}) [2 bytes]")
            w(ms + 1, "x half-closing TCP connection")
            w(ms + 2, "< EOF")
        elif by == "client":
            w(ms, "= connection is CLOSING")
            w(ms, f"> CLOSE {code} ({names[code]}) [2 bytes]")
            w(ms + 40, f"< CLOSE {code} ({names[code]}) [2 bytes]")
            w(ms + 41, "< EOF")
            w(ms + 41, "> EOF")
        else:
            w(ms, "< EOF")
            w(ms, "> EOF")
        w(ms + 3, "= connection is CLOSED")
    Path(path).write_text("\n".join(out) + "\n")


def _frame_bytes(p: str) -> str:
    return repr(p.encode())


def websocket_client_log(attempts, path):
    """``websocket-client`` 1.9.2 with ``enableTrace(True)`` and the app's handler
    ``logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s")`` (``_logging.py``, ``_handshake.py``:
    the request header one record over several lines; ``_abnf.py``: ``fin=1 opcode=1 data=b'...'``;
    ``_app.py``: ``Connection closed (code 1001) - reconnect``, ``Handshake status 502 Bad Gateway -+-+- ...``).
    """
    out = []
    w = lambda ms, text, level="DEBUG": out.append(f"{_asctime(ms)} {level} {text}")
    for a in attempts:
        path_ = a.url.split(HOST, 1)[1]
        w(a.at, "--- request header ---")
        out.extend([f"GET {path_} HTTP/1.1", "Upgrade: websocket", f"Host: {HOST}", f"Origin: https://{HOST}",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
                    "Connection: Upgrade", "", "", "-----------------------"])
        w(a.at + 10, "--- response header ---")
        if a.status != 101:
            w(a.at + 12, "Handshake status 502 Bad Gateway -+-+- {'content-type': 'text/html', 'content-length': "
                         "'47'} -+-+- b'<html><body>502 Bad Gateway</body></html>' - reconnect", "ERROR")
            w(a.at + 12, "reconnect() - retrying in 3 seconds [6 frames in stack]")
            continue
        w(a.opened, "HTTP/1.1 101 Switching Protocols")
        w(a.opened, "Upgrade: websocket")
        w(a.opened, "Connection: Upgrade")
        w(a.opened, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        w(a.opened, "-----------------------")
        w(a.opened, "Websocket connected", "INFO")
        for ms, d, p in a.frames:
            way = "Sent" if d == "sent" else "Rcv"
            w(ms, f"++{way} raw: b'\\x81~\\x00\\x9c...'")
            w(ms, f"++{way} decoded: fin=1 opcode=1 data={_frame_bytes(p)}")
        ms, code, by = a.end
        cb = repr(code.to_bytes(2, "big"))
        if by == "server":
            w(ms, f"++Rcv raw: b'\\x88\\x02{cb[2:-1]}'")
            w(ms, f"++Rcv decoded: fin=1 opcode=8 data={cb}")
            w(ms, "++Sent raw: b'\\x88\\x82\\x11\\x22\\x33\\x44\\x12\\xca'")
            w(ms, f"++Sent decoded: fin=1 opcode=8 data={repr((1000).to_bytes(2, 'big'))}")
            w(ms + 1, f"Connection closed (code {code}) - reconnect", "INFO")
            w(ms + 1, "reconnect() - retrying in 2 seconds [6 frames in stack]")
            w(ms + 1, "Calling dispatcher reconnect [5 frames in stack]")
        else:
            w(ms, "++Sent raw: b'\\x88\\x82\\x11\\x22\\x33\\x44\\x12\\xca'")
            w(ms, f"++Sent decoded: fin=1 opcode=8 data={cb}")
            w(ms + 40, f"Connection closed normally (code {code}) - goodbye", "INFO")
    Path(path).write_text("\n".join(out) + "\n")


def _py_repr(payload: str) -> str:
    return repr(json.loads(payload))


def ccxt_log(attempts, path):
    """ccxt pro 4.5.x with ``verbose=True`` on a user subclass for MSX (``python/ccxt/async_support/base/ws/
    client.py``: ``print(iso8601(milliseconds()), ...)``): ``connecting to``, ``connected``, ``sending`` the dict
    given to ``send()``, ``message`` the text received, ``receive loop`` after each message, ``close False
    WSMessage(...)`` and ``on_close`` (twice after a server close), ``on_error`` for a refused upgrade or a
    lost connection (aiohttp's texts)."""
    out = []
    w = lambda ms, text: out.append(f"{_iso(ms)} {text}")
    for a in attempts:
        w(a.at, f"connecting to {a.url} with timeout 10000 ms")
        if a.status != 101:
            w(a.at + 12, f"on_error 502, message='Invalid response status', url='{a.url}'")
            continue
        w(a.opened, "connected")
        w(a.opened, "ping loop")
        for ms, d, p in a.frames:
            if d == "sent":
                w(ms, f"sending {_py_repr(p)}")
            else:
                w(ms, f"message {p}")
                w(ms, "receive loop")
        ms, code, by = a.end
        if by == "server":
            w(ms, f"close False WSMessage(type=<WSMsgType.CLOSE: 8>, data={code}, extra='')")
            w(ms, f"on_close {code}")
            w(ms + 1, "on_close 1006")
        elif by == "network":
            w(ms, "on_error Cannot write to closing transport")
            w(ms, "closing 1006")
            w(ms, "on_close 1006")
        else:
            w(ms, f"closing {code}")
            w(ms + 40, f"on_close {code}")
    Path(path).write_text("\n".join(out) + "\n")


HB_SOURCE = ("hummingbot.connector.exchange.msx.msx_api_order_book_data_source.MsxAPIOrderBookDataSource")


def hummingbot_log(attempts, path):
    """hummingbot's ``logs/logs_<strategy>.log`` (``hummingbot_logs_TEMPLATE.yml``: ``%(asctime)s -
    %(process)d - %(name)s - %(levelname)s - %(message)s``): the order book data source's ``Subscribed to public
    order book channels...``, the WARNING ``The websocket connection was closed (...)`` that
    ``ws_connection.py`` raises (``msg data`` the code after a close frame, ``None`` after a lost connection), the
    ERROR of a failed reconnect with its traceback; a client close is not logged. A REST error of the
    exchange connector is logged beside them (``Error executing request ...``)."""
    out = []
    w = lambda ms, text, level="INFO", name=HB_SOURCE: out.append(f"{_asctime(ms)} - 4127 - {name} - {level} - {text}")
    for i, a in enumerate(attempts):
        if a.status != 101:
            w(a.at + 12, "Unexpected error occurred when listening to order book streams. Retrying in 5 seconds...",
              "ERROR")
            out.extend(["Traceback (most recent call last):",
                        '  File "/home/hummingbot/hummingbot/core/data_type/order_book_tracker_data_source.py", '
                        'line 118, in listen_for_subscriptions',
                        "aiohttp.client_exceptions.WSServerHandshakeError: 502, message='Invalid response status', "
                        f"url='{a.url}'"])
            continue
        w(a.opened + 100, "Subscribed to public order book and trade channels...")
        if i == 0:
            w(a.opened + 5000, f"Error executing request POST https://{HOST}/api/v1/stock/open-api/order. HTTP "
                               'status is 401. Error: {"code":401,"msg":"Invalid signature"}', "ERROR",
              "hummingbot.connector.exchange.msx.msx_exchange.MsxExchange")
        ms, code, by = a.end
        if by == "server":
            w(ms, f"The websocket connection was closed (The WS connection was closed unexpectedly. Close code = "
                  f"{code} msg data: {code})", "WARNING")
        elif by == "network":
            w(ms, "The websocket connection was closed (The WS connection was closed unexpectedly. Close code = "
                  "1006 msg data: None)", "WARNING")
    Path(path).write_text("\n".join(out) + "\n")


def recorder_jsonl(attempts, path, bot="spot-mm"):
    """What :func:`toolkit.attach_recorder` writes for a WebSocket (see ``toolkit/record/_ws.py``): one JSON line
    per frame (``ws`` "sent"/"received", ``data``, ``size``; ``opcode`` 8 with ``code`` for a close frame) and per
    event (``ws`` "event": ``open``, ``close`` with ``code``, ``handshake_failed`` with ``status``), ``bot`` on each."""
    out = []
    for n, a in enumerate(attempts, 1):
        conn = f"ws-7f3a9c-{n}"
        base = {"connection": conn, "url": a.url, "market": "spot", "bot": bot}
        if a.status != 101:
            out.append({"ts": _iso(a.at + 12, frac=6), "ws": "event", "event": "handshake_failed", **base,
                        "status": a.status, "error": "WSServerHandshakeError: 502, message='Invalid response status'"})
            continue
        out.append({"ts": _iso(a.opened, frac=6), "ws": "event", "event": "open", **base})
        out += [{"ts": _iso(ms, frac=6), "ws": d, **base, "data": p, "size": len(p.encode())} for ms, d, p in a.frames]
        ms, code, by = a.end
        if by == "server":
            out.append({"ts": _iso(ms, frac=6), "ws": "received", **base, "opcode": 8, "code": code, "reason": ""})
        elif by == "client":
            out.append({"ts": _iso(ms, frac=6), "ws": "sent", **base, "opcode": 8, "code": code, "reason": ""})
        out.append({"ts": _iso(ms + 1, frac=6), "ws": "event", "event": "close", **base, "code": code})
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out))


FILES = {
    "chrome-spot.har": (chrome_har, spot_feed),
    "mitmproxy-futures.har": (mitmproxy_har, futures_feed),
    "playwright-5h.har.gz": (playwright_har, clean_session),
    "websockets-spot.log": (websockets_log, spot_feed),
    "websocket-client-futures.log": (websocket_client_log, futures_feed),
    "ccxt-pro-spot.log": (ccxt_log, spot_feed),
    "hummingbot-spot.log": (hummingbot_log, spot_feed),
    "recorder-spot.jsonl": (recorder_jsonl, spot_feed),
}


# --- what each file shows --------------------------------------------------------------------------------

#: What each shape carries: close codes, who closed, refused upgrades, streams (``full``, ``cut`` past 75
#: characters, or none), sequence numbers, and app-level pings (frames).
SHAPES = {
    "chrome": dict(codes=False, by=False, failed=True, streams="full", seq=True, pings=True),
    "mitmproxy": dict(codes=False, by=False, failed=True, streams="full", seq=True, pings=True),
    "playwright": dict(codes=False, by=False, failed=True, streams="full", seq=True, pings=True),
    "websockets": dict(codes=True, by=True, failed=True, streams="cut", seq=False, pings=True),
    "websocket-client": dict(codes=True, by=True, failed=True, streams="full", seq=True, pings=True),
    "ccxt-pro": dict(codes=True, by="frames", failed=True, streams="full", seq=True, pings=True),
    "hummingbot": dict(codes="logged", by="frames", failed=True, streams=None, seq=False, pings=False),
    "recorder": dict(codes=True, by=True, failed=True, streams="full", seq=True, pings=True),
}


def _stream_of(payload: str) -> str | None:
    """The subscribed stream a push the feeds above wrote belongs to (None for acks, pongs, the welcome)."""
    d = json.loads(payload)
    if d.get("action") in ("ticker", "book_ticker", "order_book_update"):
        return f"{d['result']['s']}@{d['action']}"
    if d.get("event") != "data":
        return None
    if d["channel"] == "kline":
        return f"{d['data']['symbol']}@kline_1m"
    return d["stream"]


def _visible(payload: str, shape: dict) -> bool:
    """Whether a push's stream survives in the shape: the websockets log keeps the head of a long payload."""
    if shape["streams"] != "cut":
        return True
    shown = _elide(payload)
    if "..." not in shown:
        return True
    symbol = json.loads(payload).get("result", {}).get("s")
    return symbol is not None and f'"s":"{symbol}"' in shown[:48]


def expected(name: str) -> dict:
    """What the file ``name`` of :data:`FILES` shows, from its feed and what its shape can carry."""
    shape = SHAPES[next(k for k in SHAPES if name.startswith(k))]
    attempts = FILES[name][1]()
    opened = [a for a in attempts if a.status == 101]
    sessions, streams, stale, gaps, unacked, unanswered = [], [], [], [], [], []
    for i, a in enumerate(opened):
        ms, code, by = a.end
        if shape["codes"] is True or (shape["codes"] == "logged" and by != "client"):
            shown_code = code
        else:
            shown_code = None
        if shape["by"] is True:
            shown_by = by
        elif shape["by"] == "frames":  # who closed is told by a close frame, or by a lost connection (1006)
            shown_by = by if by in ("server", "network") else "unknown"
        else:
            shown_by = "unknown"
        sessions.append({"close_code": shown_code, "closed_by": shown_by})
        counts: dict = {}
        last: dict = {}
        prev_u = None
        for t, d, p in a.frames:
            s = _stream_of(p) if d == "received" else None
            if s is None or not shape["streams"]:
                continue
            key = s if _visible(p, shape) else ""
            counts[key] = counts.get(key, 0) + 1
            if key and key in last and t - last[key] >= 10_000:
                stale.append([i, key, _iso(last[key], frac=3), _iso(t, frac=3)])
            last[key] = t
            if key.endswith("@order_book_update") and shape["seq"]:
                r = json.loads(p)["result"]
                if prev_u is not None and r["U"] > prev_u + 1:
                    gaps.append([i, key, prev_u + 1, r["U"]])
                prev_u = r["u"]
        streams.append(counts if shape["streams"] else {})
        shown_subscribe = not (shape["streams"] == "cut" and "..." in _elide(subscribe(a.subscribed)))
        if shape["streams"] and shown_subscribe:  # a subscription cut short names no stream
            unacked += [[i, s] for s in a.subscribed if s not in a.acked]
        pings = [t for t, d, p in a.frames if p == PING]
        pongs = [t for t, d, p in a.frames if d == "received" and '"pong"' in p]
        unanswered.append(sum(1 for t in pings if not any(t < q <= t + 20_000 for q in pongs))
                          if shape["pings"] else 0)
    failed = [a for a in attempts if a.status != 101]
    bursts = []
    times = sorted(a.at for a in attempts)
    run = [times[0]]
    for t in times[1:] + [None]:
        if t is not None and t - run[-1] <= 30_000:
            run.append(t)
            continue
        if len(run) >= 3:
            members = [a for a in attempts if run[0] <= a.at <= run[-1]]
            bursts.append({"attempts": len(run), "opened": sum(a.status == 101 for a in members),
                           "failed": sum(a.status != 101 for a in members)})
        run = [t]
    return {"sessions": sessions, "handshake_failed": len(failed) if shape["failed"] else 0, "streams": streams,
            "stale": stale, "gaps": gaps, "unacked": unacked, "unanswered_pings": unanswered, "reconnects": bursts}


def write(folder) -> None:
    """Write every file of :data:`FILES` into ``folder``, and ``expected.json`` beside them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name, (writer, feed) in FILES.items():
        writer(feed(), folder / name)
        truth[name] = expected(name)
    (folder / "expected.json").write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                                                           for k, v in truth.items()) + "\n}\n")


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "tests/data/websocket")
