"""describe_window: tables, the summary paragraph, its displays, and bad input."""

import numpy as np
import pandas as pd
import pytest

import toolkit
from tests.conftest import frame
from toolkit.analysis import WindowDescription
from toolkit.schema import empty_frame

START, END = pd.Timestamp("2026-11-16 21:20", tz="UTC"), pd.Timestamp("2026-11-16 21:30", tz="UTC")
CHANGE_COLUMNS = ["before", "during", "before_rate", "during_rate", "ratio", "excess"]


@pytest.fixture
def storm():
    """Spot: a call every 10 s for three hours with one bad request an hour; then 13 calls
    a second for ten minutes, 7 of them failing with 429 and slower. Futures: quiet."""
    before = pd.date_range(START - pd.Timedelta("3h"), START, freq="10s", inclusive="left")
    quiet = frame(before, category=["bad_request" if i % 360 == 0 else "ok" for i in range(len(before))],
                  endpoint="/api/v1/stock/open-api/ticker", symbol="AAPL")
    burst_ts = START + pd.to_timedelta(np.arange(13 * 600) * 1e9 / 13, unit="ns")
    failed = (np.arange(len(burst_ts)) % 13) < 7
    burst = frame(burst_ts, category=np.where(failed, "rate_limit", "ok").tolist(),
                  reason=np.where(failed, "rate_limited", "ok").tolist(),
                  endpoint=np.where(np.arange(len(burst_ts)) % 2 == 0, "/api/v1/stock/open-api/depth",
                                    "/api/v1/stock/open-api/ticker").tolist(),
                  symbol="TSLA", latency_ms=np.where(failed, 400.0, 40.0).tolist())
    other = frame(pd.date_range("2026-11-16 19:00", periods=50, freq="5min", tz="UTC"), market="futures")
    return pd.concat([quiet, burst, other], ignore_index=True)


def test_summary_paragraph(storm):
    w = toolkit.describe_window(storm, start=START, end=END, market="spot")
    assert isinstance(w, WindowDescription)
    assert w.summary == (
        "spot: 4,200 of 7,800 calls failed (54%) between Mon 16 Nov 21:20 and 21:30 UTC, 100% rate_limit "
        "(mostly rate_limited), against 0.3% in the 3 hours before; requests ran at 13.0/s "
        "(peak 13 in one second) against limits of 10/s and 300/min. Latency p90 went from 40 ms to 400 ms. "
        "Cause: the bot's request rate (client side): the bot sent 13.0 calls/s (peak 13 in one second) against "
        "a limit of 10/s and 780 in one minute against 300/min; 100% of the 429s came in seconds or minutes over "
        "them.")  # 13 calls a second cross the minute's limit too: both are named
    assert (w.cause, w.side) == ("client_rate", "client")
    assert (w.calls, w.errors, w.before_calls, w.before_errors) == (7800, 4200, 1080, 3)


def test_tables(storm):
    w = toolkit.describe_window(storm, start=START, end=END, market="spot")
    assert w.categories.columns.tolist() == ["category", *CHANGE_COLUMNS]
    assert w.categories["category"].astype(str).tolist() == ["rate_limit", "bad_request"]
    top = w.categories.iloc[0]
    assert (top["before"], top["during"], top["ratio"]) == (0, 4200, np.inf)
    bad = w.categories.iloc[1]
    assert (bad["before"], bad["during"], bad["ratio"]) == (3, 0, 0.0)
    assert bad["excess"] == pytest.approx(-3 / 1080 * 7800)
    assert w.reasons["reason"].tolist()[0] == "rate_limited"
    assert w.endpoints["endpoint"].astype(str).tolist()[:2] == ["/api/v1/stock/open-api/depth",
                                                                "/api/v1/stock/open-api/ticker"]
    assert w.symbols["symbol"].tolist() == ["TSLA", "AAPL"]
    assert w.latency["stat"].tolist() == ["p50", "p90", "p99"]
    assert w.latency.set_index("stat").loc["p90", ["before", "during"]].tolist() == [40.0, 400.0]
    rate = w.rate.set_index("window")
    assert rate.loc["1s", ["limit", "during_peak", "before_peak"]].tolist() == [10, 13, 1]
    assert rate.loc["1min", ["limit", "during_peak", "over_limit"]].tolist() == [300, 780, 10]
    assert rate.loc["1s", "during_mean"] == pytest.approx(13.0)
    for table in w.tables().values():
        assert isinstance(table.index, pd.RangeIndex)


