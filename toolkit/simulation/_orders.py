"""Two bots' order traffic over days, with failures of unknown outcome, the bots' reconciliation and re-sends.

A spot market maker (flat JSON Lines as :func:`toolkit.attach_recorder` writes them, ``clientOid`` on every
order, single orders and ``batchOrder``) and a futures bot behind a gateway (nested lines, ``order/create``
without ``clientOid``) trade against one simulated exchange that keeps every order. Their order calls
sometimes get an answer the bot cannot read: a read timeout, a reset or remote disconnect, a gateway's 502 or
504 page, futures code 1001; the exchange acted on some of them and not on others. Some never leave the bot
(connect timeout, DNS failure, refused connection). Futures successes come as ``code 200`` without data or
with ``data: null`` on some gateway builds. After a failure a bot mostly reconciles (spot ``openOrders`` and
``historyOrders``, futures ``order/entrust-history`` or ``order/limit``), then sends again what it did not
find; without reconciling it sends again at once, with the same ``clientOid`` or a new one. The exchange
answers a repeated ``clientOid`` with the order it already has (the docs say ``clientOid`` gives idempotency).

:func:`simulate_orders` writes the files and returns the truth: every attempt, whether its answer was unknown,
what really became of it as far as the bots' own later queries show, and whether it placed an intent twice.
The shapes are the exchange's (:mod:`toolkit._shapes`, ``/work/shared/reference/endpoints.md``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from ._exchange import HOST

_SPOT, _FUT = HOST + "/api/v1/stock/open-api/", HOST + "/api/v1/futures/open-api/"
_HOUR_NS = 3_600_000_000_000
_READ_TIMEOUT = "HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Read timed out. (read timeout=10)"
_RESET = "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
_DISCONNECT = "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))"
_POOL = "HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: {path} "
_CONNECT = _POOL + ("(Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection object at 0x7f3a2c1d5e50>, "
                    "'Connection to api9528mystks.mystonks.org timed out. (connect timeout=5)'))")
_DNS = _POOL + ("(Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f3a2c1d5e50>: "
                "Failed to resolve 'api9528mystks.mystonks.org' ([Errno -3] Temporary failure in name resolution)\"))")
_REFUSED = _POOL + ("(Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f3a2c1d5e50>: "
                    "Failed to establish a new connection: [Errno 111] Connection refused'))")
_PAGES = {502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
               "<hr><center>nginx</center></body></html>",
          504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1>"
               "</center><hr><center>nginx</center></body></html>"}
#: Failures of an order call: (name, weight, reaches the exchange); the exchange acts on half of those that do.
FAILURES = [("read_timeout", 5, True), ("reset", 2, True), ("disconnect", 1, True), ("page_502", 2, True),
            ("page_504", 2, True), ("system_error", 2, True), ("connect_timeout", 2, False), ("dns", 1, False),
            ("refused", 1, False)]
FAILURE_RATE = 0.055     # of order calls
REJECT_RATE = 0.03
RECONCILE = 0.85         # share of failures after which the bot queries before sending again
SAME_OID = 0.5           # share of blind re-sends that keep the clientOid


class _Exchange:
    def __init__(self):
        self.orders: dict[int, dict] = {}
        self.by_oid: dict[str, int] = {}
        self.next_id = 7_000_000_000

    def place(self, bot, o, ts) -> int:
        if o.get("clientOid") in self.by_oid:
            return self.by_oid[o["clientOid"]]  # idempotent: the order it has
        self.next_id += 1 + int(ts % 7)
        self.orders[self.next_id] = {**o, "id": self.next_id, "bot": bot, "created": ts, "status": "open"}
        if o.get("clientOid"):
            self.by_oid[o["clientOid"]] = self.next_id
        return self.next_id

    def listing(self, bot, symbol, ts, which):
        """Orders of ``bot`` on ``symbol`` created in the hour before ``ts``: open ones, finished ones or all."""
        out = []
        for o in self.orders.values():
            if o["bot"] != bot or o["symbol"] != symbol or not ts - _HOUR_NS <= o["created"] < ts:
                continue
            if which == "all" or (which == "open") == (o["status"] == "open"):
                out.append(o)
        return sorted(out, key=lambda o: -o["created"])[:100]


def simulate_orders(dest, *, seed: int = 25, start="2026-11-16", days: int = 2, orders_per_hour: float = 38.0,
                    filler: int = 0, compress: bool = False) -> pd.DataFrame:
    """Write two bots' order traffic over ``days`` into ``dest`` (``spot-mm.jsonl``, ``futures-bot.jsonl``).

    ``orders_per_hour``: order attempts per bot and hour (the spot bot trades exchange hours only); ``filler``:
    ticker calls per order attempt, to make a recording of millions of calls. Returns the truth, one row per
    order attempt: ``source``, ``line``, ``item``, ``action``, ``unknown`` (sent, answer unknown), ``sent``,
    ``fate`` (what the bot's own later queries show: ``placed``, ``absent``, ``cancelled``,
    ``not_cancelled``, else ``unknown``), ``duplicate`` (placed an intent already placed) and ``findable`` (a
    duplicate whose first order the recording shows: the answer its attempt got, or a later query).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ex = _Exchange()
    t0 = pd.Timestamp(start, tz="UTC").value
    truth, written = [], {}
    for bot, spot in (("spot-mm", True), ("futures-bot", False)):
        sim = _Bot(bot, spot, rng, ex, truth, filler)
        end = t0 + days * 24 * _HOUR_NS
        t = t0
        while t < end:
            hour = (t - t0) // _HOUR_NS % 24
            if spot and not 14 <= hour < 21:  # spot: exchange hours, quiet nights
                t += int(rng.exponential(1800e9))
                continue
            t = sim.step(t)
            t += int(rng.exponential(3600e9 / orders_per_hour))
        name = f"{bot}.jsonl" + (".gz" if compress else "")
        data = b"\n".join(sim.lines) + b"\n"
        (dest / name).write_bytes(gzip.compress(data, 6, mtime=0) if compress else data)
        written[bot] = str(dest / name)
    # a second order is findable when the recording shows the first: its answer, or a later query
    rows = [r[:8] + [bool(r[7]) and (not r[8][4] or r[8][6] == "placed")] for r in truth]
    out = pd.DataFrame(rows, columns=["bot", "line", "item", "action", "unknown", "sent", "fate", "duplicate",
                                      "findable"])
    out.insert(0, "source", out.pop("bot").map(written))
    return out


