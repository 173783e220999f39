"""The exchange's request parameters and response data, per endpoint, as its documentation shows them.

Used by the simulator to write recordings in the real API's shapes: spot
``quantity``, futures ``vol``/``coType``/``orderType``/``openType``/``side``,
string prices, spot order status strings and integer futures ones, batch
results, and the legacy market data's bare JSON.
"""

from __future__ import annotations

_SPOT_STATUS = ["pending", "partial", "filled", "cancelled"]


def request(path: str, symbol: str, co_type: int, legacy: str, u: float, oid: int):
    """(query parameters, JSON body) of one call to ``path`` (its template, ``{symbol}`` filled later)."""
    name = path.rsplit("/open-api/", 1)[-1] if "/open-api/" in path else path.rsplit("/fdata/", 1)[-1]
    px = f"{100 + u * 50:.2f}"
    if "/stock/" in path:
        return {
            "depth": ({"symbol": symbol, "limit": 20}, None),
            "ticker": ({"symbol": symbol}, None),
            "klines": ({"symbol": symbol, "interval": "1m", "limit": 100}, None),
            "priceSteps": ({"symbol": symbol}, None),
            "order": (None, {"symbol": symbol, "side": "buy" if u < 0.5 else "sell", "type": "limit", "price": px,
                             "quantity": str(1 + int(u * 10)), "clientOid": f"bot-{oid}"}),
            "batchOrder": (None, {"orders": [
                {"symbol": symbol, "side": "buy", "type": "limit", "price": px, "quantity": "1",
                 "clientOid": f"bot-{oid}-{i}"} for i in range(batch_size(u, 20))]}),
            "cancelOrder": (None, {"symbol": symbol, "orderId": str(oid)}),
            "batchCancelOrder": (None, {"symbol": symbol,
                                        "orderIds": [str(oid + i) for i in range(batch_size(u, 10))]}),
            "openOrders": ({"symbol": symbol, "page": 1, "size": 20}, None),
            "historyOrders": ({"symbol": symbol, "page": 1, "size": 20}, None),
            "orderDetail": ({"symbol": symbol, "orderId": str(oid)}, None),
            "trades": ({"symbol": symbol, "page": 1, "size": 20}, None),
            "assets": (None, None),
        }[name]
    if "/fdata/" in path:
        return {"productList": (None, None), "ticker/price": ({"symbol": legacy}, None),
                "depth": ({"symbol": legacy, "limit": 100}, None)}[name]
    return {
        "orderbook/{symbol}": ({"depth": 20}, None),
        "ticker/{symbol}": (None, None),
        "price-steps/{symbol}": (None, None),
        "kline": ({"symbol": symbol, "interval": "1m", "limit": 200}, None),
        "products": ({"type": co_type}, None),
        "order/create": (None, {"symbol": symbol, "coType": co_type, "orderType": 1, "openType": 1,
                                "side": 1 if u < 0.5 else 2, "price": px, "vol": str(1 + int(u * 5)),
                                "leverage": 10}),
        "order/cancel": (None, {"orderId": oid}),
        "order/limit": (None, {"symbol": symbol, "coType": co_type}),
        "order/history": (None, {"symbol": symbol, "coType": co_type, "pageIndex": 1, "pageSize": 10}),
        "order/entrust-history": (None, {"symbol": symbol, "coType": co_type, "pageIndex": 1, "pageSize": 10}),
        "position/current": (None, {"symbol": symbol, "coType": co_type}),
        "position/history": (None, {"symbol": symbol, "coType": co_type, "pageIndex": 1, "pageSize": 10}),
        "account/config": ({"symbol": symbol}, None),
        "account/leverage": (None, {"symbol": symbol, "leverage": 10, "marginMode": 1}),
        "account/margin-mode": (None, {"symbol": symbol, "marginMode": 2}),
    }[name]


def batch_size(u: float, cap: int) -> int:
    """How many orders or ids a batch call carries (2 to 5, never over the documented cap)."""
    return min(cap, 2 + int(u * 4))


