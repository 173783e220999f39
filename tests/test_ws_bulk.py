"""WebSocket lines read many at once give exactly what reading them one at a time gives.

websocket-client's frame lines and ccxt pro's ``message``/``sending`` lines are found for a whole log at once
(``toolkit/read/formats/_wsfast.py``); the recorder's JSON Lines are decoded many at once
(``toolkit/read/_wsrecorded.py``). Each file here is read both ways, the bulk way switched off by monkeypatching,
and the loads must be equal: the same rows, rejects and skips. The files are the corpus writers' shapes
(``tests/wscorpus.py``, whose docstrings say where each shape comes from) with the lines a real log also holds
mixed in: CRLF endings, tracebacks, a header block left open, a time that does not parse, escaped payloads.
"""

from __future__ import annotations

import json
import random
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from toolkit.read import _wsrecorded
from toolkit.read.formats import _wsfast

from tests import wscorpus

WRITERS = {"websocket-client.log": wscorpus.websocket_client_log, "ccxt.log": wscorpus.ccxt_log,
           "websockets.log": wscorpus.websockets_log, "recorder.jsonl": wscorpus.recorder_jsonl}

#: Lines a real log holds besides its frames, and frame lines the general reading treats in its own way.
ODD = [
    "Traceback (most recent call last):", '  File "bot.py", line 3, in <module>', "", "   ", "\r", "\u00a0",
    "2026-03-02 08:15:02,417 INFO GET https://api9528mystks.mystonks.org/api/v1/spot/time 200",
    "2026-13-02 08:15:02,417 DEBUG ++Rcv decoded: fin=1 opcode=1 data=b'{\"event\":\"pong\"}'",
    "9026-03-02 08:15:02,417 DEBUG ++Rcv decoded: fin=1 opcode=1 data=b'{\"event\":\"pong\"}'",
    "2026-03-02 08:15:02,417 DEBUG ++Rcv decoded: fin=1 opcode=1 data=b''",
    "2026-03-02 08:15:02,417 DEBUG ++Rcv decoded: fin=0 opcode=1 data=b'{}'",
    "2026-03-02 08:15:02,417 ++Rcv decoded: fin=1 opcode=1 data=b'{\"logger\":\"websockets.client\"}'",
    "2026-03-02 08:15:02,417 DEBUG ++Sent decoded: fin=1 opcode=1 data=b'{\"a\":\"++Rcv raw: x\"}'",
    "2026-03-02 08:15:02,417 DEBUG ++Sent decoded: fin=1 opcode=1 data=b'{\"a\":\"connect failed; reconnecting in 3.1 "
    "seconds: HTTP 502\"}'",
    "2026-03-02 08:15:02,417 DEBUG ++Rcv decoded: fin=1 opcode=1 data=b'{\"message\":\"\\xe8\\xae\\xa2\"}'",
    "2026-03-02 08:15:02,417 DEBUG ++Sent decoded: fin=1 opcode=1 data=b'{\"a\":1}'  ",
    "2026-03-02 08:15:02,417 DEBUG --- request header ---", "2026-03-02 08:15:02,417 DEBUG --- response header ---",
    "2026-03-02 08:15:02,417 DEBUG -----------------------", "2026-03-02 08:15:02,417 INFO Websocket connected",
    "2026-03-02 08:15:02,417 DEBUG ++Rcv raw: b'\\x81~\\x00\\x9c...'",
    "2026-03-02 08:15:02,417 DEBUG Connection closed (code 1012)",
    "2026-03-02T08:15:02.417Z receive loop\r\r", "2026-03-02T08:15:02.417Z message \r",
    "2026-03-02T08:15:02.417Z message ",
    "2026-03-02T08:15:02.417Z sending {'action': 'ping', 'id': None}", "2026-03-02T08:15:02.417Z sending not a dict",
    "2026-02-30T08:15:02.417Z message {\"event\":\"pong\",\"time\":1772439302400}",
    "2026-03-02T08:15:02.417Z on_close 1006", "2026-03-02T08:15:02.417Z connected",
    "2026-03-02 08:15:02,417 - 1234 - hummingbot.connector.derivative.binance_perpetual - INFO - Subscribed to "
    "public order book and trade channels...",
]


