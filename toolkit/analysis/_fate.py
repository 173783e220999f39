"""What became of orders whose answer the bot never got, read from its later calls, and which were placed twice.

The evidence is the bot's own reconciliation: the order lists its later query
calls answered (``order_items`` of ``openOrders``, ``historyOrders``,
``orderDetail``, ``trades``; futures ``order/limit``, ``order/history``,
``order/entrust-history``) and its later cancels. :func:`settle` gives each
order of unknown outcome its fate; :func:`duplicates` finds the attempts that
placed an intent again.

An order is matched by its ``clientOid``, by its order id, or (no ``clientOid``,
as on futures) by symbol, side, quantity and price with a creation time
inside its call (from ``slack`` before it started to ``slack`` after it ended);
each listed order goes to one attempt only, the latest that started before it
was created, and never to an attempt whose answer gave the bot another order
id. An order is ``absent`` only where a later listing that would have to show
it does not: futures ``order/entrust-history`` (every order) and spot
``historyOrders`` (finished ones) reaching back before the attempt, together
with a later ``openOrders`` on spot.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from typing import Any

import msgspec
import numpy as np
import orjson
import pandas as pd

# listed statuses: spot words, futures numbers (0 init, 1 new, 2 filled, 3 part_filled, 4 canceled, ...)
_CANCELLED = frozenset(("cancelled", "canceled", "4"))
_LIVE = frozenset(("pending", "partial", "filled", "new", "open", "trade", "0", "1", "2", "3"))
#: Listings that show every order over their time (futures) or every finished one (spot), and open ones.
_ALL_ORDERS = ("order/entrust-history",)
_FINISHED = ("historyOrders",)
_OPEN = ("openOrders",)

BY_OID, BY_ID, BY_LOOKS = "by clientOid", "by order id", "by symbol, side, quantity and price"
LATER = "lists its clientOid's order, made after the call"


def _num(v):
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


class Listing:
    """A query call's answer: when, whose, of which symbol, which endpoint, and its items."""

    __slots__ = ("ts", "market", "account", "symbol", "endpoint", "items", "_oldest")

    def __init__(self, ts, market, account, symbol, endpoint, items, oldest=False):
        self.ts, self.market, self.account, self.symbol = ts, market, account, symbol
        self.endpoint, self.items = endpoint, items
        self._oldest = oldest

    @property
    def oldest(self):
        """The creation time of its oldest item, int ns (None without one): how far back it reaches."""
        if self._oldest is False:
            created = [i[8] for i in self.items if type(i[8]) is int]
            self._oldest = min(created) * 1_000_000 if created else None  # epoch ms as ns
        return self._oldest

    def shows(self, kinds) -> bool:
        return self.endpoint.endswith(kinds)


#: One listing's items as the reader writes them (``order_items``): lists of eleven fields.
_ITEMS = msgspec.json.Decoder(list[tuple[(Any,) * 11]])  # type: ignore[misc]
_ALL_ITEMS = msgspec.json.Decoder(list[list[tuple[(Any,) * 11]]])  # type: ignore[misc]


def _items_of(text) -> list:
    """A listing's items, each a sequence of eleven fields; anything else in it left out."""
    try:
        return _ITEMS.decode(text)
    except (msgspec.DecodeError, TypeError):
        pass
    try:
        items = orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        return []
    return [i for i in items if type(i) is list and len(i) == 11] if type(items) is list else []


def decode_items(text: list) -> list | None:
    """Each text's items, all texts decoded in one go; None unless every text is a list of eleven-field items
    (the reader's own ``order_items`` are)."""
    try:
        parsed = _ALL_ITEMS.decode("[" + ",".join(text) + "]") if text else []
    except (msgspec.DecodeError, TypeError):
        return None
    return parsed if len(parsed) == len(text) else None  # (a text holding a comma-separated run of lists)


