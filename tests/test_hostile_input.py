"""Hostile and careless input: no bad line stops a load, none is silently misread.

Each test is written from an input that once raised or was misread: the
promise is that every non-blank line becomes a row, a reject with a reason
or a counted skip, and nothing else leaves the loader.
"""

import base64
import gzip
import io
import json
import os
import warnings

import orjson
import pandas as pd
import pytest

import toolkit
from tests.conftest import SPOT, call, jsonl


def read(source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(source, **kw)


def accounted(load, lines: int) -> None:
    rejects = int(load.report["rejects"].sum())  # all of them: beyond MAX_REJECTS_KEPT a file's are only counted
    assert len(load.frame) + rejects + int(load.report["skipped"].sum()) == lines == load.lines


def har(path, *entries):
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"},
                                           "entries": list(entries)}}))
    return path


def har_entry(status=200, req_headers=None, resp_headers=None, **over):
    # the shape Chrome DevTools' "Save all as HAR" writes
    e = {"startedDateTime": "2026-11-20T21:05:00.000Z", "time": 40.5,
         "request": {"method": "GET", "url": SPOT, "headers": req_headers or [], "queryString": []},
         "response": {"status": status, "headers": resp_headers or [],
                      "content": {"mimeType": "application/json", "text": '{"code": 0, "msg": "success"}'}}}
    for k, v in over.items():
        e[k] = v
    return e


def cassette(path, *interactions):
    # vcrpy's YAML serializer: request/response, headers as {name: [values]}, body {string: ...}
    import yaml

    items = []
    for status, req_headers, resp_headers in interactions:
        items.append({"request": {"method": "GET", "uri": SPOT, "body": None, "headers": req_headers},
                      "response": {"status": {"code": status, "message": "OK"}, "headers": resp_headers,
                                   "body": {"string": '{"code": 0, "msg": "success"}'}}})
    path.write_text(yaml.safe_dump({"interactions": items, "version": 1}))
    return path


@pytest.mark.parametrize("method", [[], {}, ["GET"], 5, True])
def test_an_unhashable_or_odd_method_is_a_reject(tmp_path, method):
    load = read(jsonl(tmp_path / "a.jsonl", call(method=method), call()))
    accounted(load, 2)
    assert len(load.frame) == 1
    assert load.rejects["reason"].str.startswith("unknown HTTP method").all()


@pytest.mark.parametrize("status", ["--200", "²⁰⁰", "٢٠٠", "+-5", "1e3", "200.5", 10**30])
def test_a_status_in_odd_digits_is_a_reject(tmp_path, status):
    load = read(jsonl(tmp_path / "a.jsonl", json.dumps(call(status=status)), call()))
    accounted(load, 2)
    assert load.rejects["reason"].str.startswith("status").all()


@pytest.mark.parametrize("code", ["³", "--5", "٣", 10**25, "99999999999999999999999"])
def test_an_odd_code_is_no_code(tmp_path, code):
    load = read(jsonl(tmp_path / "a.jsonl", json.dumps(call(body={"code": code, "msg": "x"}))))
    accounted(load, 1)
    assert load.frame["code"].isna().all()


@pytest.mark.parametrize("stamp", ["²", "٣", "--1", "9" * 22, 10**22, [], {"a": 1}])
def test_an_odd_access_timestamp_leaves_client_ts_empty(tmp_path, stamp):
    nested = {"time": "2026-11-20T21:05:00Z", "request": {"method": "GET", "url": SPOT,
                                                           "headers": {"ACCESS-TIMESTAMP": stamp}},
              "response": {"status": 200, "headers": {}, "body": {"code": 0, "msg": "success"}}}
    load = read(jsonl(tmp_path / "a.jsonl", json.dumps(nested)))
    accounted(load, 1)
    assert load.frame["client_ts"].isna().all()


def test_a_22_digit_access_timestamp_in_har_and_vcr(tmp_path):
    load = read(har(tmp_path / "a.har", har_entry(req_headers=[{"name": "ACCESS-TIMESTAMP", "value": "9" * 22}])))
    accounted(load, 1)
    assert load.frame["client_ts"].isna().all()
    path = cassette(tmp_path / "c.yaml",
                    (200, {"ACCESS-TIMESTAMP": ["9" * 22]}, {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]}),
                    (200, {"ACCESS-TIMESTAMP": ["9" * 22]}, {}),  # no Date: the timestamp would be the time
                    (200, {"ACCESS-TIMESTAMP": ["²"]}, {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]}))
    load = read(path)
    accounted(load, 3)
    assert len(load.frame) == 2 and load.frame["client_ts"].isna().all()


