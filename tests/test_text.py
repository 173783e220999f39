"""Reading bot text logs: the default layout, a user's pattern, skipped lines and big files."""

import warnings

import pandas as pd
import pytest

import toolkit
from tests.conftest import ROOT, jsonl

DATA = ROOT / "tests" / "data"
BOT = DATA / "bot.log"
GATEWAY = DATA / "gateway.log"
GATEWAY_PATTERN = (r"^(?P<ts>\d+\.\d+) \| (?P<method>[A-Z]+) (?P<url>\S+) \| (?:-|(?P<status>\S+)) \| "
                   r"(?P<latency_ms>\d+) \| (?:(?P<body>\{.*\})|(?P<error>.*))$")
SPOT = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/order"


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def one(tmp_path, line, **kw):
    path = tmp_path / "one.log"
    path.write_text(line + "\n")
    return read(path, format="text", **kw)


def test_bot_log_becomes_the_expected_rows():
    load = read(BOT)
    df = load.frame
    got = df[["line", "method", "market", "http_status", "code", "category", "reason", "latency_ms", "symbol"]]
    got = got.astype(object)
    assert got.where(got.notna(), None).values.tolist() == [
        [2, "GET", "spot", 200, 0, "ok", "ok", 38.0, "AAPL"],
        [3, "POST", "futures", 200, 8018, "insufficient_funds", "insufficient_margin", None, None],
        [5, "POST", "spot", 400, 400, "insufficient_funds", "insufficient_balance", 12.5, "TSLA"],
        [7, "GET", "futures", 429, 429, "rate_limit", "rate_limited", None, "BTCUSDT"],
        [8, "POST", "futures", None, None, "transport", "timeout", None, None],
        [13, "POST", "spot", None, None, "transport", "connection_error", None, None],
        [14, "GET", "spot", 502, None, "server_error", "gateway_error", None, "NVDA"],
        [15, "GET", "spot", 404, 404, "not_found", "order_not_found", None, "TSLA"],
    ]
    assert df["ts"].dt.strftime("%H:%M:%S.%f").str[:12].tolist() == [
        "21:05:00.123", "21:05:00.450", "21:05:01.002", "21:05:03.000", "21:05:04.000", "21:05:05.000",
        "19:05:06.000", "21:05:07.250"]  # logging's comma, ISO with Z, an offset; no zone means UTC
    assert df.loc[6, "message"] == "502 Bad Gateway"
    assert df.loc[5, "message"] == "ConnectionError: [Errno 111] Connection refused"


def test_other_lines_are_skipped_and_counted():
    load = read(BOT)
    # start-up, "sending POST ...", strategy output (twice), two traceback lines; the blank line is not counted
    assert load.report.to_dict("records") == [
        {"source": str(BOT), "format": "text", "rows": 8, "rejects": 0, "skipped": 7, "unverified": 0, "frames": 0}]
    assert load.lines == 15


@pytest.mark.parametrize("tail,status", [
    ("-> 429", 429), ("status=429", 429), ("status 429", 429), ("status: 429", 429), ("HTTP 429", 429),
    ("HTTP/1.1 429 Too Many Requests", 429), ("status_code=429", 429),
])
def test_status_forms(tmp_path, tail, status):
    df = one(tmp_path, f'2026-11-20 21:05:00,000 INFO POST {SPOT} {tail} {{"code": 429, "msg": "Too many"}}').frame
    assert (df.loc[0, "http_status"], df.loc[0, "category"]) == (status, "rate_limit")


@pytest.mark.parametrize("body,code,message", [
    ('{"code": 8001, "message": "Below minimum"}', 8001, "Below minimum"),
    ("{'code': 8001, 'message': 'Below minimum', 'data': None, 'ok': False}", 8001, "Below minimum"),
    ("b'{\"code\": 8001, \"message\": \"Below minimum\"}'", 8001, "Below minimum"),
])
def test_body_forms(tmp_path, body, code, message):
    line = f"2026-11-20T21:05:00Z INFO POST https://x.example/api/v1/futures/open-api/order/create -> 200 {body}"
    df = one(tmp_path, line).frame
    assert (df.loc[0, "code"], df.loc[0, "message"], df.loc[0, "category"]) == (code, message, "order_rejected")


def test_python_dicts_are_read_without_running_code(tmp_path):
    line = ("2026-11-20T21:05:00Z INFO GET /api/v1/stock/open-api/depth -> 200 "
            "{'code': __import__('os').system('echo owned')}")
    df = one(tmp_path, line).frame
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("malformed", "not_json")


@pytest.mark.parametrize("line", [
    "2026-11-20 21:05:00,000 INFO sending POST /api/v1/stock/open-api/order",
    "2026-11-20 21:05:00,000 INFO strategy: GET ready, POST-trade checks on",
    "INFO POST /api/v1/stock/open-api/order -> 200 {}",
    "    at POST /api/v1/stock/open-api/order status=500",
])
def test_lines_that_are_not_calls(tmp_path, line):
    load = one(tmp_path, line)
    assert load.frame.empty and load.rejects.empty and load.report.loc[0, "skipped"] == 1


