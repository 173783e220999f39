"""Every format gives a call its order's identity: client_oid, order_id, side, order_type, price, quantity, and
for batch and query calls the items (order_items); the store and Dask keep them.

The request and answer shapes are the exchange's (``/work/shared/reference/endpoints.md`` §2: spot ``order``
takes symbol, side, type, price, quantity, clientOid and answers orderId, clientOid; futures ``order/create``
takes vol and an integer side and answers orderId and orderNo; ``batchOrder`` answers ``results[]``;
``openOrders`` answers ``orders[]``; futures ``order/limit`` answers a bare array with ``id``, ``vol``, ``ctime``).
"""

import warnings

import orjson
import pandas as pd
import pytest
import yaml

import toolkit
from tests.conftest import FUTURES, SPOT, call, jsonl
from toolkit.read.formats import _fastjsonl as fast

HOST = "https://api9528mystks.mystonks.org"
IDENTITY = ["client_oid", "order_id", "side", "order_type", "price", "quantity"]
SPOT_ORDER = {"symbol": "AAPL", "side": "buy", "type": "limit", "price": "101.50", "quantity": "2", "clientOid": "mm-7"}
FUT_ORDER = {"symbol": "BTCUSDT", "coType": 3, "orderType": 1, "openType": 1, "side": 2, "price": "98000.5",
             "vol": "3", "leverage": 10}
BATCH = {"orders": [dict(SPOT_ORDER, clientOid="mm-8"), dict(SPOT_ORDER, clientOid="mm-9", side="sell")]}
BATCH_ANSWER = {"code": 0, "msg": "success", "data": {"results": [
    {"orderId": "9001", "clientOid": "mm-8", "success": True, "errorCode": 0, "errorMsg": ""},
    {"orderId": "", "clientOid": "mm-9", "success": False, "errorCode": 1001, "errorMsg": "余额不足"}]}}
LISTED = {"code": 0, "msg": "success", "data": {"orders": [
    {"orderId": "881", "symbol": "AAPL", "side": "buy", "type": "limit", "price": "101.50", "quantity": "2",
     "filledQty": "0", "status": "pending"}], "total": 1, "page": 1, "size": 20}}
FUT_LISTED = {"code": 0, "msg": "success", "data": [
    {"id": 5168571117, "symbol": "BTCUSDT", "price": "98000.5", "status": 1, "orderNo": "CO20261116571117",
     "openFlag": 1, "longFlag": 2, "vol": "3", "orderType": 1, "leverage": 10, "ctime": 1795208700123,
     "marginMode": 1, "coType": 3}]}


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def values(df, columns=IDENTITY):
    return [[None if pd.isna(v) else str(v) for v in row] for row in df[columns].astype(object).values.tolist()]


def recorded(tmp_path):
    """The recorder's flat lines: a spot order, a futures order (nested request), a batch, two listings."""
    req = {"request": {"headers": {"ACCESS-TIMESTAMP": "1795208700000", "ACCESS-KEY": "***"}}}
    return jsonl(
        tmp_path / "calls.jsonl",
        call(body={"code": 0, "msg": "success", "data": {"orderId": "881", "clientOid": "mm-7"}},
             request={**req["request"], "body": SPOT_ORDER}),
        call(FUTURES, body={"code": 0, "msg": "success", "data": {"orderId": 5168571117,
                                                                   "orderNo": "CO20261116571117"}},
             request={**req["request"], "body": FUT_ORDER}),
        call(HOST + "/api/v1/stock/open-api/batchOrder", body=BATCH_ANSWER, request={"body": BATCH}),
        call(HOST + "/api/v1/stock/open-api/openOrders?symbol=AAPL&page=1&size=20", method="GET", body=LISTED),
        call(HOST + "/api/v1/futures/open-api/order/limit", body=FUT_LISTED, request={"body": {"symbol": "BTCUSDT"}}),
        call(HOST + "/api/v1/stock/open-api/orderDetail?symbol=AAPL&orderId=881", method="GET", status=504,
             body="<html><body>504 Gateway Time-out</body></html>"),
        call(HOST + "/api/v1/stock/open-api/ticker?symbol=AAPL", method="GET"),
    )


