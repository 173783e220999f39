"""toolkit.orders: every order attempt, its answer, and for unknown answers its fate and duplicates, on two days
of two simulated bots that reconcile after failures, on a store, and on hand-built calls that name each rule."""

import warnings

import numpy as np
import pandas as pd
import pytest

import toolkit
from tests.conftest import frame
from toolkit.simulation import simulate_orders

S, F = "/api/v1/stock/open-api/", "/api/v1/futures/open-api/"


def key(d):
    return list(zip(d["source"].astype(str), d["line"].astype("Int64").astype(object),
                    d["item"].astype("Int64").fillna(-1).astype(int)))


def score(truth, got):
    """Recall and precision of the orders of unknown outcome, share of right fates, duplicates found."""
    t = truth.assign(k=key(truth)).set_index("k")
    g = got.assign(k=key(got)).set_index("k").loc[t.index]
    pred = (g["sent"] & (g["answer"] == "unknown")).to_numpy()
    true = t["unknown"].to_numpy(bool)
    dup = g["duplicate_of"].notna().to_numpy()
    return {"recall": (pred & true).sum() / true.sum(), "precision": (pred & true).sum() / pred.sum(),
            "fate": (g["fate"].astype(object).to_numpy()[true] == t["fate"].to_numpy()[true]).mean(),
            "findable": int(t["findable"].sum()), "found": int((dup & t["findable"].to_numpy(bool)).sum()),
            "false": int((dup & ~t["duplicate"].to_numpy(bool)).sum()), "unknown": int(true.sum()),
            "attempts": len(t)}


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders")
    truth = simulate_orders(folder, seed=13, days=2, orders_per_hour=40, compress=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        df = toolkit.load_logs(folder)
    return folder, truth, df


def test_two_days_of_two_bots_find_the_unknown_orders_their_fate_and_the_ones_placed_twice(two_days):
    _, truth, df = two_days
    got = toolkit.orders(df)
    assert len(got) == len(truth) and got["id"].is_unique and (got["id"] == np.arange(1, len(got) + 1)).all()
    s = score(truth, got)
    assert s["unknown"] > 40 and s["findable"] >= 3, s  # the scenario has what it is meant to test
    assert s["recall"] >= 0.98 and s["precision"] >= 0.98, s
    assert s["fate"] >= 0.95, s
    assert s["found"] == s["findable"] and s["false"] == 0, s
    # both markets, every answer and every fate come up
    assert set(got["market"].astype(str)) == {"spot", "futures"}
    assert set(got["answer"].astype(str)) == {"accepted", "rejected", "unknown"}
    assert {"placed", "absent"} <= set(got["fate"].dropna().astype(str))
    unsent = got[~got["sent"]]  # never left the bot: neither placed nor cancelled
    assert len(unsent) > 3 and (unsent["fate"].astype(str) == unsent["action"].map(
        {"place": "absent", "cancel": "not_cancelled"}).astype(str)).all()
    # a batch's failed item is rejected with the exchange's words, its other items accepted
    items = got[got["item"].notna()]
    assert (items.loc[items["answer"] == "rejected", "reason"] == "余额不足").all()
    assert (items["answer"] == "accepted").sum() > (items["answer"] == "rejected").sum() > 0
    # a duplicate names an earlier attempt of the same order, found placed, and both order ids are known
    dup = got[got["duplicate_of"].notna()]
    first = got.set_index("id").loc[dup["duplicate_of"].astype(int)]
    assert (first["ts"].to_numpy() < dup["ts"].to_numpy()).all()
    assert (first["fate"] == "placed").all() and (first[["symbol", "side", "price", "quantity"]].astype(str).values
                                                  == dup[["symbol", "side", "price", "quantity"]].astype(str).values).all()
    assert first["order_id"].notna().all() and (first["order_id"].astype(str).values != dup["order_id"].astype(str).values).all()


def test_uncertain_orders_is_the_view_of_the_sent_orders_of_unknown_answer(two_days):
    _, _, df = two_days
    every = toolkit.orders(df)
    u = toolkit.uncertain_orders(df, incidents=pd.DataFrame())
    want = every[every["sent"] & (every["answer"] == "unknown")]
    assert u["id"].tolist() == want["id"].tolist() and u["incident"].isna().all()
    assert list(u.columns) == toolkit.analysis.UNCERTAIN_COLUMNS
    assert (u["fate"].astype(object).values == want["fate"].astype(object).values).all()
    timeouts = u["reason"] == "timeout"
    assert u.loc[timeouts, "http_status"].isna().all() and u.loc[u["http_status"] >= 500].shape[0] > 0


def test_a_store_gives_the_same_orders(two_days, tmp_path):
    folder, _, df = two_days
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        toolkit.store.ingest(folder, tmp_path / "store")
    want = toolkit.orders(df)
    for got in (toolkit.orders(tmp_path / "store"), toolkit.orders(toolkit.load_logs(tmp_path / "store"))):
        for c in ("id", "action", "client_oid", "order_id", "answer", "fate", "evidence", "duplicate_of", "sent"):
            assert got[c].astype(object).fillna("-").tolist() == want[c].astype(object).fillna("-").tolist(), c
    day = toolkit.orders(tmp_path / "store", start="2026-11-17", market="futures")
    assert (day["ts"] >= pd.Timestamp("2026-11-17", tz="UTC")).all() and set(day["market"].astype(str)) == {"futures"}


def calls(**columns):
    return frame(pd.date_range("2026-11-18 14:00", periods=len(columns["endpoint"]), freq="5s", tz="UTC"), **columns)


def test_what_the_answer_is_and_whether_the_request_left():
    # requests' texts for a connect timeout and a read timeout; futures code 1001 on HTTP 200; a code 200 success
    # with no data (the older futures gateway); a 504 gateway page
    connect = ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: "
               "/api/v1/futures/open-api/order/create (Caused by ConnectTimeoutError(, 'Connection to "
               "api9528mystks.mystonks.org timed out. (connect timeout=5)'))")
    read = "HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Read timed out. (read timeout=10)"
    df = calls(endpoint=[F + "order/create"] * 5 + [S + "ticker"], market="futures",
               http_status=[None, None, 200, 200, 504, 200], reason=["timeout", "timeout", "system_error", "ok",
                                                                    "gateway_error", "ok"],
               category=["transport", "transport", "server_error", "ok", "server_error", "ok"],
               message=[connect, read, "System error", "订单创建成功", "504 Gateway Time-out", "success"],
               code=[None, None, 1001, 200, None, 0])
    got = toolkit.orders(df)
    assert got["answer"].astype(str).tolist() == ["unknown", "unknown", "unknown", "accepted", "unknown"]
    assert got["sent"].tolist() == [False, True, True, True, True]
    assert got["fate"].astype(object).tolist()[:3] == ["absent", "unknown", "unknown"]
    assert got["evidence"].iloc[0].startswith("not sent")


