"""The JSON Lines fast path gives what the general path gives: same frame, rejects, skips and report.

Every input here is loaded twice, with the typed fast path on and forced off,
and the two loads are compared column for column and dtype for dtype.
"""

import gzip
import json
import warnings
from pathlib import Path

import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from tests.conftest import FUTURES, ROOT, SAMPLE, SPOT
from toolkit.read.formats import _fastjsonl as fast
from toolkit.read.engine import read_options
from toolkit.read.formats import jsonl as reader

CORPUS = ROOT.parent / "shared" / "realworld" / "corpus"
KEY, SIGN = "ak-live-3f9a2c7d1e", "c2lnbmF0dXJlLXNlY3JldA=="
T = "2026-11-20T21:05:00.123Z"
OK = {"code": 0, "msg": "success", "data": {"orderId": "1"}}


def read_both(source, monkeypatch, **kw):
    """``read_logs`` with the fast path on, then off; both loads."""
    loads = []
    for on in (True, False):
        monkeypatch.setattr(fast, "ENABLED", on)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", toolkit.RejectWarning)
            loads.append(toolkit.read_logs(source, **kw))
    return loads


def assert_same(source, monkeypatch, **kw):
    on, off = read_both(source, monkeypatch, **kw)
    pd.testing.assert_frame_equal(on.frame, off.frame)
    pd.testing.assert_frame_equal(on.rejects, off.rejects)
    pd.testing.assert_frame_equal(on.report, off.report)
    pd.testing.assert_frame_equal(on.skips, off.skips)
    assert on.lines == off.lines
    return on


def lines_file(path: Path, lines, end=b"\n", gz=False) -> Path:
    data = end.join(x if isinstance(x, bytes) else orjson.dumps(x) for x in lines) + end
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def flat(**kw):
    rec = {"ts": T, "method": "POST", "url": SPOT, "status": 200, "response": OK, "elapsed_ms": 41.5}
    rec.update(kw)
    return {k: v for k, v in rec.items() if v is not ...}


def nested(status=200, body=OK, **kw):
    rec = {"time": 1794787206527,
           "request": {"method": "POST", "url": FUTURES,
                       "headers": {"ACCESS-KEY": KEY, "ACCESS-SIGN": SIGN, "ACCESS-TIMESTAMP": "1794787206649"},
                       "body": {"symbol": "AAPL", "vol": "5"}},
           "response": {"status": status, "headers": {"Date": "Fri, 20 Nov 2026 21:05:03 GMT"}, "body": body},
           "duration_ms": 37.8}
    rec.update(kw)
    return rec


