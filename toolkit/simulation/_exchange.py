"""The exchange as the simulator plays it: its host, endpoints, limits, answers and background errors.

Paths, methods and error texts are the exchange's documented ones (see :func:`toolkit.endpoints`); the
request and response data per endpoint are in :mod:`toolkit._shapes`.
"""

from __future__ import annotations

HOST = "https://api9528mystks.mystonks.org"  # the exchange's production host
LIMIT_PER_S, LIMIT_PER_MIN = 10, 300
#: Share of error bodies worded in Chinese, as the exchange documents them; the rest in English.
CHINESE_SHARE = 0.75
#: Hours from the start during which the futures gateway's private endpoints answer success with
#: ``code: 200`` (the older API build other clients saw live), not 0.
CODE_200_HOURS = 8
#: Order calls in flight at once from which the exchange answers HTTP 200 code 1006.
CONCURRENT_ORDERS, IN_FLIGHT_MS = 3, 250

# (method, path, weight, signed, role): role says which body and which errors the call gets.
# Paths, methods and parameters are the exchange's (see toolkit.endpoints()).
_SPOT = "/api/v1/stock/open-api"
_FUT = "/api/v1/futures/open-api"
ENDPOINTS = {
    "spot": [
        ("GET", f"{_SPOT}/depth", 30, False, "data"),
        ("GET", f"{_SPOT}/ticker", 22, False, "data"),
        ("GET", f"{_SPOT}/klines", 10, False, "data"),
        ("GET", f"{_SPOT}/priceSteps", 1, False, "data"),
        ("POST", f"{_SPOT}/order", 12, True, "order"),
        ("POST", f"{_SPOT}/batchOrder", 2, True, "batch"),
        ("POST", f"{_SPOT}/cancelOrder", 5, True, "order"),
        ("POST", f"{_SPOT}/batchCancelOrder", 1, True, "batch"),
        ("GET", f"{_SPOT}/openOrders", 4, True, "query"),
        ("GET", f"{_SPOT}/historyOrders", 1, True, "query"),
        ("GET", f"{_SPOT}/orderDetail", 4, True, "query"),
        ("GET", f"{_SPOT}/trades", 2, True, "query"),
        ("GET", f"{_SPOT}/assets", 6, True, "query"),
    ],
    "futures": [
        ("GET", f"{_FUT}/orderbook/{{symbol}}", 24, True, "data"),
        ("GET", f"{_FUT}/ticker/{{symbol}}", 16, True, "data"),
        ("GET", f"{_FUT}/kline", 10, True, "data"),
        ("GET", f"{_FUT}/products", 1, True, "data"),
        ("GET", f"{_FUT}/price-steps/{{symbol}}", 1, True, "data"),
        ("POST", f"{_FUT}/order/create", 14, True, "order"),
        ("POST", f"{_FUT}/order/cancel", 6, True, "order"),
        ("POST", f"{_FUT}/order/limit", 4, True, "query"),
        ("POST", f"{_FUT}/order/history", 2, True, "query"),
        ("POST", f"{_FUT}/order/entrust-history", 1, True, "query"),
        ("POST", f"{_FUT}/position/current", 8, True, "query"),
        ("POST", f"{_FUT}/position/history", 1, True, "query"),
        ("GET", f"{_FUT}/account/config", 1, True, "query"),
        ("POST", f"{_FUT}/account/leverage", 2, True, "account"),
        ("POST", f"{_FUT}/account/margin-mode", 1, True, "account"),
        ("GET", "/api/v1/fdata/productList", 1, False, "legacy"),
        ("GET", "/api/v1/fdata/ticker/price", 2, False, "legacy"),
        ("GET", "/api/v1/fdata/depth", 3, False, "legacy"),
    ],
}
SYMBOLS = {"spot": ["AAPL", "TSLA", "NVDA", "MSFT", "AMZN"], "futures": ["BTCUSDT", "ETHUSDT", "SOLUSDT", "00700", "AAPL"]}
CO_TYPE = {"BTCUSDT": 3, "ETHUSDT": 3, "SOLUSDT": 3, "00700": 2, "AAPL": 1}  # 1 US stock, 2 HK stock, 3 crypto
LEGACY_SYMBOL = {"BTCUSDT": "BTC-USD-PERP", "ETHUSDT": "ETH-USD-PERP", "SOLUSDT": "SOL-USD-PERP",
           "00700": "BTC-USD-PERP", "AAPL": "ETH-USD-PERP"}

# Outcomes: (status, Chinese body, English body, error text). Texts are the exchange's (endpoints.md).
_HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
_HTML_503 = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
_TIMEOUT = ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): "
            "Read timed out. (read timeout=10)")
_RESET = ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
_REFUSED = ("HTTPSConnectionPool(host='api9528mystks.mystonks.org', port=443): Max retries exceeded with url: "
            "{path} (Caused by NewConnectionError('Failed to establish a new connection: "
            "[Errno 111] Connection refused'))")


