"""The analysis functions over a store, in DuckDB: :func:`error_rate` and :func:`top_errors`.

DuckDB scans the Parquet parts and reduces them to small tables (calls and
errors per bucket and group; one row per kind of error); pandas then shapes
those exactly as :func:`toolkit.error_rate` and :func:`toolkit.top_errors`
shape theirs, with the same defaults, checks, masks and order. So a store far
larger than memory gives what the pandas functions give on
``toolkit.load_logs(store)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .. import defaults
from .._kernels import OUTCOME_COLUMNS, PATTERN_LENGTH, as_by, as_count, fingerprint, groups, message_masks, utc
from .._kernels import TOP_COLUMNS as _TOP_COLUMNS, listing as _listing
from ..selection import Selection, as_duration
from ..selection import selection as window
from ..schema import DTYPES, STRING, empty_frame
from ._manifest import Store
from ._sql import execute, open_views

_NS = "epoch_ns(ts)"


def _where(win: Selection) -> tuple[str, dict]:
    """SQL conditions and named parameters for a window over the ``calls`` view."""
    terms, params = ["true"], {}
    if win.start is not None:
        terms.append("ts >= $start::TIMESTAMPTZ_NS")
        params["start"] = win.start.isoformat()
    if win.end is not None:
        terms.append("ts < $end::TIMESTAMPTZ_NS")
        params["end"] = win.end.isoformat()
    if win.markets is not None:
        terms.append(f"market IN ({', '.join(f'$market{i}' for i in range(len(win.markets)))})")
        params.update({f"market{i}": m for i, m in enumerate(win.markets)})
    return " AND ".join(terms), params


def _bucket(freq: int) -> str:
    """Floor division of the time in ns by ``freq`` (epoch-aligned buckets, as ``Series.dt.floor``)."""
    return f"CASE WHEN {_NS} >= 0 THEN {_NS} // {freq} ELSE -((-{_NS} - 1) // {freq}) - 1 END"


def _typed(frame: pd.DataFrame, cols: list[str], categories: dict) -> pd.DataFrame:
    """Key columns of a DuckDB result with the loader's dtypes (``categories`` for endpoint/source)."""
    out = frame.copy()
    for c in cols:
        dtype = DTYPES[c]
        if isinstance(dtype, pd.CategoricalDtype):
            if not len(dtype.categories):
                dtype = pd.CategoricalDtype(categories[c])
            out[c] = pd.Categorical(out[c].astype(object).where(out[c].notna(), None), dtype=dtype)
        else:
            out[c] = out[c].astype(dtype)
    return out


def _categories(store: Store, con, cols, where, params) -> dict:
    """Sorted distinct values of the endpoint/source columns in ``cols``, as :func:`toolkit.load_logs` has them."""
    out = {}
    for c in cols:
        if isinstance(DTYPES[c], pd.CategoricalDtype) and not len(DTYPES[c].categories):
            values = execute(store, con, f"SELECT DISTINCT {c} AS v FROM calls WHERE {where} AND {c} IS NOT NULL "
                                         "ORDER BY v", params)["v"]
            out[c] = pd.Index(values.astype(STRING).array, dtype=STRING)
    return out


