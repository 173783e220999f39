"""Three weeks of three bots in one account, with known incidents and silences, as operators run them.

:func:`scenario` builds, with numpy, the frame :func:`toolkit.load_logs` gives for a folder of
three bots' recordings (one file per bot and day, as the recorder rotates them), through the
real Open API paths and texts (``endpoints.md``, ``exchange-api.md``):

- ``spot-mm``, a spot market maker, quotes in the US stock session on weekdays (09:30-16:00 New
  York time: 14:30-21:00 UTC until the clocks go forward on Sunday 14 March 2027, 13:30-20:00
  UTC after). It starts half an hour before the open with a backfill of candles, triples its
  calls for the first quarter hour, cancels all its orders at the close, and between sessions
  polls its orders and balances once a minute. About 18% of its cancels find the order already
  filled ("订单不存在", "撤单失败"): ordinary, and four times the error share of the nights.
- ``futures-arb`` trades futures around the clock and hedges on spot in the session, with the
  same API key as ``spot-mm`` (key ``A``): on spot the two share the key's limits.
- ``futures-grid`` trades futures around the clock on its own key, rebalances every Monday at
  01:00 UTC and backfills candles when it starts.

The exchange's limiter refuses, per key and market, every call beyond the 10th in a second and
the 300th in a minute (HTTP 429). :func:`planted` lists the thirteen planted incidents,
:func:`silences` the two silences (a futures bot dead for five hours on a Saturday while the other
carries on, the market maker crashed for 40 minutes in a session). The frame has the loader's
columns plus ``bot``, ``key_id`` (the one-way fingerprint of the key, never the key), ``kind``.

    python -m tests.scenarios_bots        # prints the planted incidents, the silences and the frame's size
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from tests.scenarios import ENDPOINTS, _assemble

START = pd.Timestamp("2027-03-01 00:00", tz="UTC")  # a Monday; US daylight saving time starts on 14 March
DAYS = 21
MIN = 60_000_000_000
SEC = 1_000_000_000
BOTS = ("spot-mm", "futures-arb", "futures-grid")
#: the key each bot signs with (a fixture's key, fingerprinted below as the recorder does: never written)
KEYS = {"spot-mm": "ak-live-7f3a9c1e55d0", "futures-arb": "ak-live-7f3a9c1e55d0", "futures-grid": "ak-live-b81e24f0c9aa"}



def key_id(key: str) -> str:
    """The key's one-way fingerprint as the recorder writes it (``k-`` and 8 hex digits of its SHA-256)."""
    return "k-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def _ep(market: str, suffix: str) -> int:
    return [i for i, e in enumerate(ENDPOINTS[market]) if e[0].endswith(suffix)][0]


# each bot's mix of calls per market: (endpoint suffix, share)
MIX = {
    ("spot-mm", "spot", "session"): [("/depth", 0.30), ("/order", 0.25), ("/cancelOrder", 0.25), ("/openOrders", 0.08),
                                     ("/assets", 0.04), ("/orderDetail", 0.04), ("/ticker", 0.02), ("/klines", 0.02)],
    ("spot-mm", "spot", "idle"): [("/openOrders", 0.6), ("/assets", 0.4)],
    ("futures-arb", "spot", "session"): [("/order", 0.4), ("/depth", 0.4), ("/assets", 0.2)],
    ("futures-arb", "futures", "all"): [("/orderbook/{symbol}", 0.30), ("/order/create", 0.20), ("/order/cancel", 0.10),
                                        ("/ticker/{symbol}", 0.15), ("/position/current", 0.15),
                                        ("/account/config", 0.05), ("/order/limit", 0.05)],
    ("futures-grid", "futures", "all"): [("/order/create", 0.25), ("/order/cancel", 0.08), ("/orderbook/{symbol}", 0.22),
                                         ("/ticker/{symbol}", 0.14), ("/kline", 0.08), ("/position/current", 0.12),
                                         ("/account/config", 0.05), ("/order/limit", 0.06)],
}
# ordinary errors: (bot, market, endpoint suffix or None for any, kind, share of those calls)
BACKGROUND = [
    ("spot-mm", "spot", "/cancelOrder", "spot_not_found", 0.13), ("spot-mm", "spot", "/cancelOrder",
                                                                   "spot_cancel_failed", 0.05),
    ("spot-mm", "spot", "/order", "spot_rejected", 0.02), ("spot-mm", "spot", "/order", "spot_funds", 0.005),
    ("futures-arb", "spot", "/order", "spot_rejected", 0.02),
    ("futures-arb", "futures", "/order/create", "fut_min", 0.02),
    ("futures-arb", "futures", "/order/cancel", "fut_pair", 0.05),
    ("futures-grid", "futures", "/order/create", "fut_min", 0.03), ("futures-grid", "futures", None, "fut_bad", 0.004),
    *((b, m, None, k, s) for b, m in (("spot-mm", "spot"), ("futures-arb", "spot"), ("futures-arb", "futures"),
                                      ("futures-grid", "futures"))
      for k, s in (("internal", 0.002), ("timeout", 0.002))),
    *((b, "futures", None, "system", 0.001) for b in ("futures-arb", "futures-grid")),
]