def _err(code, zh, en, key="message"):
    return {"code": code, key: zh}, {"code": code, key: en}


OUTCOMES = {
    "ok": (200, None, None, None),
    "rate_limited": (429, *_err(429, "请求频率超限（每秒/每分钟）", "Too Many Requests"), None),
    "order_rate_limited": (429, *_err(429, "下单频率超限", "Order rate limit exceeded"), None),
    "concurrent_order_limit": (200, *_err(1006, "Request too frequent", "Request too frequent"), None),
    "timestamp_expired": (401, *_err(401, "时间戳过期", "Timestamp expired"), None),
    "signature_invalid": (401, *_err(401, "签名验证失败", "Signature verification failed"), None),
    "internal_error": (500, *_err(500, "内部错误", "Internal error"), None),
    "kline_unavailable": (500, *_err(500, "K 线服务不可用", "K-line service unavailable", "msg"), None),
    "bad_gateway": (502, _HTML_502, _HTML_502, None),
    "unavailable": (503, _HTML_503, _HTML_503, None),
    "timeout": (None, None, None, _TIMEOUT),
    "reset": (None, None, None, _RESET),
    "refused": (None, None, None, _REFUSED),
    "invalid_parameters": (400, *_err(400, "参数错误", "Invalid parameters: quantity"), None),
    "spot_insufficient": (400, *_err(400, "余额不足", "Order failed: insufficient balance", "msg"), None),
    "spot_pair_not_found": (400, *_err(400, "交易对不存在", "Trading pair does not exist", "msg"), None),
    "spot_cancel_failed": (400, *_err(400, "撤单失败", "Cancel order failed", "msg"), None),
    "spot_order_not_found": (404, *_err(404, "订单不存在", "Order not found", "msg"), None),
    "system_error": (200, *_err(1001, "System error", "System error"), None),
    "object_not_found": (200, *_err(3000, "Trading pair not found", "Object not found"), None),
    "third_party_error": (200, *_err(3004, "Third-party service error: K-line query failed",
                                     "Third-party service error: ticker query failed"), None),
    "below_min_amount": (200, *_err(8001, "Below minimum trade amount", "Below minimum trade amount"), None),
    "insufficient_balance_to_close": (200, *_err(8003, "Insufficient balance to close, check position and open orders",
                                                 "Insufficient balance to close"), None),
    "order_creation_failed": (200, *_err(8004, "Order creation failed", "Order creation failed"), None),
    "tpsl_immediate": (200, *_err(8006, "Take-profit/stop-loss order would be triggered immediately",
                                  "Take-profit/stop-loss order would be triggered immediately"), None),
    "leverage_error": (200, *_err(8011, "杠杆异常", "Leverage error"), None),
    "margin_mode_error": (200, *_err(8012, "保证金模式异常", "Margin mode error"), None),
    "insufficient_margin": (200, *_err(8018, "Insufficient margin", "Insufficient margin"), None),
    # the legacy market data: HTTP 500 {"error": ...} and nothing else; {legacy} is the symbol sent
    "legacy_invalid_symbol": (500, {"error": "invalid symbol format: {legacy}"}, None, None),
    "legacy_no_data": (500, {"error": "no data returned for symbol: {legacy}"}, None, None),
}
OUTCOME_NAMES = list(OUTCOMES)
OUTCOME_ID = {name: i for i, name in enumerate(OUTCOME_NAMES)}

# Background errors per market and role: (outcome, weight); about 2% of calls.
_TRANSIENT = [("internal_error", 1), ("timeout", 2), ("rate_limited", 1)]
BACKGROUND = {
    "spot": {
        "data": [("spot_pair_not_found", 2), ("invalid_parameters", 2), *_TRANSIENT],
        "order": [("invalid_parameters", 3), ("spot_insufficient", 3), ("spot_cancel_failed", 2),
                  ("spot_order_not_found", 1), ("signature_invalid", 1), *_TRANSIENT],
        "batch": [("invalid_parameters", 1), *_TRANSIENT],
        "query": [("spot_order_not_found", 3), ("invalid_parameters", 1), ("signature_invalid", 1), *_TRANSIENT],
    },
    "futures": {
        "data": [("invalid_parameters", 1), ("object_not_found", 1), ("system_error", 1), *_TRANSIENT],
        "order": [("invalid_parameters", 2), ("below_min_amount", 3), ("order_creation_failed", 2),
                  ("tpsl_immediate", 2), ("insufficient_balance_to_close", 1), *_TRANSIENT],
        "query": [("invalid_parameters", 1), ("system_error", 1), *_TRANSIENT],
        "account": [("leverage_error", 2), ("margin_mode_error", 2), *_TRANSIENT],
        "legacy": [("legacy_invalid_symbol", 3), ("timeout", 1)],
    },
}
BACKGROUND_RATE = 0.02
#: Share of a batch call's items that fail inside its success envelope (spot batchOrder / batchCancelOrder).
BATCH_ITEM_FAILURE = 0.06
