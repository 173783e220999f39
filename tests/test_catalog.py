"""Every catalog row, reached by a recorded call, gives that row's category, reason and retryable flag."""

import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, SPOT, call, jsonl

CATALOG = toolkit.catalog()

# a message (or exception text) each message rule is written to match
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
    "trading_pair_not_found": "Trading pair does not exist",
    "order_failed": "Cancel order failed",
    "invalid_parameters": "Invalid parameters",
    "timeout": "HTTPSConnectionPool(host='x', port=443): Read timed out. (read timeout=10)",
    "connection_error": "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
    "transport_error": "SSLError(SSLCertVerificationError(1, 'certificate verify failed'))",
}


def _record(row):
    url = FUTURES if row.market in ("futures", "*") else SPOT
    msg = MESSAGES.get(row.reason, row.description)
    if row.layer == "business":
        code = int(row.code) if row.code else 9999
        return call(url, 200, {"code": code, "message": msg})
    if row.layer == "http":
        status = int(row.code) if row.code.isdigit() else (502 if row.code == "5xx" else 418)
        return call(url, status, {"code": status, "message": msg})
    if row.layer == "transport":
        return call(url, None, None, error=msg, response=None)
    if row.reason == "not_json":
        return call(url, 200, "<html><body>maintenance</body></html>")
    if row.reason == "unverified":  # a 2xx logged without its body
        return call(url, 200, None, response=None)
    return call(url, 200, {"msg": "ok", "data": []})


@pytest.mark.parametrize("row", list(CATALOG.itertuples(index=False)),
                         ids=[f"{r.market}-{r.layer}-{r.code or 'any'}-{r.reason}" for r in CATALOG.itertuples()])
def test_every_catalog_row_classifies(tmp_path, row):
    df = toolkit.load_logs(jsonl(tmp_path / "calls.jsonl", _record(row)))
    got = df.iloc[0]
    assert (got["category"], got["reason"]) == (row.category, row.reason)
    assert got["is_error"] == (row.category != "ok")
    if pd.isna(row.retryable):
        assert pd.isna(got["retryable"])
    else:
        assert got["retryable"] == row.retryable


def test_catalog_is_the_documented_table():
    cat = toolkit.catalog()
    assert list(cat.columns) == ["market", "layer", "code", "match", "description", "category", "reason",
                                 "retryable", "ccxt"]
    futures_codes = set(cat.query("market == 'futures' and layer == 'business'")["code"])
    assert futures_codes == {"0", "1001", "3000", "3004", *(f"80{i:02d}" for i in range(1, 19)), "8100"}
    assert set(cat.query("market == 'spot' and layer == 'http'")["code"]) == {"400", "401", "403", "404", "429", "500"}
    assert set(cat["category"].astype(str)) == set(toolkit.CATEGORIES)
    assert cat["retryable"].dtype == "boolean"
    cat.loc[0, "category"] = "ok"  # a copy: the catalog itself is not changed
    assert toolkit.catalog().equals(CATALOG)


@pytest.mark.parametrize("market,url", [("unknown", "https://x.example/api/v1/order"), ("spot", SPOT)])
def test_spot_rules_apply_to_unknown_market_http_errors(tmp_path, market, url):
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", call(url, 404, {"code": 404, "msg": "Order not found"})))
    assert df.loc[0, "market"] == market
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("not_found", "order_not_found")


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
            "quantity too small"]
    recs = [call(SPOT, 400, {"code": 400, "msg": m}) for m in msgs]
    df = toolkit.load_logs(jsonl(tmp_path / "c.jsonl", *recs))
    assert df["reason"].tolist() == ["insufficient_balance", "trading_pair_not_found", "order_failed",
                                     "invalid_parameters"]
