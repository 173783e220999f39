"""The baselines of the incident scans: the errors each bucket's calls would usually have, at that time of the week.

A scan's groups (a market, or a market and a reason, ...) are each made of **series**: one per
value of :data:`~toolkit.defaults.BASELINE_BY` (each bot) inside the group. Each series has
its own usual error rate per cell of the week (:mod:`toolkit.analysis._week`: weekday or
weekend, and hour of the day on the series' own clock), and a bucket's expected errors are
the sum over its series of their calls times their usual rate. So the busy session of a
market maker whose cancels often find their order filled is measured against its own usual
errors in session, a quiet futures bot's night against its own nights, and a weekend
outage against weekends.

Two estimators share the layout (:class:`Baseline`):

- :meth:`Baseline.median` (market-wide scans): the median of the series' hourly error rates in
  the cell, the coarser cell's estimate counting as one more value, hours holding flagged
  buckets left out; robust to an incident before it has been flagged;
- :meth:`Baseline.pooled` (narrow scans, whose series are thin): errors over calls in the
  cell, leaning on the coarser cell as if it held :data:`~toolkit.defaults.NARROW_PRIOR_ERRORS`
  errors, and never below a floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import Grid, grid, ids
from ._week import DAY, HOUR, cell_medians, clock_shifts, own_time, weekend

__all__ = ["Baseline", "series_grid"]


def series_grid(df: pd.DataFrame, g: Grid, cols: list[str], func: str) -> tuple[Grid, np.ndarray]:
    """The grid of ``g``'s series (its groups split by :data:`~toolkit.defaults.BASELINE_BY`) and each
    series' group; ``g`` itself when nothing splits it."""
    split = [c for c in defaults.BASELINE_BY if c in df and c not in cols and df[c].nunique(dropna=False) > 1]
    if not split or not len(g.keys):
        return g, np.arange(len(g.keys), dtype=np.int64)
    sub = grid(df, func, freq=g.freq, by=[*cols, *split])
    if not cols:
        return sub, np.zeros(len(sub.keys), dtype=np.int64)
    both = pd.concat([g.keys[cols], sub.keys[cols]], ignore_index=True)
    code = ids(both, cols)
    lookup = dict(zip(code[:len(g.keys)].tolist(), range(len(g.keys))))
    return sub, np.array([lookup[c] for c in code[len(g.keys):].tolist()], dtype=np.int64)


