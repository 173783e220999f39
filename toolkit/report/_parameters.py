"""What a post-mortem is asked for, checked once, and the calls it reports on, read and selected once.

:func:`prepare_report` checks everything :func:`toolkit.report.build_report` is given
before a kernel starts (the parameters, the sources, the output file, the notebook);
inside the notebook, :func:`check_parameters` checks what the notebook received (it may
be run by hand) and :func:`load_calls` reads the calls and selects those of the window
and the market, by the rules of :mod:`toolkit.selection`, with a :class:`ReportError`
that says why when there are none.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .. import defaults, store
from .._words import time_stamp
from ..errors import NoCallsError, ParameterError, ReportError
from ..read import RejectWarning, load_logs, read_logs
from ..read.engine import expand
from ..schema import MARKETS, WS_DTYPES, empty_frame
from ..selection import Selection, as_bots, as_duration, as_markets, as_window, selection
from ._run import NOTEBOOK

__all__ = ["Calls", "Parameters", "PreparedReport", "check_output", "check_parameters", "check_source", "load_calls",
           "prepare_report", "select_calls"]


@dataclass(frozen=True)
class Parameters:
    """The notebook's parameters, checked: sources as a list, times as UTC Timestamps."""

    source: list[str]
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    market: str | None
    title: str
    bot: str | list[str] | None = None
    #: The incident scan's bucket: ``"auto"`` (picked from the span and density of the calls) or a duration.
    freq: str = "auto"

    @property
    def selection(self) -> Selection:
        """The calls asked for: ``start <= ts < end`` in ``market``, made by ``bot``."""
        return Selection(self.start, self.end, None if self.market is None else (self.market,), as_bots(self.bot))


def _checked(check, *args):
    """A check of :mod:`toolkit.selection`, its ParameterError as the report's ReportError."""
    try:
        return check(*args)
    except ParameterError as exc:
        raise ReportError(str(exc)) from None


def _label(ts: pd.Timestamp | None, missing: str) -> str:
    return missing if ts is None else time_stamp(ts)


