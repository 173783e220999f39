"""Latency percentiles over time: one line style per percentile, one colour per group, a tail percentile shaded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .._grid import utc
from ..errors import ParameterError
from ..schema import MARKETS
from ..selection import as_by, as_duration, require, select, times
from ._style import LINESTYLES, MARKET_COLORS, auto_freq, axes, naive, nothing, time_axis, where

__all__ = ["latency"]


def latency(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, by="market", freq=None,
            percentiles=defaults.PERCENTILES, band=None, ax=None, **kwargs):
    """Latency percentiles per time bucket: one line style per percentile, one colour per group.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``latency_ms``).
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot`` (each one or a list), as
        filtering ``df`` first.
    by : str or None, default "market"
        One set of lines per value of this column; None for all calls together.
    freq : str or Timedelta, optional
        Bucket size; by default the smallest of 1s, 10s, 1min, 5min, 15min, 1h,
        ... that keeps the plot under 200 buckets (a week: one hour).
    percentiles : sequence of numbers, default (50, 90, 99)
        Between 0 and 100, each a line.
    band : number, optional
        A percentile shaded from the highest line up, rather than drawn as a line: a
        tail percentile (p99) zig-zags over a long window, and a band shows its reach
        without hiding the lines. ``percentiles=(50, 90), band=99`` is what the report draws.
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
    >>> df = pd.DataFrame({"ts": pd.date_range("2026-11-16", periods=600, freq="1min", tz="UTC"),
    ...                    "market": "spot", "latency_ms": 40.0})
    >>> fig, ax = plt.subplots()
    >>> len(toolkit.plots.latency(df, percentiles=[50, 99], ax=ax).get_lines())
    2
    >>> ax = toolkit.plots.latency(df, percentiles=[50, 90], band=99, ax=ax)
    >>> [t.get_text() for t in ax.get_legend().get_texts()][-3:]
    ['spot p50', 'spot p90', 'spot p90–p99']
    >>> plt.close(fig)
    """
    cols = as_by(by, df, "latency")
    if len(cols) > 1:
        raise ParameterError(f"latency(): by must name one column or be None, not {by!r}")
    require(df, ["ts", "latency_ms", *cols], "latency")
    q = list(percentiles) if isinstance(percentiles, (list, tuple, np.ndarray)) else None
    if not q or not all(isinstance(p, (int, float, np.integer, np.floating)) and 0 <= p <= 100 for p in q):
        raise ParameterError(f"latency(): percentiles must be numbers between 0 and 100, not {percentiles!r}")
    if band is not None and not (isinstance(band, (int, float, np.integer, np.floating)) and max(q) < band <= 100):
        raise ParameterError(f"latency(): band must be a percentile above the highest of percentiles, not {band!r}")
    sub = select(df, start=start, end=end, market=market, bot=bot, func="latency")
    ax = axes(ax)
    t = times(sub, "latency")
    freq = auto_freq(t, 200) if freq is None else freq
    f = as_duration(freq, "freq", "latency")
    title = f"Latency percentiles per {freq}, {where(market, sub, bot)} (UTC)"
    if len(sub) == 0:
        return nothing(ax, title)
    bucket = t // f
    frame = pd.DataFrame({"bucket": bucket, "latency": sub["latency_ms"].to_numpy(dtype=np.float64, na_value=np.nan)})
    keys = ["bucket"]
    if cols:
        frame["group"] = sub[cols[0]].to_numpy()
        keys = ["group", "bucket"]
    wanted = [p / 100 for p in q] + ([] if band is None else [band / 100])
    stats = frame.dropna().groupby(keys, sort=True, observed=True)["latency"].quantile(wanted)
    stats = stats.unstack(-1)
    groups = stats.index.get_level_values("group").unique() if cols else [None]
    if cols and cols[0] == "market":
        groups = [m for m in MARKETS if m in set(groups)] + [g for g in groups if g not in MARKETS]
    for i, g in enumerate(groups):
        part = stats.loc[g] if g is not None else stats
        x = naive(utc(part.index.to_numpy() * f))
        color = MARKET_COLORS.get(str(g)) if cols and cols[0] == "market" else f"C{i}"
        for j, p in enumerate(q):
            name = f"p{p:g}" if g is None else f"{g} p{p:g}"
            ax.plot(x, part[p / 100].to_numpy(), color=color, linestyle=LINESTYLES[j % len(LINESTYLES)],
                    label=name, **kwargs)
        if band is not None:
            name = f"p{max(q):g}–p{band:g}" if g is None else f"{g} p{max(q):g}–p{band:g}"
            ax.fill_between(x, part[max(q) / 100].to_numpy(), part[band / 100].to_numpy(), color=color, alpha=0.15,
                            linewidth=0, label=name)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small", ncol=max(1, len(q) + (band is not None)))
    time_axis(ax)
    return ax