EXPECTED = [
    ["mm-7", "881", "buy", "limit", "101.50", "2"],
    [None, "5168571117", "2", "1", "98000.5", "3"],
    [None, None, None, None, None, None],
    [None, None, None, None, None, None],
    [None, None, None, None, None, None],
    [None, "881", None, None, None, None],
    [None, None, None, None, None, None],
]


@pytest.mark.parametrize("fast_path", [True, False])
def test_json_lines_give_each_call_its_order(tmp_path, monkeypatch, fast_path):
    monkeypatch.setattr(fast, "ENABLED", fast_path)
    df = read(recorded(tmp_path)).frame
    assert values(df) == EXPECTED
    items = [None if pd.isna(v) else orjson.loads(v) for v in df["order_items"].astype(object)]
    assert items[0] is None and items[1] is None and items[6] is None
    assert items[2] == [["9001", "mm-8", "AAPL", "buy", "limit", "101.50", "2", None, None, True, None],
                        [None, "mm-9", "AAPL", "sell", "limit", "101.50", "2", None, None, False, "余额不足"]]
    assert items[3] == [["881", None, "AAPL", "buy", "limit", "101.50", "2", "pending", None, None, None]]
    assert items[4] == [["5168571117", None, "BTCUSDT", "2", "1", "98000.5", "3", "1", 1795208700123, None, None]]
    assert all(isinstance(df[c].dtype, pd.CategoricalDtype) for c in toolkit.schema.ORDER_FIELDS)


def test_the_fast_path_reads_order_calls_and_listings_itself(tmp_path):
    data = recorded(tmp_path).read_bytes()
    taken, general = [], []
    fast.read(data, fast.line_bounds(data), 1, taken.append, lambda raw, line: general.append(line))
    # only the batch (its items pair the request's orders with the answer's results) and the gateway's page (a
    # text body, which the fast path never reads)
    assert general == [3, 6]


def test_a_form_body_and_a_query_string_name_the_order_too(tmp_path):
    form = "symbol=AAPL&side=sell&type=limit&price=99.5&quantity=4&clientOid=mm-form"
    df = read(jsonl(tmp_path / "calls.jsonl", call(request={"body": form}),
                    call(SPOT + "?symbol=AAPL&side=buy&type=limit&price=99&quantity=1&clientOid=mm-q"),
                    call(HOST + "/api/v1/futures/open-api/products?type=3", method="GET"))).frame
    assert values(df) == [["mm-form", None, "sell", "limit", "99.5", "4"], ["mm-q", None, "buy", "limit", "99", "1"],
                          [None] * 6]  # a product list's type is no order type


def test_har_entries_carry_the_order(tmp_path):
    # Chrome DevTools' HAR export: postData.text for a JSON body, response.content.text for the answer
    def entry(url, body, answer):
        return {"startedDateTime": "2026-11-20T21:05:00.000Z", "time": 12,
                "request": {"method": "POST", "url": url, "headers": [],
                            "postData": {"mimeType": "application/json", "text": orjson.dumps(body).decode()}},
                "response": {"status": 200, "headers": [],
                             "content": {"mimeType": "application/json", "text": orjson.dumps(answer).decode()}}}
    path = tmp_path / "calls.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": [
        entry(SPOT, SPOT_ORDER, {"code": 0, "msg": "success", "data": {"orderId": "881", "clientOid": "mm-7"}}),
        entry(HOST + "/api/v1/stock/open-api/batchOrder", BATCH, BATCH_ANSWER)]}}))
    df = read(path).frame
    assert values(df) == [EXPECTED[0], [None] * 6]
    assert [i[1] for i in orjson.loads(df["order_items"].iloc[1])] == ["mm-8", "mm-9"]


