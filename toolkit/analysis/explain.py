"""Whose fault, in words: one explanation per incident, every figure from the incident's own window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._words import window_words
from ..schema import MARKETS, STRING
from ..selection import as_duration, documented, require, select, times
from .causes import CAUSE_WORDS, CAUSES, evidence, row_causes, side_of

__all__ = ["EXPLAIN_COLUMNS", "explain_incidents"]

#: Columns of :func:`explain_incidents`.
EXPLAIN_COLUMNS = ["id", "when", "market", "scope", "side", "cause", "follows", "evidence", "orders_unknown",
                   "orders_placed", "explanation"]

#: How an earlier incident is named when a later one follows it.
_EARLIER = {
    "client_rate": "the rate-limit storm", "client_clock": "the clock drift", "client_funds": "the run on funds",
    "client_auth": "the key failure", "client_request": "the rejected requests", "exchange": "the exchange outage",
    "network": "the network failure", "unknown": "the incident",
}


def _focus(calls: pd.DataFrame, inc) -> np.ndarray | None:
    """The errors a narrow incident is about: its reason or its endpoint."""
    level = str(getattr(inc, "level", "market"))
    if level == "reason":
        return (calls["reason"] == inc.top_reason).to_numpy(dtype=bool, na_value=False)
    if level == "endpoint":
        return (calls["endpoint"].astype(object) == inc.top_endpoint).to_numpy(dtype=bool, na_value=False)
    return None


@documented
def explain_incidents(df: pd.DataFrame, incidents=None, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """Whose fault each incident was, with its evidence, in one sentence each.

    The evidence of an incident is measured from the calls of its market in its
    own window only (request rates, clock offsets, the errors and their
    reasons); see :func:`toolkit.analysis.causes.evidence` for what each cause
    is stated with. A narrow incident names its reason or endpoint, an
    incident that follows another says so ("retry storm after the exchange
    outage of ..."), an exchange-wide one names the other market.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns for ``df``; computed by default.
    %(window)s

    Returns
    -------
    DataFrame
        The "whose fault" table: ``id``, ``when`` (the window in words, UTC),
        ``market``, ``scope``, ``side``, ``cause``, ``follows``, ``evidence``
        (one sentence of figures), ``orders_unknown`` (orders sent in it whose
        answer the bot never got, :func:`toolkit.uncertain_orders`) and
        ``orders_placed`` (how many of them the bot's later queries show were
        placed), and ``explanation`` (the whole story in one sentence), in the
        incidents' order.

    Examples
    --------
    >>> import numpy as np, pandas as pd, toolkit
    >>> ts = pd.date_range("2026-11-16 18:00", periods=6 * 600, freq="6s", tz="UTC")
    >>> failed = (ts >= "2026-11-16 21:05") & (ts < "2026-11-16 21:15") | (np.arange(len(ts)) % 50 == 0)
    >>> df = pd.DataFrame({"ts": ts, "market": "futures", "endpoint": "/api/v1/futures/open-api/order/create",
    ...                    "is_error": failed, "category": np.where(failed, "transport", "ok"),
    ...                    "reason": np.where(failed, "dns_failure", "ok")})
    >>> print(toolkit.explain_incidents(df)["explanation"].iloc[0])  # doctest: +NORMALIZE_WHITESPACE
    Mon 16 Nov 21:05–21:15 futures: the network (network side): 100 calls got no response (dns_failure 100%);
    the exchange's host name did not resolve (DNS); the bot repeated 99 failing calls within 10s of each other.
    """
    func = "explain_incidents"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    require(df, ["ts", "market", "is_error", "category", "reason", "endpoint"], func)
    if incidents is None:
        from .incidents import find_incidents
        incidents = find_incidents(df)
    require(incidents, ["start", "end", "market", "category", "cause"], func)
    t = times(df, func)
    unsure = _unsure_orders(df, t, incidents)
    df = df[[c for c in ("ts", "market", "is_error", "category", "reason", "code", "http_status", "endpoint", "bot", "key_id",
                         "client_ts", "server_ts") if c in df]]  # what the evidence reads
    codes, names = pd.factorize(df["market"], use_na_sentinel=False)
    code_of = {str(v): i for i, v in enumerate(names)}
    by_id = {int(r.id): r for r in incidents.itertuples()} if "id" in incidents else {}
    rows = []
    for i, inc in enumerate(incidents.itertuples()):
        m = str(inc.market)
        sel = (t >= inc.start.value) & (t < inc.end.value) & (codes == code_of.get(m, -1))
        calls = df[sel]
        cause = str(inc.cause)
        ev = evidence(calls, cause, start=inc.start, end=inc.end, failed=_focus(calls, inc))
        hit = ((unsure["market"] == m) & (unsure["ts"] >= inc.start.value) & (unsure["ts"] < inc.end.value))
        counts = (int(hit.sum()), int((hit & unsure["placed"]).sum()))
        rows.append(_row(inc, i, m, cause, ev, by_id, incidents, _bots_failing(calls), counts))
    return pd.DataFrame(rows, columns=EXPLAIN_COLUMNS).astype({
        "id": np.int64, "when": STRING, "market": STRING, "scope": STRING, "side": STRING, "cause": STRING,
        "follows": "Int64", "evidence": STRING, "orders_unknown": np.int64, "orders_placed": np.int64,
        "explanation": STRING})


def _unsure_orders(df: pd.DataFrame, t: np.ndarray, incidents: pd.DataFrame) -> dict:
    """Time, market and whether placed, of the orders sent whose answer was unknown in the incidents (none when
    the frame lacks what :func:`toolkit.orders` reads): read from the calls of the incidents' windows and the
    evidence window after them only."""
    none = {"ts": np.zeros(0, np.int64), "market": np.zeros(0, object), "placed": np.zeros(0, bool)}
    if not all(c in df for c in ("endpoint", "http_status", "reason")) or incidents.empty:
        return none
    from .orders import orders
    after = as_duration(defaults.ORDER_EVIDENCE_WINDOW, "ORDER_EVIDENCE_WINDOW")
    keep = np.zeros(len(t), dtype=bool)
    ordered = bool(np.all(t[:-1] <= t[1:]))
    for s, e in zip(incidents["start"], incidents["end"]):
        s, e = pd.Timestamp(s).value, pd.Timestamp(e).value + after
        if ordered:
            lo, hi = np.searchsorted(t, [s, e])
            keep[lo:hi] = True
        else:
            keep |= (t >= s) & (t < e)
    o = orders(df[keep])
    o = o[(o["sent"] & (o["answer"] == "unknown")).to_numpy()]
    return {"ts": o["ts"].to_numpy("datetime64[ns]").view(np.int64), "market": o["market"].astype(str).to_numpy(),
            "placed": (o["fate"] == "placed").to_numpy(dtype=bool, na_value=False)}


def explain_one(inc, m: str, cause: str, ev: str, incidents: pd.DataFrame, calls: pd.DataFrame | None = None) -> str:
    """The explanation of one incident (a row of ``incidents``) whose evidence is ``ev`` (``calls``: its window's)."""
    by_id = {int(r.id): r for r in incidents.itertuples()} if "id" in incidents else {}
    return _row(inc, 0, m, cause, ev, by_id, incidents, 1 if calls is None else _bots_failing(calls))[-1]


def _bots_failing(calls: pd.DataFrame) -> int:
    """How many bots' calls failed in a window (1 when the frame names no bot)."""
    if "bot" not in calls:
        return 1
    return max(1, int(calls.loc[calls["is_error"].to_numpy(dtype=bool, na_value=False), "bot"].nunique()))


def _row(inc, i, m, cause, ev, by_id, incidents, bots: int = 1, orders=(0, 0)) -> list:
    side = str(getattr(inc, "side", side_of(cause)))
    words = [f"{CAUSE_WORDS.get(cause, cause)} ({side} side): {ev}"]
    level = str(getattr(inc, "level", "market"))
    if level == "endpoint":
        words.append(f"on {inc.top_endpoint} alone, against its own rate for that time of day")
    elif level == "reason":
        words.append(f"{inc.top_reason} alone (mostly on {inc.top_endpoint}), against its own rate for that time "
                     "of day")
    follows = getattr(inc, "follows", pd.NA)
    if not pd.isna(follows) and int(follows) in by_id:
        e = by_id[int(follows)]
        what = "retry storm" if cause == "client_rate" else "came"
        words.append(f"{what} after {_EARLIER.get(str(e.cause), 'the incident')} of {window_words(e.start, e.end)} "
                     f"(incident {int(follows)})")
    repeats = int(getattr(inc, "repeats", 0) or 0)
    if repeats >= defaults.MIN_ERRORS:
        who = "the bot" if bots < 2 else "the bots"
        words.append(f"{who} repeated {repeats:,} failing calls within {defaults.RETRY_WINDOW} of each other")
    scope = str(getattr(inc, "scope", "market"))
    if scope in ("exchange-wide", "bot-wide"):
        others = incidents[(incidents["market"].astype(str) != m)
                           & (incidents["category"].astype(str) == str(inc.category))
                           & (incidents["start"] < inc.end) & (incidents["end"] > inc.start)]
        # the other market's incident may have been filtered out (a report of one market): the other known market
        names = ", ".join(sorted({str(x) for x in others["market"]})
                          or [x for x in MARKETS if x not in (m, "unknown")])
        whose = "exchange-wide" if scope == "exchange-wide" else "bot-wide (the bot's own fault, not one market's)"
        words.append(f"the same {inc.category} hit {names} at the same time: {whose}")
    if orders[0]:
        words.append(f"{orders[0]:,} order{'s' if orders[0] != 1 else ''} of unknown outcome, {orders[1]:,} of them "
                     "placed")
    when = window_words(inc.start, inc.end)
    text = f"{when} {m}: " + "; ".join(words) + "."
    ident = int(inc.id) if hasattr(inc, "id") else i + 1
    return [ident, when, m, scope, side, cause, follows, ev, *orders, text]


def window_cause(calls: pd.DataFrame) -> str:
    """The cause of most of the failed calls of ``calls`` (``unknown`` without any)."""
    c = row_causes(calls)
    c = c[c >= 0]
    return CAUSES[int(np.bincount(c, minlength=len(CAUSES)).argmax())] if len(c) else "unknown"
