"""Clock drift: stretches of 401 ``timestamp_expired`` and the client's clock offset behind them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import OUTCOME_COLUMNS, grid, runs, utc, window_of, window_sums
from ..errors import ParameterError
from ..selection import as_by, as_count, as_duration, documented, require, select, times

__all__ = ["clock_drift", "clock_offsets"]

#: The response ``Date`` header has whole seconds: on average it is half a second behind.
_DATE_ROUNDING_NS = 500_000_000

_COLUMNS = ["start", "end", "market", "calls", "errors", "expired", "expired_share", "samples", "offset_s",
            "max_offset_s", "beyond_tolerance"]


def clock_offsets(df: pd.DataFrame) -> pd.Series:
    """The client's clock minus the server's, in seconds, per call (NaN where not recorded).

    Uses the request's ``ACCESS-TIMESTAMP`` (``client_ts``) and the response's
    ``Date`` header (``server_ts``). ``Date`` has whole seconds, so each value is
    good to about half a second (half a second is added to ``Date`` to centre it);
    a median over many calls is much closer.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"client_ts": pd.to_datetime(["2026-11-17 10:00:31.9", None], utc=True),
    ...                    "server_ts": pd.to_datetime(["2026-11-17 10:00:01", "2026-11-17 10:00:02"], utc=True)})
    >>> clock_offsets(df).tolist()
    [30.4, nan]
    """
    require(df, ["client_ts", "server_ts"], "clock_offsets")
    c = times(df, "clock_offsets", "client_ts", allow_nat=True)
    s = times(df, "clock_offsets", "server_ts", allow_nat=True)
    nat = np.iinfo(np.int64).min
    ok = (c != nat) & (s != nat)
    out = np.full(len(df), np.nan)
    out[ok] = (c[ok] - s[ok] - _DATE_ROUNDING_NS) / 1e9
    return pd.Series(out, index=df.index, name="offset_s")


@documented
def clock_drift(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=defaults.INCIDENT_FREQ,
                by="market", merge=defaults.INCIDENT_MERGE, min_errors: int = defaults.MIN_ERRORS,
                tolerance=defaults.CLOCK_TOLERANCE) -> pd.DataFrame:
    """Stretches in which 401 ``timestamp_expired`` dominates, with the clock offset behind them.

    The exchange refuses a signed call whose ``ACCESS-TIMESTAMP`` is more than
    30 s from its own clock. A bucket belongs to a stretch when it has such
    errors and they are at least half of its errors; buckets at most ``merge``
    apart are joined, and stretches with fewer than ``min_errors`` of them are
    dropped. Where the recording has both the request's ``ACCESS-TIMESTAMP`` and
    the response's ``Date`` header, the offset of the client's clock is estimated
    (:func:`clock_offsets`): an offset beyond ``tolerance`` confirms the clock,
    not the signature or the key, was at fault.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``is_error``,
        ``reason``, ``market`` and the ``by`` columns; ``client_ts`` and
        ``server_ts`` when present).
    freq : str or Timedelta, default "1min"
        Bucket size.
    by : str, list of str or None, default "market"
        Groups with stretches of their own; they must be columns of the call
        (market, endpoint, ...), not of its outcome.
    merge : str or Timedelta, default "5min"
        Buckets at most this far apart make one stretch.
    min_errors : int, default 5
        Fewest ``timestamp_expired`` errors a stretch may have.
    tolerance : str or Timedelta, default "30s"
        The documented allowance between the client's and the server's clocks.
    %(window)s

    Returns
    -------
    DataFrame
        One row per stretch: ``start``, ``end`` (bucket edges, UTC), ``market``
        (the group's, or the market with most of the errors), ``calls``,
        ``errors``, ``expired`` (``timestamp_expired`` errors), ``expired_share``
        (of the errors), ``samples`` (calls with both timestamps), ``offset_s``
        (their median offset, client minus server, seconds; NaN without
        samples), ``max_offset_s`` (the offset farthest from zero),
        ``beyond_tolerance`` (``|max_offset_s|`` over ``tolerance``; NA without
        samples); then the ``by`` columns other than market. Sorted by ``start``;
        RangeIndex; empty when no stretch is found.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> ts = pd.date_range("2026-11-17 09:40", periods=12, freq="1min", tz="UTC")
    >>> df = pd.DataFrame({"ts": ts, "market": "futures", "is_error": [False] * 4 + [True] * 6 + [False] * 2,
    ...                    "reason": ["ok"] * 4 + ["timestamp_expired"] * 6 + ["ok"] * 2,
    ...                    "client_ts": ts + pd.Timedelta("31.5s"), "server_ts": ts})
    >>> drift = toolkit.clock_drift(df)
    >>> drift[["start", "end", "market", "expired"]]
                          start                       end   market  expired
    0 2026-11-17 09:44:00+00:00 2026-11-17 09:50:00+00:00  futures        6
    >>> drift[["samples", "offset_s", "beyond_tolerance"]]
       samples  offset_s  beyond_tolerance
    0        6      31.0              True
    """
    func = "clock_drift"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    cols = as_by(by, df, func)
    require(df, ["ts", "is_error", "reason", "market", *cols], func)
    outcome = [c for c in cols if c in OUTCOME_COLUMNS]
    if outcome:
        raise ParameterError(f"{func}(): by={by!r} splits calls by their outcome ({', '.join(outcome)}); "
                         "group by columns of the call such as market or endpoint")
    f = as_duration(freq, "freq", func)
    gap = as_duration(merge, "merge", func) // f
    tol = as_duration(tolerance, "tolerance", func) / 1e9
    min_errors = as_count(min_errors, "min_errors", func)
    g = grid(df, func, freq=f, by=cols)
    extra = [c for c in cols if c != "market"]
    expired_row = (df["reason"] == "timestamp_expired").to_numpy(dtype=bool, na_value=False) & (g.row_group >= 0)
    if not expired_row.any():
        return _empty(df, extra)
    ng, nb = g.calls.shape
    expired = np.bincount(g.row_group[expired_row] * nb + g.row_bucket[expired_row],
                          minlength=ng * nb).reshape(ng, nb)
    dominated = (expired > 0) & (2 * expired >= g.errors)
    group, lo, hi = runs(dominated, gap)
    n_exp, calls, errors = (window_sums(a, group, lo, hi) for a in (expired, g.calls, g.errors))
    keep = n_exp >= min_errors
    group, lo, hi, n_exp, calls, errors = group[keep], lo[keep], hi[keep], n_exp[keep], calls[keep], errors[keep]
    if len(group) == 0:
        return _empty(df, extra)
    # which stretch each row falls in (stretches of a group do not overlap)
    sid = window_of((ng, nb), group, lo, hi)[g.row_call * nb + g.row_bucket]
    recorded = {"client_ts", "server_ts"} <= set(df.columns)
    offsets = clock_offsets(df).to_numpy() if recorded else np.full(len(df), np.nan)
    has = (sid >= 0) & ~np.isnan(offsets)
    stats = pd.DataFrame({"sid": sid[has], "off": offsets[has], "abs": np.abs(offsets[has])})
    per = stats.groupby("sid")
    samples = per.size().reindex(range(len(group)), fill_value=0).to_numpy(np.int64)
    median = per["off"].median().reindex(range(len(group))).to_numpy(np.float64)
    far = stats.loc[per["abs"].idxmax().to_numpy(), ["sid", "off"]].set_index("sid")["off"] if len(stats) else None
    max_off = far.reindex(range(len(group))).to_numpy(np.float64) if far is not None else np.full(len(group), np.nan)
    market = _market(df, g, cols, group, sid, expired_row)
    out = pd.DataFrame({
        "start": utc((g.first + lo) * g.freq),
        "end": utc((g.first + hi) * g.freq),
        "market": market,
        "calls": calls.astype(np.int64),
        "errors": errors.astype(np.int64),
        "expired": n_exp.astype(np.int64),
        "expired_share": n_exp / np.maximum(errors, 1),
        "samples": samples,
        "offset_s": median,
        "max_offset_s": max_off,
        "beyond_tolerance": pd.array(np.where(np.isnan(max_off), None, np.abs(max_off) > tol), dtype="boolean"),
    })
    for c in extra:
        out[c] = g.keys[c].take(group).reset_index(drop=True)
    return out.take(np.lexsort((group, lo))).reset_index(drop=True)


def _market(df, g, cols, group, sid, expired_row):
    if "market" in cols:
        return g.keys["market"].take(group).reset_index(drop=True)
    # the market with most expired errors in the stretch
    rows = np.flatnonzero(expired_row & (sid >= 0))
    values = df["market"].take(rows)
    c, uniques = pd.factorize(values, use_na_sentinel=False)
    k = max(len(uniques), 1)
    counts = np.bincount(sid[rows] * k + c, minlength=len(group) * k).reshape(len(group), k)
    return pd.Series(uniques.take(counts.argmax(axis=1))).astype(df["market"].dtype)


def _empty(df: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({
        "start": utc([]), "end": utc([]), "market": df["market"].iloc[:0].reset_index(drop=True),
        "calls": np.zeros(0, np.int64), "errors": np.zeros(0, np.int64), "expired": np.zeros(0, np.int64),
        "expired_share": np.zeros(0), "samples": np.zeros(0, np.int64), "offset_s": np.zeros(0),
        "max_offset_s": np.zeros(0), "beyond_tolerance": pd.array([], dtype="boolean"),
    })
    for c in extra:
        out[c] = df[c].iloc[:0].reset_index(drop=True)
    return out
