"""Post-mortems for trading bots' Spot and Futures Open API calls.

Load recordings into one tagged DataFrame and ask what failed, where, since
when and why::

    import toolkit
    df = toolkit.load_logs("logs/")
"""

from . import analysis
from .analysis import summary
from .catalog import catalog
from .read import Load, LogFormatError, RejectWarning, load_logs, read_logs
from .schema import CATEGORIES, COLUMNS, MARKETS
from .simulation import simulate

#: Submodules imported on first use: they pull in ipywidgets, papermill and nbconvert, which
#: ``import toolkit`` should not wait for.
_LAZY = ("report", "widgets")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "summary",
]
