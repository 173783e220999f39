"""The bots' traffic: when each call is made, to which endpoint, and what the exchange answers.

One table per market, a row per call (time, endpoint, outcome, latency and the draws its line is written
from); :mod:`toolkit.simulation._lines` turns the rows into recorded lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._exchange import (BACKGROUND, BACKGROUND_RATE, BATCH_ITEM_FAILURE, CHINESE_SHARE, CONCURRENT_ORDERS,
                        ENDPOINTS, IN_FLIGHT_MS, LIMIT_PER_MIN, LIMIT_PER_S, OUTCOME_ID, SYMBOLS)


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
    out = np.full(n, OUTCOME_ID["ok"], dtype=np.int16)
    bg = rng.random(n) < BACKGROUND_RATE
    pick = rng.random(n)
    for r, table in BACKGROUND[market].items():
        names, weights = zip(*table)
        cum = np.cumsum(weights) / sum(weights)
        w = bg & (role == r)
        drawn = np.searchsorted(cum, pick[w], side="right").clip(0, len(names) - 1)
        out[w] = np.array([OUTCOME_ID[x] for x in names])[drawn]
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
            out[hit] = OUTCOME_ID["timestamp_expired"]
        elif inc.kind == "outage":
            kinds = (["system_error", "internal_error", "bad_gateway", "unavailable", "timeout"]
                     if market == "futures" else ["internal_error", "bad_gateway", "unavailable", "kline_unavailable"])
            hit = w & (rng.random(n) < 0.8)
            out[hit] = np.array([OUTCOME_ID[x] for x in kinds])[rng.integers(0, len(kinds), hit.sum())]
            out[hit & legacy] = OUTCOME_ID["legacy_no_data"]
        elif inc.kind == "margin":
            hit = w & is_order & (rng.random(n) < 0.9)
            pick = rng.random(hit.sum()) < 0.8
            out[hit] = np.where(pick, OUTCOME_ID["insufficient_margin"], OUTCOME_ID["insufficient_balance_to_close"])
        elif inc.kind == "network":
            hit = w & (rng.random(n) < 0.7)
            kinds = ["timeout", "timeout", "reset", "refused"]
            out[hit] = np.array([OUTCOME_ID[x] for x in kinds])[rng.integers(0, len(kinds), hit.sum())]
        elif inc.kind == "upstream":
            hit = w & is_data & (rng.random(n) < 0.85)
            out[hit] = OUTCOME_ID["third_party_error"]
    # the rate limiter: per second and per minute, whatever the cause
    for unit, limit in ((1_000_000_000, LIMIT_PER_S), (60_000_000_000, LIMIT_PER_MIN)):
        bucket = times // unit
        _, first, counts = np.unique(bucket, return_index=True, return_counts=True)
        rank = np.arange(n) - np.repeat(first, counts)
        over = rank >= limit
        limited = over & ((out == OUTCOME_ID["ok"]) | (rng.random(n) < 0.5))
        out[limited] = np.where(is_order[limited] & (rng.random(limited.sum()) < 0.3),
                                OUTCOME_ID["order_rate_limited"], OUTCOME_ID["rate_limited"])
    # three or more order calls in flight at once: HTTP 200, code 1006 (seen live, not documented)
    orders = np.flatnonzero(is_order & (role != "batch"))
    t = times[orders]
    in_flight = np.arange(len(t)) - np.searchsorted(t, t - IN_FLIGHT_MS * 1_000_000, side="right") + 1
    busy = orders[in_flight >= CONCURRENT_ORDERS]
    out[busy[out[busy] == OUTCOME_ID["ok"]]] = OUTCOME_ID["concurrent_order_limit"]
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


def market_calls(market, t0, days, per_minute, rng, incidents):
    """One market's calls in time order, the bot's retries of margin rejections included."""
    times = _schedule(market, t0, days, per_minute, rng, incidents)
    eps = ENDPOINTS[market]
    w = np.array([e[2] for e in eps], float)
    endpoint = rng.choice(len(eps), len(times), p=w / w.sum())
    signed = np.array([e[3] for e in eps])[endpoint]
    out = _outcomes(market, times, endpoint, signed, rng, incidents)
    # which items of a batch call fail: a bit mask over its (at most 5) items
    fails = (rng.random((len(times), 5)) < BATCH_ITEM_FAILURE) @ (1 << np.arange(5))
    latency = np.round(rng.lognormal(np.log(45), 0.5, len(times)), 1)
    timeout = np.isin(out, [OUTCOME_ID["timeout"]])
    latency[timeout] = 10_000.0 + np.round(rng.random(timeout.sum()) * 50, 1)
    slow = np.isin(out, [OUTCOME_ID[x] for x in ("bad_gateway", "unavailable", "internal_error", "system_error")])
    latency[slow] = np.round(rng.lognormal(np.log(900), 0.6, slow.sum()), 1)
    calls = pd.DataFrame({
        "t": times, "endpoint": endpoint, "outcome": out, "latency": latency,
        "symbol": rng.integers(0, len(SYMBOLS[market]), len(times)),
        "u": rng.random(len(times)), "oid": rng.integers(10**9, 10**10, len(times)),
        "offset": _clock_offset_ms(times, incidents, rng),
        "zh": rng.random(len(times)) < CHINESE_SHARE, "fails": fails,
    })
    # the bot retries an order the margin rejected, 2 to 4 times, 1 to 3 s apart: the same call each time
    margin = calls[calls["outcome"] == OUTCOME_ID["insufficient_margin"]]
    tries = rng.integers(2, 5, len(margin))
    again = margin.loc[margin.index.repeat(tries)].copy()
    step = np.concatenate([np.arange(1, k + 1) for k in tries]) if len(tries) else np.zeros(0, np.int64)
    again["t"] += step * rng.integers(1_000_000_000, 3_000_000_000, len(again))
    return pd.concat([calls, again], ignore_index=True).sort_values("t", kind="stable", ignore_index=True)
