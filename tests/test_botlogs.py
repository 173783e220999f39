"""Text logs in the shapes trading bots and their libraries write: ccxt, freqtrade, hummingbot, urllib3, docker."""

import json
import warnings

import pandas as pd

import toolkit

HOST = "https://api9528mystks.mystonks.org"
DEPTH = "/api/v1/stock/open-api/depth"
CREATE = "/api/v1/futures/open-api/order/create"


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(load, *cols):
    got = load.frame[list(cols)].astype(object)
    return got.where(got.notna(), None).values.tolist()


# ccxt/python/ccxt/base/exchange.py, Exchange.fetch: with verbose=True it prints
#   self.log("\nfetch Request:", self.id, method, url, "RequestHeaders:", request_headers, "RequestBody:", body)
#   self.log("\nfetch Response:", self.id, method, url, http_status_code, "ResponseHeaders:", headers,
#            "ResponseBody:", http_response)
# (print() of a dict: Python's repr), no timestamps.
CCXT_VERBOSE = f"""\

fetch Request: msx POST {HOST}{CREATE} RequestHeaders: {{'Content-Type': 'application/json', \
'ACCESS-KEY': 'ak-VERBOSE-0001', 'ACCESS-SIGN': 'c2lnLVZFUkJPU0U=', 'ACCESS-TIMESTAMP': '1795208700000'}} \
RequestBody: {{"symbol":"BTCUSDT","coType":3,"orderType":2,"openType":1,"side":1,"vol":"0.001"}}

fetch Response: msx POST {HOST}{CREATE} 200 ResponseHeaders: {{'Content-Type': 'application/json', \
'Date': 'Fri, 20 Nov 2026 21:05:00 GMT', 'Connection': 'keep-alive'}} ResponseBody: \
{{"code":8018,"message":"保证金不足"}}

fetch Request: msx GET {HOST}{DEPTH}?symbol=AAPL RequestHeaders: {{}} RequestBody: None

fetch Response: msx GET {HOST}{DEPTH}?symbol=AAPL 429 ResponseHeaders: {{'Date': 'Fri, 20 Nov 2026 21:05:01 GMT'}} \
ResponseBody: {{"code":429,"message":"请求频率超限（每秒/每分钟）"}}
"""


def test_ccxt_verbose_pairs_request_and_response_into_one_call_timed_by_the_date_header(tmp_path):
    load = read(write(tmp_path, "verbose.log", CCXT_VERBOSE))
    assert load.report.loc[0, ["format", "rows", "rejects", "skipped"]].tolist() == ["text", 2, 0, 2]
    assert load.skips[["reason", "count"]].values.tolist() == [["request half", 2]]
    assert rows(load, "method", "path", "http_status", "code", "category", "reason") == [
        ["POST", CREATE, 200, 8018, "insufficient_funds", "insufficient_margin"],
        ["GET", DEPTH, 429, 429, "rate_limit", "rate_limited"]]
    assert load.frame["ts"].astype(str).tolist() == ["2026-11-20 21:05:00+00:00", "2026-11-20 21:05:01+00:00"]
    assert (load.frame["server_ts"] == load.frame["ts"]).all()
    assert load.frame.loc[1, "symbol"] == "AAPL"
    assert "ak-VERBOSE-0001" not in load.frame.astype(str).to_csv()


# the same Exchange.fetch logs through self.logger (logging.getLogger("ccxt.base.exchange")) at DEBUG:
#   self.logger.debug("%s %s, Request: %s %s", method, url, request_headers, body)
#   self.logger.debug("%s %s, Response: %s %s %s", method, url, http_status_code, headers, http_response)
# here under logging's default '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
CCXT_LOGGER = f"""\
2026-11-20 21:05:00,101 - ccxt.base.exchange - DEBUG - GET {HOST}{DEPTH}?symbol=TSLA, Request: \
{{'User-Agent': 'python-requests/2.32.3', 'Accept-Encoding': 'gzip, deflate', 'Connection': 'keep-alive'}} None
2026-11-20 21:05:00,142 - ccxt.base.exchange - DEBUG - GET {HOST}{DEPTH}?symbol=TSLA, Response: 400 \
{{'Date': 'Fri, 20 Nov 2026 21:05:00 GMT', 'Content-Type': 'application/json', 'Connection': 'close'}} \
{{"code":400,"message":"Trading pair does not exist"}}
2026-11-20 21:05:01,000 - freqtrade.worker - INFO - Bot heartbeat. PID=1, version='2025.6', state='RUNNING'
"""


