"""What every plot shares: the category and market colours, the Axes to draw on, the UTC time axis, the
title's markets and the empty plot."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from .. import defaults
from ..schema import CATEGORIES, MARKETS
from ..selection import step_for, to_utc

#: One colour per category, keyed in the taxonomy's order.
CATEGORY_COLORS: dict[str, str] = dict(zip(CATEGORIES, [
    "#c7c7c7",  # ok
    "#8c564b",  # bad_request
    "#e377c2",  # auth
    "#f7b6d2",  # permission
    "#c49c94",  # not_found
    "#ff7f0e",  # rate_limit
    "#9467bd",  # insufficient_funds
    "#c5b0d5",  # order_rejected
    "#17becf",  # position
    "#9edae5",  # leverage_margin
    "#bcbd22",  # tpsl
    "#dbdb8d",  # product
    "#d62728",  # server_error
    "#ff9896",  # upstream_error
    "#1f77b4",  # transport
    "#aec7e8",  # malformed
    "#7f7f7f",  # unknown
]))

#: One colour per market.
MARKET_COLORS: dict[str, str] = {"spot": "#2ca02c", "futures": "#393b79", "unknown": "#7f7f7f"}

#: One line style per percentile, in order.
LINESTYLES = ["-", "--", ":", "-."]


def use_fonts() -> list[str]:
    """Draw in the fonts of :data:`toolkit.defaults.PLOT_FONTS` that are installed, a CJK one among them when
    there is one: set once, when the plots are first imported, and only where ``font.family`` is still
    matplotlib's default. Returns the families in use."""
    import matplotlib
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    families = [f for f in defaults.PLOT_FONTS if f in installed]
    if len(families) > 1 and matplotlib.rcParams["font.family"] == ["sans-serif"]:
        matplotlib.rcParams["font.family"] = families
    return list(matplotlib.rcParams["font.family"])


def axes(ax):
    """``ax``, or the current Axes when None."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def auto_freq(t: np.ndarray, most: int) -> str:
    """The smallest of :data:`toolkit.defaults.STEPS` that keeps the span of ``t`` under ``most`` buckets."""
    return step_for(int(t.max() - t.min()) if len(t) else 0, most)


def naive(ts) -> pd.DatetimeIndex:
    """UTC times without a zone, as matplotlib's date axis wants them."""
    return to_utc(pd.DatetimeIndex(ts)).tz_localize(None)


def time_axis(ax, label: str = "time (UTC)") -> None:
    """Concise date ticks on the x axis, labelled as UTC."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(label)


def nothing(ax, title: str):
    """An Axes that says there is nothing to show, under its title."""
    ax.text(0.5, 0.5, "no calls to show", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title)
    return ax


def where(market, df: pd.DataFrame | None = None, bot=None) -> str:
    """The markets (and the bots) a plot shows, for its title: those asked for, or else the markets the frame
    holds."""
    bots = "" if bot is None else ", " + (bot if isinstance(bot, str) else ", ".join(map(str, bot)))
    if market is None and df is not None and "market" in df and len(df):
        present = [m for m in MARKETS if (df["market"] == m).any()]
        if len(present) == 1:
            return present[0] + bots
    if market is None:
        return "all markets" + bots
    return (market if isinstance(market, str) else ", ".join(market)) + bots


use_fonts()
