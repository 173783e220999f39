"""Scrubbing recordings of every format: secrets masked, everything else kept byte-for-byte."""

import gzip
import shutil
import stat
import sys
import warnings

import orjson
import pandas as pd
import pytest
import requests
import yaml

import toolkit
from tests.conftest import ROOT, SPOT, call, jsonl
from tests.local_exchange import LocalExchange
from toolkit.cli import main

DATA = ROOT / "tests" / "data"
KEY = "ak-LIVE-5e6f7a8b9c"
SIGN = "c2lnbmF0dXJlLTEyMzQ="


def changed(before: bytes, after: bytes) -> list[tuple[str, str]]:
    """The (old, new) lines that differ between two files of the same length in lines."""
    a, b = before.decode().splitlines(), after.decode().splitlines()
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b) if x != y]


def frame(path):
    """The calls of a recording, but for what its file name and its keys give: a copy has another name (so
    another ``source`` and ``bot``), and a masked ``ACCESS-KEY`` gives no ``key_id``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.load_logs(path).drop(columns=["source", "bot", "key_id"])


def test_jsonl_lines_without_secrets_are_kept_byte_for_byte(tmp_path):
    leaky = call(SPOT + f"?symbol=AAPL&apiKey={KEY}", request={"headers": {"ACCESS-KEY": KEY, "ACCESS-SIGN": SIGN}})
    spaced = ('{"ts": "2026-11-20T21:05:00Z",  "url": "%s",   "status": 200, '
              '"request": {"headers": {"ACCESS-KEY": "%s"}}}' % (SPOT, KEY))
    numeric = ('{"ts": "2026-11-20T21:05:00Z", "url": "%s", "status": 200, '
               '"request": {"params": {"apiKey": 12345}}}' % SPOT)
    path = jsonl(tmp_path / "calls.jsonl", call(), leaky, spaced, numeric, f"not json but api_key={KEY}", "", call())
    before = path.read_bytes()
    result = toolkit.scrub(path, tmp_path / "clean.jsonl")
    assert (result.format, result.replaced) == ("jsonl", 6)
    after = (tmp_path / "clean.jsonl").read_bytes()
    diff = changed(before, after)
    assert [old for old, _ in diff] == before.decode().splitlines()[1:5]
    assert diff[1][1] == spaced.replace(KEY, "***")  # the layout of a masked line is kept
    assert orjson.loads(diff[2][1])["request"]["params"]["apiKey"] == "***"  # written anew: a number was masked
    assert diff[3][1] == "not json but api_key=***"
    assert KEY not in after.decode() and SIGN not in after.decode()
    pd.testing.assert_frame_equal(frame(path), frame(tmp_path / "clean.jsonl"))
    keys = [toolkit.load_logs(p)["key_id"].notna().sum() for p in (path, tmp_path / "clean.jsonl")]
    assert keys == [2, 0]  # the key is masked: its fingerprint cannot be made of the copy


def test_gzip_in_gzip_out_and_in_place(tmp_path):
    path = jsonl(tmp_path / "calls.jsonl.gz", call(SPOT + f"?signature={SIGN}"), call(), gz=True)
    result = toolkit.scrub(path)
    assert (result.path, result.replaced) == (str(path), 1)
    data = gzip.decompress(path.read_bytes())
    assert SIGN.encode() not in data and b"signature=***" in data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.jsonl.gz"]  # no temporary file left


def test_nothing_to_mask_leaves_the_file_alone(tmp_path):
    path = jsonl(tmp_path / "calls.jsonl.gz", call(), call(), gz=True)
    before = path.read_bytes()
    assert toolkit.scrub(path).replaced == 0
    assert path.read_bytes() == before
    toolkit.scrub(path, tmp_path / "copy.jsonl.gz")
    assert (tmp_path / "copy.jsonl.gz").read_bytes() == before  # an exact copy, not re-compressed


def test_har_only_the_secret_values_change(tmp_path):
    src = DATA / "devtools.har"
    result = toolkit.scrub(src, tmp_path / "clean.har")
    assert (result.format, result.replaced) == ("har", 6)
    diff = changed(src.read_bytes(), (tmp_path / "clean.har").read_bytes())
    assert len(diff) == 6
    for old, new in diff:
        assert "***" in new and "***" not in old
        assert new.replace("***", "") in old.replace("ak-FIXTURE-0001", "").replace("c2lnLUZJWFRVUkUtMDAwMQ==", "") \
            .replace("c2lnLUZJWFRVUkUtMDAwMg==", "")
    clean = (tmp_path / "clean.har").read_text()
    assert "FIXTURE" not in clean and "c2lnLUZJWFRVUkU" not in clean
    pd.testing.assert_frame_equal(frame(src), frame(tmp_path / "clean.har"))


def test_har_written_anew_when_masking_text_is_not_enough(tmp_path):
    doc = {"log": {"version": "1.2", "entries": [{
        "startedDateTime": "2026-11-20T21:05:00Z", "time": 1,
        "request": {"method": "POST", "url": SPOT, "headers": [],
                    "postData": {"mimeType": "application/json", "text": '{"symbol": "AAPL", "apiKey": "%s"}' % KEY}},
        "response": {"status": 200, "headers": [], "content": {"text": '{"code": 0, "msg": "success"}'}}}]}}
    path = tmp_path / "x.har"
    path.write_text(__import__("json").dumps(doc, indent=2))
    assert toolkit.scrub(path).replaced == 1
    clean = orjson.loads(path.read_bytes())
    assert clean["log"]["entries"][0]["request"]["postData"]["text"] == '{"symbol": "AAPL", "apiKey": "***"}'
    assert path.read_text().startswith('{\n  "log": {\n    "version": "1.2"')  # the indent is kept


def test_cassette_only_the_secret_values_change(tmp_path):
    src = DATA / "cassette.yaml"
    result = toolkit.scrub(src, tmp_path / "clean.yaml")
    assert (result.format, result.replaced) == ("vcr", 4)
    diff = changed(src.read_bytes(), (tmp_path / "clean.yaml").read_bytes())
    assert [new.strip() for _, new in diff] == [
        "- '***'", "- '***'",
        "uri: https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth?symbol=TSLA&signature=***", "- '***'"]
    pd.testing.assert_frame_equal(frame(src), frame(tmp_path / "clean.yaml"))


def test_a_scrubbed_cassette_still_replays_in_vcrpy(tmp_path):
    vcr = pytest.importorskip("vcr")
    cassette = tmp_path / "live.yaml"
    headers = {"ACCESS-KEY": KEY, "ACCESS-SIGN": SIGN, "ACCESS-TIMESTAMP": "1795208700000"}
    with LocalExchange() as ex:
        with vcr.use_cassette(str(cassette), record_mode="all"):
            requests.get(ex.url + "/api/v1/futures/open-api/order/create", headers=headers, params={"apiKey": KEY})
            requests.get(ex.url + "/api/v1/stock/open-api/depth", headers=headers)
        url = ex.url
    assert KEY in cassette.read_text()
    result = toolkit.scrub(cassette)
    assert result.replaced == 5  # two keys, two signatures, one query parameter
    text = cassette.read_text()
    assert KEY not in text and SIGN not in text
    with vcr.use_cassette(str(cassette), record_mode="none"):  # the server is gone: answers come from the file
        first = requests.get(url + "/api/v1/futures/open-api/order/create", params={"apiKey": "***"})
        second = requests.get(url + "/api/v1/stock/open-api/depth")
    assert first.json() == {"code": 8018, "message": "Insufficient margin"}
    assert second.json()["msg"] == "success"


def test_json_cassette(tmp_path):
    doc = yaml.load((DATA / "cassette.yaml").read_text(), Loader=yaml.SafeLoader)
    for item in doc["interactions"]:
        body = (item.get("response") or {}).get("body") or {}
        if isinstance(body.get("string"), bytes):
            body["string"] = "binary"
    path = tmp_path / "cassette.json"
    path.write_text(__import__("json").dumps({"version": 1, "interactions": doc["interactions"]}, indent=4) + "\n")
    result = toolkit.scrub(path)
    assert (result.format, result.replaced) == ("vcr", 4)
    assert "ak-FIXTURE-0002" not in path.read_text() and path.read_text().startswith('{\n    "version": 1,')


def test_text_log(tmp_path):
    src = DATA / "bot.log"
    log = tmp_path / "bot.log"
    shutil.copy(src, log)
    with open(log, "a") as f:
        f.write("2026-11-20 21:06:00,000 DEBUG api: headers {'ACCESS-KEY': 'ak-1', 'ACCESS-SIGN': 'c2ln', "
                "'ACCESS-TIMESTAMP': '1795208760000'}\n2026-11-20 21:06:00,000 DEBUG Authorization: Bearer eyJabc\n")
    before = log.read_bytes()
    assert toolkit.scrub(log).replaced == 4
    assert [new for _, new in changed(before, log.read_bytes())] == [
        "2026-11-20 21:05:05,000 ERROR api: POST /api/v1/stock/open-api/cancelOrder?apiKey=*** ConnectionError: "
        "[Errno 111] Connection refused",
        "2026-11-20 21:06:00,000 DEBUG api: headers {'ACCESS-KEY': '***', 'ACCESS-SIGN': '***', "
        "'ACCESS-TIMESTAMP': '1795208760000'}",
        "2026-11-20 21:06:00,000 DEBUG Authorization: Bearer ***",
    ]


def test_unreadable_documents_are_clear_errors_and_nothing_is_written(tmp_path):
    path = tmp_path / "bad.har"
    path.write_text('{"log": {"entries": [')
    with pytest.raises(toolkit.LogFormatError, match=r"bad\.har: not valid JSON .*nothing was written"):
        toolkit.scrub(path)
    assert path.read_text() == '{"log": {"entries": [' and sorted(p.name for p in tmp_path.iterdir()) == ["bad.har"]
    with pytest.raises(FileNotFoundError, match="no such recording"):
        toolkit.scrub(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="format must be 'auto' or one of"):
        toolkit.scrub(path, format="xml")


def test_cli_scrub(tmp_path, capsys):
    path = jsonl(tmp_path / "calls.jsonl", call(SPOT + f"?apiKey={KEY}"))
    assert main(["scrub", str(path), "--out", str(tmp_path / "clean.jsonl")]) == 0
    assert capsys.readouterr().out.strip() == (
        f"1 secret value(s) masked in {path} (jsonl), written into {tmp_path / 'clean.jsonl'}")
    assert KEY in path.read_text() and KEY not in (tmp_path / "clean.jsonl").read_text()
    assert main(["scrub", str(path)]) == 0 and KEY not in path.read_text()
    bad = tmp_path / "bad.har"
    bad.write_text("{")
    assert main(["scrub", str(bad), "--format", "har"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toolkit scrub: error: ") and "Traceback" not in err


@pytest.mark.parametrize("masked", [True, False])
def test_the_file_written_keeps_the_permissions_of_the_original(tmp_path, masked):
    path = jsonl(tmp_path / "calls.jsonl", call(SPOT + (f"?apiKey={KEY}" if masked else "")), call())
    path.chmod(0o640)
    assert toolkit.scrub(path, tmp_path / "clean.jsonl").replaced == int(masked)
    assert stat.S_IMODE((tmp_path / "clean.jsonl").stat().st_mode) == 0o640
    toolkit.scrub(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("gz", [False, True])
def test_an_interrupted_scrub_leaves_the_original_intact(tmp_path, monkeypatch, stop, gz):
    """^C or a full disk half-way through: the original as it was, no output, no temporary file."""
    name = "calls.jsonl.gz" if gz else "calls.jsonl"
    path = jsonl(tmp_path / name, call(SPOT + f"?apiKey={KEY}"), call(SPOT + f"?apiKey={KEY}"), gz=gz)
    before = path.read_bytes()
    module = sys.modules["toolkit.scrub"]
    lines = []

    def mask_then_stop(line):
        lines.append(line)
        if len(lines) == 2:
            raise stop("stopped half-way")
        return real(line)

    real = module._jsonl_line
    monkeypatch.setattr(module, "_jsonl_line", mask_then_stop)
    for out in (None, tmp_path / "clean.jsonl"):
        lines.clear()
        with pytest.raises(stop, match="half-way"):
            toolkit.scrub(path, out)
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]
