"""Incidents: the windows in which a group's errors rose well above its own baseline.

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
5. merge flagged buckets at most ``merge`` apart into windows, and keep the windows
   that pass the test of step 3 as a whole.

The tail probability uses the bound ``P(X >= k) <= pmf(k) (k + 1) / (k + 1 - mu)``
of a Poisson variable with mean ``mu < k + 1``, exact to within that factor, so
small counts are judged by their real distribution rather than a normal
approximation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import STRING
from ._common import Grid, as_by, as_count, as_duration, grid, runs, utc, window_of, window_sums
from .summary import require

#: Columns of :func:`find_incidents`, in order (extra ``by`` columns follow).
INCIDENT_COLUMNS = ["start", "end", "market", "category", "calls", "errors", "error_rate", "baseline_rate",
                    "top_reason", "top_endpoint"]


def find_incidents(df: pd.DataFrame, *, freq=defaults.INCIDENT_FREQ, by="market", merge=defaults.INCIDENT_MERGE,
                   baseline=defaults.BASELINE_FREQ, min_errors: int = defaults.MIN_ERRORS,
                   ratio: float = defaults.MIN_RATIO, alpha: float = defaults.ALPHA) -> pd.DataFrame:
    """Windows in which a group's errors rose well above its own baseline.

    See the module notes for the method. A group's baseline is its typical error
    rate per bucket outside incidents, never its errors divided by its calls over
    the whole recording, so a storm of calls cannot raise its own baseline. An
    event that hits both markets gives one incident per market.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``is_error``,
        ``market``, ``category``, ``reason``, ``endpoint`` and the ``by`` columns).
    freq : str or Timedelta, default "1min"
        Bucket size: the resolution of ``start`` and ``end``.
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

    Returns
    -------
    DataFrame
        One row per incident: ``start``, ``end`` (bucket edges, UTC), ``market``
        (the group's, or the market with most errors in the window when ``by``
        does not hold market), ``category`` (the most frequent error category in
        the window), ``calls``, ``errors``, ``error_rate``, ``baseline_rate``,
        ``top_reason``, ``top_endpoint``; then the other ``by`` columns. Sorted by
        ``start``; RangeIndex; empty (with these columns) when nothing stands out.

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
    >>> found[["calls", "errors", "baseline_rate"]]
       calls  errors  baseline_rate
    0    100     100           0.02
    """
    func = "find_incidents"
    cols = as_by(by, df, func)
    require(df, ["ts", "is_error", "market", "category", "reason", "endpoint", *cols], func)
    f = as_duration(freq, "freq", func)
    gap = as_duration(merge, "merge", func) // f
    per = max(1, as_duration(baseline, "baseline", func) // f)
    min_errors = as_count(min_errors, "min_errors", func)
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not ratio >= 1:
        raise ValueError(f"{func}(): ratio must be a number >= 1, not {ratio!r}")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise ValueError(f"{func}(): alpha must be a probability between 0 and 1, not {alpha!r}")
    g = grid(df, func, freq=f, by=cols)
    extra = [c for c in cols if c not in ("market", "category")]
    if g.calls.size == 0 or not g.errors.any():
        return _empty(df, extra)
    test = _Test(g.errors.sum(axis=1).max(), min_errors, float(ratio), float(np.log(alpha)))
    flagged = np.zeros(g.calls.shape, dtype=bool)
    for _ in range(5):
        base = _baseline(g, flagged, per)
        new = _flag(g.calls, g.errors, base, test)
        if np.array_equal(new, flagged):
            break
        flagged = new
    group, lo, hi = runs(flagged, gap)
    lo, hi = _trim(g.calls, g.errors, base, group, lo, hi)
    calls = window_sums(g.calls, group, lo, hi)
    errors = window_sums(g.errors, group, lo, hi)
    keep = test.significant(calls, errors, base[group])
    group, lo, hi, calls, errors = group[keep], lo[keep], hi[keep], calls[keep], errors[keep]
    if len(group) == 0:
        return _empty(df, extra)
    tops = _dominant(df, g, group, lo, hi)
    out = pd.DataFrame({
        "start": utc((g.first + lo) * g.freq),
        "end": utc((g.first + hi) * g.freq),
        "market": tops["market"],
        "category": tops["category"],
        "calls": calls.astype(np.int64),
        "errors": errors.astype(np.int64),
        "error_rate": errors / np.maximum(calls, 1),
        "baseline_rate": base[group].astype(np.float64),
        "top_reason": pd.array(tops["reason"], dtype=STRING),
        "top_endpoint": pd.array(tops["endpoint"], dtype=STRING),
    })
    for c in extra:
        out[c] = g.keys[c].take(group).reset_index(drop=True)
    order = np.lexsort((group, lo))
    return out.take(order).reset_index(drop=True)


class _Test:
    """The significance test of a window: counts, ratio to baseline and Poisson tail."""

    def __init__(self, max_k: int, min_errors: int, ratio: float, log_alpha: float):
        self.logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, int(max_k) + 2, dtype=np.float64)))])
        self.min_errors, self.ratio, self.log_alpha = min_errors, ratio, log_alpha

    def significant(self, calls, errors, base) -> np.ndarray:
        mu = base * calls
        enough = (errors >= self.min_errors) & (errors >= self.ratio * mu)
        return enough & (poisson_log_tail(errors, mu, self.logfact) < self.log_alpha)


def poisson_log_tail(k, mu, logfact=None) -> np.ndarray:
    """An upper bound of ``log P(X >= k)`` for ``X ~ Poisson(mu)``, elementwise.

    ``P(X >= k) <= pmf(k) * (k + 1) / (k + 1 - mu)`` when ``mu < k + 1`` (the
    tail's terms shrink at least geometrically); 0 (probability one) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> float(np.exp(poisson_log_tail(np.array([3]), np.array([0.5]))[0]))  # exact: 0.014388
    0.01444...
    """
    k = np.asarray(k, dtype=np.int64)
    mu = np.asarray(mu, dtype=np.float64)
    if logfact is None:
        logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, max(int(k.max(initial=0)), 1) + 1)))])
    kf = k.astype(np.float64)
    out = np.zeros(np.broadcast(k, mu).shape)
    ok = mu < kf + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mu = np.log(mu)
        bound = kf * log_mu - mu - logfact[np.clip(k, 0, len(logfact) - 1)] + np.log(kf + 1) - np.log(kf + 1 - mu)
    bound = np.where(mu > 0, bound, np.where(k > 0, -np.inf, 0.0))
    out[ok] = np.minimum(bound[ok], 0.0)
    return out


def _baseline(g: Grid, flagged: np.ndarray, per: int) -> np.ndarray:
    """Median error rate over unflagged buckets of ``per`` buckets, per group."""
    ng, nb = g.calls.shape
    pad = g.first % per  # coarse buckets aligned on the epoch, as fine ones
    width = -(-(nb + pad) // per) * per

    def coarse(a):
        z = np.zeros((ng, width), dtype=a.dtype)
        z[:, pad:pad + nb] = a
        return z.reshape(ng, -1, per).sum(axis=2)

    calls, errors, bad = coarse(g.calls), coarse(g.errors), coarse(flagged.astype(np.int64)) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where((calls > 0) & ~bad, errors / calls, np.nan)
        med = np.nanmedian(np.where(np.isnan(rate).all(axis=1, keepdims=True), 0.0, rate), axis=1)
        clean_calls = np.where(flagged, 0, g.calls).sum(axis=1)
        clean_errors = np.where(flagged, 0, g.errors).sum(axis=1)
        pooled = np.where(clean_calls > 0, clean_errors / np.maximum(clean_calls, 1), 0.0)
    return np.where(med > 0, med, pooled)


def _flag(calls, errors, base, test: _Test) -> np.ndarray:
    """Buckets in a significant scan window whose own error rate is high enough."""
    ng, nb = calls.shape
    cc = np.concatenate([np.zeros((ng, 1), np.int64), np.cumsum(calls, axis=1)], axis=1)
    ce = np.concatenate([np.zeros((ng, 1), np.int64), np.cumsum(errors, axis=1)], axis=1)
    cover = np.zeros((ng, nb + 1), dtype=np.int64)
    for w in defaults.SCAN_WINDOWS:
        w = min(w, nb)
        c, e = cc[:, w:] - cc[:, :-w], ce[:, w:] - ce[:, :-w]
        hit = test.significant(c, e, base[:, None])
        gi, si = np.nonzero(hit)
        np.add.at(cover, (gi, si), 1)
        np.add.at(cover, (gi, si + w), -1)
    covered = np.cumsum(cover, axis=1)[:, :nb] > 0
    return covered & (errors > 0) & (errors >= test.ratio * base[:, None] * calls)


def _trim(calls, errors, base, group, lo, hi):
    """Shrink each window to its span of greatest Poisson likelihood ratio against the baseline.

    Merging can chain an incident to stray background errors a few buckets away;
    the span that maximises ``E log(E / mu) - (E - mu)`` (the scan statistic's
    maximum-likelihood cluster) leaves them out.
    """
    lo, hi = lo.copy(), hi.copy()
    for i, (gi, a, b) in enumerate(zip(group, lo, hi)):
        if b - a > 2000:  # a day-long window at one-minute buckets: keep it whole
            continue
        cc = np.concatenate([[0], np.cumsum(calls[gi, a:b])])
        ce = np.concatenate([[0], np.cumsum(errors[gi, a:b])])
        c = cc[None, :] - cc[:, None]
        e = (ce[None, :] - ce[:, None]).astype(np.float64)
        mu = max(base[gi], 1e-12) * c
        with np.errstate(divide="ignore", invalid="ignore"):
            llr = np.where((e > mu) & (c > 0), e * np.log(e / mu) - (e - mu), -np.inf)
        llr[np.tril_indices_from(llr)] = -np.inf  # spans end after they start
        s, t = np.unravel_index(np.argmax(llr), llr.shape)
        if t > s:
            lo[i], hi[i] = a + s, a + t
    return lo, hi


def _dominant(df: pd.DataFrame, g: Grid, group, lo, hi) -> dict:
    """The most frequent market, category, reason and endpoint among each window's errors."""
    nb = g.calls.shape[1]
    index = window_of(g.calls.shape, group, lo, hi)
    rows = np.flatnonzero(g.row_group >= 0)
    w = index[g.row_group[rows] * nb + g.row_bucket[rows]]
    rows, w = rows[w >= 0], w[w >= 0]
    out = {}
    for col in ("market", "category", "reason", "endpoint"):
        values = df[col].take(rows)
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
        out[col] = picked if col in ("market", "category") else picked.astype(object).where(picked.notna(), None)
    return out


def _empty(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({
        "start": utc([]), "end": utc([]),
        "market": df["market"].iloc[:0].reset_index(drop=True),
        "category": df["category"].iloc[:0].reset_index(drop=True),
        "calls": np.zeros(0, np.int64), "errors": np.zeros(0, np.int64),
        "error_rate": np.zeros(0), "baseline_rate": np.zeros(0),
        "top_reason": pd.array([], dtype=STRING), "top_endpoint": pd.array([], dtype=STRING),
    })
    for c in extra:
        out[c] = df[c].iloc[:0].reset_index(drop=True)
    return out
