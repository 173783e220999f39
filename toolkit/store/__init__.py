"""A Parquet store of recorded calls: ingest once, read windows fast, query with DuckDB.

::

    import toolkit
    toolkit.store.ingest("logs/", "store/")          # again later: only what is new
    df = toolkit.load_logs("store/", start="2026-11-18", end="2026-11-19", market="futures")
    toolkit.store.query("store/", "SELECT reason, count(*) FROM calls GROUP BY ALL")
    toolkit.store.error_rate("store/", freq="5min", by="market")   # as toolkit.error_rate, in DuckDB

The store is a directory of Parquet files partitioned by UTC date and
market (``calls/date=.../market=.../``), the rejected lines beside them
(``rejects/``), and a manifest saying what was read from each recording.
Only :func:`ingest` and :func:`repair` write to it, one at a time.
"""

from ..read._sources import Source, register_source
from ._analysis import error_rate, top_errors
from ._ingest import STATUSES, Ingest, IngestWarning, ingest
from ._manifest import StoreError, StoreLockedError, is_store
from ._read import _load, read_calls, read_rejects, repair
from ._sql import connect, query

register_source(Source("store", is_store, read_calls, _load))  # read_logs("store/") reads it

__all__ = [
    "STATUSES",
    "Ingest",
    "IngestWarning",
    "StoreError",
    "StoreLockedError",
    "connect",
    "error_rate",
    "ingest",
    "is_store",
    "query",
    "read_rejects",
    "repair",
    "top_errors",
]