class _Bot:
    def __init__(self, name, spot, rng, ex, truth, filler):
        self.name, self.spot, self.rng, self.ex, self.truth, self.filler = name, spot, rng, ex, truth, filler
        self.lines: list[bytes] = []
        self.open: list[int] = []
        self.intents: dict[int, list] = {}  # intent -> order ids placed for it
        self.first: dict[int, list] = {}     # intent -> the truth row of the attempt that placed its first order
        self.pending: list[dict] = []        # truth rows of unknown attempts, settled by later queries
        self.key = "k-5e1f0c2a" if spot else "k-8fa6e6a3"
        self.seq = 0

    # --- lines ---------------------------------------------------------------------------------------------
    def _write(self, ts, method, url, body, status, answer, error, ms) -> int:
        if self.spot:
            rec = {"ts": str(np.datetime64(ts, "ns").astype("datetime64[ms]")) + "Z", "method": method,
                   "url": url, "bot": self.name, "key_id": self.key,
                   "request": {"headers": {"ACCESS-KEY": "***", "ACCESS-SIGN": "***",
                                           "ACCESS-TIMESTAMP": str(ts // 1_000_000)}}}
            if body is not None:
                rec["request"]["body"] = body
            rec["status"] = status
            if error is not None:
                rec["error"] = error
            else:
                rec["response"] = answer
            rec["elapsed_ms"] = ms
        else:
            rec = {"time": ts // 1_000_000, "bot": self.name, "key_id": self.key,
                   "request": {"method": method, "url": url,
                               "headers": {"ACCESS-KEY": "***", "ACCESS-SIGN": "***",
                                           "ACCESS-TIMESTAMP": str(ts // 1_000_000)}}}
            if body is not None:
                rec["request"]["body"] = body
            if error is not None:
                rec["error"] = error
                rec["response"] = {"status": None}
            else:
                rec["response"] = {"status": status, "body": answer}
            rec["duration_ms"] = ms
        self.lines.append(orjson.dumps(rec))
        return len(self.lines)

    def _ticker(self, ts, symbol):
        url = (_SPOT + f"ticker?symbol={symbol}") if self.spot else (_FUT + f"ticker/{symbol}")
        self._write(ts, "GET", url, None, 200, {"code": 0, "msg": "success", "data": {"symbol": symbol}}, None, 35.0)

    # --- one step: an order (or a cancel), its failure handling, the filler ---------------------------------
    def step(self, t):
        rng = self.rng
        for k in range(self.filler):
            self._ticker(t - (k + 1) * 50_000_000, self._symbol())
        if rng.random() < 0.1:  # the bot's routine look at its orders
            self._reconcile(t - 2_000_000_000, self._symbol())
        if self.open and rng.random() < 0.3:
            return self._cancel(t, self.open.pop(int(rng.integers(len(self.open)))))
        if self.spot and rng.random() < 0.12:
            return self._batch(t)
        symbol = self._symbol()
        intent = len(self.intents)
        self.intents[intent] = []
        o = self._order(symbol, intent)
        return self._place(t, o, intent, resend=0)

    def _symbol(self):
        return str(self.rng.choice(["AAPL", "TSLA", "NVDA"] if self.spot else ["BTCUSDT", "ETHUSDT", "SOLUSDT"]))

    def _order(self, symbol, intent):
        rng = self.rng
        price = f"{100 + rng.random() * 50:.2f}"
        if self.spot:
            return {"symbol": symbol, "side": "buy" if rng.random() < 0.5 else "sell", "type": "limit",
                    "price": price, "quantity": str(1 + int(rng.integers(10))), "clientOid": f"mm-{intent}-0"}
        return {"symbol": symbol, "coType": 3, "orderType": 1, "openType": 1, "side": 1 + int(rng.integers(2)),
                "price": price, "vol": str(1 + int(rng.integers(5))), "leverage": 10}

    def _outcome(self):
        r = self.rng.random()
        if r < FAILURE_RATE:
            names = [f[0] for f in FAILURES if self.spot or f[0] != "system_error"]
            weights = np.array([f[1] for f in FAILURES if f[0] in names], float)
            name = str(self.rng.choice(names, p=weights / weights.sum()))
            if name == "system_error" and self.spot:
                name = "read_timeout"
            return name
        return "rejected" if r < FAILURE_RATE + REJECT_RATE else "ok"

    def _failure(self, name, path):
        """(status, answer, error, ms, reaches the exchange)."""
        reaches = dict((f[0], f[2]) for f in FAILURES)[name]
        if name == "read_timeout":
            return None, None, _READ_TIMEOUT, 10_012.0, reaches
        if name in ("reset", "disconnect"):
            return None, None, _RESET if name == "reset" else _DISCONNECT, 850.0, reaches
        if name.startswith("page_"):
            code = int(name[5:])
            return code, _PAGES[code], None, 30_000.0 if code == 504 else 120.0, reaches
        if name == "system_error":
            return 200, {"code": 1001, "message": "System error", "data": None}, None, 240.0, reaches
        text = {"connect_timeout": _CONNECT, "dns": _DNS, "refused": _REFUSED}[name].format(path=path)
        return None, None, text, 5003.0 if name == "connect_timeout" else 12.0, reaches

    def _ok(self, oid, o):
        if self.spot:
            return {"code": 0, "msg": "success", "data": {"orderId": str(oid), "clientOid": o["clientOid"]}}
        r = self.rng.random()
        if r < 0.1:  # the gateway's older build: code 200, no data
            return {"code": 200, "message": "订单创建成功"}
        if r < 0.2:
            return {"code": 0, "msg": "success", "data": None}
        return {"code": 0, "msg": "success", "data": {"orderId": oid, "orderNo": f"CO{20261116000000 + oid % 10**6}"}}

    def _place(self, t, o, intent, resend):
        url = _SPOT + "order" if self.spot else _FUT + "order/create"
        outcome = self._outcome()
        if outcome == "rejected":
            answer = ({"code": 400, "msg": "余额不足"}, 400) if self.spot else \
                ({"code": 8001, "message": "Below minimum trade amount"}, 200)
            line = self._write(t, "POST", url, o, answer[1], answer[0], None, 45.0)
            self._truth(line, None, "place", False, True, None, False)
            return t
        if outcome == "ok":
            oid = self.ex.place(self.name, o, t + 20_000_000)
            line = self._write(t, "POST", url, o, 200, self._ok(oid, o), None, 42.0)
            self._placed(intent, oid, self._truth(line, None, "place", False, True, None, False))
            self.open.append(oid)
            return t
        status, answer, error, ms, reaches = self._failure(outcome, url.split(HOST, 1)[1])
        acted = reaches and self.rng.random() < 0.5
        oid = self.ex.place(self.name, o, t + 30_000_000) if acted else None
        line = self._write(t, "POST", url, o, status, answer, error, ms)
        row = self._truth(line, None, "place", reaches, reaches, None, False)
        if oid is not None:
            self._placed(intent, oid, row)
            self.open.append(oid)
        end = t + int(ms * 1e6)
        if reaches:
            self.pending.append({"row": row, "oid": oid, "symbol": o["symbol"], "ts": t, "action": "place",
                                 "coid": o.get("clientOid")})
        return self._after(end, o, intent, resend, found=oid is not None)

    def _placed(self, intent, oid, row):
        if oid not in self.intents[intent]:
            if self.intents[intent]:
                row[7] = True  # a second order of this intent
                row.append(self.first[intent])  # the attempt that placed the first
            else:
                self.first[intent] = row
            self.intents[intent].append(oid)

    def _after(self, end, o, intent, resend, found):
        """After an unknown answer: reconcile, then send again what is not found (or send again blind)."""
        rng = self.rng
        t = end + int(rng.uniform(1, 20) * 1e9)
        if rng.random() < RECONCILE:
            shows = self._reconcile(t, o["symbol"])
            t += int(rng.uniform(1, 5) * 1e9)
            if shows and found:
                return t
            if shows or resend >= 2:
                if not found and resend < 2:
                    o = dict(o, clientOid=f"mm-{intent}-{resend + 1}") if self.spot else o
                    return self._place(t, o, intent, resend + 1)
                return t
        if resend >= 2:
            return t
        if self.spot and rng.random() >= SAME_OID:
            o = dict(o, clientOid=f"mm-{intent}-{resend + 1}")
        return self._place(t, o, intent, resend + 1)

    def _reconcile(self, t, symbol) -> bool:
        """The bot's queries after a failure; True when they would show (or rule out) its order."""
        if self.spot:
            self._listing(t, "openOrders", symbol, "open")
            return self._listing(t + 150_000_000, "historyOrders", symbol, "finished")
        if self.rng.random() < 0.7:
            return self._listing(t, "order/entrust-history", symbol, "all")
        return self._listing(t, "order/limit", symbol, "open")

    def _listing(self, t, name, symbol, which) -> bool:
        items = self.ex.listing(self.name, symbol, t, which)
        if self.spot:
            listed = [{"orderId": str(o["id"]), "clientOid": o.get("clientOid"), "symbol": symbol, "side": o["side"],
                       "type": "limit", "price": o["price"], "quantity": o["quantity"], "filledQty": "0",
                       "status": {"open": "pending", "cancelled": "cancelled"}.get(o["status"], "filled"),
                       "createdAt": o["created"] // 1_000_000} for o in items]
            answer = {"code": 0, "msg": "success", "data": {"orders": listed, "total": len(listed), "page": 1,
                                                            "size": 100}}
            self._write(t, "GET", _SPOT + f"{name}?symbol={symbol}&page=1&size=100", None, 200, answer, None, 60.0)
        else:
            listed = [{"id": o["id"], "symbol": symbol, "price": o["price"],
                       "status": {"open": 1, "cancelled": 4}.get(o["status"], 2),
                       "orderNo": f"CO{20261116000000 + o['id'] % 10**6}", "openFlag": 1, "longFlag": o["side"],
                       "vol": o["vol"], "orderType": 1, "leverage": 10, "ctime": o["created"] // 1_000_000,
                       "marginMode": 1, "coType": 3} for o in items]
            body = {"symbol": symbol, "coType": 3, "pageIndex": 1, "pageSize": 100}
            self._write(t, "POST", _FUT + name, body, 200, {"code": 0, "msg": "success", "data": listed}, None, 60.0)
        return self._settle(t, symbol, which, {o["id"]: o for o in items})

    def _settle(self, t, symbol, which, listed) -> bool:
        """The truth the listing shows: for each unknown attempt of this symbol before it, within the hour."""
        covers = which == "all" or which == "finished"
        older = any(o["created"] < t - 1 for o in listed.values())
        shown = False
        for p in self.pending:
            if p["symbol"] != symbol or not p["ts"] < t <= p["ts"] + _HOUR_NS or p["row"][6] != "unknown":
                continue
            if p["action"] == "place":
                later = [o for o in listed.values() if p["coid"] and o.get("clientOid") == p["coid"]]
                if p["oid"] is not None and p["oid"] in listed:
                    p["row"][6], shown = "placed", True
                elif later:  # its clientOid's order: there before it (the intent is placed), or made by a later one
                    p["row"][6], shown = "placed" if later[0]["created"] < p["ts"] else "absent", True
                elif p["oid"] is None and covers and older and min(o["created"] for o in listed.values()) <= p["ts"]:
                    if which == "all" or p.get("open_seen", 0) >= t - 1_000_000_000:
                        p["row"][6], shown = "absent", True
                elif p["oid"] is None and which == "open":
                    p["open_seen"] = t
            elif p["oid"] in listed:
                got = listed[p["oid"]]["status"]
                p["row"][6] = "cancelled" if got == "cancelled" and p.get("acted") else "not_cancelled"
                shown = True
        return shown

    def _cancel(self, t, oid):
        url = _SPOT + "cancelOrder" if self.spot else _FUT + "order/cancel"
        o = self.ex.orders[oid]
        body = {"symbol": o["symbol"], "orderId": str(oid)} if self.spot else {"orderId": oid}
        outcome = self._outcome()
        if outcome in ("ok", "rejected"):
            ok = outcome == "ok" and o["status"] == "open"
            if ok:
                o["status"] = "cancelled"
            answer = ({"code": 0, "msg": "success", "data": {"orderId": body["orderId"]}}, 200) if ok else \
                (({"code": 400, "msg": "撤单失败"}, 400) if self.spot else ({"code": 3000, "message": "Object not found"}, 200))
            line = self._write(t, "POST", url, body, answer[1], answer[0], None, 40.0)
            self._truth(line, None, "cancel", False, True, None, False)
            return t
        status, answer, error, ms, reaches = self._failure(outcome, url.split(HOST, 1)[1])
        acted = reaches and self.rng.random() < 0.5 and o["status"] == "open"
        if acted:
            o["status"] = "cancelled"
        line = self._write(t, "POST", url, body, status, answer, error, ms)
        row = self._truth(line, None, "cancel", reaches, reaches, None, False)
        if reaches:
            self.pending.append({"row": row, "oid": oid, "symbol": o["symbol"], "ts": t, "action": "cancel",
                                 "acted": acted})
            t2 = t + int(ms * 1e6) + int(self.rng.uniform(1, 20) * 1e9)
            if self.rng.random() < RECONCILE:
                self._reconcile(t2, o["symbol"])
            return t2
        if o["status"] == "open":
            self.open.append(oid)
        return t

    def _batch(self, t):
        symbol = self._symbol()
        orders, intents = [], []
        for k in range(2 + int(self.rng.integers(4))):
            intent = len(self.intents)
            self.intents[intent] = []
            orders.append(self._order(symbol, intent))
            intents.append(intent)
        outcome = self._outcome()
        if outcome not in ("ok", "rejected"):
            outcome = "ok"  # a batch's failures are its items'
        results = []
        for o, intent in zip(orders, intents):
            fails = self.rng.random() < 0.1
            oid = None if fails else self.ex.place(self.name, o, t + 20_000_000)
            results.append({"orderId": "" if fails else str(oid), "clientOid": o["clientOid"], "success": not fails,
                            "errorCode": 1001 if fails else 0, "errorMsg": "余额不足" if fails else ""})
            if oid is not None:
                self.open.append(oid)
                self.intents[intent].append(oid)
        line = self._write(t, "POST", _SPOT + "batchOrder", {"orders": orders}, 200,
                           {"code": 0, "msg": "success", "data": {"results": results}}, None, 80.0)
        for k in range(len(orders)):
            self._truth(line, k, "place", False, True, None, False)
        return t

    def _truth(self, line, item, action, unknown, sent, fate, duplicate):
        row = [self.name, line, item, action, unknown, sent, "unknown" if unknown else fate, duplicate]
        self.truth.append(row)
        return row


__all__ = ["FAILURES", "simulate_orders"]