def test_a_user_pattern_reads_another_layout():
    warning = r"1 of 6 lines rejected in .*gateway\.log: 1 status is not a number"
    with pytest.warns(toolkit.RejectWarning, match=warning):
        load = toolkit.read_logs(GATEWAY, pattern=GATEWAY_PATTERN)
    df = load.frame
    got = df[["line", "http_status", "category", "reason", "latency_ms"]].astype(object)
    assert got.where(got.notna(), None).values.tolist() == [
        [2, 200, "ok", "ok", 41.0],
        [3, 200, "order_rejected", "below_min_amount", 55.0],
        [4, None, "transport", "timeout", 10001.0],
    ]
    assert df.loc[0, "ts"] == pd.Timestamp("2026-11-20 21:05:00.041", tz="UTC")  # epoch seconds
    assert df.loc[0, "symbol"] == "BTCUSDT"
    assert load.rejects[["line", "reason"]].values.tolist() == [[6, "status is not a number: '2OO'"]]
    assert load.report.loc[0, "skipped"] == 2  # the comment and "gateway reloaded"
    assert load.report.loc[0, "format"] == "text"


@pytest.mark.parametrize("pattern,error,message", [
    (r"(?P<ts>\S+) (?P<when>\S+)", ValueError, r"unknown named groups \['when'\]"),
    (r"(?P<ts>\S+) (?P<status>\d+)", ValueError, r"needs the named groups 'ts' and 'url'; \['url'\] missing"),
    (r"(?P<ts>[", ValueError, "pattern is not a valid regex"),
    (42, TypeError, "pattern must be a regex string or a compiled pattern, not int"),
])
def test_bad_patterns_are_clear_errors(pattern, error, message):
    with pytest.raises(error, match=message):
        toolkit.read_logs(BOT, pattern=pattern)


def test_pattern_with_another_forced_format_is_an_error():
    with pytest.raises(ValueError, match="pattern applies to text logs; it cannot be used with format='jsonl'"):
        toolkit.read_logs(BOT, pattern=GATEWAY_PATTERN, format="jsonl")


def test_secrets_in_log_lines_never_reach_the_frame(tmp_path):
    line = ("2026-11-20 21:05:00,000 ERROR POST /api/v1/stock/open-api/order?apiKey=ak-LIVE-99 failed: "
            "Max retries exceeded with url: /api/v1/stock/open-api/order?apiKey=ak-LIVE-99&sign=c2ln "
            "(Caused by ConnectTimeoutError())")
    load = one(tmp_path, line)
    text = load.frame.astype(str).to_csv()
    assert "ak-LIVE-99" not in text and "c2ln" not in text
    assert load.frame.loc[0, "reason"] == "timeout"


def test_unreadable_time_is_a_reject(tmp_path):
    load = one(tmp_path, "2026-13-45 99:05:00,000 INFO GET /api/v1/stock/open-api/depth -> 200 {\"code\": 0}")
    assert load.rejects["reason"].str.startswith("unreadable time").tolist() == [True]


def test_parallel_chunks_match_a_serial_read(tmp_path, monkeypatch):
    from toolkit.read import _pool

    lines = []
    for i in range(3000):
        ts = f"2026-11-20 21:{i // 60 % 60:02d}:{i % 60:02d},{i % 1000:03d}"
        if i % 3 == 0:
            lines.append(f"{ts} INFO strategy: tick {i}")
        elif i % 3 == 1:
            lines.append(f'{ts} INFO POST {SPOT}?symbol=S{i} -> 400 {{"code": 400, "msg": "Order failed"}}')
        else:
            lines.append(f"{ts} ERROR GET {SPOT}/{i} Read timed out")
    lines[1234] = "2026-11-20 21:00:00,000 INFO GET /api/v1/x -> 2000"
    path = tmp_path / "big.log"
    path.write_text("\n".join(lines) + "\n")
    serial = read(path)
    monkeypatch.setattr(_pool, "CHUNK", 4096)
    parallel = read(path)
    assert parallel._files[0].pieces > 10  # the pieces' frames, joined
    pd.testing.assert_frame_equal(parallel.frame.drop(columns="source"), serial.frame.drop(columns="source"))
    assert len(serial.frame) == 2000 - 1 and serial.report.loc[0, "skipped"] == 1001
    assert serial.frame["line"].iloc[-1] == 3000


def test_a_2xx_without_its_body_is_ok_unverified_as_in_json_lines(tmp_path):
    path = tmp_path / "bot.log"
    path.write_text("2026-11-20 21:05:00,000 INFO GET /api/v1/stock/open-api/depth -> 200 (38 ms)\n"
                    "2026-11-20 21:05:01,000 INFO GET /api/v1/stock/open-api/depth -> 429 (3 ms)\n")
    load = toolkit.read_logs(path)
    assert load.rejects.empty
    assert load.frame[["line", "category", "reason"]].astype(str).values.tolist() == [
        ["1", "ok", "unverified"], ["2", "rate_limit", "rate_limited"]]
    assert load.report.loc[0, "unverified"] == 1 and not load.frame.loc[0, "is_error"]
    as_jsonl = toolkit.load_logs(jsonl(tmp_path / "same.jsonl", {
        "ts": "2026-11-20 21:05:00", "method": "GET", "url": "/api/v1/stock/open-api/depth", "status": 200}))
    assert as_jsonl.loc[0, "reason"] == load.frame.loc[0, "reason"]


def test_a_user_pattern_with_an_empty_body_group(tmp_path):
    path = tmp_path / "access.log"
    path.write_text("2026-11-20T21:05:00Z GET /api/v1/stock/open-api/depth 200 \n"
                    "2026-11-20T21:05:01Z GET /api/v1/stock/open-api/depth 503 \n")
    load = read(path, pattern=r"^(?P<ts>\S+) (?P<method>\S+) (?P<url>\S+) (?P<status>\d+) ?(?P<body>.*)$")
    assert load.rejects.empty
    assert load.frame["reason"].tolist() == ["unverified", "gateway_error"]
