"""Reading HAR 1.2 files: entries to rows, skipped preflights and pages, bad entries and files."""

import warnings

import orjson
import pandas as pd
import pytest

import toolkit
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
HAR = DATA / "devtools.har"
FIXTURE_SECRETS = ("ak-FIXTURE-0001", "c2lnLUZJWFRVUkUtMDAwMQ==", "c2lnLUZJWFRVUkUtMDAwMg==")


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def har(path, *entries, **log):
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "creator": {"name": "test"}, **log,
                                           "entries": list(entries)}}))
    return path


def entry(url="https://api9528mystks.mystonks.org/api/v1/stock/open-api/order", status=200,
          text='{"code": 0, "msg": "success"}', method="POST", **extra):
    e = {"startedDateTime": "2026-11-20T21:05:00.000Z", "time": 10,
         "request": {"method": method, "url": url, "headers": []},
         "response": {"status": status, "headers": [], "content": {"mimeType": "application/json", "text": text}}}
    e.update(extra)
    return e


def test_devtools_export_becomes_the_expected_rows():
    load = read(HAR)
    df = load.frame
    got = df[["line", "method", "market", "http_status", "code", "category", "reason"]].astype(object)
    got = got.where(got.notna(), None).values.tolist()
    assert got == [
        [1, "GET", "spot", 200, 0, "ok", "ok"],
        [3, "POST", "futures", 200, 8018, "insufficient_funds", "insufficient_margin"],
        [6, "POST", "spot", 400, 400, "insufficient_funds", "insufficient_balance"],
        [7, "POST", "futures", None, None, "transport", "connection_error"],
        [8, "GET", "futures", None, None, "transport", "transport_error"],
        [9, "GET", "futures", None, None, "transport", "timeout"],
        [10, "POST", "spot", 429, 429, "rate_limit", "rate_limited"],
        [11, "GET", "spot", 502, None, "server_error", "gateway_error"],
        [14, "GET", "futures", 200, None, "ok", "unverified"],
    ]
    first = df.iloc[0]
    assert first["ts"] == pd.Timestamp("2026-11-20 21:05:00.120", tz="UTC")
    assert (first["latency_ms"], first["symbol"]) == (41.5, "AAPL")
    assert first["client_ts"] == pd.Timestamp(1795208700000, unit="ms", tz="UTC")
    assert first["server_ts"] == pd.Timestamp("2026-11-20 21:05:01", tz="UTC")
    assert df.loc[1, "symbol"] == "BTCUSDT"  # from the JSON request body
    assert df.loc[3, "message"] == "net::ERR_CONNECTION_REFUSED (connection refused)"
    assert pd.isna(df.loc[4, "latency_ms"])  # "time": -1 means unknown
    assert df.loc[7, "message"] == "502 Bad Gateway 502 Bad Gateway"


def test_preflights_and_non_api_entries_are_skipped_and_counted():
    load = read(HAR)
    assert load.report.to_dict("records") == [
        {"source": str(HAR), "format": "har", "rows": 9, "rejects": 2, "skipped": 3, "unverified": 1, "frames": 0}]
    assert load.skips[["reason", "count"]].values.tolist() == [["preflight", 1], ["static", 2]]
    assert "OPTIONS" not in set(load.frame["method"].astype(str))
    assert load.lines == 14 == len(load.frame) + len(load.rejects) + load.report["skipped"].sum()


def test_bad_entries_are_rejects_with_reasons():
    with pytest.warns(toolkit.RejectWarning, match=r"2 of 14 entries rejected in .*devtools\.har"):
        load = toolkit.read_logs(HAR)
    assert load.rejects[["line", "reason"]].values.tolist() == [
        [12, "entry has no response"],
        [13, "response body is not valid base64"],
    ]
    # a 2xx whose body was not recorded is a row, like in every format: ok, but unverified
    last = load.frame.iloc[-1]
    assert (last["line"], last["category"], last["reason"]) == (14, "ok", "unverified")
    assert load.rejects["excerpt"].str.contains('"url":"https://api9528mystks.mystonks.org/api/v1/').all()


def test_no_key_or_signature_anywhere_in_the_load():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(HAR)
    everything = (load.frame.astype(str).to_csv() + load.rejects.to_csv()
                  + "".join(str(w.message) for w in caught))
    assert HAR.read_text().count("ak-FIXTURE-0001") == 4
    for secret in FIXTURE_SECRETS:
        assert secret not in everything


def test_every_entry_on_any_path_is_a_row_and_market_rules_tag_it(tmp_path):
    path = har(tmp_path / "x.har", entry("https://fapi.example.com/v1/order"), entry("https://www.example.com/v1/x"))
    assert read(path).report.loc[0, ["rows", "skipped"]].tolist() == [2, 0]
    load = read(path, market_rules={"futures": r"^fapi\."})
    assert load.frame["market"].astype(str).tolist() == ["futures", "unknown"]


def test_gzipped_base64_body_is_read_and_a_corrupt_one_rejected(tmp_path):
    import base64
    import gzip

    body = base64.b64encode(gzip.compress(b'{"code": 3004, "message": "Third-party service error"}')).decode()
    e = entry("https://api9528mystks.mystonks.org/api/v1/futures/open-api/kline", method="GET")
    e["response"]["content"] = {"mimeType": "application/json", "encoding": "base64", "text": body}
    bad = entry()
    bad["response"]["content"] = {"encoding": "base64", "text": base64.b64encode(b"\x1f\x8b\x08\x00broken").decode()}
    load = read(har(tmp_path / "x.har", e, bad))
    assert load.frame.loc[0, "reason"] == "third_party_error"
    assert load.rejects["reason"].tolist() == ["response body is corrupt gzip"]


