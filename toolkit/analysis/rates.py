"""Error rates over time and request rates against the documented limits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import OUTCOME_COLUMNS, grid, groups, rate_frame, utc
from ..errors import ParameterError
from ..selection import as_by, as_duration, require, select, times

__all__ = ["error_rate", "limit_for", "rate_limits", "request_rate", "window_counts"]


def error_rate(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=defaults.ERROR_RATE_FREQ,
               by="market") -> pd.DataFrame:
    """Calls, errors and error rate per time bucket and group.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``is_error`` and the
        ``by`` columns are used).
    freq : str or Timedelta, default "5min"
        Bucket size; buckets start on multiples of ``freq`` since the epoch, UTC.
    by : str, list of str or None, default "market"
        Column(s) to group by; ``None`` gives one series for all calls. Grouping
        by an outcome column (``category``, ``reason``, ``code``, ``http_status``,
        ``message``, ``retryable``) makes one group per value seen among the
        errors, and measures it against all calls of its bucket (and of its other
        ``by`` values): the rate of ``rate_limit`` is rate-limit errors per call.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first; see
        :mod:`toolkit.selection`.

    Returns
    -------
    DataFrame
        ``ts`` (bucket start, UTC), the ``by`` columns (their dtypes kept),
        ``calls`` and ``errors`` (int64) and ``error_rate`` (float64, NaN where a
        bucket has no calls). Every group gets every bucket from the frame's first
        to its last, so a quiet bucket is a row with zero calls, not a missing row.
        Sorted by ``ts`` then group; RangeIndex. An empty frame gives an empty
        result with these columns.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-16 21:01", "2026-11-16 21:02", "2026-11-16 21:12"], utc=True),
    ...     "market": ["spot", "spot", "futures"], "is_error": [False, True, False]})
    >>> toolkit.error_rate(df, freq="5min")
                             ts   market  calls  errors  error_rate
    0 2026-11-16 21:00:00+00:00  futures      0       0         NaN
    1 2026-11-16 21:00:00+00:00     spot      2       1         0.5
    2 2026-11-16 21:05:00+00:00  futures      0       0         NaN
    3 2026-11-16 21:05:00+00:00     spot      0       0         NaN
    4 2026-11-16 21:10:00+00:00  futures      1       0         0.0
    5 2026-11-16 21:10:00+00:00     spot      0       0         NaN
    """
    func = "error_rate"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    cols = as_by(by, df, func)
    require(df, ["ts", "is_error", *cols], func)
    return rate_frame(grid(df, func, freq=as_duration(freq, "freq", func), by=cols))


def rate_limits(limits=None, func: str = "request_rate") -> dict[int, int]:
    """Limits as ``{window in ns: calls allowed}``, from a tier name or a mapping.

    Examples
    --------
    >>> rate_limits("market_maker")
    {1000000000: 100, 60000000000: 3000}
    """
    if limits is None:
        limits = defaults.RATE_TIER
    if isinstance(limits, str) and limits in defaults.RATE_LIMITS:
        limits = defaults.RATE_LIMITS[limits]
    bad = ParameterError(f"{func}(): limits must be one of {', '.join(map(repr, defaults.RATE_LIMITS))} or a mapping "
                     f"of window to calls such as {{'1s': 10, '1min': 300}}, not {limits!r}")
    if not isinstance(limits, dict) or not limits:
        raise bad
    out = {}
    for window, n in limits.items():
        try:
            ns = as_duration(window, "limits", func)
        except ValueError:
            raise bad from None
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise bad
        out[ns] = int(n)
    return dict(sorted(out.items()))


def limit_for(freq: int, limits: dict[int, int]) -> int:
    """The most calls the limits allow in one window of ``freq`` ns.

    A window of ``freq`` spans ``ceil(freq / w)`` windows of each limit's
    length ``w``; the tightest of those budgets wins.

    Examples
    --------
    >>> lim = rate_limits("regular")
    >>> [limit_for(as_duration(f, "freq", "x"), lim) for f in ("1s", "10s", "1min", "5min")]
    [10, 100, 300, 1500]
    """
    return min(n * math.ceil(freq / w) for w, n in limits.items())


def window_counts(df: pd.DataFrame, func: str, *, freq: int, by: list[str]):
    """Calls and 429s per group and window, for the windows that saw a call.

    429s are ``rate_limit`` errors (or HTTP 429 without a ``category`` column).

    Returns (keys, group, start ns, calls, rate_limited), the last four one
    entry per window, sorted by group then time.
    """
    t = times(df, func)
    gid, keys = groups(df, by)
    if len(t) == 0:
        z = np.zeros(0, np.int64)
        return keys, z, z, z, z
    bucket = t // freq
    first = int(bucket.min())
    span = int(bucket.max()) - first + 1
    key = gid * span + (bucket - first)
    uniq, inverse, calls = np.unique(key, return_inverse=True, return_counts=True)
    limited = np.bincount(inverse, weights=_is_rate_limited(df), minlength=len(uniq)).astype(np.int64)
    return keys, uniq // span, (uniq % span + first) * freq, calls.astype(np.int64), limited


def _is_rate_limited(df: pd.DataFrame) -> np.ndarray:
    if "category" in df:
        return (df["category"] == "rate_limit").to_numpy(dtype=bool, na_value=False)
    if "http_status" in df:
        return (df["http_status"] == 429).to_numpy(dtype=bool, na_value=False)
    return np.zeros(len(df), dtype=bool)


def request_rate(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=defaults.REQUEST_RATE_FREQ,
                 by="market", limits=None) -> pd.DataFrame:
    """Calls per window against the documented rate limits, and how the 429s line up.

    The exchange counts requests per market: 10 per second and 300 per minute
    for regular users, 100/s and 3000/min for market makers. This counts the
    calls in each window of ``freq`` (aligned on the epoch), compares them with
    the most the limits allow in such a window, and checks whether the 429s
    (``rate_limit`` errors) fell in windows over the limit, which says the bot's
    own bursts caused them, or elsewhere (another limit, another client on the
    same key, a lower limit than documented).

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``category`` and
        the ``by`` columns are used).
    freq : str or Timedelta, default "1s"
        Window size. ``"1s"`` checks the per-second limit, ``"1min"`` the
        per-minute one; for other sizes the limit is the tightest budget the
        limits leave for one window (``"10s"``: 100 calls).
    by : str, list of str or None, default "market"
        Columns that split the calls (limits are counted per market); outcome
        columns such as ``category`` are refused.
    limits : str or dict, optional
        ``"regular"`` (the default), ``"market_maker"``, or a mapping of window to
        calls such as ``{"1s": 10, "1min": 300}``.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first; see
        :mod:`toolkit.selection`.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``limit`` (calls allowed per
        window), ``windows`` (windows with at least one call), ``peak`` (most
        calls in one window) and ``peak_at`` (its start), ``over_limit`` (windows
        with more calls than ``limit``), ``over_share`` (``over_limit / windows``),
        ``calls_over`` (calls beyond the limit, summed over those windows),
        ``first_over`` / ``last_over`` (starts of the first and last window over
        the limit, NaT if none), ``rate_limited`` (429 calls), ``rate_limited_in_over``
        (those in windows over the limit) and ``in_over_share`` (their share of the
        429s, NaN without 429s). Sorted by group; RangeIndex; empty for an empty frame.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> ts = pd.Timestamp("2026-11-16 21:05", tz="UTC") + pd.to_timedelta(range(13), unit="ms")
    >>> df = pd.DataFrame({"ts": ts, "market": "spot",
    ...                    "category": ["ok"] * 10 + ["rate_limit"] * 3})
    >>> r = toolkit.request_rate(df)
    >>> r[["market", "limit", "peak", "over_limit", "rate_limited", "in_over_share"]]
      market  limit  peak  over_limit  rate_limited  in_over_share
    0   spot     10    13           1             3            1.0
    """
    func = "request_rate"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    cols = as_by(by, df, func)
    outcome = [c for c in cols if c in OUTCOME_COLUMNS]
    if outcome:
        raise ParameterError(f"{func}(): by={by!r} splits calls by their outcome ({', '.join(outcome)}); "
                         "group by columns of the call such as market or endpoint")
    require(df, ["ts", "category", *cols], func)
    f = as_duration(freq, "freq", func)
    limit = limit_for(f, rate_limits(limits, func))
    keys, group, start, calls, limited = window_counts(df, func, freq=f, by=cols)
    ng = len(keys)
    over = calls > limit

    windows = np.bincount(group, minlength=ng).astype(np.int64)
    peak = np.zeros(ng, dtype=np.int64)
    np.maximum.at(peak, group, calls)
    # the first window reaching the peak: windows are sorted by group then time
    at_peak = calls == peak[group]
    first_peak = np.full(ng, np.iinfo(np.int64).min, dtype=np.int64)
    idx = np.flatnonzero(at_peak)[::-1]
    first_peak[group[idx]] = start[idx]
    over_idx = np.flatnonzero(over)
    first_over = np.full(ng, np.iinfo(np.int64).min, dtype=np.int64)
    last_over = first_over.copy()
    first_over[group[over_idx[::-1]]] = start[over_idx[::-1]]
    last_over[group[over_idx]] = start[over_idx]
    n_over = np.bincount(group[over_idx], minlength=ng).astype(np.int64)
    calls_over = np.bincount(group[over_idx], weights=calls[over_idx] - limit, minlength=ng).astype(np.int64)
    n_limited = np.bincount(group, weights=limited, minlength=ng).astype(np.int64)
    limited_over = np.bincount(group[over_idx], weights=limited[over_idx], minlength=ng).astype(np.int64)
    out = keys.reset_index(drop=True)
    out["limit"] = np.full(ng, limit, dtype=np.int64)
    out["windows"] = windows
    out["peak"] = peak
    out["peak_at"] = utc(first_peak)
    out["over_limit"] = n_over
    out["over_share"] = np.where(windows > 0, n_over / np.maximum(windows, 1), np.nan)
    out["calls_over"] = calls_over
    out["first_over"] = utc(first_over)
    out["last_over"] = utc(last_over)
    out["rate_limited"] = n_limited
    out["rate_limited_in_over"] = limited_over
    out["in_over_share"] = np.where(n_limited > 0, limited_over / np.maximum(n_limited, 1), np.nan)
    return out