# records in every documented form and alias, and the shapes next to them that only the general path reads
RECORDS = [
    flat(), nested(), flat(method="get"), flat(method=" Post "), flat(method="BREW"), flat(method=7),
    *(flat(ts=..., **{k: T}) for k in ("timestamp", "time", "@timestamp")),
    flat(ts=1763672700), flat(ts=1763672700123), flat(ts=1763672700.5), flat(ts="1763672700123"),
    flat(ts=True), flat(ts=None), flat(ts=...), flat(ts=2**63), flat(ts=2**64 + 1), flat(ts="yesterday"),
    flat(ts="2026-13-45T99:00:00Z"), flat(ts=-5),
    *(flat(url=..., **{k: SPOT}) for k in ("uri", "path")), flat(url=...), flat(url=5), flat(url=None, uri=SPOT),
    *(flat(status=..., **{k: 429}) for k in ("status_code", "http_status")),
    flat(status="429"), flat(status=0), flat(status=99), flat(status=600), flat(status=429.0), flat(status=True),
    flat(status=None, error="ReadTimeout: timed out"), flat(status=None), flat(status=None, error=""),
    flat(status=None, error={"type": "Timeout"}), flat(status=None, error="x", response=None),
    *(flat(response=..., **{k: OK}) for k in ("body", "response_body")),
    flat(response=json.dumps(OK)), flat(response=" " + json.dumps(OK)), flat(response="<html>502 Bad Gateway</html>"),
    flat(response=""), flat(response=[1, 2]), flat(response=[]), flat(response=5), flat(response={}),
    flat(response={"code": "0", "msg": "ok"}), flat(response={"code": 0.0, "msg": "ok"}),
    flat(response={"code": 2**63, "msg": "big"}), flat(response={"code": -(2**63), "msg": "small"}),
    flat(response={"code": 0, "msg": "", "message": "fallback"}), flat(response={"code": 0, "msg": "", "message": ""}),
    flat(response={"code": 0}), flat(response={"code": 0, "error": "only error"}), flat(response={"code": 0, "msg": 5}),
    flat(response={"code": 1001, "msg": None, "message": None, "error": "e"}),
    flat(response={"error": "invalid symbol format: BTC-USDT"}), flat(response={"msg": "", "error": "e"}),
    flat(response={"symbol": "AAPL", "close": "1.0"}), flat(response={"code": 0, "msg": "ok", "data": [1, 2]}),
    flat(response={"code": 0, "msg": "ok", "data": [[1, 2], [3]]}), flat(response={"code": 0, "msg": "ok", "data": []}),
    flat(response={"code": 0, "msg": "ok", "data": [{"orderId": "1", "success": True},
                                                   {"orderId": "", "success": False, "errorMsg": "余额不足"}]}),
    flat(response={"code": 0, "msg": "ok", "data": {"results": [{"success": False, "errorMsg": "no"}]}}),
    flat(response={"code": 0, "msg": "ok", "data": {"results": None}}),
    flat(response={"code": 0, "msg": "ok", "data": {"r\\u0065sults": 1}}),
    flat(response={"code": 0, "msg": "ok", "data": [{"success": True}]}), flat(response={"code": 0, "msg": "ok", "data": 5}),
    flat(response=json.dumps({"code": 0, "msg": "ok", "data": {"results": [{"success": False}]}})),
    flat(elapsed_ms=..., latency_ms=12), flat(elapsed_ms=..., duration_ms=12.5), flat(elapsed_ms=..., elapsed=0.25),
    flat(elapsed_ms="41.5"), flat(elapsed_ms=True), flat(elapsed_ms=None, elapsed=2), flat(elapsed_ms=10**30),
    flat(market="futures"), flat(market=3), flat(symbol="AAPL"), flat(symbol=""), flat(symbol=5),
    flat(params={"symbol": "TSLA"}), flat(params={"symbol": ""}), flat(params='{"symbol": "TSLA"}'), flat(params=[1]),
    flat(request={"params": {"symbol": "NVDA"}}), flat(request={"body": {"symbol": "NVDA"}}),
    flat(request={"body": '{"symbol": "NVDA"}'}), flat(request={"body": {"symbol": 5}}), flat(request={"body": [1]}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": "1794787206649"}}), flat(request={"headers": {"access-timestamp": "1"}}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": 1794787206649}}), flat(request={"headers": {"ACCESS-TIMESTAMP": " 17 "}}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": "9" * 25}}), flat(request={"headers": {}}),
    flat(request={"headers": [["ACCESS-TIMESTAMP", "1794787206649"]]}), flat(request="GET /x"),
    # the bot and the key: the record's own fields, the ACCESS-KEY header (in any case, masked, not text)
    flat(bot="spot-mm"), flat(bot=5), flat(bot=""), flat(key_id="k-0a1b2c3d"), flat(key_id="raw"), flat(key_id=5),
    flat(key_id=""), flat(request={"headers": {"ACCESS-TIMESTAMP": "1794787206649", "ACCESS-KEY": KEY}}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": "1794787206649", "access-key": KEY}}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": "1794787206649", "ACCESS-KEY": "***"}}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": "1794787206649", "ACCESS-KEY": [KEY]}}),
    flat(request={"headers": {"ACCESS-TIMESTAMP": "1794787206649", "ACCESS-KEY": 5}}),
    flat(key_id="k-0a1b2c3d", request={"headers": {"ACCESS-TIMESTAMP": "1", "ACCESS-KEY": KEY}}),
    nested(bot="futures-arb", key_id="k-0a1b2c3d"), nested(bot=["x"]),
    flat(response_headers={"Date": "Fri, 20 Nov 2026 21:05:03 GMT"}), flat(response_headers={"date": "Fri, 20 Nov 2026"}),
    flat(response_headers={"Date": ["Fri, 20 Nov 2026 21:05:03 GMT"]}), flat(response_headers={"Date": 5}),
    flat(response_headers={}), flat(response_headers=[{"name": "Date", "value": "Fri, 20 Nov 2026 21:05:03 GMT"}]),
    nested(status=None, body=None, error="ConnectTimeout"), nested(status=502, body="<html>bad gateway</html>"),
    nested(status=200, body=json.dumps(OK)), nested(body=[{"a": 1}]), nested(body=None),
    nested(status_code=429, status=None), {**nested(), "response": {"status_code": 429, "body": OK}},
    {**nested(), "response": {"status": 200, "response_body": OK}}, {**nested(), "response": {"status": 200, "text": "hi"}},
    {**nested(), "response": {"status": 200, "content": OK, "headers": {"DATE": "Fri, 20 Nov 2026 21:05:03 GMT"}}},
    {**nested(), "request": {"uri": FUTURES, "method": "GET"}}, {**nested(), "request": {"url": None, "path": "/x"}},
    {"request": {"method": "GET", "url": FUTURES, "ts": T}, "response": {"status": 200, "body": OK}},
    {**nested(), "request": {"method": None, "url": FUTURES}}, {**nested(), "request": {"method": "GET", "url": FUTURES,
                                                                                    "params": {"symbol": "X"}}},
    # secrets echoed back in a message or an error
    flat(response={"code": 1001, "msg": f"bad key {KEY}"}, request={"headers": {"ACCESS-KEY": KEY}}),
    nested(status=401, body={"code": 401, "msg": f"signature {SIGN} mismatch"}),
    flat(status=None, error=f"failed with key={KEY}", request={"headers": {"ACCESS-KEY": KEY}}),
    flat(response={"code": 1, "msg": "order 12345678 rejected"}),
    # structured loggers, access logs
    {"timestamp": T, "level": "INFO", "logger": "freqtrade.exchange", "message": "GET " + SPOT + " 429 Too Many"},
    {"asctime": T, "levelname": "INFO", "message": "Bot heartbeat: version=2024.1, state='RUNNING'"},
    {"timestamp": T, "message": "startup"}, {"ts": T, "msg": "POST " + FUTURES + " 500"},
    {"level": "info", "ts": 1763672700.5, "logger": "http.log.access.log0", "msg": "handled request",
     "request": {"method": "GET", "uri": "/api/v1/stock/open-api/ticker", "host": "x"}, "status": 200, "duration": 0.01},
    {"StartUTC": T, "RequestMethod": "GET", "RequestPath": "/api/v1/x", "RequestHost": "h", "DownstreamStatus": 200,
     "Duration": 1200000},
    flat(logger=None), flat(RequestPath=None),
]

