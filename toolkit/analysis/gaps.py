"""Silences: stretches in which a bot's or a market's calls fell far below their usual volume for that time of
the week, or stopped.

A bot that died, lost its network, or gave up after its key was revoked leaves no errors
behind: only a hole in the recording. The calls of each market, and of each bot in it when the
frame has a ``bot`` column naming two or more, are counted per bucket of ``freq``. A bucket's
usual volume is the median count at the same time of the week (:mod:`toolkit.analysis._week`):
on every recorded day of the same kind (weekday, or weekend), at the same time of day on the
series' own clock (an hour early or late after a change of daylight saving time, as the
series' traffic shows), that bucket and its two neighbours, with the median over every day as
one more value (a kind of day recorded on fewer than
:data:`~toolkit.defaults.CELL_MIN_VALUES` days takes that median alone). With fewer than
:data:`~toolkit.defaults.CELL_MIN_DAYS` days recorded, it is the series' median bucket. A
bucket is silent when it holds at most ``share`` of its usual calls; runs of silent buckets
lasting at least ``min_duration``, in which at least
:data:`~toolkit.defaults.GAP_MIN_EXPECTED` calls were expected, are the gaps.

A bot that stops while the others carry on is a gap of that bot. When a market falls silent
with every bot that usually calls then, it is one gap of the market (naming the bot when only
one usually calls then); the bots' own gaps within it are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import runs, utc
from ..errors import ParameterError
from ..schema import MARKETS, STRING
from ..selection import as_duration, require, select, times
from ._week import DAY, HOUR, nanmedian, clock_shifts, weekend

__all__ = ["GAP_COLUMNS", "GAP_KINDS", "find_gaps"]

#: Columns of :func:`find_gaps`.
GAP_COLUMNS = ["start", "end", "market", "bot", "kind", "duration", "calls", "expected_calls", "last_call",
               "last_reason", "error_rate_before"]

#: What a gap can be: no calls at all, or calls far below the usual ones.
GAP_KINDS = ("stopped", "thin")


def find_gaps(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=defaults.GAP_FREQ,
              share: float = defaults.GAP_SHARE, min_duration=defaults.GAP_MIN) -> pd.DataFrame:
    """Stretches in which a bot's or a market's calls fell far below their usual volume for that time of the week.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``market``,
        ``is_error``, ``reason``; ``bot`` when present).
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
        ``bot`` (the bot that fell silent; missing when a market fell silent with
        several bots that usually call then), ``kind`` (``stopped``: no call at
        all; ``thin``: calls far below the usual ones), ``duration``, ``calls``
        (made during the gap), ``expected_calls``, ``last_call`` (the bot's, or the
        market's, last call before the gap), ``last_reason`` (what that call got:
        ``ok``, or the error that may explain why the bot stopped),
        ``error_rate_before`` (in the ``min_duration`` before the gap). Sorted by
        ``start``; RangeIndex; empty when calls never fell silent.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> ts = pd.date_range("2026-11-16 00:00", "2026-11-18 23:59", freq="20s", tz="UTC")
    >>> ts = ts[(ts < "2026-11-17 14:00") | (ts >= "2026-11-17 15:00")]  # the bot was down for an hour
    >>> df = pd.DataFrame({"ts": ts, "market": "spot", "is_error": False, "reason": "ok"})
    >>> gaps = toolkit.find_gaps(df)
    >>> gaps[["start", "end", "market", "kind"]]
                          start                       end market     kind
    0 2026-11-17 14:00:00+00:00 2026-11-17 15:00:00+00:00   spot  stopped
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
    mk, mnames = pd.factorize(scope["market"], use_na_sentinel=False)
    if "bot" in scope:
        bk, bnames = pd.factorize(scope["bot"], use_na_sentinel=False)
    else:
        bk, bnames = np.zeros(len(scope), dtype=np.int64), pd.Index([None])
    nm, nbots = len(mnames), len(bnames)
    counts = np.bincount((mk * nbots + bk) * nb + (t // f - first_b), minlength=nm * nbots * nb).reshape(
        nm, nbots, nb).astype(np.float64)
    bots_of = {m: np.flatnonzero(counts[m].sum(axis=1) > 0) for m in range(nm)}
    # the series: each market, and each of its bots when it has two or more
    series = [(m, None) for m in range(nm)] + [(m, b) for m in range(nm) if len(bots_of[m]) > 1 for b in bots_of[m]]
    matrix = np.stack([counts[m].sum(axis=0) if b is None else counts[m, b] for m, b in series])
    usual = _usual(matrix, first_b, f)
    found = _Found(scope, t, mk, bk, f, span, first_b)
    min_len = max(1, -(-span // f))
    gaps = {}
    for i, (m, b) in enumerate(series):
        c, u = matrix[i], usual[i]
        silent = c <= share * u
        silent[:int(np.flatnonzero(c)[0]) if c.any() else nb] = False  # not silent before its first call
        _, lo, hi = runs(silent[None, :], 0)
        keep = [(a, z) for a, z in zip(lo, hi) if z - a >= min_len and u[a:z].sum() >= defaults.GAP_MIN_EXPECTED
                and c[a:z].sum() <= share * u[a:z].sum()]
        gaps[(m, b)] = keep
    rows = []
    for m in range(nm):
        bots = bots_of[m]
        own = {b: list(gaps.get((m, b), [])) for b in bots} if len(bots) > 1 else {}
        for a, z in gaps[(m, None)]:
            usual_bots = [b for b in bots if usual[series.index((m, b))][a:z].sum() >= defaults.GAP_MIN_EXPECTED] \
                if own else list(bots)
            if own and not all(_silent_in(own[b], a, z) for b in usual_bots):
                continue  # some bot carried on: its silent neighbours' gaps tell it
            for b in own:
                own[b] = [(x, y) for x, y in own[b] if not (x < z and a < y)]
            label = bnames[usual_bots[0]] if len(usual_bots) == 1 else None
            rows.append(found.row(m, None, label, a, z, matrix[series.index((m, None))],
                                  usual[series.index((m, None))], mnames, share))
        for b, spans in own.items():
            i = series.index((m, b))
            rows.extend(found.row(m, b, bnames[b], a, z, matrix[i], usual[i], mnames, share) for a, z in spans)
    if not rows:
        return _empty(df)
    r = pd.DataFrame(rows).sort_values(["start", "market", "bot"], kind="stable", na_position="first")
    r = r.reset_index(drop=True)
    bot_dtype = df["bot"].dtype if "bot" in df and isinstance(df["bot"].dtype, pd.CategoricalDtype) else "category"
    return pd.DataFrame({
        "start": utc(r["start"]), "end": utc(r["end"]),
        "market": pd.Series(r["market"], dtype=df["market"].dtype if isinstance(df["market"].dtype,
                                                                                  pd.CategoricalDtype) else object),
        "bot": pd.Series(r["bot"], dtype=object).astype(bot_dtype),
        "kind": pd.array(r["kind"], dtype=STRING),
        "duration": pd.to_timedelta(r["end"] - r["start"], unit="ns"),
        "calls": r["calls"].astype(np.int64), "expected_calls": r["expected_calls"].astype(np.float64),
        "last_call": utc(r["last_call"]), "last_reason": pd.array(r["last_reason"], dtype=STRING),
        "error_rate_before": r["error_rate_before"].astype(np.float64),
    })


def _silent_in(spans, a: int, z: int) -> bool:
    """Whether the bot's gaps cover at least half of ``[a, z)``."""
    covered = sum(max(0, min(y, z) - max(x, a)) for x, y in spans)
    return 2 * covered >= z - a


class _Found:
    """What a gap says about the calls around it: the last one before it, what it got, the error rate before."""

    def __init__(self, scope, t, mk, bk, f, span, first_b):
        self.scope, self.t, self.mk, self.bk, self.f, self.span, self.first_b = scope, t, mk, bk, f, span, first_b
        self.err = scope["is_error"].to_numpy(dtype=bool, na_value=False)

    def row(self, m, b, label, a, z, counts, usual, mnames, share) -> dict:
        s0, s1 = (self.first_b + a) * self.f, (self.first_b + z) * self.f
        mine = (self.mk == m) if b is None else (self.mk == m) & (self.bk == b)
        before = np.flatnonzero(mine & (self.t < s0))
        last = before[np.argmax(self.t[before])] if len(before) else -1
        near = mine & (self.t >= s0 - self.span) & (self.t < s0)
        got = int(counts[a:z].sum())
        return {"start": s0, "end": s1, "market": str(mnames[m]),
                "bot": None if label is None or label != label else str(label),
                "kind": GAP_KINDS[0] if got == 0 else GAP_KINDS[1], "calls": got,
                "expected_calls": round(float(usual[a:z].sum()), 1),
                "last_call": self.t[last] if last >= 0 else np.iinfo(np.int64).min,
                "last_reason": self.scope["reason"].iloc[last] if last >= 0 else None,
                "error_rate_before": self.err[near].mean() if near.any() else np.nan}


def _usual(counts: np.ndarray, first_b: int, f: int) -> np.ndarray:
    """The usual calls of each series (rows) and bucket: the median at that time of the week (see the module)."""
    n, nb = counts.shape
    per_day = DAY // f if DAY % f == 0 and f <= HOUR else 0
    if per_day == 0 or nb * f / DAY < defaults.CELL_MIN_DAYS:
        return np.repeat(np.median(counts, axis=1, keepdims=True), nb, axis=1)
    per_hour = HOUR // f
    pad_h = first_b % per_hour
    width = -(-(nb + pad_h) // per_hour) * per_hour
    z = np.zeros((n, width))
    z[:, pad_h:pad_h + nb] = counts
    first_hour = (first_b - pad_h) // per_hour
    shifts = clock_shifts(z.reshape(n, -1, per_hour).sum(axis=2), first_hour)  # (series, days)
    # each bucket on its series' own clock: its day and slot there
    b = first_b + np.arange(nb)
    day0 = first_hour // 24
    moved = b[None, :] + shifts[:, np.clip(b // per_day - day0, 0, shifts.shape[1] - 1)] * per_hour
    own_day, slot = moved // per_day - day0 + 1, moved % per_day  # +1: a day before the first, for moves back
    days = int(own_day.max()) + 1
    out = np.zeros((n, nb))
    for i in range(n):
        grid = np.full((days, per_day), np.nan)
        grid[own_day[i], slot[i]] = counts[i]
        stack = np.concatenate([np.roll(grid, -1, axis=1), grid, np.roll(grid, 1, axis=1)])  # a bucket's neighbours
        kind = np.tile(weekend(day0 - 1 + np.arange(days)), 3)
        every = nanmedian(stack, axis=0)
        usual = np.empty((2, per_day))
        for k in (0, 1):
            rows = stack[kind == k]
            usual[k] = nanmedian(np.vstack([rows, every[None, :]]), axis=0)
            recorded = (~np.isnan(grid[weekend(day0 - 1 + np.arange(days)) == k])).sum(axis=0)
            usual[k] = np.where(recorded >= defaults.CELL_MIN_VALUES, usual[k], every)
        out[i] = usual[weekend(day0 - 1 + own_day[i]).astype(np.int64), slot[i]]
    return np.nan_to_num(out)


def _empty(df: pd.DataFrame) -> pd.DataFrame:
    bot = df["bot"].iloc[:0].reset_index(drop=True) if "bot" in df else pd.Series([], dtype="category")
    return pd.DataFrame({
        "start": utc([]), "end": utc([]), "market": df["market"].iloc[:0].reset_index(drop=True), "bot": bot,
        "kind": pd.array([], dtype=STRING), "duration": pd.to_timedelta([]), "calls": np.zeros(0, np.int64),
        "expected_calls": np.zeros(0), "last_call": utc([]), "last_reason": pd.array([], dtype=STRING),
        "error_rate_before": np.zeros(0),
    })