class Baseline:
    """Expected errors per cell of a grid ``g`` from its series ``sub`` (``parent``: each series' row in ``g``),
    with usual rates per cell of the week taken over coarse buckets of ``per`` buckets."""

    def __init__(self, g: Grid, sub: Grid, parent: np.ndarray, per: int):
        self.g, self.sub, self.parent, self.per = g, sub, parent, per
        n_series, nb = sub.calls.shape
        self.pad = g.first % per  # coarse buckets aligned on the epoch, as fine ones
        self.width = -(-(nb + self.pad) // per) * per
        starts = (g.first - self.pad + np.arange(self.width // per, dtype=np.int64) * per) * g.freq
        self.fine = (np.arange(nb) + self.pad) // per  # each bucket's coarse bucket
        self.calls = self._coarse(sub.calls)
        self.days = nb * g.freq / DAY
        self.weekly = self.days >= defaults.CELL_MIN_DAYS and per * g.freq <= HOUR
        if self.weekly:
            first_hour = int(starts[0] // HOUR)
            hourly = _hourly(self.calls, starts, first_hour)
            own = own_time(starts, clock_shifts(hourly, first_hour), first_hour // 24)
            self.hour = (own // HOUR) % 24
            self.cell = weekend(own // DAY) * 24 + self.hour
            self.series = np.arange(n_series)[:, None]

    def _coarse(self, a: np.ndarray) -> np.ndarray:
        n, nb = a.shape
        z = np.zeros((n, self.width), dtype=a.dtype)
        z[:, self.pad:self.pad + nb] = a
        return z.reshape(n, -1, self.per).sum(axis=2)

    def _expected(self, rate: np.ndarray) -> np.ndarray:
        """Each series' calls at its rate for the coarse bucket, summed per group."""
        per_series = self.sub.calls * rate[:, self.fine]
        out = np.zeros(self.g.calls.shape)
        np.add.at(out, self.parent, per_series)
        return out

    def median(self, skip: np.ndarray) -> np.ndarray:
        """Expected errors from the medians of the series' hourly error rates per cell, ``skip`` cells of ``g``
        (and the coarse buckets holding them) left out."""
        bad_fine = skip[self.parent]
        bad = self._coarse(bad_fine.astype(np.int64)) > 0
        errors = self._coarse(self.sub.errors)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where((self.calls > 0) & ~bad, errors / np.maximum(self.calls, 1), np.nan)
        clean_calls = np.where(bad_fine, 0, self.sub.calls).sum(axis=1)
        clean_errors = np.where(bad_fine, 0, self.sub.errors).sum(axis=1)
        pooled = np.where(clean_calls > 0, clean_errors / np.maximum(clean_calls, 1), 0.0)
        overall = cell_medians(rate, np.repeat(np.arange(len(rate)), rate.shape[1]), len(rate),
                               np.full(len(rate), np.nan))
        overall = np.where(np.nan_to_num(overall) > 0, overall, pooled)
        if not self.weekly:
            return self._expected(np.repeat(overall[:, None], rate.shape[1], axis=1))
        n = len(rate)
        by_hour = cell_medians(rate, self.series * 24 + self.hour, n * 24, np.repeat(overall, 24)).reshape(n, 24)
        by_hour = np.where(np.nan_to_num(by_hour) > 0, by_hour, overall[:, None])
        by_cell = cell_medians(rate, self.series * 48 + self.cell, n * 48, np.tile(by_hour, 2).ravel()).reshape(n, 48)
        by_cell = np.where(np.nan_to_num(by_cell) > 0, by_cell, np.tile(by_hour, 2))
        return self._expected(by_cell[self.series, self.cell])

    def pooled(self, skip: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """Expected errors from the series' pooled error rates per cell, each leaning on its coarser cell, never
        below ``floor`` (one rate per series); ``skip`` cells of ``g`` left out."""
        bad_fine = skip[self.parent]
        calls = self._coarse(np.where(bad_fine, 0, self.sub.calls))
        errors = self._coarse(np.where(bad_fine, 0, self.sub.errors))
        n = len(calls)
        c_all, e_all = calls.sum(axis=1), errors.sum(axis=1)
        r = np.where(c_all > 0, e_all / np.maximum(c_all, 1), 0.0)
        c0 = np.where(r > 0, defaults.NARROW_PRIOR_ERRORS / np.maximum(r, 1e-300), 0.0)
        if not self.weekly:
            return self._expected(np.repeat(np.maximum(r, floor)[:, None], calls.shape[1], axis=1))

        def lean(key, k, prior):
            c = np.bincount(key.ravel(), weights=calls.ravel(), minlength=n * k).reshape(n, k)
            e = np.bincount(key.ravel(), weights=errors.ravel(), minlength=n * k).reshape(n, k)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(c + c0[:, None] > 0, (e + prior * c0[:, None]) / (c + c0[:, None]), 0.0)

        by_hour = lean(self.series * 24 + self.hour, 24, r[:, None])
        by_cell = lean(self.series * 48 + self.cell, 48, np.tile(by_hour, 2))
        return self._expected(np.maximum(by_cell, floor[:, None])[self.series, self.cell])


def _hourly(coarse: np.ndarray, starts: np.ndarray, first_hour: int) -> np.ndarray:
    """Calls per series and hour from coarse buckets (at most an hour long) starting at ``starts``."""
    n, k = coarse.shape
    hour = starts // HOUR - first_hour
    out = np.zeros((n, int(hour[-1]) + 1 if k else 0))
    for i in range(n):
        out[i] = np.bincount(hour, weights=coarse[i], minlength=out.shape[1])
    return out
