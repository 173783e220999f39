"""Several bots, trading hours and weekends: incidents against what is usual at that time of the week, silences per
bot, and limits shared by the bots on one key. The three-week scenario is tests/scenarios_bots.py at a fifth of
its volume (storms, backfills and the close keep their rates); small frames below show each rule alone."""

import numpy as np
import pandas as pd
import pytest

import toolkit
from tests.conftest import frame
from tests.scenarios_bots import KEYS, START, key_id, planted, scenario, silences, write_recordings
from toolkit.analysis._week import clock_shifts

DAY = pd.Timedelta("1D")


@pytest.fixture(scope="module")
def bots():
    return scenario(scale=0.2, seed=27)


@pytest.fixture(scope="module")
def found(bots):
    return toolkit.find_incidents(bots)


def matches(found, p):
    return found[(found["market"].astype(str) == p.market) & (found["start"] < p.end) & (found["end"] > p.start)
                 & (found["category"].astype(str) == p.category)]


def near(a, b, minutes=3):
    return abs(a - b) <= pd.Timedelta(minutes=minutes)


def test_every_planted_incident_of_three_bots_is_found_and_the_sessions_raise_no_false_alarm(found):
    matched = set()
    for p in planted().itertuples():
        hits = matches(found, p)
        assert len(hits) == 1, (p.what, found[["start", "end", "market", "category"]])
        got = hits.iloc[0]
        assert str(got["cause"]) == p.cause, p.what
        assert near(got["start"], p.start) and near(got["end"], p.end), (p.what, got["start"], got["end"])
        matched.add(int(got["id"]))
    # the market maker's cancels of filled orders, its open and its cancel-all at the close, backfills and
    # rebalances, five days a week for three weeks: at most one false alarm
    assert len(found[~found["id"].isin(matched)]) <= 1


def test_a_short_outage_before_the_retry_storm_is_its_own_incident(found):
    p = planted()
    outage = matches(found, p[p["what"].str.startswith("a five-minute")].iloc[0]).iloc[0]
    storm = matches(found, p[p["what"].str.startswith("futures-grid's retry storm")].iloc[0]).iloc[0]
    assert (str(outage["category"]), str(outage["cause"]), outage["side"]) == ("server_error", "exchange", "exchange")
    assert outage["end"] - outage["start"] == pd.Timedelta("5min")
    assert storm["follows"] == outage["id"] and str(storm["cause"]) == "client_rate"


def test_an_outage_at_three_on_a_sunday_morning_is_found(found):
    sunday = planted().query("what.str.startswith('futures outage at 3 am')").iloc[0]
    got = matches(found, sunday).iloc[0]
    assert got["start"].day_name() == "Sunday" and str(got["cause"]) == "exchange"


def test_silences_are_those_of_the_bots_that_stopped(bots):
    gaps = toolkit.find_gaps(bots)
    want = silences()
    assert list(gaps.columns) == ["start", "end", "market", "bot", "kind", "duration", "calls", "expected_calls",
                                  "last_call", "last_reason", "error_rate_before"]
    assert len(gaps) == len(want)  # no weekend, no night and no first hour after the clocks changed
    for got, s in zip(gaps.itertuples(), want.itertuples()):
        assert (str(got.market), str(got.bot), got.kind) == (s.market, s.bot, "stopped"), got
        assert near(got.start, s.start, 5) and near(got.end, s.end, 5)
        assert got.last_call < got.start and got.last_reason == "ok"
    # the other futures bot carried on: the market was not silent
    futures = bots[(bots["market"] == "futures") & (bots["ts"] >= want["start"].iloc[0])
                   & (bots["ts"] < want["end"].iloc[0])]
    assert set(futures["bot"].astype(str)) == {"futures-arb"} and len(futures) > 100


def test_the_shared_key_incident_names_both_bots_their_shares_and_the_minute_limit(bots, found):
    p = planted().query("limit == '1min'").iloc[0]
    row = toolkit.explain_incidents(bots, found).set_index("id").loc[int(matches(found, p).iloc[0]["id"])]
    ev = row["evidence"]
    assert f"the bots on key {key_id('ak-live-7f3a9c1e55d0')} (spot-mm " in ev and "futures-arb " in ev, ev
    assert "calls in one minute against a limit of 300/min, each under it alone" in ev, ev
    assert "10/s" not in ev.split(";")[0].split("at ")[0]  # not the second's limit
    shares = [int(x.split(" ")[1].rstrip("%,)")) for x in ev.split("(")[1].split(")")[0].split(", ")]
    assert sum(shares) in (99, 100, 101) and all(30 < s < 70 for s in shares)
    second = planted().query("limit == '1s'").iloc[0]
    ev = toolkit.explain_incidents(bots, found).set_index("id").loc[int(matches(found, second).iloc[0]["id"]),
                                                                    "evidence"]
    assert "the bot futures-grid sent" in ev and "against a limit of 10/s" in ev, ev
    w = toolkit.describe_window(bots, start=p.start, end=p.end, market="spot", incidents=found)
    assert "spot-mm" in w.summary and "against a limit of 300/min" in w.summary