@pytest.mark.parametrize("status", ["--200", "²⁰⁰", "1e9"])
def test_odd_statuses_in_har_and_vcr(tmp_path, status):
    load = read(har(tmp_path / "a.har", har_entry(status=status), har_entry()))  # HAR keeps the JSON type
    accounted(load, 2)
    assert len(load.rejects) == 1
    load = read(cassette(tmp_path / "c.yaml", (status, {}, {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]})))
    accounted(load, 1)
    assert len(load.rejects) == 1


@pytest.mark.parametrize("headers", [5, "x", True, [1, 2, 3], [[1]]])
def test_headers_that_are_not_a_mapping(tmp_path, headers):
    nested = {"time": "2026-11-20T21:05:00Z", "request": {"method": "GET", "url": SPOT, "headers": headers},
              "response": {"status": 200, "headers": headers, "body": {"code": 0, "msg": "success"}}}
    load = read(jsonl(tmp_path / "a.jsonl", nested, call(response_headers=headers)))
    accounted(load, 2)
    assert len(load.frame) == 2
    e = har_entry()
    e["request"]["headers"] = headers
    e["response"]["headers"] = headers
    e["request"]["queryString"] = headers
    load = read(har(tmp_path / "a.har", e))
    accounted(load, 1)


@pytest.mark.parametrize("date", ["0001-01-01", "Mon, 01 Jan 0001 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                                  "9999-12-31T00:00:00Z", "garbage"])
def test_a_date_header_outside_pandas_range_gives_no_server_ts(tmp_path, date):
    load = read(jsonl(tmp_path / "a.jsonl", call(response_headers={"Date": date})))
    accounted(load, 1)
    assert len(load.frame) == 1 and load.frame["server_ts"].isna().all()


def test_a_standard_date_header_still_reads(tmp_path):
    load = read(jsonl(tmp_path / "a.jsonl", call(response_headers={"Date": "Fri, 20 Nov 2026 21:05:03 GMT"})))
    assert load.frame.loc[0, "server_ts"] == pd.Timestamp("2026-11-20 21:05:03", tz="UTC")


@pytest.mark.parametrize("ts", ["9999-12-31", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "-1", -1, "1600-01-01"])
def test_times_outside_the_range_are_rejects(tmp_path, ts):
    load = read(jsonl(tmp_path / "a.jsonl", call(ts=ts), call()))
    accounted(load, 2)
    assert len(load.frame) == 1
    assert load.rejects["reason"].str.startswith("unreadable time").all()
    assert (load.frame["ts"].dt.year == 2026).all()


def test_a_text_log_body_with_an_escaped_lone_surrogate(tmp_path):
    path = tmp_path / "bot.log"
    path.write_text("2026-11-20 21:05:00,123 INFO GET /api/v1/stock/open-api/order -> 400 "
                    "{'code': 1001, 'msg': 'bad \\ud800 char'}\n", encoding="utf-8")
    load = read(path)
    accounted(load, 1)
    assert load.frame.loc[0, "message"] == "bad \ufffd char"


def test_a_jsonl_line_with_an_escaped_lone_surrogate_is_a_row(tmp_path):
    line = b'{"ts": 1764000000, "url": "/api/v1/stock/open-api/order", "status": 400, ' \
           b'"response": {"code": 1001, "msg": "bad \\ud800 char"}}'
    load = read(jsonl(tmp_path / "a.jsonl", line))
    accounted(load, 1)
    assert load.frame.loc[0, "message"] == "bad \ufffd char"


def test_a_har_with_an_escaped_lone_surrogate_is_read(tmp_path):
    e = har_entry()
    e["response"]["content"]["text"] = '{"code": 1001, "msg": "bad SURROGATE"}'
    path = har(tmp_path / "a.har", e)
    path.write_bytes(path.read_bytes().replace(b"SURROGATE", b"\\\\ud800"))  # escaped inside the text
    path.write_bytes(path.read_bytes().replace(b'\\\\ud800', b'\\ud800'))
    load = read(path)
    accounted(load, 1)
    assert len(load.frame) == 1


def test_structured_logger_lines_with_a_log_object_are_json_lines(tmp_path):
    # pino/bunyan-style loggers nest their own fields under "log"
    recs = [dict(call(), log={"level": "info", "logger": "bot"}) for _ in range(5)]
    load = read(jsonl(tmp_path / "bot.json", *recs))
    assert load.report["format"].tolist() == ["jsonl"]
    assert len(load.frame) == 5 and load.rejects.empty


def test_a_text_log_mentioning_interactions_is_not_a_cassette(tmp_path):
    path = tmp_path / "bot.log"
    path.write_text("2026-11-20 21:05:00,001 INFO starting\n"
                    "interactions:\n"
                    "2026-11-20 21:05:00,123 INFO GET /api/v1/stock/open-api/order -> 200 {'code': 0}\n")
    load = read(path)
    assert load.report["format"].tolist() == ["text"]
    accounted(load, 3)
    assert len(load.frame) == 1


def test_a_cassette_opening_with_version_is_still_a_cassette(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("---\n# recorded\nversion: 1\ninteractions:\n- request: {method: GET, uri: '" + SPOT + "'}\n"
                    "  response: {status: {code: 200}, headers: {Date: ['Fri, 20 Nov 2026 21:05:00 GMT']},"
                    " body: {string: '{\"code\": 0}'}}\n")
    load = read(path)
    assert load.report["format"].tolist() == ["vcr"] and len(load.frame) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_a_file_with_only_cr_line_ends_is_split_on_cr(tmp_path, fmt):
    if fmt == "jsonl":
        lines = [orjson.dumps(call()) for _ in range(3)]
    else:
        lines = [b"2026-11-20 21:05:00,123 INFO GET /api/v1/stock/open-api/order -> 200 {'code': 0}"] * 3
    path = tmp_path / ("a.jsonl" if fmt == "jsonl" else "a.log")
    path.write_bytes(b"\r".join(lines) + b"\r")
    load = read(path)
    assert load.report["format"].tolist() == [fmt]
    accounted(load, 3)
    assert len(load.frame) == 3


def test_with_an_lf_a_stray_cr_is_data(tmp_path):
    one = orjson.dumps(call(body={"code": 0, "msg": "a"}))
    path = tmp_path / "a.jsonl"
    path.write_bytes(one + b"\r\n" + one.replace(b',"url"', b',\r"url"') + b"\n" + one + b"\r" + one + b"\n")
    load = read(path)
    accounted(load, 3)  # the CR between the last two records does not end a line: that line is a reject
    assert len(load.frame) == 2 and len(load.rejects) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_a_bom_at_the_start_of_every_line(tmp_path, fmt):
    if fmt == "jsonl":
        one = orjson.dumps(call())
    else:
        one = b"2026-11-20 21:05:00,123 INFO GET /api/v1/stock/open-api/order -> 200 {'code': 0}"
    bom = b"\xef\xbb\xbf"
    path = tmp_path / ("a.jsonl" if fmt == "jsonl" else "a.log")
    path.write_bytes(b"".join(bom + one + b"\n" for _ in range(4)) + bom + b"\n" + b"  \t\n" + bom + bom + b" \n")
    load = read(path)
    assert load.report["format"].tolist() == [fmt]
    accounted(load, 4)
    assert len(load.frame) == 4


@pytest.mark.parametrize("spaces", [20_000])
def test_status_followed_by_many_spaces_is_read(tmp_path, spaces):
    path = tmp_path / "a.log"
    path.write_text("2026-11-20 21:05:00,123 INFO GET /api/v1/stock/open-api/order status" + " " * spaces + "x\n"
                    "2026-11-20 21:05:00,123 INFO GET /api/v1/stock/open-api/order status" + " " * spaces + "200\n")
    load = read(path)
    accounted(load, 2)
    assert load.frame["http_status"].tolist() == [200]


def test_the_nine_level_yaml_alias_bomb_is_one_bounded_reject_per_entry(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_bytes(yaml_bomb())
    load = read(path)
    accounted(load, load.lines)
    assert load.frame.empty
    assert (load.rejects["excerpt"].str.len() <= 200).all()


def test_the_yaml_alias_bomb_scrubs_its_key(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_bytes(yaml_bomb().replace(b"uri: *a9", b"uri: *a9, headers: {ACCESS-KEY: [ak-bomb-1a2b3c4d]}"))
    load = read(path)
    assert load.report["format"].tolist() == ["vcr"]
    done = toolkit.scrub(path, tmp_path / "clean.yaml")
    assert done.replaced >= 1
    assert b"ak-bomb-1a2b3c4d" not in (tmp_path / "clean.yaml").read_bytes()
    assert read(tmp_path / "clean.yaml").lines == load.lines


def yaml_bomb(levels: int = 9) -> bytes:
    """The billion-laughs shape: each level a list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"interactions: [*a{levels}, {{request: {{method: *a{levels}, uri: *a{levels}}}, "
                 f"response: {{status: *a{levels}}}}}]")
    return ("\n".join(lines) + "\n").encode()


def test_gzip_with_a_bad_crc_or_trailing_garbage_names_the_file(tmp_path):
    data = gzip.compress(orjson.dumps(call()) + b"\n")
    bad_crc = data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:]
    (tmp_path / "crc.jsonl.gz").write_bytes(bad_crc)
    with pytest.raises(toolkit.LogFormatError, match=r"crc\.jsonl\.gz"):
        read(tmp_path / "crc.jsonl.gz")
    (tmp_path / "tail.jsonl.gz").write_bytes(data + b"garbage after the member")
    with pytest.raises(toolkit.LogFormatError, match=r"tail\.jsonl\.gz"):
        read(tmp_path / "tail.jsonl.gz")


def test_a_base64_har_body_still_reads(tmp_path):
    e = har_entry()
    e["response"]["content"] = {"mimeType": "application/json", "encoding": "base64",
                                "text": base64.b64encode(b'{"code": 429, "msg": "Too many requests"}').decode()}
    load = read(har(tmp_path / "a.har", e))
    assert load.frame.loc[0, "code"] == 429


def test_an_open_text_stream_with_odd_lines(tmp_path):
    load = read(io.StringIO('{"ts": 1, "url": "/x", "status": "²"}\n\ufeff\n{"ts": 1, "url": [], "status": 200}\n'))
    accounted(load, 2)


@pytest.mark.parametrize("date", ["Sat, 21 Nov 2026 20:2147483648:46 GMT",
                                  "Sat, 21 Nov 99999999999999999999 20:21:46 GMT",
                                  "Sa8, 21 Nov 2026 5555524444440:21:46 GMT"])
def test_a_date_header_with_a_field_beyond_a_c_long_gives_no_server_ts(tmp_path, capsys, date):
    # email.utils hands such fields to datetime(), which raises OverflowError
    path = jsonl(tmp_path / "logs" / "a.jsonl", call(response_headers={"Date": date}), call())
    load = read(path.parent)
    accounted(load, 2)
    assert load.frame["server_ts"].isna().all()
    run = toolkit.store.ingest(path.parent, tmp_path / "store")
    assert run.report["rows"].tolist() == [2]
    from toolkit.cli import main

    assert main(["summarize", str(path.parent)]) == 0
    assert "2 calls from 1 file(s)" in capsys.readouterr().out


def test_a_file_name_that_is_not_utf8_is_read_under_its_name_with_escapes(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    bad = os.fsencode(folder) + b"/bad-\xff.jsonl"  # a name written by a tool in Latin-1
    with open(bad, "wb") as f:
        f.write(orjson.dumps(call(status=429)) + b"\nnot json\n")
    jsonl(folder / "good.jsonl", call())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(folder)
    accounted(load, 3)
    shown = str(folder / "bad-\\xff.jsonl")
    assert shown in load.report["source"].tolist() and shown in load.frame["source"].tolist()
    assert any(shown in str(w.message) for w in caught)  # the reject's warning names it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        run = toolkit.store.ingest(folder, tmp_path / "store")
    assert sorted(run.report["source"]) == sorted([shown, str(folder / "good.jsonl")])
    assert set(toolkit.load_logs(tmp_path / "store")["source"]) == set(run.report["source"])
    assert toolkit.store.ingest(folder, tmp_path / "store").report["status"].tolist() == ["unchanged"] * 2


def test_terminal_escapes_in_a_file_name_are_printed_escaped(tmp_path, capsys):
    path = jsonl(tmp_path / "\x1b[2J\x1b]0;pwned\x07.jsonl", call(), "not json")
    from toolkit.cli import main

    assert main(["summarize", str(path)]) == 0
    assert main(["ingest", str(path), "--into", str(tmp_path / "store")]) == 0
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err
    assert "\\x1b[2J\\x1b]0;pwned\\x07.jsonl" in out.err  # the reject warning names it, escaped


def nested(depth: int, kind: str = "list") -> str:
    """JSON text of a value nested ``depth`` levels deep around a key (json.dumps itself stops near 1,000)."""
    text = '"ak-NESTED-5e4d3c2b1a"'
    for i in range(depth):
        text = f"[{text}]" if kind == "list" or i % 2 else f'{{"apiKey": {text}, "n": {i}}}'
    return text


@pytest.mark.parametrize("depth", [253, 400, 1000])
def test_scrub_masks_a_body_nested_hundreds_deep_beside_a_secret_name(tmp_path, depth):
    rec = json.dumps(call(body={"code": 0, "msg": "success", "data": "DEEP"}, apiKey="ak-TOP-9f8e7d6c5b",
                          request={"headers": {"ACCESS-KEY": {"value": "ak-DICT-1a2b3c4d5e"}}}))  # data masking only
    path = jsonl(tmp_path / "deep.jsonl", rec.replace('"DEEP"', nested(depth, "mixed")), call())
    assert len(read(path).frame) == 2
    done = toolkit.scrub(path, tmp_path / "clean.jsonl")
    text = (tmp_path / "clean.jsonl").read_text()
    assert done.replaced >= 3
    for planted in ("ak-NESTED-5e4d3c2b1a", "ak-TOP-9f8e7d6c5b", "ak-DICT-1a2b3c4d5e"):
        assert planted not in text
    assert len(read(tmp_path / "clean.jsonl").frame) == 2
    har = tmp_path / "deep.har"  # a whole document: written anew when masking its text is not enough
    e = har_entry()
    e["response"]["content"]["text"] = '{"code": 0, "data": DEEP}'
    e["request"]["postData"] = {"mimeType": "application/json", "text": "{}", "params": ["DEEP"]}
    text = json.dumps({"log": {"version": "1.2", "creator": {"name": "x"}, "entries": [e]}})
    text = text.replace('"DEEP"', nested(depth, "mixed")).replace("DEEP", json.dumps(nested(depth))[1:-1])
    har.write_text(text)
    toolkit.scrub(har, tmp_path / "clean.har")
    assert "ak-NESTED-5e4d3c2b1a" not in (tmp_path / "clean.har").read_text()
    assert len(read(tmp_path / "clean.har").frame) == 1


class _Canned:
    """A requests transport answering every call with one JSON body, as the exchange would."""

    def __new__(cls, body: bytes):
        import requests

        class Adapter(requests.adapters.BaseAdapter):
            def send(self, request, **kw):
                r = requests.models.Response()
                r.status_code, r._content, r.url, r.request = 200, body, request.url, request
                r.headers["Content-Type"] = "application/json"
                return r

            def close(self):
                pass

        return Adapter()


@pytest.mark.parametrize("depth", [253, 600])
def test_the_recorder_records_a_response_nested_too_deep_cut_with_a_marker(tmp_path, depth):
    body = orjson.dumps({"code": 0, "msg": "success"})[:-1] + b', "data": ' + b"[" * depth + b"]" * depth + b"}"
    path = tmp_path / "calls.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "could not build the record" warning
        with toolkit.recording_session(path) as s:
            s.mount("https://", _Canned(body))
            s.get(SPOT)
    rec = orjson.loads(path.read_bytes())
    inner = rec["body"]["data"]
    while isinstance(inner, list):
        inner = inner[0]
    assert inner == f"… nested deeper than {toolkit.defaults.RECORD_MAX_DEPTH} levels, cut by the recorder"
    assert toolkit.load_logs(path)["category"].tolist() == ["ok"]


@pytest.mark.parametrize("tail", [
    "status=200 elapsed=283.8ms body=<html><head><title>Maintenance</title></head><body>back soon</body></html>",
    "HTTP 200 (657.7 ms) <html><body><h1>Maintenance</h1></body></html>",
    "status=200 elapsed=12ms body=<!DOCTYPE html><html><style>h1 {color: red}</style><h1>Maintenance</h1></html>",
])
def test_a_2xx_whose_html_page_does_not_follow_the_status_at_once_is_malformed(tmp_path, tail):
    path = tmp_path / "bot.log"
    path.write_text(f"2026-11-20 21:05:00,123 INFO GET {SPOT} {tail}\n"
                    f"2026-11-20 21:05:01,123 INFO GET {SPOT} -> 200 {{'code': 0, 'msg': '<b>ok</b>'}} 12ms\n")
    load = read(path)
    accounted(load, 2)
    assert load.frame["category"].tolist() == ["malformed", "ok"]
    assert "Maintenance" in load.frame.loc[0, "message"] and "<" not in load.frame.loc[0, "message"]


def test_gelf_records_that_mention_interactions_are_json_lines(tmp_path):
    # GELF 1.1 as graypy and logstash-gelf write it: "version" first, additional fields with a leading underscore
    recs = [{"version": "1.1", "host": "bot-1", "short_message": 'replayed 2 "interactions": [...]',
             "timestamp": 1795208700.5 + i, "level": 4, "_interactions": 2, "ts": "2026-11-20T21:05:00Z",
             "url": SPOT, "status": 429} for i in range(3)]
    load = read(jsonl(tmp_path / "gelf.json", *recs))
    assert load.report["format"].tolist() == ["jsonl"]
    accounted(load, 3)
    assert len(load.frame) == 3


@pytest.mark.parametrize("indent", [None, 2])
def test_a_har_whose_first_key_is_not_log_is_a_har(tmp_path, indent):
    doc = {"_comment": "exported by a proxy", "_meta": {"tags": [{"log": 1}]},
           "log": {"version": "1.2", "creator": {"name": "mitmproxy"}, "entries": [har_entry(), har_entry(429)]}}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc, indent=indent))
    load = read(path)
    assert load.report["format"].tolist() == ["har"]
    assert load.frame["http_status"].tolist() == [200, 429]


def linked_folder(tmp_path):
    """A recorder's folder with a link to its current file, and a link back up (a directory loop)."""
    folder = tmp_path / "logs"
    real = jsonl(folder / "calls.20261120T000003.250Z.jsonl", call(), call(status=429), "not json")
    (folder / "current.jsonl").symlink_to(real.name)
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    return folder, real


def test_a_link_to_a_recording_already_read_is_a_counted_skip(tmp_path):
    folder, real = linked_folder(tmp_path)
    for source in (folder, str(folder / "**" / "*.jsonl"), [real, folder / "current.jsonl"]):
        load = read(source)
        assert len(load.frame) == 2 and len(load.rejects) == 1  # read once
        twice = load.report[load.report["source"] != str(real)]
        assert len(twice) >= 1 and (twice["rows"] == 0).all() and (twice["skipped"] == 3).all()
        assert load.skips["reason"].eq(f"same file as {real}").sum() == len(twice)
        accounted(load, load.lines)


def test_ingest_and_dask_read_a_linked_recording_once(tmp_path):
    folder, real = linked_folder(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        run = toolkit.store.ingest(str(folder / "**" / "*.jsonl"), tmp_path / "store")
    assert run.report.loc[run.report["status"] == "new", "source"].tolist() == [str(real)]
    assert set(run.report["status"]) == {"new", "skipped"} and run.rows == 2
    assert len(toolkit.load_logs(tmp_path / "store")) == 2
    dd = pytest.importorskip("toolkit.dask")
    with pytest.warns(UserWarning, match="same file"):
        ddf = dd.read_logs(folder)
    assert len(ddf.compute()) == 2


def test_scrub_in_place_through_a_link_rewrites_the_file_it_points_to(tmp_path, capsys):
    folder, real = linked_folder(tmp_path)
    jsonl(real, call(url=SPOT + "?apiKey=ak-LINK-1a2b3c4d"))
    from toolkit.cli import main

    assert main(["scrub", str(folder / "current.jsonl")]) == 0
    assert (folder / "current.jsonl").is_symlink()
    assert "ak-LINK-1a2b3c4d" not in real.read_text()
    assert f"into {real} (the file the link points to)" in capsys.readouterr().out


def long_line(n: int, seed: int = 0) -> bytes:
    """A JSON Lines record of ``n`` bytes whose body is random base64 (so gzip cannot shrink it much)."""
    import random

    head = b'{"ts": 1764000000, "url": "/api/v1/stock/open-api/order?apiKey=ak-LONG-1a2b3c4d", "status": 200, "body": "'
    body = base64.b64encode(random.Random(seed).randbytes((n - len(head) - 2) * 3 // 4 + 3))[: n - len(head) - 2]
    return head + body + b'"}'


@pytest.mark.parametrize("how", ["plain", "gzip", "stream"])
def test_a_line_longer_than_the_limit_is_a_reject_read_past(tmp_path, how):
    limit = toolkit.defaults.MAX_LINE_BYTES
    lines = [orjson.dumps(call()), long_line(limit + 1000), orjson.dumps(call(status=429)), long_line(limit + 1, 1)]
    data = b"\n".join(lines)  # the last line has no LF
    path = tmp_path / ("calls.jsonl.gz" if how == "gzip" else "calls.jsonl")
    path.write_bytes(gzip.compress(data, 1) if how == "gzip" else data)
    load = read(io.BytesIO(data) if how == "stream" else path)
    accounted(load, 4)
    assert load.frame["line"].tolist() == [1, 3] and load.frame["http_status"].tolist() == [200, 429]
    assert load.rejects["line"].tolist() == [2, 4]
    assert load.rejects["reason"].tolist() == [f"line longer than {limit:,} bytes ({len(lines[1]):,}); not read",
                                               f"line longer than {limit:,} bytes ({len(lines[3]):,}); not read"]
    head = '{"ts": 1764000000, "url": "/api/v1/stock/open-api/order?apiKey=***"'
    assert load.rejects["excerpt"].str.startswith(head).all()


def gzip_bomb(path, line: bytes, size: int = 64 << 20):
    """``size`` bytes of one line repeated, gzipped: a thousand times smaller than what it undoes to."""
    block = line * ((1 << 20) // len(line))
    with gzip.open(path, "wb", 9) as f:
        for _ in range(size // len(block)):
            f.write(block)
    return path


@pytest.mark.parametrize("line", [b"{}\n", b"\n", b"x"], ids=["braces", "blank", "no-lf"])
def test_a_gzip_bomb_is_a_log_format_error_naming_the_file(tmp_path, line):
    path = gzip_bomb(tmp_path / "bomb.jsonl.gz", line)
    jsonl(tmp_path / "calls.jsonl.gz", call(), gz=True)
    ratio = toolkit.defaults.MAX_GZIP_RATIO
    with pytest.raises(toolkit.LogFormatError, match=rf"bomb\.jsonl\.gz: gzip that undoes to more than {ratio} times"):
        read(tmp_path)
    with pytest.raises(toolkit.LogFormatError, match=r"bomb\.jsonl\.gz: .* refused as a gzip bomb"):
        toolkit.scrub(path, tmp_path / "out.jsonl.gz")
    assert not (tmp_path / "out.jsonl.gz").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = toolkit.store.ingest(tmp_path, tmp_path / "store")
    assert run.report.set_index("status")["rows"].to_dict() == {"failed": 0, "new": 1}
    assert "refused as a gzip bomb" in run.report["message"].str.cat()


def test_rejects_beyond_the_kept_count_are_counted_not_kept(tmp_path):
    kept = toolkit.defaults.MAX_REJECTS_KEPT
    lines = [b"{}"] * (3 * kept)
    lines[5] = orjson.dumps(call())
    lines[-7] = orjson.dumps(call(ts="9999-12-31"))  # rejected later than the others, when times are read
    lines[kept // 2] = orjson.dumps(call(ts="9999-12-31"))
    path = jsonl(tmp_path / "logs" / "calls.jsonl", *lines)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(path)
    accounted(load, 3 * kept)
    assert len(load.rejects) == kept and load.report["rejects"].tolist() == [3 * kept - 1]
    assert load.rejects["line"].tolist() == [n for n in range(1, 3 * kept + 1) if n != 6][:kept]  # the first ones
    assert str(caught[0].message) == (f"{3 * kept - 1:,} of {3 * kept:,} lines rejected in {path}: "
                                      f"{3 * kept - 3:,} missing time, 2 unreadable time (the first {kept:,} kept)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        toolkit.store.ingest(path, tmp_path / "store")
    stored = toolkit.read_logs(tmp_path / "store")
    assert stored.report["rejects"].tolist() == [3 * kept - 1] and len(stored.rejects) == kept
    assert stored.lines == load.lines
