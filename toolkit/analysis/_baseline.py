"""The baselines of the incident scans: the errors each bucket's calls would usually have, at that time of the week.

A scan's groups (a market, or a market and a reason, ...) are each made of **series**: one per
value of the :data:`~toolkit.defaults.BASELINE_BY` columns (each bot's calls of each endpoint)
inside the group. Each series has
its own usual error rate per cell of the week (:mod:`toolkit.analysis._week`: weekday or
weekend, and hour of the day on the series' own clock), and a bucket's expected errors are
the sum over its series of their calls times their usual rate. So the busy session of a
market maker whose cancels often find their order filled is measured against its own usual
errors in session, its cancel-all at the close against what cancels usually get, a quiet
futures bot's night against its own nights, and a weekend outage against weekends.

Two estimators share the layout (:class:`Baseline`):

- :meth:`Baseline.median`, the first pass of the market-wide scans: the median of the series'
  hourly error rates in the cell, the coarser cell's estimate counting as one more value;
  robust to an incident before it has been flagged;
- :meth:`Baseline.pooled`, every later pass and the narrow scans: the series' errors over its
  calls in the cell's hours that held no flagged bucket, leaning on the coarser cell as if it
  held :data:`~toolkit.defaults.BASELINE_PRIOR_ERRORS` errors (never below a floor, for the
  narrow scans). A median of a thin series' hourly rates is biased low (most of its hours hold
  one error or none); the pooled rate of its clean hours is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import OUTCOME_COLUMNS, Grid, codes
from ._week import DAY, HOUR, cell_medians, clock_shifts, own_time, weekend

__all__ = ["Baseline", "Series", "series_of"]


@dataclass
class Series:
    """Calls and errors per series (rows) and bucket of a grid, and each series' row in the grid (``parent``)."""

    calls: np.ndarray
    errors: np.ndarray
    parent: np.ndarray


