"""Write realistic recordings of a bot trading both markets, with planted incidents.

The calls are the exchange's real ones: its production host, the documented
paths, methods, parameters and data shapes of both markets (batch calls and
the legacy ``/api/v1/fdata`` market data included), ``ACCESS-KEY`` /
``ACCESS-SIGN`` / ``ACCESS-TIMESTAMP`` headers on signed calls, error texts
mostly in the exchange's Chinese with a share in English. The spot bot logs
flat JSON Lines (ISO times, the envelope under ``response``); the futures
bot sits behind a gateway that logs the nested form (epoch-ms ``time``,
``request`` with its headers, ``response`` with its ``Date`` header).

Both see a background of ordinary errors (about 2%), batch items failing
inside a success envelope, code 1006 when three or more order calls are in
flight, a first stretch of ``code: 200`` successes from the futures
gateway's older build, and the incidents listed by :func:`planted`. The same
seed gives the same bytes.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from . import _shapes
from ._io import atomic_file

HOST = "https://api9528mystks.mystonks.org"  # the exchange's production host
LIMIT_PER_S, LIMIT_PER_MIN = 10, 300
DEFAULT_START = "2026-11-16"
#: Share of error bodies worded in Chinese, as the exchange documents them; the rest in English.
CHINESE_SHARE = 0.75
#: Hours from the start during which the futures gateway's private endpoints answer success with
#: ``code: 200`` (the older API build other clients saw live), not 0.
CODE_200_HOURS = 8
#: Order calls in flight at once from which the exchange answers HTTP 200 code 1006.
CONCURRENT_ORDERS, IN_FLIGHT_MS = 3, 250

# (method, path, weight, signed, role): role says which body and which errors the call gets.
# Paths, methods and parameters are the exchange's (see toolkit.endpoints()).
_SPOT = "/api/v1/stock/open-api"
_FUT = "/api/v1/futures/open-api"
ENDPOINTS = {
    "spot": [
        ("GET", f"{_SPOT}/depth", 30, False, "data"),
        ("GET", f"{_SPOT}/ticker", 22, False, "data"),
        ("GET", f"{_SPOT}/klines", 10, False, "data"),
        ("GET", f"{_SPOT}/priceSteps", 1, False, "data"),
        ("POST", f"{_SPOT}/order", 12, True, "order"),
        ("POST", f"{_SPOT}/batchOrder", 2, True, "batch"),
        ("POST", f"{_SPOT}/cancelOrder", 5, True, "order"),
        ("POST", f"{_SPOT}/batchCancelOrder", 1, True, "batch"),
        ("GET", f"{_SPOT}/openOrders", 4, True, "query"),
        ("GET", f"{_SPOT}/historyOrders", 1, True, "query"),
        ("GET", f"{_SPOT}/orderDetail", 4, True, "query"),
        ("GET", f"{_SPOT}/trades", 2, True, "query"),
        ("GET", f"{_SPOT}/assets", 6, True, "query"),
    ],
    "futures": [
        ("GET", f"{_FUT}/orderbook/{{symbol}}", 24, True, "data"),
        ("GET", f"{_FUT}/ticker/{{symbol}}", 16, True, "data"),
        ("GET", f"{_FUT}/kline", 10, True, "data"),
        ("GET", f"{_FUT}/products", 1, True, "data"),
        ("GET", f"{_FUT}/price-steps/{{symbol}}", 1, True, "data"),
        ("POST", f"{_FUT}/order/create", 14, True, "order"),
        ("POST", f"{_FUT}/order/cancel", 6, True, "order"),
        ("POST", f"{_FUT}/order/limit", 4, True, "query"),
        ("POST", f"{_FUT}/order/history", 2, True, "query"),
        ("POST", f"{_FUT}/order/entrust-history", 1, True, "query"),
        ("POST", f"{_FUT}/position/current", 8, True, "query"),
        ("POST", f"{_FUT}/position/history", 1, True, "query"),
        ("GET", f"{_FUT}/account/config", 1, True, "query"),
        ("POST", f"{_FUT}/account/leverage", 2, True, "account"),
        ("POST", f"{_FUT}/account/margin-mode", 1, True, "account"),
        ("GET", "/api/v1/fdata/productList", 1, False, "legacy"),
        ("GET", "/api/v1/fdata/ticker/price", 2, False, "legacy"),
        ("GET", "/api/v1/fdata/depth", 3, False, "legacy"),
    ],
}
SYMBOLS = {"spot": ["AAPL", "TSLA", "NVDA", "MSFT", "AMZN"], "futures": ["BTCUSDT", "ETHUSDT", "SOLUSDT", "00700", "AAPL"]}
_CO_TYPE = {"BTCUSDT": 3, "ETHUSDT": 3, "SOLUSDT": 3, "00700": 2, "AAPL": 1}  # 1 US stock, 2 HK stock, 3 crypto
_LEGACY = {"BTCUSDT": "BTC-USD-PERP", "ETHUSDT": "ETH-USD-PERP", "SOLUSDT": "SOL-USD-PERP",
           "00700": "BTC-USD-PERP", "AAPL": "ETH-USD-PERP"}

# Outcomes: (status, Chinese body, English body, error text). Texts are the exchange's (endpoints.md).
_HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
_HTML_503 = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
_TIMEOUT = ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): "
            "Read timed out. (read timeout=10)")
_RESET = ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
_REFUSED = ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: "
            "{path} (Caused by NewConnectionError('Failed to establish a new connection: "
            "[Errno 111] Connection refused'))")


def _err(code, zh, en, key="message"):
    return {"code": code, key: zh}, {"code": code, key: en}


OUTCOMES = {
    "ok": (200, None, None, None),
    "rate_limited": (429, *_err(429, "请求频率超限（每秒/每分钟）", "Too Many Requests"), None),
    "order_rate_limited": (429, *_err(429, "下单频率超限", "Order rate limit exceeded"), None),
    "concurrent_order_limit": (200, *_err(1006, "Request too frequent", "Request too frequent"), None),
    "timestamp_expired": (401, *_err(401, "时间戳过期", "Timestamp expired"), None),
    "signature_invalid": (401, *_err(401, "签名验证失败", "Signature verification failed"), None),
    "internal_error": (500, *_err(500, "内部错误", "Internal error"), None),
    "kline_unavailable": (500, *_err(500, "K 线服务不可用", "K-line service unavailable", "msg"), None),
    "bad_gateway": (502, _HTML_502, _HTML_502, None),
    "unavailable": (503, _HTML_503, _HTML_503, None),
    "timeout": (None, None, None, _TIMEOUT),
    "reset": (None, None, None, _RESET),
    "refused": (None, None, None, _REFUSED),
    "invalid_parameters": (400, *_err(400, "参数错误", "Invalid parameters: quantity"), None),
    "spot_insufficient": (400, *_err(400, "余额不足", "Order failed: insufficient balance", "msg"), None),
    "spot_pair_not_found": (400, *_err(400, "交易对不存在", "Trading pair does not exist", "msg"), None),
    "spot_cancel_failed": (400, *_err(400, "撤单失败", "Cancel order failed", "msg"), None),
    "spot_order_not_found": (404, *_err(404, "订单不存在", "Order not found", "msg"), None),
    "system_error": (200, *_err(1001, "System error", "System error"), None),
    "object_not_found": (200, *_err(3000, "Trading pair not found", "Object not found"), None),
    "third_party_error": (200, *_err(3004, "Third-party service error: K-line query failed",
                                     "Third-party service error: ticker query failed"), None),
    "below_min_amount": (200, *_err(8001, "Below minimum trade amount", "Below minimum trade amount"), None),
    "insufficient_balance_to_close": (200, *_err(8003, "Insufficient balance to close, check position and open orders",
                                                 "Insufficient balance to close"), None),
    "order_creation_failed": (200, *_err(8004, "Order creation failed", "Order creation failed"), None),
    "tpsl_immediate": (200, *_err(8006, "Take-profit/stop-loss order would be triggered immediately",
                                  "Take-profit/stop-loss order would be triggered immediately"), None),
    "leverage_error": (200, *_err(8011, "杠杆异常", "Leverage error"), None),
    "margin_mode_error": (200, *_err(8012, "保证金模式异常", "Margin mode error"), None),
    "insufficient_margin": (200, *_err(8018, "Insufficient margin", "Insufficient margin"), None),
    # the legacy market data: HTTP 500 {"error": ...} and nothing else; {legacy} is the symbol sent
    "legacy_invalid_symbol": (500, {"error": "invalid symbol format: {legacy}"}, None, None),
    "legacy_no_data": (500, {"error": "no data returned for symbol: {legacy}"}, None, None),
}
_NAMES = list(OUTCOMES)
_ID = {name: i for i, name in enumerate(_NAMES)}

# Background errors per market and role: (outcome, weight); about 2% of calls.
_TRANSIENT = [("internal_error", 1), ("timeout", 2), ("rate_limited", 1)]
BACKGROUND = {
    "spot": {
        "data": [("spot_pair_not_found", 2), ("invalid_parameters", 2), *_TRANSIENT],
        "order": [("invalid_parameters", 3), ("spot_insufficient", 3), ("spot_cancel_failed", 2),
                  ("spot_order_not_found", 1), ("signature_invalid", 1), *_TRANSIENT],
        "batch": [("invalid_parameters", 1), *_TRANSIENT],
        "query": [("spot_order_not_found", 3), ("invalid_parameters", 1), ("signature_invalid", 1), *_TRANSIENT],
    },
    "futures": {
        "data": [("invalid_parameters", 1), ("object_not_found", 1), ("system_error", 1), *_TRANSIENT],
        "order": [("invalid_parameters", 2), ("below_min_amount", 3), ("order_creation_failed", 2),
                  ("tpsl_immediate", 2), ("insufficient_balance_to_close", 1), *_TRANSIENT],
        "query": [("invalid_parameters", 1), ("system_error", 1), *_TRANSIENT],
        "account": [("leverage_error", 2), ("margin_mode_error", 2), *_TRANSIENT],
        "legacy": [("legacy_invalid_symbol", 3), ("timeout", 1)],
    },
}
BACKGROUND_RATE = 0.02
#: Share of a batch call's items that fail inside its success envelope (spot batchOrder / batchCancelOrder).
BATCH_ITEM_FAILURE = 0.06


@dataclass(frozen=True)
class Incident:
    """One planted incident: where, when, and what it does to the calls in it."""

    market: str
    start: pd.Timestamp
    minutes: int
    category: str
    kind: str
    description: str


#: Whose fault each kind of planted incident is (the causes of ``toolkit/causes.csv``).
CAUSES = {"storm": "client_rate", "drift": "client_clock", "margin": "client_funds", "outage": "exchange",
          "upstream": "exchange", "network": "network"}


def planted(start=DEFAULT_START, *, seed: int = 7) -> pd.DataFrame:
    """The incidents :func:`simulate` plants for ``start`` and ``seed``.

    Returns a DataFrame with ``start``, ``end`` (UTC), ``market``,
    ``category``, ``cause`` (whose fault, as :func:`toolkit.find_incidents`
    names it), ``kind`` and ``description``, sorted by start.

    Examples
    --------
    >>> from toolkit.simulation import planted
    >>> planted()[["market", "category"]].head(3).values.tolist()
    [['spot', 'rate_limit'], ['futures', 'auth'], ['spot', 'auth']]
    """
    return pd.DataFrame([
        {"start": i.start, "end": i.start + pd.Timedelta(minutes=i.minutes), "market": i.market,
         "category": i.category, "cause": CAUSES[i.kind], "kind": i.kind, "description": i.description}
        for i in _incidents(start, seed)
    ]).sort_values(["start", "market"], kind="stable", ignore_index=True)


def _incidents(start, seed) -> list[Incident]:
    t0 = pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start).tz_convert("UTC")
    jitter = np.random.default_rng(seed + 1).integers(0, 50, size=8)

    def at(day, hh, mm, j):
        return t0 + pd.Timedelta(days=day, hours=hh, minutes=mm + int(jitter[j]) % 20)

    drift = at(1, 9, 30, 1)
    outage = at(2, 14, 0, 2)
    return [
        Incident("spot", at(0, 21, 5, 0), 10, "rate_limit", "storm",
                 "bot loop bursts to 13 requests/s on spot; calls over 10/s and 300/min get 429, "
                 "order calls three at a time get 1006"),
        Incident("spot", drift, 40, "auth", "drift",
                 "host clock drifts beyond +/-30 s: signed calls get 401 timestamp expired"),
        Incident("futures", drift, 40, "auth", "drift",
                 "same clock drift seen by the futures bot"),
        Incident("spot", outage, 25, "server_error", "outage",
                 "exchange outage: 500s and gateway 502/503 pages"),
        Incident("futures", outage, 25, "server_error", "outage",
                 "exchange outage: 1001 system error, 500s and 502/503, some timeouts"),
        Incident("futures", at(3, 2, 0, 3), 60, "insufficient_funds", "margin",
                 "margin runs out: orders fail with 8018 insufficient margin and the bot keeps retrying"),
        Incident("spot", at(4, 18, 0, 4), 15, "transport", "network",
                 "network trouble to the exchange: timeouts and connection resets on spot"),
        Incident("futures", at(5, 10, 0, 5), 30, "upstream_error", "upstream",
                 "market data upstream fails: kline/ticker/orderbook return 3004 third-party error"),
        Incident("futures", at(5, 20, 30, 6), 10, "rate_limit", "storm",
                 "futures bot bursts to 14 requests/s; calls over the limit get 429, "
                 "order calls three at a time get 1006"),
    ]


def _schedule(market, t0, days, per_minute, rng, incidents):
    """Call times (ns since epoch) for one market: Poisson by minute, diurnal, plus storms."""
    minutes = days * 24 * 60
    m = np.arange(minutes)
    hour = (m // 60) % 24
    diurnal = 1.0 + 0.4 * np.sin((hour - 8) / 24 * 2 * np.pi)
    counts = rng.poisson(per_minute * diurnal)
    starts = t0.value + m * 60_000_000_000
    times = np.repeat(starts, counts) + rng.integers(0, 60_000_000_000, counts.sum())
    extra = []
    for inc in incidents:
        if inc.market == market and inc.kind == "storm":
            rate = 13 if market == "spot" else 14
            n = rate * inc.minutes * 60
            extra.append(inc.start.value + rng.integers(0, inc.minutes * 60_000_000_000, n))
    return np.sort(np.concatenate([times, *extra]))


def _roles(market, endpoints):
    return np.array([e[4] for e in ENDPOINTS[market]])[endpoints]


def _outcomes(market, times, endpoints, signed, rng, incidents):
    n = len(times)
    role = _roles(market, endpoints)
    out = np.full(n, _ID["ok"], dtype=np.int16)
    bg = rng.random(n) < BACKGROUND_RATE
    pick = rng.random(n)
    for r, table in BACKGROUND[market].items():
        names, weights = zip(*table)
        cum = np.cumsum(weights) / sum(weights)
        w = bg & (role == r)
        out[w] = np.array([_ID[x] for x in names])[np.searchsorted(cum, pick[w], side="right").clip(0, len(names) - 1)]
    is_order = np.isin(role, ["order", "batch"])
    is_data = role == "data"
    legacy = role == "legacy"
    for inc in incidents:
        if inc.market != market:
            continue
        lo, hi = inc.start.value, (inc.start + pd.Timedelta(minutes=inc.minutes)).value
        w = (times >= lo) & (times < hi)
        if inc.kind == "drift":
            hit = w & signed & (rng.random(n) < 0.97)
            out[hit] = _ID["timestamp_expired"]
        elif inc.kind == "outage":
            kinds = (["system_error", "internal_error", "bad_gateway", "unavailable", "timeout"]
                     if market == "futures" else ["internal_error", "bad_gateway", "unavailable", "kline_unavailable"])
            hit = w & (rng.random(n) < 0.8)
            out[hit] = np.array([_ID[x] for x in kinds])[rng.integers(0, len(kinds), hit.sum())]
            out[hit & legacy] = _ID["legacy_no_data"]
        elif inc.kind == "margin":
            hit = w & is_order & (rng.random(n) < 0.9)
            pick = rng.random(hit.sum()) < 0.8
            out[hit] = np.where(pick, _ID["insufficient_margin"], _ID["insufficient_balance_to_close"])
        elif inc.kind == "network":
            hit = w & (rng.random(n) < 0.7)
            kinds = ["timeout", "timeout", "reset", "refused"]
            out[hit] = np.array([_ID[x] for x in kinds])[rng.integers(0, len(kinds), hit.sum())]
        elif inc.kind == "upstream":
            hit = w & is_data & (rng.random(n) < 0.85)
            out[hit] = _ID["third_party_error"]
    # the rate limiter: per second and per minute, whatever the cause
    for unit, limit in ((1_000_000_000, LIMIT_PER_S), (60_000_000_000, LIMIT_PER_MIN)):
        bucket = times // unit
        _, first, counts = np.unique(bucket, return_index=True, return_counts=True)
        rank = np.arange(n) - np.repeat(first, counts)
        over = rank >= limit
        limited = over & ((out == _ID["ok"]) | (rng.random(n) < 0.5))
        out[limited] = np.where(is_order[limited] & (rng.random(limited.sum()) < 0.3),
                                _ID["order_rate_limited"], _ID["rate_limited"])
    # three or more order calls in flight at once: HTTP 200, code 1006 (seen live, not documented)
    orders = np.flatnonzero(is_order & (role != "batch"))
    t = times[orders]
    in_flight = np.arange(len(t)) - np.searchsorted(t, t - IN_FLIGHT_MS * 1_000_000, side="right") + 1
    busy = orders[in_flight >= CONCURRENT_ORDERS]
    out[busy[out[busy] == _ID["ok"]]] = _ID["concurrent_order_limit"]
    return out


def _clock_offset_ms(times, incidents, rng):
    """Client clock minus server clock: small jitter, ramping past 30 s during a drift."""
    off = rng.normal(150, 80, len(times))
    for inc in incidents:
        if inc.kind != "drift":
            continue
        lo = inc.start.value
        ramp = 20 * 60_000_000_000  # 20 min to drift from 0 to the 30 s threshold
        a = lo - ramp
        b = lo + inc.minutes * 60_000_000_000
        w = (times >= a) & (times < b)  # at b the host resyncs its clock
        t = times[w]
        rise = (t - a) / ramp * 30_000
        peak = 30_000 + (t - lo) / (inc.minutes * 60_000_000_000) * 30_000
        off[w] = np.where(t < lo, rise, peak)
    return off


def _market_calls(market, t0, days, per_minute, rng, incidents):
    times = _schedule(market, t0, days, per_minute, rng, incidents)
    eps = ENDPOINTS[market]
    w = np.array([e[2] for e in eps], float)
    endpoint = rng.choice(len(eps), len(times), p=w / w.sum())
    signed = np.array([e[3] for e in eps])[endpoint]
    out = _outcomes(market, times, endpoint, signed, rng, incidents)
    # which items of a batch call fail: a bit mask over its (at most 5) items
    fails = (rng.random((len(times), 5)) < BATCH_ITEM_FAILURE) @ (1 << np.arange(5))
    latency = np.round(rng.lognormal(np.log(45), 0.5, len(times)), 1)
    timeout = np.isin(out, [_ID["timeout"]])
    latency[timeout] = 10_000.0 + np.round(rng.random(timeout.sum()) * 50, 1)
    slow = np.isin(out, [_ID[x] for x in ("bad_gateway", "unavailable", "internal_error", "system_error")])
    latency[slow] = np.round(rng.lognormal(np.log(900), 0.6, slow.sum()), 1)
    calls = pd.DataFrame({
        "t": times, "endpoint": endpoint, "outcome": out, "latency": latency,
        "symbol": rng.integers(0, len(SYMBOLS[market]), len(times)),
        "u": rng.random(len(times)), "oid": rng.integers(10**9, 10**10, len(times)),
        "offset": _clock_offset_ms(times, incidents, rng),
        "zh": rng.random(len(times)) < CHINESE_SHARE, "fails": fails,
    })
    # the bot retries an order the margin rejected, 2 to 4 times, 1 to 3 s apart: the same call each time
    margin = calls[calls["outcome"] == _ID["insufficient_margin"]]
    tries = rng.integers(2, 5, len(margin))
    again = margin.loc[margin.index.repeat(tries)].copy()
    step = np.concatenate([np.arange(1, k + 1) for k in tries]) if len(tries) else np.zeros(0, np.int64)
    again["t"] += step * rng.integers(1_000_000_000, 3_000_000_000, len(again))
    return pd.concat([calls, again], ignore_index=True).sort_values("t", kind="stable", ignore_index=True)


def _iso(ns: np.ndarray) -> list[str]:
    s = np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s]


def _http_date(ns: np.ndarray) -> list[str]:
    return pd.DatetimeIndex(ns, tz="UTC").strftime("%a, %d %b %Y %H:%M:%S GMT").tolist()


def _lines(market: str, calls: pd.DataFrame, seed: int, t0: pd.Timestamp):
    eps, syms = ENDPOINTS[market], SYMBOLS[market]
    iso = _iso(calls["t"].to_numpy()) if market == "spot" else None
    dates = _http_date(calls["t"].to_numpy()) if market == "futures" else None
    key = f"ak-{seed:04d}-5f1e9c2a7b"
    code_200_until = (t0 + pd.Timedelta(hours=CODE_200_HOURS)).value if market == "futures" else 0
    for i, (t, e, o, lat, s, u, oid, off, zh, fails) in enumerate(calls.itertuples(index=False, name=None)):
        method, tmpl, _, signed, role = eps[e]
        symbol = syms[s]
        co_type, legacy = _CO_TYPE.get(symbol, 1), _LEGACY.get(symbol, "BTC-USD-PERP")
        path = tmpl.replace("{symbol}", symbol)
        status, body, body_en, error = OUTCOMES[_NAMES[o]]
        if body_en is not None and not zh:
            body = body_en
        query, sent = _shapes.request(tmpl, symbol, co_type, legacy, u, oid)
        if _NAMES[o] == "legacy_invalid_symbol":  # the bot sent the futures symbol form
            legacy = legacy.replace("-USD-PERP", "-USDT")
            query = {**(query or {}), "symbol": legacy}
        if isinstance(body, dict) and "error" in body:
            body = {"error": body["error"].replace("{legacy}", legacy)}
        if status == 200 and body is None:
            failed = {j for j in range(5) if fails >> j & 1} if role == "batch" else ()
            payload = _shapes.data(tmpl, symbol, co_type, legacy, u, oid, failed)
            if role == "legacy":
                body = payload
            elif t < code_200_until and role != "data":  # the older build: private success is code 200
                body = ({"code": 200, "message": "订单创建成功", "data": payload} if tmpl.endswith("order/create")
                        else {"code": 200, "msg": "success", "data": payload})
            else:
                body = {"code": 0, "msg": "success", "data": payload}
        if error is not None:
            error = error.replace("{path}", path)
        url = HOST + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        headers = None
        if signed:
            headers = {"ACCESS-KEY": key, "ACCESS-SIGN": f"{oid * 7919:x}=",
                       "ACCESS-TIMESTAMP": str(int(t // 1_000_000 + off))}
        if market == "spot":
            rec = {"ts": iso[i], "method": method, "url": url}
            req = {}
            if headers:
                req["headers"] = headers
            if sent is not None:
                req["body"] = sent
            if req:
                rec["request"] = req
            rec["status"] = status
            if body is not None:
                rec["response"] = body
            if error is not None:
                rec["error"] = error
            rec["elapsed_ms"] = lat
        else:
            req = {"method": method, "url": url}
            if headers:
                req["headers"] = {**headers, "Content-Type": "application/json"} if sent is not None else headers
            if sent is not None:
                req["body"] = sent
            rec = {"time": int(t // 1_000_000), "request": req}
            if status is None:
                rec["response"] = None
                rec["error"] = error
            else:
                rec["response"] = {"status": status, "headers": {"Date": dates[i]}, "body": body}
            rec["duration_ms"] = lat
        yield orjson.dumps(rec)


def simulate(dest, *, seed: int = 7, start=DEFAULT_START, days: int = 7, calls: int | None = None,
             compress: bool = True) -> pd.DataFrame:
    """Write a week of recorded calls from a bot trading spot and futures.

    Parameters
    ----------
    dest : path
        A directory (gets ``spot-bot.jsonl[.gz]`` and ``futures-gateway.jsonl[.gz]``)
        or a file name ending in ``.jsonl`` / ``.jsonl.gz`` (both markets in one
        file, in time order).
    seed : int
        Same seed, same bytes.
    start : date-like
        First day (UTC) of the recording.
    days : int
        Length of the recording; incidents are planted on days 1 to 6.
    calls : int, optional
        Approximate number of ordinary calls to write (storm bursts come on
        top); default about 110,000 for a week.
    compress : bool
        Gzip the output when ``dest`` is a directory.

    Returns
    -------
    DataFrame
        The planted incidents (see :func:`planted`) that fall inside the recording.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> with tempfile.TemporaryDirectory() as d:
    ...     incidents = toolkit.simulate(d, days=1, calls=2000)
    ...     df = toolkit.load_logs(d)
    >>> incidents["category"].tolist(), sorted(df["market"].unique())
    (['rate_limit'], ['futures', 'spot'])
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start)
    incidents = [i for i in _incidents(start, seed) if i.start < t0 + pd.Timedelta(days=days)]
    per_day = (calls if calls is not None else 110_000 * days / 7) / days
    share = {"spot": 0.2, "futures": 0.8}
    frames = {m: _market_calls(m, t0, days, per_day * share[m] / 1440, rng, incidents) for m in ("spot", "futures")}
    dest = Path(dest)
    if dest.name.endswith((".jsonl", ".jsonl.gz")):
        dest.parent.mkdir(parents=True, exist_ok=True)
        both = pd.concat([frames["spot"].assign(m=0), frames["futures"].assign(m=1)], ignore_index=True)
        order = np.argsort(both["t"].to_numpy(), kind="stable")
        gens = {m: _lines(m, frames[m], seed, t0) for m in ("spot", "futures")}
        which = both["m"].to_numpy()[order]
        _write(dest, (next(gens["spot" if w == 0 else "futures"]) for w in which))
    else:
        dest.mkdir(parents=True, exist_ok=True)
        suffix = ".jsonl.gz" if compress else ".jsonl"
        _write(dest / f"spot-bot{suffix}", _lines("spot", frames["spot"], seed, t0))
        _write(dest / f"futures-gateway{suffix}", _lines("futures", frames["futures"], seed, t0))
    end = t0 + pd.Timedelta(days=days)
    p = planted(start, seed=seed)
    return p[p["start"] < end].reset_index(drop=True)


def _gzip_opener(name: str):
    """Gzip streams that name ``name`` in their header whatever the temporary file is called (the sample is
    byte for byte what the simulator writes)."""
    def opener(tmp):
        raw = open(tmp, "wb")
        gz = gzip.GzipFile(filename=name, mode="wb", fileobj=raw, compresslevel=9, mtime=0)
        gz.myfileobj = raw  # closing the gzip stream closes the file, as gzip.open's streams do
        return gz
    return opener


def _write(path: Path, lines) -> None:
    opener = _gzip_opener(path.name + ".part") if path.name.endswith(".gz") else None
    with atomic_file(path, opener=opener) as f:
        buf = []
        for line in lines:
            buf.append(line)
            if len(buf) >= 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            f.write(b"\n".join(buf) + b"\n")
