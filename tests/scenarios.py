"""Recordings with known incidents, for the tests and benchmarks of the whose-fault analysis.

:func:`scenario` builds, with numpy, the frame :func:`toolkit.load_logs` would give
for two weeks (by default) of a bot trading both markets through the real Open API
paths (``/api/v1/stock/open-api/...``, ``/api/v1/futures/open-api/...``; see
``endpoints.md``): diurnal traffic, traffic bursts that are not incidents, about 2%
of background errors with the documented codes and texts, and sixteen planted
incidents of every cause (two outages followed by the bot's retry storm, one of them
only five minutes long), with silences and orders of unknown outcome.
:func:`planted` lists them. The frame has the loader's columns plus ``kind``
(``trading``, ``account``, ``market_data``), ``client_oid``, ``side`` and ``size``.

    python -m tests.scenarios            # prints the planted incidents and the frame's size
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.schema import DATA_CATEGORIES, DTYPES

START = pd.Timestamp("2026-11-02 00:00", tz="UTC")  # a Monday
MIN = 60_000_000_000
SEC = 1_000_000_000
KINDS = ["trading", "account", "market_data", "unknown"]

S, F = "/api/v1/stock/open-api", "/api/v1/futures/open-api"
# (path, method, kind, share of the calls); the futures path symbol appears as {symbol}, as the endpoint
# catalog names those endpoints
ENDPOINTS = {
    "spot": [
        (f"{S}/order", "POST", "trading", 0.16), (f"{S}/cancelOrder", "POST", "trading", 0.08),
        (f"{S}/depth", "GET", "market_data", 0.26), (f"{S}/ticker", "GET", "market_data", 0.16),
        (f"{S}/klines", "GET", "market_data", 0.10), (f"{S}/assets", "GET", "account", 0.10),
        (f"{S}/openOrders", "GET", "account", 0.08), (f"{S}/orderDetail", "GET", "account", 0.06),
    ],
    "futures": [
        (f"{F}/order/create", "POST", "trading", 0.25), (f"{F}/order/cancel", "POST", "trading", 0.08),
        (f"{F}/orderbook/{{symbol}}", "GET", "market_data", 0.22),
        (f"{F}/ticker/{{symbol}}", "GET", "market_data", 0.14),
        (f"{F}/kline", "GET", "market_data", 0.08), (f"{F}/position/current", "POST", "account", 0.12),
        (f"{F}/account/config", "GET", "account", 0.05), (f"{F}/order/limit", "POST", "account", 0.06),
    ],
}
SYMBOLS = {"spot": ["AAPL", "TSLA", "MSX", "XSM"], "futures": ["BTCUSDT", "ETHUSDT", "AAPL", "00700"]}

# error kinds: (http_status, code, message, category, reason, retryable); texts from exchange-api.md / endpoints.md
E = {
    "spot_bad": (400, 400, "参数错误", "bad_request", "invalid_parameters", False),
    "spot_rejected": (400, 400, "Order failed: order amount too small", "order_rejected", "order_failed", False),
    "spot_not_found": (404, 404, "订单不存在", "not_found", "order_not_found", False),
    "spot_funds": (400, 400, "Order failed: insufficient balance", "insufficient_funds", "insufficient_balance", False),
    "spot_cancel_failed": (400, 400, "撤单失败", "order_rejected", "order_failed", False),  # the order filled meanwhile
    "fut_min": (200, 8001, "Below minimum trade amount", "order_rejected", "below_min_amount", False),
    "fut_pair": (200, 3000, "Trading pair not found", "not_found", "pair_or_object_not_found", False),
    "fut_margin": (200, 8018, "Insufficient margin", "insufficient_funds", "insufficient_margin", False),
    "fut_bad": (400, 400, "Invalid parameters", "bad_request", "invalid_parameters", False),
    "system": (200, 1001, "System error", "server_error", "system_error", True),
    "upstream": (200, 3004, "Third-party service error", "upstream_error", "third_party_error", True),
    "internal": (500, 500, "内部错误", "server_error", "internal_error", True),
    "gateway": (502, None, "<html><head><title>502 Bad Gateway</title></head></html>", "server_error",
                "gateway_error", True),
    "unavailable": (503, None, "<html><body>503 Service Temporarily Unavailable</body></html>", "server_error",
                    "gateway_error", True),
    "timeout": (None, None, "HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Read timed out. "
                "(read timeout=10)", "transport", "timeout", True),
    "reset": (None, None, "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
              "transport", "connection_error", True),
    "dns": (None, None, "HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded "
            "(Caused by NameResolutionError(\"Failed to resolve 'api9528mystks.mystonks.org' ([Errno -3] Temporary "
            "failure in name resolution)\"))", "transport", "dns_failure", True),
    "rate": (429, 429, "Too Many Requests", "rate_limit", "rate_limited", True),
    "expired": (401, 401, "Timestamp expired", "auth", "timestamp_expired", True),
    "bad_key": (401, 401, "Invalid API key", "auth", "invalid_api_key", False),
    "ip": (403, 403, "IP not in whitelist", "permission", "ip_not_whitelisted", False),
}
# background errors per market: (kind, share of calls) on the endpoints that can return them
BACKGROUND = {
    "spot": [("spot_bad", 0.005, None), ("spot_rejected", 0.03, "trading"), ("spot_not_found", 0.04, "/orderDetail"),
             ("internal", 0.002, None), ("timeout", 0.002, None), ("rate", 0.001, None)],
    "futures": [("fut_min", 0.03, "/order/create"), ("fut_pair", 0.002, None), ("fut_bad", 0.004, None),
                ("system", 0.001, None), ("internal", 0.002, None), ("timeout", 0.002, None), ("rate", 0.001, None)],
}


def _at(day: int, hh: int, mm: int = 0) -> pd.Timestamp:
    return START + pd.Timedelta(days=day, hours=hh, minutes=mm)


def planted(days: int = 14) -> pd.DataFrame:
    """The planted incidents of :func:`scenario` (those that fit in ``days``), in time order.

    Columns: ``start``, ``end``, ``market``, ``category``, ``cause``, ``level``
    (``market`` or ``endpoint``), ``endpoint`` (for narrow ones), ``scope``
    (``exchange-wide`` for the outage of both markets), ``follows`` (the index
    of the incident a retry storm follows) and ``what``.
    """
    rows = [
        (_at(0, 21, 20), 10, "spot", "rate_limit", "client_rate", "bot loop bursts to 20 requests/s on spot"),
        (_at(1, 9, 40), 40, "futures", "auth", "client_clock", "host clock 35-60 s ahead: 401 timestamp expired"),
        (_at(2, 14, 10), 25, "futures", "server_error", "exchange", "futures outage: 1001, 500, 502"),
        (_at(2, 14, 35), 10, "futures", "rate_limit", "client_rate", "the bot's retry storm after the outage"),
        (_at(3, 2, 10), 60, "futures", "insufficient_funds", "client_funds", "margin runs out: 8018, retried"),
        (_at(4, 18, 0), 15, "spot", "transport", "network", "DNS failure: the host name does not resolve"),
        (_at(5, 10, 15), 30, "futures", "upstream_error", "exchange", "market data upstream fails: 3004"),
        (_at(6, 15, 0), 25, "spot", "server_error", "exchange", "exchange-wide outage: 500, 502, 503"),
        (_at(6, 15, 0), 25, "futures", "server_error", "exchange", "exchange-wide outage: 500, 502, 503"),
        (_at(7, 8, 0), 360, "futures", "order_rejected", "client_request",
         "slow burn: 8001 on order/create at three times its rate for six hours"),
        (_at(8, 11, 30), 20, "spot", "permission", "client_auth", "server moved: 403 IP not in whitelist"),
        (_at(9, 16, 0), 20, "futures", "transport", "network", "network trouble: timeouts and resets"),
        (_at(10, 13, 0), 30, "futures", "bad_request", "client_request", "bad deploy: 400 invalid parameters"),
        (_at(11, 20, 0), 20, "spot", "auth", "client_auth", "key revoked: 401 invalid API key, then the bot gives up"),
        (_at(12, 9, 0), 5, "futures", "server_error", "exchange", "short futures outage: five minutes of 1001, 500, 502"),
        (_at(12, 9, 5), 10, "futures", "rate_limit", "client_rate", "retry storm right after the short outage"),
    ]
    t = pd.DataFrame(rows, columns=["start", "minutes", "market", "category", "cause", "what"])
    t["end"] = t["start"] + pd.to_timedelta(t.pop("minutes"), unit="min")
    t["level"] = np.where(t["what"].str.startswith("slow burn"), "endpoint", "market")
    t["endpoint"] = np.where(t["level"] == "endpoint", f"{F}/order/create", None)
    t["scope"] = np.where(t["what"].str.startswith("exchange-wide"), "exchange-wide", "market")
    t["follows"] = pd.array([pd.NA] * len(t), dtype="Int64")
    t.loc[t["what"].str.startswith("the bot's retry storm"), "follows"] = 2
    t.loc[t["what"].str.startswith("retry storm right after"), "follows"] = int(
        np.flatnonzero(t["what"].str.startswith("short futures outage"))[0])
    t = t[t["end"] <= START + pd.Timedelta(days=days)]
    return t[["start", "end", "market", "category", "cause", "level", "endpoint", "scope", "follows", "what"]]


def silences(days: int = 14) -> pd.DataFrame:
    """The planted silences: ``start``, ``end``, ``market``, ``what``."""
    rows = [(_at(5, 3, 0), 180, "spot", "the spot bot died"),
            (_at(9, 16, 20), 40, "futures", "the network went after the trouble"),
            (_at(11, 20, 20), 120, "spot", "the bot gave up after its key was revoked")]
    t = pd.DataFrame(rows, columns=["start", "minutes", "market", "what"])
    t["end"] = t["start"] + pd.to_timedelta(t.pop("minutes"), unit="min")
    return t[t["end"] <= START + pd.Timedelta(days=days)][["start", "end", "market", "what"]]


class _Calls:
    """Column arrays of calls being built."""

    def __init__(self):
        self.parts: list[dict] = []

    def add(self, rng, market: str, ts: np.ndarray, endpoint_idx=None, symbol=None):
        eps = ENDPOINTS[market]
        n = len(ts)
        if endpoint_idx is None:
            w = np.array([e[3] for e in eps])
            endpoint_idx = rng.choice(len(eps), size=n, p=w / w.sum())
        endpoint_idx = np.broadcast_to(np.asarray(endpoint_idx), (n,)).copy()
        sym = rng.integers(0, len(SYMBOLS[market]), n) if symbol is None else np.full(n, symbol)
        part = {"ts": ts.astype(np.int64), "market": np.full(n, market, dtype=object), "ep": endpoint_idx,
                "sym": sym, "err": np.full(n, "", dtype=object), "side": rng.integers(0, 2, n),
                "size": rng.integers(1, 20, n), "oid": rng.integers(0, 2**40, n), "offset": np.zeros(n)}
        self.parts.append(part)
        return part


def _traffic(rng, market: str, days: int, per_minute: float, scale: float) -> np.ndarray:
    minutes = days * 1440
    m = np.arange(minutes)
    hour = (m % 1440) / 60
    diurnal = 1 + 0.6 * np.sin(2 * np.pi * (hour - 9) / 24)  # busiest at 15:00 UTC, quietest at 03:00
    rate = per_minute * scale * diurnal
    # bursts that are not incidents: three times the traffic for 10 minutes, twice a day, errors as usual
    for d in range(days):
        for hh in rng.choice(np.arange(1, 23), size=2, replace=False):
            a = d * 1440 + hh * 60 + int(rng.integers(0, 50))
            rate[a:a + 10] *= 3
    counts = rng.poisson(rate)
    starts = START.value + np.repeat(m, counts) * MIN
    return np.sort(starts + rng.integers(0, MIN, counts.sum()))


def _window(part, market, start, minutes):
    a = pd.Timestamp(start).value
    return (part["market"] == market) & (part["ts"] >= a) & (part["ts"] < a + minutes * MIN)


def _set(rng, mask: np.ndarray, part, kinds: list[str], share: float = 1.0, p=None):
    idx = np.flatnonzero(mask)
    idx = idx[rng.random(len(idx)) < share]
    part["err"][idx] = rng.choice(kinds, size=len(idx), p=p)
    return idx


def _ep(market: str, suffix: str) -> int:
    return [i for i, e in enumerate(ENDPOINTS[market]) if e[0].endswith(suffix)][0]


def _storm(rng, calls: _Calls, market, start, minutes, per_second, endpoint_idx=None, symbol=None):
    """Extra calls at ``per_second`` (:func:`_limit_429` later refuses those over the limit)."""
    a = pd.Timestamp(start).value
    n = int(per_second * minutes * 60)
    ts = np.sort(a + rng.integers(0, minutes * MIN, n))
    return calls.add(rng, market, ts, endpoint_idx, symbol)


def _limit_429(part_list, market):
    """Calls beyond the tenth in any second of ``market`` get 429 (the exchange's per-second limit)."""
    ts = np.concatenate([p["ts"] for p in part_list])
    mk = np.concatenate([p["market"] for p in part_list])
    sel = np.flatnonzero(mk == market)
    sec = ts[sel] // SEC
    order = np.argsort(sec, kind="stable")
    s = sec[order]
    first = np.searchsorted(s, s, side="left")
    rank = np.arange(len(s)) - first
    over = sel[order][rank >= 10]
    offsets = np.cumsum([0] + [len(p["ts"]) for p in part_list])
    for k, p in enumerate(part_list):
        local = over[(over >= offsets[k]) & (over < offsets[k + 1])] - offsets[k]
        p["err"][local] = "rate"


def scenario(days: int = 14, *, scale: float = 1.0, seed: int = 14) -> pd.DataFrame:
    """A recording with the incidents of :func:`planted` and the silences of :func:`silences`.

    ``scale`` multiplies the ordinary traffic (1.0: about 1.8 million calls in two
    weeks, 0.1: a small one for tests); storms keep their documented rates.
    """
    rng = np.random.default_rng(seed)
    calls = _Calls()
    base = {m: calls.add(rng, m, _traffic(rng, m, days, pm, scale)) for m, pm in (("spot", 25.0), ("futures", 64.0))}
    for m, part in base.items():  # background errors
        for kind, share, where in BACKGROUND[m]:
            ok = part["err"] == ""
            if where == "trading":
                ok &= np.isin(part["ep"], [i for i, e in enumerate(ENDPOINTS[m]) if e[2] == "trading"])
            elif where:
                ok &= part["ep"] == _ep(m, where)
            _set(rng, ok, part, [kind], share)
    sp, fu = base["spot"], base["futures"]
    fit = {p.what: p for p in planted(days).itertuples()}

    def has(prefix):
        return next((p for w, p in fit.items() if w.startswith(prefix)), None)

    storm_parts = {"spot": [sp], "futures": [fu]}
    if p := has("bot loop"):
        storm_parts["spot"].append(_storm(rng, calls, "spot", p.start, 10, 20.0))
    if p := has("host clock"):  # the clock climbs from 0 to 35 s in the 20 minutes before, to 60 s by the end
        a = pd.Timestamp(p.start).value
        for part in (fu,):
            t = part["ts"]
            ramp = np.clip((t - (a - 20 * MIN)) / (20 * MIN), 0, 1) * 35 + np.clip((t - a) / (40 * MIN), 0, 1) * 25
            ramp[t >= a + 40 * MIN] = 0
            part["offset"] = np.where(part["market"] == "futures", ramp, part["offset"])
            _set(rng, _window(part, "futures", p.start, 40) & (ramp > 30), part, ["expired"], 0.97)
    if p := has("futures outage"):
        _set(rng, _window(fu, "futures", p.start, 25), fu, ["system", "internal", "gateway", "timeout"], 0.7,
             p=[0.35, 0.3, 0.25, 0.1])
    if p := has("the bot's retry storm"):  # the bot retries its orders and positions as fast as it can
        for suffix, sym in (("/order/create", 0), ("/position/current", 1)):
            storm_parts["futures"].append(_storm(rng, calls, "futures", p.start, 10, 7.0, _ep("futures", suffix), sym))
    if p := has("short futures outage"):
        _set(rng, _window(fu, "futures", p.start, 5), fu, ["system", "internal", "gateway"], 0.7, p=[0.4, 0.3, 0.3])
    if p := has("retry storm right after"):
        for suffix, sym in (("/order/create", 0), ("/position/current", 1)):
            storm_parts["futures"].append(_storm(rng, calls, "futures", p.start, 10, 7.0, _ep("futures", suffix), sym))
    if p := has("margin runs out"):
        _set(rng, _window(fu, "futures", p.start, 60) & (fu["ep"] == _ep("futures", "/order/create")), fu,
             ["fut_margin"], 0.9)
        retried = _storm(rng, calls, "futures", p.start, 60, 0.3, _ep("futures", "/order/create"), 2)
        retried["err"][:] = "fut_margin"
        storm_parts["futures"].append(retried)
    if p := has("DNS failure"):
        _set(rng, _window(sp, "spot", p.start, 15), sp, ["dns"], 1.0)
    if p := has("market data upstream"):
        md = np.isin(fu["ep"], [_ep("futures", s) for s in ("/kline", "/ticker/{symbol}", "/orderbook/{symbol}")])
        _set(rng, _window(fu, "futures", p.start, 30) & md, fu, ["upstream"], 0.6)
    if p := has("exchange-wide outage"):
        for part, m in ((sp, "spot"), (fu, "futures")):
            _set(rng, _window(part, m, p.start, 25), part, ["internal", "gateway", "unavailable"], 0.75)
    if p := has("slow burn"):  # 8001 on order/create at three times its background share
        _set(rng, _window(fu, "futures", p.start, 360) & (fu["ep"] == _ep("futures", "/order/create"))
             & (fu["err"] == ""), fu, ["fut_min"], 0.06)
    if p := has("server moved"):
        _set(rng, _window(sp, "spot", p.start, 20), sp, ["ip"], 0.95)
    if p := has("network trouble"):
        _set(rng, _window(fu, "futures", p.start, 20), fu, ["timeout", "reset"], 0.6)
    if p := has("bad deploy"):
        _set(rng, _window(fu, "futures", p.start, 30) & (fu["ep"] == _ep("futures", "/order/create")), fu,
             ["fut_bad"], 1.0)
    if p := has("key revoked"):
        _set(rng, _window(sp, "spot", p.start, 20), sp, ["bad_key"], 1.0)
    for m, parts in storm_parts.items():
        _limit_429(parts, m)
    frame = _assemble(rng, calls.parts)
    for s in silences(days).itertuples():  # nothing recorded while the bot was dead or cut off
        gone = (frame["market"] == s.market) & (frame["ts"] >= s.start) & (frame["ts"] < s.end)
        frame = frame[~gone.to_numpy()]
    frame = _resend_uncertain(rng, frame)
    return frame.sort_values("ts", kind="stable").reset_index(drop=True).assign(
        line=lambda d: pd.array(np.arange(1, len(d) + 1), dtype="Int64"))


def _assemble(rng, parts: list[dict]) -> pd.DataFrame:
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(cols["ts"])
    market = cols["market"]
    path, method, kind = (np.empty(n, dtype=object) for _ in range(3))
    symbol = np.empty(n, dtype=object)
    for m, eps in ENDPOINTS.items():
        sel = market == m
        names = np.array([e[0] for e in eps], dtype=object)
        path[sel] = names[cols["ep"][sel]]
        method[sel] = np.array([e[1] for e in eps], dtype=object)[cols["ep"][sel]]
        kind[sel] = np.array([e[2] for e in eps], dtype=object)[cols["ep"][sel]]
        symbol[sel] = np.array(SYMBOLS[m], dtype=object)[cols["sym"][sel]]
    status = np.full(n, 200.0)
    code = np.zeros(n)
    message = np.full(n, "success", dtype=object)
    category = np.full(n, "ok", dtype=object)
    reason = np.full(n, "ok", dtype=object)
    retryable = np.full(n, None, dtype=object)
    for name, (st, cd, msg, cat, rsn, retry) in E.items():
        sel = cols["err"] == name
        status[sel] = np.nan if st is None else st
        code[sel] = np.nan if cd is None else cd
        message[sel], category[sel], reason[sel], retryable[sel] = msg, cat, rsn, retry
    err = category != "ok"
    latency = rng.gamma(4.0, 20.0, n)
    latency[cols["err"] == "timeout"] = 10_000.0
    no_response = np.isnan(status)
    ts = pd.DatetimeIndex(cols["ts"].view("datetime64[ns]")).tz_localize("UTC")
    server = (ts + pd.to_timedelta(latency / 2, unit="ms")).floor("s")
    client = ts + pd.to_timedelta(cols["offset"], unit="s")
    trading = kind == "trading"
    oid = np.where(trading, pd.Series(cols["oid"]).map(lambda x: f"bot-{x:010x}").to_numpy(), None)
    df = pd.DataFrame({
        "ts": ts, "market": market, "method": method, "path": path, "endpoint": path,
        "http_status": pd.array(np.where(no_response, None, status), dtype="Int16"),
        "code": pd.array(np.where(np.isnan(code) | no_response, None, code), dtype="Int64"),
        "message": message, "category": category, "reason": reason,
        "retryable": pd.array(retryable, dtype="boolean"), "is_error": err,
        "latency_ms": pd.array(np.where(no_response & (cols["err"] != "timeout"), None, latency), dtype="Float64"),
        "symbol": symbol, "source": "scenario.jsonl", "line": pd.array(np.zeros(n, np.int64), dtype="Int64"),
        "client_ts": client, "server_ts": pd.Series(server).where(~no_response).to_numpy(),
    })
    df["kind"] = pd.Categorical(kind, categories=KINDS)
    df["items"] = df["items_failed"] = pd.array([None] * n, dtype="Int32")  # no batch calls in the scenarios
    # which bot made each call and the fingerprint of the key it signed with, when the scenario says
    df["bot"] = pd.Categorical(cols["bot"] if "bot" in cols else np.full(n, "unknown", dtype=object))
    df["key_id"] = pd.array(cols["key_id"] if "key_id" in cols else [None] * n, dtype=DTYPES["symbol"])
    for c in DTYPES:  # the order columns, set below for the order calls
        if c not in df:
            df[c] = None
    for c, dtype in DTYPES.items():
        if c in DATA_CATEGORIES:
            df[c] = df[c].astype(DTYPES["symbol"]).astype("category")
        elif c == "server_ts":
            df[c] = pd.to_datetime(df[c], utc=True)
        else:
            df[c] = df[c].astype(dtype)
    df = df[[*DTYPES, *(c for c in ("bot", "key_id") if c not in DTYPES)]]
    df["bot"] = df["bot"].astype(str).astype("category")  # the loader's: categories are the bots present
    df["client_oid"] = pd.array(oid, dtype=DTYPES["symbol"])
    df["side"] = pd.array(np.where(trading, np.where(cols["side"] == 0, "buy", "sell"), None), dtype=DTYPES["symbol"])
    df["size"] = pd.array(np.where(trading, cols["size"], None), dtype="Int64")
    df["quantity"] = pd.Categorical(np.where(trading, cols["size"].astype(str), None))
    return df


def _resend_uncertain(rng, df: pd.DataFrame) -> pd.DataFrame:
    """The bot sends a third of its timed-out or 5xx orders again, same clientOid, 1-4 s later; most succeed."""
    trading = (df["kind"] == "trading").to_numpy()
    status = df["http_status"].to_numpy(dtype=np.float64, na_value=np.nan)
    unsure = trading & ((df["reason"] == "timeout").to_numpy() | (status >= 500))
    idx = np.flatnonzero(unsure)
    idx = idx[rng.random(len(idx)) < 1 / 3]
    again = df.iloc[idx].copy()
    again["ts"] = again["ts"] + pd.to_timedelta(rng.integers(1000, 4000, len(again)), unit="ms")
    ok = rng.random(len(again)) < 0.8
    for c, v in (("http_status", 200), ("code", 0)):
        again[c] = again[c].where(~ok, v)
    for c, v in (("message", "success"), ("reason", "ok")):
        again[c] = again[c].astype(object).where(~ok, v).astype(df[c].dtype)
    again["category"] = again["category"].where(~ok, "ok")
    again["is_error"] = again["is_error"] & ~ok
    again["retryable"] = again["retryable"].where(~ok, pd.NA)
    return pd.concat([df, again], ignore_index=True)


if __name__ == "__main__":
    print(planted().to_string())
    print(silences().to_string())
    f = scenario()
    print(f"{len(f):,} calls", f["market"].value_counts().to_dict())
