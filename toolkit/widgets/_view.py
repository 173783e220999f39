"""The explorer's view model: what is in view and what it shows, with no widgets.

:class:`View` holds the explorer's state (the time window as two positions of the
slider's steps, the market, the bot, the error categories, the endpoint search, the
bucket size and the incident chosen) and computes what the app shows from it: the counts
per bucket, the rows in view, the top errors, a sample of rows, the explanation of
an incident and the export file. The app in :mod:`toolkit.widgets._app` only copies
its controls' values here and puts the results into its widgets.

The frame is never copied or re-sorted per redraw: the columns the controls filter
on are kept once as small integer arrays in time order, so a time range is two
binary searches and every other control one lookup. The counts per bucket come
from the analysis kernel behind :func:`toolkit.error_rate` (the same buckets, the
same grouping by category), so the timeline is ``error_rate`` of the rows in view
by construction, and they are drawn by :func:`toolkit.plots.draw_timeline`, as
:func:`toolkit.plots.timeline` draws them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import defaults, plots
from .._grid import grid, utc
from .._io import write_atomic
from .._words import window_words
from ._time import apart, covering
from ..analysis import describe_window, find_incidents, top_errors, uncertain_orders, ws_sessions
from ..errors import ParameterError
from ..schema import CATEGORIES, MARKETS
from ..selection import as_markets, as_window, require, select, step_for, times

#: Bucket sizes offered (see :mod:`toolkit.defaults`).
BUCKETS = list(defaults.EXPLORER_BUCKETS)

NEEDED = ["ts", "market", "category", "reason", "endpoint", "is_error", "http_status", "code", "message", "symbol",
          "latency_ms"]
ROW_COLUMNS = ["ts", "market", "endpoint", "http_status", "code", "category", "message"]
_TOP_NEEDS = ["ts", "is_error", "market", "category", "reason", "code", "message", "endpoint", "symbol"]
_NS = {f: pd.Timedelta(f).value for f in set(BUCKETS[1:]) | set(defaults.EXPLORER_TIME_STEPS)}
_CATEGORY = pd.CategoricalDtype(CATEGORIES)


def _codes(series: pd.Series, names: list[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 when missing or not listed)."""
    codes, uniques = pd.factorize(series)
    position = {name: i for i, name in enumerate(names)}
    lut = np.array([position.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lut[codes]  # factorize's -1 (missing) reads the last slot


@dataclass(frozen=True)
class Counts:
    """What the timeline shows: calls and errors per bucket of ``freq`` over the window.

    ``starts`` are the bucket starts (int64 ns, on multiples of the bucket since the
    epoch, as in :func:`toolkit.error_rate`), ``calls`` the calls in view per bucket and
    ``errors`` the errors per bucket of each chosen error category that has errors in
    view, in the taxonomy's order.
    """

    freq: str
    starts: np.ndarray
    calls: np.ndarray
    errors: dict[str, np.ndarray]

    def frame(self) -> pd.DataFrame:
        """Laid out as ``toolkit.error_rate(view, freq=freq, by="category")`` lays it out."""
        shown = list(self.errors)
        nb, nc = len(self.starts), len(shown)
        per = np.array([self.errors[c] for c in shown], dtype=np.int64).reshape(nc, nb)
        out = pd.DataFrame({
            "ts": utc(np.repeat(self.starts, nc)),
            "category": pd.Categorical(np.tile(np.asarray(shown, dtype=object), nb), dtype=_CATEGORY),
            "calls": np.repeat(self.calls, nc).astype(np.int64),
            "errors": per.T.ravel(),
        })
        with np.errstate(invalid="ignore", divide="ignore"):
            out["error_rate"] = np.where(out["calls"] > 0, out["errors"] / np.maximum(out["calls"], 1), np.nan)
        return out


@dataclass(frozen=True)
class Snapshot:
    """Everything one redraw shows, computed from the view's state."""

    window: tuple[int, int]
    counts: Counts
    calls: int
    rows: int
    top: pd.DataFrame
    sample: pd.DataFrame
    #: calls and errors of each bot in the window, market and endpoint (whichever bot is chosen)
    bots: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: the WebSocket sessions with frames in the window, market and bot (:func:`toolkit.ws_sessions`); None
    #: without WebSocket frames
    sessions: pd.DataFrame | None = None

    @property
    def timeline(self) -> pd.DataFrame:
        return self.counts.frame()


class View:
    """The explorer's state and what it computes, for a frame of calls.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them. It is not modified.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first; see
        :mod:`toolkit.selection`.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns; computed from ``df`` by default.
    ws : DataFrame, optional
        :attr:`toolkit.Load.websocket`: the sessions in view are shown too (:meth:`sessions`).

    Attributes
    ----------
    index : (int, int)
        The overview's selection, as positions in :attr:`positions` (the whole recording, in steps that keep
        it under ``EXPLORER_MAX_POSITIONS``).
    detail : (int, int)
        The window, as positions in :attr:`fine` (start included, end excluded): the overview's selection in
        the finest steps that keep it under ``EXPLORER_ZOOM_POSITIONS`` (see :meth:`overview`).
    market, bot, endpoint : str
        ``""`` for all markets, all bots, all endpoints; the endpoint is searched as text.
    bots : list of str
        The bots in the frame (its ``bot`` column), sorted; empty for a frame without one.
    categories : tuple of str
        The categories in view (``ok`` too, to include the calls that succeeded).
    bucket : str
        One of :data:`BUCKETS`.
    incident, explanation
        The row of the chosen incident and what :func:`toolkit.describe_window` said about it, or None.

    Examples
    --------
    >>> import toolkit
    >>> from toolkit.widgets import View
    >>> view = View(toolkit.load_logs("data/sample"))
    >>> view.market = "spot"
    >>> view.categories = ("server_error",)
    >>> view.zoom("2026-11-18 14:00", "2026-11-18 15:00")
    >>> shown = view.snapshot()
    >>> shown.counts.freq, shown.rows == len(view.rows_in_view())
    ('1min', True)
    """

    def __init__(self, df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, incidents=None, ws=None):
        require(df, NEEDED, "explore")
        given = df
        if ws is not None:
            require(ws, ["ts", "connection", "kind", "direction", "stream", "market", "bot"], "explore")
            ws = select(ws, start=start, end=end, market=market, bot=bot, func="explore")
        self.ws = ws
        df = select(df, start=start, end=end, market=market, bot=bot, func="explore")
        if df.empty:
            raise ParameterError("explore(): the frame holds no calls; check the source passed to toolkit.load_logs")
        if incidents is not None and (not isinstance(incidents, pd.DataFrame)
                                      or not {"start", "end", "market", "category"} <= set(incidents)):
            raise ParameterError("explore(): incidents must be a DataFrame such as toolkit.find_incidents returns "
                                 f"(start, end, market, category), not {type(incidents).__name__}")
        self.df = df
        # the columns the tables show, selected once: a selection per redraw would leave pandas a reference to clean up
        self._top_frame, self._row_frame = df[_TOP_NEEDS], df[ROW_COLUMNS]
        self._index(df)
        if incidents is None:  # scope judged on every call given, before the market and the bot narrow them
            incidents = find_incidents(given, start=start, end=end, market=market, bot=bot)
        self.incidents = incidents.reset_index(drop=True)
        self._spans = [(pd.Timestamp(r.start).value, pd.Timestamp(r.end).value, str(r.market), str(r.category))
                       for r in self.incidents.itertuples()]
        self._labels = self._incident_labels()
        self._orders = None
        self.reset()

    def _index(self, df: pd.DataFrame) -> None:
        """Times and the filtered columns as small integer arrays, in time order."""
        t = times(df, "explore")
        self._order = np.argsort(t, kind="stable")
        self._t = t[self._order]
        present = lambda col, names: [n for n in names if (df[col] == n).any()]  # noqa: E731
        self.markets = present("market", MARKETS)
        self.cats = present("category", CATEGORIES)
        self.endpoints = sorted(str(e) for e in df["endpoint"].dropna().unique())
        self._m = _codes(df["market"], self.markets)[self._order].astype(np.int8)
        self._c = _codes(df["category"], self.cats)[self._order].astype(np.int8)
        self._k = _codes(df["category"], CATEGORIES)[self._order].astype(np.int8)  # the kernel's codes
        self._err = df["is_error"].to_numpy(dtype=bool, na_value=False)[self._order]
        self._e = _codes(df["endpoint"], self.endpoints)[self._order].astype(np.int16)
        self.bots = sorted(str(b) for b in df["bot"].dropna().unique()) if "bot" in df else []
        self._b = (_codes(df["bot"], self.bots)[self._order] if self.bots else np.zeros(len(df))).astype(np.int32)
        self._bot_markets: dict[str, set] = {}
        first, last = int(self._t[0]), int(self._t[-1])
        for step in defaults.EXPLORER_TIME_STEPS:
            ns = _NS[step]
            if last // ns - first // ns + 2 <= defaults.EXPLORER_MAX_POSITIONS:
                break
        #: The window's possible ends, int64 ns: steps of 1min, 5min, ... covering the recording.
        self.positions = np.arange(first // ns, last // ns + 2, dtype=np.int64) * ns

    # -- the state ---------------------------------------------------------------------------------------

    @property
    def error_categories(self) -> tuple[str, ...]:
        """The categories in the frame other than ``ok``: the ones in view at first."""
        return tuple(c for c in self.cats if c != "ok")

    def reset(self) -> None:
        """The whole recording: all times, markets, bots, error categories and endpoints."""
        self.overview(0, len(self.positions) - 1)
        self.market, self.bot, self.endpoint, self.bucket = "", "", "", "auto"
        self.categories = self.error_categories
        self.forget()

    def forget(self) -> None:
        """The view changed: no incident is chosen, no explanation describes it."""
        self.incident = self.explanation = None

    def handles(self, i0: int, i1: int) -> tuple[int, int]:
        """Overview positions that never swap nor share a pixel: in order, at least ``EXPLORER_MIN_STEPS`` and
        ``EXPLORER_OVERVIEW_MIN_SHARE`` of the slider apart."""
        last = len(self.positions) - 1
        gap = max(defaults.EXPLORER_MIN_STEPS, math.ceil(last * defaults.EXPLORER_OVERVIEW_MIN_SHARE))
        return apart(i0, i1, gap, last)

    def detail_handles(self, i0: int, i1: int) -> tuple[int, int]:
        """Zoom positions that never swap nor meet: in order, at least ``EXPLORER_MIN_STEPS`` apart."""
        return apart(i0, i1, defaults.EXPLORER_MIN_STEPS, len(self.fine) - 1)

    def overview(self, i0: int, i1: int) -> None:
        """Select ``positions[i0:i1]`` in the overview (its handles kept apart, :meth:`handles`); the zoom
        slider then spans the selection in its finest steps, and the window is all of it."""
        self.index = self.handles(i0, i1)
        t0, t1 = (int(self.positions[i]) for i in self.index)
        for step in defaults.EXPLORER_TIME_STEPS:
            ns = _NS[step]
            if (t1 - t0) // ns <= defaults.EXPLORER_ZOOM_POSITIONS:
                break
        #: The zoom slider's positions, int64 ns: the overview's selection in steps of 1min, 5min, ...
        self.fine = np.arange(t0, t1 + 1, ns, dtype=np.int64)
        if self.fine[-1] != t1:  # (a step coarser than the overview's: its end is kept)
            self.fine = np.append(self.fine, t1)
        self.detail = (0, len(self.fine) - 1)

    def zoom(self, start, end, market=None) -> None:
        """The window ``[start, end)`` widened to the slider's steps; only ``market`` when one is given."""
        names = as_markets(market, "zoom")
        if names is not None and (len(names) != 1 or names[0] not in self.markets):
            raise ParameterError(f"zoom(): market must be one market with calls in the frame, one of "
                                 f"{', '.join(self.markets)}, not {market!r}")
        t0, t1 = as_window(start, end, "zoom", required=True)
        i0, i1 = covering(self.positions, t0.value, t1.value)
        lo, hi = self.handles(i0, i1)  # the overview keeps its handles apart: the window centred in what it shows
        lo = int(np.clip(i0 - ((hi - lo) - (i1 - i0)) // 2, 0, len(self.positions) - 1 - (hi - lo)))
        self.overview(lo, lo + (hi - lo))
        self.detail = self.detail_handles(*covering(self.fine, t0.value, t1.value))
        if market is not None:
            self.market = market

    def choose(self, i: int) -> None:
        """Choose incident ``i``: zoom to it, in its market, and explain it."""
        row = self.incidents.iloc[i]
        pad = max(pd.Timedelta(row["end"] - row["start"]), pd.Timedelta("30min"))
        # describe_window reads only the window and the hours before it: hand it just those rows
        lo, hi = np.searchsorted(self._t, [(row["start"] - pd.Timedelta(defaults.BEFORE)).value, row["end"].value])
        known = {"start", "end", "market", "cause", "id"} <= set(self.incidents)
        explanation = describe_window(self.df.take(self._order[lo:hi]), start=row["start"], end=row["end"],
                                      market=row["market"], bot=self.bot or None,
                                      incidents=self.incidents if known else None)
        self.zoom(row["start"] - pad, row["end"] + pad, str(row["market"]))
        self.incident, self.explanation = i, explanation

    def incident_options(self) -> list[tuple[str, int]]:
        """(label, row) of the incidents of the market in view (all of them for all markets), and of the
        markets the bot in view calls."""
        markets = self._markets_of(self.bot)
        return [(text, i) for text, i in self._labels if (not self.market or self._spans[i][2] == self.market)
                and (markets is None or self._spans[i][2] in markets)]

    def _markets_of(self, bot: str):
        """The markets ``bot`` has calls in (None: every market, for all bots)."""
        if not bot:
            return None
        if bot not in self._bot_markets:
            codes = np.unique(self._m[self._b == self.bots.index(bot)])
            self._bot_markets[bot] = {self.markets[c] for c in codes if c >= 0}
        return self._bot_markets[bot]

    def _incident_labels(self) -> list[tuple[str, int]]:
        out = []
        for i, row in enumerate(self.incidents.itertuples()):
            text = f"{window_words(row.start, row.end)}  {row.market}  {row.category}"
            if hasattr(row, "cause"):
                text += f" ({row.cause})"
            if hasattr(row, "errors") and hasattr(row, "error_rate"):
                text += f", {int(row.errors):,} errors ({row.error_rate:.0%})"
            out.append((text, i))
        return out

    # -- what is in view ---------------------------------------------------------------------------------

    def window(self) -> tuple[int, int]:
        """The window's start and end, int64 ns."""
        i0, i1 = self.detail
        return int(self.fine[i0]), int(self.fine[i1])

    def freq(self) -> tuple[str, int]:
        """The bucket size: the one chosen, or the smallest that keeps the window under ``EXPLORER_MAX_BUCKETS``."""
        if self.bucket != "auto":
            return self.bucket, _NS[self.bucket]
        t0, t1 = self.window()
        name = step_for(t1 - t0, defaults.EXPLORER_MAX_BUCKETS, BUCKETS[1:])
        return name, _NS[name]

    def _scope(self, bot: bool = True) -> tuple[int, int, np.ndarray]:
        """The calls in the window (positions ``lo:hi`` in time order) and, of those, the market, endpoint and
        (unless ``bot`` is false) bot."""
        lo, hi = np.searchsorted(self._t, self.window(), side="left")
        keep = np.ones(hi - lo, dtype=bool)
        if self.market:
            keep &= self._m[lo:hi] == self.markets.index(self.market)
        text = self.endpoint.strip().lower()
        if text:
            lut = np.zeros(len(self.endpoints) + 1, dtype=bool)  # the extra slot: code -1, no endpoint
            lut[[i for i, e in enumerate(self.endpoints) if text in e.lower()]] = True
            keep &= lut[self._e[lo:hi]]
        if bot and self.bot:
            keep &= self._b[lo:hi] == self.bots.index(self.bot)
        return int(lo), int(hi), keep

    def per_bot(self) -> dict[str, tuple[int, int]]:
        """Calls and errors of each bot in the window, market and endpoint, whichever bot is in view."""
        if not self.bots:
            return {}
        lo, hi, keep = self._scope(bot=False)
        b = self._b[lo:hi][keep]
        calls = np.bincount(b[b >= 0], minlength=len(self.bots))
        errors = np.bincount(b[(b >= 0) & self._err[lo:hi][keep]], minlength=len(self.bots))
        return {name: (int(c), int(e)) for name, c, e in zip(self.bots, calls, errors)}

    def _rows(self, lo: int, hi: int, keep: np.ndarray) -> np.ndarray:
        """Positions in the frame of the rows in view: the scope, in the chosen categories, in time order."""
        lut = np.zeros(len(self.cats) + 1, dtype=bool)
        lut[[self.cats.index(c) for c in self.categories if c in self.cats]] = True
        return self._order[lo:hi][np.flatnonzero(keep)[lut[self._c[lo:hi][keep]]]]

    def rows_in_view(self) -> pd.DataFrame:
        """The calls in the window, market, categories and endpoint, in time order (a new frame)."""
        return self.df.take(self._rows(*self._scope()))

    def orders_in_view(self) -> pd.DataFrame:
        """The orders of unknown outcome (:func:`toolkit.uncertain_orders`, with their fate) in the window, market
        and bot; worked out for the whole frame once."""
        if self._orders is None:
            self._orders = uncertain_orders(self.df, incidents=self.incidents)
        o = self._orders
        t0, t1 = self.window()
        t = o["ts"].to_numpy("datetime64[ns]").view(np.int64)
        keep = (t >= t0) & (t < t1)
        if self.market:
            keep &= (o["market"].astype(str) == self.market).to_numpy()
        if self.bot:
            keep &= (o["bot"].astype(str) == self.bot).to_numpy()
        return o[keep].reset_index(drop=True)

    def counts(self) -> Counts:
        """Calls and errors per bucket over the window, counted by the analysis kernel of :func:`toolkit.error_rate`."""
        lo, hi, keep = self._scope()
        return self._counts(lo, hi, keep)

    def _counts(self, lo: int, hi: int, keep: np.ndarray) -> Counts:
        t0, t1 = self.window()
        name, f = self.freq()
        first, nb = t0 // f, max(1, (t1 - 1) // f - t0 // f + 1)
        starts = (first + np.arange(nb, dtype=np.int64)) * f
        calls = np.zeros(nb, dtype=np.int64)
        errors = {}
        if keep.any():
            at = slice(lo, hi) if keep.all() else lo + np.flatnonzero(keep)  # a slice copies nothing
            calls_in_view = pd.DataFrame({
                "ts": self._t[at].view("datetime64[ns]"),
                "is_error": self._err[at],
                "category": self._k[at],  # positions in CATEGORIES: groups in the taxonomy's order
            }, copy=False)
            g = grid(calls_in_view, "explore", freq=f, by=["category"])
            at = slice(g.first - first, g.first - first + g.calls.shape[1])
            calls[at] = np.bincount(g.row_bucket, minlength=g.calls.shape[1])
            chosen = set(self.categories) - {"ok"}
            for row, code in enumerate(g.keys["category"].tolist()):
                if code >= 0 and CATEGORIES[code] in chosen:
                    errors[CATEGORIES[code]] = np.zeros(nb, dtype=np.int64)
                    errors[CATEGORIES[code]][at] = g.errors[row]
        return Counts(name, starts, calls, errors)

    def snapshot(self) -> Snapshot:
        """Everything the app shows for the current state, computed once."""
        lo, hi, keep = self._scope()
        rows = self._rows(lo, hi, keep)
        top = top_errors(self._top_frame.take(rows), n=defaults.EXPLORER_TOP_ERRORS)
        sample = rows
        if len(rows) > defaults.EXPLORER_SAMPLE_ROWS:
            pick = np.random.default_rng(0).choice(len(rows), defaults.EXPLORER_SAMPLE_ROWS, replace=False)
            sample = rows[np.sort(pick)]
        return Snapshot(self.window(), self._counts(lo, hi, keep), int(keep.sum()), len(rows), top,
                        self._row_frame.take(sample).reset_index(drop=True), self.per_bot(), self.sessions())

    def sessions(self) -> pd.DataFrame | None:
        """The WebSocket sessions with frames in the window, of the market and the bot in view; None without
        WebSocket frames."""
        if self.ws is None:
            return None
        t0, t1 = (pd.Timestamp(t, tz="UTC") for t in self.window())
        return ws_sessions(self.ws, start=t0, end=t1, market=self.market or None, bot=self.bot or None)

    # -- the picture and the export ----------------------------------------------------------------------

    def title(self) -> str:
        """The timeline's title, naming the market (and the bot) in view."""
        where = self.market or (self.markets[0] if len(self.markets) == 1 else "all markets")
        return f"Errors per category, {where}{', ' + self.bot if self.bot else ''} (UTC)"

    def spans(self) -> list[tuple[int, int, str]]:
        """(start, end, category) of the incidents of the market in view that overlap the window."""
        t0, t1 = self.window()
        return [(start, end, category) for start, end, where, category in self._spans
                if (not self.market or where == self.market) and end > t0 and start < t1]

    def draw(self, ax, counts: Counts, *, right=None):
        """Draw ``counts`` on ``ax`` with :func:`toolkit.plots.draw_timeline`, over the window, incidents shaded.

        ``right`` is the twin Axes for the calls, when one is kept from an earlier drawing.
        """
        return plots.draw_timeline(ax, counts.starts, counts.calls, counts.errors, freq=counts.freq,
                                   title=self.title(), spans=self.spans(), xlim=self.window(), right=right)

    def export_name(self) -> str:
        """The export file's name without its suffix: the window, and the market and bot when chosen."""
        t0, t1 = (pd.Timestamp(v, unit="ns") for v in self.window())
        name = f"toolkit-rows-{t0:%Y%m%d-%H%M}-{t1:%Y%m%d-%H%M}"
        name = f"{name}-{self.market}" if self.market else name
        return f"{name}-{re.sub(r'[^A-Za-z0-9._-]+', '_', self.bot)}" if self.bot else name

    def export(self, folder) -> Path | None:
        """Write the rows in view to a new CSV file in ``folder``; None (and nothing written) when there are none.

        An earlier export of the same view is kept: the new file gets a number (``...-2.csv``).
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"explore(): export_dir {str(folder)!r} does not exist")
        rows = self.rows_in_view()
        if rows.empty:
            return None
        name = self.export_name()
        path, n = folder / f"{name}.csv", 1
        while path.exists():  # an earlier export is never overwritten
            n += 1
            path = folder / f"{name}-{n}.csv"
        return write_atomic(path, spreadsheet_csv(rows))


#: What a spreadsheet reads as the start of a formula (or of a cell it moves): OWASP's list for CSV injection.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_csv(rows: pd.DataFrame) -> bytes:
    r"""``rows`` as CSV that a spreadsheet opens safely, as OWASP recommends against CSV injection: a text cell
    that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (shown as text,
    never run as a formula), every field holding a CR or LF is quoted (so no row is split), and the file is
    UTF-8 with a byte-order mark, which Excel needs to show the exchange's Chinese messages.

    Examples
    --------
    >>> rows = pd.DataFrame({"message": ['=HYPERLINK("http://x")', "余额不足", "a\rb"], "code": [-1, 0, 1]})
    >>> spreadsheet_csv(rows).decode("utf-8-sig").split("\r\n")
    ['message,code', '"\'=HYPERLINK(""http://x"")",-1', '余额不足,0', '"a\rb",1', '']
    """
    safe = {}
    for name, column in rows.items():
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(column.dtype):
            text = column.astype("string")
            risky = text.str.startswith(_FORMULA).fillna(False)
            column = text.mask(risky, "'" + text)
        safe[name] = column
    return pd.DataFrame(safe).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")