def data(path: str, symbol: str, co_type: int, legacy: str, u: float, oid: int, failed=()):
    """The success ``data`` of ``path`` (the whole bare body for the legacy market data).

    ``failed``: indexes of a batch call's items that fail, with the documented
    per-item error (``余额不足`` for batchOrder, ``订单不存在`` for batchCancelOrder).
    """
    px = 100 + u * 50
    book = {"bids": [[f"{px:.2f}", "12"], [f"{px - 0.05:.2f}", "30"]],
            "asks": [[f"{px + 0.05:.2f}", "8"], [f"{px + 0.1:.2f}", "25"]]}
    ts = 1763251200000 + oid % 604_800_000
    if "/fdata/" in path:
        if path.endswith("productList"):
            return [{"ticker_id": t, "base_currency": t.split("-")[0], "quote_currency": "USD",
                     "last_price": round(px * 900, 2), "product_type": "PERPETUAL", "funding_rate": 0.0001,
                     "maker_fee": 0.0002, "taker_fee": 0.0005} for t in ("BTC-USD-PERP", "ETH-USD-PERP")]
        if path.endswith("ticker/price"):
            return {"contract_type": "PERPETUAL", "contract_price": round(px * 900, 2),
                    "contract_price_currency": "USD"}
        return {"ticker_id": legacy, "timestamp": ts, "bids": [[round(px * 900, 1), 1.5]],
                "asks": [[round(px * 900 + 0.5, 1), 2.0]]}
    name = path.rsplit("/", 1)[-1]
    if "/stock/" in path:
        if name == "depth":
            return {"symbol": symbol, **book, "timestamp": ts}
        if name == "ticker":
            return {"symbol": symbol, "open": f"{px - 1:.2f}", "high": f"{px + 2:.2f}", "low": f"{px - 2:.2f}",
                    "close": f"{px:.2f}", "volume": str(int(u * 1e5)), "priceChangePct": "0.85", "updateTime": ts}
        if name == "klines":
            return {"symbol": symbol, "interval": "1m", "klines": [
                {"t": ts - 60000, "o": f"{px:.2f}", "h": f"{px + 0.3:.2f}", "l": f"{px - 0.2:.2f}",
                 "c": f"{px + 0.1:.2f}", "v": "310"}]}
        if name == "priceSteps":
            return {"symbol": symbol, "steps": ["0.01", "0.05", "0.1"]}
        if name == "order":
            return {"orderId": str(oid), "clientOid": f"bot-{oid}"}
        if name == "cancelOrder":
            return {"orderId": str(oid)}
        if name == "batchOrder":
            return {"results": [
                {"orderId": "", "clientOid": f"bot-{oid}-{i}", "success": False, "errorCode": 1001,
                 "errorMsg": "余额不足"} if i in failed else
                {"orderId": str(oid + i), "clientOid": f"bot-{oid}-{i}", "success": True, "errorCode": 0,
                 "errorMsg": ""} for i in range(batch_size(u, 20))]}
        if name == "batchCancelOrder":
            return [{"orderId": str(oid + i), "success": False, "errorCode": 1001, "errorMsg": "订单不存在"}
                    if i in failed else {"orderId": str(oid + i), "success": True, "errorCode": 0, "errorMsg": ""}
                    for i in range(batch_size(u, 10))]
        if name in ("openOrders", "historyOrders"):
            order = {"orderId": str(oid), "symbol": symbol, "side": "buy", "type": "limit", "price": f"{px:.2f}",
                     "quantity": "2", "filledQty": "0", "status": _SPOT_STATUS[0 if name == "openOrders" else 2]}
            return {"orders": [order], "total": 1, "page": 1, "size": 20}
        if name == "orderDetail":
            return {"orderId": str(oid), "clientOid": f"bot-{oid}", "symbol": symbol, "side": "buy", "type": "limit",
                    "price": f"{px:.2f}", "quantity": "2", "filledQty": "1", "avgPrice": f"{px:.2f}",
                    "status": _SPOT_STATUS[int(u * 4)], "createdAt": ts, "updatedAt": ts + 1500}
        if name == "trades":
            return {"trades": [{"tradeId": str(oid * 10), "orderId": str(oid), "symbol": symbol, "side": "buy",
                                "price": f"{px:.2f}", "quantity": "1", "role": "taker", "createdAt": ts}], "total": 1}
        return {"balances": [{"symbol": "USDT", "available": f"{u * 1e4:.2f}", "frozen": "0", "total": f"{u * 1e4:.2f}"},
                             {"symbol": f"{symbol}.M", "available": "3", "frozen": "1", "total": "4"}]}
    if "/orderbook/" in path:
        return {"symbol": symbol, **book, "timestamp": ts}
    if "/ticker/" in path:
        return {"symbol": symbol, "open": f"{px - 1:.2f}", "high": f"{px + 2:.2f}", "low": f"{px - 2:.2f}",
                "close": f"{px:.2f}", "volume": str(int(u * 1e5)), "markPrice": f"{px + 0.02:.2f}", "updateTime": ts}
    if "/price-steps/" in path:
        return {"symbol": symbol, "steps": ["0.1", "0.5", "1"]}
    name = path.rsplit("/open-api/", 1)[-1]
    if name == "kline":
        return [{"t": ts - 60000, "o": f"{px:.2f}", "h": f"{px + 0.3:.2f}", "l": f"{px - 0.2:.2f}",
                 "c": f"{px + 0.1:.2f}", "v": "42", "f": False}]
    if name == "products":
        return [{"symbol": symbol, "name": symbol, "type": co_type, "pricePrecision": 2, "volPrecision": 0,
                 "tradeStatus": 1}]
    if name == "order/create":
        return {"orderId": oid, "orderNo": f"CO{20261116000000 + oid % 1000000}"}
    if name == "order/cancel":
        return {"orderId": oid}
    if name in ("order/limit", "order/history", "order/entrust-history"):
        return [{"id": oid, "symbol": symbol, "price": f"{px:.2f}", "status": 1 if name == "order/limit" else 2,
                 "orderNo": f"CO{20261116000000 + oid % 1000000}", "openFlag": 1, "longFlag": 1, "vol": "2",
                 "orderType": 1, "leverage": 10, "ctime": ts, "marginMode": 1, "coType": co_type}]
    if name == "position/current":
        return {"balance": f"{u * 1e4:.2f}", "pnlTotal": "12.5", "posList": [
            {"id": oid, "posNo": f"P{20261116000 + oid % 1000}", "longFlag": 1, "marginMode": 1, "leverage": 10,
             "avgPrice": f"{px:.2f}", "markPrice": f"{px + 0.02:.2f}", "posStatus": 1}]}
    if name == "position/history":
        return [{"id": oid, "posNo": f"P{20261116000 + oid % 1000}", "posStatus": 4}]
    if name == "account/config":
        return {"id": oid % 1000, "coType": co_type, "symbol": symbol, "leverage": 10, "marginMode": 1}
    if name == "account/leverage":
        return {"symbol": symbol, "leverage": 10, "marginMode": 1}
    return {"symbol": symbol, "marginMode": 2}


