"""The post-mortem report: the bundled notebook ``toolkit/postmortem.ipynb`` executed with parameters, as one HTML page.

The notebook ships inside the package (``notebooks/03_postmortem.ipynb`` in a checkout
is a link to it), so the report works from a plain ``pip install``.

:func:`build_report` runs the notebook with papermill and converts it with
nbconvert, code hidden, into a page that reads offline (plots are embedded).
The notebook itself calls :func:`check_parameters` and :func:`select_calls`,
so a bad parameter, an empty source or an empty window stops it with a
:class:`ReportError` that says what is wrong, in the notebook and on the
command line alike.
"""

from __future__ import annotations

import html
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import defaults
from ._io import write_atomic
from ._words import time_stamp, time_words, window_words
from .errors import ParameterError, ReportError
from .schema import MARKETS
from .selection import as_markets, as_window, select, times

__all__ = ["FINDINGS", "NOTEBOOK", "NOTEBOOK_ONLY", "Parameters", "ReportError", "build_report", "check_output",
           "check_parameters", "check_source", "findings", "select_calls", "styled", "to_html", "write_atomic"]

#: The notebook :func:`build_report` executes.
NOTEBOOK = Path(__file__).resolve().parent / "postmortem.ipynb"

#: Cells with this tag are for people reading the notebook (how to point it at your own
#: recordings, ...) and are left out of the HTML report.
NOTEBOOK_ONLY = "notebook-only"

_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Text columns whose values are all this short never wrap in the report's tables; longer ones do.
_SHORT_TEXT = 12
_break_after = re.compile(r"(?<=.)([_/])(?=.)")


@dataclass(frozen=True)
class Parameters:
    """The notebook's parameters, checked: sources as a list, times as UTC Timestamps."""

    source: list[str]
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    market: str | None
    title: str


def _checked(check, *args):
    """A check of :mod:`toolkit.selection`, its ParameterError as the report's ReportError."""
    try:
        return check(*args)
    except ParameterError as exc:
        raise ReportError(str(exc)) from None


def _label(ts: pd.Timestamp | None, missing: str) -> str:
    return missing if ts is None else time_stamp(ts)


def check_parameters(source, start=None, end=None, market=None, title=None) -> Parameters:
    """Check the post-mortem's parameters before anything is loaded.

    Parameters
    ----------
    source : str, path or list of these
        Recording files, directories or globs, as :func:`toolkit.load_logs` takes them.
    start, end : str, Timestamp, datetime or None
        The window to examine, ``start`` included, ``end`` excluded; naive times
        are UTC. ``None`` means the start or end of the recording.
    market : {"spot", "futures", "unknown"} or None
        One market, or ``None`` for all.
    title : str or None
        The report's heading; ``None`` or ``""`` makes one from the market and the window.

    Returns
    -------
    Parameters

    Raises
    ------
    ReportError
        Naming the parameter and repeating the bad value.

    Examples
    --------
    >>> from toolkit.report import check_parameters
    >>> p = check_parameters("data/sample", start="2026-11-18 14:00", market="spot")
    >>> p.start
    Timestamp('2026-11-18 14:00:00+0000', tz='UTC')
    >>> p.title
    'Post-mortem: spot, 2026-11-18 14:00 to end UTC'
    >>> check_parameters("data/sample", start=5)
    Traceback (most recent call last):
    ...
    toolkit.errors.ReportError: start must be a time such as '2026-11-16 21:05' (UTC), not the bare number 5 (a time ...
    """
    sources = list(source) if isinstance(source, (list, tuple)) else [source]
    if not sources or not all(isinstance(s, (str, os.PathLike)) and str(s) for s in sources):
        raise ReportError(f"source must be a path, a glob or a list of these, not {source!r}")
    t0, t1 = _checked(as_window, start, end)
    if market is not None and not isinstance(market, str):
        raise ReportError(f"market must be one of {', '.join(MARKETS)} or None, not {market!r}")
    _checked(as_markets, market)
    if title is not None and not isinstance(title, str):
        raise ReportError(f"title must be a string or None, not {title!r}")
    if not title:
        title = "Post-mortem: " + (market or "all markets")
        if t0 is not None or t1 is not None:
            title += f", {_label(t0, 'start')} to {_label(t1, 'end')} UTC"
    return Parameters([os.fspath(s) for s in sources], t0, t1, market, title)