def test_request_rate_counts_each_keys_calls_on_their_own():
    # two bots on one key, 200 calls a minute each, and a third bot on its own key at 200: only the key over 300
    t0 = pd.Timestamp("2027-03-03 17:00", tz="UTC")
    ts = t0 + pd.to_timedelta(np.arange(200) * 300, unit="ms")
    parts = [frame(ts, market="spot").assign(bot=b, key_id=k) for b, k in
             (("spot-mm", "k-aaaaaaaa"), ("futures-arb", "k-aaaaaaaa"), ("spot-grid", "k-bbbbbbbb"))]
    df = pd.concat(parts, ignore_index=True).sort_values("ts", kind="stable", ignore_index=True)
    r = toolkit.request_rate(df, freq="1min")
    assert r[["market", "peak", "over_limit", "peak_key"]].values.tolist() == [["spot", 400, 1, "key k-aaaaaaaa"]]
    # without keys, each bot's calls count on their own; without bots either, the market's together
    assert toolkit.request_rate(df.drop(columns="key_id"), freq="1min")[["peak", "over_limit"]].values.tolist() == [
        [200, 0]]
    alone = toolkit.request_rate(df.drop(columns=["key_id", "bot"]), freq="1min")
    assert alone["peak"].tolist() == [600] and alone["peak_key"].isna().all()


def _week_frame(days, rate, *, fail, start="2027-03-01", market="spot", bot="spot-mm", seed=0):
    """Calls at ``rate(minutes)`` per minute, each failing (not_found) with probability ``fail(times)``."""
    rng = np.random.default_rng(seed)
    minutes = pd.date_range(start, periods=days * 1440, freq="1min", tz="UTC")
    counts = rng.poisson(rate(minutes))
    ts = pd.to_datetime(np.sort(np.repeat(minutes.as_unit("ns").asi8, counts) + rng.integers(0, 60_000_000_000, counts.sum())),
                        unit="ns", utc=True)
    failed = rng.random(len(ts)) < fail(ts)
    df = frame(ts, market=market, category=np.where(failed, "not_found", "ok").tolist())
    return df.assign(bot=pd.Categorical([bot] * len(df)))


def _session(t):
    """The US session on weekdays before daylight saving time, 14:30-21:00 UTC."""
    hour = t.hour + t.minute / 60
    return np.asarray((t.day_of_week < 5) & (hour >= 14.5) & (hour < 21))


def test_a_busy_session_is_measured_against_sessions_and_a_quiet_sunday_against_sundays():
    # a market maker: 60 calls a minute in the session with 6% failing (cancels of filled orders), two calls a
    # minute otherwise with 0.5% failing; and one outage at 03:00 on the second Sunday
    def fail(t):
        outage = (t >= pd.Timestamp("2027-03-14 03:00", tz="UTC")) & (t < pd.Timestamp("2027-03-14 03:40", tz="UTC"))
        return np.where(outage, 0.5, np.where(_session(t), 0.06, 0.005))

    df = _week_frame(14, lambda t: np.where(_session(t), 60, 2), fail=fail)
    found = toolkit.find_incidents(df)
    assert found["category"].astype(str).tolist() == ["not_found"]
    assert near(found["start"].iloc[0], pd.Timestamp("2027-03-14 03:00", tz="UTC"))
    # the market-wide scan against the median hour of the whole recording would have flagged the sessions
    assert found["baseline_rate"].iloc[0] < 0.02


def test_the_time_of_day_is_learned_from_three_days_on():
    # every afternoon 14:00-16:00 a tenth of the calls fail, against 1% otherwise
    def fail(t):
        return np.where((t.hour >= 14) & (t.hour < 16), 0.10, 0.01)

    short = _week_frame(2, lambda t: np.full(len(t), 30), fail=fail)
    assert len(toolkit.find_incidents(short, narrow=())) == 2  # two days: the whole recording's rate, both flagged
    week = _week_frame(7, lambda t: np.full(len(t), 30), fail=fail)
    assert toolkit.find_incidents(week, narrow=()).empty  # from three days on, each hour against its own


