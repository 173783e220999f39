"""Write realistic recordings of bots trading both markets, with planted incidents.

The calls are the exchange's real ones: its production host, the documented
paths, methods, parameters and data shapes of both markets (batch calls and
the legacy ``/api/v1/fdata`` market data included), ``ACCESS-KEY`` /
``ACCESS-SIGN`` / ``ACCESS-TIMESTAMP`` headers on signed calls, error texts
mostly in the exchange's Chinese with a share in English. The spot bot logs
flat JSON Lines (ISO times, the envelope under ``response``); the futures
bot sits behind a gateway that logs the nested form (epoch-ms ``time``,
``request`` with its headers, ``response`` with its ``Date`` header); a
second futures bot, arbitrage, makes a third of the futures calls on the
same API key and records them with :func:`toolkit.attach_recorder`. Every
line names its bot (``bot``) and, when signed, its key's fingerprint
(``key_id``).

Both see a background of ordinary errors (about 2%), batch items failing
inside a success envelope, code 1006 when three or more order calls are in
flight, a first stretch of ``code: 200`` successes from the futures
gateway's older build, and the incidents listed by :func:`planted`. After a
single order of unknown answer the bots reconcile (spot ``openOrders`` and
``historyOrders``, futures ``order/entrust-history``), now and then after
sending it again at once (``_reconcile``). The same seed gives the same bytes.

The exchange's side (endpoints, answers, limits, background errors) is in
``_exchange``, the planted incidents in ``_incidents``, the calls and their
outcomes in ``_traffic`` and the recorded lines and files in ``_lines``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._exchange import (BACKGROUND, BACKGROUND_RATE, BATCH_ITEM_FAILURE, CHINESE_SHARE, CODE_200_HOURS,
                        CONCURRENT_ORDERS, ENDPOINTS, HOST, IN_FLIGHT_MS, LIMIT_PER_MIN, LIMIT_PER_S, OUTCOMES,
                        SYMBOLS)
from ._incidents import CAUSES, DEFAULT_START, Incident, plan, planted
from ._lines import BOTS, api_key, arb_calls, lines, write
from ._orders import simulate_orders
from ._reconcile import reconcile
from ._traffic import market_calls

__all__ = ["BACKGROUND", "BACKGROUND_RATE", "BATCH_ITEM_FAILURE", "BOTS", "CAUSES", "CHINESE_SHARE", "CODE_200_HOURS",
           "CONCURRENT_ORDERS", "DEFAULT_START", "ENDPOINTS", "HOST", "IN_FLIGHT_MS", "Incident", "LIMIT_PER_MIN",
           "LIMIT_PER_S", "OUTCOMES", "SYMBOLS", "api_key", "planted", "simulate", "simulate_orders"]


def simulate(dest, *, seed: int = 7, start=DEFAULT_START, days: int = 7, calls: int | None = None,
             compress: bool = True) -> pd.DataFrame:
    """Write a week of recorded calls from bots trading spot and futures.

    Parameters
    ----------
    dest : path
        A directory (gets one file per bot: ``spot-bot.jsonl[.gz]``,
        ``futures-gateway.jsonl[.gz]`` and ``futures-arb.jsonl[.gz]``) or a file
        name ending in ``.jsonl`` / ``.jsonl.gz`` (every bot's calls in one file,
        in time order).
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
    >>> sorted(df["bot"].unique())
    ['futures-arb', 'futures-gateway', 'spot-bot']
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start)
    incidents = [i for i in plan(start, seed) if i.start < t0 + pd.Timedelta(days=days)]
    per_day = (calls if calls is not None else 110_000 * days / 7) / days
    share = {"spot": 0.2, "futures": 0.8}
    frames = {m: market_calls(m, t0, days, per_day * share[m] / 1440, rng, incidents) for m in ("spot", "futures")}
    frames = {m: reconcile(m, calls, np.random.default_rng([seed, i])) for i, (m, calls) in enumerate(frames.items())}
    arb = arb_calls(frames["futures"])
    bots = {"spot-bot": ("spot", frames["spot"]), "futures-gateway": ("futures", frames["futures"][~arb]),
            "futures-arb": ("futures", frames["futures"][arb])}
    dest = Path(dest)
    if dest.name.endswith((".jsonl", ".jsonl.gz")):
        dest.parent.mkdir(parents=True, exist_ok=True)
        every = pd.concat([calls.assign(b=i) for i, (_, calls) in enumerate(bots.values())], ignore_index=True)
        order = np.argsort(every["t"].to_numpy(), kind="stable")
        gens = [lines(m, calls, seed, t0, bot) for bot, (m, calls) in bots.items()]
        write(dest, (next(gens[b]) for b in every["b"].to_numpy()[order]))
    else:
        dest.mkdir(parents=True, exist_ok=True)
        suffix = ".jsonl.gz" if compress else ".jsonl"
        for bot, (m, calls) in bots.items():
            write(dest / f"{bot}{suffix}", lines(m, calls, seed, t0, bot))
    end = t0 + pd.Timedelta(days=days)
    p = planted(start, seed=seed)
    return p[p["start"] < end].reset_index(drop=True)