def test_cassettes_carry_the_order(tmp_path):
    # vcrpy's YAML cassette: request body as text, response body under string, status as code and message
    def interaction(uri, body, answer):
        return {"request": {"body": orjson.dumps(body).decode(), "headers": {"Content-Type": ["application/json"]},
                            "method": "POST", "uri": uri},
                "response": {"body": {"string": orjson.dumps(answer).decode()},
                             "headers": {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]},
                             "status": {"code": 200, "message": "OK"}}}
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump({"interactions": [
        interaction(FUTURES, FUT_ORDER, {"code": 0, "msg": "success",
                                         "data": {"orderId": 5168571117, "orderNo": "CO20261116571117"}}),
        interaction(HOST + "/api/v1/futures/open-api/order/limit", {"symbol": "BTCUSDT"}, FUT_LISTED)],
        "version": 1}, allow_unicode=True))
    df = read(path).frame
    assert values(df) == [EXPECTED[1], [None] * 6]
    assert orjson.loads(df["order_items"].iloc[1])[0][0] == "5168571117"


def test_a_text_log_gives_the_answers_order_id(tmp_path):
    # ccxt's DEBUG logger: "%s %s, Response: %s %s %s" % (method, url, status, headers, body)
    path = tmp_path / "bot.log"
    path.write_text("2026-11-20 21:05:00,142 - ccxt.base.exchange - DEBUG - POST " + SPOT
                    + ", Response: 200 {'Date': 'Fri, 20 Nov 2026 21:05:00 GMT'} "
                    + '{"code":0,"msg":"success","data":{"orderId":"881","clientOid":"mm-7"}}\n')
    df = read(path).frame
    assert values(df) == [["mm-7", "881", None, None, None, None]]


def test_the_store_and_dask_keep_the_order_columns(tmp_path):
    logs = recorded(tmp_path / "logs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        toolkit.store.ingest(logs, tmp_path / "store")
    parsed = read(logs).frame
    stored = toolkit.load_logs(tmp_path / "store").sort_values("line", ignore_index=True)
    for c in toolkit.schema.ORDER_FIELDS:
        assert values(stored, [c]) == values(parsed, [c]), c
    sql = "SELECT client_oid, order_id, quantity FROM calls WHERE order_id IS NOT NULL ORDER BY line"
    assert values(toolkit.store.query(tmp_path / "store", sql), ["client_oid", "order_id", "quantity"]) == [
        ["mm-7", "881", "2"], [None, "5168571117", "3"], [None, "881", None]]
    dd = pytest.importorskip("toolkit.dask")
    got = dd.read_logs(logs).compute().sort_values("line", ignore_index=True)
    assert values(got) == values(parsed)


def test_order_fields_are_read_on_exactly_the_endpoints_the_catalog_says_are_about_orders():
    from toolkit.read._orders import names_orders

    eps = toolkit.endpoints()
    urls = HOST + eps["path"].str.replace("{symbol}", "BTCUSDT", regex=False)
    assert [names_orders(u) for u in urls] == (eps["action"] != "other").tolist()
    assert not names_orders(HOST + "/api/v1/futures/open-api/orderbook/BTCUSDT?depth=20")  # market data


def test_an_order_books_answer_names_no_order_on_either_path(tmp_path):
    # futures orderbook/{symbol}: bids and asks under data (/work/shared/reference/endpoints.md)
    book = call(url=HOST + "/api/v1/futures/open-api/orderbook/BTCUSDT?depth=20", status=200,
                response={"code": 0, "msg": "success", "data": {"bids": [["98000.5", "3"]], "asks": [["98001", "1"]],
                                                                "price": "98000.7", "side": "buy"}})
    path = jsonl(tmp_path / "book.jsonl", book)
    for on in (True, False):
        fast.ENABLED = on
        try:
            df = toolkit.load_logs(path)
        finally:
            fast.ENABLED = True
        assert df[IDENTITY + ["order_items"]].isna().all(axis=None)
