"""An order's identity, read from a call's request and answer: the fields every reader adds to its row.

A call that places, cancels or asks about orders names them in its request
(query string, JSON or form body; each item of ``batchOrder``'s ``orders`` and
``batchCancelOrder``'s ``orderIds``) and in its answer (``data.orderId``,
``orderNo``, ``clientOid``; a batch's ``results[]``; a query's order list).
:func:`order_fields` turns them into the row's seven fields:

- ``client_oid``, ``order_id``, ``side``, ``order_type``, ``price``,
  ``quantity``: the single order of the call, as text (spot ``quantity``,
  futures ``vol`` or ``amt``; spot ``type``, futures ``orderType``), the
  request's value first and the answer's where the request has none;
- ``order_items``: only for a batch call or an answer that lists orders, the
  items as one compact JSON text, a list of :data:`ITEM` lists; None for every
  other call, so a frame of millions of calls holds it for the few that have it.

Examples
--------
>>> order_fields(None, {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": "101.5",
...                     "quantity": "2", "clientOid": "mm-7"}, {"orderId": "881", "clientOid": "mm-7"})
('mm-7', '881', 'buy', 'limit', '101.5', '2', None)
>>> order_fields(None, None, {"orders": [{"orderId": "5", "symbol": "BTCUSDT", "side": "buy", "type": "limit",
...                                       "price": "1.00", "quantity": "2", "status": "pending"}]})[6]
'[["5",null,"BTCUSDT","buy","limit","1.00","2","pending",null,null,null]]'
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson

#: The fields of an item of ``order_items``, in order: the order's id and ``clientOid``, symbol, side, type,
#: price, quantity, its status as the answer gives it, its creation time (epoch ms, as listed), whether the
#: batch item succeeded (True, False; None for a listed order) and the failed item's message.
ITEM = ("order_id", "client_oid", "symbol", "side", "order_type", "price", "quantity", "status", "created",
        "ok", "error")
#: The row's fields this module fills, in :class:`~._rows.Row` order.
FIELDS = ("client_oid", "order_id", "side", "order_type", "price", "quantity", "order_items")
NO_ORDER = (None,) * len(FIELDS)
#: Most items kept of one call (a page of 100 listed orders and more).
MAX_ITEMS = 200
_LONGEST = 64  # a value longer than this is no order's identity
#: Whether calls' order fields are read at all: on, but for a benchmark that measures what they cost.
READ = True


def text(value):
    """A scalar as text (numbers as JSON writes them); None for anything else or an empty or overlong value.

    Examples
    --------
    >>> text(881), text("0.5"), text(2.0), text(True), text(""), text({"a": 1})
    ('881', '0.5', '2.0', None, None, None)
    """
    t = type(value)
    if t is str:
        return value if 0 < len(value) <= _LONGEST else None
    if t is int:
        if -(1 << 63) <= value < (1 << 63):
            return str(value)
        try:  # beyond 64 bits: as the float every JSON reader here makes of it
            return repr(float(value))
        except OverflowError:
            return None
    if t is float:
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else None
    return None


def _first(sources, *keys):
    for src in sources:
        for k in keys:
            v = src.get(k)
            if v is not None:
                v = text(v)
                if v is not None:
                    return v
    return None


def as_mapping(body):
    """A request body as a dict: a dict as it is, JSON object text parsed, a form body's pairs; else None."""
    if type(body) is dict:
        return body
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if type(body) is not str:
        return None
    s = body.strip()
    if not s:
        return None
    if s[0] == "{":
        try:
            v = orjson.loads(s)
        except orjson.JSONDecodeError:
            return None
        return v if type(v) is dict else None
    if "=" in s and s[0] not in "[<\"":
        return dict(parse_qsl(s, keep_blank_values=False))
    return None


_ANSWER_HINTS = ("order", "Order", "trades", "results")


def answer_data(body):
    """The ``data`` of an answer: of a parsed envelope, or of JSON text that may name orders (else None)."""
    if type(body) is dict:
        return body.get("data")
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if type(body) is str and body.lstrip()[:1] == "{" and any(h in body for h in _ANSWER_HINTS):
        try:
            v = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return v.get("data") if type(v) is dict else None
    return None


def names_orders(url) -> bool:
    """Whether a call's URL is about orders (``order``, ``Order``, ``trades``, ``position`` in it, but not an
    order book's ``orderbook``): the only calls whose order fields are read, so that the millions of market-data
    calls cost nothing. These are the endpoints the catalog says place, cancel or show orders (its ``action``),
    and the like of other exchanges, told by a look at the URL alone.

    Examples
    --------
    >>> names_orders("https://h/api/v1/stock/open-api/batchOrder"), names_orders("/api/v1/stock/open-api/depth")
    (True, False)
    >>> names_orders("https://h/api/v1/futures/open-api/orderbook/BTCUSDT?depth=20")
    False
    """
    return type(url) is str and READ and (("rder" in url and "rderbook" not in url and "rderBook" not in url)
                                          or "trades" in url or "osition" in url)


def order_fields(params, body, data, *more) -> tuple:
    """The seven order fields (:data:`FIELDS`) of a call: ``params`` and ``body`` of its request (dicts, text,
    or None; ``more``: further request dicts, looked at last) and the ``data`` of its answer (any JSON value)."""
    reqs = [m for m in (as_mapping(body), as_mapping(params), *(as_mapping(x) for x in more)) if m]
    answer = data if type(data) is dict else None
    if not reqs and answer is None and type(data) is not list:
        return NO_ORDER
    return identity(reqs, answer, _items(reqs, data))


