"""Reading VCR.py cassettes: hand-written fixtures and cassettes vcrpy records against a local server."""

import warnings

import orjson
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
        [3, "POST", "futures", 401, 401, "auth", "timestamp_expired", "BTCUSDT"],
        [4, "GET", "spot", 500, 500, "server_error", "internal_error", "AAPL"],
        [5, "GET", "spot", 404, 404, "not_found", "order_not_found", "AAPL"],
    ]
    # time from the Date header; without one, from ACCESS-TIMESTAMP
    assert df["ts"].dt.strftime("%H:%M:%S").tolist() == ["21:05:00", "21:05:01", "21:05:02", "21:05:03", "21:05:04"]
    clock = df.loc[2]
    assert clock["client_ts"] - clock["server_ts"] == pd.Timedelta("45s")
    assert load.report.to_dict("records") == [
        {"source": str(CASSETTE), "format": "vcr", "rows": 5, "rejects": 3, "skipped": 0, "unverified": 0, "frames": 0}]
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
        s.post(ex.url + "/api/v1/futures/open-api/order/create", json={"symbol": "BTCUSDT", "coType": 3, "orderType": 2, "openType": 1, "side": 1,
                                                                  "vol": "1", "leverage": 10}, headers=headers)
        s.get(ex.url + "/api/v1/futures/open-api/ticker/BTCUSDT", headers=headers)
        s.get(ex.url + "/api/v1/futures/open-api/kline", headers=headers)
        s.get(ex.url + "/api/v1/stock/open-api/orderDetail", params={"symbol": "AAPL", "orderId": "404"},
              headers=headers)
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
    uri = "uri: https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth"
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


# Ruby VCR / R vcr layout (the vcr gem's YAML serializer; R's vcr writes the same keys, with
# status_code as webmockr names it): http_interactions, recorded_at, body {encoding, string}
RUBY_VCR = """\
---
http_interactions:
- request:
    method: post
    uri: https://api9528mystks.mystonks.org/api/v1/futures/open-api/order/create
    body:
      encoding: UTF-8
      string: '{"symbol":"BTCUSDT","coType":3,"orderType":2,"openType":1,"side":1,"vol":"0.001"}'
    headers:
      Content-Type:
      - application/json
      Access-Key:
      - ak-RUBY-0001
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Type:
      - application/json
    body:
      encoding: UTF-8
      string: '{"code":8018,"message":"保证金不足"}'
  recorded_at: Fri, 20 Nov 2026 21:05:00 GMT
- request:
    method: get
    uri: https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth?symbol=AAPL
    body:
      encoding: ''
      string: ''
    headers: {}
  response:
    status:
      status_code: 429
      message: Too Many Requests
    headers: {}
    body:
      encoding: UTF-8
      string: '{"code":429,"message":"请求频率超限（每秒/每分钟）"}'
  recorded_at: 2026-11-20 21:05:01 GMT
recorded_with: VCR 6.2.0
"""


def test_ruby_and_r_vcr_cassettes_are_read_with_their_recorded_time(tmp_path):
    path = tmp_path / "futures.yml"
    path.write_text(RUBY_VCR, encoding="utf-8")
    load = read(path)
    assert load.report.loc[0, ["format", "rows", "rejects"]].tolist() == ["vcr", 2, 0]
    df = load.frame
    assert df["ts"].astype(str).tolist() == ["2026-11-20 21:05:00+00:00", "2026-11-20 21:05:01+00:00"]
    assert df[["method", "path", "http_status", "category", "reason"]].astype(str).values.tolist() == [
        ["POST", "/api/v1/futures/open-api/order/create", "200", "insufficient_funds", "insufficient_margin"],
        ["GET", "/api/v1/stock/open-api/depth", "429", "rate_limit", "rate_limited"]]
    assert df.loc[0, "symbol"] == "BTCUSDT"
    assert "ak-RUBY-0001" not in df.astype(str).to_csv()