@pytest.mark.parametrize("content,reason", [
    (b'{"log": {"entries": [', "not a valid HAR file: invalid JSON"),
    (b'{"log": {"version": "1.2"}}', "not a HAR file: no log.entries list"),
])
def test_a_file_that_is_not_har_is_one_reject_and_the_directory_still_loads(tmp_path, content, reason):
    (tmp_path / "broken.har").write_bytes(content)
    har(tmp_path / "good.har", entry())
    with pytest.warns(toolkit.RejectWarning, match=r"1 of 1 entries rejected in .*broken\.har"):
        load = toolkit.read_logs(tmp_path)
    assert len(load.frame) == 1
    assert load.rejects[["line", "reason"]].values.tolist()[0][0] == 0
    assert load.rejects.loc[0, "reason"].startswith(reason)
    assert load.report["format"].astype(str).tolist() == ["har", "har"]
    with pytest.raises(toolkit.LogFormatError, match=r"broken\.har, line 0: " + reason):
        toolkit.read_logs(tmp_path, errors="raise")


def test_entry_level_problems(tmp_path):
    no_request = {"startedDateTime": "2026-11-20T21:05:00Z", "response": {"status": 200}}
    no_time = entry()
    del no_time["startedDateTime"]
    load = read(har(tmp_path / "x.har", "not an entry", no_request, no_time, entry(method="FETCH"),
                    entry(status=700), entry()))
    assert load.rejects["reason"].tolist() == [
        "entry is not an object (str)", "entry has no request", "entry has no startedDateTime",
        "unknown HTTP method 'FETCH'", "status out of range: 700"]
    assert load.frame["line"].tolist() == [6]


def test_a_4xx_without_its_body_is_still_a_row(tmp_path):
    e = entry(status=401)
    del e["response"]["content"]["text"]
    df = read(har(tmp_path / "x.har", e)).frame
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("auth", "auth_failed")


SPOT_DEPTH = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth?symbol=AAPL"


def test_a_recorded_status_wins_over_chromes_error(tmp_path):
    # Chrome DevTools writes "_error": "net::ERR_ABORTED" on HEAD, 204 and 304 responses that did arrive
    e = entry(SPOT_DEPTH, status=204, text="", method="HEAD", _error="net::ERR_ABORTED")
    df = read(har(tmp_path / "x.har", e)).frame
    assert (df.loc[0, "http_status"], df.loc[0, "category"]) == (204, "ok")


def test_status_0_or_minus_1_is_a_transport_row(tmp_path):
    # Playwright writes a failed request as "status": -1, "time": -1 (tests/assets/har-unstable-network.har)
    playwright = entry(SPOT_DEPTH, status=-1, text=None, method="GET", time=-1)
    playwright["response"]["content"] = {"size": -1, "mimeType": "x-unknown"}
    chrome = entry(SPOT_DEPTH, status=0, text=None, method="GET", _error="net::ERR_UNEXPECTED_PROXY_AUTH")
    load = read(har(tmp_path / "x.har", playwright, chrome))
    assert load.rejects.empty
    assert load.frame["category"].astype(str).tolist() == ["transport", "transport"]
    assert load.frame["http_status"].isna().all()


def test_static_assets_and_preflights_are_counted_skips_and_websockets_are_frames(tmp_path):
    api = "https://api9528mystks.mystonks.org/api/v1/futures/open-api/products"
    entries = [
        entry("https://api9528mystks.mystonks.org/static/app.js?v=3", method="GET"),          # URL ending
        entry("https://api9528mystks.mystonks.org/logo", method="GET", _resourceType="image"),  # resource type
        entry("https://api9528mystks.mystonks.org/font", method="GET"),                       # MIME type below
        entry(api, method="OPTIONS"),
        entry("wss://api9528mystks.mystonks.org/api/v1/futures/ws", status=101, method="GET",
              _resourceType="websocket", _webSocketMessages=[{"type": "send", "time": 1.0, "opcode": 1,
                                                               "data": "{}"}]),
        entry("https://api9528mystks.mystonks.org/", method="GET", text="<html></html>"),     # a page: a row
        entry(api, method="GET"),
    ]
    entries[2]["response"]["content"]["mimeType"] = "font/woff2"
    entries[5]["response"]["content"]["mimeType"] = "text/html"
    load = read(har(tmp_path / "x.har", *entries))
    assert load.report.loc[0, ["rows", "rejects", "skipped", "frames"]].tolist() == [2, 0, 4, 2]
    assert load.skips[["reason", "count"]].values.tolist() == [["preflight", 1], ["static", 3]]
    assert load.websocket["kind"].tolist() == ["open", "other"]  # the socket opened, and its one frame
    assert load.lines == 8 == len(entries) + 1
    assert load.frame["path"].tolist() == ["/", "/api/v1/futures/open-api/products"]


def test_fragments_are_dropped_and_lone_surrogates_repaired(tmp_path):
    path = tmp_path / "x.har"
    e = entry("https://api9528mystks.mystonks.org/api/v1/stock/open-api/ticker?symbol=AAPL#top", method="GET",
              text='{"code": 0, "msg": "SURROGATE"}')
    # a JavaScript string may hold a lone surrogate; exporters write it escaped, which strict JSON parsers refuse
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "entries": [e]}}).replace(b"SURROGATE", b"ok \\ud83d"))
    load = read(path)
    assert load.rejects.empty
    assert load.frame.loc[0, "path"] == "/api/v1/stock/open-api/ticker"
    assert load.frame.loc[0, "symbol"] == "AAPL"
    assert load.frame.loc[0, "category"] == "ok"
