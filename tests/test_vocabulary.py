"""One vocabulary: every analysis function takes ``start``, ``end``, ``market`` and ``bot`` keyword-only, meaning
the same as filtering the frame first, and every time or duration is checked by the same rule; ``by="bot"`` works
wherever ``by`` does."""

import inspect

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import toolkit
from tests.conftest import SAMPLE
from toolkit.selection import as_duration, as_time

START, END, MARKET = "2026-11-18 12:00", "2026-11-18 18:00", "spot"

FUNCTIONS = {
    "error_rate": lambda df, **kw: toolkit.error_rate(df, freq="15min", **kw),
    "request_rate": lambda df, **kw: toolkit.request_rate(df, **kw),
    "top_errors": lambda df, **kw: toolkit.top_errors(df, **kw),
    "retries": lambda df, **kw: toolkit.retries(df, within="10s", **kw),
    "clock_drift": lambda df, **kw: toolkit.clock_drift(df, **kw),
    "summary": lambda df, **kw: toolkit.summary(df, **kw),
    "find_incidents": lambda df, **kw: toolkit.find_incidents(df, **kw),
    "explain_incidents": lambda df, **kw: toolkit.explain_incidents(df, **kw),
    "find_gaps": lambda df, **kw: toolkit.find_gaps(df, **kw),
    "uncertain_orders": lambda df, **kw: toolkit.uncertain_orders(df, **kw),
    "orders": lambda df, **kw: toolkit.orders(df, **kw),
}


def by_hand(df):
    ts = df["ts"]
    keep = (ts >= pd.Timestamp(START, tz="UTC")) & (ts < pd.Timestamp(END, tz="UTC")) & (df["market"] == MARKET)
    return df[keep.to_numpy(bool)]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_start_end_market_bot_are_keyword_only(name):
    params = inspect.signature(getattr(toolkit, name)).parameters
    for p in ("start", "end", "market", "bot"):
        assert params[p].kind is inspect.Parameter.KEYWORD_ONLY and params[p].default is None, (name, p)


#: Every other function that narrows calls: the describer, the plots, the store twins, the explorer, the report.
def _narrowing():
    import toolkit.plots
    import toolkit.report
    import toolkit.widgets
    from toolkit.widgets import View

    return {"describe_window": toolkit.describe_window, "plots.timeline": toolkit.plots.timeline,
            "plots.heatmap": toolkit.plots.heatmap, "plots.latency": toolkit.plots.latency,
            "plots.rate": toolkit.plots.rate, "store.error_rate": toolkit.store.error_rate,
            "store.top_errors": toolkit.store.top_errors, "widgets.explore": toolkit.widgets.explore,
            "widgets.View": View, "report.build_report": toolkit.report.build_report,
            "report.select_calls": toolkit.report.select_calls, "selection.select": toolkit.selection.select}