def test_betamax_json_cassette(tmp_path):
    import base64
    import gzip
    import json

    # betamax's JSON: http_interactions, recorded_at (ISO, no zone), gzip bodies as base64_string
    body = base64.b64encode(gzip.compress(b'{"code":0,"msg":"success","data":{"symbol":"AAPL"}}')).decode()
    doc = {"http_interactions": [{
        "request": {"body": {"encoding": "utf-8", "string": ""}, "headers": {"Accept": "application/json"},
                    "method": "GET", "uri": "https://api9528mystks.mystonks.org/api/v1/stock/open-api/ticker?symbol=AAPL"},
        "response": {"body": {"encoding": "utf-8", "base64_string": body},
                     "headers": {"Content-Encoding": "gzip", "Date": "Fri, 20 Nov 2026 21:04:59 GMT"},
                     "status": {"code": 200, "message": "OK"}, "url": "https://api9528mystks.mystonks.org/..."},
        "recorded_at": "2026-11-20T21:05:00"}], "recorded_with": "betamax/0.8.1"}
    path = tmp_path / "Ticker.json"
    path.write_text(json.dumps(doc))
    load = read(path)
    assert load.report.loc[0, ["format", "rows", "rejects"]].tolist() == ["vcr", 1, 0]
    row = load.frame.iloc[0]
    assert (str(row["ts"]), row["category"], row["symbol"]) == ("2026-11-20 21:05:00+00:00", "ok", "AAPL")


def test_vcrpy_old_layouts(tmp_path):
    # vcrpy's old httpx stubs wrote status_code/content (tests/integration/cassettes/gzip_httpx_old_format.yaml)
    old_httpx = tmp_path / "old_httpx.yaml"
    old_httpx.write_text("""\
interactions:
- request:
    body: ''
    headers:
      host:
      - api9528mystks.mystonks.org
    method: GET
    uri: https://api9528mystks.mystonks.org/api/v1/futures/open-api/products?type=3
  response:
    content: '{"code":0,"msg":"success","data":[]}'
    headers:
      Date:
      - Fri, 20 Nov 2026 21:05:00 GMT
    http_version: HTTP/1.1
    status_code: 200
version: 1
""")
    # vcrpy before 1.0: a bare list, a pickled Request, headers as "name: value" lines (tests/fixtures/migration)
    pre_1 = tmp_path / "pre1.yaml"
    pre_1.write_text("""\
- request: !!python/object:vcr.request.Request
    body: null
    headers: !!python/object/apply:__builtin__.frozenset
    - - !!python/tuple [accept, '*/*']
    host: api9528mystks.mystonks.org
    method: GET
    path: /api/v1/stock/open-api/priceSteps?symbol=TSLA
    port: 443
    protocol: https
  response:
    body: {string: !!python/unicode "{\\"code\\": 500, \\"message\\": \\"内部错误\\"}"}
    headers: [!!python/unicode "date: Fri, 20 Nov 2026 21:05:01 GMT\\r\\n",
      !!python/unicode "content-type: application/json\\r\\n"]
    status: {code: 500, message: Internal Server Error}
""")
    load = read([old_httpx, pre_1])
    assert load.rejects.empty
    assert load.frame[["path", "http_status", "category"]].astype(str).values.tolist() == [
        ["/api/v1/futures/open-api/products", "200", "ok"],
        ["/api/v1/stock/open-api/priceSteps", "500", "server_error"]]
    assert load.frame["symbol"].tolist()[1] == "TSLA"
    assert load.frame["ts"].astype(str).tolist() == ["2026-11-20 21:05:00+00:00", "2026-11-20 21:05:01+00:00"]


def test_pyyaml_is_imported_only_when_a_cassette_is_read(tmp_path):
    import subprocess
    import sys
    import textwrap

    calls = tmp_path / "calls.jsonl"
    calls.write_bytes(orjson.dumps({"ts": "2026-11-20T21:05:00Z", "method": "GET",
                                    "url": "https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth",
                                    "status": 200, "response": {"code": 0, "msg": "success"}}) + b"\n")
    code = textwrap.dedent(f"""
        import sys, toolkit
        toolkit.load_logs({str(calls)!r})
        print("yaml" in sys.modules)
        toolkit.load_logs({str(CASSETTE)!r})
        print("yaml" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
