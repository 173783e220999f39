"""Errors per value of a column (rows) and time bucket (columns), as a heatmap."""

from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from ..analysis import error_rate
from ..errors import ParameterError
from ..schema import CATEGORIES
from ..selection import as_by, require, select
from ._style import CATEGORY_COLORS, axes, naive, nothing, time_axis, where

__all__ = ["heatmap"]


def heatmap(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, by="category", freq="1h", ax=None,
            **kwargs):
    """Errors per value of ``by`` (rows) and time bucket (columns).

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot`` (each one or a list), as
        filtering ``df`` first.
    by : str, default "category"
        The rows: ``category`` (in the taxonomy's order, label colours kept),
        ``endpoint``, ``reason``, ``symbol``, ... (by error count, at most 25).
    freq : str or Timedelta, default "1h"
        Column width.
    ax : matplotlib Axes, optional
        Where to draw; the current Axes by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.pcolormesh` (``cmap``, ...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd, toolkit
    >>> df = pd.DataFrame({"ts": pd.date_range("2026-11-16", periods=240, freq="1min", tz="UTC"),
    ...                    "market": "spot", "category": ["ok", "rate_limit", "ok", "auth"] * 60})
    >>> df["is_error"] = df["category"] != "ok"
    >>> fig, ax = plt.subplots()
    >>> [t.get_text() for t in toolkit.plots.heatmap(df, ax=ax).get_yticklabels()]
    ['auth', 'rate_limit']
    >>> plt.close(fig)
    """
    cols = as_by(by, df, "heatmap")
    if len(cols) != 1:
        raise ParameterError(f"heatmap(): by must name one column, not {by!r}")
    col = cols[0]
    require(df, ["ts", "market", "is_error", col], "heatmap")
    sub = select(df, start=start, end=end, market=market, bot=bot, func="heatmap")
    ax = axes(ax)
    title = f"Errors by {col} per {freq}, {where(market, sub, bot)} (UTC)"
    sub = sub[sub["is_error"].to_numpy(dtype=bool, na_value=False)]
    if len(sub) == 0:
        return nothing(ax, title)
    counts = error_rate(sub.assign(is_error=True), freq=freq, by=col)
    table = counts.pivot_table(index=col, columns="ts", values="errors", aggfunc="sum", observed=True, sort=False)
    if col == "category":
        table = table.reindex([c for c in CATEGORIES if c in table.index])
    else:
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index[:25]]
    table = table.loc[table.sum(axis=1) > 0]
    starts = naive(table.columns)
    edges = mdates.date2num(starts.append(pd.DatetimeIndex([starts[-1] + pd.Timedelta(freq)])))
    z = np.ma.masked_equal(table.to_numpy(dtype=np.float64), 0)
    kwargs.setdefault("cmap", "Reds")
    kwargs.setdefault("norm", mcolors.LogNorm(vmin=1, vmax=max(float(z.max()), 1.0) if z.count() else 1.0))
    mesh = ax.pcolormesh(edges, np.arange(len(table) + 1), z, **kwargs)
    ax.set_yticks(np.arange(len(table)) + 0.5, [str(v) for v in table.index])
    ax.invert_yaxis()
    if col == "category":
        for label in ax.get_yticklabels():
            label.set_color(CATEGORY_COLORS.get(label.get_text(), "black"))
    ax.figure.colorbar(mesh, ax=ax, label=f"errors per {freq}")
    ax.set_ylabel(col)
    ax.set_title(title)
    ax.xaxis_date()
    time_axis(ax)
    return ax
