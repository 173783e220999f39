"""The statistics behind :func:`toolkit.find_incidents`: baselines, the Poisson scan and window trimming.

Everything works on a :class:`~toolkit._grid.Grid` (calls and errors
per group and bucket) and an ``expected`` array of the same shape: the errors
each bucket's calls would have at their usual rate (:mod:`toolkit.analysis._baseline`).
A window's ``mu`` is the sum of its buckets' expected errors.
"""

from __future__ import annotations

import numpy as np

from .. import defaults
from .._grid import Grid, runs, window_sums


class Significance:
    """The significance test of a window: counts, ratio to the expected errors and Poisson tail."""

    def __init__(self, max_k: int, min_errors: int, ratio: float, log_alpha: float):
        self.logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, int(max_k) + 2, dtype=np.float64)))])
        self.min_errors, self.ratio, self.log_alpha = min_errors, ratio, log_alpha

    def significant(self, errors, mu) -> np.ndarray:
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


def flag(calls, errors, expected, test: Significance, windows=defaults.SCAN_WINDOWS) -> np.ndarray:
    """Buckets in a significant scan window whose own errors are at least ``ratio`` times their expected ones."""
    ng, nb = calls.shape
    ce = np.concatenate([np.zeros((ng, 1), np.int64), np.cumsum(errors, axis=1)], axis=1)
    cx = np.concatenate([np.zeros((ng, 1)), np.cumsum(expected, axis=1)], axis=1)
    cover = np.zeros((ng, nb + 1), dtype=np.int64)
    for w in windows:
        w = min(w, nb)
        e, mu = ce[:, w:] - ce[:, :-w], cx[:, w:] - cx[:, :-w]
        hit = test.significant(e, mu)
        gi, si = np.nonzero(hit)
        np.add.at(cover, (gi, si), 1)
        np.add.at(cover, (gi, si + w), -1)
    covered = np.cumsum(cover, axis=1)[:, :nb] > 0
    return covered & (errors > 0) & (errors >= test.ratio * expected)


def trim(errors, expected, group, lo, hi):
    """Shrink each window to its span of greatest Poisson likelihood ratio against the expected errors.

    Merging can chain an incident to stray background errors a few buckets away;
    the span that maximises ``E log(E / mu) - (E - mu)`` (the scan statistic's
    maximum-likelihood cluster) leaves them out.
    """
    lo, hi = lo.copy(), hi.copy()
    for i, (gi, a, b) in enumerate(zip(group, lo, hi)):
        if b - a > 2000:  # a day-long window at one-minute buckets: keep it whole
            continue
        ce = np.concatenate([[0], np.cumsum(errors[gi, a:b])])
        cx = np.concatenate([[0.0], np.cumsum(expected[gi, a:b])])
        e = (ce[None, :] - ce[:, None]).astype(np.float64)
        mu = np.maximum(cx[None, :] - cx[:, None], 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            llr = np.where(e > mu, e * np.log(e / mu) - (e - mu), -np.inf)
        llr[np.tril_indices_from(llr)] = -np.inf  # spans end after they start
        s, t = np.unravel_index(np.argmax(llr), llr.shape)
        if t > s:
            lo[i], hi[i] = a + s, a + t
    return lo, hi


def scan(g: Grid, test: Significance, baseline, *, gap: int, exclude=None, windows=defaults.SCAN_WINDOWS,
         first=None):
    """Find the significant windows of every group.

    ``baseline(skip)`` returns the expected errors per cell given the cells to
    leave out; flags and baselines are refined until the flags stop changing.
    ``first(skip)``, when given, is the baseline of the first pass: one that
    incidents not yet flagged cannot raise (a median). ``exclude`` cells (other
    incidents) never count towards a baseline.
    Returns ``(group, lo, hi, expected)``, ``hi`` exclusive.
    """
    skip0 = np.zeros(g.calls.shape, dtype=bool) if exclude is None else exclude
    expected = (first or baseline)(skip0)
    flagged = flag(g.calls, g.errors, expected, test, windows)
    for _ in range(5):
        expected = baseline(flagged | skip0)
        new = flag(g.calls, g.errors, expected, test, windows)
        if np.array_equal(new, flagged):
            break
        flagged = new
    group, lo, hi = runs(flagged, gap)
    lo, hi = trim(g.errors, expected, group, lo, hi)
    errors = window_sums(g.errors, group, lo, hi)
    mu = window_sums_float(expected, group, lo, hi)
    keep = test.significant(errors, mu)
    return group[keep], lo[keep], hi[keep], expected


def window_sums_float(a: np.ndarray, group, lo, hi) -> np.ndarray:
    """Sums of a float grid ``a[group, lo:hi]`` for each window."""
    cs = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    return cs[group, hi] - cs[group, lo]
