"""What the analysis functions share: argument checks and counting calls per group and time bucket.

The checks, the grouping and the bucket grid their store twins use too live one floor down, in
:mod:`toolkit._kernels`;
the time and duration checks in :mod:`toolkit.selection`.

Every check raises a :class:`toolkit.ParameterError` (a ``ValueError``) that names the function, the parameter and
the bad value, before pandas gets a chance to fail somewhere deep inside.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import selection
# the checks and the grouping shared with the store twins; the analysis modules take them from here
from .._kernels import OUTCOME_COLUMNS, Grid, as_by, as_count, count_grid, groups, rate_frame, require, utc
from ..errors import ParameterError
from ..selection import as_duration


def as_time(value, name: str, func: str) -> pd.Timestamp:
    """A point in time as a UTC Timestamp (naive times are UTC); required, unlike the window bounds."""
    if value is None:
        raise ParameterError(f"{func}(): {name} must be a time such as '2026-11-16 21:05' (UTC), not None")
    return selection.as_time(value, name, func)


def as_market(market, func: str) -> list[str] | None:
    """``market`` as a list of market names, or None for all."""
    names = selection.as_markets(market, func)
    return None if names is None else list(names)


def select_market(df: pd.DataFrame, market, func: str, bot=None) -> pd.DataFrame:
    """The rows of the given market(s) and bot(s); the frame itself when both are None."""
    if market is not None:
        require(df, ["market"], func)
    return selection.select(df, market=market, bot=bot, func=func)


def select(df: pd.DataFrame, func: str, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """The rows of ``df`` in ``[start, end)``, ``market`` and ``bot``, checked as every analysis function checks
    them."""
    return selection.select(df, start=start, end=end, market=market, bot=bot, func=func)


def times(df: pd.DataFrame, func: str, column: str = "ts", allow_nat: bool = False) -> np.ndarray:
    """A datetime column as int64 nanoseconds since the epoch, UTC (naive times taken as UTC)."""
    s = df[column]
    if not (isinstance(s.dtype, pd.DatetimeTZDtype) or (isinstance(s.dtype, np.dtype) and s.dtype.kind == "M")):
        raise ParameterError(f"{func}(): {column} must hold datetimes (datetime64, UTC), not {s.dtype}; "
                         "pass the frame toolkit.load_logs returns")
    arr = s.array
    if arr.tz is not None:
        arr = arr.tz_convert("UTC")
    ns = np.asarray(arr.as_unit("ns").asi8)
    if not allow_nat:
        bad = int(np.count_nonzero(ns == np.iinfo(np.int64).min))
        if bad:
            raise ParameterError(f"{func}(): {column} has {bad:,} missing time(s) (NaT); "
                             f"drop those rows first, e.g. df.dropna(subset=['{column}'])")
    return ns


def codes(values) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and distinct values of a column; missing values get their own code."""
    c, u = pd.factorize(values, use_na_sentinel=False)
    return c.astype(np.int64), pd.Index(u)


def grid(df: pd.DataFrame, func: str, *, freq: int, by: list[str]) -> Grid:
    """Count calls and errors of ``df`` per ``by`` group and bucket of ``freq`` ns.

    :func:`toolkit._kernels.count_grid` with one row per call: buckets are
    aligned on the epoch (as ``Series.dt.floor``); when ``by`` holds
    :data:`OUTCOME_COLUMNS`, groups are only formed from failed calls and each
    is measured against all calls of its other ``by`` values.
    """
    t = times(df, func)
    if "is_error" not in df:
        raise ParameterError(f"{func}() needs the column is_error; pass the frame toolkit.load_logs returns")
    err = df["is_error"].to_numpy(dtype=bool, na_value=False)
    return count_grid(df, t // freq, err, by, freq=freq, func=func)


def runs(flags: np.ndarray, gap: int):
    """Runs of True in each row of ``flags``, joined across at most ``gap`` False cells.

    Returns (row, lo, hi) arrays, one entry per run, ``hi`` exclusive, sorted by
    row then ``lo``.
    """
    gi, bi = np.nonzero(flags)  # row-major: sorted by row then column
    if len(gi) == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    new = np.ones(len(gi), dtype=bool)
    new[1:] = (gi[1:] != gi[:-1]) | (bi[1:] - bi[:-1] - 1 > gap)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(gi)) - 1
    return gi[starts].astype(np.int64), bi[starts].astype(np.int64), bi[ends].astype(np.int64) + 1


def window_sums(a: np.ndarray, group, lo, hi) -> np.ndarray:
    """Sums of ``a[group, lo:hi]`` for each window."""
    cs = np.concatenate([np.zeros((a.shape[0], 1), np.int64), np.cumsum(a, axis=1)], axis=1)
    return cs[group, hi] - cs[group, lo]


def window_of(shape: tuple[int, int], group, lo, hi) -> np.ndarray:
    """For every cell of a (groups, buckets) grid, flattened, the window holding it or -1.

    Windows of one group must not overlap.
    """
    ng, nb = shape
    out = np.full(ng * nb, -1, dtype=np.int64)
    lengths = hi - lo
    flat = np.repeat(group * nb + lo - np.cumsum(np.append(0, lengths[:-1])), lengths) + np.arange(lengths.sum())
    out[flat] = np.repeat(np.arange(len(group)), lengths)
    return out
