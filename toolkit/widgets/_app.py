"""The explorer's ipywidgets app: controls wired to a :class:`~toolkit.widgets.View`, outputs replaced in place.

Every control copies its value into the view model, and a redraw puts what the
view computes into the widgets: the PNG bytes of one ``Image`` (drawn on one figure
kept for the app's life, never pyplot), the values of ``HTML`` widgets (never an
``Output`` cleared first). Time is chosen on two sliders: the overview over the
whole recording, and the zoom slider over the overview's selection in finer steps
(down to a minute), so a window of minutes is as easy to drag as a day. Both are
debounced: while one moves, only its last position redraws.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time

import ipywidgets as widgets
import pandas as pd

from .. import defaults
from .._words import time_words
from ..selection import as_duration
from . import _html
from ._debounce import Debounce
from ._view import BUCKETS, View

_LABEL_WIDTH = {"description_width": "80px"}


def explore(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, incidents=None,
            debounce=defaults.EXPLORER_DEBOUNCE, export_dir=".", ws=None) -> Explorer:
    """An app to narrow failures down: timeline, top errors, incidents and raw rows, kept in sync.

    Controls: the time (an overview slider over the whole recording and a zoom
    slider over its selection, in steps down to a minute; debounced), the market, the bot (when
    the frame holds two or more), the error categories (``ok`` too, to include
    the calls that succeeded), the endpoint (type part of a path: every
    endpoint containing it) and the bucket size. The status line counts the
    calls and failures of each bot in view.
    Choosing an incident zooms to it and shows what :func:`toolkit.describe_window`
    says about it; "export rows in view" writes those rows to a CSV file.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them. It is not modified.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first; see
        :mod:`toolkit.selection`.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns; computed from the calls by default.
    debounce : str or Timedelta, default "250ms"
        How long a time slider must rest before the app redraws (``"0s"``: at once).
    export_dir : str or path, default "."
        Where the export button writes its CSV files.
    ws : DataFrame, optional
        :attr:`toolkit.Load.websocket`: the WebSocket sessions with frames in view are listed under the
        timeline (who closed each, its close code, unanswered pings, its streams).

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
    return Explorer(df, start=start, end=end, market=market, bot=bot, incidents=incidents, debounce=debounce,
                    export_dir=export_dir, ws=ws)