def test_ccxt_debug_logger_lines_pair_the_same_way(tmp_path):
    load = read(write(tmp_path, "bot.log", CCXT_LOGGER))
    assert load.report.loc[0, ["rows", "rejects", "skipped"]].tolist() == [1, 0, 2]
    assert sorted(load.skips["reason"]) == ["not an API call", "request half"]
    assert rows(load, "line", "method", "path", "http_status", "category", "reason", "symbol") == [
        [2, "GET", DEPTH, 400, "not_found", "trading_pair_not_found", "TSLA"]]
    assert load.frame.loc[0, "ts"] == pd.Timestamp("2026-11-20 21:05:00.142", tz="UTC")  # the log line's time


# freqtrade/exchange/common.py, retrier: msg = f'{f.__name__}() returned exception: "{ex}". '
#   logger.warning(msg + f"Retrying still for {count} times.")
# ex is ccxt's error text: ' '.join([self.id, method, url, str(code), reason, body]) (handle_http_status_code);
# freqtrade's log format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'; docker compose prefixes
# each line with the service name ("freqtrade  | ").
FREQTRADE = f"""\
freqtrade  | 2026-11-20 21:05:02,310 - freqtrade.exchange.common - WARNING - create_order() returned exception: \
"msx POST {HOST}{CREATE} 429 Too Many Requests {{"code":429,"message":"Too Many Requests"}}". \
Retrying still for 3 times.
freqtrade  | 2026-11-20 21:05:03,000 - freqtrade.freqtradebot - INFO - Long signal found: about create a new trade \
for BTC/USDT with stake_amount: 10.0 ...
freqtrade  | 2026-11-20 21:05:04,500 - freqtrade.exchange.common - WARNING - fetch_ticker() returned exception: \
"msx GET {HOST}/api/v1/futures/open-api/ticker/BTCUSDT". Retrying still for 2 times.
freqtrade  | 2026-11-20 21:05:05,000 - freqtrade.worker - ERROR - Error in worker
freqtrade  | Traceback (most recent call last):
freqtrade  |   File "/freqtrade/freqtrade/worker.py", line 76, in run
freqtrade  |     state = self._worker(old_state=state)
freqtrade  | requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api9528mystks.mystonks.org', \
port=443): Max retries exceeded with url: /api/v1/futures/open-api/position/current (Caused by \
NameResolutionError("<urllib3.connection.HTTPSConnection object at 0x7f1c2d3e4f50>: Failed to resolve \
'api9528mystks.mystonks.org' ([Errno -2] Name or service not known)"))
freqtrade  | 2026-11-20 21:05:06,000 - freqtrade.worker - INFO - Bot heartbeat.
"""


def test_freqtrade_text_log_with_ccxt_errors_docker_prefixes_and_a_traceback(tmp_path):
    load = read(write(tmp_path, "freqtrade.log", FREQTRADE))
    assert load.rejects.empty
    assert load.report.loc[0, ["rows", "skipped"]].tolist() == [2, 7]
    assert dict(load.skips[["reason", "count"]].values.tolist()) == {"continuation": 4, "not an API call": 3}
    assert rows(load, "line", "method", "path", "http_status", "category", "reason") == [
        [1, "POST", CREATE, 429, "rate_limit", "rate_limited"],
        [4, None, "/api/v1/futures/open-api/position/current", None, "transport", "dns_failure"]]
    assert load.frame["ts"].tolist() == [pd.Timestamp("2026-11-20 21:05:02.310", tz="UTC"),
                                         pd.Timestamp("2026-11-20 21:05:05", tz="UTC")]
    assert load.frame.loc[1, "market"] == "futures"


