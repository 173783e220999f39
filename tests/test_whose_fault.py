"""Whose fault: causes, cascades, scope, narrow incidents, silences and orders of unknown outcome,
on two weeks of simulated traffic with planted incidents (tests/scenarios.py, a fifth of the full volume)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import toolkit
from tests.scenarios import F, S, planted, scenario, silences
from toolkit.analysis.causes import CAUSES, SIDES, evidence, row_causes


@pytest.fixture(scope="module")
def weeks():
    return scenario(scale=0.2, seed=14)


@pytest.fixture(scope="module")
def found(weeks):
    return toolkit.find_incidents(weeks)


def near(a, b, minutes=3):
    return abs(a - b) <= pd.Timedelta(minutes=minutes)


def matches(found, p):
    return found[(found["market"].astype(str) == p.market) & (found["start"] < p.end) & (found["end"] > p.start)
                 & (found["category"].astype(str) == p.category)]


def test_every_planted_incident_is_found_with_its_market_category_and_cause(found):
    matched = set()
    for p in planted().itertuples():
        hits = matches(found, p)
        assert len(hits) == 1, (p.what, found[["start", "end", "market", "category"]])
        got = hits.iloc[0]
        assert str(got["cause"]) == p.cause, p.what
        # a slow burn of one reason on one endpoint is found narrow: by its reason or by its endpoint
        assert got["level"] in (("reason", "endpoint") if p.level == "endpoint" else ("market",)), p.what
        edge = 45 if p.level == "endpoint" else 3  # narrow incidents are found in 15-minute buckets
        assert near(got["start"], p.start, edge) and near(got["end"], p.end, edge), (p.what, got["start"], got["end"])
        matched.add(int(got["id"]))
    false_alarms = found[~found["id"].isin(matched)]
    assert len(false_alarms) <= 1, false_alarms


def test_an_outage_then_the_bots_retry_storm_are_two_linked_incidents(found):
    p = planted()
    outage = matches(found, p[p["what"].str.startswith("futures outage")].iloc[0]).iloc[0]
    storm = matches(found, p[p["what"].str.startswith("the bot's retry storm")].iloc[0]).iloc[0]
    assert (str(outage["cause"]), outage["side"]) == ("exchange", "exchange")
    assert (str(storm["cause"]), storm["side"]) == ("client_rate", "client")  # its own evidence, not the outage's
    assert storm["follows"] == outage["id"] and pd.isna(outage["follows"])
    assert storm["repeats"] > outage["repeats"]
    assert near(outage["end"], storm["start"], 0)  # split where the dominant category changed


def test_an_outage_of_both_markets_is_one_exchange_wide_event(found):
    p = planted()
    both = p[p["scope"] == "exchange-wide"]
    rows = pd.concat([matches(found, r) for r in both.itertuples()])
    assert sorted(rows["market"].astype(str)) == ["futures", "spot"]
    assert (rows["scope"] == "exchange-wide").all()
    assert (found.loc[~found["id"].isin(rows["id"]), "scope"] == "market").all()


@pytest.mark.parametrize("market", ["spot", "futures"])
def test_narrowed_to_one_market_the_outage_is_still_exchange_wide(weeks, found, market):
    """Scope is decided before the market filter: the other market's half of the event still counts."""
    p = planted()
    outage = p[p["scope"] == "exchange-wide"].iloc[0]
    one = toolkit.find_incidents(weeks, market=market)
    hit = matches(one, SimpleNamespace(**{**outage.to_dict(), "market": market}))
    assert hit["scope"].tolist() == ["exchange-wide"]
    # everything else is as filtering the calls first
    alone = toolkit.find_incidents(weeks[(weeks["market"] == market).to_numpy(bool)])
    assert alone.loc[alone["start"] == hit["start"].iloc[0], "scope"].tolist() == ["market"]
    assert one.drop(columns="scope").equals(alone.drop(columns="scope"))
    text = toolkit.explain_incidents(weeks[(weeks["market"] == market).to_numpy(bool)], one)
    other = {"spot": "futures", "futures": "spot"}[market]
    assert f"hit {other} at the same time: exchange-wide" in text.set_index("id").loc[hit["id"].iloc[0], "explanation"]


def test_a_slow_burn_on_one_endpoint_is_found_and_named(found, weeks):
    burn = planted().query("level == 'endpoint'").iloc[0]
    got = matches(found, burn).iloc[0]
    assert got["top_endpoint"] == f"{F}/order/create" and got["top_reason"] == "below_min_amount"
    # the market as a whole barely moved: no market-wide incident covers it
    wide = toolkit.find_incidents(weeks, narrow=())
    assert matches(wide, burn).empty