RAW_LINES = [
    b"", b"   ", b"\r", b"\xef\xbb\xbf" + orjson.dumps(flat()), b"\xef\xbb\xbf", orjson.dumps(flat()) + b"\r",
    b"not json", b"{broken", b"[1, 2]", b'"text"', b"42", b"null", b"true", b"{}",
    orjson.dumps(flat()).replace(b"success", b"succ\xffess"), orjson.dumps(flat()).replace(b'"1"', b'"\xff"'),
    orjson.dumps(flat()).replace(b"success", b"succ\x00ess"), orjson.dumps(flat()) + b"\x00",
    orjson.dumps(flat()).replace(b'"1"', b'"\\ud800"'), orjson.dumps(flat()).replace(b'"1"', b'"\\udc00x"'),
    orjson.dumps(flat()).replace(b'"1"', b'"\\ud83d\\ude00"'), orjson.dumps(flat()).replace(b"success", b"\\ud800"),
    orjson.dumps(flat()).replace(b'"1"', b"1e400"), orjson.dumps(flat()).replace(b'"1"', b"-1E+400"),
    orjson.dumps(flat()).replace(b'"1"', b"1e-400"), orjson.dumps(flat()).replace(b'"1"', b"9" * 400),
    orjson.dumps(flat()).replace(b'"1"', b"9" * 25), orjson.dumps(flat()).replace(b"41.5", b"1e400"),
    orjson.dumps(flat()).replace(b'"1"', b"[" * 1100 + b"]" * 1100),
    orjson.dumps(flat()).replace(b'"1"', b"[" * 600 + b"]" * 600),
    orjson.dumps(flat()).replace(b"}", b"}", 1)[:-1] + b', "status": 503}',  # a duplicate key: the last one counts
    orjson.dumps(flat()) + orjson.dumps(flat()), orjson.dumps(flat()) + b"," + orjson.dumps(flat()),
    orjson.dumps(flat(response={"code": 0, "msg": "ok", "data": {"x": 1}})).replace(b'"x"', b'"r\\u0065sults"'),
    orjson.dumps(flat()).replace(b'"ts"', b'"t\\u0073"'), orjson.dumps(flat()).replace(b'"status"', b'"st\\u0061tus"'),
    json.dumps(flat(response={"code": 0, "msg": "成功"}), ensure_ascii=True).encode(),
    json.dumps(flat(response={"code": 0, "msg": "成功"}), ensure_ascii=False).encode(),
    b'{"ts": "' + T.encode() + b'", "url": "' + SPOT.encode() + b'", "status": 200, "response": {"code": 0, "msg": "ok"}}',
]


