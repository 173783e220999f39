"""The busiest window of calls against the documented limit, over time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import utc
from ..analysis.rates import limit_for, rate_limits, window_counts
from ..errors import ParameterError
from ..selection import as_by, as_duration, require, select, times
from ._style import MARKET_COLORS, auto_freq, axes, naive, nothing, time_axis, where

__all__ = ["rate"]


def rate(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, by="market", freq=defaults.REQUEST_RATE_FREQ,
         limits=None, every=None, ax=None, **kwargs):
    """Peak calls per window of ``freq`` against the limit line, per group.

    A week holds 604,800 one-second windows: each point is the busiest window
    of ``freq`` in a display bucket of ``every``.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot`` (each one or a list), as
        filtering ``df`` first.
    by : str or None, default "market"
        One line per value of this column; None for all calls together.
    freq : str or Timedelta, default "1s"
        Window the limit applies to (see :func:`toolkit.request_rate`).
    limits : str or dict, optional
        As in :func:`toolkit.request_rate`.
    every : str or Timedelta, optional
        Display bucket; by default the smallest of 1s, 10s, 1min, ... that keeps
        the plot under 1,500 points.
    ax : matplotlib Axes, optional
        Where to draw; the current Axes by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd, toolkit
    >>> df = pd.DataFrame({"ts": pd.date_range("2026-11-16", periods=600, freq="100ms", tz="UTC"),
    ...                    "market": "spot"})
    >>> fig, ax = plt.subplots()
    >>> toolkit.plots.rate(df, ax=ax).get_lines()[-1].get_label()
    'limit 10 per 1s'
    >>> plt.close(fig)
    """
    cols = as_by(by, df, "rate")
    if len(cols) > 1:
        raise ParameterError(f"rate(): by must name one column or be None, not {by!r}")
    require(df, ["ts", *cols], "rate")
    f = as_duration(freq, "freq", "rate")
    limit = limit_for(f, rate_limits(limits, "rate"))
    sub = select(df, start=start, end=end, market=market, bot=bot, func="rate")
    ax = axes(ax)
    title = f"Busiest {freq} window per display bucket, {where(market, sub, bot)} (UTC)"
    if len(sub) == 0:
        return nothing(ax, title)
    t = times(sub, "rate")
    every = auto_freq(t, 1500) if every is None else every
    e = max(as_duration(every, "every", "rate"), f)
    keys, group, start, calls, _ = window_counts(sub[["ts", *cols]], "rate", freq=f, by=cols)
    peaks = pd.DataFrame({"g": group, "b": start // e, "calls": calls}).groupby(["g", "b"], sort=True)["calls"].max()
    first, last = int(t.min() // e), int(t.max() // e)
    span = np.arange(first, last + 1)
    for gi in range(len(keys)):
        series = peaks.loc[gi] if gi in peaks.index.get_level_values("g") else pd.Series(dtype=np.int64)
        y = series.reindex(span, fill_value=0).to_numpy()
        x = naive(utc(span * e))
        name = str(keys.iloc[gi, 0]) if cols else "all calls"
        color = MARKET_COLORS.get(name) if cols and cols[0] == "market" else f"C{gi}"
        ax.plot(x, y, drawstyle="steps-post", color=color, label=name, **kwargs)
    ax.axhline(limit, color="#d62728", linestyle="--", linewidth=1, label=f"limit {limit:,} per {freq}")
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"calls per {freq}")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    time_axis(ax)
    return ax
