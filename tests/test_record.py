"""Recording real calls through requests against a local exchange on 127.0.0.1, then loading them back."""

import gzip
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import orjson
import pandas as pd
import pytest
import requests

import toolkit
from tests.local_exchange import CUT, MOVED, SLOW, LocalExchange, refused_url
from toolkit.errors import ParameterError, ParameterTypeError
from toolkit.record import _core as record

SECRET_KEY = "ak-LIVE-3f9a2c7d1e"
SECRET_SIGN = "c2lnbmF0dXJlLXNlY3JldA=="
SECRET_PASS = "hunter2-passphrase"
HEADERS = {"ACCESS-KEY": SECRET_KEY, "ACCESS-SIGN": SECRET_SIGN, "ACCESS-TIMESTAMP": "1795208700000",
           "X-Api-Token": SECRET_PASS}

#: (method, path, expected category, expected reason)
CALLS = [
    ("GET", "/api/v1/stock/open-api/depth", "ok", "ok"),
    ("POST", "/api/v1/stock/open-api/order", "insufficient_funds", "insufficient_balance"),
    ("GET", "/api/v1/stock/open-api/orderDetail", "not_found", "order_not_found"),
    ("POST", "/api/v1/futures/open-api/order/create", "insufficient_funds", "insufficient_margin"),
    ("GET", "/api/v1/futures/open-api/ticker/BTCUSDT", "rate_limit", "rate_limited"),
    ("POST", "/api/v1/futures/open-api/position/current", "auth", "timestamp_expired"),
    ("GET", "/api/v1/futures/open-api/kline", "server_error", "gateway_error"),
    ("GET", "/api/v1/futures/open-api/orderbook/BTCUSDT", "upstream_error", "third_party_error"),
    ("GET", "/api/v1/stock/open-api/ticker", "malformed", "not_json"),
]


@pytest.fixture(scope="module")
def exchange():
    with LocalExchange() as ex:
        yield ex


