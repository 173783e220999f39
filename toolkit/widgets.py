"""The explorer: failures over time, narrowed down with a few controls, in one ipywidgets app.

``explore(df)`` shows the timeline, the top errors, the incidents and a sample
of the raw rows, kept in sync with the controls (time range, market,
categories, endpoint, bucket size). It uses the standard widget set only, so it
works in JupyterLab and Notebook 7 without a front-end build.

Redraws stay quick on a million rows and do not flicker:

- the frame is never copied or re-sorted per redraw: the columns the controls
  filter on are kept once as small integer arrays in time order, so a time range
  is two binary searches and every other control one lookup;
- the timeline is drawn from counts per bucket (never one point per call), the
  same buckets and counts as :func:`toolkit.error_rate`, on one figure whose Axes
  are kept, and the PNG bytes of one ``Image`` widget are replaced;
- tables are ``HTML`` widgets whose value is replaced, never an ``Output``
  cleared first;
- the time slider is debounced: while it moves, only its last position redraws.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import time
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd

from . import defaults
from .analysis import describe_window, find_incidents, top_errors
from .analysis.summary import require
from ._io import write_atomic
from .schema import CATEGORIES, MARKETS

#: Bucket sizes offered (see :mod:`toolkit.defaults`).
BUCKETS = list(defaults.EXPLORER_BUCKETS)

_NEEDED = ["ts", "market", "category", "reason", "endpoint", "is_error", "http_status", "code", "message", "symbol",
           "latency_ms"]
_ROW_COLUMNS = ["ts", "market", "endpoint", "http_status", "code", "category", "message"]
_TOP_NEEDS = ["ts", "is_error", "market", "category", "reason", "code", "message", "endpoint", "symbol"]
_TOP_COLUMNS = ["count", "share", "market", "category", "code", "pattern"]
_NS = {f: pd.Timedelta(f).value for f in set(BUCKETS[1:]) | set(defaults.EXPLORER_TIME_STEPS)}
_LABEL_WIDTH = {"description_width": "80px"}

#: Styles of the tables: the content of HTML widgets is not styled by JupyterLab or Notebook.
_CSS = """<style>
.toolkit-table { border-collapse: collapse; font-size: 12px; line-height: 1.3; }
.toolkit-table th, .toolkit-table td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #e0e0e0;
  vertical-align: top; white-space: nowrap; max-width: 46em; overflow: hidden; text-overflow: ellipsis; }
