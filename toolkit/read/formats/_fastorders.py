"""The order's fields on the JSON Lines fast path (:mod:`._fastjsonl`): the typed shapes of a request's
parameters and body and of an answer's ``data`` that name orders, and the same seven fields
:func:`toolkit.read._orders.order_fields` gives the general path, made by that very function from the decoded
structs turned back into the dicts it reads (for the few lines that name an order at all).
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from .._orders import NO_ORDER, order_fields

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


_ORDER_FIELDS = tuple(f for f in _Order.__struct_fields__ if f != "success")


def _as_dict(o: _Order) -> dict:
    """The fields a struct holds, as the dict the general path reads (keys with a null value left out)."""
    d = {k: v for k in _ORDER_FIELDS if (v := getattr(o, k)) is not None}
    if o.success is not UNSET and o.success is not None:
        d["success"] = o.success
    return d


def _answer(data):
    """``data`` as the general path sees it, for the order fields: dicts and lists of dicts; None when it names
    no order."""
    if type(data) is _Probe:
        if (data.orderId is None and data.orderNo is None and data.clientOid is None and data.orders is UNSET
                and data.trades is UNSET):
            return None  # the general path finds no order in it either
        d = _as_dict(data)
        for key in ("orders", "trades"):
            listed = getattr(data, key)
            if listed is not UNSET:
                d[key] = [_as_dict(o) for o in listed]
        return d or None
    if type(data) is list and data and type(data[0]) is _Order and (data[0].orderNo is not None
                                                                   or data[0].orderId is not None):
        if any(type(o) is not _Order for o in data):
            return False  # a list of mixed items: the general path
        return [_as_dict(o) for o in data]
    return None


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


def order_of(params, rbody, top, body):
    """The order fields of a line (:data:`toolkit.read._orders.FIELDS`) from its request's ``params`` and
    ``body`` structs, the record's own ``params`` (``top``) and the answer's body; None when the general path
    must read the line (a batch call)."""
    for src in (params, rbody, top):
        if src is not None and (src.orders is not UNSET or src.orderIds is not UNSET):
            return None
    answer = None if body is None or type(body) is list else _answer(body.data)
    if answer is False:
        return None
    if answer is not None or _names_order(params) or _names_order(rbody) or _names_order(top):
        return order_fields(_fields(params), _fields(rbody), answer, _fields(top))
    return NO_ORDER


__all__ = ["order_of"]