def test_freqtrade_json_log(tmp_path):
    # freqtrade's JSON log (--log-config with its JSON formatter): timestamp, level, logger, message
    lines = [
        {"timestamp": "2026-11-20 21:05:02,310", "level": "WARNING", "logger": "freqtrade.exchange.common",
         "message": f'create_order() returned exception: "msx POST {HOST}{CREATE} 200 OK '
                    '{"code":8001,"message":"低于最小交易量"}". Retrying still for 3 times.'},
        {"timestamp": "2026-11-20 21:05:03,000", "level": "INFO", "logger": "freqtrade.worker",
         "message": "Bot heartbeat. PID=1, version='2025.6', state='RUNNING'"},
    ]
    path = write(tmp_path, "freqtrade.json.log", "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    load = read(path)
    assert load.report.loc[0, ["rows", "rejects", "skipped"]].tolist() == [1, 0, 1]
    assert rows(load, "method", "path", "code", "category", "reason") == [
        ["POST", CREATE, 8001, "order_rejected", "below_min_amount"]]


# hummingbot connectors' web utils: raise IOError(f"Error executing request {method.name} {url}. "
#   f"HTTP status is {response.status}. Error: {error_response}"), logged with hummingbot's
#   '%(asctime)s - %(process)d - %(name)s - %(levelname)s - %(message)s'
HUMMINGBOT = f"""\
2026-11-20 21:05:07,010 - 8 - hummingbot.connector.derivative.msx_perpetual.msx_perpetual_derivative - ERROR - \
Error executing request POST {HOST}{CREATE}. HTTP status is 401. \
Error: {{"code":401,"message":"Request timestamp expired"}}
2026-11-20 21:05:08,000 - 8 - hummingbot.core.network_base - INFO - Network status has changed to CONNECTED.
"""


def test_hummingbot_rest_errors_url_ends_at_the_period(tmp_path):
    load = read(write(tmp_path, "logs_conf.log", HUMMINGBOT))
    assert load.report.loc[0, ["rows", "skipped"]].tolist() == [1, 1]
    assert rows(load, "method", "path", "http_status", "category", "reason") == [
        ["POST", CREATE, 401, "auth", "timestamp_expired"]]


# urllib3/connectionpool.py, HTTPConnectionPool._make_request:
#   log.debug('%s://%s:%s "%s %s %s" %s %s', self.scheme, self.host, self.port, method, url,
#             response.version_string, response.status, response.length_remaining)
URLLIB3 = f"""\
2026-11-20 21:05:09,000 - urllib3.connectionpool - DEBUG - Starting new HTTPS connection (1): \
api9528mystks.mystonks.org:443
2026-11-20 21:05:09,120 - urllib3.connectionpool - DEBUG - https://api9528mystks.mystonks.org:443 \
"GET {DEPTH}?symbol=AAPL HTTP/1.1" 200 512
2026-11-20 21:05:10,120 - urllib3.connectionpool - DEBUG - https://api9528mystks.mystonks.org:443 \
"POST /api/v1/stock/open-api/order HTTP/1.1" 403 None
"""


def test_urllib3_lines_are_calls_without_body_never_transport_failures(tmp_path):
    load = read(write(tmp_path, "requests.log", URLLIB3))
    assert load.report.loc[0, ["rows", "skipped", "unverified"]].tolist() == [2, 1, 1]
    assert rows(load, "method", "path", "http_status", "category", "reason", "symbol") == [
        ["GET", DEPTH, 200, "ok", "unverified", "AAPL"],
        ["POST", "/api/v1/stock/open-api/order", 403, "permission", "no_trading_permission", None]]
    assert not (load.frame["category"] == "transport").any()


def test_the_word_connection_in_a_logger_name_or_header_is_no_failure(tmp_path):
    path = write(tmp_path, "bot.log",
                 "2026-11-20 21:05:00,000 - mybot.connection_manager - INFO - sending GET /api/v1/stock/open-api/depth"
                 " headers={'Connection': 'keep-alive'}\n"
                 "2026-11-20 21:05:01,000 - mybot.http - ERROR - GET /api/v1/stock/open-api/depth failed:"
                 " Read timed out. (read timeout=10)\n")
    load = read(path)
    assert rows(load, "line", "category", "reason") == [[2, "transport", "timeout"]]
    assert load.report.loc[0, "skipped"] == 1


def test_detection_by_content_with_json_bodies_on_their_own_lines(tmp_path):
    # ccxt.js's verbose mode prints each part on its own line; the body is a JSON line of its own
    text = (f"fetch Request:\n msx GET {HOST}{DEPTH}?symbol=AAPL \nRequestHeaders:\n {{}} \nRequestBody:\n undefined \n"
            f"handleRestResponse:\n msx GET {HOST}{DEPTH}?symbol=AAPL 200 OK \nResponseHeaders:\n {{\n"
            " 'Content-Type': 'application/json',\n Date: 'Fri, 20 Nov 2026 21:05:00 GMT'\n} \n"
            'ResponseBody:\n {"code":0,"msg":"success","data":{"bids":[],"asks":[]}} \n'
            + '{"code":0,"msg":"success"}\n' * 3)
    path = write(tmp_path, "node.log", text)
    load = read(path)
    assert load.report.loc[0, "format"] == "text"
    assert rows(load, "line", "path", "http_status", "category") == [[7, DEPTH, 200, "ok"]]
    assert str(load.frame.loc[0, "ts"]) == "2026-11-20 21:05:00+00:00"
    assert len(load.frame) + len(load.rejects) + load.report.loc[0, "skipped"] == load.lines == 18


def test_every_line_is_accounted_for_in_a_mixed_bot_log(tmp_path):
    text = CCXT_LOGGER + FREQTRADE + HUMMINGBOT + URLLIB3
    load = read(write(tmp_path, "mixed.log", text))
    assert load.lines == sum(1 for ln in text.splitlines() if ln.strip())
    assert len(load.frame) == 1 + 2 + 1 + 2
    assert pd.api.types.is_datetime64_any_dtype(load.frame["ts"])
