"""Did my order go through? Every order attempt's identity, the answer it got and, when that was unknown, its fate.

An order attempt is a call whose endpoint places or cancels orders (the
endpoint catalog's ``action``), and each item of a batch call. Its answer is
``accepted``, ``rejected`` (with the reason) or ``unknown``: a read timeout, a
reset or remote disconnect, a 5xx or a gateway's page, futures code 1001; the
request may have reached the exchange or not. One that cannot have left the bot
(a connect timeout, a DNS failure, a refused connection) is not ``sent``. For
the unknown ones the bot's own later queries say what happened (see
:mod:`._fate`).
"""

from __future__ import annotations

import os

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from .. import defaults
from .._gc import paused
from .._grid import utc
from ..classify import endpoints
from ..errors import ParameterError
from ..schema import ACTIONS, ORDER_FIELDS, STRING
from ..selection import as_duration, require, select, selection, times
from ..store import is_store
from ._columns import codes as _codes, column as _column, join as _join, key as _key
from ._columns import numbers as _numbers, objects as _objects, strings as _strings, text as _text
from ._fate import decode_items, duplicates, listings, settle

__all__ = ["ANSWERS", "FATES", "ORDER_COLUMNS", "UNCERTAIN_COLUMNS", "orders", "uncertain_orders"]

#: What an order attempt's call was answered.
ANSWERS = ["accepted", "rejected", "unknown"]
#: What became of an order whose answer was unknown.
FATES = ["placed", "absent", "cancelled", "not_cancelled", "unknown"]
#: Columns of :func:`orders`.
ORDER_COLUMNS = ["id", "ts", "bot", "market", "endpoint", "action", "source", "line", "item", "client_oid", "order_id",
                 "symbol", "side", "order_type", "price", "quantity", "sent", "answer", "reason", "fate",
                 "evidence_ts", "evidence", "duplicate_of"]
#: Columns of :func:`uncertain_orders`.
UNCERTAIN_COLUMNS = ["id", "ts", "bot", "market", "endpoint", "action", "symbol", "client_oid", "order_id", "side",
                     "price", "quantity", "http_status", "reason", "incident", "fate", "evidence_ts", "evidence",
                     "duplicate_of"]

#: Texts of a failure before the request left the bot: connect timeouts, refused connections, DNS failures
#: (requests/urllib3, httpx, aiohttp and Python's own wording).
NEVER_LEFT = (r"ConnectTimeout|connect timeout|NewConnectionError|Failed to establish a new connection|"
              r"Connection refused|ConnectionRefused|Cannot connect to host|Connect call failed|ConnectError|"
              r"NameResolution|Name or service not known|getaddrinfo|nodename nor servname")
_NO_RESPONSE_UNKNOWN = ("timeout", "connection_error", "transport_error")


