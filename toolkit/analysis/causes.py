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
from .rates import limit_use, rate_limits

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


def _rate_evidence(calls: pd.DataFrame, n: int, seconds: float) -> str:
    """The bot's (or the bots') request rate against the limit their key crossed, with each bot's share."""
    use = limit_use(calls)
    if not len(use.t):
        return f"{n:,} calls got 429 in a window without calls"
    words, _ = _rate_words(use.t, seconds)
    named = [b for b, _ in use.bots if b not in ("unknown", "None", "nan")]
    several = len(use.bots) > 1
    if several:
        shares = ", ".join(f"{b} {v:.0%}" for b, v in use.bots)
        who = f"the bots on {use.holder or 'one key'} ({shares}) sent together"
    elif named and "bot" in calls and calls["bot"].nunique() > 1:
        who = f"the bot {named[0]} sent"
    else:
        who = "the bot sent"
    s_name, m_name = list(use.limits)[:1], list(use.limits)[1:2]
    per_s = use.limits[s_name[0]] if s_name else 10
    if not use.crossed:
        m = m_name[0] if m_name else s_name[0]
        return (f"{who} {words}, within {per_s}/s (peak {use.peak.get(m, 0):,} in one {_unit(m)} against "
                f"{use.limits[m]}/{_unit(m, short=True)}), yet got {n:,} 429s: another client on the same key, or the "
                "order rate limit")
    where = " or ".join(f"{_unit(c)}s" for c in use.crossed)
    tail = f"; {use.share:.0%} of the 429s came in {where} over {'them' if len(use.crossed) > 1 else 'it'}"
    if use.crossed[0] == (s_name or [None])[0]:  # the per-second limit
        text = f"{who} {words} against a limit of {per_s}/s"
        for c in use.crossed[1:]:
            text += f" and {use.peak[c]:,} in one {_unit(c)} against {use.limits[c]:,}/{_unit(c, short=True)}"
        return text + _alone(use, several) + tail
    c = use.crossed[0]
    text = f"{who} {use.peak[c]:,} calls in one {_unit(c)} against a limit of {use.limits[c]:,}/{_unit(c, short=True)}"
    text += _alone(use, several)
    peak_s = use.peak.get(s_name[0], 0) if s_name else 0
    text += (f", within {per_s}/s (peak {peak_s:,} in one second)" if peak_s <= per_s
             else f", at {words}")
    return text + tail


def _clock_bots(calls: pd.DataFrame, bad: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The bots whose calls got 401 timestamp expired, in words (`` of futures-grid``), and their calls: the clock
    offsets of the others' hosts are not evidence."""
    if "bot" not in calls or calls["bot"].nunique() < 2 or not len(bad):
        return "", calls
    hit = bad.loc[bad["reason"] == "timestamp_expired", "bot"].astype(object)
    names = sorted({str(b) for b in hit.dropna()})
    if not names:
        return "", calls
    return " of " + " and ".join(names), calls[calls["bot"].astype(object).isin(names).to_numpy(bool)]


def _unit(name: str, short: bool = False) -> str:
    return {"1s": ("second", "s"), "1min": ("minute", "min"), "1h": ("hour", "h")}.get(name, (name, name))[short]


def _alone(use, several: bool) -> str:
    """Whether each bot on the key stayed under the crossed limits on its own."""
    if not several:
        return ""
    c = use.crossed[0]
    most = max(p[c] for p in use.bot_peak.values())
    return f", each under it alone (at most {most:,})" if most <= use.limits[c] else ""


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
    limit = rate_limits(None, "evidence").get(1_000_000_000, 10)
    if cause == "client_rate":
        too_frequent = int((bad["code"] == 1006).sum()) if "code" in bad and n else 0
        if n and too_frequent > n / 2:
            return (f"{too_frequent:,} order calls got code 1006 \"Request too frequent\": three or more order "
                    "calls were in flight at once")
        return _rate_evidence(calls, n, seconds)
    if cause == "client_clock":
        expired = int((bad["reason"] == "timestamp_expired").sum()) if n else 0
        whose, clocks = _clock_bots(calls, bad)
        if {"client_ts", "server_ts"} <= set(calls.columns):
            from .clock import clock_offsets
            off = clock_offsets(clocks).to_numpy()
            off = off[~np.isnan(off)]
        else:
            off = np.zeros(0)
        if len(off):
            lo, hi = np.percentile(off, [5, 95])
            tol = as_duration(tolerance, "tolerance", "evidence") / 1e9
            way = "ahead of" if np.median(off) > 0 else "behind"
            a, b = sorted((abs(lo), abs(hi)))
            return (f"the client clock{whose} was {a:.0f}–{b:.0f} s {way} the exchange's (tolerance ±{tol:.0f} s) in "
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
