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
import os as _os
import signal as _signal
import sys as _sys
from typing import TYPE_CHECKING


def _interrupted_while_starting(signum, frame):  # pragma: no cover - the command line, before main() runs
    _os.write(2, b"toolkit: interrupted; nothing was written\n")
    _os._exit(130)


# the ``toolkit`` command (or ``python -m toolkit``): ^C while the libraries load is one line too, not a traceback
if _sys.argv and (_sys.argv[0] == "-m" or _os.path.basename(_sys.argv[0]) == "toolkit") \
        and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
    _signal.signal(_signal.SIGINT, _interrupted_while_starting)

from .classify import catalog, endpoints
from .errors import (CatalogError, LogFormatError, NoCallsError, ParameterError, ParameterTypeError, ReportError,
                     StoreError, StoreLockedError, ToolkitError)
from .read import Load, RejectWarning, load_logs, read_logs
from .schema import CATEGORIES, COLUMNS, MARKETS
from . import store  # registers the store as a source read_logs opens; its functions load on first use
from .scrub import scrub  # eager: the function shares its module's name, which a later import would put back

# Loading needs only the readers: everything else loads on first use, so ``import toolkit; toolkit.load_logs(...)``
# pays for neither the analysis, the store's readers and SQL (pyarrow.dataset, DuckDB), the recorder nor matplotlib, ipywidgets,
# papermill or nbconvert. toolkit.dask needs the optional dask extra, so it is not in __all__.
_LAZY_MODULES = ("analysis", "dask", "plots", "record", "report", "simulation", "widgets")
#: Public names defined in a module that loads on first use: {name: module}.
_LAZY_NAMES = {
    **dict.fromkeys(("bot_summary", "cause_rules", "clock_drift", "clock_offsets", "describe_window", "error_rate", "explain_incidents", "find_gaps",
                     "find_incidents", "findings", "orders", "request_rate", "retries", "summary", "top_errors",
                     "uncertain_orders", "verdict", "whose_fault", "feed_drops", "reconnects", "sequence_gaps", "stale_streams",
                     "ws_sessions", "ws_streams"),
                    "analysis"),
    **dict.fromkeys(("RecordingWarning", "attach_recorder", "recording_session"), "record"),
    "simulate": "simulation",
}

if TYPE_CHECKING:  # what type checkers see of the names above, which load on first use at run time
    from . import analysis, plots, record, report, simulation, widgets
    from .analysis import (cause_rules, clock_drift, clock_offsets, describe_window, error_rate, explain_incidents,
                           feed_drops, find_gaps, find_incidents, reconnects, request_rate, retries, sequence_gaps,
                           stale_streams, top_errors, uncertain_orders, verdict, whose_fault, ws_sessions, ws_streams)
    from .analysis.findings import findings  # the functions, not the modules of the same names
    from .analysis.orders import orders
    from .analysis.summary import bot_summary, summary
    from .record import RecordingWarning, attach_recorder, recording_session
    from .simulation import simulate


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
        globals()[name] = value  # looked up once
        return value
    if name == "__version__":
        from importlib import metadata

        from .defaults import DISTRIBUTION

        try:
            version = metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:  # pragma: no cover - imported from a source tree never installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_LAZY_MODULES))


__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "CatalogError",
    "MARKETS",
    "NoCallsError",
    "ParameterError",
    "ParameterTypeError",
    "ReportError",
    "StoreError",
    "StoreLockedError",
    "ToolkitError",
    "Load",
    "analysis",
    "LogFormatError",
    "RecordingWarning",
    "RejectWarning",
    "attach_recorder",
    "bot_summary",
    "catalog",
    "cause_rules",
    "clock_drift",
    "clock_offsets",
    "describe_window",
    "endpoints",
    "error_rate",
    "explain_incidents",
    "find_gaps",
    "find_incidents",
    "findings",
    "load_logs",
    "plots",
    "read_logs",
    "recording_session",
    "report",
    "orders",
    "request_rate",
    "retries",
    "scrub",
    "simulate",
    "store",
    "summary",
    "top_errors",
    "uncertain_orders",
    "verdict",
    "whose_fault",
    "feed_drops",
    "reconnects",
    "sequence_gaps",
    "stale_streams",
    "ws_sessions",
    "ws_streams",
    "widgets",
    "__version__",
]
