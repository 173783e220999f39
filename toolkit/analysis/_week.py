"""What is usual at a time of the week: kinds of day, each series' own clock, and medians per cell.

The incident scans (error rates per hour) and the silences (calls per bucket) both measure a
bucket against what is usual for its series at that time of the week, learned from the
recording itself:

- a bucket's **cell** is its kind of day (weekday, or weekend: Saturday and Sunday) and its
  hour of the day (or slot, for silences), read on the series' **own clock**;
- the own clock is UTC moved by a whole hour on the days whose traffic runs an hour early or
  late against the series' usual day (:func:`clock_shifts`): a bot following a stock session
  keeps its cells across a change of daylight saving time, with no exchange hours written
  anywhere;
- a cell's usual value is the median of its recorded values together with the estimate of the
  coarser cell as one more value (:func:`cell_medians`); a cell with fewer than
  :data:`~toolkit.defaults.CELL_MIN_VALUES` values takes the coarser estimate. The chain runs
  weekday-or-weekend and hour, then hour of the day over every day, then the whole recording.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import defaults

__all__ = ["DAY", "HOUR", "cell_medians", "clock_shifts", "nanmedian", "own_time", "weekend"]

HOUR = 3_600_000_000_000
DAY = 24 * HOUR


def weekend(days) -> np.ndarray:
    """Whether each day (days since 1970-01-01, a Thursday) is a Saturday or a Sunday.

    Examples
    --------
    >>> weekend(np.array([0, 1, 2, 3, 4])).tolist()  # Thu 1 Jan 1970 ... Mon 5 Jan
    [False, False, True, True, False]
    """
    return (np.asarray(days, dtype=np.int64) + 3) % 7 >= 5


def nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmedian``, an all-NaN slice giving NaN without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are NaN, as meant
        return np.nanmedian(a, axis=axis)


def clock_shifts(hourly: np.ndarray, first_hour: int) -> np.ndarray:
    """Each series' own clock: per day, the whole hours (-1, 0 or 1) to add to UTC.

    ``hourly`` holds calls per series (rows) and hour (columns, the first being
    hour ``first_hour`` since the epoch). A day's 24-hour profile is compared
    with the median profile of the series' days of the same kind (weekday or
    weekend) as recorded, and as moved an hour either way; a move is taken when it
    fits at least :data:`~toolkit.defaults.CLOCK_SHIFT_GAIN` better than none, no
    move when none fits that much better than either, and nothing is decided on a
    flat or partial day. A running median over
    :data:`~toolkit.defaults.CLOCK_SHIFT_DAYS` days then gives every day the move
    of its neighbours, keeping the step of a change of daylight saving time where it
    is. Returns an int array (series, days), day 0 being ``first_hour // 24``.

    Examples
    --------
    >>> day = np.full(24, 10.0); day[14:21] = 100     # a session from 14:00 to 21:00 UTC
    >>> early = np.roll(day, -1)                      # from 13:00 to 20:00: the clocks went forward
    >>> weekend = np.full(24, 10.0)
    >>> calls = np.concatenate([day] * 5 + [weekend] * 2 + [early] * 5 + [weekend] * 2)[None, :]
    >>> clock_shifts(calls, first_hour=24 * 4).tolist()  # two weeks from a Monday
    [[0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]]
    """
    rows, hours = hourly.shape
    pad = int(first_hour) % 24
    days = -(-(hours + pad) // 24)
    shifts = np.zeros((rows, days), dtype=np.int64)
    if days < defaults.CELL_MIN_DAYS or rows == 0:
        return shifts
    m = np.full((rows, days * 24), np.nan)
    m[:, pad:pad + hours] = hourly
    m = m.reshape(rows, days, 24)
    whole = ~np.isnan(m).any(axis=2) & (np.nan_to_num(m).sum(axis=2) >= defaults.CLOCK_SHIFT_MIN_CALLS)
    kind = weekend(int(first_hour) // 24 + np.arange(days)).astype(np.int64)
    moves = np.array([-1, 0, 1])
    gain = 1.0 - defaults.CLOCK_SHIFT_GAIN
    for first in (True, False):  # the reference: the first days as recorded, then every day as moved
        aligned = _aligned(m, shifts)
        ref = np.full((rows, 2, 24), np.nan)
        for k in (0, 1):
            pick = whole & (kind == k)[None, :]
            if first:  # the majority of the first days sets the clock the others are read on
                pick &= np.cumsum(pick, axis=1) <= defaults.CLOCK_SHIFT_DAYS
            enough = pick.sum(axis=1) >= defaults.CELL_MIN_DAYS
            v = np.where(pick[:, :, None], aligned, np.nan)
            ref[:, k] = np.where(enough[:, None], nanmedian(v, axis=1), np.nan)
        r = ref[:, kind]  # (rows, days, 24)
        # np.roll(x, s)[h] == x[h - s]: a day moved by s hours, as the series' own clock reads it
        dist = np.stack([np.abs(np.roll(m, s, axis=2) - r).sum(axis=2) for s in moves])  # (3, rows, days)
        d0, d_best = dist[1], dist.min(axis=0)
        d_other = np.minimum(dist[0], dist[2])
        move = np.where(dist[0] < dist[2], -1, 1)
        decided = np.where((d_best < d0) & (d_best <= gain * d0), move,
                           np.where((d0 < d_other) & (d0 <= gain * d_other), 0, np.nan))
        decided[~whole | np.isnan(r).any(axis=2)] = np.nan
        shifts = _running_median(decided, defaults.CLOCK_SHIFT_DAYS)
    return shifts


def _aligned(m: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    out = m.copy()
    for s in (-1, 1):
        hit = shifts == s
        if hit.any():
            out[hit] = np.roll(m[hit], s, axis=1)
    return out


def _running_median(decided: np.ndarray, width: int) -> np.ndarray:
    rows, days = decided.shape
    half = width // 2
    padded = np.full((rows, days + 2 * half), np.nan)
    padded[:, half:half + days] = decided
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)  # (rows, days, width)
    med = nanmedian(windows, axis=2)
    return np.where(np.isnan(med), 0, np.round(med)).astype(np.int64)


def own_time(starts: np.ndarray, shifts: np.ndarray, first_day: int) -> np.ndarray:
    """Bucket starts (int64 ns, one row of buckets) moved to each series' own clock: (series, buckets)."""
    if shifts.shape[1] == 0:
        return np.broadcast_to(starts, (shifts.shape[0], len(starts))).copy()
    day = np.clip(starts // DAY - first_day, 0, shifts.shape[1] - 1)
    return starts[None, :] + shifts[:, day] * HOUR


def cell_medians(values: np.ndarray, key: np.ndarray, n_keys: int, coarser: np.ndarray) -> np.ndarray:
    """Per key, the median of its values (NaN ones left out) with ``coarser[key]`` as one more value.

    A key with fewer than :data:`~toolkit.defaults.CELL_MIN_VALUES` values gets
    ``coarser`` alone; ``coarser`` may be NaN (no coarser estimate).

    Examples
    --------
    >>> v = np.array([0.02, 0.03, 0.9, 0.5, np.nan])     # key 0: an incident's hour among ordinary ones
    >>> cell_medians(v, np.array([0, 0, 0, 1, 1]), 2, np.array([0.025, 0.1])).tolist()
    [0.0275, 0.1]
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    key = np.asarray(key, dtype=np.int64).ravel()
    ok = ~np.isnan(values)
    values, key = values[ok], key[ok]
    counts = np.bincount(key, minlength=n_keys)
    out = np.asarray(coarser, dtype=np.float64).copy()
    if not len(values):
        return out
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    rank = np.arange(len(key)) - np.concatenate([[0], np.cumsum(counts)])[key]
    width = int(counts.max()) + 1
    table = np.full((n_keys, width), np.nan)
    table[key, rank] = values
    table[:, -1] = coarser
    med = nanmedian(table, axis=1)
    enough = counts >= defaults.CELL_MIN_VALUES
    out[enough] = med[enough]
    return out
