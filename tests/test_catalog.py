"""Every catalog row, reached by a recorded call, gives that row's category, reason and retryable flag."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, SPOT, call, jsonl

CATALOG = toolkit.catalog()

LEGACY = "https://api9528mystks.mystonks.org/api/v1/fdata/depth?symbol=BTC-USD-PERP&limit=20"

# a message (or exception text) each message rule is written to match, in English
MESSAGES = {
    "timestamp_expired": "Request timestamp expired",
    "signature_invalid": "Signature verification failed",
    "invalid_api_key": "Invalid API key",
    "missing_auth": "Missing auth parameters",
    "auth_failed": "Unauthorized",
    "ip_not_whitelisted": "IP not in whitelist",
    "no_trading_permission": "API key has no trading permission",
    "order_rate_limited": "Order rate limit exceeded",
    "rate_limited": "Rate limit exceeded",
    "insufficient_balance": "Order failed: insufficient balance",
    "order_not_found": "Order does not exist",
    "trading_pair_not_found": "Trading pair does not exist",
    "order_failed": "Cancel order failed",
    "invalid_parameters": "Invalid parameters",
    "invalid_symbol_format": "invalid symbol format: BTC-USDT",
    "unsupported_symbol": "unsupported symbol: XYZUSDT",
    "no_data_returned": "no data returned for symbol: ETH-USD-PERP",
    "concurrent_order_limit": "Request too frequent",
    "timeout": "HTTPSConnectionPool(host='x', port=443): Read timed out. (read timeout=10)",
    # urllib3 2's NameResolutionError, as requests raises it when the host name does not resolve
    "dns_failure": ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: "
                    "/api/v1/stock/open-api/depth (Caused by NameResolutionError(\"<urllib3.connection."
                    "HTTPSConnection object at 0x7f3a2c>: Failed to resolve 'api9528mystks.mystonks.org' "
                    "([Errno -3] Temporary failure in name resolution)\"))"),
    "connection_error": "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
    "transport_error": "SSLError(SSLCertVerificationError(1, 'certificate verify failed'))",
}

# the exchange's Chinese wording (endpoints.md section 4), as documented, without its spaces
# and with full-width punctuation or letters
CHINESE = {
    "timestamp_expired": ["时间戳过期", "时间戳 过期"],
    "signature_invalid": ["签名验证失败", "签名 验证失败"],
    "invalid_api_key": ["无效的 API Key", "无效的API Key", "无效的ＡＰＩ　Ｋｅｙ"],
    "missing_auth": ["缺少鉴权参数", "缺少 鉴权参数"],
    "ip_not_whitelisted": ["IP 不在白名单", "IP不在白名单", "ＩＰ不在白名单"],
    "no_trading_permission": ["该 API Key 无交易权限", "该API Key无交易权限", "无交易权限"],
    "order_rate_limited": ["下单频率超限", "下单 频率超限"],
    "rate_limited": ["请求频率超限（每秒/每分钟）", "请求频率超限(每秒/每分钟)", "请求频率超限"],
    "insufficient_balance": ["余额不足", "下单撤单失败（余额不足等业务错误，具体原因见 msg）"],
    "order_not_found": ["订单不存在", "订单 不存在"],
    "trading_pair_not_found": ["交易对不存在", "交易对 不存在"],
    "order_failed": ["撤单失败", "下单失败", "下单撤单失败", "下单撤单失败：价格超出范围"],
    "invalid_parameters": ["参数错误", "请求体读取失败"],
    "internal_error": ["内部错误", "K 线服务不可用", "K线服务不可用"],
}


def _url(row):
    if row.reason == "path_not_found":  # a web page beside the exchange's API
        return "https://www.example.com/static/app.js"
    if row.reason in ("invalid_symbol_format", "unsupported_symbol", "no_data_returned") or row.code == "bare":
        return LEGACY
    return FUTURES if row.market in ("futures", "*") else SPOT


def _record(row, msg):
    url = _url(row)
    if row.layer == "business":
        code = int(row.code) if row.code else 9999
        return call(url, 200, {"code": code, "message": msg})
    if row.layer == "http":
        status = int(row.code) if row.code.isdigit() else {"1xx": 101, "3xx": 302, "5xx": 502}.get(row.code, 418)
        if url == LEGACY:  # the legacy market data answers {"error": ...} and nothing else
            return call(url, status, {"error": msg}, method="GET")
        return call(url, status, {"code": status, "message": msg})
    if row.layer == "transport":
        return call(url, None, None, error=msg, response=None)
    if row.reason == "not_json":
        return call(url, 200, "<html><body>maintenance</body></html>")
    if row.code == "bare":
        return call(url, 200, {"ticker_id": "BTC-USD-PERP", "timestamp": 1763251200000, "bids": [[1, 2]], "asks": []},
                    method="GET")
    if row.reason == "unverified":  # a 2xx logged without its body
        return call(url, 200, None, response=None)
    return call(url, 200, {"msg": "ok", "data": []})


def _check(df, row):
    got = df.iloc[0]
    assert (got["category"], got["reason"]) == (row.category, row.reason)
    assert got["is_error"] == (row.category != "ok")
    if pd.isna(row.retryable):
        assert pd.isna(got["retryable"])
    else:
        assert got["retryable"] == row.retryable


ROWS = list(CATALOG.itertuples(index=False))
IDS = [f"{r.market}-{r.layer}-{r.code or 'any'}-{r.reason}" for r in ROWS]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_catalog_row_classifies(tmp_path, row):
    df = toolkit.load_logs(jsonl(tmp_path / "calls.jsonl", _record(row, MESSAGES.get(row.reason, row.description))))
    _check(df, row)


CHINESE_CASES = [(row, text) for row in ROWS if row.layer == "http" for text in CHINESE.get(row.reason, [])
                 if not (row.reason == "internal_error" and row.market == "futures" and "K" in text)]


@pytest.mark.parametrize("row,text", CHINESE_CASES, ids=[f"{r.market}-{r.code}-{r.reason}-{t}" for r, t in CHINESE_CASES])
def test_every_message_rule_reads_the_chinese_wording(tmp_path, row, text):
    df = toolkit.load_logs(jsonl(tmp_path / "calls.jsonl", _record(row, text)))
    _check(df, row)


def test_every_http_message_rule_has_a_chinese_case():
    rules = CATALOG.query("layer == 'http' and match != ''")
    legacy = {"invalid_symbol_format", "unsupported_symbol", "no_data_returned"}  # English in the docs
    assert set(rules["reason"]) - legacy <= set(CHINESE)


def test_catalog_is_the_documented_table():
    cat = toolkit.catalog()
    assert list(cat.columns) == ["market", "layer", "code", "match", "description", "category", "reason",
                                 "retryable", "ccxt", "documented", "note"]
    futures_codes = set(cat.query("market == 'futures' and layer == 'business'")["code"])
    assert futures_codes == {"0", "1001", "3000", "3004", *(f"80{i:02d}" for i in range(1, 19)), "8100"}
    assert set(cat.query("market == 'spot' and layer == 'http'")["code"]) == {"400", "401", "403", "404", "429", "500"}
    assert set(cat["category"].astype(str)) == set(toolkit.CATEGORIES)
    assert cat["retryable"].dtype == "boolean"
    cat.loc[0, "category"] = "ok"  # a copy: the catalog itself is not changed
    assert toolkit.catalog().equals(CATALOG)


def test_observed_rows_are_marked_undocumented_with_a_note():
    observed = CATALOG[~CATALOG["documented"]]
    assert observed[["code", "category", "reason"]].values.tolist() == [
        ["200", "ok", "ok"], ["1006", "rate_limit", "concurrent_order_limit"],
        # plain HTTP semantics the exchange's documentation does not list
        ["1xx", "ok", "informational"], ["304", "ok", "not_modified"], ["3xx", "ok", "redirect"],
        ["404", "not_found", "path_not_found"]]
    assert observed["note"].str.len().gt(20).all()
    assert CATALOG.loc[CATALOG["documented"], "note"].isin(["", *observed["note"]]).sum() >= 0


@pytest.mark.parametrize("url", [FUTURES, SPOT])
def test_observed_codes_in_a_2xx_response(tmp_path, url):
    recs = [call(url, 200, {"code": 1006, "message": "Request too frequent"}),
            call(url, 200, {"code": 200, "message": "订单创建成功"}),
            call(url, 200, {"code": 8020, "message": "margin mode not supported"}),
            call(url, 429, {"code": 200, "message": "Too Many Requests"})]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df[["category", "reason"]].values.tolist() == [
        ["rate_limit", "concurrent_order_limit"], ["ok", "ok"], ["unknown", "undocumented_code"],
        ["rate_limit", "rate_limited"]]
    assert df["retryable"].tolist()[0] is True
    assert df["is_error"].tolist() == [True, False, True, True]


def test_legacy_market_data_envelope_and_errors(tmp_path):
    base = "https://api9528mystks.mystonks.org/api/v1/fdata"
    recs = [  # shapes from the legacy V1.0 pages (endpoints.md section 2.3 and 4)
        call(f"{base}/productList", 200, [{"ticker_id": "BTC-USD-PERP", "last_price": 97000.5}], method="GET"),
        call(f"{base}/ticker/price?symbol=ETH-USD-PERP", 200,
             {"contract_type": "PERPETUAL", "contract_price": 3100.2, "contract_price_currency": "USD"}, method="GET"),
        call(f"{base}/depth?symbol=BTC-USDT", 500, {"error": "invalid symbol format: BTC-USDT"}, method="GET"),
        call(f"{base}/depth?symbol=XYZ-USD-PERP", 500, {"error": "unsupported symbol: XYZUSDT"}, method="GET"),
        call(f"{base}/depth?symbol=ETH-USD-PERP", 500, {"error": "no data returned for symbol: ETH-USD-PERP"},
             method="GET"),
        call(f"{base}/depth?symbol=BTC-USD-PERP", 500, {"error": "upstream exploded"}, method="GET"),
        call(f"{base}/depth?symbol=BTC-USD-PERP", 200, "<html>Bad gateway</html>", method="GET"),
        call(f"{base}/fundingRate?symbol=BTC-USD-PERP", 200, {"rate": 0.0001}, method="GET"),  # not in the catalog
    ]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert set(df["market"]) == {"futures"}
    assert df[["category", "reason"]].values.tolist() == [
        ["ok", "ok"], ["ok", "ok"], ["bad_request", "invalid_symbol_format"], ["not_found", "unsupported_symbol"],
        ["server_error", "no_data_returned"], ["server_error", "internal_error"], ["malformed", "not_json"],
        ["ok", "ok"]]
    assert df["retryable"].tolist()[2:6] == [False, False, True, True]
    assert df["message"].tolist()[2] == "invalid symbol format: BTC-USDT"
    assert df["symbol"].tolist()[1:3] == ["ETH-USD-PERP", "BTC-USDT"]
    assert df["kind"].astype(str).tolist()[-1] == "unknown"


def test_a_body_without_msg_or_message_reads_error(tmp_path):
    rec = call(SPOT, 400, {"code": 400, "error": "余额不足"})
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", rec))
    assert (df.loc[0, "message"], df.loc[0, "reason"]) == ("余额不足", "insufficient_balance")


BATCH = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/batchOrder"
BATCH_CANCEL = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/batchCancelOrder"


def _item(ok, msg=None, order_id="1234567890"):
    if ok:
        return {"orderId": order_id, "clientOid": "c1", "success": True, "errorCode": 0, "errorMsg": ""}
    return {"orderId": "", "clientOid": "c2", "success": False, "errorCode": 1001, "errorMsg": msg}


def test_batch_items_failed_and_not(tmp_path):
    # shapes from the spot batchOrder / batchCancelOrder pages (endpoints.md section 2.1 and 4)
    recs = [
        call(BATCH, 200, {"code": 0, "msg": "success", "data": {"results": [_item(True), _item(True)]}}),
        call(BATCH, 200, {"code": 0, "msg": "success", "data": {"results": [_item(True), _item(False, "余额不足")]}}),
        call(BATCH_CANCEL, 200, {"code": 0, "msg": "success",
                                 "data": [_item(False, "订单不存在"), _item(False, "订单不存在"), _item(True)]}),
        call(BATCH, 200, {"code": 0, "msg": "success", "data": {"results": [_item(False, "Order failed: price")]}}),
        call(BATCH, 200, {"code": 0, "msg": "success", "data": {"results": []}}),
        call(BATCH, 400, {"code": 400, "msg": "参数错误"}),
        call(SPOT, 200, {"code": 0, "msg": "success", "data": {"orderId": "1", "clientOid": "c"}}),
        call(FUTURES.replace("create", "limit"), 200, {"code": 0, "data": [{"id": 1, "status": 1}]}),
    ]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["items"].tolist()[:5] == [2, 2, 3, 1, 0]
    assert df["items_failed"].tolist()[:5] == [0, 1, 2, 1, 0]
    assert df["items"].isna().tolist()[5:] == [True, True, True]
    assert df[["category", "reason"]].values.tolist() == [
        ["ok", "ok"], ["insufficient_funds", "insufficient_balance"], ["not_found", "order_not_found"],
        ["order_rejected", "order_failed"], ["ok", "ok"], ["bad_request", "invalid_parameters"], ["ok", "ok"],
        ["ok", "ok"]]
    assert df["message"].tolist()[1:3] == ["余额不足", "订单不存在"]
    assert df["is_error"].tolist() == [False, True, True, True, False, True, False, False]
    assert str(df["items"].dtype) == "Int32"
    errors = toolkit.top_errors(df, n=None)
    assert set(errors["reason"]) >= {"insufficient_balance", "order_not_found", "order_failed"}


def _broken_package(tmp_path, name, edit):
    pkg = tmp_path / "toolkit"
    shutil.copytree(Path(toolkit.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    path = pkg / name
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-c", "import toolkit"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})


@pytest.mark.parametrize("name,edit,expected", [
    ("data/catalog.csv", lambda ls: ls[:5] + [ls[5].replace(",,", ",(unclosed,", 1)] + ls[6:],
     "toolkit/data/catalog.csv line 6: match '(unclosed' is not a valid regex"),
    ("data/catalog.csv", lambda ls: ls[:3] + [ls[3].replace("server_error", "server_eror")] + ls[4:],
     "toolkit/data/catalog.csv line 4: category 'server_eror' is not one of"),
    ("data/catalog.csv", lambda ls: ls + [ls[3]], "duplicate of line 4"),
    ("data/endpoints.csv", lambda ls: ls + [ls[2]], "toolkit/data/endpoints.csv line 33: duplicate of line 3"),
    ("data/endpoints.csv", lambda ls: ls[:2] + [ls[2].replace("trading", "tradng")] + ls[3:],
     "toolkit/data/endpoints.csv line 3: kind 'tradng' is not one of"),
    ("data/endpoints.csv", lambda ls: ls[:2] + [ls[2].replace("/order", "/order/{orderId}")] + ls[3:],
     "toolkit/data/endpoints.csv line 3: path parameter {orderId}"),
    ("data/reason_scopes.csv", lambda ls: ls[:2] + [ls[2].replace("trading_pair_not_found", "pair_not_found")] + ls[3:],
     "reason_scopes.csv: reason 'pair_not_found' is not a reason of catalog.csv"),
    ("data/reason_scopes.csv", lambda ls: ls[:1] + [ls[1].replace(",exchange,", ",exchanges,")] + ls[2:],
     "toolkit/data/reason_scopes.csv line 2: applies_to 'exchanges' is not one of"),
], ids=["bad-regex", "unknown-category", "duplicate-catalog-row", "duplicate-endpoint", "unknown-kind",
        "unknown-path-parameter", "scope-of-an-unknown-reason", "unknown-scope"])
def test_a_broken_data_file_fails_at_import_naming_file_and_line(tmp_path, name, edit, expected):
    done = _broken_package(tmp_path, name, edit)
    assert done.returncode != 0
    assert "CatalogError" in done.stderr and expected in done.stderr, done.stderr[-800:]


@pytest.mark.parametrize("market,url", [("unknown", "https://x.example/api/v1/order"), ("spot", SPOT)])
def test_spot_rules_apply_to_unknown_market_http_errors(tmp_path, market, url):
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(url, 401, {"code": 401, "msg": "签名错误"})))
    assert df.loc[0, "market"] == market
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("auth", "signature_invalid")


@pytest.mark.parametrize("url,reason", [
    (SPOT, "order_not_found"),  # the exchange's orderDetail: its 404 is a missing order
    ("https://api9528mystks.mystonks.org/api/v1/stock/open-api/orderStatus", "order_not_found"),  # its API folder
    ("https://x.example/api/v1/order", "path_not_found"),  # not the exchange's
    ("https://www.example.com/about", "path_not_found"),  # a web page
])
def test_reasons_naming_the_exchanges_objects_only_on_its_endpoints(tmp_path, url, reason):
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(url, 404, {"code": 404, "msg": "Order not found"})))
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("not_found", reason)
    assert set(CATALOG.loc[CATALOG["reason"] == reason, "category"]) == {"not_found"}


def test_a_web_page_400_is_not_a_missing_trading_pair(tmp_path):
    recs = [call("https://www.example.com/search", 400, "<html><h1>Page not found</h1></html>", method="GET"),
            call(SPOT, 400, {"code": 400, "msg": "交易对不存在"})]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["reason"].tolist() == ["invalid_parameters", "trading_pair_not_found"]


@pytest.mark.parametrize("status,reason", [(101, "informational"), (301, "redirect"), (302, "redirect"),
                                           (307, "redirect"), (304, "not_modified")])
def test_1xx_and_3xx_answers_are_not_errors(tmp_path, status, reason):
    # a browser's recording: a WebSocket upgrade, redirects and cache revalidations (HAR, mitmproxy, caddy)
    recs = [call("https://www.example.com/page", status, None, response=None, method="GET"),
            call(SPOT, status, None, response=None)]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["category"].astype(str).tolist() == ["ok", "ok"]
    assert df["reason"].tolist() == [reason, reason]
    assert not df["is_error"].any()


def test_futures_table_applies_to_unknown_market_business_codes(tmp_path):
    rec = call("https://x.example/api/v1/order", 200, {"code": 8018, "message": "Insufficient margin"})
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", rec))
    # a futures-only business code also tells the market
    assert (df.loc[0, "market"], df.loc[0, "category"]) == ("futures", "insufficient_funds")


def test_futures_404_is_undocumented(tmp_path):
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(FUTURES, 404, {"code": 404, "message": "nope"})))
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("unknown", "undocumented_status")


def test_spot_message_rules_first_match_wins(tmp_path):
    msgs = ["Insufficient balance: order not found", "Trading pair not exist, order failed", "Order failed",
            "quantity too small", "下单撤单失败（余额不足等业务错误，具体原因见 msg）", "订单不存在，撤单失败", "交易对不存在，下单失败"]
    recs = [call(SPOT, 400, {"code": 400, "msg": m}) for m in msgs]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["reason"].tolist() == ["insufficient_balance", "trading_pair_not_found", "order_failed",
                                     "invalid_parameters", "insufficient_balance", "order_not_found",
                                     "trading_pair_not_found"]


# what common clients raise when the host name does not resolve, and neighbours that must not be taken for it
TRANSPORT_TEXTS = [
    # requests / urllib3 1.x on Linux
    ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: "
     "/api/v1/futures/open-api/order/create (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection "
     "object at 0x7f>: Failed to establish a new connection: [Errno -2] Name or service not known'))", "dns_failure"),
    # aiohttp ClientConnectorError on macOS
    ("Cannot connect to host api9528mystks.mystonks.org:443 ssl:default [nodename nor servname provided, or not "
     "known]", "dns_failure"),
    # a HAR written by Chrome DevTools (response._error)
    ("net::ERR_NAME_NOT_RESOLVED", "dns_failure"),
    # httpx ConnectError
    ("[Errno -3] Temporary failure in name resolution", "dns_failure"),
    ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))", "connection_error"),
    ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: "
     "/api/v1/stock/open-api/order (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at "
     "0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))", "connection_error"),
    ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Read timed out. (read timeout=10)",
     "timeout"),
]


@pytest.mark.parametrize("text,reason", TRANSPORT_TEXTS)
def test_dns_failures_are_their_own_transport_reason(tmp_path, text, reason):
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(SPOT, None, None, error=text, response=None)))
    assert (df.loc[0, "category"], df.loc[0, "reason"], df.loc[0, "retryable"]) == ("transport", reason, True)
