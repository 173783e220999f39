"""The columns of a loaded recording: names, dtypes and fixed vocabularies.

Every reader, the store and the Dask front end build their frames from
:func:`empty_frame` / :data:`DTYPES`, so one definition decides the schema.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ACTIONS", "CATEGORIES", "COLUMNS", "ORDER_FIELDS", "DATA_CATEGORIES", "DTYPES", "FORMATS", "KINDS", "MARKETS",
           "METHODS", "REJECT_DTYPES", "REPORT_DTYPES", "STRING", "TS", "WS_COLUMNS", "WS_DIRECTIONS", "WS_DTYPES",
           "WS_KINDS", "empty_frame"]

#: Markets, in the order plots and groupbys list them.
MARKETS = ["spot", "futures", "unknown"]

#: Error categories: the project's fixed vocabulary, in its documented order.
CATEGORIES = [
    "ok",
    "bad_request",
    "auth",
    "permission",
    "not_found",
    "rate_limit",
    "insufficient_funds",
    "order_rejected",
    "position",
    "leverage_margin",
    "tpsl",
    "product",
    "server_error",
    "upstream_error",
    "transport",
    "malformed",
    "unknown",
]

#: Endpoint kinds (the endpoint catalog's ``kind``; ``unknown`` for paths it does not list).
KINDS = ["trading", "account", "market_data", "unknown"]

#: What an endpoint does with orders (the endpoint catalog's ``action``): places them, cancels them, shows them
#: (orders, fills or positions: a bot's reconciliation), or none of these.
ACTIONS = ["place", "cancel", "query", "other"]

#: HTTP methods a recording may carry (upper case).
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

#: The ``bot`` of a call when neither its record nor its recording's name says which bot made it.
UNKNOWN_BOT = "unknown"

#: Input formats named in :attr:`toolkit.Load.report`.
FORMATS = ["jsonl", "har", "vcr", "text", "wslog"]

TS = pd.DatetimeTZDtype("ns", "UTC")
STRING = pd.StringDtype("pyarrow")

DTYPES: dict[str, object] = {
    "ts": TS,
    "market": pd.CategoricalDtype(MARKETS),
    "bot": pd.CategoricalDtype(pd.Index([], dtype=STRING)),  # which bot made the call; "unknown" when nothing says
    "key_id": pd.CategoricalDtype(pd.Index([], dtype=STRING)),  # its API key's one-way fingerprint; NA: no key
    "method": pd.CategoricalDtype(METHODS),
    "path": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "endpoint": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "kind": pd.CategoricalDtype(KINDS),
    "http_status": pd.Int16Dtype(),
    "code": pd.Int64Dtype(),
    "message": STRING,
    "category": pd.CategoricalDtype(CATEGORIES),
    "reason": STRING,
    "retryable": pd.BooleanDtype(),
    "is_error": bool,
    "items": pd.Int32Dtype(),
    "items_failed": pd.Int32Dtype(),
    "latency_ms": pd.Float64Dtype(),
    "symbol": STRING,
    "source": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "line": pd.Int64Dtype(),
    "client_ts": TS,
    "server_ts": TS,
    # the order's identity (request first, then answer), as recorded; NA where not (toolkit.orders reads them)
    "client_oid": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "order_id": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "side": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "order_type": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "price": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "quantity": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "order_items": pd.CategoricalDtype(pd.Index([], dtype=STRING)),  # batch and query calls only: JSON text
}

#: The order columns, in order (:data:`DTYPES`); text as recorded, categoricals so that a frame of millions of
#: calls pays a few bytes of codes a row for them.
ORDER_FIELDS = ["client_oid", "order_id", "side", "order_type", "price", "quantity", "order_items"]

#: Column order of a loaded frame.
COLUMNS = list(DTYPES)

#: Categorical columns whose categories are the values present (not a fixed vocabulary).
DATA_CATEGORIES = [c for c, d in DTYPES.items() if isinstance(d, pd.CategoricalDtype) and not len(d.categories)]

REJECT_DTYPES: dict[str, object] = {
    "source": STRING,
    "line": pd.Int64Dtype(),
    "reason": STRING,
    "excerpt": STRING,
}

REPORT_DTYPES: dict[str, object] = {
    "source": STRING,
    "format": pd.CategoricalDtype(FORMATS),
    "rows": pd.Int64Dtype(),
    "rejects": pd.Int64Dtype(),
    "skipped": pd.Int64Dtype(),
    "unverified": pd.Int64Dtype(),  # 2xx rows whose body was not recorded (reason ``unverified``)
    "frames": pd.Int64Dtype(),  # rows of ``Load.websocket``: WebSocket frames and connection events
}

#: Which way a WebSocket row went: a frame the bot sent or received, or a connection event.
WS_DIRECTIONS = ["sent", "received", "event"]

#: What a WebSocket row is: connection events (open, a refused upgrade, close, error), control and keepalive
#: frames (protocol or the exchange's ``{"action": "ping"}``), subscriptions and their acks, the futures
#: welcome, market-data pushes, and anything else.
WS_KINDS = ["open", "handshake_failed", "close", "error", "ping", "pong", "subscribe", "unsubscribe", "ack",
            "welcome", "data", "other"]

#: The columns of :attr:`toolkit.Load.websocket`: one row per WebSocket frame or connection event.
WS_DTYPES: dict[str, object] = {
    "ts": TS,
    "bot": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "market": pd.CategoricalDtype(MARKETS),
    "url": pd.CategoricalDtype(pd.Index([], dtype=STRING)),  # secrets masked
    "connection": pd.CategoricalDtype(pd.Index([], dtype=STRING)),  # unique within a load
    "direction": pd.CategoricalDtype(WS_DIRECTIONS),
    "kind": pd.CategoricalDtype(WS_KINDS),
    "stream": STRING,  # the stream a push belongs to; a subscription's streams joined with ","
    "close_code": pd.Int32Dtype(),  # of a close; NA where the shape does not record it
    "status": pd.Int16Dtype(),  # the HTTP status of a refused upgrade (``handshake_failed``)
    "detail": STRING,  # a close reason, an error's text (secrets masked)
    "size": pd.Int64Dtype(),  # payload bytes; NA when the shape does not say
    "event_ts": TS,  # the exchange's time in the frame
    "latency_ms": pd.Float64Dtype(),  # receive time minus event_ts
    "first_seq": pd.Int64Dtype(),  # ``U`` of an order_book_update
    "last_seq": pd.Int64Dtype(),  # ``u`` of an order_book_update or book_ticker
    "source": pd.CategoricalDtype(pd.Index([], dtype=STRING)),
    "line": pd.Int64Dtype(),
}

#: Column order of :attr:`toolkit.Load.websocket`.
WS_COLUMNS = list(WS_DTYPES)


def empty_frame(dtypes: dict[str, object] | None = None) -> pd.DataFrame:
    """Return an empty frame with the loader's columns and dtypes.

    Examples
    --------
    >>> from toolkit.schema import empty_frame
    >>> empty_frame().dtypes["category"].categories[:3].tolist()
    ['ok', 'bad_request', 'auth']
    """
    dtypes = DTYPES if dtypes is None else dtypes
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in dtypes.items()})
