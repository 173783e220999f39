"""Errors per category over time, stacked, with the calls behind them and the incidents shaded.

:func:`timeline` counts a frame; :func:`draw_timeline` draws counts, so the explorer,
which keeps its own counts, draws the same picture.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from ..analysis import error_rate, find_incidents
from ..errors import ParameterError
from ..schema import CATEGORIES
from ..selection import require, select, times, to_utc
from ._style import CATEGORY_COLORS, auto_freq, axes, naive, nothing, time_axis, where

__all__ = ["draw_timeline", "timeline"]


def timeline(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, freq=None, incidents=True, yscale="auto",
             ax=None, **kwargs):
    """Errors per category over time, stacked, with call volume on a second axis and incidents shaded.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot`` (each one or a list), as
        filtering ``df`` first.
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
    sub = select(df, start=start, end=end, market=market, bot=bot, func="timeline")
    ax = axes(ax)
    title = f"Errors per category, {where(market, sub, bot)} (UTC)"
    if len(sub) == 0:
        return nothing(ax, title)
    t = times(sub, "timeline")
    freq = auto_freq(t, 800) if freq is None else freq
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
            found = select(found, market=market, func="timeline")
        spans = [(row.start, row.end, str(row.category), getattr(row, "id", None)) for row in found.itertuples()
                 if row.end.value > t.min() and row.start.value <= t.max()]  # those in the window shown
    starts = naive(total["ts"]).asi8
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
    spans : sequence of (start, end, category) or (start, end, category, id)
        Incident windows to shade (times as Timestamps or int64 ns), coloured by
        category, one legend entry for them all; each labelled with its ``id`` when given.
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
    errors = _at_most(errors, defaults.TIMELINE_MAX_LEGEND - 2)  # room for the calls and the incidents
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
    # the errors' axis scaled to what is drawn now (an app drawing again on the same Axes keeps no old limits):
    # with no error in view it runs to 1, not to the last view's peak
    peak = float(total.max()) if len(total) else 0.0
    ax.set_ylim(0, max(peak, 1.0) * 1.05) if yscale == "linear" else ax.set_ylim(bottom=0)
    ax.set_title(title)
    right = ax.twinx() if right is None else right
    right.plot(x, calls, color="#333333", linewidth=1.0, alpha=0.75, drawstyle="steps-post", label="calls")
    right.set_ylabel(f"calls per {freq}")
    right.set_ylim(bottom=0)
    ax.set_zorder(right.get_zorder() + 1)  # the errors in front of the calls line, which never hides a bar
    ax.patch.set_visible(False)
    labelled = []
    for i, (start, end, category, *ident) in enumerate(spans):  # one band per incident, a handful of them
        ax.axvspan(_ns(start), _ns(end), color=CATEGORY_COLORS.get(category, "#7f7f7f"), alpha=0.2, linewidth=0,
                   zorder=0, label="incidents" if i == 0 else "_incident")
        if ident and ident[0] is not None and not pd.isna(ident[0]):
            labelled.append((_ns(start), str(int(ident[0]))))
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
    _label_incidents(ax, labelled)
    time_axis(ax)
    return ax


def _at_most(errors: dict, most: int) -> dict:
    """The categories with most errors, the rest summed as ``other errors`` so that at most ``most`` are drawn."""
    if len(errors) <= most:
        return errors
    totals = {c: int(np.sum(v)) for c, v in errors.items()}
    keep = set(sorted(totals, key=totals.get, reverse=True)[:most - 1])
    out = {c: v for c, v in errors.items() if c in keep}
    out["other errors"] = np.sum([np.asarray(v) for c, v in errors.items() if c not in keep], axis=0)
    return out


def _label_incidents(ax, labelled) -> None:
    """Each incident's id just above its band, over the Axes' top edge; ids that would overlap share one label."""
    if not labelled:
        return
    import matplotlib.dates as mdates

    lo, hi = ax.get_xlim()
    width = ax.figure.get_figwidth() * ax.get_position().width * 72  # points
    placed: list[tuple[float, list[str]]] = []
    for x, ident in sorted(labelled):
        at = float(mdates.date2num(x))
        if not lo <= at <= hi:
            continue
        pos = (at - lo) / (hi - lo) * width if hi > lo else 0.0
        if placed and pos - placed[-1][0] < 7 * (len(", ".join(placed[-1][1])) + 1):
            placed[-1][1].append(ident)
        else:
            placed.append((pos, [ident]))
    for pos, ids in placed:  # above the Axes' top edge, clear of the legend inside it; the title moves up
        ax.annotate(", ".join(ids), xy=(lo + pos / width * (hi - lo), 1), xycoords=("data", "axes fraction"),
                    xytext=(0, 1.5), textcoords="offset points", ha="center", va="bottom", fontsize="x-small",
                    fontweight="bold", color="#333333", annotation_clip=False)
    ax.set_title(ax.get_title(), pad=14)
