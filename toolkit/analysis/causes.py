"""Whose fault: the evidence each cause is stated with, measured on the calls of a window.

The cause of a window is the cause of most of its errors, by the cause-rule
table (:mod:`toolkit.classify.causes`, re-exported here); its evidence is
measured from the calls of that window alone (:func:`evidence`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from ..classify import CAUSE_WORDS, CAUSES, SIDES, cause_rules, row_causes, side_of
from ..selection import as_duration, times
from .rates import rate_limits

__all__ = ["CAUSES", "CAUSE_WORDS", "SIDES", "cause_rules", "evidence", "row_causes", "side_of"]


def _share_list(values: pd.Series, n: int = 3) -> str:
    counts = values.astype(object).where(values.notna(), "unrecorded").value_counts()
    total = counts.sum()
    shown = [f"{k} {v / total:.0%}" for k, v in counts.head(n).items()]
    return ", ".join(shown) + (", ..." if len(counts) > n else "")


def _per_second(t: np.ndarray) -> np.ndarray:
    return np.unique(t // 1_000_000_000, return_counts=True)[1] if len(t) else np.zeros(0, np.int64)


def _per_unit(n: int, seconds: float) -> str:
    per_s = n / max(seconds, 1.0)
    return f"{per_s:.1f} calls/s" if per_s >= 1 else f"{per_s * 60:.1f} calls/min"


def _rate_words(t: np.ndarray, seconds: float) -> tuple[str, int]:
    peak = int(_per_second(t).max(initial=0))
    return f"{_per_unit(len(t), seconds)} (peak {peak:,} in one second)", peak


def _peak_words(t: np.ndarray, seconds: float) -> tuple[str, int]:
    peak = int(_per_second(t).max(initial=0))
    return f"{_per_unit(len(t), seconds)}, peak {peak:,} in one second", peak


def evidence(calls: pd.DataFrame, cause: str, *, start, end, failed=None,
             tolerance=defaults.CLOCK_TOLERANCE) -> str:
    """One sentence of evidence for ``cause``, measured on ``calls`` (one market's calls in the window) only.

    Parameters
    ----------
    calls : DataFrame
        The calls of the window's market between ``start`` and ``end`` (``ts``,
        ``is_error``, ``category``, ``reason``; ``http_status``, ``code``,
        ``client_ts``, ``server_ts`` and ``endpoint`` when present).
    cause : str
        One of :data:`CAUSES`.
    start, end : Timestamp
        The window, for rates per second.
    failed : array of bool, optional
        The errors the sentence counts (a narrow incident's reason or endpoint);
        all of the window's errors by default. Rates always count every call.
    tolerance : str or Timedelta, default "30s"
        The documented clock allowance.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> ts = pd.Timestamp("2026-11-16 21:05", tz="UTC") + pd.to_timedelta(range(0, 2000, 50), unit="ms")
    >>> calls = pd.DataFrame({"ts": ts, "is_error": [i % 2 == 1 for i in range(40)],
    ...                       "category": "rate_limit", "reason": "rate_limited"})
    >>> print(evidence(calls, "client_rate", start=ts[0], end=ts[0] + pd.Timedelta("2s")))
    the bot sent 20.0 calls/s (peak 20 in one second) against a limit of 10/s; 100% of the 429s came in
    seconds over it
    """
    t = times(calls, "evidence") if len(calls) else np.zeros(0, np.int64)
    err = calls["is_error"].to_numpy(dtype=bool, na_value=False) if len(calls) else np.zeros(0, bool)
    if failed is not None:
        err = err & np.asarray(failed, dtype=bool)
    if cause in CAUSES and cause != "unknown" and err.any():  # the errors of this cause, not the background's
        own = err & (row_causes(calls) == CAUSES.index(cause))
        err = own if own.any() else err
    bad = calls[err]
    n = int(err.sum())
    seconds = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds()
    limits = rate_limits(None, "evidence")
    limit, per_minute = limits.get(1_000_000_000, 10), limits.get(60_000_000_000, 300)
    if cause == "client_rate":
        too_frequent = int((bad["code"] == 1006).sum()) if "code" in bad and n else 0
        if n and too_frequent > n / 2:
            return (f"{too_frequent:,} order calls got code 1006 \"Request too frequent\": three or more order "
                    "calls were in flight at once")
        words, peak = _rate_words(t, seconds)
        _, inv, counts = np.unique(t // 1_000_000_000, return_inverse=True, return_counts=True)
        over_second = counts[inv] > limit
        limited = err & (calls["category"] == "rate_limit").to_numpy(dtype=bool, na_value=False)
        if peak > limit:
            tail = f"; {over_second[limited].mean():.0%} of the 429s came in seconds over it" if limited.any() else ""
            return f"the bot sent {words} against a limit of {limit}/s{tail}"
        peak_min = int(np.unique(t // 60_000_000_000, return_counts=True)[1].max(initial=0))
        return (f"the bot sent {words}, within {limit}/s (peak {peak_min:,} in one minute against {per_minute}/min), "
                f"yet got {n:,} 429s: another client on the same key, or the order rate limit")
    if cause == "client_clock":
        expired = int((bad["reason"] == "timestamp_expired").sum()) if n else 0
        if {"client_ts", "server_ts"} <= set(calls.columns):
            from .clock import clock_offsets
            off = clock_offsets(calls).to_numpy()
            off = off[~np.isnan(off)]
        else:
            off = np.zeros(0)
        if len(off):
            lo, hi = np.percentile(off, [5, 95])
            tol = as_duration(tolerance, "tolerance", "evidence") / 1e9
            way = "ahead of" if np.median(off) > 0 else "behind"
            a, b = sorted((abs(lo), abs(hi)))
            return (f"the client clock was {a:.0f}–{b:.0f} s {way} the exchange's (tolerance ±{tol:.0f} s) in "
                    f"{len(off):,} calls with both clocks; {expired:,} calls got 401 timestamp expired")
        return f"{expired:,} calls got 401 timestamp expired (the clock offset was not recorded)"
    if n == 0:
        return "no failed calls in the window"
    reasons = _share_list(bad["reason"])
    if cause == "client_funds":
        return f"{n:,} calls failed for want of funds or margin ({reasons})"
    if cause == "client_auth":
        return f"{n:,} calls were refused the key's access ({reasons})"
    if cause == "client_request":
        where = ""
        if "endpoint" in bad:
            top = bad["endpoint"].astype(object).value_counts()
            where = f", mostly on {top.index[0]}" if len(top) else ""
        return f"{n:,} requests were rejected ({reasons}){where}"
    if cause == "exchange":
        words, peak = _peak_words(t, seconds)
        statuses = ""
        if "http_status" in bad:
            s = bad["http_status"].to_numpy(dtype=np.float64, na_value=np.nan)
            codes5 = sorted({int(x) for x in s[s >= 500]})
            statuses = f"; HTTP {', '.join(map(str, codes5))}" if codes5 else ""
        within = "stayed within the limits at" if peak <= limit else "sent"
        return f"{n:,} calls failed on the exchange's side ({reasons}{statuses}) while the bot {within} {words}"
    if cause == "network":
        dns = int((bad["reason"] == "dns_failure").sum())
        what = "; the exchange's host name did not resolve (DNS)" if dns > n / 2 else ""
        return f"{n:,} calls got no response ({reasons}){what}"
    return f"{n:,} errors the documentation does not list ({reasons})"
