"""The toolkit's own errors, under one base class.

Every failure the toolkit means to report (a recording it cannot read, a bad
parameter, a store it cannot use, a post-mortem it cannot make) is a
:class:`ToolkitError`; the ``toolkit`` command prints those as one line and
exits with status 2. Anything else is a bug and keeps its traceback.

Each class also derives from the built-in exception it used to be
(``ValueError``, ``RuntimeError``), so older ``except`` clauses still catch it.

Examples
--------
>>> import toolkit
>>> issubclass(toolkit.LogFormatError, toolkit.ToolkitError)
True
>>> try:
...     toolkit.error_rate(toolkit.load_logs("data/sample"), start=5)
... except toolkit.ToolkitError as exc:
...     print(exc)
error_rate(): start must be a time such as '2026-11-16 21:05' (UTC), not the bare number 5 (a time is a string, a
Timestamp or a datetime)
"""

from __future__ import annotations

__all__ = ["CatalogError", "LogFormatError", "NoCallsError", "ParameterError", "ParameterTypeError", "ReportError",
           "StoreError", "StoreLockedError", "ToolkitError"]


class ToolkitError(Exception):
    """Base of the errors the toolkit raises on purpose, with a message meant for the user."""


class ParameterError(ToolkitError, ValueError):
    """A parameter that cannot be used: the message names it and repeats the bad value."""


class ParameterTypeError(ParameterError, TypeError):
    """A parameter of the wrong kind (a number where a path or a mapping belongs): also a ``TypeError``."""


class LogFormatError(ToolkitError, ValueError):
    """A recording could not be read: names the file and, where one is to blame, the line."""


class CatalogError(ToolkitError, ValueError):
    """A packaged or edited table of ``toolkit/data/`` (``catalog.csv``, ``endpoints.csv``, ...) that cannot be used."""


class StoreError(ToolkitError, RuntimeError):
    """A store cannot be read or written: names the store, the file to blame and what to do."""


class StoreLockedError(StoreError):
    """Another ingest is writing to the store."""


class ReportError(ToolkitError, ValueError):
    """A post-mortem that cannot be made: a bad parameter, no calls, an empty window."""


class NoCallsError(ReportError):
    """Nothing to report: the source holds no calls, or none in the window, market or bot asked for.

    The command line ends such a run with status 1, every other error of the toolkit with 2.
    """