def dump(rec) -> bytes:
    try:
        return orjson.dumps(rec)
    except TypeError:  # integers beyond 64 bits: written as Python writes them
        return json.dumps(rec).encode()


def corpus() -> list[bytes]:
    return [dump(r) for r in RECORDS] + RAW_LINES


def test_the_corpus_loads_the_same_both_ways(tmp_path, monkeypatch):
    load = assert_same(lines_file(tmp_path / "odd.jsonl", corpus()), monkeypatch)
    assert len(load.frame) > 100 and len(load.rejects) > 20 and load.skips["count"].sum() > 0


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_line_ends_and_a_last_line_without_one(tmp_path, monkeypatch, end):
    path = lines_file(tmp_path / "odd.jsonl", corpus(), end=end)
    assert_same(path, monkeypatch)
    path.write_bytes(path.read_bytes().rstrip(end))
    assert_same(path, monkeypatch)


def test_gzip_and_a_leading_bom(tmp_path, monkeypatch):
    lines = corpus()
    lines[0] = b"\xef\xbb\xbf" + lines[0]
    assert_same(lines_file(tmp_path / "odd.jsonl.gz", lines, gz=True), monkeypatch)


def test_a_fields_mapping_reads_the_same(tmp_path, monkeypatch):
    recs = [{"when": T, "where": SPOT, "http": {"code": 429}, "resp": OK}, {"when": T, "where": SPOT}] + RECORDS[:5]
    assert_same(lines_file(tmp_path / "mapped.jsonl", recs), monkeypatch,
                fields={"time": "when", "url": "where", "status": "http.code", "body": "resp"})


def parse_pieces(data: bytes, cut: int):
    """Parse ``data`` as :mod:`toolkit.dask` and the store's ingest do: in byte ranges of whole lines."""
    options = read_options(format="jsonl")
    pieces, start = [], 0
    while start < len(data):
        end = data.find(b"\n", min(start + cut, len(data) - 1))
        end = len(data) if end < 0 else end + 1
        pieces.append(reader.parse_chunk(data[start:end], "s", options))
        start = end
    return pieces


