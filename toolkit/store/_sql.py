"""SQL over a store with DuckDB: the views ``calls`` and ``rejects``, results as pandas."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ..errors import ParameterTypeError
from ..selection import Selection
from ..schema import COLUMNS
from ._arrow import _MAPPER, CALLS_SCHEMA, REJECT_SCHEMA
from ._manifest import ADDED, LAYOUT_OF, PART_SCHEMA, Store, parts, reject_parts
from ._read import select_parts
from ._verify import damage, damaged_parts, verify

def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files(store: Store, rels) -> str:
    return "[" + ", ".join(_literal(str(store.path(r))) for r in rels) + "]"


def _empty(con, schema: pa.Schema) -> str:
    """A query of no rows with the columns of ``schema``, typed as DuckDB reads Parquet parts written with it."""
    rel = con.from_arrow(schema.empty_table())
    return "SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in zip(rel.columns, rel.types)) + " WHERE false"


def connect(store, **config):
    """A DuckDB connection with the store's calls and rejects as the views ``calls`` and ``rejects``.

    The views list the parts named in the store's manifest, so what an ingest
    is still writing is never seen, and only parts checked whole (every page's checksum, the footer's columns,
    row count and statistics, what DuckDB reads) when they were written or since they last changed: a damaged
    part is a :class:`toolkit.store.StoreError` naming it, never a wrong answer. ``calls`` has the loader's columns (the
    categoricals as text, ``market`` from the partition path, so a filter on it
    skips whole partitions); DuckDB streams the Parquet files and spills to
    disk, so queries work on stores far larger than memory.

    Parameters
    ----------
    store : path
        The store directory.
    **config
        DuckDB settings, e.g. ``memory_limit="2GB"``, ``threads=4``.

    Returns
    -------
    duckdb.DuckDBPyConnection
        With its time zone set to UTC.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/calls"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> con = toolkit.store.connect(store, memory_limit="1GB")
    >>> con.execute("SELECT count(*) FROM calls WHERE market = 'spot'").fetchone()[0]
    30043
    """
    return open_views(Store(store), None, config)


def open_views(store: Store, window: Selection | None, config: dict):
    """:func:`connect`, with ``calls`` over only the parts that can hold rows of ``window``."""
    import duckdb

    manifest = store.read_manifest()
    chosen = parts(manifest) if window is None else select_parts(manifest, window)
    verify(store, manifest, chosen + reject_parts(manifest))  # only parts checked whole, since they last changed
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")
    rejects = [p["path"] for p in reject_parts(manifest)]
    selects = []
    for layout in range(PART_SCHEMA, 0, -1):  # parts of earlier layouts: what their calls lack reads as ADDED says
        calls = [p["path"] for p in chosen if p.get("schema", 1) == layout]
        if calls:
            columns = ", ".join(c if LAYOUT_OF[c] <= layout else
                                f"{'NULL' if ADDED[c] is None else _literal(ADDED[c])}::VARCHAR AS {c}"
                                for c in COLUMNS)
            selects.append(f"SELECT {columns} FROM read_parquet({_files(store, calls)}, hive_partitioning = true, "
                           "hive_types = {'date': DATE, 'market': VARCHAR})")
    views = {
        "calls": " UNION ALL ".join(selects) if selects else _empty(con, CALLS_SCHEMA),
        "rejects": (f"SELECT {', '.join(REJECT_SCHEMA.names)} FROM read_parquet({_files(store, rejects)})"
                    if rejects else _empty(con, REJECT_SCHEMA)),
    }
    try:
        for name, select in views.items():
            _guard(store, manifest, lambda sql=f"CREATE VIEW {name} AS {select}": con.execute(sql))
    except BaseException:
        con.close()
        raise
    return con


def query(store, sql: str, params=None, **config) -> pd.DataFrame:
    """Run SQL over a store's ``calls`` and ``rejects`` views and return a DataFrame.

    Parameters
    ----------
    store : path
        The store directory.
    sql : str
        Any DuckDB query; ``?`` or ``$name`` placeholders take ``params``.
    params : list or dict, optional
    **config
        DuckDB settings, as for :func:`connect`.

    Returns
    -------
    DataFrame
        Text as ``string[pyarrow]``, integers and booleans as nullable dtypes,
        times as UTC ``datetime64[ns, UTC]``.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/calls"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> toolkit.store.query(store, "SELECT category, count(*) AS calls FROM calls "
    ...                     "WHERE ts >= ? GROUP BY ALL ORDER BY calls DESC LIMIT 2", ["2026-11-18"])
           category  calls
    0            ok  15472
    1  server_error    105
    """
    if not isinstance(sql, str):
        raise ParameterTypeError(f"sql must be a string of SQL, not {type(sql).__name__}")
    con = connect(store, **config)
    try:
        return execute(Store(store), con, sql, params)
    finally:
        con.close()


def execute(store: Store, con, sql: str, params=None) -> pd.DataFrame:
    """Run SQL on a :func:`connect` connection; a damaged part becomes a :class:`StoreError` naming it."""

    def run():
        rel = con.sql(sql, params=params)
        return None if rel is None else rel.to_arrow_table()

    table = _guard(store, None, run)
    return pd.DataFrame() if table is None else to_pandas(table)


def _guard(store: Store, manifest, work):
    """Run ``work``; when DuckDB fails on a file and a part is missing or unreadable, say which."""
    import duckdb

    try:
        return work()
    except duckdb.Error as exc:
        manifest = manifest or store.read_manifest()
        paths = [str(store.path(p["path"])) for p in parts(manifest) + reject_parts(manifest)]
        if not damaged_parts(store, paths):
            raise
        raise damage(store, paths, exc) from None


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A DuckDB result as pandas with the loader's kinds of dtypes; times in UTC at ns."""
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("ns", "UTC"))  # naive times are UTC: the connection's time zone
        elif pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
            col = col.cast(pa.string())
        columns.append(col)
    table = pa.Table.from_arrays(columns, names=table.column_names)
    return table.to_pandas(types_mapper=_MAPPER)


__all__ = ["connect", "query"]
