"""Matplotlib plots of a loaded frame: errors over time, a heatmap, latency and request rate.

Every function takes the frame from :func:`toolkit.load_logs` (``start``, ``end``, ``market``: as
filtering it first, see :mod:`toolkit.selection`), draws onto ``ax`` (the current Axes when None),
passes ``**kwargs`` on to the matplotlib call that draws the data, and returns the Axes; none calls
``plt.show()``.
Times are UTC. Categories keep the taxonomy's order and one colour each
(:data:`CATEGORY_COLORS`) in every plot.

One module per plot: :mod:`.timeline` (:func:`timeline`, and :func:`draw_timeline`, the one
timeline drawing, which the explorer uses too), :mod:`.heatmap`, :mod:`.latency`, :mod:`.rate`,
:mod:`.sessions` (WebSocket sessions, from :attr:`toolkit.Load.websocket`);
the colours, the Axes and the time axis they share are in ``_style.py``.
"""

from ._style import CATEGORY_COLORS, MARKET_COLORS
from .heatmap import heatmap
from .latency import latency
from .rate import rate
from .sessions import CLOSED_BY_COLORS, sessions
from .timeline import draw_timeline, timeline

__all__ = ["CATEGORY_COLORS", "CLOSED_BY_COLORS", "MARKET_COLORS", "draw_timeline", "heatmap", "latency", "rate",
           "sessions", "timeline"]
