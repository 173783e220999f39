"""The endpoint catalog: every documented endpoint, reached by a recorded call, tags that call."""

import pandas as pd
import pytest

import toolkit
from tests.conftest import call, jsonl

HOST = "https://api9528mystks.mystonks.org"
ENDPOINTS = toolkit.endpoints()
ROWS = list(ENDPOINTS.itertuples(index=False))
# symbols as the docs write them: HK stock 00700 (all digits), crypto BTCUSDT, 1000PEPEUSDT, US stock AAPL
PATH_SYMBOLS = ["00700", "1000PEPEUSDT", "BTCUSDT", "AAPL"]


def _cases():
    for row in ROWS:
        if "{symbol}" in row.path:
            for symbol in PATH_SYMBOLS:
                yield row, row.path.replace("{symbol}", symbol), symbol
        else:
            query_symbol = "BTC-USD-PERP" if row.envelope == "bare" else ("AAPL" if row.market == "spot" else None)
            yield row, row.path + (f"?symbol={query_symbol}" if query_symbol else ""), query_symbol


CASES = list(_cases())


@pytest.mark.parametrize("row,path,symbol", CASES, ids=[p for _, p, _ in CASES])
def test_every_endpoint_tags_its_calls(tmp_path, row, path, symbol):
    body = {"ticker_id": "BTC-USD-PERP"} if row.envelope == "bare" else {"code": 0, "msg": "success", "data": {}}
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(HOST + path, 200, body, method=row.method)))
    got = df.iloc[0]
    assert (got["market"], got["endpoint"], got["kind"]) == (row.market, row.path, row.kind)
    assert (got["symbol"] if pd.notna(got["symbol"]) else None) == symbol
    assert got["category"] == "ok"


def test_the_catalog_lists_the_documented_endpoints():
    assert list(ENDPOINTS.columns) == ["market", "method", "path", "auth", "kind", "action", "envelope",
                                       "description", "documented", "note"]
    per_module = ENDPOINTS.groupby([ENDPOINTS["market"], ENDPOINTS["envelope"]]).size().to_dict()
    assert per_module == {("spot", "code"): 13, ("futures", "code"): 15, ("futures", "bare"): 3}
    assert ENDPOINTS["documented"].all() and not ENDPOINTS["path"].duplicated().any()
    assert set(ENDPOINTS["kind"].astype(str)) == {"trading", "account", "market_data"}
    assert ENDPOINTS.loc[ENDPOINTS["kind"] == "market_data", "auth"].eq(False).all()
    # every endpoint says what it does with orders; only trading ones place or cancel them
    actions = ENDPOINTS.groupby(["market", "action"], observed=True).size().to_dict()
    assert actions == {("spot", "place"): 2, ("spot", "cancel"): 2, ("spot", "query"): 4, ("spot", "other"): 5,
                       ("futures", "place"): 1, ("futures", "cancel"): 1, ("futures", "query"): 5,
                       ("futures", "other"): 11}
    assert set(ENDPOINTS.loc[ENDPOINTS["action"].isin(["place", "cancel"]), "kind"].astype(str)) == {"trading"}
    # only the futures market data has a path parameter
    assert ENDPOINTS.loc[ENDPOINTS["path"].str.contains("{", regex=False), "path"].str.split("/").str[-2].tolist() == [
        "orderbook", "ticker", "price-steps"]


def test_one_endpoint_for_every_symbol_and_a_trailing_slash(tmp_path):
    recs = [call(f"{HOST}/api/v1/futures/open-api/ticker/{s}", method="GET") for s in ("00700", "BTCUSDT", "AAPL")]
    recs.append(call(f"{HOST}/api/v1/stock/open-api/depth/?symbol=TSLA", method="GET"))
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["endpoint"].astype(str).tolist()[:3] == ["/api/v1/futures/open-api/ticker/{symbol}"] * 3
    assert df["symbol"].tolist() == ["00700", "BTCUSDT", "AAPL", "TSLA"]
    assert df.loc[3, "endpoint"] == "/api/v1/stock/open-api/depth"


def test_the_body_symbol_wins_over_the_path(tmp_path):
    rec = call(f"{HOST}/api/v1/futures/open-api/orderbook/ETHUSDT", method="GET", symbol="ETHUSDT-explicit")
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", rec))
    assert df.loc[0, "symbol"] == "ETHUSDT-explicit"


def test_a_path_the_catalog_does_not_know(tmp_path):
    recs = [  # the exchange's web front-end API (endpoints.md section 4), not the Open API
        call(f"{HOST}/api/v1/co/pos/list"),
        call(f"{HOST}/api/v1/stockhome/home/1/1000", method="GET"),
        call("https://gateway.example/api/v1/futures/open-api/order/98765/fills", method="GET"),
    ]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["kind"].astype(str).tolist() == ["unknown", "unknown", "unknown"]
    assert df["endpoint"].astype(str).tolist() == ["/api/v1/co/pos/list", "/api/v1/stockhome/home/{id}/{id}",
                                                   "/api/v1/futures/open-api/order/{id}/fills"]
    assert df["market"].astype(str).tolist() == ["unknown", "unknown", "futures"]
    assert df["category"].tolist() == ["ok", "ok", "ok"]


@pytest.mark.parametrize("url,market", [
    ("https://api.spotify.com/v1/me/player", "unknown"),
    ("https://api.perplexity.ai/chat/completions", "unknown"),
    ("https://swapi.dev/api/people/1", "unknown"),
    ("https://futures.example.com/api/order", "unknown"),
    ("https://x.example/api/v1/spot/ws", "spot"),
    ("wss://api9528mystks.mystonks.org/api/v1/futures/ws", "futures"),
    ("https://x.example/api/v1/fdata/fundingRate", "futures"),
    ("https://x.example/api/v1/stock/isTrade", "spot"),
    ("https://x.example/v2/futures", "futures"),
    ("https://x.example/api/v1/stocks/list", "unknown"),
])
def test_default_market_rules_read_path_segments_only(tmp_path, url, market):
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(url, 200, {"code": 0, "msg": "success"})))
    assert df.loc[0, "market"] == market


def test_market_precedence_explicit_catalog_url_body(tmp_path):
    recs = [
        call(f"{HOST}/api/v1/stock/open-api/order", market="futures"),                       # explicit field
        call(f"{HOST}/api/v1/fdata/depth?symbol=BTC-USD-PERP", 200, [], method="GET"),           # catalog
        call("https://x.example/spot/api/v1/stock/open-api/order"),                         # catalog over URL rules
        call("https://x.example/api/v1/spot/order"),                                        # URL rules
        call("https://x.example/api/v1/order", 200, {"code": 8018, "message": "Insufficient margin"}),  # body
        call("https://x.example/api/v1/order"),                                             # nothing says
    ]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["market"].astype(str).tolist() == ["futures", "futures", "spot", "spot", "futures", "unknown"]


def test_user_market_rules_apply_where_the_catalog_is_silent(tmp_path):
    recs = [call("https://fapi.example/api/v1/order"), call(f"{HOST}/api/v1/stock/open-api/order")]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs), market_rules={"futures": r"fapi"})
    assert df["market"].astype(str).tolist() == ["futures", "spot"]
