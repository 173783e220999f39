"""The post-mortem's orders section as tables: the orders placed twice first, then those still unknown, then the
counts by answer and fate."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from ..analysis import orders, uncertain_orders


class OrderTables(NamedTuple):
    """``twice``: each order placed twice (both attempts' times and order ids); ``unknown``: the orders sent whose
    answer never came and whose fate no later call shows; ``counts``: attempts by action, answer and fate."""

    twice: pd.DataFrame
    unknown: pd.DataFrame
    counts: pd.DataFrame


def order_tables(df: pd.DataFrame, incidents=None) -> OrderTables:
    """The three tables of the orders section, from the calls of the window (``incidents``: of those calls).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ts": pd.to_datetime(["2026-11-18 14:12"], utc=True), "market": "spot",
    ...                    "endpoint": "/api/v1/stock/open-api/order", "http_status": [504],
    ...                    "reason": ["gateway_error"], "category": ["server_error"]})
    >>> t = order_tables(df, incidents=pd.DataFrame())
    >>> len(t.twice), len(t.unknown), t.counts.values.tolist()
    (0, 1, [['place', 'unknown', 'unknown', 1]])
    """
    every = orders(df)
    twice = every[every["duplicate_of"].notna()]
    first = every.set_index("id").loc[twice["duplicate_of"].astype(int)]
    pairs = pd.DataFrame({
        "bot": twice["bot"].to_numpy(), "market": twice["market"].to_numpy(), "symbol": twice["symbol"].to_numpy(),
        "side": twice["side"].to_numpy(), "price": twice["price"].to_numpy(), "quantity": twice["quantity"].to_numpy(),
        "first sent": first["ts"].to_numpy(), "first order id": first["order_id"].to_numpy(),
        "how it was found": first["evidence"].to_numpy(), "sent again": twice["ts"].to_numpy(),
        "second order id": twice["order_id"].to_numpy(), "client_oid": twice["client_oid"].to_numpy()})
    unsure = uncertain_orders(df, incidents=incidents)
    still = unsure.loc[unsure["fate"] == "unknown", ["ts", "bot", "market", "endpoint", "action", "symbol",
                                                     "client_oid", "order_id", "side", "price", "quantity",
                                                     "http_status", "reason", "incident"]].reset_index(drop=True)
    counts = (every.assign(fate=every["fate"].astype(object).where(every["fate"].notna(), "-"))
              .groupby(["action", "answer", "fate"], observed=True, sort=True).size().rename("orders").reset_index())
    counts["fate"] = counts["fate"].replace({"-": ""})
    return OrderTables(pairs, still, counts)


__all__ = ["OrderTables", "order_tables"]