def test_the_own_clock_of_a_session_bot_moves_with_daylight_saving_time(bots):
    hourly = bots.assign(h=bots["ts"].dt.floor("h")).groupby(["bot", "h"], observed=True).size().unstack(fill_value=0)
    first = int(hourly.columns[0].value // 3_600_000_000_000)
    shifts = pd.DataFrame(clock_shifts(hourly.to_numpy(np.float64), first), index=hourly.index)
    change = (pd.Timestamp("2027-03-15", tz="UTC") - START).days
    assert (shifts.loc["spot-mm", :change - 2] == 0).all() and (shifts.loc["spot-mm", change:] == 1).all()
    assert (shifts.loc[["futures-arb", "futures-grid"]] == 0).all().all()


def test_a_bot_that_stops_while_another_carries_on_is_a_silence_of_that_bot():
    def rate(t):
        return np.full(len(t), 20)

    def fail(t):
        return np.full(len(t), 0.01)

    arb = _week_frame(7, rate, fail=fail, market="futures", bot="futures-arb", seed=1)
    grid = _week_frame(7, rate, fail=fail, market="futures", bot="futures-grid", seed=2)
    dead = (grid["ts"] >= "2027-03-06 08:00") & (grid["ts"] < "2027-03-06 13:00")
    thin = (grid["ts"] >= "2027-03-03 10:00") & (grid["ts"] < "2027-03-03 11:00")
    keep = ~dead & ~(thin & (np.arange(len(grid)) % 20 != 0))  # an hour at 5% of its calls
    df = pd.concat([arb, grid[keep.to_numpy()]], ignore_index=True).sort_values("ts", ignore_index=True)
    df["bot"] = df["bot"].astype(str).astype("category")
    gaps = toolkit.find_gaps(df)
    assert gaps[["start", "bot", "kind"]].astype(str).values.tolist() == [
        ["2027-03-03 10:00:00+00:00", "futures-grid", "thin"], ["2027-03-06 08:00:00+00:00", "futures-grid", "stopped"]]
    assert gaps["end"].tolist() == [pd.Timestamp("2027-03-03 11:00", tz="UTC"), pd.Timestamp("2027-03-06 13:00", tz="UTC")]
    # both bots down at once: one silence of the market, no bot named, the bots' own left out
    both = df[~((df["ts"] >= "2027-03-04 02:00") & (df["ts"] < "2027-03-04 03:00")).to_numpy()]
    gaps = toolkit.find_gaps(both)
    row = gaps[gaps["start"] == pd.Timestamp("2027-03-04 02:00", tz="UTC")].iloc[0]
    assert str(row["market"]) == "futures" and pd.isna(row["bot"]) and row["kind"] == "stopped"
    assert row["end"] == pd.Timestamp("2027-03-04 03:00", tz="UTC") and len(gaps) == 3


def test_weekends_that_are_always_quiet_are_no_silence():
    df = _week_frame(14, lambda t: np.where(t.day_of_week < 5, 40, 1), fail=lambda t: np.full(len(t), 0.01))
    assert toolkit.find_gaps(df).empty
    # and a weekday-only bot dead on a Tuesday is one
    hole = (df["ts"] >= "2027-03-09 10:00") & (df["ts"] < "2027-03-09 11:00")
    gaps = toolkit.find_gaps(df[~hole.to_numpy()])
    assert gaps[["start", "bot", "kind"]].astype(str).values.tolist() == [
        ["2027-03-09 10:00:00+00:00", "spot-mm", "stopped"]]


def test_a_week_of_three_bots_read_from_their_daily_files(tmp_path):
    """The first week as the recorder leaves it: one gzipped file per bot and day in one folder, read by read_logs."""
    calls = scenario(days=7, scale=0.1, seed=27)
    files = write_recordings(calls, tmp_path)
    assert len(files) == 21 and files[0].name.endswith("Z.jsonl.gz")
    load = toolkit.read_logs(tmp_path)
    df = load.frame
    assert len(df) == len(calls) and load.rejects.empty
    assert df.groupby(["market", "category"], observed=True).size().equals(
        calls.groupby(["market", "category"], observed=True).size())
    if "bot" not in df:  # until the reader names each file's bot (spot-mm.20270301T...Z.jsonl.gz: spot-mm) itself
        df["bot"] = df["source"].astype(str).str.rsplit("/", n=1).str[-1].str.split(".").str[0].astype("category")
    if "key_id" not in df:  # and reads the recorder's key fingerprint
        df["key_id"] = df["bot"].astype(str).map({b: key_id(k) for b, k in KEYS.items()})
    found = toolkit.find_incidents(df)
    matched = set()
    for p in planted(days=7).itertuples():
        hits = matches(found, p)
        assert len(hits) == 1 and str(hits["cause"].iloc[0]) == p.cause, (p.what, found)
        matched.add(int(hits["id"].iloc[0]))
    assert len(found) - len(matched) <= 1
    gaps = toolkit.find_gaps(df)
    want = silences(days=7).iloc[0]
    assert gaps[["market", "bot", "kind"]].astype(str).values.tolist() == [["futures", "futures-grid", "stopped"]]
    assert near(gaps["start"].iloc[0], want["start"], 5) and near(gaps["end"].iloc[0], want["end"], 5)
    shared = matches(found, planted(days=7).query("limit == '1min'").iloc[0])
    ev = toolkit.explain_incidents(df, shared)["evidence"].iloc[0]
    assert "spot-mm" in ev and "futures-arb" in ev and "against a limit of 300/min" in ev, ev