def select_calls(df: pd.DataFrame, *, start=None, end=None, market=None) -> pd.DataFrame:
    """The calls of ``df`` in ``[start, end)`` and ``market``, or a ReportError saying why there are none.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market
        As in :func:`check_parameters`.

    Returns
    -------
    DataFrame
        A new frame, sorted by time; ``df`` is left as it is.

    Raises
    ------
    ReportError
        When ``df`` has no calls, ``market`` has none, or the window holds none.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.report import select_calls
    >>> df = pd.DataFrame({"ts": pd.to_datetime(["2026-11-16 21:01", "2026-11-16 21:02"], utc=True),
    ...                    "market": ["spot", "futures"]})
    >>> len(select_calls(df, market="spot"))
    1
    >>> select_calls(df, start="2026-11-17")
    Traceback (most recent call last):
    ...
    toolkit.errors.ReportError: no calls from 2026-11-17 00:00:00 UTC to the end: the recording runs from ...
    """
    if df.empty:
        raise ReportError("the source holds no calls: nothing to report on")
    t0, t1 = _checked(as_window, start, end)
    if market is not None:
        _checked(as_markets, market)
        present = [m for m in MARKETS if (df["market"] == m).any()]
        if market not in present:
            raise ReportError(f"market {market!r} has no calls in the data; it holds {', '.join(present)}")
    df = select(df, market=market)
    out = select(df, start=t0, end=t1).sort_values("ts", kind="stable")
    if out.empty:
        window = (f"from {time_stamp(t0, seconds=True)} UTC" if t0 is not None else "from the start") + (
            f" to {time_stamp(t1, seconds=True)} UTC" if t1 is not None else " to the end")
        where = f" on {market}" if market else ""
        first, last = (time_stamp(t, seconds=True) for t in (df["ts"].min(), df["ts"].max()))
        raise ReportError(f"no calls{where} {window}: the recording runs from {first} to {last} UTC")
    return out


#: Columns of :func:`findings`.
FINDINGS = ["when", "market", "side", "cause", "finding", "impact", "evidence"]


