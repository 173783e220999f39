"""Post-mortems for trading bots' Spot and Futures Open API calls.

Load recordings into one tagged DataFrame and ask what failed, where, since
when and why::

    import toolkit
    df = toolkit.load_logs("logs/")
"""

from . import analysis, store
from .analysis import summary
from .catalog import catalog
from .read import Load, LogFormatError, RejectWarning, load_logs, read_logs
from .schema import CATEGORIES, COLUMNS, MARKETS
from .simulation import simulate

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "MARKETS",
    "Load",
    "LogFormatError",
    "RejectWarning",
    "catalog",
    "load_logs",
    "read_logs",
    "simulate",
    "store",
    "summary",
]


def __getattr__(name):
    # toolkit.dask is imported on first use: dask is optional, and slow to import
    if name == "dask":
        import importlib

        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
