"""error_rate and request_rate on small hand-built frames, and on bad input."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import toolkit
from tests.conftest import frame
from toolkit.schema import empty_frame

T = pd.Timestamp("2026-11-16 21:00", tz="UTC")


def at(*offsets):
    """Times ``offsets`` (Timedelta strings) after 21:00 UTC."""
    return pd.DatetimeIndex([T + pd.Timedelta(o) for o in offsets])


@pytest.fixture
def two_markets():
    return frame(at("1min", "2min", "3min", "12min", "13min"),
                 market=["spot", "spot", "futures", "futures", "spot"],
                 category=["ok", "rate_limit", "ok", "server_error", "rate_limit"],
                 endpoint=["/a", "/b", "/a", "/a", "/b"])


def test_error_rate_long_frame_every_group_every_bucket(two_markets):
    got = toolkit.error_rate(two_markets, freq="5min")
    ts = pd.DatetimeIndex([T, T, T + pd.Timedelta("5min"), T + pd.Timedelta("5min"),
                           T + pd.Timedelta("10min"), T + pd.Timedelta("10min")]).as_unit("ns")
    expected = pd.DataFrame({
        "ts": ts,
        "market": pd.Categorical(["spot", "futures"] * 3, categories=toolkit.MARKETS),
        "calls": np.array([2, 1, 0, 0, 1, 1], dtype="int64"),
        "errors": np.array([1, 0, 0, 0, 1, 1], dtype="int64"),
        "error_rate": [0.5, 0.0, np.nan, np.nan, 1.0, 1.0],
    })
    assert_frame_equal(got, expected)


def test_error_rate_by_none_is_one_series(two_markets):
    got = toolkit.error_rate(two_markets, freq="15min", by=None)
    assert list(got.columns) == ["ts", "calls", "errors", "error_rate"]
    assert got[["calls", "errors"]].values.tolist() == [[5, 3]]


def test_error_rate_by_a_list_keeps_dtypes_and_order(two_markets):
    got = toolkit.error_rate(two_markets, freq="15min", by=["market", "endpoint"])
    assert got[["market", "endpoint"]].astype(str).values.tolist() == [
        ["spot", "/a"], ["spot", "/b"], ["futures", "/a"]]
    assert got["calls"].tolist() == [1, 2, 2] and got["errors"].tolist() == [0, 2, 1]
    assert isinstance(got["endpoint"].dtype, pd.CategoricalDtype)
    assert isinstance(got.index, pd.RangeIndex)


def test_error_rate_by_category_is_measured_against_all_calls(two_markets):
    got = toolkit.error_rate(two_markets, freq="15min", by="category")
    # one group per error category seen, in the taxonomy's order; calls are all calls
    assert got["category"].astype(str).tolist() == ["rate_limit", "server_error"]
    assert got["calls"].tolist() == [5, 5]
    assert got["errors"].tolist() == [2, 1]
    assert got["error_rate"].tolist() == [0.4, 0.2]
    by_market = toolkit.error_rate(two_markets, freq="15min", by=["market", "category"])
    assert by_market[["market", "category", "calls", "errors"]].astype(str).values.tolist() == [
        ["spot", "rate_limit", "3", "2"], ["futures", "server_error", "2", "1"]]


def test_error_rate_buckets_are_aligned_on_the_epoch():
    df = frame(at("7min", "31min"))
    got = toolkit.error_rate(df, freq="15min", by=None)
    assert got["ts"].tolist() == [T, T + pd.Timedelta("15min"), T + pd.Timedelta("30min")]
    assert got["calls"].tolist() == [1, 0, 1]


def test_error_rate_does_not_change_its_input(two_markets):
    before = two_markets.copy()
    toolkit.error_rate(two_markets, by=["market", "category"])
    assert_frame_equal(two_markets, before)


@pytest.mark.parametrize("df", [empty_frame(), empty_frame()[["ts", "market", "is_error"]]], ids=["full", "minimal"])
def test_error_rate_of_an_empty_frame_is_empty_and_typed(df):
    got = toolkit.error_rate(df)
    assert got.empty and list(got.columns) == ["ts", "market", "calls", "errors", "error_rate"]
    assert got.dtypes.astype(str).tolist() == ["datetime64[ns, UTC]", "category", "int64", "int64", "float64"]


def test_error_rate_only_successes_and_one_market():
    df = frame(at("1min", "2min", "9min"))
    got = toolkit.error_rate(df, freq="5min")
    assert got["market"].astype(str).unique().tolist() == ["spot"]
    assert got["errors"].sum() == 0 and got["error_rate"].tolist() == [0.0, 0.0]
    assert toolkit.error_rate(df, by="category").empty  # no error category was seen


def test_error_rate_keeps_the_unknown_market():
    df = frame(at("1min", "2min"), market=["unknown", "spot"], category=["server_error", "ok"])
    got = toolkit.error_rate(df, freq="5min")
    assert got.set_index("market")["errors"].to_dict() == {"spot": 0, "unknown": 1}


def test_error_rate_accepts_naive_and_microsecond_times():
    df = frame(at("1min")).assign(ts=pd.to_datetime(["2026-11-16 21:01"]))  # naive, datetime64[us]
    got = toolkit.error_rate(df, freq="5min")
    assert got["ts"].tolist() == [T] and str(got["ts"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("kwargs,message", [
    ({"freq": "soon"}, "freq must be a positive duration such as '5min' or '1h', not 'soon'"),
    ({"freq": "-5min"}, "not '-5min'"),
    ({"freq": "MS"}, "not 'MS'"),
    ({"by": "colour"}, "by='colour' names no column of the frame: colour"),
    ({"by": 3}, "by must be a column name, a list of them or None, not 3"),
    ({"by": "ts"}, "distinct columns other than ts"),
])
def test_error_rate_bad_arguments(two_markets, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        toolkit.error_rate(two_markets, **kwargs)


def test_error_rate_bad_frames(two_markets):
    with pytest.raises(ValueError, match=r"error_rate\(\) needs the column\(s\) is_error"):
        toolkit.error_rate(two_markets.drop(columns="is_error"))
    nat = two_markets.copy()
    nat.loc[1, "ts"] = pd.NaT
    with pytest.raises(ValueError, match=r"ts has 1 missing time\(s\) \(NaT\); drop those rows first"):
        toolkit.error_rate(nat)
    with pytest.raises(ValueError, match="ts must hold datetimes"):
        toolkit.error_rate(two_markets.assign(ts=two_markets["ts"].astype(str)))
    with pytest.raises(TypeError, match="takes the DataFrame"):
        toolkit.error_rate([1, 2, 3])


def test_error_rate_refuses_a_grid_too_big():
    df = frame(pd.DatetimeIndex(["2020-01-01", "2026-01-01"], tz="UTC"))
    with pytest.raises(ValueError, match="use a larger freq"):
        toolkit.error_rate(df, freq="1s")


# request_rate -------------------------------------------------------------------------------

def burst(n, market="spot", start=T, spacing="10ms", limited=0):
    ts = pd.DatetimeIndex([start + i * pd.Timedelta(spacing) for i in range(n)])
    return frame(ts, market=market, category=["ok"] * (n - limited) + ["rate_limit"] * limited)


def test_request_rate_counts_windows_over_the_limit():
    df = pd.concat([burst(13, limited=3), burst(4, start=T + pd.Timedelta("5s"), limited=1),
                    burst(3, market="futures")], ignore_index=True)
    got = toolkit.request_rate(df)
    spot = got.iloc[0]
    assert list(got["market"].astype(str)) == ["spot", "futures"]
    assert (spot["limit"], spot["windows"], spot["peak"], spot["over_limit"], spot["calls_over"]) == (10, 2, 13, 1, 3)
    assert spot["over_share"] == 0.5
    assert spot["peak_at"] == T and spot["first_over"] == T and spot["last_over"] == T
    assert (spot["rate_limited"], spot["rate_limited_in_over"], spot["in_over_share"]) == (4, 3, 0.75)
    fut = got.iloc[1]
    assert (fut["over_limit"], fut["rate_limited"]) == (0, 0)
    assert pd.isna(fut["first_over"]) and np.isnan(fut["in_over_share"])


@pytest.mark.parametrize("freq,limits,limit", [
    ("1s", None, 10), ("1min", None, 300), ("10s", None, 100), ("5min", "regular", 1500),
    ("1s", "market_maker", 100), ("1min", "market_maker", 3000), ("1s", {"1s": 5, "1min": 100}, 5),
    ("1min", {"1s": 5, "1min": 100}, 100),
])
def test_request_rate_limit_per_window(freq, limits, limit):
    assert toolkit.request_rate(burst(3), freq=freq, limits=limits)["limit"].tolist() == [limit]


def test_request_rate_market_maker_limits_clear_the_burst():
    got = toolkit.request_rate(burst(13, limited=3), limits="market_maker")
    assert got["over_limit"].tolist() == [0] and got["in_over_share"].tolist() == [0.0]


def test_request_rate_empty_and_bad_input():
    got = toolkit.request_rate(empty_frame())
    assert got.empty and got.columns[:3].tolist() == ["market", "limit", "windows"]
    assert str(got["first_over"].dtype) == "datetime64[ns, UTC]" and got["peak"].dtype == "int64"
    with pytest.raises(ValueError, match=r"limits must be one of 'regular', 'market_maker' or a mapping"):
        toolkit.request_rate(burst(3), limits="vip")
    with pytest.raises(ValueError, match="not {'1s': 0}"):
        toolkit.request_rate(burst(3), limits={"1s": 0})
    with pytest.raises(ValueError, match=r"by='category' splits calls by their outcome"):
        toolkit.request_rate(burst(3), by="category")


def test_request_rate_on_the_sample_sees_both_storms(sample_load):
    got = toolkit.request_rate(sample_load.frame).set_index("market")
    planted = toolkit.simulation.planted().query("category == 'rate_limit'").set_index("market")
    for market in ("spot", "futures"):
        row = got.loc[market]
        assert planted.loc[market, "start"] <= row["first_over"] < row["last_over"] < planted.loc[market, "end"]
        # the bots' own bursts caused the 429s: 85% of spot's fell in seconds over the limit, 80% of futures' (its
        # key's calls are counted, not the gateway's unsigned legacy market data; 89% with those)
        assert row["in_over_share"] > 0.75