@pytest.mark.parametrize("cut", [1, 700, 5000])
def test_byte_ranges_carry_line_numbers_on(monkeypatch, cut):
    data = b"\n".join(corpus()) + b"\n"
    got = {}
    for on in (True, False):
        monkeypatch.setattr(fast, "ENABLED", on)
        pieces = parse_pieces(data, cut)
        off, lines, rejects = 0, [], []
        for p in pieces:
            lines.extend((f["line"] + off).tolist() for f in p.frames)
            rejects.extend((line + off, why, text) for line, why, text in p.rejects)
            off += p.size
        frames = pd.concat([f.drop(columns="line") for p in pieces for f in p.frames], ignore_index=True)
        got[on] = frames, lines, sorted(rejects), [(p.blank, p.skipped, dict(p.skip_reasons), p.size) for p in pieces]
    pd.testing.assert_frame_equal(got[True][0], got[False][0])
    assert got[True][1:] == got[False][1:]


def test_the_sample_loads_the_same_and_mostly_the_fast_way(monkeypatch):
    for path in sorted(SAMPLE.glob("*.jsonl.gz")):
        assert_same(path, monkeypatch)
        data = gzip.decompress(path.read_bytes())
        taken = []
        fast.read(data, fast.line_bounds(data), 1, taken.append, lambda raw, line: None)
        assert len(taken) > 0.9 * data.count(b"\n"), path.name


REAL = sorted(p for p in CORPUS.glob("*") if p.name.endswith((".jsonl", ".log", ".log.gz", ".json"))) if CORPUS.is_dir() else []


@pytest.mark.skipif(not REAL, reason="../shared/realworld/corpus is not here")
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_recordings_load_the_same(monkeypatch, path):
    assert_same(path, monkeypatch)


def fast_read(raw: bytes) -> str:
    """Which path reads one line: "fast" or "general"."""
    got = []
    data = raw + b"\n"
    fast.read(data, fast.line_bounds(data), 1, lambda row: got.append("fast"), lambda raw, line: got.append("general"))
    return got[0]


def test_the_fast_path_refuses_what_it_cannot_be_sure_of():
    good = orjson.dumps(flat())
    assert fast_read(good) == "fast"
    for raw in (good.replace(b'"1"', b'"\xff"'), good.replace(b"41.5", b"1e400"),
                orjson.dumps(flat(response={"code": 0, "msg": "ok", "data": {"results": []}})),
                orjson.dumps(flat(response_headers={"date": "x"})), orjson.dumps(flat(logger="x")),
                orjson.dumps(flat(logger=None)), orjson.dumps(flat(status=700)), orjson.dumps(flat(ts=2**63)),
                dump(flat(response={"code": 2**63, "msg": "x"}))):
        assert fast_read(raw) == "general", raw


scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**65), 2**65), st.floats(allow_nan=False),
                    st.text(max_size=8), st.sampled_from(["GET", "post", "", "1763672700", T, SPOT, "/x", "429"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(
                                                           ["code", "msg", "message", "error", "data", "results",
                                                            "success", "symbol", "Date", "ACCESS-TIMESTAMP", "ACCESS-KEY",
                                                            "status",
                                                            "body", "headers", "url", "method"]), inner, max_size=4)),
                      max_leaves=8)
KEYS = ["ts", "timestamp", "time", "@timestamp", "method", "url", "uri", "path", "status", "status_code",
        "http_status", "response", "body", "response_body", "response_headers", "error", "elapsed_ms",
        "latency_ms", "duration_ms", "elapsed", "market", "symbol", "params", "request", "logger", "bot", "key_id"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.builds(lambda extra: {**flat(), **extra}, st.dictionaries(st.sampled_from(KEYS), values, max_size=3)),
    st.builds(lambda extra: {**nested(), **extra}, st.dictionaries(st.sampled_from(KEYS), values, max_size=3)),
    st.builds(lambda resp: nested(**{"response": resp}), st.dictionaries(st.sampled_from(
        ["status", "status_code", "body", "headers", "text"]), values, max_size=3)),
    st.builds(lambda body: flat(response=body), values)), min_size=1, max_size=12))
def test_generated_records_load_the_same(tmp_path, monkeypatch, records):
    assert_same(lines_file(tmp_path / "gen.jsonl", [dump(r) for r in records]), monkeypatch)
