"""What changed inside a window against the hours before it, in tables and one paragraph."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import defaults
from .._cards import card
from .._words import duration_words, end_words, time_words, window_words
from ..schema import MARKETS, STRING
from ..selection import as_duration, as_markets, as_window, require, select, times
from .causes import CAUSE_WORDS, evidence, side_of
from .explain import _focus, explain_one, window_cause
from .rates import limit_holders, rate_limits

__all__ = ["WindowDescription", "describe_window"]

_NEEDED = ["ts", "market", "is_error", "category", "reason", "endpoint", "symbol", "latency_ms"]
_DIMENSIONS = {"categories": "category", "reasons": "reason", "endpoints": "endpoint", "symbols": "symbol"}


@dataclass
class WindowDescription:
    """What :func:`describe_window` found: tables, and ``summary``, one plain-English paragraph.

    ``categories``, ``reasons``, ``endpoints`` and ``symbols`` have one row per
    value with errors in either period: ``before`` and ``during`` (error counts),
    ``before_rate`` and ``during_rate`` (those errors per call of the period),
    ``ratio`` (``during_rate / before_rate``; inf for errors new in the window)
    and ``excess`` (errors beyond what the before rate predicts), sorted by
    ``excess``. ``latency`` has the percentiles of ``latency_ms`` (rows ``p50``,
    ``p90``, ``p99``) before and during; ``rate`` the calls per window of each
    limit against the limit, per market, each key's calls counted on their own
    (:func:`toolkit.analysis.rates.limit_holders`).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    market: list[str] | None
    before: pd.Timedelta
    calls: int
    errors: int
    before_calls: int
    before_errors: int
    categories: pd.DataFrame
    reasons: pd.DataFrame
    endpoints: pd.DataFrame
    symbols: pd.DataFrame
    latency: pd.DataFrame
    rate: pd.DataFrame
    summary: str = field(default="")
    cause: str = field(default="unknown")
    side: str = field(default="unknown")
    evidence: str = field(default="")
    #: ``exchange-wide`` or ``bot-wide`` when the same category rose in another market at the same time (judged on
    #: every market's calls, whatever ``market`` narrows the description to), else ``market``.
    scope: str = field(default="market")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order they are shown."""
        return {name: getattr(self, name) for name in ("categories", "reasons", "endpoints", "symbols", "latency",
                                                      "rate")}

    def __str__(self) -> str:
        parts = [self.summary]
        for name, table in self.tables().items():
            parts.append(f"\n{name}:\n" + (table.head(10).to_string(index=False) if len(table) else "(none)"))
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        """A card in Jupyter: the window, whose fault and the evidence, the summary; the tables a click away."""
        facts = [("window", f"{window_words(self.start, self.end)} UTC"),
                 ("markets", ", ".join(self.market) if self.market else "all"),
                 ("failed", f"{self.errors:,} of {self.calls:,} calls, against {self.before_errors:,} of "
                            f"{self.before_calls:,} in the {duration_words(self.before.value, long=True)} before"),
                 ("whose fault", f"{self.side}: {CAUSE_WORDS.get(self.cause, self.cause)}")]
        if self.evidence:
            facts.append(("evidence", self.evidence))
        return card("What changed", facts, note=self.summary, tables=self.tables(), open_first=True)


def describe_window(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, before=defaults.BEFORE,
                    incidents=None) -> WindowDescription:
    """What changed between ``start`` and ``end`` against the ``before`` hours before it.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``market``,
        ``is_error``, ``category``, ``reason``, ``endpoint``, ``symbol``,
        ``latency_ms``).
    start, end : time-like
        The window, ``start <= ts < end`` (both required, ``end`` after
        ``start``); naive times are UTC. A row of :func:`toolkit.find_incidents`
        gives both.
    market : str or list of str, optional
        Only these markets; all by default.
    bot : str or list of str, optional
        Only the calls these bots made, in the window and the hours before it; all by default.
    before : str or Timedelta, default "3h"
        How far back the comparison period reaches from ``start``.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returned: the windows of other
        incidents are left out of the comparison period, and when the window is
        one of them its explanation (what it follows, its scope) is the one of
        :func:`toolkit.explain_incidents`.

    Returns
    -------
    WindowDescription
        Tables (see :class:`WindowDescription`) and ``summary``, e.g. "spot: 5,729 of
        7,825 calls failed (73%) between Mon 16 Nov 21:20 and 21:30 UTC, 100%
        rate_limit (mostly rate_limited), against 1.9% in the 3 hours before;
        requests ran at 13.0/s (peak 25 in one second) against a limit of 10/s".

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> ts = pd.date_range("2026-11-16 18:00", "2026-11-16 21:29:59", freq="10s", tz="UTC")
    >>> late = ts >= "2026-11-16 21:20"
    >>> df = pd.DataFrame({"ts": ts, "market": "spot", "is_error": late,
    ...                    "category": ["rate_limit" if x else "ok" for x in late],
    ...                    "reason": ["rate_limited" if x else "ok" for x in late],
    ...                    "endpoint": "/api/v1/stock/open-api/depth", "symbol": "AAPL", "latency_ms": 40.0})
    >>> w = toolkit.describe_window(df, start="2026-11-16 21:20", end="2026-11-16 21:30", market="spot")
    >>> print(w.summary)  # doctest: +NORMALIZE_WHITESPACE
    spot: 60 of 60 calls failed (100%) between Mon 16 Nov 21:20 and 21:30 UTC, 100% rate_limit
    (mostly rate_limited), against 0.0% in the 3 hours before; requests stayed within the limits
    (peak 1 in one second, 6 in one minute). Cause: the bot's request rate (client side): the bot sent 6.0
    calls/min (peak 1 in one second), within 10/s (peak 6 in one minute against 300/min), yet got 60 429s:
    another client on the same key, or the order rate limit.
    >>> w.categories
         category  before  during  before_rate  during_rate  ratio  excess
    0  rate_limit       0      60          0.0          1.0    inf    60.0
    """
    func = "describe_window"
    require(df, _NEEDED, func)
    t0, t1 = as_window(start, end, func, required=True)
    span = as_duration(before, "before", func)
    names = as_markets(market, func)
    markets = None if names is None else list(names)
    df = select(df, bot=bot, func=func)
    scope = select(df, market=market, func=func)
    t = times(scope, func)
    lo, hi, b0 = t0.value, t1.value, t0.value - span
    during_mask, before_mask = (t >= lo) & (t < hi), (t >= b0) & (t < lo)
    match = None
    if incidents is not None:
        require(incidents, ["start", "end", "market"], func)
        mk, names = pd.factorize(scope["market"], use_na_sentinel=False)
        code_of = {str(v): i for i, v in enumerate(names)}
        for r in incidents.itertuples():
            if markets is not None and str(r.market) not in markets:
                continue
            if r.start.value == lo and r.end.value == hi:
                match = r if match is None or (markets is not None and str(r.market) == markets[0]) else match
                continue
            if r.end.value > b0 and r.start.value < lo:  # only incidents that reach into the before hours
                before_mask &= ~((t >= r.start.value) & (t < r.end.value) & (mk == code_of.get(str(r.market), -1)))
    during, prior = scope[during_mask], scope[before_mask]
    err_d = during["is_error"].to_numpy(dtype=bool, na_value=False)
    err_b = prior["is_error"].to_numpy(dtype=bool, na_value=False)
    w = WindowDescription(
        start=t0, end=t1, market=markets, before=pd.Timedelta(span, unit="ns"),
        calls=len(during), errors=int(err_d.sum()), before_calls=len(prior), before_errors=int(err_b.sum()),
        **{name: _changes(prior[err_b], during[err_d], col, len(prior), len(during))
           for name, col in _DIMENSIONS.items()},
        latency=_latency(prior, during),
        rate=_rate(scope, t, lo, hi, b0, df),
    )
    w.summary = _summary(w, scope)
    _cause(w, during, match, incidents)
    if match is None and w.errors and markets is not None:
        _other_markets(w, df, t0.value, t1.value, b0, markets)
    return w


def _other_markets(w: WindowDescription, df: pd.DataFrame, lo: int, hi: int, b0: int, markets: list[str]) -> None:
    """When the description is of some markets: whether the window's main category rose in another one too."""
    top = w.categories
    if not len(top):
        return
    category = str(top["category"].iloc[0])
    rest = [m for m in MARKETS if m not in markets and m != "unknown"]
    others = select(df, market=rest or None, func="describe_window")
    if len(others) == len(df) or others.empty:
        return
    t = times(others, "describe_window")
    hit = []
    for m in sorted({str(x) for x in others["market"].unique()}):
        own = (others["market"].astype(str) == m).to_numpy(bool)
        err = (own & others["is_error"].to_numpy(bool, na_value=False)
               & (others["category"].astype(str) == category).to_numpy(bool))
        during, before = (t >= lo) & (t < hi), (t >= b0) & (t < lo)
        n_d, n_b = int((own & during).sum()), int((own & before).sum())
        e_d, e_b = int((err & during).sum()), int((err & before).sum())
        if e_d >= defaults.MIN_ERRORS and e_d / max(n_d, 1) >= defaults.MIN_RATIO * (e_b / n_b if n_b else 0.0):
            hit.append(m)
    if hit:
        w.scope = "bot-wide" if w.side == "client" else "exchange-wide"
        w.summary += f" The same {category} hit {', '.join(hit)} at the same time: {w.scope}."


