"""Matplotlib plots of a loaded frame: errors over time, a heatmap, latency and request rate.

Every function takes the frame from :func:`toolkit.load_logs` (``start``, ``end``, ``market``: as
filtering it first, see :mod:`toolkit.selection`), draws onto ``ax`` (the current Axes when None),
passes ``**kwargs`` on to the matplotlib call that draws the data, and returns the Axes; none calls
``plt.show()``.
Times are UTC. Categories keep the taxonomy's order and one colour each
(:data:`CATEGORY_COLORS`) in every plot.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from . import defaults
from ._grid import utc
from .analysis import error_rate, find_incidents
from .analysis.rates import limit_for, rate_limits, window_counts
from .errors import ParameterError
from .schema import CATEGORIES, MARKETS
from .selection import as_by, as_duration, require, select, step_for, times, to_utc

__all__ = ["CATEGORY_COLORS", "MARKET_COLORS", "draw_timeline", "heatmap", "latency", "rate", "timeline"]

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

_LINESTYLES = ["-", "--", ":", "-."]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def _auto_freq(t: np.ndarray, most: int) -> str:
    """The smallest of :data:`toolkit.defaults.STEPS` that keeps the span of ``t`` under ``most`` buckets."""
    return step_for(int(t.max() - t.min()) if len(t) else 0, most)


def _naive(ts) -> pd.DatetimeIndex:
    """UTC times without a zone, as matplotlib's date axis wants them."""
    return to_utc(pd.DatetimeIndex(ts)).tz_localize(None)


def _time_axis(ax, label: str = "time (UTC)") -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(label)


def _nothing(ax, title: str):
    ax.text(0.5, 0.5, "no calls to show", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title)
    return ax


def _where(market, df: pd.DataFrame | None = None) -> str:
    """The markets a plot shows, for its title: those asked for, or else those the frame holds."""
    if market is None and df is not None and "market" in df and len(df):
        present = [m for m in MARKETS if (df["market"] == m).any()]
        if len(present) == 1:
            return present[0]
    if market is None:
        return "all markets"
    return market if isinstance(market, str) else ", ".join(market)


def timeline(df: pd.DataFrame, *, start=None, end=None, market=None, freq=None, incidents=True, yscale="auto",
             ax=None, **kwargs):
    """Errors per category over time, stacked, with call volume on a second axis and incidents shaded.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market : optional
        Only the calls in ``[start, end)`` and of ``market`` (one or a list), as filtering ``df`` first.
    freq : str or Timedelta, optional
        Bucket size; by default the smallest of 1s, 10s, 1min, 5min, 15min, 1h,
        ... that keeps the plot under 800 buckets.
    incidents : bool or DataFrame, default True
        Shade the windows of :func:`toolkit.find_incidents` (True), of the given
        result (a DataFrame with ``start``, ``end``, ``category``), or none (False).
        The legend names each shaded category.
    yscale : {"auto", "linear", "symlog"}, default "auto"
        The errors' axis. ``"auto"`` switches to a symmetric log scale (linear
        up to 10) when the busiest bucket holds more than
        ``defaults.TIMELINE_SYMLOG_RATIO`` times the errors of a typical failing
        bucket, so that small incidents still show next to big spikes.
    ax : matplotlib Axes, optional
        Where to draw; the current Axes by default. The call volume goes on a
        twin Axes behind it that shares its x axis. The legend stays inside the Axes.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.stackplot`.

    Returns
    -------
    matplotlib Axes

    See Also
    --------
    draw_timeline : the drawing itself, from counts; the explorer draws through it too.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd, toolkit
    >>> df = pd.DataFrame({"ts": pd.date_range("2026-11-16", periods=120, freq="1min", tz="UTC"),
    ...                    "market": "spot", "category": ["ok", "rate_limit"] * 60})
    >>> df["is_error"] = df["category"] != "ok"
    >>> fig, ax = plt.subplots()
    >>> toolkit.plots.timeline(df, incidents=False, ax=ax).get_title()
    'Errors per category, spot (UTC)'
    >>> plt.close(fig)
    """
    require(df, ["ts", "market", "category", "is_error"], "timeline")
    _check_yscale(yscale)
    sub = select(df, start=start, end=end, market=market, func="timeline")
    ax = _axes(ax)
    title = f"Errors per category, {_where(market, sub)} (UTC)"
    if len(sub) == 0:
        return _nothing(ax, title)
    t = times(sub, "timeline")
    freq = _auto_freq(t, 800) if freq is None else freq
    total = error_rate(sub, freq=freq, by=None)
    per = error_rate(sub, freq=freq, by="category")
    present = [c for c in CATEGORIES if c != "ok" and (per["category"] == c).any()]
    errors = {c: per.loc[per["category"] == c, "errors"].to_numpy() for c in present}
    spans = []
    if incidents is not False:
        found = find_incidents(sub) if incidents is True else incidents
        if not isinstance(found, pd.DataFrame) or not {"start", "end", "category"} <= set(found.columns):
            raise ParameterError("timeline(): incidents must be True, False or a DataFrame with start, end and "
                             f"category columns such as find_incidents returns, not {type(incidents).__name__}")
        if market is not None and "market" in found:
            found = found[found["market"].isin([market] if isinstance(market, str) else market)]
        spans = [(row.start, row.end, str(row.category)) for row in found.itertuples()
                 if row.end.value > t.min() and row.start.value <= t.max()]  # those in the window shown
    starts = _naive(total["ts"]).asi8
    return draw_timeline(ax, starts, total["calls"].to_numpy(), errors, freq=freq, title=title, spans=spans,
                         yscale=yscale, **kwargs)