def test_explanations_name_the_cause_and_the_evidence_of_their_own_window(weeks, found):
    table = toolkit.explain_incidents(weeks, found)
    assert list(table.columns) == ["id", "when", "market", "scope", "side", "cause", "follows", "evidence",
                                   "orders_unknown", "orders_placed", "explanation"]
    assert table["id"].tolist() == found["id"].tolist()
    p = planted()
    words = {"client_rate": "calls/s", "client_clock": "client clock was", "client_funds": "funds or margin",
             "client_auth": "refused the key's access", "client_request": "rejected", "exchange": "exchange's side",
             "network": "no response"}
    for r in p.itertuples():
        row = table[table["id"] == matches(found, r).iloc[0]["id"]].iloc[0]
        assert words[r.cause] in row["evidence"], (r.what, row["evidence"])
        assert row["evidence"] in row["explanation"]
    by_what = {r.what: table[table["id"] == matches(found, r).iloc[0]["id"]].iloc[0] for r in p.itertuples()}
    assert "ahead of the exchange's" in by_what["host clock 35-60 s ahead: 401 timestamp expired"]["evidence"]
    assert "did not resolve (DNS)" in by_what["DNS failure: the host name does not resolve"]["evidence"]
    assert "against a limit of 10/s" in by_what["bot loop bursts to 20 requests/s on spot"]["evidence"]
    storm = by_what["the bot's retry storm after the outage"]["explanation"]
    assert "retry storm after the exchange outage of Wed 04 Nov 14:10" in storm
    assert "exchange-wide" in by_what["exchange-wide outage: 500, 502, 503"]["explanation"]
    # figures from the window only: the outage (within the limits) does not borrow the storm's rate
    outage = by_what["futures outage: 1001, 500, 502"]["evidence"]
    assert "stayed within the limits" in outage and "against a limit" not in outage
    # the outage left orders of unknown outcome; the scenario's bot never asks what became of them
    futures = by_what["futures outage: 1001, 500, 502"]
    assert futures["orders_unknown"] > 0 and futures["orders_placed"] == 0
    assert f"{futures['orders_unknown']:,} orders of unknown outcome, 0 of them placed" in futures["explanation"]
    assert (table["orders_placed"] <= table["orders_unknown"]).all()


def test_clock_offsets_are_those_of_the_window(weeks, found):
    drift = planted().query("cause == 'client_clock'").iloc[0]
    row = matches(found, drift).iloc[0]
    calls = weeks[(weeks["market"] == "futures") & (weeks["ts"] >= row["start"]) & (weeks["ts"] < row["end"])]
    text = evidence(calls, "client_clock", start=row["start"], end=row["end"])
    lo, hi = (int(x) for x in text.split("client clock was ")[1].split(" s ")[0].split("–"))
    assert 30 <= lo <= 40 and 55 <= hi <= 60


def test_describe_window_leaves_other_incidents_out_of_its_before(weeks, found):
    storm = found[found["follows"].notna()].iloc[0]
    plain = toolkit.describe_window(weeks, start=storm["start"], end=storm["end"], market="futures")
    clean = toolkit.describe_window(weeks, start=storm["start"], end=storm["end"], market="futures", incidents=found)
    assert plain.before_errors > clean.before_errors
    assert clean.before_errors / clean.before_calls < 0.03  # the outage just before is not the baseline
    assert clean.cause == "client_rate" and "retry storm after the exchange outage" in clean.summary


def test_silences_are_found(weeks):
    gaps = toolkit.find_gaps(weeks)
    want = silences()
    assert len(gaps) == len(want)
    for got, s in zip(gaps.itertuples(), want.itertuples()):
        assert str(got.market) == s.market and near(got.start, s.start, 5) and near(got.end, s.end, 5)
        assert got.calls == 0 and got.expected_calls > 20
    revoked = gaps.iloc[-1]
    assert revoked["last_reason"] == "invalid_api_key" and revoked["error_rate_before"] == 1.0


def test_uncertain_orders_per_incident_with_repeats(weeks, found):
    u = toolkit.uncertain_orders(weeks, incidents=found)
    assert len(u) and (u["endpoint"].astype(str).isin(
        [f"{S}/order", f"{S}/cancelOrder", f"{F}/order/create", f"{F}/order/cancel"])).all()
    status = u["http_status"].astype("Float64")
    # timeouts and resets, 5xx and futures code 1001 on HTTP 200 (a system error: the order may or may not be in)
    assert (u["reason"].isin(["timeout", "connection_error", "system_error"]) | (status >= 500).fillna(False)).all()
    assert (u.loc[u["reason"] == "system_error", "market"] == "futures").all()
    outage = found[(found["cause"] == "exchange") & (found["scope"] == "exchange-wide")]["id"].tolist()
    assert u["incident"].isin(outage).sum() > 10
    # the scenario's bot never queries its orders: nothing says what became of them
    assert (u["fate"] == "unknown").all() and u["evidence"].isna().all()
    # it re-sends a third of them with the same clientOid 1-4 s later, and the exchange answers no second order
    # id: the same order asked for again, not placed twice
    every = toolkit.orders(weeks)
    again = every[every["client_oid"].isin(u["client_oid"]) & ~every["id"].isin(u["id"])]
    timed_out_or_5xx = ((u["reason"] == "timeout") | (status >= 500).fillna(False)).sum()
    # a third of them, less the re-sends that were of unknown outcome themselves (in u already)
    assert 0.18 * timed_out_or_5xx < len(again) < 0.42 * timed_out_or_5xx
    assert u["duplicate_of"].isna().all() and again["duplicate_of"].isna().all()


