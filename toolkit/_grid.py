"""Calls and errors counted per group and time bucket, written once: the grid the analysis functions and their
store twins count on, and the runs and windows the incident and clock scans read off it.

The pandas functions (:mod:`toolkit.analysis`) and the DuckDB ones (:mod:`toolkit.store`) give the same
tables because they form their groups (:func:`groups`), count calls and errors per bucket
(:func:`count_grid`) and lay them out (:func:`rate_frame`) here. The pandas side feeds one row per call
(:func:`grid`), the store one row per (bucket, group) that DuckDB has already counted. Nothing here reads a
frame's rows in bulk beyond grouping and counting them, so the store, which sits beside the loader below the
analysis, can use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import defaults
from .errors import ParameterError
from .selection import require, times

__all__ = ["OUTCOME_COLUMNS", "Grid", "codes", "count_grid", "grid", "groups", "ids", "rate_frame", "runs", "utc",
           "window_of", "window_sums"]

#: Columns that describe what came back rather than which call was made. Grouping by one
#: of them splits the errors, while the calls they are measured against stay whole: the
#: error rate of ``rate_limit`` is rate-limit errors per call, not per rate-limit error.
OUTCOME_COLUMNS = ("category", "reason", "code", "http_status", "message", "retryable")


def utc(ns) -> pd.DatetimeIndex:
    """Int64 nanoseconds as a UTC DatetimeIndex."""
    return pd.DatetimeIndex(np.asarray(ns, dtype="int64").view("datetime64[ns]")).tz_localize("UTC")


def groups(df: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group id of every row and the key of every group, in sorted key order.

    Categorical keys sort in their categories' order (so categories keep the
    taxonomy's order), others by value, missing values last and kept as a group.
    With no columns every row is in the one group.
    """
    n = len(df)
    if not cols:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1 if n else 0))
    if n == 0:
        return np.zeros(0, dtype=np.int64), df[cols].iloc[:0].reset_index(drop=True)
    # each column as sorted codes (categories in their order, missing values last), combined in mixed radix
    key = np.zeros(n, dtype=np.int64)
    parts = []
    for c in cols:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            k = len(s.dtype.categories)
            code = s.cat.codes.to_numpy(np.int64)
            code = np.where(code < 0, k, code)
        else:
            code, uniq = pd.factorize(s, sort=True, use_na_sentinel=True)
            k = len(uniq)
            code = np.where(code < 0, k, code).astype(np.int64)
        parts.append((c, k + 1))
        key = key * (k + 1) + code
    size = int(np.prod([k for _, k in parts], dtype=np.float64))
    if size <= 4 * n + 1024:
        present = np.bincount(key, minlength=size) > 0
        distinct = np.flatnonzero(present)
        ids = (np.cumsum(present) - 1)[key]
    else:
        distinct, ids = np.unique(key, return_inverse=True)
    first = np.full(len(distinct), -1, dtype=np.int64)
    first[ids[::-1]] = np.arange(n - 1, -1, -1)  # a row of each group, to read its key from
    keys = df[cols].take(first).reset_index(drop=True)
    for c in cols:  # a key column keeps the frame's dtype
        if keys[c].dtype != df[c].dtype:
            keys[c] = keys[c].astype(df[c].dtype)
    return ids.astype(np.int64), keys


@dataclass
class Grid:
    """Calls and errors per group and time bucket, every group over every bucket.

    ``row_group`` is the group of each input row that counts errors (-1
    otherwise), ``row_call`` each row's group among the ``by`` columns that are
    not outcome columns (the same as the group when there are none) and
    ``row_bucket`` each row's bucket, counted from ``first``.
    """

    keys: pd.DataFrame
    freq: int
    first: int
    calls: np.ndarray
    errors: np.ndarray
    row_group: np.ndarray
    row_call: np.ndarray
    row_bucket: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        """Bucket starts, int64 ns."""
        return (self.first + np.arange(self.calls.shape[1], dtype=np.int64)) * self.freq


