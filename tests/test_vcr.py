"""Reading VCR.py cassettes: hand-written fixtures and cassettes vcrpy records against a local server."""

import warnings

import pandas as pd
import pytest
import requests
import yaml

import toolkit
from tests.conftest import ROOT
from tests.local_exchange import LocalExchange

CASSETTE = ROOT / "tests" / "data" / "cassette.yaml"
SECRET_KEY = "ak-LIVE-7d1e3f9a2c"
SECRET_SIGN = "c2lnbmF0dXJlLWxpdmU="


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def test_cassette_becomes_the_expected_rows():
    load = read(CASSETTE)
    df = load.frame
    got = df[["line", "method", "market", "http_status", "code", "category", "reason", "symbol"]].astype(object)
    assert got.where(got.notna(), None).values.tolist() == [
        [1, "GET", "spot", 200, 0, "ok", "ok", "TSLA"],
        [2, "POST", "futures", 200, 8001, "order_rejected", "below_min_amount", "ETHUSDT"],  # gzip !!binary body
        [3, "GET", "futures", 401, 401, "auth", "timestamp_expired", "BTCUSDT"],
        [4, "GET", "spot", 500, 500, "server_error", "internal_error", "AAPL"],
        [5, "DELETE", "spot", 404, 404, "not_found", "order_not_found", None],
    ]
    # time from the Date header; without one, from ACCESS-TIMESTAMP
    assert df["ts"].dt.strftime("%H:%M:%S").tolist() == ["21:05:00", "21:05:01", "21:05:02", "21:05:03", "21:05:04"]
    clock = df.loc[2]
    assert clock["client_ts"] - clock["server_ts"] == pd.Timedelta("45s")
    assert load.report.to_dict("records") == [
        {"source": str(CASSETTE), "format": "vcr", "rows": 5, "rejects": 3, "skipped": 0, "unverified": 0}]
    assert load.rejects[["line", "reason"]].values.tolist() == [
        [6, "response body is corrupt gzip"],
        [7, "interaction has no response"],
        [8, "no time: the response has no readable Date header and the request no ACCESS-TIMESTAMP"],
    ]


def test_no_key_or_signature_anywhere_in_the_load():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(CASSETTE)
    everything = load.frame.astype(str).to_csv() + load.rejects.to_csv() + "".join(str(w.message) for w in caught)
    for secret in ("ak-FIXTURE-0002", "c2lnLUZJWFRVUkUtMDAwMw"):
        assert secret in CASSETTE.read_text()
        assert secret not in everything


def _record_with_vcrpy(cassette, serializer="yaml"):
    vcr = pytest.importorskip("vcr")
    headers = {"ACCESS-KEY": SECRET_KEY, "ACCESS-SIGN": SECRET_SIGN, "ACCESS-TIMESTAMP": "1795208700000"}
    with LocalExchange() as ex, vcr.use_cassette(str(cassette), serializer=serializer, record_mode="all"):
        s = requests.Session()
        s.get(ex.url + "/api/v1/stock/open-api/depth", params={"symbol": "AAPL", "apiKey": SECRET_KEY},
              headers=headers)
        s.post(ex.url + "/api/v1/futures/trade/order", json={"symbol": "BTCUSDT", "size": 1}, headers=headers)
        s.get(ex.url + "/api/v1/futures/market/ticker", headers=headers)
        s.get(ex.url + "/api/v1/futures/market/kline", headers=headers)
        s.delete(ex.url + "/api/v1/stock/open-api/order/404", headers=headers)
    return cassette


@pytest.mark.parametrize("serializer,name", [("yaml", "live.yaml"), ("json", "live.json")])
def test_a_cassette_vcrpy_records_loads_with_the_expected_categories(tmp_path, serializer, name):
    path = _record_with_vcrpy(tmp_path / name, serializer)
    # the futures answers came gzip-compressed: vcrpy keeps the header but stores the body decoded
    assert "gzip" in path.read_text() and "Insufficient margin" in path.read_text()
    load = read(path)
    assert load.rejects.empty and load.report.loc[0, "format"] == "vcr"
    df = load.frame
    assert df[["market", "category", "reason"]].astype(str).values.tolist() == [
        ["spot", "ok", "ok"],
        ["futures", "insufficient_funds", "insufficient_margin"],
        ["futures", "rate_limit", "rate_limited"],
        ["futures", "server_error", "gateway_error"],
        ["spot", "not_found", "order_not_found"],
    ]
    assert df.loc[1, "symbol"] == "BTCUSDT" and df["server_ts"].notna().all()
    assert df.loc[0, "client_ts"] == pd.Timestamp(1795208700000, unit="ms", tz="UTC")
    assert SECRET_KEY not in df.astype(str).to_csv() and SECRET_SIGN not in df.astype(str).to_csv()


def test_python_tags_of_old_cassettes_are_read_safely(tmp_path):
    uri = "uri: https://openapi.exchange.example/api/v1/stock/open-api/depth"
    text = CASSETTE.read_text().replace(f"method: GET\n    {uri}", f"method: !!python/unicode GET\n    {uri}", 1)
    path = tmp_path / "old.yaml"
    path.write_text(text)
    assert read(path).frame.loc[0, "method"] == "GET"
    evil = tmp_path / "evil.yaml"
    evil.write_text("interactions:\n- !!python/object/apply:os.system ['echo owned']\nversion: 1\n")
    load = read(evil)
    assert load.frame.empty
    assert load.rejects[["line", "reason"]].values.tolist()[0][0] == 0
    assert "could not determine a constructor" in load.rejects.loc[0, "reason"]


@pytest.mark.parametrize("content,reason", [
    ("interactions:\n- request: {uri: [unclosed\n", "not a valid cassette: invalid YAML"),
    ("interactions: 3\nversion: 1\n", "not a cassette: no interactions list"),
])
def test_a_file_that_is_not_a_cassette_is_one_reject(tmp_path, content, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.warns(toolkit.RejectWarning, match="1 of 1 entries rejected"):
        load = toolkit.read_logs(path)
    assert load.rejects.loc[0, "line"] == 0 and load.rejects.loc[0, "reason"].startswith(reason)


def test_deflate_and_unreadable_encodings(tmp_path):
    import zlib

    doc = yaml.safe_load(CASSETTE.read_text())
    first = doc["interactions"][3]
    deflated = dict(first, response=dict(first["response"], headers={
        "Content-Encoding": ["deflate"], "Date": ["Fri, 20 Nov 2026 21:05:03 GMT"]},
        body={"string": zlib.compress(b'{"code": 500, "msg": "Internal error"}')}))
    brotli = dict(first, response=dict(first["response"], headers={
        "Content-Encoding": ["br"], "Date": ["Fri, 20 Nov 2026 21:05:03 GMT"]}, body={"string": b"\x0b\x02"}))
    path = tmp_path / "enc.yaml"
    path.write_text(yaml.safe_dump({"interactions": [deflated, brotli], "version": 1}))
    load = read(path)
    assert load.frame["message"].tolist() == ["Internal error"]
    assert load.rejects["reason"].tolist() == ["response body uses Content-Encoding 'br', which cannot be read"]