def _at(day: int, hh: int, mm: int = 0) -> pd.Timestamp:
    return START + pd.Timedelta(days=day, hours=hh, minutes=mm)


def sessions(days: int = DAYS) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The US stock session of each weekday, in UTC (09:30-16:00 in New York)."""
    out = []
    for d in range(days):
        day = (START + pd.Timedelta(days=d)).tz_convert(None)
        if day.day_of_week < 5:
            ny = [pd.Timestamp(f"{day.date()} {hm}", tz="America/New_York").tz_convert("UTC") for hm in ("09:30", "16:00")]
            out.append((ny[0], ny[1]))
    return out


def planted(days: int = DAYS) -> pd.DataFrame:
    """The planted incidents, in time order: ``start``, ``end``, ``market``, ``bots`` (those it touches),
    ``category``, ``cause``, ``limit`` (for the bots' own rate: ``1s`` or ``1min``), ``follows`` and ``what``."""
    rows = [
        (_at(0, 16, 20), 20, "spot", "spot-mm futures-arb", "server_error", "exchange", "", "spot outage: 500, 502, 503"),
        (_at(1, 3, 10), 40, "futures", "futures-grid", "auth", "client_clock", "",
         "futures-grid's host clock 35-60 s ahead: 401 timestamp expired"),
        (_at(2, 17, 0), 15, "spot", "spot-mm futures-arb", "rate_limit", "client_rate", "1min",
         "spot-mm and futures-arb together over 300 calls a minute on their shared key, each under it"),
        (_at(3, 9, 20), 10, "futures", "futures-grid", "rate_limit", "client_rate", "1s",
         "futures-grid's loop bursts to 18 requests/s"),
        (_at(4, 19, 0), 60, "futures", "futures-arb", "insufficient_funds", "client_funds", "",
         "futures-arb's margin runs out: 8018, retried"),
        (_at(6, 3, 0), 25, "futures", "futures-arb futures-grid", "server_error", "exchange", "",
         "futures outage at 3 am on a Sunday: 1001, 500, 502"),
        (_at(8, 15, 10), 25, "spot", "spot-mm", "bad_request", "client_request", "",
         "spot-mm's bad deploy: 400 invalid parameters on its orders"),
        (_at(9, 18, 0), 15, "spot", "spot-mm", "transport", "network", "", "DNS failure on spot-mm's host"),
        (_at(10, 6, 0), 30, "futures", "futures-arb futures-grid", "upstream_error", "exchange", "",
         "market data upstream fails: 3004"),
        (_at(12, 22, 0), 20, "futures", "futures-arb futures-grid", "transport", "network", "",
         "network trouble on a Saturday night: timeouts and resets"),
        (_at(15, 13, 40), 20, "spot", "spot-mm", "permission", "client_auth", "",
         "spot-mm's server moved: 403 IP not in whitelist, in the first session hour after the clocks changed"),
        (_at(16, 10, 0), 5, "futures", "futures-arb futures-grid", "server_error", "exchange", "",
         "a five-minute futures outage"),
        (_at(16, 10, 5), 10, "futures", "futures-grid", "rate_limit", "client_rate", "1s",
         "futures-grid's retry storm right after the short outage"),
    ]
    t = pd.DataFrame(rows, columns=["start", "minutes", "market", "bots", "category", "cause", "limit", "what"])
    t["end"] = t["start"] + pd.to_timedelta(t.pop("minutes"), unit="min")
    t["follows"] = pd.array([pd.NA] * len(t), dtype="Int64")
    t.loc[t["what"].str.startswith("futures-grid's retry storm"), "follows"] = int(
        np.flatnonzero(t["what"].str.startswith("a five-minute"))[0])
    t = t[t["end"] <= START + pd.Timedelta(days=days)]
    return t[["start", "end", "market", "bots", "category", "cause", "limit", "follows", "what"]]


def silences(days: int = DAYS) -> pd.DataFrame:
    """The planted silences: ``start``, ``end``, ``market``, ``bot``, ``what``."""
    rows = [(_at(5, 8, 0), 300, "futures", "futures-grid", "futures-grid dead for five hours on a Saturday"),
            (_at(17, 15, 0), 40, "spot", "spot-mm", "spot-mm crashed in the session, restarted with a backfill")]
    t = pd.DataFrame(rows, columns=["start", "minutes", "market", "bot", "what"])
    t["end"] = t["start"] + pd.to_timedelta(t.pop("minutes"), unit="min")
    return t[t["end"] <= START + pd.Timedelta(days=days)][["start", "end", "market", "bot", "what"]]


class _Parts:
    """Column arrays of calls being built, one part per bot, market and kind of traffic."""

    def __init__(self, rng):
        self.rng, self.parts = rng, []

    def add(self, bot: str, market: str, ts: np.ndarray, mix, symbol=None) -> dict:
        rng, n = self.rng, len(ts)
        if isinstance(mix, (int, np.integer)):
            ep = np.full(n, int(mix))
        else:
            idx = np.array([_ep(market, s) for s, _ in mix])
            w = np.array([x for _, x in mix])
            ep = idx[rng.choice(len(idx), size=n, p=w / w.sum())]
        sym = rng.integers(0, 4, n) if symbol is None else np.full(n, symbol)
        part = {"ts": np.asarray(ts, dtype=np.int64), "market": np.full(n, market, dtype=object), "ep": ep,
                "sym": sym, "err": np.full(n, "", dtype=object), "side": rng.integers(0, 2, n),
                "size": rng.integers(1, 20, n), "oid": rng.integers(0, 2**40, n), "offset": np.zeros(n),
                "bot": np.full(n, bot, dtype=object), "key_id": np.full(n, key_id(KEYS[bot]), dtype=object)}
        self.parts.append(part)
        return part


def _poisson(rng, start: int, minutes: int, per_minute) -> np.ndarray:
    """Call times at ``per_minute`` (a number, or one rate per minute) from ``start`` (ns)."""
    rate = np.broadcast_to(np.asarray(per_minute, dtype=np.float64), (minutes,))
    counts = rng.poisson(rate)
    return np.sort(start + np.repeat(np.arange(minutes), counts) * MIN + rng.integers(0, MIN, counts.sum()))


def _paced(rng, start: int, minutes: float, per_second: float) -> np.ndarray:
    """Calls sent by a client-side rate limiter: evenly spaced, with a little jitter."""
    n = int(per_second * minutes * 60)
    step = SEC / per_second
    return start + (np.arange(n) * step + rng.uniform(0, step * 0.5, n)).astype(np.int64)


def _traffic(rng, parts: _Parts, days: int, scale: float):
    t0 = START.value
    minutes = days * 1440
    hour = (np.arange(minutes) % 1440) / 60
    dead = {s.bot: (s.start.value, s.end.value) for s in silences(days).itertuples()}
    # futures around the clock, busier in the European and American afternoons
    arb = parts.add("futures-arb", "futures", _poisson(rng, t0, minutes, 34 * scale * (1 + 0.25 * np.sin(
        2 * np.pi * (hour - 9) / 24))), MIX[("futures-arb", "futures", "all")])
    grid = parts.add("futures-grid", "futures", _poisson(rng, t0, minutes, 28 * scale * (1 + 0.3 * np.sin(
        2 * np.pi * (hour - 10) / 24))), MIX[("futures-grid", "futures", "all")])
    for d in range(days):  # futures-arb around funding times, futures-grid's Monday rebalance: not incidents
        for hh in (0, 8, 16) if d else (8, 16):
            parts.add("futures-arb", "futures", _poisson(rng, _at(d, hh).value - 2 * MIN, 4, 60 * scale),
                      MIX[("futures-arb", "futures", "all")])
        if (START + pd.Timedelta(days=d)).day_of_week == 0:
            reb = _paced(rng, _at(d, 1).value, 10, 3.0)
            parts.add("futures-grid", "futures", reb, [("/order/create", 0.6), ("/order/cancel", 0.4)])
    parts.add("futures-grid", "futures", _paced(rng, t0 + 5 * SEC, 1.5, 4.0), _ep("futures", "/kline"))
    if "futures-grid" in dead:  # back after five hours: a backfill of candles on start-up
        parts.add("futures-grid", "futures", _paced(rng, dead["futures-grid"][1], 1.5, 4.0), _ep("futures", "/kline"))
    # spot: the market maker between sessions polls once a minute; in the session it quotes
    idle = parts.add("spot-mm", "spot", _poisson(rng, t0, minutes, 1.0 * scale), MIX[("spot-mm", "spot", "idle")])
    in_session = np.zeros(len(idle["ts"]), dtype=bool)
    for a, b in sessions(days):
        a, b = a.value, b.value
        in_session |= (idle["ts"] >= a - 30 * MIN) & (idle["ts"] < b + 5 * MIN)
        length = (b - a) // MIN
        rate = np.full(length, 65 * scale)
        rate[:15] *= 3  # the open
        parts.add("spot-mm", "spot", _poisson(rng, a, length, rate), MIX[("spot-mm", "spot", "session")])
        parts.add("spot-mm", "spot", _paced(rng, a - 30 * MIN, 2, 3.0), _ep("spot", "/klines"))  # start-up backfill
        close = parts.add("spot-mm", "spot", _paced(rng, b - 12 * SEC, 10 / 60, 6.0), _ep("spot", "/cancelOrder"))
        _fail(rng, close, ["spot_not_found", "spot_cancel_failed"], 0.3, p=[0.7, 0.3])  # cancel-all: some filled
        parts.add("futures-arb", "spot", _poisson(rng, a, length, 12 * scale), MIX[("futures-arb", "spot", "session")])
    for k in idle:  # the poller is off while the market maker runs
        idle[k] = idle[k][~in_session]
    if "spot-mm" in dead:
        parts.add("spot-mm", "spot", _paced(rng, dead["spot-mm"][1], 2, 3.0), _ep("spot", "/klines"))
    return arb, grid


def _fail(rng, part, kinds, share, mask=None, p=None):
    idx = np.flatnonzero(np.ones(len(part["ts"]), bool) if mask is None else mask)
    idx = idx[rng.random(len(idx)) < share]
    part["err"][idx] = rng.choice(kinds, size=len(idx), p=p)


def _in(part, start, minutes, bot=None, market=None):
    a = pd.Timestamp(start).value
    m = (part["ts"] >= a) & (part["ts"] < a + int(minutes * MIN))
    if bot is not None:
        m &= part["bot"] == bot
    if market is not None:
        m &= part["market"] == market
    return m


def _limiter(parts: list[dict]):
    """The exchange's limits, per key and market: calls beyond the 10th in a second or the 300th in a minute: 429."""
    ts = np.concatenate([p["ts"] for p in parts])
    holder = pd.factorize(np.concatenate([p["key_id"] + "|" + p["market"] for p in parts]))[0]
    over = np.zeros(len(ts), dtype=bool)
    for unit, limit in ((SEC, 10), (MIN, 300)):
        key = holder * (2**40) + ts // unit - ts.min() // unit
        order = np.lexsort((ts, key))
        k = key[order]
        rank = np.arange(len(k)) - np.searchsorted(k, k, side="left")
        over[order[rank >= limit]] = True
    offsets = np.cumsum([0] + [len(p["ts"]) for p in parts])
    for i, p in enumerate(parts):
        p["err"][over[offsets[i]:offsets[i + 1]]] = "rate"


def scenario(days: int = DAYS, *, scale: float = 1.0, seed: int = 27) -> pd.DataFrame:
    """The three bots' recording with the incidents of :func:`planted` and the silences of :func:`silences`.

    ``scale`` multiplies the ordinary traffic (1.0: about 2.4 million calls in three weeks; 0.1 for
    tests); storms, backfills and the close keep their rates.
    """
    rng = np.random.default_rng(seed)
    parts = _Parts(rng)
    arb, grid = _traffic(rng, parts, days, scale)
    for bot, market, where, kind, share in BACKGROUND:
        for p in parts.parts:
            if p["bot"][:1].tolist() != [bot] or p["market"][:1].tolist() != [market]:
                continue
            ok = p["err"] == ""
            if where:
                ok &= p["ep"] == _ep(market, where)
            _fail(rng, p, [kind], share, ok)
    fit = {p.what.split(":")[0]: p for p in planted(days).itertuples()}

    def each(market, bots=None):
        return [p for p in parts.parts if len(p["ts"]) and p["market"][0] == market
                and (bots is None or p["bot"][0] in bots)]

    if p := fit.get("spot outage"):
        for part in each("spot"):
            _fail(rng, part, ["internal", "gateway", "unavailable"], 0.75, _in(part, p.start, 20))
    if p := fit.get("futures-grid's host clock 35-60 s ahead"):
        a = p.start.value
        for part in each("futures", ["futures-grid"]):
            t = part["ts"]
            ramp = np.clip((t - (a - 20 * MIN)) / (20 * MIN), 0, 1) * 35 + np.clip((t - a) / (40 * MIN), 0, 1) * 25
            part["offset"] = np.where(t < a + 40 * MIN, ramp, 0.0)
            _fail(rng, part, ["expired"], 0.97, _in(part, p.start, 40) & (part["offset"] > 30))
    if p := fit.get("spot-mm and futures-arb together over 300 calls a minute on their shared key, each under it"):
        # both raise their pace with their own limiters, to 3.3/s and 3.0/s: with their usual calls some 265 and
        # 190 a minute, each under 300, 455 together
        parts.add("spot-mm", "spot", _paced(rng, p.start.value, 15, 3.3), MIX[("spot-mm", "spot", "session")])
        parts.add("futures-arb", "spot", _paced(rng, p.start.value, 15, 3.0), MIX[("futures-arb", "spot", "session")])
    if p := fit.get("futures-grid's loop bursts to 18 requests/s"):
        parts.add("futures-grid", "futures", _poisson(rng, p.start.value, 10, 18 * 60),
                  MIX[("futures-grid", "futures", "all")])
    if p := fit.get("futures-arb's margin runs out"):
        create = arb["ep"] == _ep("futures", "/order/create")
        _fail(rng, arb, ["fut_margin"], 0.9, _in(arb, p.start, 60) & create)
        retried = parts.add("futures-arb", "futures", _poisson(rng, p.start.value, 60, 3.0), _ep("futures", "/order/create"))
        retried["err"][:] = "fut_margin"
    if p := fit.get("futures outage at 3 am on a Sunday"):
        for part in each("futures"):
            _fail(rng, part, ["system", "internal", "gateway", "timeout"], 0.7, _in(part, p.start, 25),
                  p=[0.35, 0.3, 0.25, 0.1])
    if p := fit.get("spot-mm's bad deploy"):
        for part in each("spot", ["spot-mm"]):
            _fail(rng, part, ["spot_bad"], 1.0, _in(part, p.start, 25) & (part["ep"] == _ep("spot", "/order")))
    if p := fit.get("DNS failure on spot-mm's host"):
        for part in each("spot", ["spot-mm"]):
            _fail(rng, part, ["dns"], 1.0, _in(part, p.start, 15))
    if p := fit.get("market data upstream fails"):
        md = [_ep("futures", s) for s in ("/kline", "/ticker/{symbol}", "/orderbook/{symbol}")]
        for part in each("futures"):
            _fail(rng, part, ["upstream"], 0.85, _in(part, p.start, 30) & np.isin(part["ep"], md))
    if p := fit.get("network trouble on a Saturday night"):
        for part in each("futures"):
            _fail(rng, part, ["timeout", "reset"], 0.6, _in(part, p.start, 20))
    if p := fit.get("spot-mm's server moved"):
        for part in each("spot", ["spot-mm"]):
            _fail(rng, part, ["ip"], 0.95, _in(part, p.start, 20))
    if p := fit.get("a five-minute futures outage"):
        for part in each("futures"):
            _fail(rng, part, ["system", "internal", "gateway"], 0.75, _in(part, p.start, 5))
    if p := fit.get("futures-grid's retry storm right after the short outage"):
        for suffix, sym in (("/order/create", 0), ("/position/current", 1)):
            parts.add("futures-grid", "futures", _poisson(rng, p.start.value, 10, 7 * 60), _ep("futures", suffix), sym)
    for s in silences(days).itertuples():  # nothing recorded while a bot was dead
        for part in parts.parts:
            keep = ~((part["bot"] == s.bot) & (part["ts"] >= s.start.value) & (part["ts"] < s.end.value))
            for k in part:
                part[k] = part[k][keep]
    _limiter(parts.parts)
    frame = _assemble(rng, [p for p in parts.parts if len(p["ts"])])
    frame["source"] = (frame["bot"].astype(str) + "." + frame["ts"].dt.strftime("%Y%m%d") + ".jsonl.gz").astype(
        "category")  # one file per bot and day, as the recorder rotates them
    frame = frame.sort_values("ts", kind="stable").reset_index(drop=True)
    frame["line"] = frame.groupby("source", observed=True).cumcount().add(1).astype("Int64")
    return frame


HOST = "https://api9528mystks.mystonks.org"


def write_recordings(frame: pd.DataFrame, folder) -> list:
    """Write the calls of ``frame`` as the recorder writes them: one gzipped JSON Lines file per bot and day, named
    as daily rotation names them (``spot-mm.20270301T000012.345Z.jsonl.gz``: the file's first call's UTC time).

    Each line has the recorder's keys (``ts``, ``method``, ``url``, ``status``, ``elapsed_ms``, ``market``,
    ``body`` or ``error``, ``request`` with its masked headers and body, ``response_headers`` with ``Date``)
    and the key's fingerprint ``key_id``; bodies are the exchange's (``exchange-api.md``): the ``code``/``msg``
    envelope, the ``code``/``message`` error body, a gateway's HTML page. The bot is told by the file name only.
    """
    import gzip
    from pathlib import Path

    import orjson

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    f = frame.reset_index(drop=True)
    iso = f["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_numpy()
    date = f["server_ts"].dt.strftime("%a, %d %b %Y %H:%M:%S GMT").to_numpy(na_value=None)
    client = (f["client_ts"].astype("int64") // 1_000_000).to_numpy()
    status = f["http_status"].to_numpy(dtype=object, na_value=None)
    code = f["code"].to_numpy(dtype=object, na_value=None)
    latency = f["latency_ms"].to_numpy(dtype=np.float64, na_value=np.nan)
    cols = {c: f[c].astype(object).to_numpy() for c in ("market", "method", "path", "symbol", "message", "category",
                                                          "bot", "key_id")}
    day = f["ts"].dt.strftime("%Y%m%d").to_numpy()
    written = []
    for (bot, d), rows in pd.Series(np.arange(len(f))).groupby([cols["bot"], day]):
        rows = rows.to_numpy()
        first = f["ts"].iloc[rows[0]]
        path = folder / f"{bot}.{first:%Y%m%dT%H%M%S}.{first.microsecond // 1000:03d}Z.jsonl.gz"
        lines = []
        for i in rows:
            sym, path_i = cols["symbol"][i], cols["path"][i]
            url = HOST + path_i.replace("{symbol}", sym)
            req = {"headers": {"ACCESS-KEY": "***", "ACCESS-SIGN": "***", "ACCESS-TIMESTAMP": str(client[i]),
                               "Content-Type": "application/json"}}
            if cols["method"][i] == "GET" and "{symbol}" not in path_i:
                url += f"?symbol={sym}"
            elif cols["method"][i] == "POST":
                req["body"] = {"symbol": sym}
            rec = {"ts": iso[i], "method": cols["method"][i], "url": url, "status": status[i],
                   "elapsed_ms": None if np.isnan(latency[i]) else round(float(latency[i]), 3),
                   "market": cols["market"][i], "key_id": cols["key_id"][i]}
            if status[i] is None:
                rec["error"] = cols["message"][i]
            elif cols["category"][i] == "ok":
                rec["body"] = {"code": 0, "msg": "success", "data": {}}
            elif code[i] is None:
                rec["body"] = cols["message"][i]  # a gateway's page
            elif status[i] == 200:
                rec["body"] = {"code": int(code[i]), "msg": cols["message"][i]}  # a futures business error
            else:
                rec["body"] = {"code": int(code[i]), "message": cols["message"][i]}
            rec["request"] = req
            if status[i] is not None:
                rec["response_headers"] = {"Date": date[i], "Content-Type": "application/json"}
            lines.append(orjson.dumps(rec))
        with gzip.open(path, "wb", compresslevel=1) as out:
            out.write(b"\n".join(lines) + b"\n")
        written.append(path)
    return written


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    print(planted().drop(columns="what").to_string())
    print(silences().to_string())
    f = scenario()
    print(f"{len(f):,} calls in {f['source'].nunique()} files", f.groupby(["bot", "market"], observed=True).size())
