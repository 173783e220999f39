"""Error rates over time and request rates against the documented limits.

The exchange counts its limits per API key and per market. A call's limits are counted for its
**key** (the ``key_id`` column, the key's one-way fingerprint) where the recording says which key
signed it, else for its **bot**; with neither column, all of a market's calls count together
(:func:`limit_holders`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import OUTCOME_COLUMNS, grid, groups, rate_frame, utc
from ..errors import ParameterError
from .._words import duration_words
from ..schema import STRING
from ..selection import as_by, as_duration, documented, require, select, times

__all__ = ["LimitUse", "error_rate", "limit_for", "limit_holders", "limit_use", "rate_limits", "request_rate",
           "window_counts"]


@documented
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
    %(window)s

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


def limit_holders(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Whom each call's limits are counted for: its key where the recording says (``key_id``), else its bot.

    Returns a code per row and a label per code (``"key k-1a2b3c4d"``, ``"bot spot-mm"``); all rows
    share one holder labelled ``""`` when the frame has neither column.

    Examples
    --------
    >>> df = pd.DataFrame({"key_id": ["k-1a2b3c4d", "k-1a2b3c4d", None], "bot": ["spot-mm", "futures-arb", "grid"]})
    >>> code, labels = limit_holders(df)
    >>> [labels[c] for c in code]
    ['key k-1a2b3c4d', 'key k-1a2b3c4d', 'bot grid']
    """
    n = len(df)
    has = df["key_id"].notna().to_numpy(dtype=bool) if "key_id" in df else np.zeros(n, dtype=bool)
    kc, ku = pd.factorize(df["key_id"]) if has.any() else (np.zeros(n, np.int64), pd.Index([]))
    if "bot" in df and not has.all():
        bc, bu = pd.factorize(df["bot"], use_na_sentinel=False)
    else:
        bc, bu = np.zeros(n, np.int64), pd.Index([None] if not has.all() else [])
    labels = [f"key {k}" for k in ku] + [f"bot {b}" if b is not None and b == b else "" for b in bu]
    return np.where(has, kc, len(ku) + bc).astype(np.int64), labels


@dataclass
class LimitUse:
    """How one key used its limits in a window (:func:`limit_use`).

    ``holder`` is the key's label (:func:`limit_holders`), ``bots`` its bots with their share of
    its calls (most first; empty when the frame names no bot), ``calls`` its calls, ``peak`` its
    most calls in one window of each limit (``{"1s": 25, "1min": 780}``), ``limits`` the limits
    (same keys), ``crossed`` the limits in whose windows over them at least
    :data:`~toolkit.defaults.LIMIT_SHARE` of its 429s fell, ``share`` the share of its 429s in
    windows over a crossed limit, ``bot_peak`` each bot's own most calls in one window of each
    limit, and ``t`` its calls' times.
    """

    holder: str
    bots: list[tuple[str, float]]
    calls: int
    peak: dict[str, int]
    limits: dict[str, int]
    crossed: list[str]
    share: float
    bot_peak: dict[str, dict[str, int]]
    t: np.ndarray