def lines(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def call(session, base, method, path, **kw):
    return session.request(method, base + path, headers=HEADERS, timeout=kw.pop("timeout", 5),
                           params={"symbol": "AAPL", "apiKey": SECRET_KEY, "signature": SECRET_SIGN},
                           json={"symbol": "AAPL", "quantity": "1", "password": SECRET_PASS} if method == "POST" else None,
                           **kw)


def test_recorded_calls_load_back_with_the_expected_categories(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    with toolkit.recording_session(path) as s:
        for method, p, _, _ in CALLS:
            call(s, exchange.url, method, p)
    load = toolkit.read_logs(path)
    assert load.rejects.empty and len(load.frame) == len(CALLS)
    df = load.frame
    assert df[["category", "reason"]].values.tolist() == [[c, r] for _, _, c, r in CALLS]
    assert df["market"].astype(str).tolist() == ["spot"] * 3 + ["futures"] * 5 + ["spot"]
    # the futures ticker and order book carry their symbol in the path, which wins over the query's
    assert df["symbol"].tolist() == ["BTCUSDT" if "{symbol}" in e else "AAPL" for e in df["endpoint"].astype(str)]
    assert (df["latency_ms"] > 0).all()
    assert df["client_ts"].notna().all() and df["server_ts"].notna().all()  # ACCESS-TIMESTAMP and Date kept
    first = lines(path)[0]
    assert first["ts"].endswith("Z") and first["market"] == "spot"
    assert first["body"] == {"code": 0, "msg": "success", "data": {"bids": [["189.1", "5"]], "asks": []}}
    assert first["request"]["headers"]["ACCESS-TIMESTAMP"] == "1795208700000"


def test_no_secret_reaches_the_file(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    s = toolkit.attach_recorder(requests.Session(), path)
    s.auth = ("trader", SECRET_PASS)  # an Authorization header too
    s.headers["Referer"] = f"https://trade.exchange.example/?apiKey={SECRET_KEY}"  # a secret in a value
    for method, p, _, _ in CALLS:
        call(s, exchange.url, method, p)
    with pytest.raises(requests.ConnectionError):
        call(s, refused_url(), "POST", "/api/v1/futures/open-api/position/current")
    s.close()
    data = path.read_text()
    for secret in (SECRET_KEY, SECRET_SIGN, SECRET_PASS):
        assert secret not in data
    rec = lines(path)[1]
    assert rec["url"].endswith("?symbol=AAPL&apiKey=***&signature=***")
    assert {k: rec["request"]["headers"][k] for k in ("ACCESS-KEY", "ACCESS-SIGN", "X-Api-Token", "Authorization")} == {
        "ACCESS-KEY": "***", "ACCESS-SIGN": "***", "X-Api-Token": "***", "Authorization": "***"}
    assert rec["request"]["body"] == {"symbol": "AAPL", "quantity": "1", "password": "***"}
    # the server did receive the real values: only the recording is masked
    assert any(h.get("ACCESS-KEY") == SECRET_KEY for _, _, h in exchange.seen)


@pytest.mark.parametrize("target,exc_type,reason", [
    ("slow", requests.ReadTimeout, "timeout"),
    ("refused", requests.ConnectionError, "connection_error"),
    ("cut", requests.exceptions.ChunkedEncodingError, "transport_error"),
])
def test_failures_are_recorded_and_the_exception_reaches_the_caller_unchanged(tmp_path, exchange, target,
                                                                              exc_type, reason):
    base, path = {"slow": (exchange.url, SLOW), "refused": (refused_url(), "/api/v1/futures/open-api/position/current"),
                  "cut": (exchange.url, CUT)}[target]
    with pytest.raises(exc_type) as plain:
        call(requests.Session(), base, "GET", path, timeout=0.2)
    rec_path = tmp_path / "calls.jsonl"
    with toolkit.recording_session(rec_path) as s, pytest.raises(exc_type) as recorded:
        call(s, base, "GET", path, timeout=0.2)
    assert type(recorded.value) is type(plain.value)
    assert str(recorded.value) == str(plain.value)
    [rec] = lines(rec_path)
    assert rec["status"] is None and rec["error"].startswith(type(plain.value).__name__ + ": ")
    assert SECRET_KEY not in rec["error"] and "apiKey=***" in rec["url"]
    df = toolkit.load_logs(rec_path)
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("transport", reason)


def test_many_threads_share_one_session_without_torn_lines(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    s = toolkit.attach_recorder(requests.Session(), path)
    refused = refused_url()
    jobs = [CALLS[i % len(CALLS)] for i in range(360)]

    def work(i):
        method, p, _, _ = jobs[i]
        if i % 60 == 59:
            with pytest.raises(requests.ConnectionError):
                call(s, refused, "POST", "/api/v1/futures/open-api/position/current")
            return "transport"
        return call(s, exchange.url, method, p).status_code

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(len(jobs))))
    s.close()
    raw = path.read_bytes()
    assert raw.count(b"\n") == len(jobs) and raw.endswith(b"\n")
    recs = lines(path)  # every line parses: nothing interleaved or torn
    assert len(recs) == len(jobs)
    load = toolkit.read_logs(path)
    assert load.rejects.empty and len(load.frame) == len(jobs)
    counts = load.frame["category"].astype(str).value_counts()
    assert counts["transport"] == results.count("transport") == 6
    expected_ok = sum(1 for i, (_, _, c, _) in enumerate(jobs) if c == "ok" and i % 60 != 59)
    assert counts["ok"] == expected_ok
    assert SECRET_KEY.encode() not in raw and SECRET_SIGN.encode() not in raw


def test_responses_reach_the_caller_intact_and_stream_is_not_consumed(tmp_path, exchange):
    with toolkit.recording_session(tmp_path / "calls.jsonl") as s:
        r = call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth")
        assert r.json()["data"]["bids"] == [["189.1", "5"]]
        r = call(s, exchange.url, "POST", "/api/v1/futures/open-api/order/create")  # gzip-encoded by the server
        assert r.json() == {"code": 8018, "message": "Insufficient margin"}
        streamed = call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth", stream=True)
        assert orjson.loads(b"".join(streamed.iter_content(16)))["code"] == 0
    recs = lines(tmp_path / "calls.jsonl")
    assert recs[1]["body"] == {"code": 8018, "message": "Insufficient margin"}
    assert "body" not in recs[2] and recs[2]["status"] == 200


def test_each_redirect_hop_is_one_line(tmp_path, exchange):
    with toolkit.recording_session(tmp_path / "calls.jsonl") as s:
        r = call(s, exchange.url, "GET", MOVED)
    assert r.status_code == 200 and [h.status_code for h in r.history] == [302]
    recs = lines(tmp_path / "calls.jsonl")
    hops = [(rec["status"], rec["url"].split("?")[0].rsplit("/", 1)[-1]) for rec in recs]
    assert hops == [(302, "priceSteps"), (200, "depth")]


def test_rotation_by_size_keeps_every_call_loadable(tmp_path, exchange):
    folder = tmp_path / "rec"
    with toolkit.recording_session(folder / "calls.jsonl", max_bytes=4000) as s:
        for i in range(30):
            method, p, _, _ = CALLS[i % len(CALLS)]
            call(s, exchange.url, method, p)
    files = sorted(folder.iterdir())
    assert len(files) > 3
    assert files[-1].name == "calls.jsonl"
    assert all(re.fullmatch(r"calls\.20\d{6}T\d{6}\.\d{3}Z(-\d+)?\.jsonl", f.name) for f in files[:-1])
    assert all(f.stat().st_size <= 4000 for f in files)
    load = toolkit.read_logs(folder)
    assert len(load.frame) == 30 and load.rejects.empty
    assert load.frame.sort_values("ts")["reason"].tolist() == [CALLS[i % len(CALLS)][3] for i in range(30)]


def test_daily_rotation_names_files_by_their_first_call(tmp_path, exchange, monkeypatch):
    clock = iter([1795219199.0, 1795219199.5, 1795219200.25, 1795219201.0, 1795305600.0])  # across two midnights
    monkeypatch.setattr(record, "_now", lambda: next(clock))
    folder = tmp_path / "rec"
    with toolkit.recording_session(folder / "calls.jsonl", rotate="daily") as s:
        for _ in range(5):
            call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth")
    assert sorted(p.name for p in folder.iterdir()) == [
        "calls.20261120T235959.000Z.jsonl", "calls.20261121T000000.250Z.jsonl", "calls.jsonl"]
    assert [len(lines(folder / n)) for n in sorted(p.name for p in folder.iterdir())] == [2, 2, 1]
    assert len(toolkit.load_logs(folder)) == 5


def test_rotation_goes_on_from_an_existing_file(tmp_path, exchange, monkeypatch):
    path = tmp_path / "calls.jsonl"
    path.write_bytes(orjson.dumps({"ts": "2026-11-19T10:00:00Z", "url": "/api/v1/x", "status": 200}) + b"\n")
    monkeypatch.setattr(record, "_now", lambda: 1795208700.0)  # 2026-11-20
    with toolkit.recording_session(path, rotate="daily") as s:
        call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.20261119T100000.000Z.jsonl", "calls.jsonl"]


def test_a_recorder_that_cannot_write_warns_once_and_keeps_trying(tmp_path, exchange):
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the recording's folder should be")
    path = blocker / "calls.jsonl"
    s = toolkit.attach_recorder(requests.Session(), path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        codes = [call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    assert [w.category for w in caught] == [toolkit.RecordingWarning]
    assert f"cannot write the recording {path}" in str(caught[0].message)
    blocker.unlink()  # the disk is fixed: the next call is recorded
    call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth")
    s.close()
    assert len(lines(path)) == 1
    assert s._toolkit_recorder.writer.lost == 3


def test_a_full_disk_does_not_break_calls(exchange):
    s = toolkit.attach_recorder(requests.Session(), "/dev/full")
    with pytest.warns(toolkit.RecordingWarning, match="No space left on device"):
        for _ in range(2):
            assert call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth").status_code == 200
    s.close()


def test_market_override_and_rules(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    with toolkit.recording_session(path, market="futures") as s:
        call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth")
    with toolkit.recording_session(path, market_rules={"spot": r"/futures/"}) as s:
        call(s, exchange.url, "POST", "/api/v1/futures/open-api/position/current")
        call(s, exchange.url, "GET", "/api/v1/stock/open-api/depth")
    assert [r.get("market") for r in lines(path)] == ["futures", "spot", None]


def test_big_bodies_are_cut_but_keep_their_envelope(tmp_path):
    rec = record.Recorder(None, None, [], max_body=100)
    big = orjson.dumps({"code": 0, "msg": "success", "data": ["x" * 50] * 10})
    assert rec._body(big, "application/json") == {"code": 0, "msg": "success",
                                                    "data": f"{len(big):,} bytes, cut by the recorder"}
    page = b"<html>" + b"a" * 500 + b"</html>"
    assert rec._body(page, "text/html") == "<html>" + "a" * 94 + f"… ({len(page):,} bytes, cut by the recorder)"
    assert rec._body(b"apiKey=ak-1&symbol=AAPL", "application/x-www-form-urlencoded") == "apiKey=***&symbol=AAPL"
    assert rec._body(gzip.compress(b"x"), None).startswith("\x1f")


def test_bad_arguments_are_clear_errors(tmp_path):
    s = toolkit.recording_session(tmp_path / "a.jsonl")
    with pytest.raises(ValueError, match="this session already records to"):
        toolkit.attach_recorder(s, tmp_path / "b.jsonl")
    s.close()
    with pytest.raises(ValueError, match="max_bytes must be a positive int, not 0"):
        toolkit.recording_session(tmp_path / "c.jsonl", max_bytes=0)
    with pytest.raises(ValueError, match="rotate must be 'daily' or None, not 'hourly'"):
        toolkit.recording_session(tmp_path / "c.jsonl", rotate="hourly")
    with pytest.raises(ValueError, match="market must be 'spot', 'futures' or None, not 'options'"):
        toolkit.recording_session(tmp_path / "c.jsonl", market="options")
    with pytest.raises(TypeError, match="session must be a requests.Session, an httpx.Client.*not str"):
        toolkit.attach_recorder("session", tmp_path / "c.jsonl")
    with toolkit.recording_session(tmp_path / "d.jsonl", max_bytes=10_000):
        with pytest.raises(ValueError, match="already recorded to with max_bytes=10000"):
            toolkit.recording_session(tmp_path / "d.jsonl")



@pytest.mark.parametrize("kwargs, error, message", [
    ({"market": "unknown"}, ParameterError, "market must be 'spot', 'futures' or None, not 'unknown'"),
    ({"market": ["spot"]}, ParameterError, "market must be 'spot', 'futures' or None, not ['spot']"),
    ({"rotate": "1h"}, ParameterError, "rotate must be 'daily' or None, not '1h'"),
    ({"rotate": 86_400}, ParameterError, "rotate must be 'daily' or None, not 86400"),
    ({"max_body": "64k"}, ParameterTypeError, "max_body must be a non-negative int, not '64k'"),
    ({"max_bytes": -1}, ParameterError, "max_bytes must be a positive int, not -1"),
])
def test_each_parameter_is_checked_once_for_every_client(tmp_path, kwargs, error, message):
    for client in (requests.Session(), _Exchange()):
        with pytest.raises(error, match=re.escape(f"attach_recorder(): {message}")):
            toolkit.attach_recorder(client, tmp_path / "c.jsonl", **kwargs)
    with pytest.raises(ParameterTypeError, match=r"attach_recorder\(\): path must be a file path, not int"):
        toolkit.recording_session(5)


class _Exchange:
    """The attributes of a ccxt exchange the recorder looks for, and no session yet."""

    id, has, session = "x", {}, None

    def fetch(self):
        pass


@pytest.mark.parametrize("rotate", ["daily", "1D", "24h", pd.Timedelta(days=1)])
def test_a_one_day_duration_rotates_daily(tmp_path, rotate):
    with toolkit.recording_session(tmp_path / "c.jsonl", rotate="daily") as a, \
            toolkit.recording_session(tmp_path / "c.jsonl", rotate=rotate) as b:
        assert a._toolkit_recorder.writer is b._toolkit_recorder.writer
        assert b._toolkit_recorder.writer.rotate == "daily"


def test_sessions_recording_to_one_file_share_its_lock(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    a, b = toolkit.recording_session(path), toolkit.recording_session(path)
    assert a._toolkit_recorder.writer is b._toolkit_recorder.writer
    threads = [threading.Thread(target=lambda s=s: [call(s, exchange.url, "GET", CALLS[0][1]) for _ in range(20)])
               for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.close()
    b.close()
    assert len(lines(path)) == 40
    assert str(path) not in record.Writer._registry


def _record_from_another_process(path, base, n):
    with toolkit.recording_session(path, max_bytes=6000) as s:
        for i in range(n):
            method, p, _, _ = CALLS[i % len(CALLS)]
            call(s, base, method, p)


def test_several_processes_record_to_one_rotating_file_without_losing_a_line(tmp_path, exchange):
    import multiprocessing

    folder = tmp_path / "rec"
    ctx = multiprocessing.get_context("fork")  # as a web server's or a bot runner's workers are made
    procs = [ctx.Process(target=_record_from_another_process, args=(folder / "calls.jsonl", exchange.url, 150))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    load = toolkit.read_logs(folder)
    assert len(load.frame) == 600 and load.rejects.empty  # every call once, no line torn or lost
    assert len(load.report) > 4 and all(f.stat().st_size <= 6000 for f in folder.glob("*.jsonl"))
