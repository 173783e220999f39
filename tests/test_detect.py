"""Telling formats apart by content: mixed directories, misleading names, majority of lines, forcing."""

import shutil
import warnings

import orjson
import pytest

import toolkit
from tests.conftest import ROOT, call, jsonl
from toolkit.read.engine import sniff

DATA = ROOT / "tests" / "data"


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def test_a_directory_of_mixed_files_loads_in_one_call(tmp_path):
    # names that say nothing, or the wrong thing: content decides
    shutil.copy(DATA / "devtools.har", tmp_path / "a.json")
    shutil.copy(DATA / "cassette.yaml", tmp_path / "b.txt")
    shutil.copy(DATA / "bot.log", tmp_path / "c.jsonl")
    jsonl(tmp_path / "d.log", call(), call())
    load = read(tmp_path)
    report = load.report.assign(source=load.report["source"].str.rsplit("/", n=1).str[-1])
    assert report[["source", "format", "rows"]].astype(str).values.tolist() == [
        ["a.json", "har", "9"], ["b.txt", "vcr", "5"], ["c.jsonl", "text", "8"], ["d.log", "jsonl", "2"]]
    assert len(load.frame) == 24
    assert load.frame["source"].nunique() == 4
    assert len(load.frame) + len(load.rejects) + load.report["skipped"].sum() == load.lines


def test_one_odd_line_does_not_change_a_file_s_format(tmp_path):
    log_lines = (DATA / "bot.log").read_text().splitlines()
    log_lines.insert(1, orjson.dumps(call()).decode())  # a stray JSON line in a text log
    path = tmp_path / "bot.log"
    path.write_text("\n".join(log_lines) + "\n")
    assert read(path).report.loc[0, "format"] == "text"
    records = [call() for _ in range(20)] + ["2026-11-20 21:05:00,000 INFO GET /api/v1/x -> 200"]
    assert read(jsonl(tmp_path / "calls.log", *records)).report.loc[0, "format"] == "jsonl"


@pytest.mark.parametrize("head,name,fmt", [
    (b'{\n  "log": {\n    "version": "1.2",\n    "entries": [\n', "x.txt", "har"),
    (b'{"log": {"version": "1.2", "entries": []}}', "x.jsonl", "har"),
    (b'\xef\xbb\xbf{"log": {"entries": []}}', "x.json", "har"),
    (b"interactions:\n- request:\n    body: null\n", "x.json", "vcr"),
    (b'{\n    "version": 1,\n    "interactions": [\n', "x.json", "vcr"),
    (b'{"ts": 1, "url": "/api", "status": 200}\n', "x.log", "jsonl"),
    (b"2026-11-20 21:05:00,000 INFO start\n2026-11-20 21:05:01,000 INFO GET /api/v1/x -> 200\n", "x.jsonl", "text"),
    (b"", "empty.log", "text"),          # nothing to go on: the name decides
    (b"", "empty.har", "har"),
    (b"", "empty.jsonl", "jsonl"),
    # a WebSocket client's line decides, whatever the name (websockets' DEBUG log; ccxt pro's verbose output)
    (b"2026-03-02 08:15:02,080 = connection is OPEN\n2026-03-02 08:15:02,100 > TEXT '{}' [2 bytes]\n", "bot.log",
     "wslog"),
    (b"2026-03-02T08:15:02.301Z connecting to wss://h/api/v1/spot/ws with timeout 10000 ms\n", "out.txt", "wslog"),
    # JSON Lines that mention a WebSocket stay JSON Lines
    (b'{"ts": 1, "url": "/api/v1/x", "status": 200, "msg": "connecting to wss://h/ws"}\n', "x.log", "jsonl"),
])
def test_sniff_tells_the_format(head, name, fmt):
    assert sniff(head, name) == fmt


def test_format_forces_a_reader(tmp_path):
    path = jsonl(tmp_path / "calls.jsonl", call())
    load = read(path, format="text")
    assert load.report.loc[0, ["format", "rows", "skipped"]].tolist() == ["text", 0, 1]
    with pytest.raises(ValueError, match=r"format must be 'auto' or one of \['har', 'jsonl', 'text', 'vcr', 'wslog'\], "
                                         r"not 'csv'"):
        toolkit.read_logs(path, format="csv")


def test_a_user_pattern_helps_detect_a_text_log_with_no_leading_timestamp(tmp_path):
    shutil.copy(DATA / "gateway.log", tmp_path / "gateway.jsonl")
    pattern = r"^(?P<ts>\d+\.\d+) \| (?P<method>[A-Z]+) (?P<url>\S+) \| (?P<status>\d{3}) \| \d+ \| (?P<body>.*)$"
    load = read(tmp_path / "gateway.jsonl", pattern=pattern)
    assert load.report.loc[0, "format"] == "text" and len(load.frame) == 2