def test_uncertain_orders_need_the_endpoint_column(weeks):
    with pytest.raises(ValueError, match=r"uncertain_orders\(\) needs the column `endpoint`"):
        toolkit.uncertain_orders(weeks.drop(columns="endpoint").head(100))


def test_cause_rules_cover_every_category_and_name_the_documented_cases():
    rules = toolkit.cause_rules()
    assert set(rules["cause"]) <= set(CAUSES) and set(rules["side"]) <= set(SIDES)
    df = pd.DataFrame({
        "is_error": True,
        "category": list(toolkit.CATEGORIES[1:]) + ["auth", "unknown"],
        "reason": ["x"] * (len(toolkit.CATEGORIES) - 1) + ["timestamp_expired", "undocumented_code"],
        "code": [0] * (len(toolkit.CATEGORIES) - 1) + [401, 1006]})
    got = dict(zip(df["category"] + "/" + df["reason"], [CAUSES[i] for i in row_causes(df)]))
    assert got["rate_limit/x"] == "client_rate" and got["unknown/undocumented_code"] == "client_rate"  # 1006
    assert got["auth/timestamp_expired"] == "client_clock" and got["auth/x"] == "client_auth"
    assert got["permission/x"] == "client_auth" and got["insufficient_funds/x"] == "client_funds"
    assert {got[f"{c}/x"] for c in ("bad_request", "not_found", "order_rejected", "position", "leverage_margin",
                                   "tpsl", "product")} == {"client_request"}
    assert {got[f"{c}/x"] for c in ("server_error", "upstream_error", "malformed")} == {"exchange"}
    assert got["transport/x"] == "network" and got["unknown/x"] == "unknown"


def test_traffic_bursts_alone_raise_no_incident():
    """Two weeks of diurnal traffic with bursts and background errors, nothing planted."""
    from tests import scenarios

    df = scenarios.scenario(days=14, scale=0.1, seed=5)
    quiet = df[~_in_planted(df)]
    assert len(toolkit.find_incidents(quiet)) <= 1


def _in_planted(df):
    hit = np.zeros(len(df), dtype=bool)
    for p in planted().itertuples():
        hit |= ((df["ts"] >= p.start - pd.Timedelta("30min")) & (df["ts"] < p.end + pd.Timedelta("30min"))).to_numpy()
    return hit


def test_the_bundled_weeks_bots_never_fell_silent(sample_load):
    assert toolkit.find_gaps(sample_load.frame).empty


def test_a_short_recording_is_judged_against_its_median_bucket():
    ts = pd.date_range("2026-11-16 00:00", "2026-11-16 23:59", freq="10s", tz="UTC")
    ts = ts[(ts < "2026-11-16 12:00") | (ts >= "2026-11-16 13:00")]
    df = pd.DataFrame({"ts": ts, "market": "futures", "is_error": False, "reason": "ok"})
    gaps = toolkit.find_gaps(df)
    assert gaps[["start", "end"]].values.tolist() == [[pd.Timestamp("2026-11-16 12:00", tz="UTC"),
                                                       pd.Timestamp("2026-11-16 13:00", tz="UTC")]]
    assert gaps["last_reason"].tolist() == ["ok"] and gaps["calls"].tolist() == [0]
    assert toolkit.find_gaps(df, min_duration="2h").empty


@pytest.mark.parametrize("kwargs,message", [
    ({"share": 1.5}, r"find_gaps\(\): share must be a number from 0 to below 1, not 1.5"),
    ({"freq": "soon"}, r"find_gaps\(\): freq must be a positive duration"),
    ({"market": "options"}, r"find_gaps\(\): market must be one of"),
])
def test_find_gaps_refuses_bad_arguments(kwargs, message):
    df = pd.DataFrame({"ts": pd.to_datetime(["2026-11-16 00:00"], utc=True), "market": "spot", "is_error": False,
                       "reason": "ok"})
    with pytest.raises(ValueError, match=message):
        toolkit.find_gaps(df, **kwargs)


def test_narrow_must_name_columns(weeks):
    with pytest.raises(ValueError, match=r"find_incidents\(\): narrow=\['venue'\] names no column"):
        toolkit.find_incidents(weeks.head(1000), narrow=["venue"])
