"""The explorer: failures over time, narrowed down with a few controls, in one ipywidgets app.

``explore(df)`` shows the timeline, the top errors, the incidents and a sample
of the raw rows, kept in sync with the controls (time range, market,
categories, endpoint, bucket size). It uses the standard widget set only, so it
works in JupyterLab and Notebook 7 without a front-end build.

It is three parts:

- :class:`View` (``_view.py``), the view model, with no widgets: the state (time
  window, market, categories, endpoint, bucket, incident) and what it computes, the
  counts per bucket through the analysis kernel behind :func:`toolkit.error_rate`
  (so the plot is ``error_rate`` of the rows in view), the rows in view, the top
  errors, the sample and the export, with numpy on arrays kept once in time order;
- its HTML (``_html.py``): the tables, which wrap long messages, and the status line;
- the app (``_app.py``), :func:`explore` and :class:`Explorer`, which only wires the
  widgets to the view; the timeline is drawn by :func:`toolkit.plots.draw_timeline`,
  the same drawing as :func:`toolkit.plots.timeline`, on one figure kept for the app's
  life, and the time slider is debounced.

The app loads ipywidgets on first use of ``explore`` or ``Explorer``; :class:`View` needs none.
"""

from ._view import BUCKETS, Counts, Snapshot, View

__all__ = ["BUCKETS", "Counts", "Explorer", "Snapshot", "View", "explore"]


def __getattr__(name):
    if name in ("explore", "Explorer"):
        from . import _app

        return getattr(_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