def _actions(df: pd.DataFrame) -> np.ndarray:
    """Each call's action code (index into :data:`~toolkit.schema.ACTIONS`), by its endpoint."""
    eps = endpoints()
    lut = dict(zip(eps["path"], eps["action"].astype(str)))
    other = ACTIONS.index("other")
    col = df["endpoint"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, cats = col.cat.codes.to_numpy(), col.cat.categories
    else:
        codes, cats = pd.factorize(col)
    per = np.array([ACTIONS.index(lut.get(str(c), "other")) for c in cats] + [other], dtype=np.int8)
    return per[np.where(codes < 0, len(cats), codes)]







def orders(df: pd.DataFrame | str | os.PathLike, *, start=None, end=None, market=None, bot=None,
           within=defaults.ORDER_REPEAT_WINDOW) -> pd.DataFrame:
    """One row per order attempt: who sent which order, what the answer was, and when unknown, what became of it.

    Parameters
    ----------
    df : DataFrame or path
        Calls as :func:`toolkit.load_logs` returns them (of recordings or a store), or a store written by
        :func:`toolkit.store.ingest`, of which only the calls that place, cancel or show orders are read:
        ``ts``, ``market``, ``endpoint``, ``http_status``, ``reason``, ``category``; the order columns
        (``client_oid``, ..., ``order_items``), ``bot``, ``key_id``, ``message``, ``latency_ms``, ``source``,
        ``line`` where present.
    within : str or Timedelta, default "30s"
        How soon after the end of a call of unknown answer the same order sent again is a repeat of it.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot`` (each one name or a list), exactly
        as filtering ``df`` first; see :mod:`toolkit.selection`.

    Returns
    -------
    DataFrame
        :data:`ORDER_COLUMNS`, one row per attempt (each batch item a row, ``item`` its 0-based position,
        ``<NA>`` for a single order), sorted by ``ts``: ``id`` (1, 2, ...), the call's ``ts``, ``bot``,
        ``market``, ``endpoint``, ``action`` (``place``, ``cancel``), ``source``, ``line``, the order's
        ``client_oid``, ``order_id`` (of an order found placed, the listed one's), ``symbol``, ``side``,
        ``order_type``, ``price``, ``quantity``; ``sent``
        (False when the request cannot have reached the exchange), ``answer`` (:data:`ANSWERS`) and its
        ``reason``; for unknown answers the ``fate`` (:data:`FATES`), ``evidence_ts`` and ``evidence`` (the
        later call that showed it, and how); ``duplicate_of``, the ``id`` of the earlier attempt of the same
        intent that was also placed.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> F = "/api/v1/futures/open-api/"
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-18 14:12:00", "2026-11-18 14:12:11", "2026-11-18 14:13:00"], utc=True),
    ...     "market": "futures", "endpoint": [F + "order/create", F + "order/create", F + "order/entrust-history"],
    ...     "http_status": [None, 200, 200], "reason": ["timeout", "ok", "ok"], "category": ["transport", "ok", "ok"],
    ...     "latency_ms": [10000.0, 80.0, 60.0], "symbol": "BTCUSDT", "side": ["1", "1", None],
    ...     "price": ["98000", "98000", None], "quantity": ["2", "2", None], "order_id": [None, "72", None],
    ...     "order_items": [None, None, '[["71",null,"BTCUSDT","1","1","98000","2","1",1795011120050,null,null],'
    ...                                 '["72",null,"BTCUSDT","1","1","98000","2","1",1795011131020,null,null]]']})
    >>> got = toolkit.orders(df)
    >>> got[["id", "answer", "fate", "order_id", "duplicate_of"]]
       id    answer    fate order_id  duplicate_of
    0   1   unknown  placed       71          <NA>
    1   2  accepted     NaN       72             1
    >>> got["evidence"].iloc[0]
    'order/entrust-history by symbol, side, quantity and price'
    """
    func = "orders"
    if not isinstance(df, pd.DataFrame) and is_store(df):
        df = _store_calls(df, selection(start, end, market, func, bot=bot))
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    with paused():  # the attempts and listings are kept until the table is built
        return _attempts(df, as_duration(within, "within", func), func)[0]


#: The columns :func:`orders` reads.
_READS = ["ts", "market", "bot", "key_id", "endpoint", "http_status", "reason", "category", "message", "latency_ms",
          "source", "line", "symbol", *ORDER_FIELDS]


def _store_calls(store, win) -> pd.DataFrame:
    """The calls of a store that place, cancel or show orders, in the window: DuckDB reads only those rows and
    the columns :func:`orders` reads."""
    from .. import store as stores

    eps = endpoints()
    paths = eps.loc[eps["action"] != "other", "path"].tolist()
    where, params = stores.window_sql(win)
    params.update({f"p{i}": p for i, p in enumerate(paths)})
    terms = [f"endpoint IN ({', '.join(f'$p{i}' for i in range(len(paths)))})", where]
    sql = f"SELECT {', '.join(_READS)} FROM calls WHERE {' AND '.join(terms)} ORDER BY ts, source, line"
    got = stores.query(store, sql, params)
    got["ts"] = pd.to_datetime(got["ts"], utc=True)
    for c in ("market", "bot", "key_id", "endpoint", "source", *ORDER_FIELDS):
        got[c] = _strings(got[c])
    return got


#: Columns an attempt takes from its call (as categoricals of text), and those a batch item has of its own.
_PER_CALL = ("bot", "market", "endpoint", "source", "symbol")
_IDENTITY = ("client_oid", "order_id", "side", "order_type", "price", "quantity")
_ITEM_AT = {"order_id": 0, "client_oid": 1, "symbol": 2, "side": 3, "order_type": 4, "price": 5, "quantity": 6}
_NAT = np.iinfo(np.int64).min


def _attempts(df: pd.DataFrame, w: int, func: str) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`orders` of a selected frame, and the HTTP status of each attempt's call."""
    require(df, ["ts", "market", "endpoint", "http_status", "reason"], func)
    t = times(df, func)
    for c in ("bot", "key_id"):  # one set of codes for a hand-built frame's text, as a loaded frame has
        if c in df and not isinstance(df[c].dtype, pd.CategoricalDtype):
            df = df.assign(**{c: _strings(df[c])})
    action = _actions(df)
    rows = np.flatnonzero(action <= ACTIONS.index("cancel"))
    call = _calls(df, rows, t, action)
    cols = {c: _column(df, c, rows) for c in _PER_CALL + _IDENTITY + ("key_id",)}
    line = df["line"].to_numpy(dtype=np.float64, na_value=np.nan)[rows] if "line" in df else np.full(len(rows), np.nan)
    listed = _column(df, "order_items", rows)
    batch = np.flatnonzero(listed.codes >= 0)
    take = np.flatnonzero(listed.codes < 0)
    items = np.full(len(rows), None, dtype=object)
    items[batch] = _objects(listed.take(batch))  # only the batches' texts become str
    item = np.full(len(take), -1, np.int64)
    answer, reason = call["answer"][take], call["reason"][take]
    own = {c: cols[c].take(take) for c in _IDENTITY + ("symbol",)}
    if len(batch):
        at, pos, values, answers, reasons = _items(items, batch, call)
        take = np.concatenate([take, at])
        item = np.concatenate([item, pos])
        answer = np.concatenate([answer, answers])
        reason = np.concatenate([reason, reasons])
        for c, v in values.items():
            fallback = _objects(cols[c].take(at)) if c == "symbol" else np.full(len(at), None, object)
            own[c] = _join(own[c], np.where(v != None, v, fallback))  # noqa: E711
    order = np.argsort(call["ts"][take], kind="stable")
    take, item, answer, reason = take[order], item[order], answer[order], reason[order]
    own = {c: v.take(order) for c, v in own.items()}
    n = len(take)
    att = {"ts": call["ts"][take], "end": call["end"][take], "sent": call["sent"][take], "answer": answer,
           "action_code": call["action_code"][take], "id": np.arange(1, n + 1)}
    fate = np.full(n, None, dtype=object)
    ev_ts = np.full(n, _NAT, dtype=np.int64)
    ev = np.full(n, None, dtype=object)
    dup = np.full(n, -1, dtype=np.int64)
    unknown = answer == ANSWERS.index("unknown")
    if unknown.any():
        per = {c: cols[c].take(take) for c in ("bot", "market", "endpoint", "key_id")}
        fate, ev_ts, ev, dup, found = _fates(df, t, action, att, per, own, w)
        if (found != None).any():  # noqa: E711 - the listed order's id, for an order found placed
            ids = _objects(own["order_id"])
            own["order_id"] = _join(own["order_id"][:0], np.where(ids == None, found, ids))  # noqa: E711
    out = pd.DataFrame({
        "id": att["id"],
        "ts": utc(att["ts"]),
        **{c: cols[c].take(take) for c in ("bot", "market", "endpoint")},
        "action": pd.Categorical.from_codes(att["action_code"], categories=ACTIONS[:2]),
        "source": cols["source"].take(take),
        "line": pd.arrays.IntegerArray(np.nan_to_num(line[take]).astype(np.int64), np.isnan(line[take])),
        "item": pd.arrays.IntegerArray(np.maximum(item, 0).astype(np.int32), item < 0),
        "client_oid": own["client_oid"], "order_id": own["order_id"], "symbol": own["symbol"],
        **{c: own[c] for c in ("side", "order_type", "price", "quantity")},
        "sent": att["sent"],
        "answer": pd.Categorical.from_codes(answer, categories=ANSWERS),
        "reason": _text(reason),
        "fate": pd.Categorical(fate, categories=FATES),
        "evidence_ts": utc(ev_ts),
        "evidence": _text(ev),
        "duplicate_of": pd.arrays.IntegerArray(np.maximum(dup, 0), dup < 0),
    })
    return out, call["http_status"][take]



def _calls(df: pd.DataFrame, rows: np.ndarray, t: np.ndarray, action: np.ndarray) -> dict:
    """Per placing or cancelling call: its answer (code into :data:`ANSWERS`), whether it was sent, and more."""
    status = df["http_status"].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
    reason = _objects(_column(df, "reason", rows))
    category = _objects(_column(df, "category", rows)) if "category" in df else np.where(reason == "ok", "ok", None)
    no_response = np.isnan(status)
    unknown = ((no_response & np.isin(reason, _NO_RESPONSE_UNKNOWN + ("dns_failure",)))
               | (status >= 500) | (reason == "system_error") | (category == "malformed"))
    accepted = ~unknown & (category == "ok")
    answer = np.where(unknown, 2, np.where(accepted, 0, 1)).astype(np.int8)
    sent = ~(no_response & (reason == "dns_failure"))
    if "message" in df and no_response.any():
        msg = df["message"].take(rows[no_response]).astype(STRING)
        sent[no_response] &= ~msg.str.contains(NEVER_LEFT, regex=True).fillna(False).to_numpy(dtype=bool)
    latency = (df["latency_ms"].to_numpy(dtype=np.float64, na_value=np.nan)[rows] if "latency_ms" in df
               else np.full(len(rows), np.nan))
    dur = np.where(np.isnan(latency), 0, latency * 1e6).astype(np.int64)
    return {"ts": t[rows], "end": t[rows] + dur, "answer": answer, "sent": sent, "reason": reason,
            "action_code": action[rows], "http_status": status}


def _items(items: np.ndarray, batch: np.ndarray, call: dict):
    """A batch call's items: the call each comes from, its position, identity, answer and reason."""
    parsed = decode_items(items[batch].tolist())
    if parsed is None:
        return _items_one_by_one(items, batch, call)
    lens = np.fromiter(map(len, parsed), np.int64, len(parsed))
    at = np.repeat(batch, lens)
    pos = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    fields = list(zip(*(item for got in parsed for item in got))) or [()] * 11
    values = {c: np.array(fields[i], dtype=object) for c, i in _ITEM_AT.items()}
    result = np.array(fields[9], dtype=object)
    own = np.array([type(x) is bool for x in fields[9]], dtype=bool) & (call["answer"][at] != 2)
    ok = own & (result == True)  # noqa: E712 - elementwise on an object array
    answers = np.where(own, np.where(ok, 0, 1), call["answer"][at]).astype(np.int8)
    failed = np.array([m or "item_failed" for m in fields[10]], dtype=object)  # its errorMsg, if it failed
    reasons = np.where(own, np.where(ok, "ok", failed), call["reason"][at]).astype(object)
    return at.astype(np.int64), pos.astype(np.int64), values, answers, reasons


def _items_one_by_one(items: np.ndarray, batch: np.ndarray, call: dict):
    """:func:`_items` of texts that are not all lists of eleven-field items: each read on its own."""
    at, pos, answers, reasons = [], [], [], []
    values = {c: [] for c in _ITEM_AT}
    for b in batch.tolist():
        try:
            got = orjson.loads(items[b])
        except orjson.JSONDecodeError:
            continue
        for k, it in enumerate(got if type(got) is list else []):
            if type(it) is not list or len(it) != 11:
                continue
            at.append(b)
            pos.append(k)
            for c, i in _ITEM_AT.items():
                values[c].append(it[i])
            if call["answer"][b] != 2 and type(it[9]) is bool:  # the item's own result: its errorMsg, if it failed
                answers.append(0 if it[9] else 1)
                reasons.append("ok" if it[9] else (it[10] or "item_failed"))
            else:
                answers.append(call["answer"][b])
                reasons.append(call["reason"][b])
    return (np.asarray(at, np.int64), np.asarray(pos, np.int64), {c: np.asarray(v, object) for c, v in values.items()},
            np.asarray(answers, np.int8), np.asarray(reasons, object))




def _fates(df, t, action, att, per, own, within) -> tuple:
    """Fate, evidence, duplicates and the listed order ids, worked out on the attempts that bear on an unknown
    one: the unknown ones, the placements that look the same or share their ``clientOid``, the cancels of the
    same order."""
    n = len(att["ts"])
    unknown = att["answer"] == 2
    place = att["action_code"] == 0
    accepted = att["answer"] == 0
    account = np.where(per["key_id"].codes >= 0, _codes(per["key_id"]), -2 - _codes(per["bot"]))
    who = _codes(per["market"]) * (1 << 40) + account
    looks = _key(who, _codes(own["symbol"]), _codes(own["side"]), _numbers(own["price"]),
                 _numbers(own["quantity"]))
    coid = np.where(own["client_oid"].codes >= 0, _key(who, _codes(own["client_oid"])), -1)
    oid = np.where(own["order_id"].codes >= 0, _key(who, _codes(own["order_id"])), -1)
    near = (unknown | (place & np.isin(looks, looks[unknown & place]))
            | ((coid >= 0) & np.isin(coid, coid[unknown & (coid >= 0)]))
            | (~place & (oid >= 0) & np.isin(oid, oid[unknown & ~place & (oid >= 0)])))
    sub = np.flatnonzero(near)
    part = {k: v[sub].tolist() for k, v in att.items()}
    part.update({
        "unknown": unknown[sub].tolist(), "accepted": accepted[sub].tolist(),
        "action": [ACTIONS[a] for a in part["action_code"]],
        "account": account[sub].tolist(), "market": _objects(per["market"])[sub].tolist(),
        "endpoint": _objects(per["endpoint"])[sub].tolist(),
        **{c: _objects(own[c].take(sub)).tolist() for c in ("client_oid", "order_id", "symbol", "side")},
        **{c: [None if x != x else x for x in _numbers(own[c].take(sub)).tolist()] for c in ("price", "quantity")},
    })
    todo = [i for i, u in enumerate(part["unknown"]) if u and part["sent"][i]]
    wanted = ({part["client_oid"][i] for i in todo if part["action"][i] == "place"} - {None},
              {part["order_id"][i] for i in todo if part["action"][i] == "cancel"} - {None},
              {part["price"][i] for i in todo if part["action"][i] == "place"} - {None})
    lists = _listings(df, t, action, att, unknown, per, wanted)
    listed = {item[0] for lst in lists for item in lst.items if item[0] is not None}
    ids = _objects(own["order_id"])
    mine = place & accepted & (own["order_id"].codes >= 0)
    codes = own["order_id"].codes
    cats = own["order_id"].categories
    seen = np.unique(codes[mine])
    shown = np.zeros(len(cats), dtype=bool)  # only ids a listing shows can matter: looked up once per id
    shown[seen] = [c in listed for c in cats.take(seen).to_numpy(dtype=object).tolist()]
    mine[mine] = shown[codes[mine]]
    given = set(zip(_objects(per["market"])[mine].tolist(), ids[mine].tolist()))
    slack = as_duration(defaults.ORDER_CLOCK_SLACK, "ORDER_CLOCK_SLACK")
    horizon = as_duration(defaults.ORDER_EVIDENCE_WINDOW, "ORDER_EVIDENCE_WINDOW")
    f, et, e = settle(part, lists, slack, given, horizon)
    d = duplicates(part, f, within)
    fate = np.full(n, None, dtype=object)
    ev_ts = np.full(n, _NAT, dtype=np.int64)
    ev = np.full(n, None, dtype=object)
    dup = np.full(n, -1, dtype=np.int64)
    found = np.full(n, None, dtype=object)
    fate[sub], ev[sub], found[sub] = f, e, part["found_id"]
    dup[sub] = [-1 if x is None else x for x in d]
    ev_ts[sub] = [_NAT if x is None else x for x in et]
    return fate, ev_ts, ev, dup, found


def _listings(df, t, action, att, unknown, per, wanted) -> list:
    """The query answers of the bot's account after an unknown attempt of its market, within the horizon."""
    if "order_items" not in df:
        return []
    q = np.flatnonzero((action == ACTIONS.index("query")) & df["order_items"].notna().to_numpy())
    if "category" in df:
        q = q[_objects(_column(df, "category", q)) == "ok"]
    horizon = as_duration(defaults.ORDER_EVIDENCE_WINDOW, "ORDER_EVIDENCE_WINDOW")
    market = _objects(_column(df, "market", q))
    attempt_market = _objects(per["market"])
    keep = np.zeros(len(q), dtype=bool)
    for m in np.unique(attempt_market[unknown].astype(str)):
        starts = np.sort(att["ts"][unknown & (attempt_market == m)])
        at = np.searchsorted(starts, t[q], side="left") - 1  # the latest unknown attempt before the query
        keep |= (market == m) & (at >= 0) & (t[q] - starts[np.maximum(at, 0)] <= horizon)
    q = q[keep]
    key, bot = _column(df, "key_id", q), _column(df, "bot", q)
    account = np.where(key.codes >= 0, _codes(key), -2 - _codes(bot))
    # account codes are those of the attempts' own columns: the same categories, as both are taken from df
    return listings(t[q], market[keep], account, _objects(_column(df, "symbol", q)),
                    _objects(_column(df, "endpoint", q)), _objects(_column(df, "order_items", q)), wanted)


def uncertain_orders(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, incidents=None,
                     within=defaults.ORDER_REPEAT_WINDOW) -> pd.DataFrame:
    """The orders whose answer the bot never got: :func:`orders` that were sent and got an unknown answer.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them; see :func:`orders`.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns; each order gets the ``id`` of the incident of its market
        it fell in. Computed from ``df`` by default.
    within : str or Timedelta, default "30s"
        As for :func:`orders`.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``; see :mod:`toolkit.selection`.

    Returns
    -------
    DataFrame
        :data:`UNCERTAIN_COLUMNS`: the attempt's ``id`` in :func:`orders`, its identity, the call's
        ``http_status`` and ``reason``, the ``incident`` it fell in (NA outside incidents), its ``fate`` with
        ``evidence_ts`` and ``evidence``, and ``duplicate_of``. Sorted by ``ts``; RangeIndex.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-18 14:12:00", "2026-11-18 14:20:00"], utc=True), "market": "spot",
    ...     "endpoint": ["/api/v1/stock/open-api/order", "/api/v1/stock/open-api/ticker"],
    ...     "http_status": [504, 200], "reason": ["gateway_error", "ok"], "category": ["server_error", "ok"]})
    >>> toolkit.uncertain_orders(df, incidents=pd.DataFrame())[["id", "http_status", "fate"]]
       id  http_status     fate
    0   1          504  unknown
    """
    func = "uncertain_orders"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    if "endpoint" not in df.columns:
        raise ParameterError(f"{func}() needs the column `endpoint`, whose catalog action tells order-placing and "
                             "cancelling calls from the rest; the frame has none")
    with paused():
        every, status = _attempts(df, as_duration(within, "within", func), func)
    pick = (every["sent"] & (every["answer"] == "unknown")).to_numpy()
    status = status[pick]
    view = every[pick].reset_index(drop=True)
    view["http_status"] = pd.array(np.where(np.isnan(status), None, status).astype(object), dtype="Int16")
    if incidents is None:
        from .incidents import find_incidents
        incidents = find_incidents(df)
    view["incident"] = pd.array(_incident_of(view, view["ts"].to_numpy("datetime64[ns]").view("int64"), incidents),
                                dtype="Int64")
    return view[UNCERTAIN_COLUMNS]


def _incident_of(calls: pd.DataFrame, ts: np.ndarray, incidents: pd.DataFrame) -> list:
    out = [pd.NA] * len(calls)
    if incidents is None or incidents.empty or not len(calls):
        return out
    market = calls["market"].astype(str).to_numpy()
    got = np.full(len(calls), -1, dtype=np.int64)
    level = incidents["level"].astype(str).to_numpy() if "level" in incidents else np.array(["market"] * len(incidents))
    ids = incidents["id"].to_numpy() if "id" in incidents else np.arange(1, len(incidents) + 1)
    # market-wide incidents first, so that a call in both takes the wider one
    for i in np.argsort(level != "market", kind="stable"):
        r = incidents.iloc[i]
        hit = (got < 0) & (market == str(r["market"])) & (ts >= r["start"].value) & (ts < r["end"].value)
        got[hit] = ids[i]
    return [int(g) if g >= 0 else pd.NA for g in got]