.toolkit-table th { border-bottom: 1px solid #888; }
.toolkit-scroll { max-height: 320px; overflow: auto; }
.toolkit-explanation { font-size: 13px; line-height: 1.4; }
</style>"""


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every missing value as :data:`toolkit.defaults.MISSING` (pandas would print ``<NA>``)."""
    out = table.astype(object)
    return out.where(table.notna().to_numpy(), defaults.MISSING)


def _label(ns: int) -> str:
    return f"{pd.Timestamp(ns, unit='ns', tz='UTC'):%a %d %b %H:%M}"


def _codes(series: pd.Series, names: list[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 when missing or not listed)."""
    codes, uniques = pd.factorize(series)
    position = {name: i for i, name in enumerate(names)}
    lut = np.array([position.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lut[codes]  # factorize's -1 (missing) reads the last slot


class _Debounce:
    """Call ``func`` once calls to this object have stopped for ``delay`` seconds.

    Inside a running event loop (a Jupyter kernel) the call is scheduled on it;
    without one (a script, a test) ``func`` runs at once.
    """

    def __init__(self, func, delay: float):
        self.func, self.delay, self._handle = func, delay, None

    def __call__(self) -> None:
        self.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.delay <= 0:
            self.func()
        else:
            self._handle = loop.call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self.func()

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def explore(df: pd.DataFrame, *, incidents=None, debounce: float = defaults.EXPLORER_DEBOUNCE,
            export_dir=".") -> Explorer:
    """An app to narrow failures down: timeline, top errors, incidents and raw rows, kept in sync.

    Controls: the time range (a slider, debounced), the market, the error
    categories (``ok`` too, to include the calls that succeeded), the endpoint
    (type part of a path: every endpoint containing it) and the bucket size.
    Choosing an incident zooms to it and shows what :func:`toolkit.describe_window`
    says about it; "export rows in view" writes those rows to a CSV file.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them. It is not modified.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns; computed from ``df`` by default.
    debounce : float, default 0.25
        Seconds the time slider must rest before the app redraws (0: at once).
    export_dir : str or path, default "."
        Where the export button writes its CSV files.

    Returns
    -------
    Explorer
        An ipywidgets ``VBox``: display it as the last expression of a cell. Its
        controls can be set from code too; ``close()`` frees it.

    Examples
    --------
    >>> import io, toolkit
    >>> calls = [(0, 200, 0, "success"), (1, 429, 429, "Rate limit exceeded"), (2, 200, 0, "success")]
    >>> lines = [f'{{"ts": "2026-11-16T21:0{m}:00Z", "url": "/api/v1/stock/open-api/order", "status": {s}, '
    ...          f'"response": {{"code": {c}, "msg": "{text}"}}}}' for m, s, c, text in calls]
    >>> app = toolkit.widgets.explore(toolkit.load_logs(io.StringIO("\\n".join(lines))))
    >>> app.view_calls, app.view_rows
    (3, 1)
    >>> app.top[["category", "pattern", "count"]].values.tolist()
    [['rate_limit', 'Rate limit exceeded', 1]]
    >>> app.categories.value = ("ok",)
    >>> app.rows_in_view()["category"].tolist()
    ['ok', 'ok']
    """
    return Explorer(df, incidents=incidents, debounce=debounce, export_dir=export_dir)


class Explorer(widgets.VBox):
    """The app :func:`explore` returns: a ``VBox`` of controls and outputs.

    Attributes
    ----------
    time_range, market, categories, endpoint, bucket, incident : ipywidgets
        The controls. ``market.value`` is ``""`` for all markets, ``endpoint.value``
        ``""`` for all endpoints, ``incident.value`` the row of the chosen incident.
    reset_button, export_button : ipywidgets.Button
    plot : ipywidgets.Image
        The timeline, as PNG.
    top_table, rows_table, incident_summary, status, time_label : ipywidgets.HTML
    timeline : DataFrame
        What the plot shows, laid out as ``toolkit.error_rate(view, freq=..., by="category")``
        lays it out, for the chosen error categories and over the whole time range.
    top : DataFrame
        The top errors shown: :func:`toolkit.top_errors` of the rows in view.
    sample : DataFrame
        The raw rows shown.
    explanation : toolkit.analysis.WindowDescription or None
        What :func:`toolkit.describe_window` said about the chosen incident.
    view_calls, view_rows : int
        Calls in the time range, market and endpoint; of those, rows in the chosen categories.
    redraws, last_redraw_s
        How many redraws so far, and how long the last one took.
    """

    def __init__(self, df: pd.DataFrame, *, incidents=None, debounce: float = defaults.EXPLORER_DEBOUNCE,
                 export_dir="."):
        require(df, _NEEDED, "explore")
        if df.empty:
            raise ValueError("explore(): the frame holds no calls; check the source passed to toolkit.load_logs")
        if not isinstance(debounce, (int, float)) or isinstance(debounce, bool) or debounce < 0:
            raise ValueError(f"explore(): debounce must be a number of seconds >= 0, not {debounce!r}")
        if incidents is not None and (not isinstance(incidents, pd.DataFrame)
                                      or not {"start", "end", "market", "category"} <= set(incidents)):
            raise ValueError("explore(): incidents must be a DataFrame such as toolkit.find_incidents returns "
                             f"(start, end, market, category), not {type(incidents).__name__}")
        self._df = df
        self._export_dir = Path(export_dir)
        self._index(df)
        if incidents is None:
            incidents = find_incidents(df)
        self._incidents = incidents.reset_index(drop=True)
        self._spans = [(pd.Timestamp(r.start).value, pd.Timestamp(r.end).value, str(r.market), str(r.category))
                       for r in self._incidents.itertuples()]
        self._held = 0
        self._syncing = False
        self._slider_redraw = _Debounce(self.redraw, debounce)
        self.redraws, self.last_redraw_s, self.explanation = 0, 0.0, None
        controls = self._build_controls()
        outputs = self._build_outputs()
        super().__init__([controls, *outputs])
        self.add_class("toolkit-explorer")
        self._observe()
        self.redraw()

    # -- built once ----------------------------------------------------------------------------------------

    def _index(self, df: pd.DataFrame) -> None:
        """Times and the filtered columns as small integer arrays, in time order."""
        ts = df["ts"].array
        if not isinstance(ts, pd.arrays.DatetimeArray):
            raise ValueError(f"explore(): ts must hold datetimes (datetime64, UTC), not {df['ts'].dtype}; "
                             "pass the frame toolkit.load_logs returns")
        if df["ts"].isna().any():
            raise ValueError("explore(): ts has missing times (NaT); drop those rows first, "
                             "e.g. df.dropna(subset=['ts'])")
        ts = ts.tz_convert("UTC") if ts.tz is not None else ts.tz_localize("UTC")  # naive times are UTC
        t = np.asarray(ts.as_unit("ns").asi8)
        self._order = np.argsort(t, kind="stable")
        self._t = t[self._order]
        present = lambda col, names: [n for n in names if (df[col] == n).any()]  # noqa: E731
        self._markets = present("market", MARKETS)
        self._cats = present("category", CATEGORIES)
        self._endpoints = sorted(str(e) for e in df["endpoint"].dropna().unique())
        self._m = _codes(df["market"], self._markets)[self._order].astype(np.int8)
        self._c = _codes(df["category"], self._cats)[self._order].astype(np.int8)
        self._e = _codes(df["endpoint"], self._endpoints)[self._order].astype(np.int16)
        first, last = int(self._t[0]), int(self._t[-1])
        for step in defaults.EXPLORER_TIME_STEPS:
            ns = _NS[step]
            if last // ns - first // ns + 2 <= defaults.EXPLORER_MAX_POSITIONS:
                break
        self._positions = np.arange(first // ns, last // ns + 2, dtype=np.int64) * ns

    def _build_controls(self) -> widgets.Widget:
        self.time_range = widgets.SelectionRangeSlider(
            options=[(_label(int(v)), int(v)) for v in self._positions], index=(0, len(self._positions) - 1),
            description="time (UTC)", continuous_update=True, readout=False, style=_LABEL_WIDTH,
            layout=widgets.Layout(width="70%"))
        self.time_label = widgets.HTML(layout=widgets.Layout(width="auto", min_width="300px", margin="0 0 0 8px"))
        self.market = widgets.Dropdown(options=[("all markets", "")] + [(m, m) for m in self._markets], value="",
                                       description="market", style=_LABEL_WIDTH, layout=widgets.Layout(width="220px"))
        self.bucket = widgets.Dropdown(options=BUCKETS, value="auto", description="bucket", style=_LABEL_WIDTH,
                                       layout=widgets.Layout(width="220px"))
        self.categories = widgets.SelectMultiple(
            options=self._cats, value=self._error_categories(), rows=min(7, len(self._cats)),
            description="categories", style=_LABEL_WIDTH, layout=widgets.Layout(width="300px"))
        self.endpoint = widgets.Combobox(
            options=self._endpoints, value="", placeholder="all endpoints (type to search)", ensure_option=False,
            continuous_update=False, description="endpoint", style=_LABEL_WIDTH, layout=widgets.Layout(width="440px"))
        self.reset_button = widgets.Button(description="whole recording", icon="undo",
                                           layout=widgets.Layout(width="auto"),
                                           tooltip="all times, markets, error categories and endpoints")
        self.export_button = widgets.Button(description="export rows in view", icon="download",
                                            layout=widgets.Layout(width="auto"),
                                            tooltip="write the rows in view to a CSV file")
        self._tag(time=self.time_range, market=self.market, bucket=self.bucket, categories=self.categories,
                  endpoint=self.endpoint, reset=self.reset_button, export=self.export_button)
        buttons = widgets.HBox([self.reset_button, self.export_button], layout=widgets.Layout(margin="8px 0 0 84px"))
        return widgets.VBox([
            widgets.HTML(_CSS),
            widgets.HBox([self.time_range, self.time_label]),
            widgets.HBox([widgets.VBox([self.market, self.bucket]), self.categories,
                          widgets.VBox([self.endpoint, buttons])]),
        ])

    def _build_outputs(self) -> list[widgets.Widget]:
        import matplotlib.dates as mdates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        # one figure and one pair of Axes for the app's life, fixed margins (a layout engine would
        # cost more than the drawing), no pyplot: nothing is registered or shown behind the app's back
        self._fig = Figure(figsize=(11, 3.6), dpi=96)
        self._fig.subplots_adjust(left=0.065, right=0.935, top=0.8, bottom=0.16)
        FigureCanvasAgg(self._fig)
        self._ax = self._fig.add_subplot()
        self._right = self._ax.twinx()
        locator = mdates.AutoDateLocator()
        self._ax.xaxis.set_major_locator(locator)
        self._ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))

        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="1056px"))
        self.status = widgets.HTML()
        self.top_table = widgets.HTML()
        self.rows_table = widgets.HTML()
        self.incident_summary = widgets.HTML()
        self._all_incident_options = self._incident_options()
        self.incident = widgets.Select(options=self._all_incident_options, value=None, rows=6,
                                       layout=widgets.Layout(width="98%"))
        self._tag(timeline=self.plot, status=self.status, **{"top-errors": self.top_table}, rows=self.rows_table,
                  incidents=self.incident, **{"incident-summary": self.incident_summary})
        heading = widgets.HTML
        incidents = widgets.VBox([heading("<b>Incidents</b> (choose one to zoom in and explain it)"), self.incident,
                                  self.incident_summary], layout=widgets.Layout(width="40%", margin="0 12px 0 0"))
        top = widgets.VBox([heading("<b>Top errors in view</b>"), self.top_table], layout=widgets.Layout(width="60%"))
        rows = widgets.VBox([heading("<b>Raw rows in view</b>"), self.rows_table])
        return [self.status, self.plot, widgets.HBox([incidents, top]), rows]

    @staticmethod
    def _tag(**named) -> None:
        """A CSS class per widget (``toolkit-market``, ...), for styling and for browser tests."""
        for name, w in named.items():
            w.add_class(f"toolkit-{name}")

    def _error_categories(self) -> tuple[str, ...]:
        return tuple(c for c in self._cats if c != "ok")

    def _incident_options(self) -> list[tuple[str, int]]:
        out = []
        for i, row in enumerate(self._incidents.itertuples()):
            label = f"{row.start:%a %d %b %H:%M}–{row.end:%H:%M}  {row.market}  {row.category}"
            if hasattr(row, "cause"):
                label += f" ({row.cause})"
            if hasattr(row, "errors") and hasattr(row, "error_rate"):
                label += f", {int(row.errors):,} errors ({row.error_rate:.0%})"
            out.append((label, i))
        return out

    def _observe(self) -> None:
        self.time_range.observe(lambda _: self._slider_moved(), names="index")
        for w in (self.market, self.categories, self.endpoint, self.bucket):
            w.observe(lambda _: self._changed(), names="value")
        self.incident.observe(lambda change: None if self._syncing else self._incident_chosen(change["new"]),
                              names="value")
        self.reset_button.on_click(lambda _: self.reset())
        self.export_button.on_click(lambda _: self.export())

    # -- events --------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _hold(self):
        """Change several controls, then redraw once."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held:
            self._slider_redraw.cancel()
            self.redraw()

    def _changed(self) -> None:
        self._sync_incidents()
        if not self._held:
            self._forget_explanation()
            self._slider_redraw.cancel()
            self.redraw()

    def _forget_explanation(self) -> None:
        """The view changed: an explanation of an incident no longer describes it."""
        self.explanation = None
        self.incident_summary.value = ""
        if self.incident.value is not None:
            self.incident.value = None

    def _sync_incidents(self) -> None:
        """List only the incidents of the market in view."""
        options = [(label, i) for label, i in self._all_incident_options
                   if not self.market.value or str(self._incidents["market"].iloc[i]) == self.market.value]
        if list(self.incident.options) != options:
            chosen = self.incident.value
            self._syncing = True
            try:
                self.incident.options = options
                self.incident.value = chosen if chosen in [i for _, i in options] else None
            finally:
                self._syncing = False

    def _slider_moved(self) -> None:
        i0, i1 = self.time_range.index
        lo, hi = sorted((int(i0), int(i1)))  # handles never swap ...
        gap, last = defaults.EXPLORER_MIN_STEPS, len(self._positions) - 1
        if hi - lo < gap:  # ... nor meet: the window keeps a minimum width
            hi = min(lo + gap, last)
            lo = max(hi - gap, 0)
        if (lo, hi) != (i0, i1):
            self.time_range.index = (lo, hi)  # observed again, with the corrected handles
            return
        if not self._held:
            self._forget_explanation()
        t0, t1 = self._window()
        self.time_label.value = f"{_label(t0)} to {_label(t1)}"  # at once; the redraw waits for the slider to rest
        if not self._held:
            self._slider_redraw()

    def flush(self) -> None:
        """Redraw now if a move of the time slider is waiting out its debounce."""
        if self._slider_redraw.pending:
            self._slider_redraw.cancel()
            self.redraw()

    def reset(self) -> None:
        """Back to the whole recording: all times, markets, error categories and endpoints."""
        with self._hold():
            self.incident.value = None
            self.incident_summary.value = ""
            self.explanation = None
            self.time_range.index = (0, len(self._positions) - 1)
            self.market.value = ""
            self.categories.value = self._error_categories()
            self.endpoint.value = ""
            self.bucket.value = "auto"

    def zoom(self, start, end, *, market=None) -> None:
        """Show ``[start, end)``, widened to the slider's steps; only ``market`` when one is given.

        Naive times are UTC. An incident's explanation is cleared: it no longer
        describes the view.
        """
        with self._hold():
            self._forget_explanation()
            self._zoom(start, end, market)

    def _zoom(self, start, end, market) -> None:
        t0, t1 = (pd.Timestamp(v).tz_localize("UTC") if pd.Timestamp(v).tzinfo is None else pd.Timestamp(v)
                  for v in (start, end))
        last = len(self._positions) - 1
        i0 = int(np.clip(np.searchsorted(self._positions, t0.value, side="right") - 1, 0, last - 1))
        i1 = int(np.clip(np.searchsorted(self._positions, t1.value, side="left"), i0 + 1, last))
        with self._hold():
            self.time_range.index = (i0, i1)
            if market is not None:
                if market not in self._markets:
                    raise ValueError(f"zoom(): market must be one of {', '.join(self._markets)}, not {market!r}")
                self.market.value = market

    def _incident_chosen(self, i) -> None:
        if i is None:
            return
        row = self._incidents.iloc[i]
        pad = max(pd.Timedelta(row["end"] - row["start"]), pd.Timedelta("30min"))
        # describe_window reads only the window and the hours before it: hand it just those rows
        lo, hi = np.searchsorted(self._t, [(row["start"] - pd.Timedelta(defaults.BEFORE)).value, row["end"].value])
        known = {"start", "end", "market", "cause", "id"} <= set(self._incidents)
        window = describe_window(self._df.take(self._order[lo:hi]), row["start"], row["end"], market=row["market"],
                                 incidents=self._incidents if known else None)
        with self._hold():
            self._zoom(row["start"] - pad, row["end"] + pad, str(row["market"]))
            self.explanation = window
            cause = (f"<p class='toolkit-cause'><b>Whose fault: {html.escape(window.side)}</b> "
                     f"({html.escape(window.cause)}): {html.escape(window.evidence)}</p>" if window.errors else "")
            self.incident_summary.value = cause + f"<p class='toolkit-explanation'>{html.escape(window.summary)}</p>"

    # -- what is in view -----------------------------------------------------------------------------------

    def _window(self) -> tuple[int, int]:
        i0, i1 = self.time_range.index
        return int(self._positions[i0]), int(self._positions[i1])

    def _bucket(self, t0: int, t1: int) -> tuple[str, int]:
        if self.bucket.value != "auto":
            return self.bucket.value, _NS[self.bucket.value]
        for name in BUCKETS[1:]:
            if (t1 - t0) // _NS[name] < defaults.EXPLORER_MAX_BUCKETS:
                return name, _NS[name]
        return BUCKETS[-1], _NS[BUCKETS[-1]]

    def _scope(self) -> tuple[int, int, np.ndarray]:
        """The calls in the time range (positions ``lo:hi`` in time order) and, of those, the market and endpoint."""
        t0, t1 = self._window()
        lo, hi = np.searchsorted(self._t, [t0, t1], side="left")
        keep = np.ones(hi - lo, dtype=bool)
        if self.market.value:
            keep &= self._m[lo:hi] == self._markets.index(self.market.value)
        text = self.endpoint.value.strip().lower()
        if text:
            lut = np.zeros(len(self._endpoints) + 1, dtype=bool)  # the extra slot: code -1, no endpoint
            lut[[i for i, e in enumerate(self._endpoints) if text in e.lower()]] = True
            keep &= lut[self._e[lo:hi]]
        return lo, hi, keep

    def _chosen(self) -> np.ndarray:
        lut = np.zeros(len(self._cats) + 1, dtype=bool)
        lut[[self._cats.index(c) for c in self.categories.value]] = True
        return lut

    def rows_in_view(self) -> pd.DataFrame:
        """The calls in the time range, market, categories and endpoint, in time order (a new frame)."""
        lo, hi, keep = self._scope()
        keep &= self._chosen()[self._c[lo:hi]]
        return self._df.take(self._order[lo:hi][keep])

    # -- drawing -------------------------------------------------------------------------------------------

    def redraw(self) -> None:
        """Recompute and redraw every output from the controls."""
        began = time.perf_counter()
        try:
            t0, t1 = self._window()
            freq, f = self._bucket(t0, t1)
            lo, hi, keep = self._scope()
            cats = self._c[lo:hi][keep]
            rows = self._order[lo:hi][np.flatnonzero(keep)[self._chosen()[cats]]]
            counts = self._counts(self._t[lo:hi][keep], cats, t0, t1, f)
            self.view_calls, self.view_rows = int(keep.sum()), len(rows)
            self.timeline = self._timeline_frame(*counts)
            self.plot.value = self._draw(*counts, t0, t1, freq)
            self.top = top_errors(self._df[_TOP_NEEDS].take(rows), n=defaults.EXPLORER_TOP_ERRORS)
            self.top_table.value = self._top_html(self.top)
            self.sample = self._sample(rows)
            self.rows_table.value = self._rows_html(self.sample, len(rows))
        except Exception as exc:
            self.status.value = f"<span>redraw failed: {html.escape(f'{type(exc).__name__}: {exc}')}</span>"
            raise
        self.redraws += 1
        self.last_redraw_s = time.perf_counter() - began
        self.time_label.value = f"{_label(t0)} to {_label(t1)}"
        self.status.value = (f"<span>{_label(t0)} to {_label(t1)} UTC · {self.market.value or 'all markets'} · "
                             f"{self.view_calls:,} calls, {self.view_rows:,} rows in view · {freq} buckets · "
                             f"redrawn in {self.last_redraw_s * 1000:.0f} ms</span>")

    def _counts(self, t: np.ndarray, cats: np.ndarray, t0: int, t1: int, f: int):
        """Bucket starts, calls per bucket, the error categories shown and their errors per bucket.

        Buckets start on multiples of ``f`` since the epoch, as in :func:`toolkit.error_rate`,
        and cover ``[t0, t1)``; shown are the chosen error categories with errors in view.
        """
        first, nb = t0 // f, max(1, (t1 - 1) // f - t0 // f + 1)
        bucket = t // f - first
        calls = np.bincount(bucket, minlength=nb)
        per = np.bincount(cats.astype(np.int64) * nb + bucket, minlength=len(self._cats) * nb)
        per = per.reshape(len(self._cats), nb)
        shown = [c for c in self._cats if c != "ok" and c in self.categories.value and per[self._cats.index(c)].any()]
        return (first + np.arange(nb, dtype=np.int64)) * f, calls, shown, per[[self._cats.index(c) for c in shown]]

    @staticmethod
    def _timeline_frame(starts, calls, shown, per) -> pd.DataFrame:
        nb, nc = len(starts), len(shown)
        out = pd.DataFrame({
            "ts": pd.DatetimeIndex(np.repeat(starts, nc).view("datetime64[ns]")).tz_localize("UTC"),
            "category": pd.Categorical(np.tile(np.asarray(shown, dtype=object), nb), categories=CATEGORIES),
            "calls": np.repeat(calls, nc).astype(np.int64),
            "errors": per.T.ravel().astype(np.int64),
        })
        with np.errstate(invalid="ignore", divide="ignore"):
            out["error_rate"] = np.where(out["calls"] > 0, out["errors"] / np.maximum(out["calls"], 1), np.nan)
        return out

    def _draw(self, starts, calls, shown, per, t0: int, t1: int, freq: str) -> bytes:
        """The timeline as PNG bytes: the Axes stay, only the data artists and the legend are new."""
        from .plots import CATEGORY_COLORS

        fig, ax, right = self._fig, self._ax, self._right
        for artist in [*ax.collections, *ax.patches, *right.lines, *fig.legends]:
            artist.remove()
        x = starts.view("datetime64[ns]")
        if shown:
            ax.stackplot(x, *per, colors=[CATEGORY_COLORS[c] for c in shown], labels=shown, step="post", linewidth=0)
        right.plot(x, calls, color="black", linewidth=0.8, alpha=0.6, drawstyle="steps-post", label="calls")
        market = self.market.value or None
        for start, end, where, category in self._spans:
            if (market is None or where == market) and end > t0 and start < t1:
                ax.axvspan(np.datetime64(start, "ns"), np.datetime64(end, "ns"),
                           color=CATEGORY_COLORS.get(category, "#7f7f7f"), alpha=0.15, linewidth=0)
        ax.set_xlim(np.datetime64(t0, "ns"), np.datetime64(t1, "ns"))
        ax.set_ylim(0, max(1, int(per.sum(axis=0).max(initial=0))) * 1.08)
        right.set_ylim(0, max(1, int(calls.max(initial=0))) * 1.08)
        ax.set_ylabel(f"errors per {freq}")
        right.set_ylabel(f"calls per {freq}")
        handles, labels = ax.get_legend_handles_labels()
        h2, l2 = right.get_legend_handles_labels()
        fig.legend(handles + h2, labels + l2, loc="upper left", bbox_to_anchor=(0.058, 0.95), fontsize="small",
                   ncol=9, frameon=False, handlelength=1.2, columnspacing=1.2)
        fig.suptitle(f"Errors per category, {market or 'all markets'} (UTC); shaded: incidents", x=0.065, y=0.99,
                     ha="left", fontsize="medium")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        return buf.getvalue()

    def _sample(self, rows: np.ndarray) -> pd.DataFrame:
        n = defaults.EXPLORER_SAMPLE_ROWS
        if len(rows) > n:
            rows = rows[np.sort(np.random.default_rng(0).choice(len(rows), n, replace=False))]
        return self._df[_ROW_COLUMNS].take(rows).reset_index(drop=True)

    @staticmethod
    def _top_html(top: pd.DataFrame) -> str:
        if top.empty:
            return "<p>No errors in view.</p>"
        table = top[_TOP_COLUMNS].assign(share=top["share"].map("{:.0%}".format))
        return ("<div class='toolkit-scroll'>"
                + _shown(table).to_html(index=False, classes="toolkit-table", border=0) + "</div>")

    @staticmethod
    def _rows_html(sample: pd.DataFrame, total: int) -> str:
        if sample.empty:
            return "<p>No rows in view.</p>"
        table = sample.assign(ts=sample["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                              message=sample["message"].str.slice(0, 120))
        note = (f"{len(sample)} of {total:,} rows in view (a random sample; the export button writes them all)"
                if total > len(sample) else f"{total:,} rows in view")
        return (f"<p>{note}</p><div class='toolkit-scroll'>"
                + _shown(table).to_html(index=False, classes="toolkit-table", border=0) + "</div>")

    # -- export and close ----------------------------------------------------------------------------------

    def export(self) -> Path | None:
        """Write the rows in view to a new CSV file in ``export_dir``; returns its path.

        An earlier export of the same view is kept: the new file gets a number
        (``...-2.csv``). With no rows in view nothing is written, the status says
        so and None is returned.
        """
        if not self._export_dir.is_dir():
            self.status.value = (f"<span>export failed: the folder {html.escape(str(self._export_dir))} "
                                 "does not exist</span>")
            raise FileNotFoundError(f"explore(): export_dir {str(self._export_dir)!r} does not exist")
        t0, t1 = (pd.Timestamp(v, unit="ns") for v in self._window())
        name = f"toolkit-rows-{t0:%Y%m%d-%H%M}-{t1:%Y%m%d-%H%M}"
        if self.market.value:
            name += f"-{self.market.value}"
        rows = self.rows_in_view()
        if rows.empty:
            self.status.value = "<span>nothing to export: no rows in view</span>"
            return None
        path, n = self._export_dir / f"{name}.csv", 1
        while path.exists():  # an earlier export is never overwritten
            n += 1
            path = self._export_dir / f"{name}-{n}.csv"
        path = write_atomic(path, rows.to_csv(index=False))
        self.status.value = f"<span>wrote {len(rows):,} rows to {html.escape(str(path.resolve()))}</span>"
        return path

    def close(self) -> None:
        """Close the app's widgets and let go of the frame (a cell run again makes a new app)."""
        for w in _descendants(self):
            for part in (getattr(w, "layout", None), getattr(w, "style", None)):
                if isinstance(part, widgets.Widget):
                    part.close()
            if w is not self:
                w.close()
        self._df = self._order = self._t = self._m = self._c = self._e = None
        self._fig = self._ax = self._right = None
        super().close()


def _descendants(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _descendants(child)
