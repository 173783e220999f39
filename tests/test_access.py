"""Gateway access logs (Caddy, Traefik) read by default, and ``fields=`` for any other key names."""

import json
import warnings

import pytest

import toolkit

HOST = "api9528mystks.mystonks.org"


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(path, **kw)


def jsonl(path, *records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def caddy(uri, status, duration, method="GET", ts=1795208700.25):
    # Caddy v2's access log (logger http.log.access.<name>, msg "handled request"): ts epoch seconds,
    # duration in seconds, request {method, host, uri, headers}, no body
    return {"level": "info", "ts": ts, "logger": "http.log.access.log0", "msg": "handled request",
            "request": {"remote_ip": "10.0.0.5", "proto": "HTTP/1.1", "method": method, "host": HOST, "uri": uri,
                        "headers": {"Access-Key": ["ak-CADDY-0001"], "Cookie": []},
                        "tls": {"resumed": False, "version": 772}},
            "bytes_read": 0, "user_id": "", "duration": duration, "size": 120, "status": status,
            "resp_headers": {"Server": ["Caddy"], "Content-Type": ["application/json"]}}


def traefik(path, status, duration_ns, method="POST"):
    # Traefik's JSON access log: RequestPath, DownstreamStatus, Duration (ns), StartUTC, downstream_ headers
    return {"ClientHost": "10.0.0.5", "DownstreamContentSize": 57, "DownstreamStatus": status,
            "Duration": duration_ns, "OriginStatus": status, "RequestHost": HOST, "RequestMethod": method,
            "RequestPath": path, "RequestProtocol": "HTTP/2.0", "RequestScheme": "https",
            "StartUTC": "2026-11-20T21:05:00.123456789Z", "StartLocal": "2026-11-20T22:05:00.123456789+01:00",
            "downstream_Date": "Fri, 20 Nov 2026 21:05:00 GMT", "level": "info", "msg": "",
            "time": "2026-11-20T22:05:00+01:00"}


def test_caddy_access_log_every_line_a_row_with_latency(tmp_path):
    path = jsonl(tmp_path / "access.log",
                 caddy("/api/v1/stock/open-api/depth?symbol=AAPL", 200, 0.0412),
                 caddy("/api/v1/futures/ws", 101, 3600.5),
                 caddy("/static/app.js", 304, 0.001),
                 caddy("/api/v1/futures/open-api/kline", 0, 30.0),
                 caddy("/api/v1/futures/open-api/kline", 502, 0.2))
    load = read(path)
    assert load.report.loc[0, ["format", "rows", "rejects", "skipped", "unverified"]].tolist() == ["jsonl", 5, 0, 0, 1]
    df = load.frame
    assert df["latency_ms"].round(1).tolist() == [41.2, 3600500.0, 1.0, 30000.0, 200.0]
    assert df["category"].astype(str).tolist() == ["ok", "ok", "ok", "transport", "server_error"]
    assert df["reason"].tolist()[1:3] == ["informational", "not_modified"]  # an upgrade and a cached file: no errors
    assert df["symbol"].tolist()[0] == "AAPL"
    assert str(df.loc[0, "ts"]) == "2026-11-20 21:05:00.250000+00:00"
    assert "ak-CADDY-0001" not in df.astype(str).to_csv()


def test_traefik_access_log(tmp_path):
    path = jsonl(tmp_path / "access.log", traefik("/api/v1/futures/open-api/order/create", 429, 1_819_676_095),
                 traefik("/api/v1/futures/open-api/products", 200, 57_200, method="GET"))
    load = read(path)
    assert load.rejects.empty
    df = load.frame
    assert df[["method", "path", "http_status", "category"]].astype(str).values.tolist() == [
        ["POST", "/api/v1/futures/open-api/order/create", "429", "rate_limit"],
        ["GET", "/api/v1/futures/open-api/products", "200", "ok"]]
    assert df["latency_ms"].round(4).tolist() == [1819.6761, 0.0572]
    assert str(df.loc[0, "ts"]) == "2026-11-20 21:05:00.123456789+00:00"


def test_fields_maps_other_key_names(tmp_path):
    # a Flask API's log line (started_at/finished_at, path, status, duration_ms, error)
    rec = {"started_at": "2026-11-20T21:05:00.026474+00:00", "finished_at": "2026-11-20T21:05:00.046344+00:00",
           "method": "POST", "request": {"uri": "/api/v1/stock/open-api/order"}, "http": {"code": 400},
           "duration_ms": 19.923, "error": None}
    path = jsonl(tmp_path / "api.jsonl", rec)
    assert read(path).rejects["reason"].tolist() == ["missing time"]
    load = read(path, fields={"time": "started_at", "url": "request.uri", "status": "http.code"})
    assert load.rejects.empty
    row = load.frame.iloc[0]
    assert (row["path"], row["http_status"], row["category"], row["latency_ms"]) == (
        "/api/v1/stock/open-api/order", 400, "bad_request", 19.923)


def test_fields_is_checked():
    with pytest.raises(ValueError, match="unknown fields"):
        toolkit.read_logs("data/sample", fields={"when": "ts"})
    with pytest.raises(TypeError, match="mapping"):
        toolkit.read_logs("data/sample", fields=["ts"])
    with pytest.raises(ValueError, match="applies to JSON Lines"):
        toolkit.read_logs("data/sample", format="har", fields={"time": "t"})
