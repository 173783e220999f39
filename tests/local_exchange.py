"""A local HTTP server on 127.0.0.1 that answers like the exchange's Open APIs, for recorder tests.

Paths are the exchange's (``toolkit.endpoints()``); bodies follow its documented envelope and
Chinese error texts (endpoints.md section 4: 余额不足, 订单不存在, 时间戳过期, 请求频率超限).
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"

#: path -> (status, body); a str body is sent as text/html, anything else as JSON.
ROUTES = {
    "/api/v1/stock/open-api/depth": (200, {"code": 0, "msg": "success",
                                           "data": {"bids": [["189.1", "5"]], "asks": []}}),
    "/api/v1/stock/open-api/order": (400, {"code": 400, "msg": "余额不足"}),
    "/api/v1/stock/open-api/orderDetail": (404, {"code": 404, "msg": "订单不存在"}),
    "/api/v1/futures/open-api/order/create": (200, {"code": 8018, "message": "Insufficient margin"}),
    "/api/v1/futures/open-api/ticker/BTCUSDT": (429, {"code": 429, "message": "请求频率超限（每秒/每分钟）"}),
    "/api/v1/futures/open-api/position/current": (401, {"code": 401, "message": "时间戳过期"}),
    "/api/v1/futures/open-api/kline": (502, HTML_502),
    "/api/v1/futures/open-api/orderbook/BTCUSDT": (200, {"code": 3004, "message": "Third-party service error"}),
    "/api/v1/stock/open-api/ticker": (200, "OK"),
}
SLOW = "/api/v1/futures/open-api/order/entrust-history"  # answers after SLOW_S: longer than the tests' read timeout
SLOW_S = 1.0
CUT = "/api/v1/futures/open-api/position/history"  # promises a body, sends half, hangs up
MOVED = "/api/v1/stock/open-api/priceSteps"  # redirects to the spot depth


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self):
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        if path == SLOW:
            time.sleep(SLOW_S)
        status, body = ROUTES.get(path, (404, {"code": 404, "message": "Not Found"}))
        if path == MOVED:
            self.send_response(302)
            self.send_header("Location", "/api/v1/stock/open-api/depth")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == CUT:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"code": 0, "m')
            self.wfile.flush()
            self.close_connection = True
            return
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        gz = "gzip" in (self.headers.get("Accept-Encoding") or "") and path.startswith("/api/v1/futures/")
        if gz:
            data = gzip.compress(data)
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = _answer


class LocalExchange:
    """``with LocalExchange() as ex: requests.get(ex.url + path)``; ``ex.seen`` lists the requests."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.seen = []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def seen(self):
        return self.server.seen

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