class Explorer(widgets.VBox):
    """The app :func:`explore` returns: a ``VBox`` of controls and outputs.

    Attributes
    ----------
    view : toolkit.widgets.View
        The view model the controls drive: the state and everything computed from it.
    time_range, time_zoom, market, bot, categories, endpoint, bucket, incident : ipywidgets
        The controls. ``time_range`` is the overview over the whole recording (its handles never on one
        pixel), ``time_zoom`` the window within its selection (the window is ``time_zoom.value``).
        ``market.value`` is ``""`` for all markets, ``bot.value`` ``""`` for all
        bots (shown when the frame holds two or more), ``endpoint.value`` ``""`` for all
        endpoints, ``incident.value`` the row of the chosen incident.
    reset_button, export_button : ipywidgets.Button
    plot : ipywidgets.Image
        The timeline, as PNG, drawn as :func:`toolkit.plots.timeline` draws it.
    top_table, rows_table, orders_table, incident_summary, status, time_label : ipywidgets.HTML
    sessions_table : ipywidgets.HTML or None
        The WebSocket sessions in view, when ``ws`` was given.
    timeline : DataFrame
        What the plot shows, laid out as ``toolkit.error_rate(view, freq=..., by="category")``
        lays it out, for the chosen error categories and over the whole time range.
    top : DataFrame
        The top errors shown: :func:`toolkit.top_errors` of the rows in view.
    sample : DataFrame
        The raw rows shown.
    sessions : DataFrame or None
        The WebSocket sessions shown (:func:`toolkit.ws_sessions` of the frames in view), when ``ws`` was given.
    explanation : toolkit.analysis.WindowDescription or None
        What :func:`toolkit.describe_window` said about the chosen incident.
    view_calls, view_rows : int
        Calls in the time range, market and endpoint; of those, rows in the chosen categories.
    redraws, last_redraw_s
        How many redraws so far, and how long the last one took.
    """

    def __init__(self, df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, incidents=None,
                 debounce=defaults.EXPLORER_DEBOUNCE, export_dir=".", ws=None):
        delay = as_duration(debounce, "debounce", "explore", zero=True) / 1e9
        self.view = View(df, start=start, end=end, market=market, bot=bot, incidents=incidents, ws=ws)
        self._export_dir = export_dir
        self._held = 0
        self._syncing = False
        self._pushing = False
        self._old_zoom_length = 0  # how many positions the zoom slider had before the app last changed them
        self._slider_redraw = Debounce(self.redraw, delay)
        self.redraws, self.last_redraw_s = 0, 0.0
        controls = self._build_controls()
        outputs = self._build_outputs()
        super().__init__([controls, *outputs])
        self.add_class("toolkit-explorer")
        self._observe()
        self.redraw()

    @property
    def explanation(self):
        return self.view.explanation

    # -- built once ----------------------------------------------------------------------------------------

    def _build_controls(self) -> widgets.Widget:
        view = self.view
        self.time_range = widgets.SelectionRangeSlider(
            options=[(time_words(int(v)), int(v)) for v in view.positions], index=view.index,
            description="time (UTC)", continuous_update=True, readout=False, style=_LABEL_WIDTH,
            layout=widgets.Layout(width="70%"))
        self.time_zoom = widgets.SelectionRangeSlider(
            options=self._zoom_options(), index=view.detail, description="zoom", continuous_update=True,
            readout=False, style=_LABEL_WIDTH, layout=widgets.Layout(width="70%"))
        self.time_label = widgets.HTML(layout=widgets.Layout(width="auto", min_width="300px", margin="0 0 0 8px"))
        self.market = widgets.Dropdown(options=[("all markets", "")] + [(m, m) for m in view.markets], value="",
                                       description="market", style=_LABEL_WIDTH, layout=widgets.Layout(width="220px"))
        self.bot = widgets.Dropdown(options=[("all bots", "")] + [(b, b) for b in view.bots], value=view.bot,
                                    description="bot", style=_LABEL_WIDTH, layout=widgets.Layout(width="220px"))
        self.bucket = widgets.Dropdown(options=BUCKETS, value=view.bucket, description="bucket", style=_LABEL_WIDTH,
                                       layout=widgets.Layout(width="220px"))
        self.categories = widgets.SelectMultiple(
            options=view.cats, value=view.categories, rows=len(view.cats),  # every category seen, no scrolling
            description="categories", style=_LABEL_WIDTH, layout=widgets.Layout(width="300px"))
        self.endpoint = widgets.Combobox(
            options=view.endpoints, value="", placeholder="all endpoints (type to search)", ensure_option=False,
            continuous_update=False, description="endpoint", style=_LABEL_WIDTH, layout=widgets.Layout(width="440px"))
        self.reset_button = widgets.Button(description="whole recording", icon="undo",
                                           layout=widgets.Layout(width="auto"),
                                           tooltip="all times, markets, bots, error categories and endpoints")
        self.export_button = widgets.Button(description="export rows in view", icon="download",
                                            layout=widgets.Layout(width="auto"),
                                            tooltip="write the rows in view to a CSV file")
        self._tag(time=self.time_range, time_zoom=self.time_zoom, market=self.market, bot=self.bot,
                  bucket=self.bucket, categories=self.categories, endpoint=self.endpoint, reset=self.reset_button,
                  export=self.export_button)
        buttons = widgets.HBox([self.reset_button, self.export_button], layout=widgets.Layout(margin="8px 0 0 84px"))
        beside = [self.market, self.bot, self.bucket] if len(view.bots) > 1 else [self.market, self.bucket]
        return widgets.VBox([
            widgets.HTML(_html.CSS),
            widgets.VBox([widgets.HBox([self.time_range, self.time_label]), self.time_zoom]),
            widgets.HBox([widgets.VBox(beside), self.categories, widgets.VBox([self.endpoint, buttons])]),
        ])

    def _build_outputs(self) -> list[widgets.Widget]:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        # one figure for the app's life, fixed margins (a layout engine would cost more than the drawing),
        # no pyplot: nothing is registered or shown behind the app's back
        self._fig = Figure(figsize=(11, 3.8), dpi=96)
        self._fig.subplots_adjust(left=0.065, right=0.935, top=0.92, bottom=0.14)
        FigureCanvasAgg(self._fig)
        self._ax = self._fig.add_subplot()
        self._right = self._ax.twinx()
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="1056px"))
        self.status = widgets.HTML()
        self.messages = widgets.HTML()  # an export written, a failure: on a line of their own, below the status
        self.top_table = widgets.HTML()
        self.rows_table = widgets.HTML()
        self.incident_summary = widgets.HTML()
        self.orders_table = widgets.HTML()
        self.incident = widgets.Select(options=self.view.incident_options(), value=None, rows=6,
                                       layout=widgets.Layout(width="98%"))
        self._tag(timeline=self.plot, status=self.status, messages=self.messages, **{"top-errors": self.top_table},
                  rows=self.rows_table, incidents=self.incident, **{"incident-summary": self.incident_summary},
                  orders=self.orders_table)
        heading = widgets.HTML
        # the incidents over the whole width, so that every label shows whole; the top errors below them
        incidents = widgets.VBox([heading("<b>Incidents</b> (choose one to zoom in and explain it)"), self.incident,
                                  self.incident_summary], layout=widgets.Layout(width="100%"))
        top = widgets.VBox([heading("<b>Top errors in view</b>"), self.top_table], layout=widgets.Layout(width="100%"))
        rows = widgets.VBox([heading("<b>Raw rows in view</b>"), self.rows_table])
        orders = widgets.VBox([heading("<b>Orders of unknown outcome in view</b> (did they go through?)"),
                               self.orders_table])
        if self.view.ws is None:
            self.sessions_table = None
            return [self.status, self.messages, self.plot, incidents, top, rows, orders]
        self.sessions_table = widgets.HTML()
        self._tag(sessions=self.sessions_table)
        feeds = widgets.VBox([heading("<b>WebSocket sessions in view</b>"), self.sessions_table])
        return [self.status, self.messages, self.plot, incidents, top, feeds, rows, orders]

    @staticmethod
    def _tag(**named) -> None:
        """A CSS class per widget (``toolkit-market``, ...), for styling and for browser tests."""
        for name, w in named.items():
            w.add_class(f"toolkit-{name}")

    def _observe(self) -> None:
        self.time_range.observe(lambda _: self._slider_moved(), names="index")
        self.time_zoom.observe(lambda _: self._zoom_moved(), names="index")
        for w in (self.market, self.bot, self.categories, self.endpoint, self.bucket):
            w.observe(lambda _: self._changed(), names="value")
        self.incident.observe(lambda change: None if self._syncing else self._incident_chosen(change["new"]),
                              names="value")
        self.reset_button.on_click(lambda _: self.reset())
        self.export_button.on_click(lambda _: self.export())

    # -- between the controls and the view -----------------------------------------------------------------

    def _pull(self) -> None:
        """The controls' values into the view model."""
        view = self.view
        view.index = tuple(int(i) for i in self.time_range.index)
        view.detail = tuple(int(i) for i in self.time_zoom.index)
        view.market, view.bot = self.market.value, self.bot.value
        view.endpoint, view.bucket = self.endpoint.value, self.bucket.value
        view.categories = tuple(self.categories.value)

    def _push(self) -> None:
        """The view model's state into the controls (held: one redraw follows)."""
        # read first: each control set is observed and pulls the controls' values into the view again
        index, market, bot, endpoint, bucket, categories = (self.view.index, self.view.market, self.view.bot,
                                                            self.view.endpoint, self.view.bucket, self.view.categories)
        with self._following():
            self.time_range.index = index
            self._push_zoom()
        self.market.value, self.bot.value, self.endpoint.value, self.bucket.value = market, bot, endpoint, bucket
        self.categories.value = categories

    @contextlib.contextmanager
    def _following(self):
        """The time sliders set from the view, which is right: their observers stand by."""
        self._pushing = True
        try:
            yield
        finally:
            self._pushing = False

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
        self._pull()
        self._sync_incidents()
        if not self._held:
            self._forget_explanation()
            self._slider_redraw.cancel()
            self.redraw()

    def _forget_explanation(self) -> None:
        """The view changed: an explanation of an incident no longer describes it."""
        self.view.forget()
        self.incident_summary.value = ""
        if self.incident.value is not None:
            self.incident.value = None

    def _sync_incidents(self) -> None:
        """List only the incidents of the market in view (and of the markets the bot in view calls)."""
        options = self.view.incident_options()
        if list(self.incident.options) != options:
            chosen = self.incident.value
            self._syncing = True
            try:
                self.incident.options = options
                self.incident.value = chosen if chosen in [i for _, i in options] else None
            finally:
                self._syncing = False

    def _zoom_options(self) -> list[tuple[str, int]]:
        return [(time_words(int(v)), int(v)) for v in self.view.fine]

    def _push_zoom(self) -> None:
        """The zoom slider over the view's overview selection, at the view's window."""
        options, detail = self._zoom_options(), self.view.detail
        with self.time_zoom.hold_sync():  # options and handles reach the front end in one message
            if list(self.time_zoom.options) != options:
                # a front end may first fit the new handles to the old options and send that back: see _zoom_moved
                self._old_zoom_length = len(self.time_zoom.options)
                self.time_zoom.options = options
            self.time_zoom.index = detail

    def _slider_moved(self) -> None:
        if self._pushing:
            return
        index = tuple(int(i) for i in self.time_range.index)
        fixed = self.view.handles(*index)  # handles never swap nor share a pixel
        if fixed != index:
            self.time_range.index = fixed  # observed again, with the corrected handles
            return
        if fixed == self.view.index:  # the front end echoing what the app set: nothing moved
            return
        self.view.overview(*fixed)  # the zoom slider spans the new selection, all of it the window
        with self._following():
            self._push_zoom()
        self._window_moved()

    def _zoom_moved(self) -> None:
        if self._pushing:
            return
        index = tuple(int(i) for i in self.time_zoom.index)
        if index == self.view.detail:  # the front end echoing what the app set: nothing moved
            return
        last = self._old_zoom_length - 1
        if index == tuple(min(i, last) for i in self.view.detail):  # the app's handles fitted to the old options
            with self._following():  # (by the front end, before the new ones came): put them back
                self._push_zoom()
            return
        fixed = self.view.detail_handles(*index)  # handles never swap nor meet
        if fixed != index:
            self.time_zoom.index = fixed  # observed again, with the corrected handles
            return
        self.view.detail = fixed
        self._window_moved()

    def _window_moved(self) -> None:
        if not self._held:
            self._forget_explanation()
        self.time_label.value = _html.window_label(self.view.window())  # at once; the redraw waits for the rest
        if not self._held:
            self._slider_redraw()

    def _incident_chosen(self, i) -> None:
        if i is None:
            return
        self._pull()
        self.view.choose(i)
        with self._hold():
            self._push()
            self.incident_summary.value = _html.explanation(self.view.explanation)

    # -- from code -----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Redraw now if a move of the time slider is waiting out its debounce."""
        self._slider_redraw.flush()

    def reset(self) -> None:
        """Back to the whole recording: all times, markets, bots, error categories and endpoints."""
        with self._hold():
            self.view.reset()
            self.incident.value = None
            self.incident_summary.value = ""
            self._push()

    def zoom(self, start, end, *, market=None) -> None:
        """Show ``[start, end)``, widened to the zoom slider's steps; only ``market`` when one is given.

        Naive times are UTC. An incident's explanation is cleared: it no longer
        describes the view.
        """
        with self._hold():
            self._forget_explanation()
            self._pull()
            self.view.zoom(start, end, market)
            self._push()

    def rows_in_view(self) -> pd.DataFrame:
        """The calls in the time range, market, bot, categories and endpoint, in time order (a new frame)."""
        self._pull()
        return self.view.rows_in_view()

    def redraw(self) -> None:
        """Recompute and redraw every output from the controls."""
        began = time.perf_counter()
        self._pull()
        try:
            snap = self.view.snapshot()
            self.view_calls, self.view_rows = snap.calls, snap.rows
            self.timeline, self.top, self.sample = snap.timeline, snap.top, snap.sample
            self.plot.value = self._png(snap)
            self.top_table.value = _html.top_table(snap.top)
            self.rows_table.value = _html.rows_table(snap.sample, snap.rows)
            self.orders_table.value = _html.orders_table(self.view.orders_in_view())
            self.sessions = snap.sessions
            if self.sessions_table is not None:
                self.sessions_table.value = _html.sessions_table(snap.sessions)
        except Exception as exc:
            self.messages.value = _html.message(f"redraw failed: {type(exc).__name__}: {exc}")
            raise
        self.redraws += 1
        self.last_redraw_s = time.perf_counter() - began
        self.time_label.value = _html.window_label(snap.window)
        self.status.value = _html.status(snap, self.view.market, self.last_redraw_s, self.view.bot)

    def _png(self, snap) -> bytes:
        """The timeline as PNG bytes, drawn by the view on the app's one figure."""
        # the Axes stay (clearing them would cost more than the drawing), only what they show is new
        for ax in (self._ax, self._right):
            for artist in [*ax.collections, *ax.patches, *ax.lines, *([ax.legend_] if ax.legend_ else [])]:
                artist.remove()
            ax.ignore_existing_data_limits = True  # limits from the new data alone
            ax.set_autoscale_on(True)
        self.view.draw(self._ax, snap.counts, right=self._right)
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        return buf.getvalue()

    # -- export and close ----------------------------------------------------------------------------------

    def export(self):
        """Write the rows in view to a new CSV file in ``export_dir``; returns its path.

        An earlier export of the same view is kept: the new file gets a number
        (``...-2.csv``). With no rows in view nothing is written, the status says
        so and None is returned.
        """
        self._pull()
        try:
            path = self.view.export(self._export_dir)
        except FileNotFoundError:
            self.messages.value = _html.message(f"export failed: the folder {self._export_dir} does not exist")
            raise
        if path is None:
            self.messages.value = _html.message("nothing to export: no rows in view")
        else:
            self.messages.value = _html.message(f"wrote {self.view_rows:,} rows to {path.resolve()}")
        return path

    def close(self) -> None:
        """Close the app's widgets and let go of the frame (a cell run again makes a new app)."""
        for w in _descendants(self):
            for part in (getattr(w, "layout", None), getattr(w, "style", None)):
                if isinstance(part, widgets.Widget):
                    part.close()
            if w is not self:
                w.close()
        self.view = self._fig = self._ax = self._right = None
        super().close()


def _descendants(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _descendants(child)
