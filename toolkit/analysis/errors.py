"""Errors grouped the way an error tracker groups issues, and the retries that repeated them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._fingerprint import MASKS, PATTERN_LENGTH, fingerprint, listing, mask_messages, message_masks, top_table
from .._grid import groups, utc
from ..schema import STRING
from ..selection import as_count, documented, require, select, times
from .retry import CALL_COLUMNS, ERROR_COLUMNS, repeat_chains

__all__ = ["MASKS", "PATTERN_LENGTH", "fingerprint", "mask_messages", "message_masks", "retries", "top_errors"]


@documented
def top_errors(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, n: int | None = 10) -> pd.DataFrame:
    """The most frequent kinds of error, grouped as an error tracker groups issues.

    Errors are grouped by a fingerprint of their market, category, reason, code
    and message, with numbers, ids, URLs, paths and symbols in the message masked
    (:data:`MASKS`, :func:`message_masks`), so "Order 1 not found" and "Order 2
    not found" are one issue.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``is_error``,
        ``market``, ``category``, ``reason``, ``code``, ``message``, ``endpoint``,
        ``symbol``).
    n : int or None, default 10
        How many groups to return; None returns them all.
    %(window)s

    Returns
    -------
    DataFrame
        ``fingerprint`` (12 hex digits, see :func:`fingerprint`), ``market``,
        ``category``, ``reason``, ``code``, ``pattern`` (the masked message),
        ``count``, ``share`` (of all errors), ``first_seen``, ``last_seen``,
        ``endpoints`` and ``symbols`` (comma-joined sorted distinct values, or
        "N endpoints" / "N symbols" past five), ``example`` (one raw message). Sorted by count,
        largest first; RangeIndex; empty when there are no errors.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-16 21:05", "2026-11-16 21:06", "2026-11-16 21:07"], utc=True),
    ...     "market": "futures", "category": "not_found", "reason": "pair_or_object_not_found",
    ...     "code": 3000, "is_error": True, "endpoint": "/api/v1/futures/open-api/order/cancel",
    ...     "message": ["Order 1764 not found", "Order 1799 not found", "Order 1802 not found"],
    ...     "symbol": ["BTCUSDT", "ETHUSDT", "BTCUSDT"]})
    >>> top_errors(df)[["pattern", "count", "share", "symbols", "example"]]
                 pattern  count  share           symbols               example
    0  Order <num> not found      3    1.0  BTCUSDT, ETHUSDT  Order 1764 not found
    """
    func = "top_errors"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    require(df, ["ts", "is_error", "market", "category", "reason", "code", "message", "endpoint", "symbol"], func)
    if n is not None:
        n = as_count(n, "n", func)
    t = times(df, func)
    err = df["is_error"].to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(err)
    if len(rows) == 0:
        return top_table(df.iloc[:0], total=0)
    errors = df.take(rows)
    t = t[rows]
    msg_codes, msgs = pd.factorize(errors["message"], use_na_sentinel=False)
    symbols = df["symbol"].dropna().unique()
    masked = mask_messages(msgs, symbols)
    pat_codes, patterns = pd.factorize(np.asarray(masked.to_pylist(), dtype=object))
    key = pd.DataFrame({
        c: pd.factorize(errors[c], use_na_sentinel=False)[0] for c in ("market", "category", "reason", "code")
    })
    key["pattern"] = pat_codes[msg_codes]
    gid = key.groupby(list(key.columns), sort=False).ngroup().to_numpy(np.int64)
    ng = int(gid.max()) + 1
    count = np.bincount(gid, minlength=ng)
    first = np.full(ng, np.iinfo(np.int64).max)
    last = np.full(ng, np.iinfo(np.int64).min)
    np.minimum.at(first, gid, t)
    np.maximum.at(last, gid, t)
    rep = np.full(ng, -1, dtype=np.int64)
    rep[gid[::-1]] = np.arange(len(gid))[::-1]  # first row of each group
    order = np.lexsort((first, -count))
    if n is not None:
        order = order[:n]
    pick = rep[order]
    top = errors.take(pick)[["market", "category", "reason", "code", "message"]].reset_index(drop=True)
    top = top.rename(columns={"message": "example"})
    top["pattern"] = np.asarray(patterns, dtype=object)[key["pattern"].to_numpy()[pick]]
    top["count"] = count[order]
    top["first_seen"] = utc(first[order])
    top["last_seen"] = utc(last[order])
    # endpoints and symbols only for the groups kept
    rank = np.full(ng, -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    kept = rank[gid] >= 0
    kept_rank = rank[gid][kept]
    return top_table(top, total=len(rows), endpoints=(kept_rank, errors["endpoint"][kept]),
                     symbols=(kept_rank, errors["symbol"][kept]))


_RETRY_COLUMNS = {
    "market": None, "category": None, "reason": STRING, "retryable": pd.BooleanDtype(), "chains": np.int64,
    "repeats": np.int64, "failed_calls": np.int64, "longest": np.int64, "first_seen": pd.DatetimeTZDtype("ns", "UTC"),
    "last_seen": pd.DatetimeTZDtype("ns", "UTC"), "endpoints": STRING, "symbols": STRING,
}


@documented
def retries(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None,
            within=defaults.RETRY_WINDOW) -> pd.DataFrame:
    """Identical failing calls repeated close together, per kind of error.

    Calls are identical when they share market, method, endpoint and symbol
    (a missing symbol counts as a value). A failed call is a *repeat* when the
    identical call just before it failed with the same error (category, reason
    and code) at most ``within`` earlier; a *chain* is a failure and its repeats.
    A success in between ends a chain. The rule is :mod:`toolkit.analysis.retry`'s,
    which :func:`toolkit.find_incidents` counts its ``repeats`` by too.

    The ``retryable`` column comes from the error catalog: repeats of errors
    that are not retryable (insufficient funds, bad request, permission, ...)
    are calls that retrying could not fix, ``r.loc[r["retryable"].eq(False),
    "repeats"].sum()`` of them.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``is_error``,
        ``market``, ``endpoint``, ``symbol``, ``category``, ``reason``, ``code``,
        ``retryable``; ``method`` when present).
    within : str or Timedelta, default "10s"
        Longest gap between a failure and its repeat (a bare number is refused).
    %(window)s

    Returns
    -------
    DataFrame
        One row per kind of error that was repeated: ``market``, ``category``,
        ``reason``, ``retryable`` (nullable boolean), ``chains`` (failures
        repeated at least once), ``repeats`` (the repeats), ``failed_calls``
        (``chains + repeats``), ``longest`` (calls in the longest chain),
        ``first_seen`` / ``last_seen`` (first and last repeat), ``endpoints`` and
        ``symbols`` (of the repeats). Sorted by ``repeats``, largest first;
        RangeIndex; empty when nothing was repeated.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-19 02:10:00", "2026-11-19 02:10:02", "2026-11-19 02:10:04",
    ...                           "2026-11-19 02:30:00"], utc=True),
    ...     "market": "futures", "method": "POST", "endpoint": "/api/v1/futures/open-api/order/create",
    ...     "symbol": "BTCUSDT", "is_error": True, "category": "insufficient_funds",
    ...     "reason": "insufficient_margin", "code": 8018, "retryable": False})
    >>> r = toolkit.retries(df)
    >>> r[["reason", "retryable", "chains", "repeats", "longest"]]
                    reason  retryable  chains  repeats  longest
    0  insufficient_margin      False       1        2        3
    >>> int(r.loc[r["retryable"].eq(False), "repeats"].sum())  # repeats retrying could not fix
    2
    """
    func = "retries"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    require(df, ["ts", "is_error", *(c for c in CALL_COLUMNS if c != "method"), *ERROR_COLUMNS, "retryable"], func)
    o, repeat = repeat_chains(df, within, func)
    if not repeat.any():
        return _empty_retries(df)
    t = times(df, func)
    chain = np.cumsum(~repeat) - 1  # chain id of every sorted row
    length = np.bincount(chain)
    head = ~repeat & np.append(repeat[1:], False)  # failures with at least one repeat
    rows = o[repeat | head]
    kind_id, keys = groups(df.take(rows), ["market", "category", "reason"])
    is_rep = repeat[repeat | head]
    ng = len(keys)
    chains = np.bincount(kind_id[~is_rep], minlength=ng)
    reps = np.bincount(kind_id[is_rep], minlength=ng)
    longest = np.zeros(ng, dtype=np.int64)
    np.maximum.at(longest, kind_id[~is_rep], length[chain[repeat | head][~is_rep]])
    rep_rows, rep_kind, rep_t = rows[is_rep], kind_id[is_rep], t[rows[is_rep]]
    first = np.full(ng, np.iinfo(np.int64).max)
    last = np.full(ng, np.iinfo(np.int64).min)
    np.minimum.at(first, rep_kind, rep_t)
    np.maximum.at(last, rep_kind, rep_t)
    out = keys.copy()
    out["reason"] = out["reason"].astype(STRING)
    # a kind's flag is the catalog's: the same on all its rows, so the first head's will do
    heads, head_kind = rows[~is_rep], kind_id[~is_rep]
    first_head = np.zeros(ng, dtype=np.int64)
    first_head[head_kind[::-1]] = heads[::-1]
    out["retryable"] = df["retryable"].astype(pd.BooleanDtype()).take(first_head).reset_index(drop=True)
    out["chains"] = chains.astype(np.int64)
    out["repeats"] = reps.astype(np.int64)
    out["failed_calls"] = (chains + reps).astype(np.int64)
    out["longest"] = longest
    out["first_seen"] = utc(first)
    out["last_seen"] = utc(last)
    out["endpoints"] = pd.array(listing(rep_kind, df["endpoint"].take(rep_rows), ng, "endpoints"), dtype=STRING)
    out["symbols"] = pd.array(listing(rep_kind, df["symbol"].take(rep_rows), ng, "symbols"), dtype=STRING)
    return out.sort_values("repeats", ascending=False, kind="stable").reset_index(drop=True)


def _empty_retries(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        c: (df[c].iloc[:0].reset_index(drop=True) if d is None else pd.Series([], dtype=d))
        for c, d in _RETRY_COLUMNS.items()
    })
