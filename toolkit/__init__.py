"""Post-mortems for trading bots' Spot and Futures Open API calls.

Record a bot's calls (or bring its HAR files, VCR cassettes or text logs),
load them into one tagged DataFrame and ask what failed, where, since when
and why::

    import toolkit
    session = toolkit.attach_recorder(requests.Session(), "logs/calls.jsonl")
    df = toolkit.load_logs("logs/")
    toolkit.find_incidents(df)
"""

import importlib
from importlib import metadata

from . import analysis, store
from .analysis import (
    cause_rules,
    clock_drift,
    describe_window,
    error_rate,
    explain_incidents,
    find_gaps,
    find_incidents,
    request_rate,
    retries,
    summary,
    top_errors,
    uncertain_orders,
)
from .catalog import catalog
from .endpoints import endpoints
from .errors import CatalogError, ParameterError, ReportError, StoreError, ToolkitError
from .read import Load, LogFormatError, RejectWarning, load_logs, read_logs
from .record import RecordingWarning, attach_recorder, recording_session
from .schema import CATEGORIES, COLUMNS, MARKETS
from .scrub import scrub
from .simulation import simulate

try:
    __version__ = metadata.version("toolkit")
except metadata.PackageNotFoundError:  # pragma: no cover - imported from a source tree that was never installed
    __version__ = "0+unknown"

# modules that pull in heavy libraries (matplotlib, ipywidgets, papermill, nbconvert, ...) load on first use;
# toolkit.dask needs the optional dask extra, so it is not in __all__
_LAZY_MODULES = ("plots", "dask", "report", "widgets")


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "CatalogError",
    "MARKETS",
    "ParameterError",
    "ReportError",
    "StoreError",
    "ToolkitError",
    "Load",
    "LogFormatError",
    "RecordingWarning",
    "RejectWarning",
    "attach_recorder",
    "catalog",
    "cause_rules",
    "clock_drift",
    "describe_window",
    "endpoints",
    "error_rate",
    "explain_incidents",
    "find_gaps",
    "find_incidents",
    "load_logs",
    "plots",
    "read_logs",
    "recording_session",
    "report",
    "request_rate",
    "retries",
    "scrub",
    "simulate",
    "store",
    "summary",
    "top_errors",
    "uncertain_orders",
    "widgets",
    "__version__",
]
