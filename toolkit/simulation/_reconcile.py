"""The bots' reconciliation after an order they placed got no answer they could read.

A bot whose single order (spot ``order``, futures ``order/create``) timed out, was reset, or got a 5xx, a
gateway page or futures code 1001 does not know whether the exchange placed it. So it asks, 3 to 8 s later:
the spot bot lists the symbol's ``openOrders`` and ``historyOrders``, the futures bots the symbol's
``order/entrust-history`` (the futures API takes no ``clientOid``: the order is told by symbol, side, volume,
price and its creation time). Now and then it first sends the order again at once (1 to 3 s after the
failure, a new ``clientOid``, the same symbol, side, quantity and price): when the first one had been placed,
the intent is placed twice. The exchange acted on about half of the orders that reached it.

:func:`reconcile` adds these calls to a market's table; each query row carries what its answer lists
(``listed``: the attempt's order when placed, the re-sent one, and an older finished order, so that the
listing reaches back before the attempt and its silence shows an order absent). Its draws come from a
generator of their own, so the rest of the recording is the same bytes with or without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._exchange import ENDPOINTS, OUTCOME_ID, OUTCOMES

#: Outcomes of an order call that leave its fate unknown to the bot: no answer (a refused connection never left
#: it), a 5xx, or futures code 1001.
UNKNOWN = tuple(name for name, (status, *_) in OUTCOMES.items()
                if (status is None and name != "refused") or (status or 0) >= 500 or name == "system_error")
PLACED_SHARE = 0.5   # of the orders of unknown answer, those the exchange acted on
RESEND_SHARE = 0.15  # of them, those the bot sends again at once, before asking
_QUERIES = {"spot": ("/openOrders", "/historyOrders"), "futures": ("/order/entrust-history",)}
_PLACE = {"spot": "/stock/open-api/order", "futures": "/order/create"}
_S = 1_000_000_000


def _endpoint(market: str, suffix: str) -> int:
    return next(i for i, e in enumerate(ENDPOINTS[market]) if e[1].endswith(suffix))


def reconcile(market: str, calls: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``calls`` (:func:`~toolkit.simulation._traffic.market_calls`) with the bot's re-sends and reconciliation
    queries after its single orders of unknown answer, in time order; column ``listed`` says what a query's
    answer lists: ``(attempt start ns, attempt oid, placed, re-send start ns or -1, re-send oid)``, None on
    every other call."""
    calls = calls.assign(listed=None)
    unknown = calls["outcome"].isin([OUTCOME_ID[o] for o in UNKNOWN]).to_numpy()
    failed = calls[(calls["endpoint"].to_numpy() == _endpoint(market, _PLACE[market])) & unknown]
    n = len(failed)
    if not n:
        return calls
    placed = rng.random(n) < PLACED_SHARE
    resend = rng.random(n) < RESEND_SHARE
    end = failed["t"].to_numpy() + (failed["latency"].to_numpy() * 1e6).astype(np.int64)
    again_at = end + rng.integers(1 * _S, 3 * _S, n)
    ask_at = np.where(resend, again_at, end) + rng.integers(3 * _S, 8 * _S, n)
    ok = OUTCOME_ID["ok"]
    again = failed[resend].assign(t=again_at[resend], outcome=ok, oid=failed["oid"].to_numpy()[resend] + 3,
                                  latency=np.round(rng.lognormal(np.log(45), 0.5, int(resend.sum())), 1))
    listed = [(int(t), int(oid), bool(p), int(a) if r else -1, int(oid) + 3 if r else -1)
              for t, oid, p, r, a in zip(failed["t"], failed["oid"], placed, resend, again_at)]
    queries = []
    for k, suffix in enumerate(_QUERIES[market]):
        q = failed.assign(t=ask_at + k * 400_000_000, endpoint=_endpoint(market, suffix), outcome=ok,
                          latency=np.round(rng.lognormal(np.log(45), 0.5, n), 1), fails=0)
        q["listed"] = listed
        queries.append(q)
    return pd.concat([calls, again, *queries], ignore_index=True).sort_values("t", kind="stable", ignore_index=True)