def count_grid(rows: pd.DataFrame, bucket: np.ndarray, errors: np.ndarray, by: list[str], *, freq: int,
               func: str, calls: np.ndarray | None = None) -> Grid:
    """Count calls and errors per ``by`` group and bucket of ``freq`` ns.

    Row ``i`` of ``rows`` (which holds the ``by`` columns) stands for
    ``calls[i]`` calls (one when ``calls`` is None) in bucket ``bucket[i]``
    (``ts // freq``, epoch-aligned as ``Series.dt.floor``), ``errors[i]`` of
    them failed (a boolean: the row is one failed call or not). When ``by``
    holds :data:`OUTCOME_COLUMNS`, groups are only formed from rows with errors
    and each is measured against all calls of its other ``by`` values; a row
    counting both calls and errors then holds the outcome of its errors.

    Examples
    --------
    >>> rows = pd.DataFrame({"market": ["spot", "spot", "futures"]})
    >>> g = count_grid(rows, np.array([4, 4, 6]), np.array([False, True, False]), ["market"], freq=300, func="f")
    >>> g.keys["market"].tolist(), g.calls.tolist(), g.errors.tolist()
    (['futures', 'spot'], [[0, 0, 1], [2, 0, 0]], [[0, 0, 0], [1, 0, 0]])
    """
    n = len(bucket)
    err = errors if errors.dtype == bool else errors > 0
    if n == 0:
        z = np.zeros(0, np.int64)
        return Grid(rows[by].iloc[:0].reset_index(drop=True), freq, 0, np.zeros((0, 0), np.int64),
                    np.zeros((0, 0), np.int64), z, z, z)
    call_cols = [c for c in by if c not in OUTCOME_COLUMNS]
    first = int(bucket.min())
    nb = int(bucket.max()) - first + 1
    bucket = bucket - first
    call_group, call_keys = groups(rows, call_cols)
    if len(call_cols) == len(by):
        keys, row_group, of_call = call_keys, call_group, None
    else:
        err_group, keys = groups(rows[err], by)
        of_call = np.zeros(len(keys), dtype=np.int64)
        of_call[err_group] = call_group[err]
        row_group = np.full(n, -1, dtype=np.int64)
        row_group[err] = err_group
    ng = len(keys)
    if max(ng, len(call_keys)) * nb > defaults.MAX_BUCKETS:
        span = pd.Timedelta(nb * freq, unit="ns")
        raise ParameterError(f"{func}(): freq={pd.Timedelta(freq, unit='ns')} over {span} and {ng:,} group(s) makes "
                             f"{ng * nb:,} buckets; use a larger freq or fewer groups")
    grid_calls = np.bincount(call_group * nb + bucket, weights=calls, minlength=len(call_keys) * nb)
    grid_calls = grid_calls.reshape(len(call_keys), nb)
    if of_call is not None:
        grid_calls = grid_calls[of_call]
    weights = None if errors.dtype == bool else errors[err]
    grid_errors = np.bincount(row_group[err] * nb + bucket[err], weights=weights, minlength=ng * nb).reshape(ng, nb)
    row_group = np.where(err, row_group, -1)
    return Grid(keys, freq, first, grid_calls.astype(np.int64), grid_errors.astype(np.int64), row_group,
                call_group, bucket)


def rate_frame(g: Grid) -> pd.DataFrame:
    """The table of :func:`toolkit.error_rate` from a :class:`Grid`: one row per bucket and group.

    ``ts`` (bucket start, UTC), the group's key columns, ``calls``, ``errors``
    and ``error_rate`` (NaN where a bucket has no calls), sorted by ``ts`` then
    group.

    Examples
    --------
    >>> rows = pd.DataFrame({"market": ["spot", "spot"]})
    >>> rate_frame(count_grid(rows, np.array([0, 0]), np.array([False, True]), ["market"], freq=60_000_000_000,
    ...                       func="f"))
                             ts market  calls  errors  error_rate
    0 1970-01-01 00:00:00+00:00   spot      2       1         0.5
    """
    ng, nb = g.calls.shape
    out = g.keys.iloc[np.tile(np.arange(ng), nb)].reset_index(drop=True)
    out.insert(0, "ts", utc(np.repeat(g.starts, ng)))
    calls = g.calls.T.ravel()
    errors = g.errors.T.ravel()
    out["calls"] = calls.astype(np.int64)
    out["errors"] = errors.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["error_rate"] = np.where(calls > 0, errors / np.maximum(calls, 1), np.nan)
    return out


def codes(values) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column's values and the values they stand for (``uniques[code]``); equal values share
    a code, missing values have their own. A categorical column keeps its categories' codes (missing: the last).

    Examples
    --------
    >>> c, uniques = codes(pd.Series(["b", None, "b", "a"]))
    >>> c.tolist(), uniques.tolist()
    ([0, 1, 0, 2], ['b', nan, 'a'])
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        n = len(values.dtype.categories)
        c = values.cat.codes.to_numpy()
        return np.where(c < 0, n, c).astype(np.int64), values.dtype.categories.append(pd.Index([None]))
    c, u = pd.factorize(values, use_na_sentinel=False)
    return c.astype(np.int64), pd.Index(u)


def ids(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """One integer per row, the same for rows equal in ``cols`` (missing values equal to each other).

    :func:`groups` without ordering the groups or reading their keys: for telling
    rows apart, in no particular order.

    Examples
    --------
    >>> ids(pd.DataFrame({"a": ["x", "y", "x"], "b": [1, None, 1]}), ["a", "b"]).tolist()
    [0, 3, 0]
    """
    key, size = np.zeros(len(df), dtype=np.int64), 1
    for c in cols:
        code, uniques = codes(df[c])
        k = len(uniques)
        if size * k >= 2**62:  # the next column would overflow: number the combinations seen so far
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).ravel()
            size = int(key.max(initial=0)) + 1
        key, size = key * k + code, size * k
    return key


def grid(df: pd.DataFrame, func: str, *, freq: int, by: list[str]) -> Grid:
    """Count calls and errors of ``df`` per ``by`` group and bucket of ``freq`` ns.

    :func:`count_grid` with one row per call: buckets are
    aligned on the epoch (as ``Series.dt.floor``); when ``by`` holds
    :data:`OUTCOME_COLUMNS`, groups are only formed from failed calls and each
    is measured against all calls of its other ``by`` values.
    """
    require(df, ["is_error"], func)
    t = times(df, func)
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