def load(path, bulk: bool, monkeypatch):
    """The load of ``path``, its WebSocket lines read many at once (the readers' way) or one at a time."""
    with monkeypatch.context() as m:
        if not bulk:
            m.setattr(_wsfast, "scan", lambda text: None)
            m.setattr(_wsrecorded.RecordedLines, "__call__", lambda self, raw, line: self.general(raw, line))
            m.setattr(_wsrecorded.RecordedLines, "runs", staticmethod(lambda data, starts: [(0, len(starts), False)]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return toolkit.read_logs(path)


def assert_same(path, monkeypatch):
    bulk, single = load(path, True, monkeypatch), load(path, False, monkeypatch)
    pd.testing.assert_frame_equal(bulk.websocket, single.websocket)
    pd.testing.assert_frame_equal(bulk.rejects, single.rejects)
    pd.testing.assert_frame_equal(bulk.report, single.report)
    pd.testing.assert_frame_equal(bulk.frame, single.frame)
    return bulk


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_clean_recording_reads_the_same_many_lines_at_once(name, tmp_path, monkeypatch):
    path = tmp_path / name
    WRITERS[name](wscorpus.spot_feed(), path)
    got = assert_same(path, monkeypatch)
    assert len(got.websocket) > 400 and len(got.rejects) == 0


@pytest.mark.parametrize("name", ["websocket-client.log", "ccxt.log"])
@pytest.mark.parametrize("variant", ["crlf", "odd lines", "open header block", "two shapes"])
def test_a_log_with_the_lines_of_real_logs_reads_the_same_many_lines_at_once(name, variant, tmp_path, monkeypatch):
    rng = random.Random(f"{name} {variant}")
    WRITERS[name](wscorpus.spot_feed(), tmp_path / "clean")
    lines = (tmp_path / "clean").read_text().split("\n")
    if variant == "crlf":
        lines = [line + "\r" for line in lines]
    elif variant == "odd lines":
        for odd in ODD * 2:
            lines.insert(rng.randrange(len(lines) + 1), odd)
    elif variant == "open header block":  # websocket-client's blocks end with a line of dashes: one is lost
        lines = [line for line in lines if not line.startswith("-------")] + ODD
    else:
        other = "ccxt.log" if name == "websocket-client.log" else "websocket-client.log"
        WRITERS[other](wscorpus.futures_feed(), tmp_path / "other")
        lines = [x for pair in zip(lines, (tmp_path / "other").read_text().split("\n")) for x in pair]
    (tmp_path / name).write_text("\n".join(lines))
    got = assert_same(tmp_path / name, monkeypatch)
    if variant == "odd lines":  # times that do not parse are rejects, not errors
        assert "WebSocket line without a time" in set(got.rejects["reason"])


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.sampled_from(range(len(ODD))), max_size=30), seed=st.integers(0, 2**32),
       name=st.sampled_from(sorted(WRITERS)))
