"""Orders of unknown outcome: order-placing and cancelling calls that timed out or got a 5xx.

When an order call times out, or a gateway answers 5xx, the exchange may or may
not have acted on it: the bot cannot know. Sending it again may place it twice.
Order calls are the rows whose ``kind`` is ``trading`` (the endpoint catalog's
kind for ``/api/v1/stock/open-api/order``, ``cancelOrder``, ``batchOrder``,
``/api/v1/futures/open-api/order/create``, ``order/cancel``, ...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import STRING
from .._grid import utc
from ..errors import ParameterError
from ..selection import as_duration, require, select, times

__all__ = ["ORDER_COLUMNS", "uncertain_orders"]

#: Columns of :func:`uncertain_orders`.
ORDER_COLUMNS = ["ts", "market", "method", "endpoint", "symbol", "client_oid", "http_status", "reason", "incident",
                 "sent_again", "again_at", "again_reason", "maybe_twice"]


def _unsure(df: pd.DataFrame) -> np.ndarray:
    status = df["http_status"].to_numpy(dtype=np.float64, na_value=np.nan)
    return (df["reason"] == "timeout").to_numpy(dtype=bool, na_value=False) | (status >= 500)


def uncertain_orders(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, incidents=None,
                     within=defaults.ORDER_REPEAT_WINDOW) -> pd.DataFrame:
    """Order calls whose outcome the bot could not know, per incident, and whether the same order was sent again.

    An order call (``kind == "trading"``) is uncertain when it timed out or got
    an HTTP 5xx. It was *sent again* when a later order call of the same market
    and endpoint, at most ``within`` after it, carries the same ``client_oid``
    (when the frame has that column and both values are recorded) or else the
    same ``symbol`` (and ``side`` and ``size``, when the frame has them). If the
    call sent again succeeded or was itself uncertain, the order may have been
    filled twice (``maybe_twice``).

    Parameters
    ----------
    df : DataFrame
        Calls with ``ts``, ``market``, ``kind``, ``endpoint``, ``symbol``,
        ``http_status``, ``reason``, ``is_error``; ``method``, ``client_oid``,
        ``side`` and ``size`` when present.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns; each call gets the ``id`` of
        the incident of its market it fell in. Computed from ``df`` by default.
    within : str or Timedelta, default "10s"
        How soon the same order sent again counts as a repeat.
    start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first; see
        :mod:`toolkit.selection`.

    Returns
    -------
    DataFrame
        One row per uncertain call: ``ts``, ``market``, ``method``,
        ``endpoint``, ``symbol``, ``client_oid`` (NA without the column),
        ``http_status`` (NA for a timeout), ``reason``, ``incident`` (NA outside
        incidents), ``sent_again``, ``again_at``, ``again_reason`` (what the
        repeat got) and ``maybe_twice``. Sorted by ``ts``; RangeIndex.

    Raises
    ------
    ValueError
        When the frame has no ``kind`` column, which tells order calls from the rest.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-18 14:12:00", "2026-11-18 14:12:02", "2026-11-18 14:20:00"], utc=True),
    ...     "market": "futures", "kind": "trading", "method": "POST",
    ...     "endpoint": "/api/v1/futures/open-api/order/create", "symbol": "BTCUSDT",
    ...     "client_oid": ["bot-17", "bot-17", "bot-18"], "http_status": [None, 200, 502],
    ...     "reason": ["timeout", "ok", "gateway_error"], "is_error": [True, False, True]})
    >>> outage = pd.DataFrame({"id": [1], "market": ["futures"], "start": [pd.Timestamp("2026-11-18 14:10", tz="UTC")],
    ...                        "end": [pd.Timestamp("2026-11-18 14:15", tz="UTC")]})
    >>> toolkit.uncertain_orders(df, incidents=outage)[["ts", "reason", "incident", "sent_again", "maybe_twice"]]
                             ts         reason  incident  sent_again  maybe_twice
    0 2026-11-18 14:12:00+00:00        timeout         1        True         True
    1 2026-11-18 14:20:00+00:00  gateway_error      <NA>       False        False
    """
    func = "uncertain_orders"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    if "kind" not in df.columns:
        raise ParameterError(f"{func}() needs the column `kind` (trading, account, market_data, unknown), which tells "
                         "order-placing and cancelling calls from the rest; the frame has none. Load the recording "
                         "with a toolkit whose loader tags kind, or add it from the endpoint catalog")
    require(df, ["ts", "market", "kind", "endpoint", "symbol", "http_status", "reason", "is_error"], func)
    w = as_duration(within, "within", func)
    t = times(df, func)
    trading = (df["kind"] == "trading").to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(trading)
    keep = [c for c in ("ts", "market", "method", "endpoint", "symbol", "side", "size", "client_oid", "http_status",
                        "reason", "is_error") if c in df]
    sub = df[keep].take(rows)
    ts = t[rows]
    unsure = _unsure(sub)
    # the order's identity: client_oid where recorded, else market, endpoint, symbol (side, size)
    base = [c for c in ("market", "endpoint", "symbol", "side", "size") if c in sub]
    key = np.zeros(len(sub), dtype=np.int64)
    for c in base:
        codes_, uniques = pd.factorize(sub[c], use_na_sentinel=False)
        key = key * (len(uniques) + 1) + codes_
    if "client_oid" in sub:
        oid = sub["client_oid"]
        has = oid.notna().to_numpy()
        oc, _ = pd.factorize(oid, use_na_sentinel=True)
        mk = np.zeros(len(sub), dtype=np.int64)
        for c in ("market", "endpoint"):
            codes_, uniques = pd.factorize(sub[c], use_na_sentinel=False)
            mk = mk * (len(uniques) + 1) + codes_
        key = np.where(has, -(oc.astype(np.int64) * (int(mk.max(initial=0)) + 1) + mk + 1), key)
    order = np.lexsort((ts, key))
    k_o, t_o = key[order], ts[order]
    nxt = np.full(len(sub), -1, dtype=np.int64)
    same = np.zeros(len(order), dtype=bool)
    same[:-1] = (k_o[1:] == k_o[:-1]) & (t_o[1:] - t_o[:-1] <= w)
    nxt[order[:-1][same[:-1]]] = order[1:][same[:-1]]
    pick = np.flatnonzero(unsure)
    again = nxt[pick]
    sent = again >= 0
    reason = sub["reason"].astype(object).to_numpy()
    again_reason = np.where(sent, reason[np.maximum(again, 0)], None)
    again_ok = sent & np.where(sent, ~sub["is_error"].to_numpy(dtype=bool, na_value=False)[np.maximum(again, 0)]
                               | unsure[np.maximum(again, 0)], False)
    picked = sub.iloc[pick]
    if incidents is None:
        from .incidents import find_incidents
        incidents = find_incidents(df)
    incident = _incident_of(picked, ts[pick], incidents)
    nat = np.iinfo(np.int64).min
    out = pd.DataFrame({
        "ts": picked["ts"].to_numpy(),
        "market": picked["market"].to_numpy(),
        "method": picked["method"].to_numpy() if "method" in picked else pd.array([pd.NA] * len(picked), STRING),
        "endpoint": picked["endpoint"].to_numpy(),
        "symbol": pd.array(picked["symbol"].astype(object).to_numpy(), dtype=STRING),
        "client_oid": pd.array(picked["client_oid"].astype(object).to_numpy() if "client_oid" in picked
                               else [pd.NA] * len(picked), dtype=STRING),
        "http_status": pd.array(picked["http_status"].to_numpy(dtype=np.float64, na_value=np.nan), dtype="Int16")
        if len(picked) else pd.array([], dtype="Int16"),
        "reason": pd.array(picked["reason"].astype(object).to_numpy(), dtype=STRING),
        "incident": pd.array(incident, dtype="Int64"),
        "sent_again": sent,
        "again_at": utc(np.where(sent, ts[np.maximum(again, 0)] if len(ts) else nat, nat)),
        "again_reason": pd.array(again_reason, dtype=STRING),
        "maybe_twice": again_ok,
    })
    for c in ("market", "endpoint", "method"):
        if c in df and isinstance(df[c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(out[c].astype(object), dtype=df[c].dtype)
    out["ts"] = pd.to_datetime(out["ts"], utc=True)
    return out.sort_values("ts", kind="stable").reset_index(drop=True)


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