def listings(ts, market, account, symbol, endpoint, text, wanted=None) -> list[Listing]:
    """The query answers (already cut to those that can be evidence), parsed once, in time order.

    ``wanted``: ``(client order ids, order ids, prices)`` of the attempts that need a fate. With it, a listing
    keeps only the items that can speak for one of them (its ``clientOid`` or order id is one of those, or it
    has a creation time and its price is one of those or none), its ``oldest`` still taken over all its items;
    and a listing left without items is kept only where it can prove an order absent. The items are checked
    together, not one listing at a time.
    """
    text = list(text)
    parsed = decode_items(text)
    if parsed is None:
        parsed = [_items_of(x) for x in text]
    rows = zip(ts.tolist(), market, account, symbol, endpoint)
    if wanted is None:
        out = [Listing(*row, items) for row, items in zip(rows, parsed)]
    else:
        out = _wanted(list(rows), parsed, wanted)
    out.sort(key=lambda x: x.ts)
    return out


def _wanted(rows: list, parsed: list, wanted) -> list[Listing]:
    """The listings of ``rows`` with only the items that can match ``wanted`` (see :func:`listings`)."""
    coids, oids, prices = wanted
    lens = np.fromiter(map(len, parsed), np.int64, len(parsed))
    flat = [item for items in parsed for item in items]
    owner = np.repeat(np.arange(len(parsed)), lens)
    made = np.array([c if type(c) is int else np.nan for c in (item[8] for item in flat)], dtype=np.float64)
    oldest = np.full(len(parsed), np.inf)
    np.minimum.at(oldest, owner, np.where(np.isnan(made), np.inf, made))
    price = pd.to_numeric(pd.Series([item[5] for item in flat], dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    hit = (np.fromiter((item[1] in coids or item[0] in oids for item in flat), bool, len(flat))
           | (~np.isnan(made) & (np.isnan(price) | np.isin(price, np.array(sorted(prices), dtype=np.float64)))))
    keep = np.zeros(len(parsed), dtype=bool)
    keep[owner[hit]] = True
    at, kinds = pd.factorize(np.array([row[4] for row in rows], dtype=object))
    keep |= np.array([k.endswith(_ALL_ORDERS + _FINISHED + _OPEN) for k in kinds], dtype=bool)[at]
    items = [[] for _ in parsed]
    for j in np.flatnonzero(hit).tolist():
        items[owner[j]].append(flat[j])
    first = np.where(oldest == np.inf, -1, oldest).astype(np.int64) * 1_000_000
    return [Listing(*rows[k], items[k], None if first[k] < 0 else int(first[k]))
            for k in np.flatnonzero(keep).tolist()]


def settle(att: dict, lists: list[Listing], slack: int, given: set, horizon: int) -> tuple[list, list, list]:
    """(fate, evidence_ts, evidence) of each attempt in ``att`` (dict of per-attempt lists and arrays).

    ``att``: ``ts``, ``end`` (int ns), ``account``, ``market``, ``action``, ``unknown`` (needs a fate),
    ``sent``, ``client_oid``, ``order_id``, ``symbol``, ``side``, ``price``, ``quantity`` (floats),
    ``endpoint``, ``accepted``; ``given``: (market, order id) of every accepted placement, whose order is no
    unknown one's; ``horizon``: how long after an attempt a listing is read for it.
    """
    n = len(att["ts"])
    fate = [None] * n
    ev_ts = [None] * n
    ev = [None] * n
    att["found_id"] = found = [None] * n  # the order id the evidence showed
    todo = [i for i in range(n) if att["unknown"][i]]
    for i in todo:
        if not att["sent"][i]:
            fate[i] = "absent" if att["action"][i] == "place" else "not_cancelled"
            ev[i] = "not sent: the connection was never made"
    todo = [i for i in todo if att["sent"][i]]
    if not todo:
        return fate, ev_ts, ev
    place = [i for i in todo if att["action"][i] == "place"]
    cancel = [i for i in todo if att["action"][i] == "cancel"]
    by_oid = defaultdict(list)   # (market, account, clientOid) -> attempts
    by_looks = defaultdict(list)  # (market, account, symbol, side, price, quantity) -> attempts (by ts)
    for i in place:
        key = (att["market"][i], att["account"][i])
        if att["client_oid"][i] is not None:
            by_oid[key + (att["client_oid"][i],)].append(i)
        by_looks[key + _looks(att["symbol"][i], att["side"][i], att["price"][i], att["quantity"][i])].append(i)
    for group in by_looks.values():
        group.sort(key=lambda i: att["ts"][i])
    starts = {k: [att["ts"][i] for i in g] for k, g in by_looks.items()}
    starts_of = defaultdict(list)  # (market, account, clientOid) -> start of every placement with it
    for i in range(n):
        if att["action"][i] == "place" and att["client_oid"][i] is not None:
            starts_of[(att["market"][i], att["account"][i], att["client_oid"][i])].append(att["ts"][i])
    by_id = defaultdict(list)
    for i in cancel:
        by_id[(att["market"][i], att["account"][i], att["order_id"][i])].append(i)
    taken = set()
    for lst in lists:
        market = lst.market
        key = (market, lst.account)
        for item in lst.items:
            oid, coid = item[0], item[1]
            if coid is not None:
                made = item[8] * 1_000_000 if type(item[8]) is int else None
                group = by_oid.get(key + (coid,), ())
                for i in group:
                    if fate[i] is None and att["ts"][i] < lst.ts <= att["ts"][i] + horizon:
                        if made is not None and (made > att["end"][i] + slack or any(
                                att["ts"][i] < t <= made + slack for t in starts_of[key + (coid,)])):  # a later one
                            fate[i], ev_ts[i], ev[i] = "absent", lst.ts, f"{_name(lst.endpoint)} {LATER}"
                            continue
                        fate[i], ev_ts[i], ev[i] = "placed", lst.ts, f"{_name(lst.endpoint)} {BY_OID}"
                        found[i] = oid
            if oid is not None:
                for i in by_id.get(key + (oid,), ()):
                    if fate[i] is None and att["ts"][i] < lst.ts <= att["ts"][i] + horizon:
                        status = item[7]
                        if status in _CANCELLED:
                            got = "cancelled"
                        elif status in _LIVE and (status != "trade" or (item[8] or 0) * 1_000_000 > att["ts"][i]):
                            got = "not_cancelled"
                        else:
                            continue
                        fate[i], ev_ts[i], ev[i] = got, lst.ts, f"{_name(lst.endpoint)} {BY_ID}"
            created = item[8]
            if type(created) is not int or (market, oid) in given or (market, oid) in taken or item[7] == "trade":
                continue
            looks = key + _looks(item[2], item[3], _num(item[5]), _num(item[6]))
            group = by_looks.get(looks)
            if not group:
                continue
            c = created * 1_000_000
            j = bisect.bisect_right(starts[looks], c + slack) - 1  # the latest attempt that started before it
            if j < 0:
                continue
            i = group[j]
            if (c <= att["end"][i] + slack and att["ts"][i] < lst.ts <= att["ts"][i] + horizon
                    and (coid is None or att["client_oid"][i] is None)):
                taken.add((market, oid))
                if fate[i] is None:
                    fate[i], ev_ts[i], ev[i] = "placed", lst.ts, f"{_name(lst.endpoint)} {BY_LOOKS}"
                    found[i] = oid
    _later_cancels(att, cancel, fate, ev_ts, ev)
    _absent(att, place, lists, fate, ev_ts, ev, horizon)
    for i in todo:
        if fate[i] is None:
            fate[i] = "unknown"
    return fate, ev_ts, ev


def _name(endpoint: str) -> str:
    return endpoint.rsplit("/open-api/", 1)[-1]


def _looks(symbol, side, price, quantity) -> tuple:
    return (symbol, None if side is None else str(side).lower(), price, quantity)


def _later_cancels(att, cancel, fate, ev_ts, ev) -> None:
    """A cancel of unknown outcome was not the one that took effect when a later cancel of the order was
    accepted: the order was still open then."""
    if not cancel:
        return
    accepted = defaultdict(list)
    for j in range(len(att["ts"])):
        if att["action"][j] == "cancel" and att["accepted"][j] and att["order_id"][j] is not None:
            accepted[(att["market"][j], att["account"][j], att["order_id"][j])].append(att["ts"][j])
    for i in cancel:
        times = accepted.get((att["market"][i], att["account"][i], att["order_id"][i]), ())
        later = [t for t in times if t > att["ts"][i]]
        if later and (ev_ts[i] is None or min(later) < ev_ts[i]):
            fate[i], ev_ts[i], ev[i] = "not_cancelled", min(later), f"{_name(att['endpoint'][i])} accepted later"


def _absent(att, place, lists, fate, ev_ts, ev, horizon) -> None:
    """Placements still without a fate that a later listing which would have to show them does not show."""
    rest = [i for i in place if fate[i] is None]
    if not rest:
        return
    cover, opened = defaultdict(list), defaultdict(list)  # (market, account) -> listings, in time order
    for lst in lists:
        if lst.shows(_ALL_ORDERS + _FINISHED):
            cover[(lst.market, lst.account)].append(lst)
        elif lst.shows(_OPEN):
            opened[(lst.market, lst.account)].append(lst)
    cover_ts = {k: [x.ts for x in v] for k, v in cover.items()}
    opened_ts = {k: [x.ts for x in v] for k, v in opened.items()}

    def first(found, stamps, i, reach):
        """The first listing after the attempt's end, within the horizon, of its symbol (or of all)."""
        key = (att["market"][i], att["account"][i])
        got, ts = found.get(key, ()), stamps.get(key, ())
        for k in range(bisect.bisect_right(ts, att["end"][i]), len(got)):
            lst = got[k]
            if lst.ts > att["ts"][i] + horizon:
                return None
            if (lst.symbol is None or lst.symbol == att["symbol"][i]) and (not reach or (
                    lst.oldest is not None and lst.oldest <= att["ts"][i])):
                return lst
        return None
    for i in rest:
        full = first(cover, cover_ts, i, True)
        if full is None:
            continue
        if full.shows(_FINISHED):  # spot: finished orders; an open one shows in a later openOrders
            opens = first(opened, opened_ts, i, False)
            if opens is None:
                continue
            full = max(full, opens, key=lambda x: x.ts)
        fate[i], ev_ts[i], ev[i] = "absent", full.ts, f"{_name(full.endpoint)} does not list it"


def duplicates(att: dict, fate: list, within: int) -> list:
    """The ``id`` of the earlier attempt of the same intent that was also placed, per attempt (None if none).

    Same ``clientOid`` with another order id; or, after an attempt of unknown answer that was placed, the same
    symbol, side, quantity and price sent again (with another or no ``clientOid``) within ``within`` of the end
    of that call, and placed too.
    """
    n = len(att["ts"])
    out = [None] * n
    found = att.get("found_id") or [None] * n
    ids = [a or b for a, b in zip(att["order_id"], found)]
    placed = [att["action"][i] == "place" and (att["accepted"][i] or fate[i] == "placed") for i in range(n)]
    order = sorted((i for i in range(n) if placed[i]), key=lambda i: att["ts"][i])
    first = {}
    for i in order:  # same clientOid, another order id
        coid = att["client_oid"][i]
        if coid is None:
            continue
        key = (att["market"][i], att["account"][i], coid)
        if key in first:
            j = first[key]
            a, b = ids[j], ids[i]
            if a is not None and b is not None and a != b:
                out[i] = att["id"][j]
        else:
            first[key] = i
    groups = defaultdict(list)
    for i in order:
        groups[(att["market"][i], att["account"][i]) + _looks(att["symbol"][i], att["side"][i], att["price"][i],
                                                                att["quantity"][i])].append(i)
    for group in groups.values():
        for k, i in enumerate(group):
            if not (att["unknown"][i] and fate[i] == "placed"):
                continue
            for j in group[k + 1:]:
                if att["ts"][j] > att["end"][i] + within:
                    break
                same_oid = att["client_oid"][i] is not None and att["client_oid"][i] == att["client_oid"][j]
                a, b = ids[i], ids[j]
                if out[j] is None and not same_oid and (a is None or b is None or a != b):
                    out[j] = att["id"][i]
                    break
    return out


__all__ = ["BY_ID", "BY_LOOKS", "BY_OID", "LATER", "Listing", "duplicates", "listings", "settle"]