def check_parameters(source, start=None, end=None, market=None, title=None, bot=None, freq="auto") -> Parameters:
    """Check the post-mortem's parameters before anything is loaded.

    Parameters
    ----------
    source : str, path or list of these
        Recording files, directories or globs, as :func:`toolkit.load_logs` takes them,
        or a store written by :func:`toolkit.store.ingest`.
    start, end : str, Timestamp, datetime or None
        The window to examine, ``start`` included, ``end`` excluded; naive times
        are UTC. ``None`` means the start or end of the recording.
    market : {"spot", "futures", "unknown"} or None
        One market, or ``None`` for all.
    title : str or None
        The report's heading; ``None`` or ``""`` makes one from the market, the bot and the window.
    bot : str, list of str or None
        Only the calls of this bot (or these bots), or ``None`` for every bot.
    freq : str or Timedelta, default "auto"
        The bucket of the incident scan, as :func:`toolkit.find_incidents` takes it.

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
    bots = _checked(as_bots, bot)
    if not (isinstance(freq, str) and freq == "auto"):
        freq = str(pd.Timedelta(_checked(as_duration, freq, "freq"), unit="ns"))
    if title is not None and not isinstance(title, str):
        raise ReportError(f"title must be a string or None, not {title!r}")
    if not title:
        title = "Post-mortem: " + (market or "all markets") + ("" if bots is None else ", " + ", ".join(bots))
        if t0 is not None or t1 is not None:
            title += f", {_label(t0, 'start')} to {_label(t1, 'end')} UTC"
    return Parameters([os.fspath(s) for s in sources], t0, t1, market, title,
                      None if bots is None else bot if isinstance(bot, str) else list(bots), freq)


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
    files = []
    for s in source:
        try:
            found = expand(s)
        except FileNotFoundError as exc:
            raise ReportError(str(exc)) from None
        if not found and not store.is_store(s):
            raise NoCallsError(f"the folder {str(s)!r} holds no recordings (.jsonl, .har, .yaml, .log, ... or .gz)")
        files.extend(found)
    return files


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


@dataclass(frozen=True)
class PreparedReport:
    """A post-mortem checked and ready to run: what :func:`prepare_report` returns for
    :func:`toolkit.report.run_report`."""

    parameters: Parameters
    out: Path
    notebook: Path


def prepare_report(source, out, *, start=None, end=None, market=None, bot=None, title=None, freq="auto",
                   notebook=None) -> PreparedReport:
    """Check everything a post-mortem is given, once, before a kernel starts.

    The parameters (:func:`check_parameters`), the output file (:func:`check_output`),
    the notebook and the sources (:func:`check_source`), in that order; then, when
    the recordings are small enough to read in a moment (at most
    :data:`toolkit.defaults.REPORT_PROBE_BYTES` on disk, not a store), whether the
    window, the market and the bot hold any call (:func:`load_calls`), so that
    nothing to report is said at once rather than after a kernel has started.

    Parameters
    ----------
    source, out, start, end, market, bot, title, freq, notebook
        As in :func:`toolkit.report.build_report`.

    Returns
    -------
    PreparedReport

    Raises
    ------
    ReportError
        Saying what is wrong, for the first thing that is; a :class:`~toolkit.NoCallsError`
        when there is nothing to report.

    Examples
    --------
    >>> from toolkit.report import prepare_report
    >>> job = prepare_report("data/sample", "build/postmortem.html", market="futures")  # doctest: +SKIP
    >>> job.parameters.title  # doctest: +SKIP
    'Post-mortem: futures'
    >>> prepare_report("data/sample", "no-such-folder/postmortem.html")
    Traceback (most recent call last):
    ...
    toolkit.errors.ReportError: the folder 'no-such-folder' for 'postmortem.html' does not exist
    """
    params = check_parameters(source, start, end, market, title, bot, freq)
    path = check_output(out)
    nb_path = Path(notebook) if notebook is not None else NOTEBOOK
    if not nb_path.is_file():
        raise ReportError(f"the notebook {str(nb_path)!r} does not exist")
    files = check_source([os.path.expanduser(s) for s in params.source])
    if not any(store.is_store(s) for s in params.source) and _size(files) <= defaults.REPORT_PROBE_BYTES:
        _probe(params)  # a NoCallsError when the source, the window, the market or the bot holds no call
    return PreparedReport(params, path, nb_path)


def _probe(params: Parameters) -> None:
    """:func:`load_calls` in a thread of its own: small recordings are read in place there, never by forked
    workers, which a process that runs other threads (a browser driver, a server) must not start."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="toolkit-probe") as pool:
        pool.submit(load_calls, params).result()


def _size(files) -> int:
    total = 0
    for f in files:
        try:
            total += os.path.getsize(f)
        except OSError:  # gone since it was listed: reading it will say so
            pass
    return total


class Calls(NamedTuple):
    """The calls a post-mortem reports on, as :func:`load_calls` reads them."""

    #: The calls read: every call of the recordings, or of a store only the market's (its partitions);
    #: the hours before an incident are described from these.
    recorded: pd.DataFrame
    #: The calls in the window, the market and of the bot, sorted by time: what the post-mortem is about.
    selected: pd.DataFrame
    #: Recordings read (for a store: those that hold calls of the market).
    files: int
    #: Lines of the recordings that could not be read.
    rejects: int
    #: The WebSocket frames and connection events read (:attr:`toolkit.Load.websocket`) in the window, the market
    #: and of the bot; empty for a store, which keeps none.
    websocket: pd.DataFrame | None = None


