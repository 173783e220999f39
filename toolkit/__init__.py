"""Post-mortems for trading bots' Spot and Futures Open API calls.

Record a bot's calls (or bring its HAR files, VCR cassettes or text logs),
load them into one tagged DataFrame and ask what failed, where, since when
and why::

    import toolkit
    session = toolkit.attach_recorder(requests.Session(), "logs/calls.jsonl")
    df = toolkit.load_logs("logs/")
"""

from . import analysis, store
from .analysis import summary
from .catalog import catalog
from .read import Load, LogFormatError, RejectWarning, load_logs, read_logs
from .record import RecordingWarning, attach_recorder, recording_session
from .schema import CATEGORIES, COLUMNS, MARKETS
from .scrub import scrub
from .simulation import simulate

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "MARKETS",
    "Load",
    "LogFormatError",
    "RecordingWarning",
    "RejectWarning",
    "attach_recorder",
    "catalog",
    "load_logs",
    "read_logs",
    "recording_session",
    "scrub",
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