def error_rate(store, *, freq=defaults.ERROR_RATE_FREQ, by="market", start=None, end=None,
               market=None, **config) -> pd.DataFrame:
    """:func:`toolkit.error_rate` over a store, computed by DuckDB.

    Parameters
    ----------
    store : path
        The store directory.
    freq, by :
        As for :func:`toolkit.error_rate`.
    start, end, market :
        Which calls, as for :func:`toolkit.load_logs`.
    **config
        DuckDB settings, e.g. ``memory_limit="2GB"``.

    Returns
    -------
    DataFrame
        What ``toolkit.error_rate(toolkit.load_logs(store, start=..., end=...,
        market=...), freq=..., by=...)`` returns.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/store"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> toolkit.store.error_rate(store, freq="1h", start="2026-11-18 14:00", end="2026-11-18 16:00")
                             ts market  calls  errors  error_rate
    0 2026-11-18 14:00:00+00:00   spot    192      61    0.317708
    1 2026-11-18 15:00:00+00:00   spot    190       5    0.026316
    """
    func = "error_rate"
    cols = as_by(by, empty_frame(), func)
    f = as_duration(freq, "freq", func)
    win = window(start, end, market)
    store = Store(store)
    call_cols = [c for c in cols if c not in OUTCOME_COLUMNS]
    where, params = _where(win)
    con = open_views(store, win, config)
    try:
        def keys(c):
            return "".join(f", {k}" for k in c)

        calls = execute(store, con, f"SELECT {_bucket(f)} AS bucket{keys(call_cols)}, count(*) AS calls, "
                                    f"count_if(is_error) AS errors FROM calls WHERE {where} GROUP BY ALL", params)
        errs = None
        if len(call_cols) != len(cols):
            errs = execute(store, con, f"SELECT {_bucket(f)} AS bucket{keys(cols)}, count(*) AS errors FROM calls "
                                       f"WHERE {where} AND is_error GROUP BY ALL", params)
        cats = _categories(store, con, cols, where, params)
    finally:
        con.close()
    calls = _typed(calls, call_cols, cats)
    if not len(calls):
        return _empty_rate(cols, cats)
    first = int(calls["bucket"].min())
    nb = int(calls["bucket"].max()) - first + 1
    call_id, call_keys = groups(calls, call_cols)
    call_grid = np.zeros((len(call_keys), nb), np.int64)
    call_grid[call_id, calls["bucket"].to_numpy(np.int64) - first] = calls["calls"].to_numpy(np.int64)
    if errs is None:
        keys_, grid_calls = call_keys, call_grid
        err_grid = np.zeros_like(call_grid)
        err_grid[call_id, calls["bucket"].to_numpy(np.int64) - first] = calls["errors"].to_numpy(np.int64)
    else:
        errs = _typed(errs, cols, cats)
        err_id, keys_ = groups(errs, cols)
        if call_cols:
            where_call = keys_[call_cols].merge(call_keys[call_cols].reset_index(), how="left", on=call_cols)
            of_call = where_call["index"].to_numpy(np.int64)
        else:
            of_call = np.zeros(len(keys_), np.int64)
        grid_calls = call_grid[of_call]
        err_grid = np.zeros((len(keys_), nb), np.int64)
        err_grid[err_id, errs["bucket"].to_numpy(np.int64) - first] = errs["errors"].to_numpy(np.int64)
    ng = len(keys_)
    if max(ng, len(call_keys)) * nb > defaults.MAX_BUCKETS:
        span = pd.Timedelta(nb * f, unit="ns")
        raise ParameterError(f"{func}(): freq={pd.Timedelta(f, unit='ns')} over {span} and {ng:,} group(s) makes "
                         f"{ng * nb:,} buckets; use a larger freq or fewer groups")
    starts = (first + np.arange(nb, dtype=np.int64)) * f
    out = keys_.iloc[np.tile(np.arange(ng), nb)].reset_index(drop=True)
    out.insert(0, "ts", utc(np.repeat(starts, ng)))
    c = grid_calls.T.ravel()
    e = err_grid.T.ravel()
    out["calls"] = c.astype(np.int64)
    out["errors"] = e.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["error_rate"] = np.where(c > 0, e / np.maximum(c, 1), np.nan)
    return out


def _empty_rate(cols, cats) -> pd.DataFrame:
    keys = _typed(pd.DataFrame({c: pd.Series([], dtype=object) for c in cols}), cols, cats)
    out = keys.copy()
    out.insert(0, "ts", utc(np.zeros(0, np.int64)))
    out["calls"] = np.zeros(0, np.int64)
    out["errors"] = np.zeros(0, np.int64)
    out["error_rate"] = np.zeros(0, np.float64)
    return out


def _mask_sql(rules) -> tuple[str, dict]:
    """The masked message in SQL: each rule a ``regexp_replace(.., 'g')``, then the cut to PATTERN_LENGTH."""
    expr, params = "coalesce(message, '')", {}
    for i, (pattern, replacement) in enumerate(rules):
        expr = f"regexp_replace({expr}, $mask{i}, $with{i}, 'g')"
        params.update({f"mask{i}": pattern, f"with{i}": replacement})
    return expr, params


