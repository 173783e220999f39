"""The incidents the simulator plants: when, where, what they do and whose fault they are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..selection import to_utc

#: First day (UTC) of a simulated recording.
DEFAULT_START = "2026-11-16"


@dataclass(frozen=True)
class Incident:
    """One planted incident: where, when, and what it does to the calls in it."""

    market: str
    start: pd.Timestamp
    minutes: int
    category: str
    kind: str
    description: str


#: Whose fault each kind of planted incident is (the causes of ``toolkit/data/causes.csv``).
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
        for i in plan(start, seed)
    ]).sort_values(["start", "market"], kind="stable", ignore_index=True)


def plan(start, seed) -> list[Incident]:
    """The incidents of a recording starting on ``start``; ``seed`` moves each by up to 19 minutes."""
    t0 = to_utc(pd.Timestamp(start))
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
