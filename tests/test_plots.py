"""Plots: rendered to PNG under Agg, inspected through the returned Axes."""

import io
import re

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import toolkit
from tests.conftest import frame, spell
from toolkit.plots import CATEGORY_COLORS
from toolkit.schema import empty_frame

PLOTS = ["timeline", "heatmap", "latency", "rate"]


@pytest.fixture(scope="module")
def week():
    rng = np.random.default_rng(3)
    events = [("2026-11-16 09:00", 10, 0.6, "rate_limit", 13 * 60), ("2026-11-16 15:00", 40, 0.4, "auth", 0)]
    return pd.concat([spell(rng, per_minute=3.0, events=events),
                      spell(rng, per_minute=9.0, market="futures", events=events[1:])], ignore_index=True)


def png(ax) -> bytes:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


def painted(data: bytes) -> float:
    """Share of pixels that are not white."""
    img = plt.imread(io.BytesIO(data))[..., :3]
    return float((img < 0.97).any(axis=2).mean())


def test_backend_is_agg():
    assert matplotlib.get_backend().lower() == "agg"


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_renders_a_non_empty_png(week, name, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plots must not call plt.show()"))
    fig, ax = plt.subplots(figsize=(8, 3))
    got = getattr(toolkit.plots, name)(week, ax=ax)
    assert got is ax
    data = png(ax)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    assert painted(data) > 0.05
    assert "(UTC)" in ax.get_title()
    assert ax.get_xlabel() == "time (UTC)" and ax.get_ylabel()


@pytest.mark.parametrize("name", PLOTS)
def test_plots_draw_on_the_current_axes_by_default(week, name):
    fig, ax = plt.subplots()
    assert getattr(toolkit.plots, name)(week) is ax


def test_timeline_stacks_categories_in_order_with_their_colours(week):
    ax = toolkit.plots.timeline(week, freq="15min", incidents=False)
    fills = [c for c in ax.collections if c.get_label() in CATEGORY_COLORS]
    labels = [c.get_label() for c in fills]
    assert labels == [c for c in toolkit.CATEGORIES if c in labels]  # the taxonomy's order
    assert {"rate_limit", "auth"} <= set(labels)
    for c in fills:
        assert mcolors.to_hex(c.get_facecolor()[0]) == CATEGORY_COLORS[c.get_label()]
    right = [a for a in ax.figure.axes if a is not ax][0]
    assert right.get_ylabel() == "calls per 15min"
    assert right.get_lines()[0].get_ydata().sum() == len(week)


def test_timeline_shades_incidents(week):
    found = toolkit.find_incidents(week)
    ax = toolkit.plots.timeline(week, incidents=found)
    spans = [p for p in ax.patches if p.get_label().startswith(("incident", "_incident"))]
    assert len(spans) == len(found) == 3
    ax2 = toolkit.plots.timeline(week, market="spot", incidents=found, ax=plt.subplots()[1])
    assert len([p for p in ax2.patches if p.get_label().startswith(("incident", "_incident"))]) == 2
    with pytest.raises(ValueError, match="incidents must be True, False or a DataFrame"):
        toolkit.plots.timeline(week, incidents="yes please", ax=plt.subplots()[1])


def test_heatmap_rows_and_label_colours(week):
    ax = toolkit.plots.heatmap(week, freq="1h")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [c for c in toolkit.CATEGORIES if c in labels]
    for t in ax.get_yticklabels():
        assert mcolors.to_hex(t.get_color()) == CATEGORY_COLORS[t.get_text()]
    mesh = ax.collections[0]
    assert mesh.get_array().sum() == week["is_error"].sum()
    ep = toolkit.plots.heatmap(week, by="endpoint", ax=plt.subplots()[1])
    assert [t.get_text() for t in ep.get_yticklabels()] == ["/api/v1/stock/open-api/order"]
    with pytest.raises(ValueError, match=r"heatmap\(\): by must name one column, not"):
        toolkit.plots.heatmap(week, by=["market", "category"])


def test_latency_lines_per_market_and_percentile(week):
    ax = toolkit.plots.latency(week, freq="1h")
    assert [line.get_label() for line in ax.get_lines()] == [
        "spot p50", "spot p90", "spot p99", "futures p50", "futures p90", "futures p99"]
    assert ax.get_yscale() == "log"
    one = toolkit.plots.latency(week, by=None, percentiles=[50], ax=plt.subplots()[1])
    assert [line.get_label() for line in one.get_lines()] == ["p50"]
    with pytest.raises(ValueError, match=r"percentiles must be numbers between 0 and 100, not \[150\]"):
        toolkit.plots.latency(week, percentiles=[150])


def test_rate_shows_the_burst_above_the_limit(week):
    ax = toolkit.plots.rate(week, market="spot")
    spot, limit = ax.get_lines()
    assert spot.get_label() == "spot" and limit.get_label() == "limit 10 per 1s"
    assert spot.get_ydata().max() > 10 and limit.get_ydata()[0] == 10
    mm = toolkit.plots.rate(week, limits="market_maker", freq="1min", ax=plt.subplots()[1])
    assert mm.get_lines()[-1].get_label() == "limit 3,000 per 1min"


@pytest.mark.parametrize("name", PLOTS)
@pytest.mark.parametrize("df", [empty_frame(), frame(pd.date_range("2026-11-16", periods=3, freq="1min",
                                                                   tz="UTC"))], ids=["empty", "only-successes"])
def test_nothing_to_draw_still_renders(name, df):
    ax = getattr(toolkit.plots, name)(df, ax=plt.subplots()[1])
    assert len(png(ax)) > 1_000


@pytest.mark.parametrize("name", PLOTS)
def test_bad_market_is_a_clear_error(week, name):
    with pytest.raises(ValueError, match=rf"{name}\(\): market must be one of spot, futures, unknown"):
        getattr(toolkit.plots, name)(week, market="options", ax=plt.subplots()[1])


def test_docs_figure_is_committed():
    from tests.conftest import ROOT

    image = ROOT / "docs" / "timeline.png"
    assert image.exists() and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_week_timeline_is_legible(sample_load):
    """Two big 429 spikes next to small incidents: a log scale, the calls behind the bars, one legend entry for
    the bands, each band labelled with its incident's id, at most eight legend entries, and the legend inside
    the figure even without an ``ax``."""
    df = sample_load.frame
    found = toolkit.find_incidents(df)
    plt.figure()
    ax = toolkit.plots.timeline(df, incidents=found)
    assert ax.get_yscale() == "symlog"
    right = [a for a in ax.figure.axes if a is not ax][0]
    assert ax.get_zorder() > right.get_zorder() and not ax.patch.get_visible()
    legend = ax.get_legend()
    names = [t.get_text() for t in legend.get_texts()]
    assert len(names) <= 8 and {"incidents", "calls", "other errors"} <= set(names)
    labels = " ".join(t.get_text() for t in ax.texts)
    assert set(re.findall(r"\d+", labels)) == {str(i) for i in found["id"]}  # every incident by its id
    line = right.get_lines()[0]
    assert line.get_label() == "calls" and line.get_alpha() >= 0.7 and line.get_linewidth() >= 1  # visible
    fig = ax.figure
    fig.canvas.draw()
    box, page = legend.get_window_extent(), fig.bbox
    assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    flat = toolkit.plots.timeline(df, incidents=False, yscale="linear", ax=plt.subplots()[1])
    assert flat.get_yscale() == "linear"
    with pytest.raises(ValueError, match="yscale must be 'auto', 'linear' or 'symlog', not 'log2'"):
        toolkit.plots.timeline(df, yscale="log2", ax=plt.subplots()[1])


@pytest.mark.parametrize("start,end", [(None, None), ("2026-11-18 14:00", "2026-11-18 15:00")], ids=["week", "hour"])
def test_the_reports_timeline_reads_at_a_glance_for_a_week_and_an_hour(sample_load, start, end):
    """Linear counts, the incidents in view labelled by id, at most eight legend entries, the calls drawn."""
    df = sample_load.frame
    found = toolkit.find_incidents(df)
    fig, ax = plt.subplots(figsize=(11, 3.8))
    toolkit.plots.timeline(df, start=start, end=end, incidents=found, yscale="linear", ax=ax)
    assert ax.get_yscale() == "linear"
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(names) <= 8 and "calls" in names and "incidents" in names
    shown = found if start is None else found[(found["end"] > pd.Timestamp(start, tz="UTC"))
                                              & (found["start"] < pd.Timestamp(end, tz="UTC"))]
    labels = " ".join(t.get_text() for t in ax.texts)
    assert set(re.findall(r"\d+", labels)) == {str(i) for i in shown["id"]}
    assert len(shown) and max(right.get_ylim()[1] for right in fig.axes if right is not ax) > 0
    plt.close(fig)