def top_errors(store, *, n: int | None = 10, start=None, end=None, market=None, **config) -> pd.DataFrame:
    """:func:`toolkit.top_errors` over a store, computed by DuckDB.

    Messages are masked with the same rules (:data:`toolkit.analysis.errors.MASKS`
    and the store's symbols), by DuckDB's ``regexp_replace``; the example of a
    group is the message of its first call (by time, then source and line).

    Parameters
    ----------
    store : path
        The store directory.
    n :
        As for :func:`toolkit.top_errors`.
    start, end, market :
        Which calls, as for :func:`toolkit.load_logs`.
    **config
        DuckDB settings, e.g. ``memory_limit="2GB"``.

    Returns
    -------
    DataFrame
        What ``toolkit.top_errors(toolkit.load_logs(store, start=..., end=...,
        market=...), n=...)`` returns.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/store"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> toolkit.store.top_errors(store, n=3)[["reason", "pattern", "count"]]
                   reason            pattern  count
    0        rate_limited     请求频率超限（每秒/每分钟）   3960
    1        rate_limited  Too Many Requests   1362
    2  order_rate_limited             下单频率超限    246
    """
    func = "top_errors"
    if n is not None:
        n = as_count(n, "n", func)
    win = window(start, end, market)
    store = Store(store)
    where, params = _where(win)
    con = open_views(store, win, config)
    try:
        symbols = execute(store, con, f"SELECT DISTINCT symbol FROM calls WHERE {where} AND symbol IS NOT NULL",
                          params)["symbol"].tolist()
        mask, mask_params = _mask_sql(message_masks(symbols))
        first = "{'t': ts, 's': source, 'l': line}"  # a group's first call, in the order of the loaded frame
        sql = f"""
            WITH masked AS (
                SELECT message, CASE WHEN length(p) > {PATTERN_LENGTH} THEN left(p, {PATTERN_LENGTH - 1}) || '…'
                                     ELSE p END AS pattern
                FROM (SELECT message, {mask} AS p
                      FROM (SELECT DISTINCT message FROM calls WHERE {where} AND is_error))
            ), g AS (
                SELECT market, category, reason, code, pattern, count(*) AS count,
                       min(ts) AS first_seen, max(ts) AS last_seen,
                       min({first}) AS first_call, arg_min(c.message, {first}) AS example,
                       list(DISTINCT endpoint) FILTER (WHERE endpoint IS NOT NULL) AS endpoints,
                       list(DISTINCT symbol) FILTER (WHERE symbol IS NOT NULL) AS symbols
                FROM calls AS c JOIN masked ON c.message IS NOT DISTINCT FROM masked.message
                WHERE {where} AND is_error
                GROUP BY market, category, reason, code, pattern
            )
            SELECT *, sum(count) OVER () AS total FROM g
            ORDER BY count DESC, first_call
            {'' if n is None else f'LIMIT {n}'}"""
        top = execute(store, con, sql, params | mask_params)
    finally:
        con.close()
    if not len(top):
        return pd.DataFrame({c: pd.Series([], dtype=DTYPES[c] if d is None else d) for c, d in _TOP_COLUMNS.items()})
    top = _typed(top, ["market", "category", "reason", "code"], {})
    out = pd.DataFrame({
        "market": top["market"], "category": top["category"], "reason": top["reason"].astype(STRING),
        "code": top["code"].astype(pd.Int64Dtype()), "pattern": top["pattern"].astype(STRING),
        "count": top["count"].to_numpy(np.int64),
        "share": top["count"].to_numpy(np.int64) / top["total"].to_numpy(np.int64),
        "first_seen": top["first_seen"].astype(_TOP_COLUMNS["first_seen"]),
        "last_seen": top["last_seen"].astype(_TOP_COLUMNS["last_seen"]),
    })
    out.insert(0, "fingerprint", pd.array([fingerprint(*r) for r in zip(
        out["market"], out["category"], out["reason"], out["code"], out["pattern"])], dtype=STRING))
    rank = np.arange(len(top))
    for col, noun in (("endpoints", "endpoints"), ("symbols", "symbols")):
        lists = [[] if v is None else v for v in top[col]]  # DuckDB gives NULL for a group with none
        gid = np.repeat(rank, [len(v) for v in lists])
        values = pd.Series([x for v in lists for x in v], dtype=object)
        out[col] = pd.array(_listing(gid, values, len(top), noun), dtype=STRING)
    out["example"] = top["example"].astype(STRING)
    return out


__all__ = ["error_rate", "top_errors"]
