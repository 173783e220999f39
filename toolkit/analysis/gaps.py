"""Silences: stretches in which a market's calls fell far below their usual volume for that time of day, or stopped.

A bot that died, lost its network, or gave up after its key was revoked leaves
no errors behind: only a hole in the recording. Each market's calls are counted
per bucket of ``freq``; a bucket's usual volume is the median count of the
buckets at the same time of day (on every recorded day, that bucket and its two
neighbours); a bucket is silent when it holds at most ``share`` of it. Runs of
silent buckets lasting at least ``min_duration``, in which at least
:data:`~toolkit.defaults.GAP_MIN_EXPECTED` calls were expected, are the gaps.
With fewer than three days recorded, the usual volume is the market's median
bucket over the whole recording.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import MARKETS, STRING
from .._grid import runs, utc
from ..errors import ParameterError
from ..selection import as_duration, require, select, times

__all__ = ["GAP_COLUMNS", "find_gaps"]

#: Columns of :func:`find_gaps`.
GAP_COLUMNS = ["start", "end", "market", "duration", "calls", "expected_calls", "last_call", "last_reason",
               "error_rate_before"]

_DAY = 86_400_000_000_000


def find_gaps(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=defaults.GAP_FREQ,
              share: float = defaults.GAP_SHARE, min_duration=defaults.GAP_MIN) -> pd.DataFrame:
    """Stretches in which a market's calls fell far below their usual volume for that time of day, or stopped.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``market``,
        ``is_error``, ``reason``).
    start, end : optional
        Only the calls in ``[start, end)``, exactly as filtering ``df`` first.
    market : str or list of str, optional
        Only these markets; all by default.
    bot : str or list of str, optional
        Only the calls these bots made (the silences of their calls); all by default.
    freq : str or Timedelta, default "5min"
        Bucket size: the resolution of ``start`` and ``end``.
    share : float, default 0.1
        A bucket is silent when its calls are at most this share of the usual ones.
    min_duration : str or Timedelta, default "15min"
        Shortest gap.

    Returns
    -------
    DataFrame
        One row per gap: ``start``, ``end`` (bucket edges, UTC), ``market``,
        ``duration``, ``calls`` (made during the gap), ``expected_calls``,
        ``last_call`` (the market's last call before the gap), ``last_reason``
        (what that call got: ``ok``, or the error that may explain why the bot
        stopped), ``error_rate_before`` (in the ``min_duration`` before the gap).
        Sorted by ``start``; RangeIndex; empty when calls never fell silent.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> ts = pd.date_range("2026-11-16 00:00", "2026-11-18 23:59", freq="20s", tz="UTC")
    >>> ts = ts[(ts < "2026-11-17 14:00") | (ts >= "2026-11-17 15:00")]  # the bot was down for an hour
    >>> df = pd.DataFrame({"ts": ts, "market": "spot", "is_error": False, "reason": "ok"})
    >>> gaps = toolkit.find_gaps(df)
    >>> gaps[["start", "end", "market"]]
                          start                       end market
    0 2026-11-17 14:00:00+00:00 2026-11-17 15:00:00+00:00   spot
    >>> gaps[["duration", "calls", "expected_calls"]]
             duration  calls  expected_calls
    0 0 days 01:00:00      0           180.0
    """
    func = "find_gaps"
    df = select(df, start=start, end=end, bot=bot, func=func)  # the market is chosen below
    require(df, ["ts", "market", "is_error", "reason"], func)
    f = as_duration(freq, "freq", func)
    span = as_duration(min_duration, "min_duration", func)
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share < 1:
        raise ParameterError(f"{func}(): share must be a number from 0 to below 1, not {share!r}")
    t_all = times(df, func)
    scope = select(df, market=market, func=func)
    if len(t_all) == 0 or len(scope) == 0:
        return _empty(df)
    t = times(scope, func)
    first_b, last_b = int(t_all.min() // f), int(t_all.max() // f)
    nb = last_b - first_b + 1
    names = [m for m in MARKETS if (scope["market"] == m).any()]
    mk, mnames = pd.factorize(scope["market"], use_na_sentinel=False)
    code_of = {str(v): i for i, v in enumerate(mnames)}
    err = scope["is_error"].to_numpy(dtype=bool, na_value=False)
    min_len = max(1, -(-span // f))
    rows = []
    for m in names:
        sel = np.flatnonzero(mk == code_of[m])
        order = np.argsort(t[sel], kind="stable")
        sel = sel[order]
        tm, em = t[sel], err[sel]
        counts = np.bincount(tm // f - first_b, minlength=nb)
        own = int(tm[0] // f - first_b)  # a market that starts late is not silent before its first call
        expected = _usual(counts, first_b, f)
        silent = counts <= share * expected
        silent[:own] = False
        _, lo, hi = runs(silent[None, :], 0)
        for a, b in zip(lo, hi):
            exp, got = float(expected[a:b].sum()), int(counts[a:b].sum())
            if b - a < min_len or exp < defaults.GAP_MIN_EXPECTED or got > share * exp:
                continue
            s0, s1 = (first_b + a) * f, (first_b + b) * f
            k = int(np.searchsorted(tm, s0)) - 1
            before = (tm >= s0 - span) & (tm < s0)
            rows.append({"start": s0, "end": s1, "market": m, "calls": got, "expected_calls": round(exp, 1),
                         "last_call": tm[k] if k >= 0 else np.iinfo(np.int64).min,
                         "last_reason": scope["reason"].iloc[sel[k]] if k >= 0 else None,
                         "error_rate_before": em[before].mean() if before.any() else np.nan})
    if not rows:
        return _empty(df)
    r = pd.DataFrame(rows).sort_values(["start", "market"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame({
        "start": utc(r["start"]), "end": utc(r["end"]),
        "market": pd.Series(r["market"], dtype=df["market"].dtype if isinstance(df["market"].dtype,
                                                                                  pd.CategoricalDtype) else object),
        "duration": pd.to_timedelta(r["end"] - r["start"], unit="ns"),
        "calls": r["calls"].astype(np.int64), "expected_calls": r["expected_calls"].astype(np.float64),
        "last_call": utc(r["last_call"]), "last_reason": pd.array(r["last_reason"], dtype=STRING),
        "error_rate_before": r["error_rate_before"].astype(np.float64),
    })
    return out


def _usual(counts: np.ndarray, first_b: int, f: int) -> np.ndarray:
    """The usual calls of each bucket: the median at that time of day over the days and neighbouring buckets."""
    nb = len(counts)
    per_day = _DAY // f if _DAY % f == 0 else 0
    days = nb * f / _DAY
    if per_day == 0 or days < 3:
        return np.full(nb, float(np.median(counts)))
    pad = first_b % per_day
    width = -(-(nb + pad) // per_day) * per_day
    grid = np.full(width, np.nan)
    grid[pad:pad + nb] = counts
    grid = grid.reshape(-1, per_day)
    stack = np.concatenate([np.roll(grid, -1, axis=1), grid, np.roll(grid, 1, axis=1)], axis=0)
    usual = np.nanmedian(stack, axis=0)
    slot = (first_b + np.arange(nb)) % per_day
    return usual[slot]


def _empty(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "start": utc([]), "end": utc([]), "market": df["market"].iloc[:0].reset_index(drop=True),
        "duration": pd.to_timedelta([]), "calls": np.zeros(0, np.int64), "expected_calls": np.zeros(0),
        "last_call": utc([]), "last_reason": pd.array([], dtype=STRING), "error_rate_before": np.zeros(0),
    })