def test_all_markets_and_displays(storm):
    w = toolkit.describe_window(storm, start=START.tz_localize(None), end=END.tz_localize(None), before="1h")
    assert w.summary.startswith("spot and futures: 4,200 of 7,802 calls failed")  # two futures calls
    assert "in the 1 hour before" in w.summary
    assert w.rate["market"].astype(str).tolist() == ["spot", "spot", "futures", "futures"]
    text = str(w)
    assert text.startswith(w.summary) and "categories:" in text and "rate_limit" in text
    page = w._repr_html_()
    assert page.startswith('<div class="toolkit-card"') and "<p>spot and futures" in page  # a card, its summary
    assert "<table" in page and "<details open><summary>categories" in page and "<details><summary>reasons" in page


def test_a_window_with_no_calls(storm):
    w = toolkit.describe_window(storm, start="2026-11-17 03:00", end="2026-11-17 04:00", market="spot")
    assert w.summary == "spot: no calls between Tue 17 Nov 03:00 and 04:00 UTC (0 in the 3 hours before)."
    assert w.calls == 0 and w.categories.empty and w.categories.columns.tolist() == ["category", *CHANGE_COLUMNS]
    assert w.latency["during"].isna().all()


def test_empty_frame_and_only_successes():
    w = toolkit.describe_window(empty_frame(), start=START, end=END)
    assert w.summary.startswith("all markets: no calls") and w.rate.empty
    ok = frame(pd.date_range(START - pd.Timedelta("3h"), END, freq="1min", inclusive="left"))
    w = toolkit.describe_window(ok, start=START, end=END)
    assert w.summary.startswith("spot: 0 of 10 calls failed (0.0%) between")
    assert "within the limits (peak 1 in one second, 1 in one minute)" in w.summary
    assert w.categories.empty and w.reasons.empty


def test_unknown_market():
    df = frame(pd.date_range(START, periods=10, freq="1min", tz="UTC"), market="unknown", category="transport")
    w = toolkit.describe_window(df, start=START, end=END, market="unknown")
    assert w.summary.startswith("unknown: 10 of 10 calls failed (100%)")


@pytest.mark.parametrize("window,kwargs,message", [
    ((END, START), {}, r"end must be after start, not start=2026-11-16 21:30:00\+00:00 and end=2026-11-16 21:20"),
    ((START, START), {}, r"end must be after start"),
    (("yesterday-ish", END), {}, r"start must be a time such as '2026-11-16 21:05' \(UTC\), not 'yesterday-ish'"),
    ((START, None), {}, r"end must be a time"),
    ((START, END), {"market": "options"}, r"market must be one of spot, futures, unknown .* not 'options'"),
    ((START, END), {"before": "-1h"}, r"before must be a positive duration"),
])
def test_bad_arguments(storm, window, kwargs, message):
    start, end = window
    with pytest.raises(toolkit.ParameterError, match=r"describe_window\(\): " + message):
        toolkit.describe_window(storm, start=start, end=end, **kwargs)


def test_the_window_is_given_by_name(storm):
    with pytest.raises(TypeError, match="positional"):
        toolkit.describe_window(storm, START, END)


def test_needs_its_columns(storm):
    with pytest.raises(ValueError, match=r"needs the column\(s\) latency_ms"):
        toolkit.describe_window(storm.drop(columns="latency_ms"), start=START, end=END)


def test_explains_a_found_incident(sample_load):
    df = sample_load.frame
    inc = toolkit.find_incidents(df)
    margin = inc[inc["category"] == "insufficient_funds"].iloc[0]
    w = toolkit.describe_window(df, start=margin["start"], end=margin["end"], market=margin["market"])
    assert w.summary.startswith("futures: ") and "insufficient_funds (mostly insufficient_margin)" in w.summary
    assert w.reasons["reason"].iloc[0] == "insufficient_margin"
    assert str(w.endpoints["endpoint"].iloc[0]).startswith("/api/v1/futures/")
