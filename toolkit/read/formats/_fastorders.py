"""The order's fields on the JSON Lines fast path (:mod:`._fastjsonl`): the typed shapes of a request's
parameters and body and of an answer's ``data`` that name orders, and the same seven fields
:func:`toolkit.read._orders.order_fields` gives the general path: read from the structs for a single order, and
for an answer that lists orders made by the functions that function uses (:func:`~toolkit.read._orders.identity`,
:func:`~toolkit.read._orders.listed`), each listed order turned back into the dict they read by msgspec.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType
from msgspec.structs import asdict

from .._orders import MAX_ITEMS, NO_ORDER, identity, listed, text

_Scalar = str | int | float | None  # an order field: a bool or an object fails the decode, and the general path reads it


class _Order(msgspec.Struct, gc=False):
    """An item of a list in ``data``: a batch item's ``success`` flag (read by the general path), or a listed
    order's fields (JSON keys as the struct's names; a kline's or a product's none of them)."""

    success: object = UNSET
    orderId: _Scalar = None
    id: _Scalar = None
    orderNo: _Scalar = None
    clientOid: _Scalar = None
    symbol: _Scalar = None
    side: _Scalar = None
    longFlag: _Scalar = None
    type: _Scalar = None
    orderType: _Scalar = None
    price: _Scalar = None
    quantity: _Scalar = None
    vol: _Scalar = None
    amt: _Scalar = None
    status: _Scalar = None
    ctime: _Scalar = None
    createdAt: _Scalar = None


class _Probe(_Order, gc=False):
    """A body's ``data`` object: whether it holds a batch's ``results`` (read by the general path), the order
    it answers for (``orderDetail``'s whole order) and the orders it lists."""

    results: object = UNSET
    orders: list[_Order] | UnsetType = UNSET
    trades: list[_Order] | UnsetType = UNSET


def _listing(params, rbody, top, data):
    """The order fields of a call whose answer lists orders: ``data`` an object with ``orders`` or ``trades``
    (or ``orderDetail``'s order with its status), or a list of orders; None when the general path must read it
    (a list of mixed items). What :func:`~toolkit.read._orders.order_fields` gives for the same dicts."""
    reqs = [d for d in (_fields(rbody), _fields(params), _fields(top)) if d]
    if type(data) is _Probe:
        if data.orders is not UNSET:
            items = listed([asdict(o) for o in data.orders[:MAX_ITEMS]])
        elif data.trades is not UNSET:
            items = listed([asdict(o) for o in data.trades[:MAX_ITEMS]], "trade")
        else:
            items = listed([asdict(data)])
        return identity(reqs, {"clientOid": data.clientOid, "orderId": data.orderId, "orderNo": data.orderNo}, items)
    for o in data:
        if type(o) is not _Order:
            return None
    return identity(reqs, None, listed([asdict(o) for o in data[:MAX_ITEMS]]))


class _Symbol(msgspec.Struct, gc=False):
    """Request parameters or body: the symbol, the order's fields (JSON keys as the struct's names), and
    whether it holds a batch's ``orders`` or ``orderIds`` (read by the general path)."""

    symbol: str | None = None
    clientOid: _Scalar = None
    client_oid: _Scalar = None
    clientOrderId: _Scalar = None
    orderId: _Scalar = None
    order_id: _Scalar = None
    side: _Scalar = None
    type: _Scalar = None
    orderType: _Scalar = None
    price: _Scalar = None
    quantity: _Scalar = None
    vol: _Scalar = None
    amt: _Scalar = None
    orders: object = UNSET
    orderIds: object = UNSET


_ORDER_KEYS = tuple(f for f in _Symbol.__struct_fields__ if f not in ("symbol", "orders", "orderIds"))


def _fields(s) -> dict | None:
    """The order fields a request struct holds, as the dict the general path reads (None: no such struct)."""
    if s is None:
        return None
    return {k: v for k in _ORDER_KEYS if (v := getattr(s, k)) is not None}


def _names_order(s) -> bool:
    return s is not None and (s.clientOid is not None or s.orderId is not None or s.side is not None
                              or s.price is not None or s.quantity is not None or s.vol is not None
                              or s.amt is not None or s.client_oid is not None or s.clientOrderId is not None
                              or s.order_id is not None or s.type is not None or s.orderType is not None)


def _pick(srcs, names):
    """The first of ``names`` in the first of ``srcs`` that holds one, as text: ``_orders._first`` on structs."""
    for s in srcs:
        for n in names:
            v = getattr(s, n)
            if v is not None:
                v = text(v)
                if v is not None:
                    return v
    return None


_CLIENT_OID, _ORDER_ID, _TYPE, _QUANTITY = ("clientOid", "client_oid", "clientOrderId"), ("orderId", "order_id"), \
    ("type", "orderType"), ("quantity", "vol", "amt")


def _plain(v):
    """A decoded value as the row holds it, when :func:`~toolkit.read._orders.text` would keep it as it is (a
    short non-empty text, or an int of 64 bits as its digits); ``False`` for any other value (the long way)."""
    if v is None:
        return None
    t = type(v)
    if t is str:
        return v if 0 < len(v) <= 64 else False
    if t is int and -(1 << 63) <= v < (1 << 63):
        return str(v)
    return False


def lean(rbody, data):
    """The order fields of the common line: a JSON body (or none) and an answer whose data is an object naming
    no list, every value plain; None when :func:`order_of` must read it."""
    if rbody is not None:
        if (rbody.client_oid is not None or rbody.clientOrderId is not None or rbody.order_id is not None
                or rbody.orders is not UNSET or rbody.orderIds is not UNSET):
            return None
        coid, oid, side, price = rbody.clientOid, rbody.orderId, rbody.side, rbody.price
        typ = (rbody.type if rbody.type is not None else rbody.orderType) if side is not None else None
        if typ is None and side is not None and rbody.type is not None:
            return None
        qty = rbody.quantity
        if qty is None:
            qty = rbody.vol if rbody.vol is not None else rbody.amt
        elif rbody.vol is not None or rbody.amt is not None:
            return None
    else:
        coid = oid = side = typ = price = qty = None
    if data is not None:
        if type(data) is not _Probe or (data.orders is not UNSET or data.trades is not UNSET
                                        or data.status is not None or data.results is not UNSET):
            return None
        if coid is None:
            coid = data.clientOid
        if oid is None:
            oid = data.orderId if data.orderId is not None else data.orderNo
    out = (_plain(coid), _plain(oid), _plain(side), _plain(typ), _plain(price), _plain(qty), None)
    return None if False in out else out


def order_of(params, rbody, top, body):
    """The order fields of a line (:data:`toolkit.read._orders.FIELDS`) from its request's ``params`` and
    ``body`` structs, the record's own ``params`` (``top``) and the answer's body; None when the general path
    must read the line (a batch call).

    A single order is read from the structs here, as :func:`~toolkit.read._orders.order_fields` reads the
    dicts; an answer that lists orders by :func:`_listing`."""
    if params is not None and (params.orders is not UNSET or params.orderIds is not UNSET):
        return None
    if rbody is not None and (rbody.orders is not UNSET or rbody.orderIds is not UNSET):
        return None
    if top is not None and (top.orders is not UNSET or top.orderIds is not UNSET):
        return None
    data = None if body is None or type(body) is list else body.data
    answer = None
    if type(data) is _Probe:
        if (data.orders is not UNSET or data.trades is not UNSET
                or (data.status is not None and (data.orderId is not None or data.orderNo is not None))):
            return _listing(params, rbody, top, data)
        if data.orderId is not None or data.orderNo is not None or data.clientOid is not None:
            answer = data
    elif type(data) is list and data and type(data[0]) is _Order and (data[0].orderNo is not None
                                                                     or data[0].orderId is not None):
        return _listing(params, rbody, top, data)
    if answer is None and not (_names_order(rbody) or _names_order(params) or _names_order(top)):
        return NO_ORDER
    srcs = [s for s in (rbody, params, top) if s is not None]
    client_oid = _pick(srcs, _CLIENT_OID)
    if client_oid is None and answer is not None:
        client_oid = text(answer.clientOid)
    order_id = _pick(srcs, _ORDER_ID)
    if order_id is None and answer is not None:
        order_id = _pick((answer,), ("orderId", "orderNo"))
    sided = [s for s in srcs if s.side is not None]
    return (client_oid, order_id, _pick(srcs, ("side",)), _pick(sided, _TYPE) if sided else None,
            _pick(srcs, ("price",)), _pick(srcs, _QUANTITY), None)


__all__ = ["lean", "order_of"]
