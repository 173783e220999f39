"""The post-mortem report: the bundled notebook ``toolkit/report/postmortem.ipynb`` executed with parameters,
as one HTML page.

The notebook ships inside the package (``notebooks/03_postmortem.ipynb`` in a checkout
is a link to it), so the report works from a plain ``pip install``.

:func:`build_report` checks what it is given once, before a kernel starts
(:func:`prepare_report`), then runs the notebook with papermill and converts it
with nbconvert, code hidden, into a page that reads offline (plots are embedded;
:func:`run_report`). The notebook calls :func:`check_parameters` on what it
receives and :func:`load_calls`, so a bad parameter, an empty source or an empty
window stops it with a :class:`ReportError` that says what is wrong, in the
notebook and on the command line alike.

One module per concern: ``_parameters.py`` (the parameters, checked once, and the
one selection of the calls), ``_page.py`` (how tables look on the page),
``_run.py`` (executing and converting the notebook).
"""

from __future__ import annotations

from pathlib import Path

from .._io import write_atomic
from ..errors import ReportError
from ._orders import OrderTables, order_tables
from ._page import styled
from ._parameters import (Calls, Parameters, PreparedReport, check_output, check_parameters, check_source, load_calls,
                          prepare_report, select_calls)
from ._run import NOTEBOOK, NOTEBOOK_ONLY, run_report, to_html

__all__ = ["NOTEBOOK", "NOTEBOOK_ONLY", "Calls", "OrderTables", "Parameters", "PreparedReport", "ReportError", "build_report",
           "check_output", "check_parameters", "check_source", "load_calls", "prepare_report", "run_report",
           "select_calls", "styled", "to_html", "write_atomic"]


def build_report(source, out, *, start=None, end=None, market=None, bot=None, title=None, freq="auto",
                 progress: bool = False,
                 notebook=None, timeout: int = 600) -> Path:
    """Execute the post-mortem notebook on ``source`` and write it as a self-contained HTML page.

    Parameters
    ----------
    source : str, path or list of these
        Recording files, directories or globs, or a store written by
        :func:`toolkit.store.ingest` (then only ``market``'s partitions are read).
    out : str or path
        The HTML file to write. Its folder must exist. The page is written
        whole or not at all.
    start, end, market, bot, title, freq
        As in :func:`check_parameters`.
    progress : bool, default False
        Show a progress bar on stderr while the notebook runs.
    notebook : path, optional
        Another notebook to execute instead of :data:`NOTEBOOK`.
    timeout : int, default 600
        Seconds any one cell may run.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ReportError
        For a bad parameter, a missing output folder, no calls, a market or a bot
        with no calls, an empty window, or any other failure inside the notebook.

    Examples
    --------
    >>> from toolkit.report import build_report
    >>> build_report("data/sample", "build/postmortem.html", market="futures")  # doctest: +SKIP
    PosixPath('build/postmortem.html')
    """
    prepared = prepare_report(source, out, start=start, end=end, market=market, bot=bot, title=title, freq=freq,
                              notebook=notebook)
    return run_report(prepared, progress=progress, timeout=timeout)