def identity(reqs: list, answer: dict | None, items: list | None) -> tuple:
    """The seven order fields (:data:`FIELDS`) of a call from the dicts of its request (``reqs``, the first
    that holds a field wins), its answer's ``data`` when that is an object (``answer``), and its ``items``
    (:data:`ITEM` lists, or None when it is no batch and lists no orders).

    Examples
    --------
    >>> identity([{"orderId": 7}], None, [["7", None, "X", "buy", None, None, None, "open", None, None, None]])
    (None, '7', None, None, None, None, '[["7",null,"X","buy",null,null,null,"open",null,null,null]]')
    """
    ans = [answer] if answer is not None else []
    client_oid = _first(reqs, "clientOid", "client_oid", "clientOrderId") or _first(ans, "clientOid")
    order_id = _first(reqs, "orderId", "order_id") or _first(ans, "orderId", "orderNo")
    side = _first(reqs, "side")
    order_type = _first([r for r in reqs if r.get("side") is not None], "type", "orderType")  # not a product list's ``type``
    price = _first(reqs, "price")
    quantity = _first(reqs, "quantity", "vol", "amt")
    if not reqs and answer is not None and items is not None:  # a query's answer: its order is an item
        client_oid = order_id = None
    return (client_oid, order_id, side, order_type, price, quantity,
            None if items is None else orjson.dumps(items[:MAX_ITEMS]).decode())


def listed(orders: list, status=None) -> list:
    """The :data:`ITEM` lists of the orders an answer lists (its objects; ``status`` "trade" for fills).

    Examples
    --------
    >>> listed([{"orderNo": "CO1", "longFlag": 1, "vol": "2", "status": 2, "ctime": 1763665314858}, 5])
    [['CO1', None, None, '1', None, None, '2', '2', 1763665314858, None, None]]
    """
    return [_listed(o, status) for o in orders if type(o) is dict]


def _items(reqs: list, data) -> list | None:
    """The items of a batch call (request merged with answer by position) or of an answer listing orders."""
    for req in reqs:
        orders = req.get("orders")
        if type(orders) is list:  # batchOrder: the request's orders, the answer's results[] beside them
            results = _results(data)
            return [_placed(o, results[i] if i < len(results) else None) for i, o in enumerate(orders)]
        ids = req.get("orderIds")
        if type(ids) is list:  # batchCancelOrder: the ids, the answer's array beside them
            results = _results(data)
            return [_cancelled(v, results[i] if i < len(results) else None) for i, v in enumerate(ids)]
    if type(data) is dict:
        for key in ("orders", "trades"):
            orders = data.get(key)
            if type(orders) is list:
                return listed(orders, "trade" if key == "trades" else None)
        if data.get("status") is not None and (data.get("orderId") is not None or data.get("orderNo") is not None):
            return [_listed(data, None)]  # orderDetail: one order
        return None
    if type(data) is list and data and type(data[0]) is dict and data[0].get("success") is None and (
            data[0].get("orderNo") is not None or data[0].get("orderId") is not None):
        return listed(data)  # futures order/limit, order/history, ...
    return None


def _results(data) -> list:
    results = data.get("results") if type(data) is dict else data
    return results if type(results) is list else []


def _ok(result):
    if type(result) is not dict:
        return None, None
    ok = result.get("success")
    ok = ok if type(ok) is bool else None
    msg = None if ok else text(result.get("errorMsg") or result.get("msg") or result.get("message"))
    return ok, msg


def _placed(order, result) -> list:
    o = order if type(order) is dict else {}
    r = result if type(result) is dict else {}
    ok, msg = _ok(result)
    return [text(r.get("orderId")), text(o.get("clientOid")) or text(r.get("clientOid")), text(o.get("symbol")),
            text(o.get("side")), text(o.get("type") or o.get("orderType")), text(o.get("price")),
            text(o.get("quantity") or o.get("vol") or o.get("amt")), None, None, ok, msg]


def _cancelled(order_id, result) -> list:
    r = result if type(result) is dict else {}
    ok, msg = _ok(result)
    return [text(order_id) or text(r.get("orderId")), None, None, None, None, None, None, None, None, ok, msg]


def _listed(o: dict, status) -> list:
    side = o.get("side")
    if side is None:
        side = o.get("longFlag")  # futures: longFlag 1 long-buy, 2 short-sell, as order/create's side
    created = o.get("ctime")
    if created is None:
        created = o.get("createdAt")
    return [text(o.get("orderId")) or text(o.get("id")) or text(o.get("orderNo")), text(o.get("clientOid")),
            text(o.get("symbol")), text(side), text(o.get("type") or o.get("orderType")), text(o.get("price")),
            text(o.get("quantity") or o.get("vol") or o.get("amt")), status or text(o.get("status")),
            created if type(created) is int and -(1 << 63) <= created < (1 << 63) else None, None, None]


__all__ = ["FIELDS", "ITEM", "MAX_ITEMS", "NO_ORDER", "READ", "answer_data", "as_mapping", "identity", "listed",
           "names_orders", "order_fields", "text"]