def _compact(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Small non-negative integer keys renumbered 0, 1, ... in order; returns (new keys, old key of each)."""
    present = np.bincount(key) > 0 if len(key) else np.zeros(0, dtype=bool)
    return (np.cumsum(present) - 1)[key], np.flatnonzero(present)


def series_of(df: pd.DataFrame, g: Grid, cols: list[str], memo: dict | None = None) -> Series:
    """The series of ``g``'s groups: their calls split by the :data:`~toolkit.defaults.BASELINE_BY` columns
    that ``df`` holds and ``cols`` does not (each bot's calls of each endpoint); a bot's endpoints with fewer
    than :data:`~toolkit.defaults.BASELINE_MIN_CALLS` calls in a group, or beyond its
    :data:`~toolkit.defaults.BASELINE_MAX_ENDPOINTS` busiest, make one series together; each bot alone,
    or ``g``'s groups themselves, when the series would make more than
    :data:`~toolkit.defaults.BASELINE_MAX_CELLS` cells. Rows of ``df`` are those ``g`` was counted from; ``memo``
    keeps each row's series for the next grid of the same call groups (another bucket size, other outcomes)."""
    split = [c for c in defaults.BASELINE_BY if c in df and c not in cols]
    whole = Series(g.calls, g.errors, np.arange(len(g.keys), dtype=np.int64))
    if not split or not len(g.keys) or not len(df):
        return whole
    call_cols = tuple(c for c in cols if c not in OUTCOME_COLUMNS)
    memo = {} if memo is None else memo
    nb = g.calls.shape[1]
    while True:  # as many series as the memory allows: each bot's endpoints, else each bot, else the groups
        if (call_cols, tuple(split)) not in memo:
            memo[call_cols, tuple(split)] = _series_codes(df, g.row_call, split)
        series, n_series, call_series, pairs = memo[call_cols, tuple(split)]
        if len(pairs) * nb <= defaults.BASELINE_MAX_CELLS or len(split) < 2:
            break
        split = split[:1]
    if n_series < 2 or len(pairs) * nb > defaults.BASELINE_MAX_CELLS:
        return whole
    bucket, err = g.row_bucket, g.row_group >= 0
    calls = np.bincount(call_series * nb + bucket, minlength=len(pairs) * nb).reshape(len(pairs), nb)
    if not any(c in OUTCOME_COLUMNS for c in cols):  # a group is its call group
        errors = np.bincount(call_series[err] * nb + bucket[err], minlength=len(pairs) * nb).reshape(len(pairs), nb)
        return Series(calls.astype(np.int64), errors.astype(np.int64), pairs // n_series)
    # groups of outcomes (a reason): each measured against all calls of its call group
    sub, sub_pairs = _compact(g.row_group[err] * n_series + series[err])
    errors = np.bincount(sub * nb + bucket[err], minlength=len(sub_pairs) * nb).reshape(len(sub_pairs), nb)
    of_call = np.zeros(len(g.keys), dtype=np.int64)
    of_call[g.row_group[err]] = g.row_call[err]
    parent = sub_pairs // n_series
    lookup = np.full((int(g.row_call.max(initial=0)) + 1) * n_series, -1, dtype=np.int64)
    lookup[pairs] = np.arange(len(pairs))
    rows = lookup[of_call[parent] * n_series + sub_pairs % n_series]
    return Series(calls[rows].astype(np.int64), errors.astype(np.int64), parent)


def _series_codes(df: pd.DataFrame, row_call: np.ndarray, split: list[str]):
    """Each row's series, their number, each row's (call group, series) pair and the pairs present."""
    owner, *others = defaults.BASELINE_BY  # each bot keeps its own series; its rare endpoints are lumped
    key = codes(df[owner])[0] if owner in split else np.zeros(len(df), dtype=np.int64)
    for c in (c for c in others if c in split):
        code = codes(df[c])[0] + 1  # 0 stands for the bot's other endpoints
        width = int(code.max(initial=0)) + 1
        owner_of = row_call * (int(key.max(initial=0)) + 1) + key
        combo, present = _compact(owner_of * width + code)
        calls = np.bincount(combo)
        # a bot's busiest endpoints in a group, those with enough calls, keep series of their own
        order = np.lexsort((-calls, present // width))
        first = np.searchsorted(present[order] // width, present[order] // width)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - first
        own = (calls >= defaults.BASELINE_MIN_CALLS) & (rank < defaults.BASELINE_MAX_ENDPOINTS)
        code = np.where(own[combo], code, 0)
        key = key * width + code
    series, _ = _compact(key)
    n_series = int(series.max(initial=0)) + 1
    call_series, pairs = _compact(row_call * n_series + series)
    return series, n_series, call_series, pairs


class Baseline:
    """Expected errors per cell of a grid ``g`` from its series ``sub``, with usual rates per cell of the week
    taken over coarse buckets of ``per`` buckets."""

    def __init__(self, g: Grid, sub: Series, per: int):
        self.g, self.sub, self.parent, self.per = g, sub, sub.parent, per
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

    def pooled(self, skip: np.ndarray, floor: np.ndarray | None) -> np.ndarray:
        """Expected errors from the series' pooled error rates per cell, each leaning on its coarser cell, never
        below ``floor`` (one rate per series, or None); the coarse buckets holding ``skip`` cells of ``g`` left
        out (leaving out only the flagged buckets would keep their quieter neighbours and bias the rate low)."""
        bad = self._coarse(skip[self.parent].astype(np.int64)) > 0  # hours holding a flagged bucket: left out
        calls = np.where(bad, 0, self.calls)
        errors = np.where(bad, 0, self._coarse(self.sub.errors))
        n = len(calls)
        c_all, e_all = calls.sum(axis=1), errors.sum(axis=1)
        r = np.where(c_all > 0, e_all / np.maximum(c_all, 1), 0.0)
        c0 = np.where(r > 0, defaults.BASELINE_PRIOR_ERRORS / np.maximum(r, 1e-300), 0.0)
        floor = np.zeros(n) if floor is None else floor
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