def listing(path: str, symbol: str, co_type: int, u: float, listed: tuple):
    """The success ``data`` of a reconciliation query (spot ``openOrders``/``historyOrders``, futures
    ``order/entrust-history``) after an order of unknown answer.

    ``listed``: ``(attempt start ns, attempt oid, placed, re-send start ns or -1, re-send oid)``. Open orders list
    the attempt's order when it was placed and the re-sent one; finished orders and the futures history
    (every order) list an older filled order too, created half an hour before the attempt, so the listing
    reaches back before it. The orders are the attempt's (its side, price and quantity, created 20 ms after its
    call started) and keep the shapes of :func:`data`.
    """
    t, oid, placed, again_t, again_oid = listed
    mine = ([(oid, t)] if placed else []) + ([(again_oid, again_t)] if again_t >= 0 else [])
    older = (oid - 500_000, t - 1_800_000_000_000)
    px = f"{100 + u * 50:.2f}"
    if "/stock/" in path:
        def spot(order_id, ns, status):
            return {"orderId": str(order_id), "clientOid": f"bot-{order_id}", "symbol": symbol,
                    "side": "buy" if u < 0.5 else "sell", "type": "limit", "price": px,
                    "quantity": str(1 + int(u * 10)), "filledQty": "0" if status == "pending" else
                    str(1 + int(u * 10)), "status": status, "createdAt": ns // 1_000_000 + 20}
        orders = ([spot(i, ns, "pending") for i, ns in mine] if path.endswith("openOrders")
                  else [spot(*older, "filled")])
        return {"orders": orders, "total": len(orders), "page": 1, "size": 20}

    def futures(order_id, ns, status):
        return {"id": order_id, "symbol": symbol, "price": px, "status": status,
                "orderNo": f"CO{20261116000000 + order_id % 1000000}", "openFlag": 1, "longFlag": 1 if u < 0.5 else 2,
                "vol": str(1 + int(u * 5)), "filledVol": "0" if status == 1 else str(1 + int(u * 5)), "orderType": 1,
                "leverage": 10, "ctime": ns // 1_000_000 + 20, "marginMode": 1, "coType": co_type}
    return [futures(i, ns, 1) for i, ns in reversed(mine)] + [futures(*older, 2)]  # newest first, as paged