def load_calls(params: Parameters) -> Calls:
    """Read the calls ``params`` names and select those of its window, market and bot, once.

    A store written by :func:`toolkit.store.ingest` is read through
    :func:`toolkit.load_logs` with the market pushed down, so only that market's
    partitions are opened; recordings are parsed whole and the market is then
    selected with the window. The window is not pushed down: the hours before an
    incident (:func:`toolkit.describe_window`'s ``before``) reach back from the
    incident's first bucket, which may begin before ``start``, so they are
    described from every call read.

    Parameters
    ----------
    params : Parameters
        What :func:`check_parameters` returned; not checked again.

    Returns
    -------
    Calls
        ``recorded``, ``selected``, ``files``, ``rejects``, ``websocket``.

    Raises
    ------
    ReportError
        When there are no calls, ``market`` or ``bot`` has none, or the window holds none.

    Examples
    --------
    >>> from toolkit.report import check_parameters, load_calls
    >>> calls = load_calls(check_parameters("data/sample", start="2026-11-18 14:00", end="2026-11-18 15:00",
    ...                                     market="spot"))
    >>> len(calls.selected), calls.files, calls.rejects
    (207, 3, 0)
    """
    source = params.source
    if len(source) == 1 and store.is_store(source[0]):
        recorded = load_logs(source[0], market=params.market)
        if recorded.empty and params.market is not None:
            raise NoCallsError(f"market {params.market!r} has no calls in the store {source[0]}")
        files, rejects = recorded["source"].nunique(), len(store.read_rejects(source[0]))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RejectWarning)  # counted in the heading instead
            load = read_logs(source)
        recorded, files, rejects = load.frame, len(load.report), int(load.report["rejects"].sum())
        return Calls(recorded, _select(recorded, params.selection), files, rejects,
                     params.selection.apply(load.websocket))
    return Calls(recorded, _select(recorded, params.selection), files, rejects, empty_frame(WS_DTYPES))


def select_calls(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """The calls of ``df`` in ``[start, end)``, ``market`` and ``bot``, or a ReportError saying why there are none.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market, bot
        As in :func:`check_parameters`.

    Returns
    -------
    DataFrame
        A new frame, sorted by time; ``df`` is left as it is.

    Raises
    ------
    ReportError
        When ``df`` has no calls, ``market`` or ``bot`` has none, or the window holds none.

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
    toolkit.errors.NoCallsError: no calls from 2026-11-17 00:00:00 UTC to the end: the recording runs from ...
    """
    return _select(df, _checked(lambda: selection(start, end, market, bot=bot)))


def _select(df: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    """The rows of ``df`` inside ``sel`` (checked already), sorted by time, or a ReportError saying why none is."""
    if df.empty:
        raise NoCallsError("the source holds no calls")
    market = None if sel.markets is None else sel.markets[0] if len(sel.markets) == 1 else list(sel.markets)
    if market is not None and not df["market"].isin(sel.markets).any():
        present = [m for m in MARKETS if (df["market"] == m).any()]
        raise NoCallsError(f"market {market!r} has no calls in the data; it holds {', '.join(present)}")
    if sel.bots is not None:
        present = sorted(str(b) for b in df["bot"].dropna().unique()) if "bot" in df else []
        missing = next((b for b in sel.bots if b not in present), None)
        if missing is not None:
            raise NoCallsError(f"bot {missing!r} has no calls in the data; it holds "
                              f"{', '.join(present) or 'no bot column'}")
    out = df[sel.mask(df)].sort_values("ts", kind="stable")
    if out.empty:
        t0, t1 = sel.start, sel.end
        window = (f"from {time_stamp(t0, seconds=True)} UTC" if t0 is not None else "from the start") + (
            f" to {time_stamp(t1, seconds=True)} UTC" if t1 is not None else " to the end")
        where = f" on {', '.join(sel.markets)}" if market else ""
        ts = df.loc[Selection(markets=sel.markets).mask(df), "ts"]  # the market's calls: when the recording runs
        first, last = (time_stamp(t, seconds=True) for t in (ts.min(), ts.max()))
        raise NoCallsError(f"no calls{where} {window}: the recording runs from {first} to {last} UTC")
    return out
