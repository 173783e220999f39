"""Write realistic recordings of a bot trading both markets, with planted incidents.

The spot bot logs flat JSON Lines (ISO times, the envelope under
``response``); the futures bot sits behind a gateway that logs the nested
form (epoch-ms ``time``, ``request`` with its auth headers, ``response`` with
its ``Date`` header). Both see a background of ordinary errors (about 2%)
and the incidents listed by :func:`planted`. The same seed gives the same
bytes.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

HOST = "https://openapi.exchange.example"
LIMIT_PER_S, LIMIT_PER_MIN = 10, 300
DEFAULT_START = "2026-11-16"

# (method, path, weight, signed, has symbol)
ENDPOINTS = {
    "spot": [
        ("GET", "/api/v1/stock/open-api/depth", 30, False, True),
        ("GET", "/api/v1/stock/open-api/ticker", 25, False, True),
        ("GET", "/api/v1/stock/open-api/kline", 10, False, True),
        ("POST", "/api/v1/stock/open-api/order", 12, True, True),
        ("POST", "/api/v1/stock/open-api/cancel", 6, True, True),
        ("GET", "/api/v1/stock/open-api/order/{id}", 9, True, False),
        ("GET", "/api/v1/stock/open-api/account/balance", 8, True, False),
    ],
    "futures": [
        ("GET", "/api/v1/futures/market/depth", 26, False, True),
        ("GET", "/api/v1/futures/market/ticker", 20, False, True),
        ("GET", "/api/v1/futures/market/kline", 10, False, True),
        ("POST", "/api/v1/futures/trade/order", 14, True, True),
        ("POST", "/api/v1/futures/trade/cancel", 6, True, True),
        ("GET", "/api/v1/futures/trade/order/{id}", 8, True, False),
        ("GET", "/api/v1/futures/position", 10, True, True),
        ("POST", "/api/v1/futures/account/leverage", 3, True, True),
        ("POST", "/api/v1/futures/trade/tpsl", 3, True, True),
    ],
}
SYMBOLS = {"spot": ["AAPL", "TSLA", "NVDA", "MSFT", "AMZN"], "futures": ["BTCUSDT", "ETHUSDT", "SOLUSDT"]}

# Outcomes: (status, body, error text). Bodies are what the exchange documents.
_HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
_HTML_503 = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
_TIMEOUT = ("HTTPSConnectionPool(host='openapi.exchange.example', port=443): "
            "Read timed out. (read timeout=10)")
_RESET = ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
_REFUSED = ("HTTPSConnectionPool(host='openapi.exchange.example', port=443): Max retries exceeded with url: "
            "{path} (Caused by NewConnectionError('Failed to establish a new connection: "
            "[Errno 111] Connection refused'))")

OUTCOMES = {
    "ok": (200, None, None),
    "rate_limited": (429, {"code": 429, "message": "Rate limit exceeded"}, None),
    "order_rate_limited": (429, {"code": 429, "message": "Order rate limit exceeded"}, None),
    "timestamp_expired": (401, {"code": 401, "message": "Request timestamp expired"}, None),
    "signature_invalid": (401, {"code": 401, "message": "Signature verification failed"}, None),
    "internal_error": (500, {"code": 500, "message": "Internal error"}, None),
    "kline_unavailable": (500, {"code": 500, "msg": "K-line service unavailable"}, None),
    "bad_gateway": (502, _HTML_502, None),
    "unavailable": (503, _HTML_503, None),
    "timeout": (None, None, _TIMEOUT),
    "reset": (None, None, _RESET),
    "refused": (None, None, _REFUSED),
    "invalid_parameters": (400, {"code": 400, "message": "Invalid parameters: quantity"}, None),
    "spot_insufficient": (400, {"code": 400, "msg": "Order failed: insufficient balance"}, None),
    "spot_pair_not_found": (400, {"code": 400, "msg": "Trading pair does not exist"}, None),
    "spot_cancel_failed": (400, {"code": 400, "msg": "Cancel order failed"}, None),
    "spot_order_not_found": (404, {"code": 404, "msg": "Order not found"}, None),
    "system_error": (200, {"code": 1001, "message": "System error"}, None),
    "object_not_found": (200, {"code": 3000, "message": "Object not found"}, None),
    "third_party_error": (200, {"code": 3004, "message": "Third-party service error: K-line query failed"}, None),
    "below_min_amount": (200, {"code": 8001, "message": "Below minimum trade amount"}, None),
    "insufficient_balance_to_close": (200, {"code": 8003, "message": "Insufficient balance to close, check position and open orders"}, None),
    "order_creation_failed": (200, {"code": 8004, "message": "Order creation failed"}, None),
    "tpsl_immediate": (200, {"code": 8006, "message": "Take-profit/stop-loss order would be triggered immediately"}, None),
    "insufficient_margin": (200, {"code": 8018, "message": "Insufficient margin"}, None),
}
_NAMES = list(OUTCOMES)
_ID = {name: i for i, name in enumerate(_NAMES)}

# Background errors per market: (outcome, weight); about 2% of calls.
BACKGROUND = {
    "spot": [("invalid_parameters", 3), ("spot_insufficient", 2), ("spot_pair_not_found", 1),
             ("spot_cancel_failed", 2), ("spot_order_not_found", 3), ("internal_error", 1),
             ("timeout", 2), ("rate_limited", 1), ("signature_invalid", 1)],
    "futures": [("invalid_parameters", 2), ("below_min_amount", 3), ("order_creation_failed", 2),
                ("tpsl_immediate", 2), ("object_not_found", 1), ("system_error", 1), ("internal_error", 1),
                ("timeout", 2), ("rate_limited", 1), ("insufficient_balance_to_close", 1)],
}
BACKGROUND_RATE = 0.02


@dataclass(frozen=True)
class Incident:
    """One planted incident: where, when, and what it does to the calls in it."""

    market: str
    start: pd.Timestamp
    minutes: int
    category: str
    kind: str
    description: str


def planted(start=DEFAULT_START, *, seed: int = 7) -> pd.DataFrame:
    """The incidents :func:`simulate` plants for ``start`` and ``seed``.

    Returns a DataFrame with ``start``, ``end`` (UTC), ``market``,
    ``category``, ``kind`` and ``description``, sorted by start.

    Examples
    --------
    >>> from toolkit.simulation import planted
    >>> planted()[["market", "category"]].head(3).values.tolist()
    [['spot', 'rate_limit'], ['futures', 'auth'], ['spot', 'auth']]
    """
    return pd.DataFrame([
        {"start": i.start, "end": i.start + pd.Timedelta(minutes=i.minutes), "market": i.market,
         "category": i.category, "kind": i.kind, "description": i.description}
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
                 "bot loop bursts to 13 requests/s on spot; calls over 10/s and 300/min get 429"),
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
                 "market data upstream fails: kline/ticker/depth return 3004 third-party error"),
        Incident("futures", at(5, 20, 30, 6), 10, "rate_limit", "storm",
                 "futures bot bursts to 14 requests/s; calls over the limit get 429"),
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


def _outcomes(market, times, endpoints, signed, rng, incidents):
    n = len(times)
    names, weights = zip(*BACKGROUND[market])
    p = np.array(weights, float) / sum(weights)
    out = np.full(n, _ID["ok"], dtype=np.int16)
    bg = rng.random(n) < BACKGROUND_RATE
    out[bg] = np.array([_ID[x] for x in names])[rng.choice(len(names), bg.sum(), p=p)]
    is_order = np.isin(endpoints, [i for i, e in enumerate(ENDPOINTS[market]) if e[0] == "POST"])
    is_data = np.isin(endpoints, [i for i, e in enumerate(ENDPOINTS[market]) if "/market/" in e[1]])
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


def _success_body(path, symbol, rng_val, oid):
    if path.endswith("/depth"):
        px = round(100 + rng_val * 50, 2)
        data = {"symbol": symbol, "bids": [[px, 12], [round(px - 0.05, 2), 30]],
                "asks": [[round(px + 0.05, 2), 8], [round(px + 0.1, 2), 25]]}
    elif path.endswith("/ticker"):
        data = {"symbol": symbol, "last": round(100 + rng_val * 50, 2), "volume": int(rng_val * 1e6)}
    elif path.endswith("/kline"):
        data = [[1, 2, 3, 4]]
    elif path.endswith("/order") or path.endswith("/tpsl"):
        data = {"orderId": oid, "status": "NEW"}
    elif path.endswith("/cancel"):
        data = {"orderId": oid, "status": "CANCELED"}
    elif "{id}" in path:
        data = {"orderId": oid, "status": "FILLED", "filledQty": "1"}
    else:
        data = {"available": round(rng_val * 1e4, 2)}
    return {"code": 0, "msg": "success", "data": data}


def _market_calls(market, t0, days, per_minute, rng, incidents):
    times = _schedule(market, t0, days, per_minute, rng, incidents)
    eps = ENDPOINTS[market]
    w = np.array([e[2] for e in eps], float)
    endpoint = rng.choice(len(eps), len(times), p=w / w.sum())
    signed = np.array([e[3] for e in eps])[endpoint]
    out = _outcomes(market, times, endpoint, signed, rng, incidents)
    latency = np.round(rng.lognormal(np.log(45), 0.5, len(times)), 1)
    timeout = np.isin(out, [_ID["timeout"]])
    latency[timeout] = 10_000.0 + np.round(rng.random(timeout.sum()) * 50, 1)
    slow = np.isin(out, [_ID[x] for x in ("bad_gateway", "unavailable", "internal_error", "system_error")])
    latency[slow] = np.round(rng.lognormal(np.log(900), 0.6, slow.sum()), 1)
    return pd.DataFrame({
        "t": times, "endpoint": endpoint, "outcome": out, "latency": latency,
        "symbol": rng.integers(0, len(SYMBOLS[market]), len(times)),
        "u": rng.random(len(times)), "oid": rng.integers(10**9, 10**10, len(times)),
        "offset": _clock_offset_ms(times, incidents, rng),
    })


def _iso(ns: np.ndarray) -> list[str]:
    s = np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s]


def _http_date(ns: np.ndarray) -> list[str]:
    return pd.DatetimeIndex(ns, tz="UTC").strftime("%a, %d %b %Y %H:%M:%S GMT").tolist()


def _lines(market: str, calls: pd.DataFrame, seed: int):
    eps, syms = ENDPOINTS[market], SYMBOLS[market]
    iso = _iso(calls["t"].to_numpy()) if market == "spot" else None
    dates = _http_date(calls["t"].to_numpy()) if market == "futures" else None
    key = f"ak-{seed:04d}-5f1e9c2a7b"
    for i, (t, e, o, lat, s, u, oid, off) in enumerate(calls.itertuples(index=False, name=None)):
        method, tmpl, _, signed, has_symbol = eps[e]
        path = tmpl.replace("{id}", str(oid))
        symbol = syms[s]
        status, body, error = OUTCOMES[_NAMES[o]]
        if status == 200 and body is None:
            body = _success_body(tmpl, symbol, u, str(oid))
        if error is not None:
            error = error.replace("{path}", path)
        params = {"symbol": symbol} if has_symbol else None
        if market == "spot":
            url = HOST + path
            rec = {"ts": iso[i], "method": method}
            if method == "GET" and params:
                url += f"?symbol={symbol}"
                if signed:
                    url += f"&timestamp={int(t // 1_000_000 + off)}&signature={oid:x}"
            elif params:
                rec["request"] = {"body": {**params, "qty": "1"}}
            rec["url"] = url
            rec["status"] = status
            if body is not None:
                rec["response"] = body
            if error is not None:
                rec["error"] = error
            rec["elapsed_ms"] = lat
        else:
            url = HOST + path + (f"?symbol={symbol}" if method == "GET" and params else "")
            req = {"method": method, "url": url}
            if signed:
                req["headers"] = {"ACCESS-KEY": key, "ACCESS-SIGN": f"{oid * 7919:x}=",
                                  "ACCESS-TIMESTAMP": str(int(t // 1_000_000 + off))}
            if method == "POST" and params:
                req["body"] = {**params, "size": 1}
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
        gens = {m: _lines(m, frames[m], seed) for m in ("spot", "futures")}
        which = both["m"].to_numpy()[order]
        _write(dest, (next(gens["spot" if w == 0 else "futures"]) for w in which))
    else:
        dest.mkdir(parents=True, exist_ok=True)
        suffix = ".jsonl.gz" if compress else ".jsonl"
        _write(dest / f"spot-bot{suffix}", _lines("spot", frames["spot"], seed))
        _write(dest / f"futures-gateway{suffix}", _lines("futures", frames["futures"], seed))
    end = t0 + pd.Timedelta(days=days)
    p = planted(start, seed=seed)
    return p[p["start"] < end].reset_index(drop=True)


def _write(path: Path, lines) -> None:
    tmp = path.with_name(path.name + ".part")
    opener = (lambda p: gzip.GzipFile(p, "wb", compresslevel=9, mtime=0)) if path.name.endswith(".gz") else (
        lambda p: open(p, "wb"))
    with opener(tmp) as f:
        buf = []
        for line in lines:
            buf.append(line)
            if len(buf) >= 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    os.replace(tmp, path)