def _check_yscale(yscale) -> None:
    if yscale not in ("auto", "linear", "symlog"):
        raise ParameterError(f"timeline(): yscale must be 'auto', 'linear' or 'symlog', not {yscale!r}")


def _ns(value) -> np.datetime64:
    """A time (int64 ns, or anything pandas reads; naive is UTC) as a naive UTC datetime64 for the date axis."""
    ts = pd.Timestamp(int(value), unit="ns") if isinstance(value, (int, np.integer)) else pd.Timestamp(value)
    return np.datetime64(to_utc(ts).as_unit("ns").value, "ns")


def draw_timeline(ax, starts, calls, errors, *, freq, title: str, spans=(), yscale="auto", xlim=None, right=None,
                  **kwargs):
    """Draw the timeline from counts per bucket: what :func:`timeline` and the explorer both show.

    The errors per category are stacked in front, the calls are a thin line on a
    twin Axes behind them (so they never hide a bar), incidents are shaded bands
    named in the legend, and the legend stays inside the Axes, with headroom for it.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    starts, calls : arrays of int64
        Bucket starts (nanoseconds since the epoch, UTC) and calls per bucket.
    errors : dict of str to array of int
        Errors per bucket for each category drawn, in the order to stack them.
    freq, title : str
        The bucket size (for the axis labels) and the title, which names the market(s) shown.
    spans : sequence of (start, end, category)
        Incident windows to shade (times as Timestamps or int64 ns).
    yscale : {"auto", "linear", "symlog"}, default "auto"
        As in :func:`timeline`.
    xlim : (start, end), optional
        The time range shown (int64 ns or Timestamps); the buckets' by default.
    right : matplotlib Axes, optional
        The twin of ``ax`` for the calls, to draw on again (its data and ``ax``'s removed,
        both autoscaling afresh); ``ax.twinx()`` by default.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.stackplot`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, numpy as np, pandas as pd, toolkit
    >>> starts = pd.date_range("2026-11-16", periods=3, freq="1h").asi8
    >>> fig, ax = plt.subplots()
    >>> ax = toolkit.plots.draw_timeline(ax, starts, np.array([50, 80, 40]), {"rate_limit": np.array([0, 30, 1])},
    ...                                  freq="1h", title="Errors per category, spot (UTC)")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['rate_limit', 'calls']
    >>> plt.close(fig)
    """
    _check_yscale(yscale)
    x = np.asarray(starts, dtype=np.int64).view("datetime64[ns]")
    calls = np.asarray(calls)
    present = list(errors)
    ys = [np.asarray(errors[c]) for c in present]
    if ys:
        kwargs.setdefault("step", "post")
        kwargs.setdefault("linewidth", 0)
        ax.stackplot(x, *ys, colors=[CATEGORY_COLORS.get(c, "#7f7f7f") for c in present], labels=present, **kwargs)
    ax.set_ylabel(f"errors per {freq}")
    total = np.sum(ys, axis=0) if ys else np.zeros(len(x), dtype=np.int64)
    failing = total[total > 0]
    if yscale == "auto":
        typical = float(np.median(failing)) if len(failing) else 0.0
        yscale = "symlog" if typical and total.max() > defaults.TIMELINE_SYMLOG_RATIO * typical else "linear"
    ax.set_yscale("symlog", linthresh=10, linscale=0.5) if yscale == "symlog" else ax.set_yscale("linear")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    right = ax.twinx() if right is None else right
    right.plot(x, calls, color="#555555", linewidth=0.6, alpha=0.45, drawstyle="steps-post", label="calls")
    right.set_ylabel(f"calls per {freq}")
    right.set_ylim(bottom=0)
    ax.set_zorder(right.get_zorder() + 1)  # the errors in front of the calls line, which never hides a bar
    ax.patch.set_visible(False)
    named = set()
    for start, end, category in spans:  # one band per incident, a handful of them
        ax.axvspan(_ns(start), _ns(end), color=CATEGORY_COLORS.get(category, "#7f7f7f"), alpha=0.2, linewidth=0,
                   zorder=0, label=f"incident: {category}" if category not in named else "_incident")
        named.add(category)
    if xlim is not None:
        ax.set_xlim(_ns(xlim[0]), _ns(xlim[1]))
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    if handles or h2:  # inside the Axes (so inside the figure), above the data: the errors' axis gets headroom
        width = ax.figure.get_figwidth() * ax.get_position().width  # inches: about 1.6 per column fit
        ncols = int(max(1, min(4, width // 1.6)))
        rows = -(-len(handles + h2) // ncols)
        top = ax.get_ylim()[1]
        ax.set_ylim(top=top * 10 ** (0.35 * rows) if ax.get_yscale() == "symlog" else top * (1 + 0.12 * rows))
        right.set_ylim(top=right.get_ylim()[1] * (1 + 0.12 * rows))  # nor the calls line under the legend
        ax.legend(handles + h2, labels + l2, loc="upper left", fontsize="x-small", ncols=ncols, framealpha=0.85)
    _time_axis(ax)
    return ax


def heatmap(df: pd.DataFrame, *, start=None, end=None, market=None, by="category", freq="1h", ax=None, **kwargs):
    """Errors per value of ``by`` (rows) and time bucket (columns).

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market : optional
        Only the calls in ``[start, end)`` and of ``market`` (one or a list), as filtering ``df`` first.
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
    sub = select(df, start=start, end=end, market=market, func="heatmap")
    ax = _axes(ax)
    title = f"Errors by {col} per {freq}, {_where(market, sub)} (UTC)"
    sub = sub[sub["is_error"].to_numpy(dtype=bool, na_value=False)]
    if len(sub) == 0:
        return _nothing(ax, title)
    counts = error_rate(sub.assign(is_error=True), freq=freq, by=col)
    table = counts.pivot_table(index=col, columns="ts", values="errors", aggfunc="sum", observed=True, sort=False)
    if col == "category":
        table = table.reindex([c for c in CATEGORIES if c in table.index])
    else:
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index[:25]]
    table = table.loc[table.sum(axis=1) > 0]
    starts = _naive(table.columns)
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
    _time_axis(ax)
    return ax


def latency(df: pd.DataFrame, *, start=None, end=None, market=None, by="market", freq=None,
            percentiles=defaults.PERCENTILES, ax=None, **kwargs):
    """Latency percentiles per time bucket: one line style per percentile, one colour per group.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them (``ts``, ``latency_ms``).
    start, end, market : optional
        Only the calls in ``[start, end)`` and of ``market`` (one or a list), as filtering ``df`` first.
    by : str or None, default "market"
        One set of lines per value of this column; None for all calls together.
    freq : str or Timedelta, optional
        Bucket size; by default the smallest of 1s, 10s, 1min, 5min, 15min, 1h,
        ... that keeps the plot under 200 buckets (a week: one hour).
    percentiles : sequence of numbers, default (50, 90, 99)
        Between 0 and 100.
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
    >>> plt.close(fig)
    """
    cols = as_by(by, df, "latency")
    if len(cols) > 1:
        raise ParameterError(f"latency(): by must name one column or be None, not {by!r}")
    require(df, ["ts", "latency_ms", *cols], "latency")
    q = list(percentiles) if isinstance(percentiles, (list, tuple, np.ndarray)) else None
    if not q or not all(isinstance(p, (int, float, np.integer, np.floating)) and 0 <= p <= 100 for p in q):
        raise ParameterError(f"latency(): percentiles must be numbers between 0 and 100, not {percentiles!r}")
    sub = select(df, start=start, end=end, market=market, func="latency")
    ax = _axes(ax)
    t = times(sub, "latency")
    freq = _auto_freq(t, 200) if freq is None else freq
    f = as_duration(freq, "freq", "latency")
    title = f"Latency percentiles per {freq}, {_where(market, sub)} (UTC)"
    if len(sub) == 0:
        return _nothing(ax, title)
    bucket = t // f
    frame = pd.DataFrame({"bucket": bucket, "latency": sub["latency_ms"].to_numpy(dtype=np.float64, na_value=np.nan)})
    keys = ["bucket"]
    if cols:
        frame["group"] = sub[cols[0]].to_numpy()
        keys = ["group", "bucket"]
    stats = frame.dropna().groupby(keys, sort=True, observed=True)["latency"].quantile([p / 100 for p in q])
    stats = stats.unstack(-1)
    groups = stats.index.get_level_values("group").unique() if cols else [None]
    if cols and cols[0] == "market":
        groups = [m for m in MARKETS if m in set(groups)] + [g for g in groups if g not in MARKETS]
    for i, g in enumerate(groups):
        part = stats.loc[g] if g is not None else stats
        x = _naive(utc(part.index.to_numpy() * f))
        color = MARKET_COLORS.get(str(g)) if cols and cols[0] == "market" else f"C{i}"
        for j, p in enumerate(q):
            name = f"p{p:g}" if g is None else f"{g} p{p:g}"
            ax.plot(x, part[p / 100].to_numpy(), color=color, linestyle=_LINESTYLES[j % len(_LINESTYLES)],
                    label=name, **kwargs)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small", ncol=max(1, len(q)))
    _time_axis(ax)
    return ax


def rate(df: pd.DataFrame, *, start=None, end=None, market=None, by="market", freq=defaults.REQUEST_RATE_FREQ,
         limits=None, every=None, ax=None, **kwargs):
    """Peak calls per window of ``freq`` against the limit line, per group.

    A week holds 604,800 one-second windows: each point is the busiest window
    of ``freq`` in a display bucket of ``every``.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market : optional
        Only the calls in ``[start, end)`` and of ``market`` (one or a list), as filtering ``df`` first.
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
    sub = select(df, start=start, end=end, market=market, func="rate")
    ax = _axes(ax)
    title = f"Busiest {freq} window per display bucket, {_where(market, sub)} (UTC)"
    if len(sub) == 0:
        return _nothing(ax, title)
    t = times(sub, "rate")
    every = _auto_freq(t, 1500) if every is None else every
    e = max(as_duration(every, "every", "rate"), f)
    keys, group, start, calls, _ = window_counts(sub[["ts", *cols]], "rate", freq=f, by=cols)
    peaks = pd.DataFrame({"g": group, "b": start // e, "calls": calls}).groupby(["g", "b"], sort=True)["calls"].max()
    first, last = int(t.min() // e), int(t.max() // e)
    span = np.arange(first, last + 1)
    for gi in range(len(keys)):
        series = peaks.loc[gi] if gi in peaks.index.get_level_values("g") else pd.Series(dtype=np.int64)
        y = series.reindex(span, fill_value=0).to_numpy()
        x = _naive(utc(span * e))
        name = str(keys.iloc[gi, 0]) if cols else "all calls"
        color = MARKET_COLORS.get(name) if cols and cols[0] == "market" else f"C{gi}"
        ax.plot(x, y, drawstyle="steps-post", color=color, label=name, **kwargs)
    ax.axhline(limit, color="#d62728", linestyle="--", linewidth=1, label=f"limit {limit:,} per {freq}")
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"calls per {freq}")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    _time_axis(ax)
    return ax