def findings(df: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """The closing table of a post-mortem: one row per incident, with evidence from its own window.

    Parameters
    ----------
    df : DataFrame
        The calls the incidents were found in.
    incidents : DataFrame
        What :func:`toolkit.find_incidents` returns for ``df``.

    Returns
    -------
    DataFrame
        ``when`` (the incident's window, UTC), ``market``, ``side`` and ``cause``
        (whose fault), ``finding`` (its category and main reason), ``impact``
        (failed calls against the baseline) and ``evidence``: the cause's
        evidence (:func:`toolkit.explain_incidents`), the failing calls the bot
        repeated in the window (and whether retrying could have helped) and the
        endpoint most hit, every figure measured between the incident's start and
        end. In the incidents' order.

    Examples
    --------
    >>> import numpy as np, pandas as pd, toolkit
    >>> from toolkit.report import findings
    >>> ts = pd.date_range("2026-11-19 00:00", periods=6 * 600, freq="6s", tz="UTC")
    >>> failed = (ts >= "2026-11-19 02:10") & (ts < "2026-11-19 02:20") | (np.arange(len(ts)) % 50 == 0)
    >>> df = pd.DataFrame({"ts": ts, "market": "futures", "method": "POST", "symbol": "BTCUSDT",
    ...                    "endpoint": "/api/v1/futures/open-api/order/create", "is_error": failed,
    ...                    "category": np.where(failed, "insufficient_funds", "ok"),
    ...                    "reason": np.where(failed, "insufficient_margin", "ok"), "retryable": ~failed})
    >>> row = findings(df, toolkit.find_incidents(df)).iloc[0]
    >>> row["when"], row["side"], row["cause"], row["impact"]
    ('Thu 19 Nov 02:10–02:20', 'client', 'client_funds', '100 of 100 calls failed (100%; baseline 2.0%)')
    >>> print(row["evidence"])  # doctest: +NORMALIZE_WHITESPACE
    100 calls failed for want of funds or margin (insufficient_margin 100%); the bot repeated 99 failing calls that
    retrying cannot fix (insufficient_margin); most failures on /api/v1/futures/open-api/order/create
    """
    from .analysis import explain_incidents

    if incidents.empty:
        return pd.DataFrame(columns=FINDINGS)
    explained = explain_incidents(df, incidents)
    t = times(df, "findings")
    market = df["market"].astype(str).to_numpy()
    rows = []
    for inc, ex in zip(incidents.itertuples(), explained.itertuples()):
        evidence = [ex.evidence]
        if inc.repeats:
            sel = (t >= inc.start.value) & (t < inc.end.value) & (market == str(inc.market))
            failed = df[sel & df["is_error"].to_numpy(dtype=bool, na_value=False)]
            top = failed[(failed["reason"] == inc.top_reason).to_numpy(dtype=bool, na_value=False)]
            futile = "retryable" in top and len(top) and top["retryable"].eq(False).all()
            tail = f" that retrying cannot fix ({inc.top_reason})" if futile else ""
            evidence.append(f"the bot repeated {inc.repeats:,} failing call{'s' if inc.repeats != 1 else ''}{tail}")
        evidence.append(f"most failures on {inc.top_endpoint}")
        rows.append([window_words(inc.start, inc.end), str(inc.market), str(inc.side), str(inc.cause),
                     f"{inc.category}: {inc.top_reason}",
                     f"{inc.errors:,} of {inc.calls:,} calls failed ({inc.error_rate:.0%}; "
                     f"baseline {inc.baseline_rate:.1%})", "; ".join(evidence)])
    return pd.DataFrame(rows, columns=FINDINGS)


def styled(df: pd.DataFrame, *, rows: int | None = None):
    """``df`` for display in the report: no index, times as 'Mon 16 Nov 21:20', rates and shares as percentages.

    Text is HTML-escaped (messages come from the exchange and gateways) and left-aligned.
    Times, numbers and short words do not wrap; long text (messages, patterns, paths)
    wraps and breaks anywhere it must, so that the table fits the page. Returns a
    pandas ``Styler``; ``rows`` keeps only the first rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.report import styled
    >>> t = pd.DataFrame({"start": [pd.Timestamp("2026-11-16 21:20", tz="UTC")], "error_rate": [0.727]})
    >>> t["pattern"] = ["port=<num>"]
    >>> page = styled(t).to_html()
    >>> "Mon 16 Nov 21:20" in page and "72.7%" in page and "port=&lt;num&gt;" in page
    True
    """
    df = df if rows is None else df.head(rows)
    formats, times, text = {}, [], []
    for c in df.columns:
        dtype = df[c].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            formats[c] = lambda v: defaults.MISSING if pd.isna(v) else time_words(v)
            times.append(c)
        elif pd.api.types.is_float_dtype(dtype) and str(c).endswith(("rate", "share")):
            formats[c] = lambda v: defaults.MISSING if pd.isna(v) else f"{v:.1%}"
        elif pd.api.types.is_float_dtype(dtype):
            formats[c] = lambda v: defaults.MISSING if pd.isna(v) else f"{v:,.1f}"
        elif not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            text.append(c)
    long = [c for c in text if df[c].astype(str).str.len().max() > _SHORT_TEXT] if len(df) else []
    # names and paths (no spaces: categories, reasons, endpoints) break only after "_" and "/"
    names = [c for c in long if not df[c].astype(str).str.contains(r"\s").any()]
    for c in names:
        formats[c] = lambda v: defaults.MISSING if pd.isna(v) else _break_after.sub(r"\1<wbr>", str(v))
    return (df.style.format(formats, na_rep=defaults.MISSING, escape="html").hide(axis="index")
            .set_properties(subset=text + times, **{"text-align": "left"})
            .set_properties(subset=[c for c in df.columns if c not in long], **{"white-space": "nowrap"})
            .set_properties(subset=long, **{"min-width": "6em"})
            .set_properties(subset=names, **{"overflow-wrap": "normal"})
            .format_index(lambda c: html.escape(str(c)).replace("_", "_<wbr>"), axis="columns")  # error_<wbr>rate
            .set_table_styles([{"selector": "th", "props": "text-align: left"}]))


def check_source(source) -> list[str]:
    """The files ``source`` names, or a ReportError when a path or glob names none (checked before a kernel starts).

    Examples
    --------
    >>> from toolkit.report import check_source
    >>> check_source(["data/sample/no-such-file.jsonl"])
    Traceback (most recent call last):
    ...
    toolkit.errors.ReportError: no such recording: 'data/sample/no-such-file.jsonl'
    """
    from .read.engine import expand

    files = []
    for s in source:
        try:
            found = expand(s)
        except FileNotFoundError as exc:
            raise ReportError(str(exc)) from None
        if not found and not _is_store(s):
            raise ReportError(f"the folder {str(s)!r} holds no recordings (.jsonl, .har, .yaml, .log, ... or .gz)")
        files.extend(found)
    return files


def _is_store(path) -> bool:
    from .store import is_store

    return is_store(path)


def check_output(out) -> Path:
    """``out`` as a Path, or a ReportError when it cannot be written: a folder, or in a folder that does not exist."""
    if not isinstance(out, (str, os.PathLike)) or not str(out):
        raise ReportError(f"out must be a file path such as 'postmortem.html', not {out!r}")
    path = Path(out).expanduser()
    if path.is_dir():
        raise ReportError(f"{str(path)!r} is a folder; give a file name such as {str(path / 'postmortem.html')!r}")
    if not path.parent.is_dir():
        raise ReportError(f"the folder {str(path.parent)!r} for {path.name!r} does not exist")
    return path


def _execute(params: Parameters, notebook: Path, cwd: Path, progress: bool, timeout: int):
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    values = {
        "source": params.source if len(params.source) > 1 else params.source[0],
        "start": None if params.start is None else params.start.isoformat(),
        "end": None if params.end is None else params.end.isoformat(),
        "market": params.market,
        "title": params.title,
    }
    quiet = logging.getLogger("papermill")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # papermill warns about optional formatters it does not find
    try:
        return papermill.execute_notebook(
            str(notebook), None, parameters=values, cwd=str(cwd), progress_bar=progress,
            kernel_name="python3", execution_timeout=timeout, request_save_on_cell_execute=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"])  # not its notice about plain TCP on localhost
    except PapermillExecutionError as exc:
        if exc.ename == "KeyboardInterrupt":  # ^C reached the kernel too: one interruption, not its traceback
            raise KeyboardInterrupt from None
        if exc.ename == "ReportError":
            raise ReportError(exc.evalue) from None
        raise ReportError(f"the post-mortem notebook failed in cell {exc.exec_count}: "
                          f"{exc.ename}: {exc.evalue}") from None
    except NoSuchKernel:
        raise ReportError("no Jupyter kernel named python3: install ipykernel in this environment") from None
    except CellTimeoutError:
        raise ReportError(f"a cell of the post-mortem notebook ran longer than {timeout} s") from None
    except DeadKernelError as exc:
        raise ReportError(f"the notebook's kernel died ({exc}); is the machine short of memory?") from None
    finally:
        quiet.setLevel(level)


def to_html(nb, title: str) -> str:
    """The executed notebook as one self-contained HTML page, code and notebook-only cells left out."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(_TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY}), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def build_report(source, out, *, start=None, end=None, market=None, title=None, progress: bool = False,
                 notebook=None, timeout: int = 600) -> Path:
    """Execute the post-mortem notebook on ``source`` and write it as a self-contained HTML page.

    Parameters
    ----------
    source : str, path or list of these
        Recording files, directories or globs.
    out : str or path
        The HTML file to write. Its folder must exist. The page is written
        whole or not at all.
    start, end, market, title
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
        For a bad parameter, a missing output folder, no calls, a market with no
        calls, an empty window, or any other failure inside the notebook.

    Examples
    --------
    >>> from toolkit.report import build_report
    >>> build_report("data/sample", "build/postmortem.html", market="futures")  # doctest: +SKIP
    PosixPath('build/postmortem.html')
    """
    params = check_parameters(source, start, end, market, title)
    path = check_output(out)
    nb_path = Path(notebook) if notebook is not None else NOTEBOOK
    if not nb_path.is_file():
        raise ReportError(f"the notebook {str(nb_path)!r} does not exist")
    params = Parameters([str(Path(s).expanduser().absolute()) for s in params.source], params.start, params.end,
                        params.market, params.title)
    check_source(params.source)
    nb = _execute(params, nb_path, path.parent, progress, timeout)
    page = to_html(nb, params.title)
    return write_atomic(path, page)