def test_the_same_client_oid_again_is_a_duplicate_only_with_another_order_id():
    listed = '[["{id}","mm-1","AAPL","buy","limit","100.5","2","pending",{made},null,null]]'
    made = pd.Timestamp("2026-11-18 14:00:00.050", tz="UTC").value // 1_000_000
    for second_id, twice in (("881", False), ("882", True)):
        df = calls(endpoint=[S + "order", S + "order", S + "openOrders"], http_status=[None, 200, 200],
                   reason=["timeout", "ok", "ok"], category=["transport", "ok", "ok"], latency_ms=[3000.0, 40, 40],
                   client_oid=["mm-1", "mm-1", None], order_id=[None, second_id, None], side=["buy", "buy", None],
                   price=["100.5", "100.5", None], quantity=["2", "2", None],
                   order_items=[None, None, listed.format(id="881", made=made)])
        got = toolkit.orders(df)
        assert got["fate"].astype(object).tolist()[0] == "placed" and got["order_id"].iloc[0] == "881"
        assert got["evidence"].iloc[0] == "openOrders by clientOid"
        assert got["duplicate_of"].notna().tolist() == [False, twice]


def test_a_listing_that_would_show_the_order_and_does_not_makes_it_absent():
    older = pd.Timestamp("2026-11-18 13:50", tz="UTC").value // 1_000_000
    listing = f'[["70",null,"BTCUSDT","2","1","97000","1","2",{older},null,null]]'
    df = calls(endpoint=[F + "order/create", F + "order/limit", F + "order/entrust-history"], market="futures",
               http_status=[502, 200, 200], reason=["gateway_error", "ok", "ok"], category=["server_error", "ok", "ok"],
               symbol="BTCUSDT", side=["1", None, None], price=["98000", None, None], quantity=["2", None, None],
               order_items=[None, listing.replace("13:50", ""), listing])
    got = toolkit.orders(df)
    # open orders alone would not show a filled one; the whole history reaching back before the call would
    assert got["fate"].astype(str).tolist() == ["absent"]
    assert got["evidence"].iloc[0] == "order/entrust-history does not list it"
    assert got["evidence_ts"].iloc[0] == df["ts"].iloc[2]


def test_a_cancel_of_unknown_answer_is_settled_by_the_order_listed_later():
    for status, fate in (("cancelled", "cancelled"), ("pending", "not_cancelled")):
        df = calls(endpoint=[S + "cancelOrder", S + "orderDetail"], http_status=[None, 200],
                   reason=["connection_error", "ok"], category=["transport", "ok"],
                   message=["('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))", "ok"],
                   order_id=["881", "881"],
                   order_items=[None, f'[["881","mm-1","AAPL","buy","limit","1","2","{status}",null,null,null]]'])
        got = toolkit.orders(df)
        assert got["action"].astype(str).tolist() == ["cancel"] and got["fate"].astype(str).tolist() == [fate]
        assert got["evidence"].iloc[0] == "orderDetail by order id"


def test_a_batch_cancel_whose_items_name_no_client_oid_is_one_row_per_item():
    # batchCancelOrder's results carry order ids only (endpoints.md §3): every item's clientOid is missing, and
    # a batch item whose own result failed is rejected with its errorMsg
    items = ('[["881",null,"AAPL",null,null,null,null,null,null,true,""],'
             '["882",null,"AAPL",null,null,null,null,null,null,false,"订单不存在"]]')
    df = calls(endpoint=[S + "batchCancelOrder", S + "ticker"], http_status=[200, 200], reason=["ok", "ok"],
               category=["ok", "ok"], symbol="AAPL", order_items=[items, None])
    got = toolkit.orders(df)
    assert got["item"].tolist() == [0, 1] and got["order_id"].tolist() == ["881", "882"]
    assert got["client_oid"].isna().all() and got["action"].astype(str).tolist() == ["cancel", "cancel"]
    assert got["answer"].astype(str).tolist() == ["accepted", "rejected"]
    assert got["reason"].tolist() == ["ok", "订单不存在"]
