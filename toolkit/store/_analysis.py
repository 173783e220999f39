"""The analysis functions over a store, in DuckDB: :func:`error_rate` and :func:`top_errors`.

DuckDB scans the Parquet parts and reduces them to small tables (calls and
errors per bucket and group; one row per kind of error); the kernels that
:func:`toolkit.error_rate` and :func:`toolkit.top_errors` build their tables
with (:func:`toolkit._grid.count_grid`, :func:`~toolkit._grid.rate_frame`,
:func:`toolkit._fingerprint.top_table`) then shape those, with the same defaults,
checks, masks and order. So a store far
larger than memory gives what the pandas functions give on
``toolkit.load_logs(store)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import defaults
from .._fingerprint import PATTERN_LENGTH, message_masks, top_table
from .._grid import OUTCOME_COLUMNS, count_grid, rate_frame
from ..selection import Selection, as_by, as_count, as_duration
from ..selection import selection as window
from ..schema import DTYPES, STRING, empty_frame
from ._manifest import Store
from ._sql import execute, open_views

_NS = "epoch_ns(ts)"


def window_sql(win: Selection) -> tuple[str, dict]:
    """SQL conditions and named parameters for a window (times, markets, bots) over the ``calls`` view: the one
    way a store's readers narrow it in SQL."""
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
    if win.bots is not None:
        terms.append(f"bot IN ({', '.join(f'$bot{i}' for i in range(len(win.bots)))})")
        params.update({f"bot{i}": b for i, b in enumerate(win.bots)})
    return " AND ".join(terms), params


def _bucket(freq: int) -> str:
    """Floor division of the time in ns by ``freq`` (epoch-aligned buckets, as ``Series.dt.floor``)."""
    return f"CASE WHEN {_NS} >= 0 THEN {_NS} // {freq} ELSE -((-{_NS} - 1) // {freq}) - 1 END"


def _typed(frame: pd.DataFrame, cols: list[str], categories: dict) -> pd.DataFrame:
    """Key columns of a DuckDB result with the loader's dtypes (``categories`` for path, endpoint and source)."""
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
    """Sorted distinct values of the path, endpoint and source columns in ``cols``, as :func:`toolkit.load_logs` has them."""
    out = {}
    for c in cols:
        if isinstance(DTYPES[c], pd.CategoricalDtype) and not len(DTYPES[c].categories):
            values = execute(store, con, f"SELECT DISTINCT {c} AS v FROM calls WHERE {where} AND {c} IS NOT NULL "
                                         "ORDER BY v", params)["v"]
            out[c] = pd.Index(values.astype(STRING).array, dtype=STRING)
    return out


def error_rate(store, *, freq=defaults.ERROR_RATE_FREQ, by="market", start=None, end=None,
               market=None, bot=None, **config) -> pd.DataFrame:
    """:func:`toolkit.error_rate` over a store, computed by DuckDB.

    Parameters
    ----------
    store : path
        The store directory.
    freq, by :
        As for :func:`toolkit.error_rate`.
    start, end, market :
        Which calls, as for :func:`toolkit.load_logs`.
    bot : str or list of str, optional
        Only the calls of these bots, as for :func:`toolkit.error_rate`.
    **config
        DuckDB settings, e.g. ``memory_limit="2GB"``.

    Returns
    -------
    DataFrame
        What ``toolkit.error_rate(toolkit.load_logs(store, start=..., end=...,
        market=...), bot=..., freq=..., by=...)`` returns.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/store"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> toolkit.store.error_rate(store, freq="1h", start="2026-11-18 14:00", end="2026-11-18 16:00")
                             ts market  calls  errors  error_rate
    0 2026-11-18 14:00:00+00:00   spot    207      61    0.294686
    1 2026-11-18 15:00:00+00:00   spot    190       5    0.026316
    """
    func = "error_rate"
    cols = as_by(by, empty_frame(), func)
    f = as_duration(freq, "freq", func)
    win = window(start, end, market, func, bot=bot)
    store = Store(store)
    where, params = window_sql(win)
    # one row per bucket and group with its calls and errors; an outcome column holds the outcome of the
    # row's errors (NULL for the calls that succeeded), which is all count_grid needs to split them
    keys = "".join(f", {c}" if c not in OUTCOME_COLUMNS else f", CASE WHEN is_error THEN {c} END AS {c}"
                   for c in cols)
    con = open_views(store, win, config)
    try:
        counts = execute(store, con, f"SELECT {_bucket(f)} AS bucket{keys}, count(*) AS calls, "
                                     f"count_if(is_error) AS errors FROM calls WHERE {where} GROUP BY ALL", params)
        # the categories of the calls loaded for the window, whichever bots are kept of them
        cats = _categories(store, con, cols, *window_sql(dataclasses.replace(win, bots=None)))
    finally:
        con.close()
    counts = _typed(counts, cols, cats)
    return rate_frame(count_grid(counts, counts["bucket"].to_numpy(np.int64), counts["errors"].to_numpy(np.int64),
                                 cols, freq=f, func=func, calls=counts["calls"].to_numpy(np.int64)))


def _mask_sql(rules) -> tuple[str, dict]:
    """The masked message in SQL: each rule a ``regexp_replace(.., 'g')``, then the cut to PATTERN_LENGTH."""
    expr, params = "coalesce(message, '')", {}
    for i, (pattern, replacement) in enumerate(rules):
        expr = f"regexp_replace({expr}, $mask{i}, $with{i}, 'g')"
        params.update({f"mask{i}": pattern, f"with{i}": replacement})
    return expr, params


def top_errors(store, *, n: int | None = 10, start=None, end=None, market=None, bot=None,
               **config) -> pd.DataFrame:
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
    bot : str or list of str, optional
        Only the calls of these bots, as for :func:`toolkit.top_errors`.
    **config
        DuckDB settings, e.g. ``memory_limit="2GB"``.

    Returns
    -------
    DataFrame
        What ``toolkit.top_errors(toolkit.load_logs(store, start=..., end=...,
        market=...), bot=..., n=...)`` returns.

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
    win = window(start, end, market, func, bot=bot)
    store = Store(store)
    where, params = window_sql(win)
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
    top = _typed(top, ["market", "category", "reason", "code"], {})
    total = int(top["total"].iloc[0]) if len(top) else 0
    pairs = {}
    for col in ("endpoints", "symbols"):
        lists = [[] if v is None else v for v in top[col]]  # DuckDB gives NULL for a group with none
        pairs[col] = (np.repeat(np.arange(len(top)), [len(v) for v in lists]),
                      pd.Series([x for v in lists for x in v], dtype=object))
    return top_table(top, total=total, **pairs)


__all__ = ["error_rate", "top_errors", "window_sql"]