@pytest.mark.parametrize("name", list(_narrowing()))
def test_bot_is_a_keyword_everywhere_calls_are_narrowed(name):
    param = inspect.signature(_narrowing()[name]).parameters["bot"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is None


BOT = "futures-arb"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_bot_means_filtering_the_frame_first(name, sample_load):
    df = sample_load.frame
    # but for an incident's scope, judged on every bot's calls (tests/test_incidents.py)
    drop = ["scope"] if name == "find_incidents" else []
    got = FUNCTIONS[name](df, start=START, end=END, bot=[BOT, "spot-bot"]).drop(columns=drop)
    want = FUNCTIONS[name](df[(df["bot"].isin([BOT, "spot-bot"])).to_numpy(bool)], start=START, end=END)
    assert_frame_equal(got.reset_index(drop=True), want.drop(columns=drop).reset_index(drop=True))
    one = FUNCTIONS[name](df, bot=BOT).drop(columns=drop)
    assert_frame_equal(one.reset_index(drop=True), FUNCTIONS[name](df[(df["bot"] == BOT).to_numpy(bool)])
                       .drop(columns=drop).reset_index(drop=True))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_bot_that_is_not_a_name_is_refused(name, sample_load):
    with pytest.raises(toolkit.ParameterError, match=rf"{name}\(\): bot must be a bot's name or a list of them, not 5"):
        FUNCTIONS[name](sample_load.frame, bot=5)


def test_by_bot_works_wherever_by_does(sample_load, tmp_path):
    import matplotlib.pyplot as plt

    df = sample_load.frame
    rate = toolkit.error_rate(df, freq="1D", by="bot")
    assert set(rate["bot"].astype(str)) == {"futures-arb", "futures-gateway", "spot-bot"}
    by_hand = df.groupby("bot", observed=True)["is_error"].agg(["size", "sum"])
    assert rate.groupby("bot", observed=True)[["calls", "errors"]].sum().values.tolist() == by_hand.values.tolist()
    shared = toolkit.request_rate(df, by=["market", "key_id"])  # the limits apply per key and market
    # a key per market, and the futures gateway's unsigned legacy market data, which no key signed
    assert shared["key_id"].nunique() == 2 and shared["key_id"].isna().tolist() == [False, False, True]
    assert set(toolkit.clock_drift(df, by="bot")["bot"].astype(str)) == {"futures-arb", "futures-gateway", "spot-bot"}
    ax = toolkit.plots.heatmap(df, by="bot", freq="1D")
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["futures-arb", "futures-gateway", "spot-bot"]
    plt.close(ax.figure)
    store = tmp_path / "store"
    toolkit.store.ingest(SAMPLE, store)
    assert_frame_equal(toolkit.store.error_rate(store, freq="1D", by="bot"), rate)
    futures = toolkit.load_logs(store, market="futures")
    assert_frame_equal(toolkit.store.error_rate(store, freq="1h", by=["bot", "category"], bot=BOT, market="futures"),
                       toolkit.error_rate(futures, freq="1h", by=["bot", "category"], bot=BOT))
    assert_frame_equal(toolkit.store.top_errors(store, bot=BOT), toolkit.top_errors(df, bot=BOT))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_window_means_filtering_the_frame_first(name, sample_load):
    df = sample_load.frame
    drop = ["scope"] if name == "find_incidents" else []  # judged before the market filter (test_whose_fault.py)
    got = FUNCTIONS[name](df, start=START, end=END, market=MARKET).drop(columns=drop)
    want = FUNCTIONS[name](by_hand(df)).drop(columns=drop)
    assert len(want) or name in ("clock_drift", "find_gaps", "uncertain_orders", "retries")
    assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_bare_number_is_not_a_time(name, sample_load):
    with pytest.raises(toolkit.ParameterError, match=rf"{name}\(\): start must be a time .* not the bare number 5"):
        FUNCTIONS[name](sample_load.frame, start=5)


@pytest.mark.parametrize("value", [10, 10.0, True])
def test_a_bare_number_is_not_a_duration(value, sample_load):
    with pytest.raises(toolkit.ParameterError, match=r"retries\(\): within must be a positive duration .* bare num"):
        toolkit.retries(sample_load.frame, within=value)


@pytest.mark.parametrize("value, want", [
    ("2026-11-18 14:00", pd.Timestamp("2026-11-18 14:00", tz="UTC")),
    (pd.Timestamp("2026-11-18 15:00", tz="Europe/Berlin"), pd.Timestamp("2026-11-18 14:00", tz="UTC")),
    (None, None),
])
def test_one_utc_rule(value, want):
    assert as_time(value, "start") == want


@pytest.mark.parametrize("value", ["10s", pd.Timedelta("10s")])
def test_durations_are_strings_or_timedeltas(value):
    assert as_duration(value, "within") == 10_000_000_000


def test_the_loader_the_report_and_the_analysis_word_a_bad_time_alike():
    from toolkit.report import check_parameters

    messages = []
    for call in (lambda: toolkit.load_logs("data/sample", start=5), lambda: check_parameters("data/sample", start=5),
                 lambda: toolkit.summary(pd.DataFrame({"ts": [], "market": [], "category": []}), start=5)):
        with pytest.raises(toolkit.ToolkitError) as caught:
            call()
        messages.append(str(caught.value).split("start must", 1)[1])
    assert len(set(messages)) == 1, messages


def _speakers():
    import toolkit.widgets

    return {"timeline": toolkit.plots.timeline, "heatmap": toolkit.plots.heatmap, "latency": toolkit.plots.latency,
            "rate": toolkit.plots.rate, "explore": toolkit.widgets.explore, "View": toolkit.widgets.View,
            "describe_window": toolkit.describe_window}


@pytest.mark.parametrize("name", list(_speakers()))
def test_the_plots_the_explorer_and_describe_window_speak_it_too(name):
    params = inspect.signature(_speakers()[name]).parameters
    names = list(params)
    assert names[0] == "df" and names[1:4] == ["start", "end", "market"], names
    for p in names[1:]:
        assert params[p].kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD), (name, p)
    for p in ("start", "end", "market"):
        assert params[p].default is None, (name, p)
    shared = [p for p in ("by", "freq") if p in params]
    assert shared == sorted(shared, key=names.index), "by before freq, as in the analysis functions"


@pytest.mark.parametrize("name", ["timeline", "heatmap", "latency", "rate"])
def test_a_plots_window_means_filtering_the_frame_first(name, sample_load):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df, drawn = sample_load.frame, []
    for frame, kw in ((df, {"start": START, "end": END, "market": MARKET}), (by_hand(df), {})):
        fig, ax = plt.subplots()
        if name == "timeline":
            kw["incidents"] = False
        getattr(toolkit.plots, name)(frame, ax=ax, **kw)
        drawn.append([(a.get_title(), [line.get_xydata().tolist() for line in a.get_lines()],
                       [c.get_array().tolist() if c.get_array() is not None else
                        [path.vertices.tolist() for path in c.get_paths()] for c in a.collections])
                      for a in fig.axes if a.get_lines() or a.collections])
        plt.close(fig)
    assert drawn[0] == drawn[1] and drawn[0]


def test_the_explorers_window_and_wait_are_the_vocabularys():
    import toolkit.widgets

    df = toolkit.load_logs("data/sample")
    view = toolkit.widgets.View(df, start=START, end=END, market=MARKET)
    assert len(view.rows_in_view()) == int((by_hand(df)["category"] != "ok").sum())
    with pytest.raises(toolkit.ParameterError, match=r"explore\(\): start must be a time .* not the bare number 5"):
        toolkit.widgets.View(df, start=5)
    with pytest.raises(toolkit.ParameterError, match=r"explore\(\): debounce must be a duration .* the bare number"):
        toolkit.widgets.explore(df, debounce=0.25)