def _cause(w: WindowDescription, during: pd.DataFrame, match, incidents) -> None:
    """Set the window's cause, side and evidence, and say them at the end of its summary."""
    if not w.errors:
        return
    if match is not None and hasattr(match, "cause"):
        w.scope = str(getattr(match, "scope", "market"))
        cause, m = str(match.cause), str(match.market)
        calls = during[(during["market"].astype(str) == m).to_numpy(bool)]
        ev = evidence(calls, cause, start=w.start, end=w.end, failed=_focus(calls, match))
        text = explain_one(match, m, cause, ev, incidents, calls).split(": ", 1)[1]
    else:
        cause = window_cause(during)
        failed = during[during["is_error"].to_numpy(dtype=bool, na_value=False)]
        m = failed["market"].astype(str).value_counts().index[0]
        calls = during[(during["market"].astype(str) == m).to_numpy(bool)]
        ev = evidence(calls, cause, start=w.start, end=w.end)
        text = f"{CAUSE_WORDS.get(cause, cause)} ({side_of(cause)} side): {ev}."
    w.cause, w.side, w.evidence = cause, side_of(cause), ev
    w.summary += " Cause: " + text


def _changes(prior: pd.DataFrame, during: pd.DataFrame, col: str, n_prior: int, n_during: int) -> pd.DataFrame:
    """Error counts per value of ``col`` before and during, with rates, ratio and excess."""
    b = prior[col].value_counts(dropna=False, sort=False)
    d = during[col].value_counts(dropna=False, sort=False)
    b, d = b[b > 0], d[d > 0]
    values = b.index.union(d.index, sort=False) if len(b) or len(d) else b.index
    before = b.reindex(values, fill_value=0).to_numpy(np.int64)
    now = d.reindex(values, fill_value=0).to_numpy(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        before_rate = before / n_prior if n_prior else np.full(len(values), np.nan)
        during_rate = now / n_during if n_during else np.full(len(values), np.nan)
        ratio = np.where(before_rate > 0, during_rate / np.where(before_rate > 0, before_rate, 1),
                         np.where(now > 0, np.inf, np.nan))
        excess = now - np.nan_to_num(before_rate) * n_during
    dtype = prior[col].dtype
    key = pd.Series(values, dtype=object)
    key = key.astype(STRING) if not isinstance(dtype, pd.CategoricalDtype) else key.astype(dtype)
    out = pd.DataFrame({col: key, "before": before, "during": now, "before_rate": before_rate,
                        "during_rate": during_rate, "ratio": ratio, "excess": excess})
    return out.sort_values(["excess", "during"], ascending=False, kind="stable").reset_index(drop=True)


def _latency(prior: pd.DataFrame, during: pd.DataFrame) -> pd.DataFrame:
    q = np.array(defaults.PERCENTILES, dtype=np.float64)

    def pct(frame):
        v = frame["latency_ms"].to_numpy(dtype=np.float64, na_value=np.nan)
        v = v[~np.isnan(v)]
        return np.percentile(v, q) if len(v) else np.full(len(q), np.nan)

    b, d = pct(prior), pct(during)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = d / b
    return pd.DataFrame({"stat": [f"p{int(x)}" for x in q], "before": b, "during": d, "ratio": ratio})


def _rate(scope: pd.DataFrame, t: np.ndarray, lo: int, hi: int, b0: int, df: pd.DataFrame) -> pd.DataFrame:
    """Per market and limit window: the limit, peaks before and during, mean rate and windows over."""
    limits = rate_limits(None, "describe_window")
    market = scope["market"]
    codes, names = pd.factorize(market, sort=True)
    holder = limit_holders(scope)[0]  # the exchange counts each key's calls on its own
    rows = []
    for m, name in enumerate(names):
        tm, hm = t[codes == m], holder[codes == m]
        for w, limit in limits.items():
            def counts(a, z):
                inside = (tm >= a) & (tm < z)
                sel, who = tm[inside] // w, hm[inside]
                if not len(sel):
                    return np.zeros(0, np.int64)
                return np.unique(who * (int(sel.max()) - int(sel.min()) + 1) + sel - sel.min(), return_counts=True)[1]

            c_d, c_b = counts(lo, hi), counts(b0, lo)
            rows.append({
                "market": name, "window": duration_words(w), "limit": limit,
                "before_peak": int(c_b.max(initial=0)), "during_peak": int(c_d.max(initial=0)),
                "during_mean": c_d.sum() / max((hi - lo) / w, 1.0),
                "over_limit": int((c_d > limit).sum()),
            })
    out = pd.DataFrame(rows, columns=["market", "window", "limit", "before_peak", "during_peak", "during_mean",
                                      "over_limit"])
    out["market"] = out["market"].astype(df["market"].dtype if len(out) else df["market"].dtype)
    out["window"] = out["window"].astype(STRING)
    for c in ("limit", "before_peak", "during_peak", "over_limit"):
        out[c] = out[c].astype(np.int64)
    out["during_mean"] = out["during_mean"].astype(np.float64)
    return out


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{x:.0%}" if x >= 0.095 else f"{x:.1%}"


def _summary(w: WindowDescription, scope: pd.DataFrame) -> str:
    seen = {str(m) for m in scope["market"].dropna().unique()}
    names = w.market if w.market is not None else [m for m in MARKETS if m in seen] + sorted(seen - set(MARKETS))
    label = " and ".join(names) if names else "all markets"
    when = f"between {time_words(w.start)} and {end_words(w.start, w.end)} UTC"
    hours = duration_words(w.before.value, long=True)
    if w.calls == 0:
        return f"{label}: no calls {when} ({w.before_calls:,} in the {hours} before)."
    text = f"{label}: {w.errors:,} of {w.calls:,} calls failed ({_pct(w.errors / w.calls)}) {when}"
    if w.errors:
        top = w.categories.sort_values("during", ascending=False, kind="stable").iloc[0]
        reason = w.reasons.sort_values("during", ascending=False, kind="stable").iloc[0]
        text += f", {_pct(top['during'] / w.errors)} {top['category']} (mostly {reason['reason']})"
    before_rate = w.before_errors / w.before_calls if w.before_calls else float("nan")
    text += f", against {_pct(before_rate)} in the {hours} before" if w.before_calls else \
        f", with no calls in the {hours} before"
    text += "; " + _rate_sentence(w.rate) + "."
    lat = w.latency.set_index("stat")
    p90 = lat.loc["p90"] if "p90" in lat.index else None
    if p90 is not None and p90["ratio"] == p90["ratio"] and (p90["ratio"] >= 2 or p90["ratio"] <= 0.5):
        text += f" Latency p90 went from {p90['before']:,.0f} ms to {p90['during']:,.0f} ms."
    return text


def _rate_sentence(rate: pd.DataFrame) -> str:
    if rate.empty:
        return "no requests"
    r = rate.assign(load=rate["during_peak"] / rate["limit"])
    worst = r.loc[r["load"].idxmax()]
    per_s = r[r["window"] == "1s"]
    if worst["load"] > 1:
        m = worst["market"]
        sec = per_s[per_s["market"] == m]
        if len(sec):
            s = sec.iloc[0]
            lim = r[(r["market"] == m)]
            limits = " and ".join(f"{x.limit:,}/{x.window.removeprefix('1')}" for x in lim.itertuples())
            where = f" on {m}" if rate["market"].nunique() > 1 else ""
            return (f"requests ran at {s['during_mean']:.1f}/s{where} (peak {s['during_peak']:,} in one second) "
                    f"against limits of {limits}")
    peak_s = int(per_s["during_peak"].max()) if len(per_s) else 0
    per_m = r[r["window"] == "1min"]
    peak_m = int(per_m["during_peak"].max()) if len(per_m) else 0
    return f"requests stayed within the limits (peak {peak_s:,} in one second, {peak_m:,} in one minute)"
