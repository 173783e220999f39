"""WebSocket sessions on a timeline: one lane per bot and market, a bar per session coloured by who closed it,
its close code where it dropped, refused upgrades as crosses and stale streams in red."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.patches as mpatches
import pandas as pd

from ..selection import require, select
from ._style import axes, naive, time_axis, where

__all__ = ["CLOSED_BY_COLORS", "sessions"]

#: One colour per ``closed_by`` of :func:`toolkit.ws_sessions`.
CLOSED_BY_COLORS = {"server": "#ff7f0e", "network": "#d62728", "client": "#2ca02c", "unknown": "#9e9e9e"}


def sessions(ws: pd.DataFrame, *, start=None, end=None, market=None, bot=None, ax=None, **kwargs):
    """The WebSocket sessions of :attr:`toolkit.Load.websocket` on a timeline.

    Parameters
    ----------
    ws : DataFrame
        :attr:`toolkit.Load.websocket`.
    start, end, market, bot : optional
        Only these rows, as filtering ``ws`` first.
    ax : matplotlib Axes, optional
        Where to draw; the current Axes by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.broken_barh`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, toolkit
    >>> ws = toolkit.read_logs("tests/data/websocket/websockets-spot.log").websocket
    >>> fig, ax = plt.subplots()
    >>> [t.get_text() for t in toolkit.plots.sessions(ws, ax=ax).texts]
    ['1012', '1006']
    >>> plt.close(fig)
    """
    from ..analysis.websocket import stale_streams, ws_sessions

    require(ws, ["ts", "connection", "kind", "market", "bot"], "sessions")
    sub = select(ws, start=start, end=end, market=market, bot=bot, func="sessions")
    ax = axes(ax)
    title = f"WebSocket sessions, {where(market, sub, bot)} (UTC)"
    if len(sub) == 0:
        ax.text(0.5, 0.5, "no WebSocket sessions to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        return ax
    table = ws_sessions(sub)
    lanes_of = sub.drop_duplicates("connection").set_index("connection")
    lane_names = sorted({f"{b} {m}" for b, m in zip(lanes_of["bot"].astype(str), lanes_of["market"].astype(str))})
    lane = {c: lane_names.index(f"{b} {m}") for c, b, m in zip(lanes_of.index, lanes_of["bot"].astype(str),
                                                                 lanes_of["market"].astype(str))}
    day = pd.Timedelta("1D")
    for r in table.itertuples():
        end_at = r.closed if pd.notna(r.closed) else r.opened + r.duration
        x0 = mdates.date2num(naive([r.opened]))[0]
        width = (end_at - r.opened) / day
        ax.broken_barh([(x0, max(width, 1e-7))], (lane[r.connection] - 0.3, 0.6),
                       facecolors=CLOSED_BY_COLORS.get(r.closed_by, "#9e9e9e"), **kwargs)
        if pd.notna(r.close_code) and r.close_code != 1000:
            ax.annotate(str(int(r.close_code)), (naive([end_at])[0], lane[r.connection] + 0.32), fontsize="small",
                        ha="center", va="bottom", color=CLOSED_BY_COLORS.get(r.closed_by, "#333333"))
    failed = sub[(sub["kind"] == "handshake_failed").to_numpy()]
    if len(failed):
        ax.plot(naive(failed["ts"]), [lane[c] for c in failed["connection"].astype(object)], "x", color="black",
                label="refused upgrade")
    for s in stale_streams(sub).itertuples():
        stop = s.end if pd.notna(s.end) else s.start + s.duration
        y = lane[s.connection]
        ax.plot(naive([s.start, stop]), [y, y], color="#d62728", linewidth=4, solid_capstyle="butt",
                label="stale stream")
    ax.set_yticks(range(len(lane_names)), lane_names)
    ax.set_ylim(-0.7, len(lane_names) + 0.5)  # room for the legend above the top lane
    handles = [mpatches.Patch(color=c, label=f"closed by {k}")
               for k, c in CLOSED_BY_COLORS.items() if k in set(table["closed_by"])]
    seen = {}
    for h, lab in zip(*ax.get_legend_handles_labels()):
        seen.setdefault(lab, h)
    ax.legend(handles=handles + list(seen.values()), loc="upper left", fontsize="small",
              ncol=max(1, len(handles) + len(seen)))
    ax.set_title(title)
    time_axis(ax)
    return ax