def test_any_mixture_of_frame_lines_and_odd_lines_reads_the_same(picks, seed, name, tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("mix") / name
    WRITERS[name](wscorpus.futures_feed(), path)
    lines = path.read_text().split("\n")
    rng = random.Random(seed)
    for k in picks:
        lines.insert(rng.randrange(len(lines) + 1), ODD[k])
    path.write_text("\n".join(lines))
    assert_same(path, monkeypatch)


def _recorder_lines(tmp_path) -> list[dict]:
    wscorpus.recorder_jsonl(wscorpus.spot_feed(), tmp_path / "clean.jsonl")
    return [json.loads(line) for line in (tmp_path / "clean.jsonl").read_text().splitlines()]


#: Values of other types than the recorder writes, for any of its keys.
STRANGE = [None, True, 0, -5, 1.5, 2**63, 2**64 + 5, 10**30, "", "x", [], {}, 1772439302, 1772439302.25, 1e10,
           "2026-03-02T08:15:02+02:00", "2026-03-02 08:15:02", "2026-03-02T08:15:02.1234567891Z",
           "2026-02-30T08:15:02Z", "9026-03-02T08:15:02Z", 2, 8, 9, "sent", "event", "open", "close"]
KEYS = ["ts", "ws", "connection", "url", "bot", "market", "event", "code", "status", "size", "opcode", "data",
        "reason", "error"]


def test_recorder_lines_of_any_types_among_rest_calls_read_the_same_many_at_once(tmp_path, monkeypatch):
    rng = random.Random(11)
    records = _recorder_lines(tmp_path)
    rest = {"ts": "2026-03-02T08:15:03.100Z", "method": "GET", "url": "https://api9528mystks.mystonks.org/api/v1/"
            "spot/time", "status": 200, "body": {"code": 0, "data": {"serverTime": 1772439303090}}, "elapsed_ms": 12}
    lines = []
    for i in range(4000):
        # a REST call (but for a long run of WebSocket lines in the middle); now and then one naming ws inside, read
        # the general way (its time taken a string)
        if i % 3 == 0 and not 2000 <= i < 3000:
            call = dict(rest, elapsed_ms=i)  # one time for all: their order is the order they are read in
            if i % 30 == 0:
                call.update(elapsed_ms=str(i), params={"ws": "sent"})
            lines.append(json.dumps(call))
            continue
        rec = dict(rng.choice(records))
        if rng.random() < 0.3:
            rec[rng.choice(KEYS)] = rng.choice(STRANGE)
        spaced = rng.random() < 0.5  # the corpus writer's json.dumps, or the recorder's compact orjson.dumps
        text = json.dumps(rec, ensure_ascii=rng.random() < 0.5, separators=(", ", ": ") if spaced else (",", ":"))
        if rng.random() < 0.03:
            text = text[:rng.randrange(len(text))]  # cut short
        lines.append(text)
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    got = assert_same(tmp_path / "mixed.jsonl", monkeypatch)
    assert len(got.frame) == sum('"method"' in line for line in lines) and len(got.websocket) > 2500
    assert {"WebSocket line has no time", "WebSocket frame has no text data"} <= set(got.rejects["reason"])


def test_a_time_or_a_number_no_column_holds_is_a_reject_or_na_not_an_error(tmp_path):
    base = {"ws": "received", "connection": "c1", "url": "wss://api9528mystks.mystonks.org/api/v1/spot/ws"}
    lines = [dict(base, ts="9026-03-02T08:15:02Z", data="{}"), dict(base, ts=1e12, data="{}"),
             dict(base, ts="2026-03-02T08:15:02Z", opcode=8, code=2**40),
             dict(base, ts="2026-03-02T08:15:03Z", data='{"event":"pong"}', size=2**62)]
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (tmp_path / "ccxt.log").write_text(
        "2026-03-02T08:15:02.000Z connecting to wss://api9528mystks.mystonks.org/api/v1/spot/ws with timeout 10000 ms\n"
        "2026-03-02T08:15:02.090Z connected\n"
        "9026-03-02T08:15:02.095Z message {\"event\":\"pong\",\"time\":1772439302092}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        feed, log = toolkit.read_logs(tmp_path / "feed.jsonl"), toolkit.read_logs(tmp_path / "ccxt.log")
    assert feed.rejects["reason"].tolist() == ["WebSocket line has no time"] * 2
    assert feed.websocket["kind"].tolist() == ["close", "pong"]
    assert feed.websocket["close_code"].isna().all() and feed.websocket["size"].tolist() == [pd.NA, 2**62]
    assert log.rejects["reason"].tolist() == ["WebSocket line without a time"]
    assert log.websocket["kind"].tolist() == ["open"]


@pytest.mark.parametrize("time", [1e30, 9.3e15, 10**40])
def test_a_har_frame_time_no_timestamp_holds_is_a_reject_not_an_error(time, tmp_path):
    # Chrome's HAR export: _webSocketMessages on the 101 entry, each with type, time (epoch s), opcode, data
    har = {"log": {"version": "1.2", "entries": [{
        "startedDateTime": "2026-11-18T14:00:00.000Z", "time": 5,
        "request": {"method": "GET", "url": "wss://api9528mystks.mystonks.org/api/v1/spot/ws", "headers": []},
        "response": {"status": 101, "headers": []},
        "_webSocketMessages": [{"type": "receive", "time": time, "opcode": 1, "data": '{"e":"ticker"}'},
                               {"type": "receive", "time": 1763474400.5, "opcode": 1, "data": '{"e":"ticker"}'}]}]}}
    (tmp_path / "feed.har").write_text(json.dumps(har))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load = toolkit.read_logs(tmp_path / "feed.har")
    assert load.rejects["reason"].tolist() == ["WebSocket message has no time"]
    assert load.websocket["kind"].astype(str).tolist() == ["open", "other"]
