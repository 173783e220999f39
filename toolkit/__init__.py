"""Post-mortems for trading bots' Spot and Futures Open API calls.

Load recordings into one tagged DataFrame and ask what failed, where, since
when and why::

    import toolkit
    df = toolkit.load_logs("logs/")
    toolkit.find_incidents(df)
"""

from . import analysis, plots
from .analysis import (
    clock_drift,
    describe_window,
    error_rate,
    find_incidents,
    request_rate,
    retries,
    summary,
    top_errors,
)
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
    "clock_drift",
    "describe_window",
    "error_rate",
    "find_incidents",
    "load_logs",
    "plots",
    "read_logs",
    "request_rate",
    "retries",
    "simulate",
    "summary",
    "top_errors",
]