def limit_use(calls: pd.DataFrame, limits=None, func: str = "evidence") -> LimitUse:
    """How the key hit hardest by 429s in ``calls`` (one market's calls in a window) used its limits.

    Examples
    --------
    >>> t = pd.Timestamp("2026-11-16 21:05", tz="UTC") + pd.to_timedelta(range(0, 60_000, 150), unit="ms")
    >>> calls = pd.DataFrame({"ts": t, "key_id": "k-1a2b3c4d", "bot": ["spot-mm", "futures-arb"] * 200,
    ...                       "category": ["ok"] * 300 + ["rate_limit"] * 100})
    >>> use = limit_use(calls)
    >>> use.holder, use.bots, use.peak, use.crossed, use.share
    ('key k-1a2b3c4d', [('futures-arb', 0.5), ('spot-mm', 0.5)], {'1s': 7, '1min': 400}, ['1min'], 1.0)
    >>> use.bot_peak["spot-mm"]["1min"]
    200
    """
    t = times(calls, func)
    holder, labels = limit_holders(calls)
    limited = _is_rate_limited(calls)
    weights = limited if limited.any() else None
    h = int(np.bincount(holder, weights=weights, minlength=1).argmax()) if len(t) else 0
    mine = holder == h
    th, lh = t[mine], limited[mine]
    units = {duration_words(w): (w, n) for w, n in rate_limits(limits, func).items()}
    peak, over_any, crossed = {}, np.zeros(len(th), dtype=bool), []
    for name, (w, n) in units.items():
        _, inv, counts = np.unique(th // w, return_inverse=True, return_counts=True)
        over = counts[inv] > n
        peak[name] = int(counts.max(initial=0))
        if peak[name] > n and lh.any() and lh[over].sum() >= defaults.LIMIT_SHARE * lh.sum():
            crossed.append(name)
            over_any |= over
    bots, bot_peak = [], {}
    if "bot" in calls and len(th):
        names = calls["bot"].astype(object).to_numpy()[mine]
        share = pd.Series(names).value_counts(normalize=True, sort=False)
        bots = sorted(((str(b), float(v)) for b, v in share.items()), key=lambda x: (-x[1], x[0]))
        for b, _ in bots:
            tb = th[names == b]
            bot_peak[b] = {name: int(np.unique(tb // w, return_counts=True)[1].max(initial=0))
                           for name, (w, _) in units.items()}
    share = float(lh[over_any].sum() / lh.sum()) if crossed else float("nan")
    return LimitUse(labels[h] if labels else "", bots, len(th), peak, {k: n for k, (_, n) in units.items()},
                    crossed, share, bot_peak, th)


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


@documented
def request_rate(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=defaults.REQUEST_RATE_FREQ,
                 by="market", limits=None) -> pd.DataFrame:
    """Calls per window against the documented rate limits, and how the 429s line up.

    The exchange counts requests per API key and market: 10 per second and 300
    per minute for regular users, 100/s and 3000/min for market makers. This
    counts each key's calls in each window of ``freq`` (aligned on the epoch;
    its bot's where the recording names no key), compares them with
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
    %(window)s

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
        429s, NaN without 429s) and ``peak_key`` (whose calls made the peak: ``key
        k-1a2b3c4d``, or ``bot spot-mm`` where the recording names no key; missing
        when the frame says neither). Calls are counted per key within each group,
        as the exchange counts them (see the module notes). Sorted by group;
        RangeIndex; empty for an empty frame.

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
    holder, labels = limit_holders(df)
    rows = df[["ts", *(c for c in ("category", "http_status") if c in df), *cols]].assign(_holder=holder)
    pairs, hgroup, start, calls, limited = window_counts(rows, func, freq=f, by=[*cols, "_holder"])
    # each (group, key) pair's windows, gathered per group: the exchange counts each key's calls on its own
    keys, of_pair = _collapse(pairs, cols)
    group, who = of_pair[hgroup], pairs["_holder"].to_numpy(np.int64)[hgroup]
    ng = len(keys)
    over = calls > limit
    none = np.iinfo(np.int64).min

    windows = np.bincount(group, minlength=ng).astype(np.int64)
    peak = np.zeros(ng, dtype=np.int64)
    np.maximum.at(peak, group, calls)
    at_peak = np.flatnonzero(calls == peak[group])
    first_peak = np.full(ng, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_peak, group[at_peak], start[at_peak])
    first_peak[windows == 0] = none
    peak_key = np.full(ng, -1, dtype=np.int64)
    hit = at_peak[start[at_peak] == first_peak[group[at_peak]]]
    peak_key[group[hit]] = who[hit]
    over_idx = np.flatnonzero(over)
    first_over = np.full(ng, np.iinfo(np.int64).max, dtype=np.int64)
    last_over = np.full(ng, none, dtype=np.int64)
    np.minimum.at(first_over, group[over_idx], start[over_idx])
    np.maximum.at(last_over, group[over_idx], start[over_idx])
    first_over[first_over == np.iinfo(np.int64).max] = none
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
    out["peak_key"] = pd.array([labels[k] or None if k >= 0 else None for k in peak_key], dtype=STRING)
    return out


def _collapse(pairs: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The groups of ``cols`` among ``pairs`` (keys in sorted order, as :func:`~toolkit._grid.groups` makes them)
    and each pair's group."""
    if not cols:
        return pd.DataFrame(index=pd.RangeIndex(1 if len(pairs) else 0)), np.zeros(len(pairs), dtype=np.int64)
    of_pair, keys = groups(pairs, cols)
    return keys, of_pair
