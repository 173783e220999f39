"""The closing table of a post-mortem: one row per incident, with the evidence of its own window."""

from __future__ import annotations

import pandas as pd

from .._words import window_words
from ..selection import times
from .explain import explain_incidents

__all__ = ["FINDINGS", "findings"]

#: Columns of :func:`findings`.
FINDINGS = ["when", "market", "side", "cause", "finding", "impact", "evidence"]


def findings(df: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """The closing table of a post-mortem: one row per incident, with evidence from its own window.

    Parameters
    ----------
    df : DataFrame
        The calls the incidents were found in.
    incidents : DataFrame
        What :func:`toolkit.find_incidents` returns for ``df``.

    Returns
    -------
    DataFrame
        ``when`` (the incident's window, UTC), ``market``, ``side`` and ``cause``
        (whose fault), ``finding`` (its category and main reason), ``impact``
        (failed calls against the baseline) and ``evidence``: the cause's
        evidence (:func:`toolkit.explain_incidents`), the failing calls the bot
        repeated in the window (and whether retrying could have helped) and the
        endpoint most hit, every figure measured between the incident's start and
        end. In the incidents' order.

    Examples
    --------
    >>> import numpy as np, pandas as pd, toolkit
    >>> from toolkit.analysis import findings
    >>> ts = pd.date_range("2026-11-19 00:00", periods=6 * 600, freq="6s", tz="UTC")
    >>> failed = (ts >= "2026-11-19 02:10") & (ts < "2026-11-19 02:20") | (np.arange(len(ts)) % 50 == 0)
    >>> df = pd.DataFrame({"ts": ts, "market": "futures", "method": "POST", "symbol": "BTCUSDT",
    ...                    "endpoint": "/api/v1/futures/open-api/order/create", "is_error": failed,
    ...                    "category": np.where(failed, "insufficient_funds", "ok"),
    ...                    "reason": np.where(failed, "insufficient_margin", "ok"), "retryable": ~failed})
    >>> row = findings(df, toolkit.find_incidents(df)).iloc[0]
    >>> row["when"], row["side"], row["cause"], row["impact"]
    ('Thu 19 Nov 02:10–02:20', 'client', 'client_funds', '100 of 100 calls failed (100%; baseline 2.0%)')
    >>> print(row["evidence"])  # doctest: +NORMALIZE_WHITESPACE
    100 calls failed for want of funds or margin (insufficient_margin 100%); the bot repeated 99 failing calls that
    retrying cannot fix (insufficient_margin); most failures on /api/v1/futures/open-api/order/create
    """
    if incidents.empty:
        return pd.DataFrame(columns=FINDINGS)
    explained = explain_incidents(df, incidents)
    t = times(df, "findings")
    market = df["market"].astype(str).to_numpy()
    rows = []
    for inc, ex in zip(incidents.itertuples(), explained.itertuples()):
        evidence = [ex.evidence]
        if inc.repeats:
            sel = (t >= inc.start.value) & (t < inc.end.value) & (market == str(inc.market))
            failed = df[sel & df["is_error"].to_numpy(dtype=bool, na_value=False)]
            top = failed[(failed["reason"] == inc.top_reason).to_numpy(dtype=bool, na_value=False)]
            futile = "retryable" in top and len(top) and top["retryable"].eq(False).all()
            tail = f" that retrying cannot fix ({inc.top_reason})" if futile else ""
            evidence.append(f"the bot repeated {inc.repeats:,} failing call{'s' if inc.repeats != 1 else ''}{tail}")
        evidence.append(f"most failures on {inc.top_endpoint}")
        rows.append([window_words(inc.start, inc.end), str(inc.market), str(inc.side), str(inc.cause),
                     f"{inc.category}: {inc.top_reason}",
                     f"{inc.errors:,} of {inc.calls:,} calls failed ({inc.error_rate:.0%}; "
                     f"baseline {inc.baseline_rate:.1%})", "; ".join(evidence)])
    return pd.DataFrame(rows, columns=FINDINGS)
