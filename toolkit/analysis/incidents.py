"""Incidents: the windows in which a group's errors rose well above its own baseline, and whose fault they were.

The recipe, per group (a market by default):

1. count calls and errors per bucket of ``freq``;
2. baseline: the median error rate over buckets of ``baseline`` (an hour), leaving
   out those that hold flagged buckets; when that median is zero (a quiet group
   whose typical hour has no error) the error rate of the unflagged buckets;
3. scan windows of 1, 3, 10 and 30 buckets (:data:`toolkit.defaults.SCAN_WINDOWS`):
   a window is significant when it holds at least ``min_errors`` errors, an error
   rate at least ``ratio`` times the baseline, and a Poisson tail probability of
   that many errors given the baseline below ``alpha``. A short burst stands out at
   one bucket, a long low-rate spell (a clock drift on a quiet market) at thirty;
4. flag the buckets of significant windows whose own error rate is above
   ``ratio`` times the baseline; repeat 2-4 until the flags stop changing;
5. merge flagged buckets at most ``merge`` apart into windows, keep the windows
   that pass the test of step 3 as a whole, and split a window where its dominant
   category changes for at least :data:`~toolkit.defaults.CASCADE_MIN` (an outage,
   then the bot's retry storm), keeping the pieces that pass the test on their own;
6. narrow incidents: the same scan per market and reason and per market and
   endpoint (:data:`~toolkit.defaults.NARROW`), in buckets of
   :data:`~toolkit.defaults.NARROW_FREQ`, each group against its own pooled error
   rate for that hour of the day, with the windows of step 5 left out of it.
   Because there are many such groups the test is stricter: at least
   :data:`~toolkit.defaults.NARROW_MIN_ERRORS` errors, ``alpha`` divided by the
   number of groups, and a rate floor of half the group's rate over the
   recording; a narrow window overlapping a market-wide one, or a more
   significant narrow one, is left out.

The tail probability uses the bound ``P(X >= k) <= pmf(k) (k + 1) / (k + 1 - mu)``
of a Poisson variable with mean ``mu < k + 1``, exact to within that factor, so
small counts are judged by their real distribution rather than a normal
approximation. Each incident then gets its ``cause`` and ``side`` from the rule
table (:func:`toolkit.cause_rules`), its ``scope`` and what it ``follows``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import Grid, codes, grid, utc, window_of, window_sums
from ..errors import ParameterError
from ..schema import MARKETS, STRING
from ..selection import as_by, as_columns, as_count, as_duration, require, scan_freq, select, times
from ._baseline import Baseline, series_of
from ._cascade import split_cascades
from ._week import HOUR
from ._scan import Significance, poisson_log_tail, scan, window_sums_float
from .causes import CAUSES, row_causes, side_of
from .retry import CALL_COLUMNS, ERROR_COLUMNS, repeat_flags

__all__ = ["INCIDENT_COLUMNS", "find_incidents", "poisson_log_tail"]

#: Columns of :func:`find_incidents`, in order (extra ``by`` columns follow).
INCIDENT_COLUMNS = ["id", "start", "end", "market", "category", "cause", "side", "scope", "follows", "level",
                    "calls", "errors", "error_rate", "baseline_rate", "top_reason", "top_endpoint", "repeats"]

_CAUSE_DTYPE = pd.CategoricalDtype(CAUSES)


def find_incidents(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq="auto",
                   by="market", merge=defaults.INCIDENT_MERGE, baseline=defaults.BASELINE_FREQ, min_errors: int = defaults.MIN_ERRORS,
                   ratio: float = defaults.MIN_RATIO, alpha: float = defaults.ALPHA,
                   narrow=defaults.NARROW) -> pd.DataFrame:
    """Windows in which a group's errors rose well above its own baseline, with their cause.

    See the module notes for the method. A group's baseline is its typical error
    rate per bucket outside incidents, never its errors divided by its calls over
    the whole recording, so a storm of calls cannot raise its own baseline.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``is_error``,
        ``market``, ``category``, ``reason``, ``endpoint`` and the ``by`` columns;
        ``code``, ``method`` and ``symbol`` when present).
    freq : str or Timedelta, default "auto"
        Bucket size: the resolution of ``start`` and ``end``. ``"auto"`` picks it
        from the calls' span and density (:func:`toolkit.selection.scan_freq`):
        one minute for a busy week, hours or days for calls strewn over years.
        Narrow incidents use buckets of :data:`~toolkit.defaults.NARROW_FREQ`, or
        of ``freq`` when that is larger.
    by : str, list of str or None, default "market"
        The groups, each with its own baseline. Outcome columns (``category``,
        ``reason``, ...) split the errors and keep all calls as the denominator,
        as in :func:`toolkit.error_rate`.
    merge : str or Timedelta, default "5min"
        Flagged buckets at most this far apart make one window.
    baseline : str or Timedelta, default "1h"
        Size of the buckets whose median error rate is the baseline.
    min_errors : int, default 5
        Fewest errors an incident may have.
    ratio : float, default 3.0
        Least error rate of an incident, as a multiple of the baseline.
    alpha : float, default 1e-6
        Largest Poisson tail probability of an incident's errors given the
        baseline (small: a week of one-minute buckets makes many tests).
    narrow : sequence of str, default ("reason", "endpoint")
        Columns to also seek narrow incidents by, each within the ``by``
        groups (one reason, one endpoint); ``()`` for none.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first, but for
        ``scope``; see :mod:`toolkit.selection`.

    Returns
    -------
    DataFrame
        One row per incident: ``id`` (1, 2, ... in order of ``start``),
        ``start``, ``end`` (bucket edges, UTC), ``market`` (the group's, or the
        market with most errors in the window when ``by`` does not hold market),
        ``category`` (the most frequent error category in the window), ``cause``
        (the cause of most of its errors, see :func:`toolkit.cause_rules`),
        ``side`` (``client``, ``exchange``, ``network`` or ``unknown``),
        ``scope`` (``exchange-wide`` when the same category rose in another
        market at overlapping times, judged before ``market`` and ``bot`` narrow
        the calls, so an incident of one market still says so, ``bot-wide`` when that category is the
        bot's own fault, its clock or its key, on both markets; else ``market``), ``follows`` (the ``id`` of
        the incident this one came on the heels of, in the same market, with the
        bot's repeated calls rising: a retry storm after an outage; NA if none),
        ``level`` (``market``, or the ``by`` columns, for incidents of the whole
        group; ``reason`` or ``endpoint`` for narrow ones), ``calls``, ``errors``,
        ``error_rate``, ``baseline_rate`` (the expected errors per call),
        ``top_reason``, ``top_endpoint``, ``repeats`` (failed calls that repeated
        an identical call that failed with the same error at most
        :data:`~toolkit.defaults.RETRY_WINDOW` earlier, as :func:`toolkit.retries`
        counts them); then the other ``by`` columns. Sorted by ``start``;
        RangeIndex; empty (with these columns) when nothing stands out.

    Examples
    --------
    >>> import numpy as np, pandas as pd, toolkit
    >>> ts = pd.date_range("2026-11-16 18:00", periods=6 * 600, freq="6s", tz="UTC")
    >>> failed = (ts >= "2026-11-16 21:05") & (ts < "2026-11-16 21:15") | (np.arange(len(ts)) % 50 == 0)
    >>> df = pd.DataFrame({"ts": ts, "market": "spot", "endpoint": "/api/v1/stock/open-api/order",
    ...                    "is_error": failed, "category": np.where(failed, "rate_limit", "ok"),
    ...                    "reason": np.where(failed, "rate_limited", "ok")})
    >>> found = toolkit.find_incidents(df)
    >>> found[["start", "end", "market", "category"]]
                          start                       end market    category
    0 2026-11-16 21:05:00+00:00 2026-11-16 21:15:00+00:00   spot  rate_limit
    >>> found[["cause", "side", "scope", "calls", "errors", "baseline_rate"]]
             cause    side   scope  calls  errors  baseline_rate
    0  client_rate  client  market    100     100           0.02
    """
    func = "find_incidents"
    whole = select(df, start=start, end=end, func=func)
    df = select(whole, market=market, bot=bot, func=func)
    cols = as_by(by, df, func)
    require(df, ["ts", "is_error", "market", "category", "reason", "endpoint", *cols], func)
    f = scan_freq(freq, times(df, func), "freq", func)
    gap = as_duration(merge, "merge", func) // f
    per = max(1, as_duration(baseline, "baseline", func) // f)
    min_errors = as_count(min_errors, "min_errors", func)
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not ratio >= 1:
        raise ParameterError(f"{func}(): ratio must be a number >= 1, not {ratio!r}")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise ParameterError(f"{func}(): alpha must be a probability between 0 and 1, not {alpha!r}")
    narrow_cols = _as_narrow(narrow, df, cols, func)
    scan_args = (cols, f, gap, per, min_errors, float(ratio), float(alpha), narrow_cols, func)
    out = _find(df, *scan_args)
    if len(out) and len(df) < len(whole):
        # scope is decided before the market and bot filter: the same event in the other market, among the
        # same bots' calls (bot-wide) or anyone's (exchange-wide), counts though it was filtered out
        own = whole if bot is None else select(whole, bot=bot, func=func)
        own_wider = _find(own, *scan_args, full=False) if market is not None and len(own) > len(df) else None
        anyone = own_wider if bot is None else _find(whole, *scan_args, full=False)
        out["scope"] = _scope(out, own_wider, anyone)
    return out


def _find(df, cols, f, gap, per, min_errors, ratio, alpha, narrow_cols, func, full=True) -> pd.DataFrame:
    """The incidents of ``df`` (selected and checked); ``full=False`` leaves out ``repeats`` and ``follows``."""
    g = grid(df[["ts", "is_error", *cols]], func, freq=f, by=cols)
    extra = [c for c in cols if c not in ("market", "category")]
    if g.calls.size == 0 or not g.errors.any():
        return _empty(df, extra)
    tags = _tags(df)
    test = Significance(g.errors.sum(axis=1).max(), min_errors, ratio, float(np.log(alpha)))
    memo: dict = {}  # each row's series, shared by the scans of the same call groups
    base = Baseline(g, series_of(df, g, cols, memo), per)
    group, lo, hi, expected = scan(g, test, lambda skip: base.pooled(skip, None), gap=gap, first=base.median)
    if "category" not in cols and len(group):
        min_len = max(1, as_duration(defaults.CASCADE_MIN, "CASCADE_MIN", func) // f)
        group, lo, hi = split_cascades(tags["category"], g, group, lo, hi, expected, test, min_len)
    level = "market" if cols == ["market"] else ", ".join(cols) or "all"
    pieces = [_rows(tags, g, group, lo, hi, expected, level, extra)] if len(group) else []
    wide = pieces[0] if pieces else None
    narrow_rows = [_narrow(df, tags, cols, col, wide, min_errors, alpha, extra, func, memo, f) for col in narrow_cols]
    narrow_rows = [n for n in narrow_rows if n is not None and len(n)]
    if narrow_rows:
        pieces.append(_keep_narrow(pd.concat(narrow_rows, ignore_index=True), wide))
    if not pieces or not sum(len(p) for p in pieces):
        return _empty(df, extra)
    out = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
    out = out.sort_values(["start", "market", "end"], kind="stable").reset_index(drop=True)
    out = out.drop(columns=["_tail"])
    out.insert(0, "id", np.arange(1, len(out) + 1, dtype=np.int64))
    out["scope"] = _scope(out)
    if not full:
        return out
    out["repeats"] = _repeats(df, out, g)
    out["follows"] = _follows(out, as_duration(defaults.FOLLOW_WITHIN, "FOLLOW_WITHIN", func))
    return out[INCIDENT_COLUMNS + extra]


def _as_narrow(narrow, df, cols, func) -> list[str]:
    if narrow is None:
        return []
    return [c for c in as_columns(narrow, "narrow", df, func, empty="()") if c not in cols and c != "ts"]


def _tags(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The columns whose most frequent value among a window's errors describes it, with each row's cause."""
    tags = {c: df[c] for c in ("market", "category", "reason", "endpoint")}
    tags["cause"] = pd.Series(pd.Categorical.from_codes(row_causes(df), dtype=_CAUSE_DTYPE), index=df.index)
    return tags


def _rows(tags, g: Grid, group, lo, hi, expected, level, extra) -> pd.DataFrame:
    """One row per window of ``g``: times, dominant values, counts and the expected rate."""
    calls = window_sums(g.calls, group, lo, hi)
    errors = window_sums(g.errors, group, lo, hi)
    mu = window_sums_float(expected, group, lo, hi)
    tops = _dominant(tags, g, group, lo, hi)
    cause = tops["cause"].astype(str)
    out = pd.DataFrame({
        "start": utc((g.first + lo) * g.freq),
        "end": utc((g.first + hi) * g.freq),
        "market": tops["market"],
        "category": tops["category"],
        "cause": pd.Categorical(cause.where(cause != "nan", "unknown"), dtype=_CAUSE_DTYPE),
        "side": pd.array([side_of(c) for c in cause], dtype=STRING),
        "level": pd.array([level] * len(group), dtype=STRING),
        "calls": calls.astype(np.int64),
        "errors": errors.astype(np.int64),
        "error_rate": errors / np.maximum(calls, 1),
        "baseline_rate": mu / np.maximum(calls, 1),
        "top_reason": pd.array(tops["reason"], dtype=STRING),
        "top_endpoint": pd.array(tops["endpoint"], dtype=STRING),
        "_tail": poisson_log_tail(errors, mu),
    })
    for c in extra:
        out[c] = g.keys[c].take(group).reset_index(drop=True)
    return out


def _dominant(tags, g: Grid, group, lo, hi) -> dict:
    """The most frequent market, category, reason, endpoint and cause among each window's errors."""
    nb = g.calls.shape[1]
    index = window_of(g.calls.shape, group, lo, hi)
    rows = np.flatnonzero(g.row_group >= 0)
    w = index[g.row_group[rows] * nb + g.row_bucket[rows]]
    rows, w = rows[w >= 0], w[w >= 0]
    out = {}
    for col, series in tags.items():
        values = series.take(rows)
        if isinstance(values.dtype, pd.CategoricalDtype):
            # codes in category order, so that ties go to the taxonomy's order; -1 (missing) last
            n = len(values.dtype.categories)
            c = values.cat.codes.to_numpy(np.int64)
            c = np.where(c < 0, n, c)
        else:
            c, uniques = pd.factorize(values, use_na_sentinel=False)
            n = len(uniques)
        k = n + 1
        counts = np.bincount(w * k + c, minlength=len(group) * k).reshape(len(group), k)
        top = counts.argmax(axis=1)
        if isinstance(values.dtype, pd.CategoricalDtype):
            top = np.where(top == n, -1, top)
            picked = pd.Series(pd.Categorical.from_codes(top, dtype=values.dtype))
        else:
            picked = pd.Series(np.asarray(uniques, dtype=object)[top] if n else [None] * len(top), dtype=object)
        out[col] = picked if col in ("market", "category", "cause") else \
            picked.astype(object).where(picked.notna(), None)
    return out


def _narrow(df, tags, cols, col, wide, min_errors, alpha, extra, func, memo, f) -> pd.DataFrame | None:
    """Incidents of one reason or one endpoint within each ``by`` group, against its time-of-day rate."""
    nf = max(as_duration(defaults.NARROW_FREQ, "NARROW_FREQ", func), f)
    g = grid(df[["ts", "is_error", *cols, col]], func, freq=nf, by=[*cols, col])
    has = g.errors.sum(axis=1) > 0
    if not has.any():
        return None
    exclude = np.zeros(g.calls.shape, dtype=bool)
    if wide is not None and len(wide):
        starts = g.starts
        market = g.keys["market"].astype(str).to_numpy() if "market" in g.keys else None
        for r in wide.itertuples():
            cells = (starts + nf > r.start.value) & (starts < r.end.value)
            rows = slice(None) if market is None else market == str(r.market)
            exclude[np.ix_(np.atleast_1d(np.arange(len(g.keys))[rows]), np.flatnonzero(cells))] = True
    base = Baseline(g, series_of(df, g, [*cols, col], memo), max(1, HOUR // nf))
    total_calls, total_errors = base.sub.calls.sum(axis=1), base.sub.errors.sum(axis=1)
    floor = defaults.NARROW_FLOOR * np.where(total_calls > 0, total_errors / np.maximum(total_calls, 1), 0.0)
    test = Significance(g.errors.sum(axis=1).max(), max(min_errors, defaults.NARROW_MIN_ERRORS),
                        defaults.NARROW_RATIO, float(np.log(alpha / max(int(has.sum()), 1))))
    group, lo, hi, expected = scan(g, test, lambda skip: base.pooled(skip, floor),
                                   gap=as_duration(defaults.NARROW_MERGE, "NARROW_MERGE", func) // nf,
                                   exclude=exclude)
    if not len(group):
        return None
    return _rows(tags, g, group, lo, hi, expected, col, extra)


def _keep_narrow(cand: pd.DataFrame, wide: pd.DataFrame | None) -> pd.DataFrame:
    """Narrow windows that overlap no market-wide one and no more significant narrow one of their market."""
    cand = cand.sort_values("_tail", kind="stable").reset_index(drop=True)
    kept: list[int] = []
    taken = [] if wide is None else [(str(r.market), r.start, r.end) for r in wide.itertuples()]
    for i, r in enumerate(cand.itertuples()):
        m = str(r.market)
        if any(m == m2 and r.start < e2 and s2 < r.end for m2, s2, e2 in taken):
            continue
        kept.append(i)
        taken.append((m, r.start, r.end))
    return cand.take(kept)


def _repeats(df: pd.DataFrame, inc: pd.DataFrame, g: Grid) -> np.ndarray:
    """Per incident: the failed calls in it that are repeats (:mod:`toolkit.analysis.retry`)."""
    func = "find_incidents"
    window = as_duration(defaults.RETRY_WINDOW, "RETRY_WINDOW", func)
    market, names = codes(df["market"])
    lookup = {str(v): i for i, v in enumerate(names)}
    spans = [(lookup.get(str(r.market), -1), r.start.value, r.end.value) for r in inc.itertuples()]
    # only the rows from ``window`` before an incident to its end can be, or be repeated by, its repeats: found
    # through the grid's buckets of each market rather than a pass per incident
    marked = np.zeros((len(names), g.calls.shape[1] + 1), dtype=bool)
    for m, s, e in spans:
        if m >= 0:
            marked[m, max(0, (s - window) // g.freq - g.first):max(0, -(-e // g.freq) - g.first)] = True
    rows = np.flatnonzero(marked[market, g.row_bucket])
    out = np.zeros(len(inc), dtype=np.int64)
    if not len(rows):
        return out
    near = df[[c for c in ("ts", "is_error", *CALL_COLUMNS, *ERROR_COLUMNS) if c in df]].take(rows)
    rep = repeat_flags(near, defaults.RETRY_WINDOW, func)
    rep_ts, rep_m = times(near, func)[rep], market[rows][rep]
    for i, (m, s, e) in enumerate(spans):
        out[i] = int(np.count_nonzero((rep_ts >= s) & (rep_ts < e) & (rep_m == m)))
    return out


def _scope(inc: pd.DataFrame, own_wider: pd.DataFrame | None = None, anyone: pd.DataFrame | None = None) -> pd.array:
    """Where the same category rose in another market at overlapping times: ``exchange-wide`` for the exchange's
    or the network's faults, ``bot-wide`` for the bot's own (its clock, its key); else ``market``.

    ``own_wider`` and ``anyone``: the incidents of the same bots' calls in every market, and of everyone's, when
    ``inc`` is of a market or bots filtered out of them (the bot's own faults are judged against the former)."""
    own = inc["side"].astype(str).to_numpy() == "client"
    both = _elsewhere(inc, inc)
    if own_wider is not None:
        both |= own & _elsewhere(inc, own_wider)
    if anyone is not None:
        both |= ~own & _elsewhere(inc, anyone)
    wide = np.where(own, "bot-wide", "exchange-wide")
    return pd.array(np.where(both, wide, "market"), dtype=STRING)


def _elsewhere(inc: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """Per incident of ``inc``: whether ``other`` holds one of the same category in another known market, overlapping it."""
    known_markets = [m for m in MARKETS if m != "unknown"]
    m1, m2 = inc["market"].astype(str).to_numpy(), other["market"].astype(str).to_numpy()
    c1, c2 = inc["category"].astype(str).to_numpy(), other["category"].astype(str).to_numpy()
    s1, e1, s2, e2 = (x.to_numpy() for x in (inc["start"], inc["end"], other["start"], other["end"]))
    hit = ((m1[:, None] != m2[None, :]) & (c1[:, None] == c2[None, :]) & np.isin(m1, known_markets)[:, None]
           & np.isin(m2, known_markets)[None, :] & (s1[:, None] < e2[None, :]) & (s2[None, :] < e1[:, None]))
    return hit.any(axis=1)


def _follows(inc: pd.DataFrame, within: int) -> pd.array:
    """The id of the incident each one came on the heels of (same market, soon after, repeats rising)."""
    out = [pd.NA] * len(inc)
    market = inc["market"].astype(str).to_numpy()
    s, e = inc["start"].array.asi8, inc["end"].array.asi8
    rep = inc["repeats"].to_numpy(np.float64)
    per_min = rep / np.maximum((e - s) / 60e9, 1.0)
    for j in range(len(inc)):
        best = None
        for i in range(len(inc)):
            if i == j or market[i] != market[j] or not (s[i] < s[j] and e[i] <= e[j]):
                continue
            if s[j] - e[i] <= within and rep[j] >= defaults.MIN_ERRORS and per_min[j] > per_min[i]:
                best = i if best is None or e[i] > e[best] else best
        if best is not None:
            out[j] = int(inc["id"].iloc[best])
    return pd.array(out, dtype="Int64")


def _empty(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({
        "id": np.zeros(0, np.int64), "start": utc([]), "end": utc([]),
        "market": df["market"].iloc[:0].reset_index(drop=True),
        "category": df["category"].iloc[:0].reset_index(drop=True),
        "cause": pd.Categorical([], dtype=_CAUSE_DTYPE), "side": pd.array([], dtype=STRING),
        "scope": pd.array([], dtype=STRING), "follows": pd.array([], dtype="Int64"),
        "level": pd.array([], dtype=STRING),
        "calls": np.zeros(0, np.int64), "errors": np.zeros(0, np.int64),
        "error_rate": np.zeros(0), "baseline_rate": np.zeros(0),
        "top_reason": pd.array([], dtype=STRING), "top_endpoint": pd.array([], dtype=STRING),
        "repeats": np.zeros(0, np.int64),
    })
    for c in extra:
        out[c] = df[c].iloc[:0].reset_index(drop=True)
    return out
