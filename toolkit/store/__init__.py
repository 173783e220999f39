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

import importlib
from typing import TYPE_CHECKING

from ..read.engine import Source, register_source
from ._manifest import StoreError, StoreLockedError, is_store

#: Public names and the module that defines them; each loads on first use (pyarrow.dataset, DuckDB),
#: so that registering the store as a source costs ``import toolkit`` nothing.
_LAZY_NAMES = {
    **dict.fromkeys(("error_rate", "top_errors", "window_sql"), "._analysis"),
    **dict.fromkeys(("STATUSES", "Ingest", "IngestWarning", "ingest"), "._ingest"),
    **dict.fromkeys(("read_calls", "read_rejects"), "._read"),
    "repair": "._repair",
    **dict.fromkeys(("connect", "query"), "._sql"),
}

if TYPE_CHECKING:  # what type checkers see of the names above, which load on first use at run time
    from ._analysis import error_rate, top_errors, window_sql
    from ._ingest import STATUSES, Ingest, IngestWarning, ingest
    from ._read import read_calls, read_rejects
    from ._repair import repair
    from ._sql import connect, query


def __getattr__(name):
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _calls(store, selection):
    from ._read import read_calls

    return read_calls(store, selection)


def _load(store, selection, errors):
    from ._read import _load

    return _load(store, selection, errors)


register_source(Source("store", is_store, _calls, _load))  # read_logs("store/") reads it

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
    "window_sql",
]
