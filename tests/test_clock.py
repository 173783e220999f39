"""clock_drift and clock_offsets on hand-built frames and on the bundled week."""

import numpy as np
import pandas as pd
import pytest

import toolkit
from tests.conftest import frame
from toolkit.analysis import clock_offsets
from toolkit.schema import empty_frame

T = pd.Timestamp("2026-11-17 09:40", tz="UTC")
COLUMNS = ["start", "end", "market", "calls", "errors", "expired", "expired_share", "samples", "offset_s",
           "max_offset_s", "beyond_tolerance"]


def drifting(market="futures", offset="45s", minutes=20, first=5, last=15, recorded=True, **kw):
    """One signed call a minute; from minute ``first`` to ``last`` they get 401 timestamp expired."""
    ts = pd.date_range(T, periods=minutes, freq="1min", tz="UTC")
    expired = (np.arange(minutes) >= first) & (np.arange(minutes) < last)
    cols = dict(market=market, category=np.where(expired, "auth", "ok").tolist(),
                reason=np.where(expired, "timestamp_expired", "ok").tolist())
    if recorded:
        cols.update(client_ts=ts + pd.Timedelta(offset) + pd.Timedelta("0.5s"), server_ts=ts)
    cols.update(kw)
    return frame(ts, **cols)


def test_a_stretch_and_its_offset():
    got = toolkit.clock_drift(drifting())
    assert list(got.columns) == COLUMNS and isinstance(got.index, pd.RangeIndex)
    row = got.iloc[0]
    assert (row["start"], row["end"]) == (T + pd.Timedelta("5min"), T + pd.Timedelta("15min"))
    assert (row["market"], row["calls"], row["errors"], row["expired"], row["expired_share"]) == (
        "futures", 10, 10, 10, 1.0)
    assert (row["samples"], row["offset_s"], row["max_offset_s"]) == (10, 45.0, 45.0)
    assert row["beyond_tolerance"]
    assert not toolkit.clock_drift(drifting(offset="10s")).iloc[0]["beyond_tolerance"]
    assert toolkit.clock_drift(drifting(offset="10s"), tolerance="5s").iloc[0]["beyond_tolerance"]


def test_without_recorded_timestamps_the_offset_is_missing():
    row = toolkit.clock_drift(drifting(recorded=False)).iloc[0]
    assert row["samples"] == 0 and np.isnan(row["offset_s"]) and pd.isna(row["beyond_tolerance"])
    no_columns = drifting().drop(columns=["client_ts", "server_ts"])
    assert np.isnan(toolkit.clock_drift(no_columns).iloc[0]["offset_s"])


def test_other_errors_must_not_dominate():
    df = drifting()
    other = frame(df["ts"][5:15] + pd.Timedelta("10s"), market="futures", category="server_error")
    both = pd.concat([df, other, other.assign(ts=other["ts"] + pd.Timedelta("10s"))], ignore_index=True)
    assert toolkit.clock_drift(both).empty  # 1 expired against 2 server errors a minute
    assert len(toolkit.clock_drift(pd.concat([df, other], ignore_index=True))) == 1  # half: still dominates


def test_merge_min_errors_and_markets():
    two = pd.concat([drifting(), drifting(market="spot", recorded=False)], ignore_index=True)
    got = toolkit.clock_drift(two)
    assert got["market"].astype(str).tolist() == ["spot", "futures"]  # same start: market order
    assert toolkit.clock_drift(drifting(last=8)).empty  # three expired: fewer than min_errors
    assert len(toolkit.clock_drift(drifting(last=8), min_errors=3)) == 1
    split = drifting(minutes=30, first=5, last=25)
    split.loc[10:17, ["category", "reason", "is_error"]] = ["ok", "ok", False]
    assert len(toolkit.clock_drift(split, min_errors=2)) == 2
    assert len(toolkit.clock_drift(split, merge="10min", min_errors=2)) == 1
    merged = toolkit.clock_drift(two, by=None)
    assert len(merged) == 1 and merged.iloc[0]["expired"] == 20 and merged.iloc[0]["market"] == "futures"


@pytest.mark.parametrize("df", [empty_frame(), frame(pd.date_range(T, periods=5, freq="1min"))],
                         ids=["empty", "only-successes"])
def test_nothing_found_is_empty_and_typed(df):
    got = toolkit.clock_drift(df)
    assert got.empty and list(got.columns) == COLUMNS
    assert str(got["start"].dtype) == "datetime64[ns, UTC]" and str(got["beyond_tolerance"].dtype) == "boolean"


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"clock_drift\(\): by='reason' splits calls by their outcome"):
        toolkit.clock_drift(drifting(), by="reason")
    with pytest.raises(ValueError, match=r"clock_drift\(\): tolerance must be a positive duration"):
        toolkit.clock_drift(drifting(), tolerance="lots")
    with pytest.raises(ValueError, match=r"clock_drift\(\) needs the column\(s\) reason"):
        toolkit.clock_drift(drifting().drop(columns="reason"))


def test_clock_offsets_per_call():
    df = drifting(offset="30s")
    off = clock_offsets(df)
    assert off.name == "offset_s" and off.index.equals(df.index)
    assert np.allclose(off, 30.0)
    assert clock_offsets(drifting(recorded=False)).isna().all()


def test_the_bundled_drift(sample_load):
    got = toolkit.clock_drift(sample_load.frame)
    planted = toolkit.simulation.planted().query("category == 'auth'")
    assert sorted(got["market"].astype(str)) == ["futures", "spot"]
    for row in got.itertuples():
        p = planted[planted["market"] == row.market].iloc[0]
        assert abs(row.start - p.start) <= pd.Timedelta("3min") and abs(row.end - p.end) <= pd.Timedelta("3min")
    fut = got[got["market"] == "futures"].iloc[0]
    # the gateway records both clocks: the client ran 30 s to 60 s ahead during the drift
    assert fut["samples"] > 100 and 35 < fut["offset_s"] < 55 and fut["beyond_tolerance"]
    spot = got[got["market"] == "spot"].iloc[0]
    assert spot["samples"] == 0  # the spot bot's log has no Date header
