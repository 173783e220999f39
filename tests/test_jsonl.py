"""Reading JSON Lines recordings: key aliases, the nested form, bad input and line accounting."""

import gzip
import io
import warnings

import orjson
import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, SPOT, call, jsonl

SECRET_KEY = "ak-live-3f9a2c7d1e"
SECRET_SIGN = "c2lnbmF0dXJlLXNlY3JldA=="


def load(tmp_path, *records, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(jsonl(tmp_path / "calls.jsonl", *records), **kw)


def test_columns_and_dtypes_are_fixed(tmp_path):
    df = load(tmp_path, call()).frame
    assert list(df.columns) == toolkit.COLUMNS
    assert str(df["ts"].dtype) == "datetime64[ns, UTC]"
    assert list(df["market"].cat.categories) == ["spot", "futures", "unknown"]
    assert list(df["category"].cat.categories) == toolkit.CATEGORIES
    assert {c: str(df[c].dtype) for c in ("http_status", "code", "retryable", "is_error", "latency_ms", "line")} == {
        "http_status": "Int16", "code": "Int64", "retryable": "boolean", "is_error": "bool",
        "latency_ms": "Float64", "line": "Int64"}
    for c in ("message", "reason", "symbol"):
        assert df[c].dtype == pd.StringDtype("pyarrow"), c
    for c in ("path", "endpoint", "source"):  # categories of the values present, text
        assert list(df[c].cat.categories) == [df[c].iloc[0]] and df[c].cat.categories.dtype == pd.StringDtype("pyarrow"), c
    assert isinstance(df.index, pd.RangeIndex)
    # an empty load has the same schema
    empty = toolkit.load_logs(jsonl(tmp_path / "empty.jsonl"))
    assert empty.empty and empty.dtypes.astype(str).tolist() == df.dtypes.astype(str).tolist()


@pytest.mark.parametrize("key", ["ts", "timestamp", "time", "@timestamp"])
def test_time_keys(tmp_path, key):
    rec = {key: "2026-11-20T21:05:00Z", "url": SPOT, "status": 200, "response": {"code": 0}}
    assert load(tmp_path, rec).frame.loc[0, "ts"] == pd.Timestamp("2026-11-20 21:05", tz="UTC")


@pytest.mark.parametrize("value,expected", [
    ("2026-11-20T21:05:00Z", "2026-11-20 21:05:00"),
    ("2026-11-20 21:05:00", "2026-11-20 21:05:00"),
    ("2026-11-20T21:05:00.250", "2026-11-20 21:05:00.250"),
    ("2026-11-20T23:05:00+02:00", "2026-11-20 21:05:00"),
    ("2026-11-20 16:05:00-05:00", "2026-11-20 21:05:00"),
    (1763672700, "2025-11-20 21:05:00"),
    (1763672700.5, "2025-11-20 21:05:00.500"),
    (1763672700123, "2025-11-20 21:05:00.123"),
    ("1763672700123", "2025-11-20 21:05:00.123"),
])
def test_time_formats(tmp_path, value, expected):
    rec = {"ts": value, "url": SPOT, "status": 200, "response": {"code": 0}}
    assert load(tmp_path, rec).frame.loc[0, "ts"] == pd.Timestamp(expected, tz="UTC")


@pytest.mark.parametrize("key", ["url", "uri", "path"])
def test_url_keys(tmp_path, key):
    rec = {"ts": 1763672700, key: SPOT + "?symbol=AAPL", "status": 200, "response": {"code": 0}}
    df = load(tmp_path, rec).frame
    assert (df.loc[0, "path"], df.loc[0, "symbol"], df.loc[0, "market"]) == (
        "/api/v1/stock/open-api/order", "AAPL", "spot")


@pytest.mark.parametrize("key,value", [("status", 429), ("status_code", "429"), ("http_status", 429)])
def test_status_keys(tmp_path, key, value):
    rec = {"ts": 1763672700, "url": SPOT, key: value, "response": {"code": 429, "message": "Rate limit exceeded"}}
    df = load(tmp_path, rec).frame
    assert (df.loc[0, "http_status"], df.loc[0, "category"]) == (429, "rate_limit")


@pytest.mark.parametrize("key", ["response", "body", "response_body"])
@pytest.mark.parametrize("as_text", [False, True])
def test_body_keys_object_or_json_text(tmp_path, key, as_text):
    body = {"code": 8018, "message": "Insufficient margin"}
    rec = {"ts": 1763672700, "url": FUTURES, "status": 200, key: orjson.dumps(body).decode() if as_text else body}
    df = load(tmp_path, rec).frame
    assert (df.loc[0, "code"], df.loc[0, "message"], df.loc[0, "reason"]) == (
        8018, "Insufficient margin", "insufficient_margin")


def test_html_body_of_a_gateway(tmp_path):
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    ok_page = "<html>maintenance</html>"
    df = load(tmp_path, call(SPOT, 502, page), call(SPOT, 200, ok_page)).frame
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("server_error", "gateway_error")
    assert df.loc[0, "message"] == "502 Bad Gateway 502 Bad Gateway"
    assert (df.loc[1, "category"], df.loc[1, "reason"]) == ("malformed", "not_json")


def test_msg_and_message_are_both_read(tmp_path):
    df = load(tmp_path, call(SPOT, 200, {"code": 0, "msg": "success"}),
              call(SPOT, 400, {"code": 400, "message": "Invalid parameters"})).frame
    assert df["message"].tolist() == ["success", "Invalid parameters"]


@pytest.mark.parametrize("key,value,ms", [("elapsed_ms", 41.5, 41.5), ("latency_ms", 7, 7.0),
                                          ("duration_ms", "12.5", 12.5), ("elapsed", 0.25, 250.0)])
def test_latency_keys(tmp_path, key, value, ms):
    assert load(tmp_path, call(**{key: value})).frame.loc[0, "latency_ms"] == ms


def test_method_any_case(tmp_path):
    df = load(tmp_path, call(method="post"), call(method="Get"), {**call(), "method": None}).frame
    assert df["method"].astype(object).tolist()[:2] == ["POST", "GET"]
    assert pd.isna(df.loc[2, "method"])


def test_nested_gateway_form(tmp_path):
    rec = {"time": 1763672700123,
           "request": {"method": "POST", "url": FUTURES,
                       "headers": {"ACCESS-KEY": SECRET_KEY, "ACCESS-SIGN": SECRET_SIGN,
                                   "ACCESS-TIMESTAMP": "1763672745123"},
                       "body": {"symbol": "BTCUSDT", "coType": 3, "orderType": 2, "openType": 1, "side": 1, "vol": "1"}},
           "response": {"status": 401, "headers": {"Date": "Thu, 20 Nov 2025 21:05:00 GMT"},
                        "body": {"code": 401, "message": "Request timestamp expired"}},
           "duration_ms": 31}
    no_response = {"time": 1763672701000, "request": {"method": "GET", "url": FUTURES}, "response": None,
                   "error": "Read timed out. (read timeout=10)"}
    df = load(tmp_path, rec, no_response).frame
    first = df.iloc[0]
    assert (first["market"], first["method"], first["http_status"], first["category"], first["reason"]) == (
        "futures", "POST", 401, "auth", "timestamp_expired")
    assert (first["symbol"], first["latency_ms"]) == ("BTCUSDT", 31.0)
    assert first["client_ts"] - first["server_ts"] == pd.Timedelta("45.123s")
    second = df.iloc[1]
    assert pd.isna(second["http_status"])
    assert (second["category"], second["reason"], second["message"]) == (
        "transport", "timeout", "Read timed out. (read timeout=10)")


def test_response_object_without_status_is_the_body(tmp_path):
    df = load(tmp_path, call(FUTURES, 200, {"code": 3004, "message": "Third-party service error"})).frame
    assert df.loc[0, "category"] == "upstream_error"


@pytest.mark.parametrize("record,reason", [
    ('{"ts": "2026-11-20T21:05:00Z", "url": "/api", "status": 2', "invalid JSON"),
    ("[1, 2, 3]", "not a JSON object (an array)"),
    ("null", "not a JSON object (null)"),
    ('"just a string"', "not a JSON object (a string)"),
    (b"\x00\x01\x02\xff\xfe binary", "invalid JSON"),
    ({"ts": "2026-11-20T21:05:00Z", "url": 42, "status": 200}, "URL is not a string"),
    ({"ts": "2026-11-20T21:05:00Z", "url": SPOT, "status": "OK"}, "status is not a number"),
    ({"url": SPOT, "status": 200}, "missing time"),
    ({"ts": "2026-11-20T21:05:00Z", "status": 200}, "missing URL"),
    ({"ts": "2026-11-20T21:05:00Z", "url": SPOT}, "neither a status nor an error"),
    ({"ts": "yesterday", "url": SPOT, "status": 200}, "unreadable time"),
    ({"ts": "2026-11-20T21:05:00Z", "url": SPOT, "status": 200, "method": "FETCH"}, "unknown HTTP method"),
    ({"ts": "2026-11-20T21:05:00Z", "url": SPOT, "status": 9000}, "status out of range"),
])
def test_bad_input_becomes_a_reject_with_a_reason(tmp_path, record, reason):
    load_ = load(tmp_path, call(), record, call())
    assert len(load_.frame) == 2 and load_.frame["line"].tolist() == [1, 3]
    rej = load_.rejects
    assert len(rej) == 1
    assert rej.loc[0, "line"] == 2 and rej.loc[0, "reason"].startswith(reason)
    assert rej.loc[0, "source"].endswith("calls.jsonl") and len(rej.loc[0, "excerpt"]) <= 200


def test_every_line_is_accounted_for(tmp_path):
    good = [call(), call(status=429, body={"code": 429, "message": "Rate limit exceeded"})]
    bad = ["{", "[]", "null", {"url": SPOT, "status": 200}]
    path = jsonl(tmp_path / "mixed.jsonl", good[0], bad[0], "", "   ", good[1], bad[1], bad[2], bad[3])
    with pytest.warns(toolkit.RejectWarning, match=r"4 of 6 lines rejected in .*mixed\.jsonl: "
                                                   r"2 not a JSON object, 1 invalid JSON, 1 missing time"):
        load_ = toolkit.read_logs(path)
    assert load_.lines == 6  # blank lines are not counted
    assert len(load_.frame) + len(load_.rejects) + load_.report["skipped"].sum() == load_.lines
    assert load_.report.to_dict("records") == [
        {"source": str(path), "format": "jsonl", "rows": 2, "rejects": 4, "skipped": 0, "unverified": 0, "frames": 0}]


def test_errors_raise_names_file_and_line(tmp_path):
    path = jsonl(tmp_path / "bot.jsonl", call(), call(), "{oops")
    with pytest.raises(toolkit.LogFormatError, match=r"bot\.jsonl, line 3: invalid JSON"):
        toolkit.read_logs(path, errors="raise")
    with pytest.raises(ValueError, match="errors must be 'report' or 'raise', not 'ignore'"):
        toolkit.read_logs(path, errors="ignore")


def test_crlf_bom_and_invalid_utf8_do_not_break_a_file(tmp_path):
    rec = orjson.dumps(call(status=400, body={"code": 400, "msg": "Order failed: insufficient balance"}))
    broken = orjson.dumps(call(status=400, body={"code": 400, "msg": "bad \ufffd"})).replace("\ufffd".encode(), b"\xff\xfe")
    path = tmp_path / "win.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + rec + b"\r\n" + broken + b"\r\n" + rec + b"\r\n")
    load_ = toolkit.read_logs(path)
    assert len(load_.frame) == 3 and load_.rejects.empty
    assert load_.frame.loc[0, "reason"] == "insufficient_balance"
    assert load_.frame.loc[1, "message"] == "bad \ufffd\ufffd"


def test_a_number_beyond_a_double_is_read_and_nan_is_not_json(tmp_path):
    # Python's json writes a float('nan') latency as NaN, which is not JSON; a number written
    # as 1e400 is JSON, only beyond a double's range: Python's json reads it as infinity
    rec = orjson.dumps(call(body={"code": 0, "msg": "success", "data": {"price": 1}, "latency": 1}))
    huge = rec.replace(b'"price":1', b'"price":1e400').replace(b'"latency":1', b'"latency":' + b"9" * 5000)
    nan = rec.replace(b'"latency":1', b'"latency":NaN')
    path = tmp_path / "calls.jsonl"
    path.write_bytes(b"\n".join([rec, huge, nan]) + b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        load_ = toolkit.read_logs(path)
    assert load_.frame["line"].tolist() == [1, 2] and load_.frame["category"].tolist() == ["ok", "ok"]
    assert load_.rejects["line"].tolist() == [3] and load_.rejects.loc[0, "reason"].startswith("invalid JSON")


def test_gzip_is_read_transparently_and_truncated_gzip_is_an_error(tmp_path):
    records = [call(ts=f"2026-11-20T21:05:{i:02d}Z") for i in range(50)]
    path = jsonl(tmp_path / "calls.jsonl.gz", *records, gz=True)
    assert len(toolkit.load_logs(path)) == 50
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(toolkit.LogFormatError, match=r"cut\.jsonl\.gz: compressed data is cut short"):
        toolkit.read_logs(tmp_path)  # the whole directory: nothing is returned half-read


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such recording"):
        toolkit.load_logs(tmp_path / "nope.jsonl")
    with pytest.raises(FileNotFoundError, match="no recordings match"):
        toolkit.load_logs(str(tmp_path / "*.jsonl"))


def test_sources_directory_glob_list_and_open_file(tmp_path):
    jsonl(tmp_path / "a" / "one.jsonl", call())
    jsonl(tmp_path / "a" / "b" / "two.jsonl.gz", call(), call(), gz=True)
    (tmp_path / "a" / ".hidden.jsonl").write_text("{}\n")
    (tmp_path / "a" / "notes.md").write_text("not a recording\n")
    assert len(toolkit.load_logs(tmp_path / "a")) == 3
    assert len(toolkit.load_logs(str(tmp_path / "a" / "**" / "*.gz"))) == 2
    assert len(toolkit.load_logs([tmp_path / "a" / "one.jsonl", tmp_path / "a" / "b"])) == 3
    with open(tmp_path / "a" / "one.jsonl") as f:
        assert len(toolkit.load_logs(f)) == 1
    text = io.StringIO(orjson.dumps(call()).decode() + "\n")
    assert toolkit.load_logs(text).loc[0, "source"] == "<stream>"


def test_market_precedence(tmp_path):
    recs = [
        call("https://x.example/api/v1/order", market="futures"),     # explicit field
        call("https://x.example/api/v1/futures/order", market="spot"),  # explicit beats URL
        call("https://x.example/api/v1/futures/order"),              # path segment rule
        call("https://x.example/api/v1/spot/order"),                 # path segment rule
        call("https://x.example/api/v1/order", 200, {"code": 8001, "message": "Below minimum"}),  # body
        call("https://x.example/api/v1/order"),                      # nothing says
    ]
    df = load(tmp_path, *recs).frame
    assert df["market"].astype(str).tolist() == ["futures", "spot", "futures", "spot", "futures", "unknown"]


def test_custom_market_rules(tmp_path):
    recs = [call("https://fapi.example.com/v1/order"), call("https://api.example.com/v3/order")]
    df = load(tmp_path, *recs, market_rules={"futures": r"^fapi\.", "spot": r"/v3/"}).frame
    assert df["market"].astype(str).tolist() == ["futures", "spot"]
    with pytest.raises(ValueError, match="market_rules keys must be 'spot' or 'futures', not 'options'"):
        toolkit.read_logs(tmp_path, market_rules={"options": "opt"})
    with pytest.raises(ValueError, match=r"market_rules\['spot'\] is not a valid regex"):
        toolkit.read_logs(tmp_path, market_rules={"spot": "("})


def test_symbol_from_params_body_or_query(tmp_path):
    recs = [call(SPOT + "?symbol=TSLA&limit=5"), call(request={"params": {"symbol": "NVDA"}}),
            call(request={"body": '{"symbol": "AAPL", "quantity": "1"}'}), call(SPOT + "?symbol=BTC%2FUSDT"), call()]
    df = load(tmp_path, *recs).frame
    assert df["symbol"].tolist()[:4] == ["TSLA", "NVDA", "AAPL", "BTC/USDT"]
    assert pd.isna(df.loc[4, "symbol"])


@pytest.mark.parametrize("path,endpoint", [
    ("/api/v1/stockhome/home/1/1000", "/api/v1/stockhome/home/{id}/{id}"),  # the exchange's web API
    ("/api/v1/order/6f1c2a3b-9d4e-4f00-8a11-0123456789ab/fills", "/api/v1/order/{id}/fills"),
    ("/api/v1/order/ab12cd34ef56", "/api/v1/order/{id}"),
    ("/api/v1/order/12/34", "/api/v1/order/{id}/{id}"),
    ("/api/v2/ticker/AAPL", "/api/v2/ticker/AAPL"),
])
def test_endpoint_templates_ids(tmp_path, path, endpoint):
    df = load(tmp_path, call("https://x.example" + path)).frame
    assert (df.loc[0, "path"], df.loc[0, "endpoint"]) == (path, endpoint)


def test_secrets_never_reach_frame_rejects_or_warnings(tmp_path):
    leaky_error = (f"HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: "
                   f"/api/v1/order?apiKey={SECRET_KEY}&signature={SECRET_SIGN} (Caused by ConnectTimeoutError())")
    recs = [
        call(SPOT + f"?symbol=AAPL&sign={SECRET_SIGN}", request={"headers": {"ACCESS-KEY": SECRET_KEY}}),
        {"ts": "2026-11-20T21:05:00Z", "url": SPOT, "status": None, "error": leaky_error},
        call(SPOT, 401, {"code": 401, "message": f"Invalid API key: api_key={SECRET_KEY}"}),
        '{"ts": "bad", "request": {"headers": {"ACCESS-KEY": "%s", "ACCESS-SIGN": "%s"}}' % (SECRET_KEY, SECRET_SIGN),
    ]
    path = jsonl(tmp_path / "leaky.jsonl", *recs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_ = toolkit.read_logs(path)
    everything = (load_.frame.astype(str).to_csv() + load_.rejects.to_csv()
                  + "".join(str(w.message) for w in caught))
    assert SECRET_KEY not in everything and SECRET_SIGN not in everything
    assert load_.frame.loc[1, "reason"] == "timeout"
    assert "apiKey=***" in load_.frame.loc[1, "message"]
    assert '"ACCESS-KEY": "***"' in load_.rejects.loc[0, "excerpt"]


def test_parallel_chunks_match_a_serial_read(tmp_path, monkeypatch):
    from toolkit.read import _pool

    records = [call(ts=f"2026-11-20T21:{i // 60:02d}:{i % 60:02d}Z", symbol=f"S{i}") for i in range(3000)]
    records[1234] = "{broken"
    path = jsonl(tmp_path / "big.jsonl", *records)
    gz = jsonl(tmp_path / "big.jsonl.gz", *records, gz=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        serial = toolkit.read_logs(path)
        monkeypatch.setattr(_pool, "CHUNK", 4096)  # many pieces, parsed in worker processes
        for src in (path, gz):
            parallel = toolkit.read_logs(src)
            assert len(parallel._files[0].frames) > 10
            pd.testing.assert_frame_equal(parallel.frame.drop(columns="source"), serial.frame.drop(columns="source"))
            assert parallel.rejects["line"].tolist() == [1235]
    assert serial.frame["line"].iloc[-1] == 3000


def test_errors_raise_in_a_parallel_read_names_the_first_bad_line_and_drops_the_rest(tmp_path, monkeypatch):
    from toolkit.read import _pool

    records = [call(ts=f"2026-11-20T21:{i // 60:02d}:{i % 60:02d}Z") for i in range(3000)]
    records[1234] = records[2500] = "{broken"
    path = jsonl(tmp_path / "big.jsonl", *records)
    monkeypatch.setattr(_pool, "CHUNK", 4096)  # some 180 pieces, all handed to the workers at once
    submitted = []
    submit = _pool._executor().submit
    monkeypatch.setattr(_pool._executor(), "submit", lambda *a: submitted.append(submit(*a)) or submitted[-1])
    with pytest.raises(toolkit.LogFormatError, match=r"big\.jsonl, line 1235: invalid JSON"):
        toolkit.read_logs(path, errors="raise")
    assert len(submitted) > 100
    assert any(f.cancelled() for f in submitted)  # the pieces not started were not parsed after the error


def test_a_folder_of_gzipped_logs_parsed_file_by_file_in_the_workers_reads_as_one_process_does(tmp_path,
                                                                                                 monkeypatch):
    from toolkit.read import _pool

    folder = tmp_path / "logs"
    toolkit.simulate(folder, days=1, calls=3000)  # the recorder's three bots, one .jsonl.gz each
    spoiled = folder / "spot-bot.jsonl.gz"
    lines = gzip.decompress(spoiled.read_bytes()).splitlines(keepends=True)
    spoiled.write_bytes(gzip.compress(b"".join(lines[:7] + [b"{broken\n"] + lines[7:])))
    submitted = []
    submit = _pool.submit
    monkeypatch.setattr(_pool, "submit", lambda *a, **k: submitted.append(a[1]) or submit(*a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        monkeypatch.setattr(_pool, "WORKERS", 2)
        parallel = toolkit.read_logs(folder)
        assert sorted(map(str, submitted)) == sorted(str(p) for p in folder.glob("*.jsonl.gz"))
        with pytest.raises(toolkit.LogFormatError, match=r"spot-bot\.jsonl\.gz, line 8: invalid JSON"):
            toolkit.read_logs(folder, errors="raise")
        monkeypatch.setattr(_pool, "WORKERS", 1)  # no workers: each file read here
        serial = toolkit.read_logs(folder)
    assert len(submitted) == 6 and parallel.lines == serial.lines > 3000
    pd.testing.assert_frame_equal(parallel.frame, serial.frame)
    pd.testing.assert_frame_equal(parallel.rejects, serial.rejects)
    pd.testing.assert_frame_equal(parallel.report, serial.report)
    assert parallel.rejects["line"].tolist() == [8]
