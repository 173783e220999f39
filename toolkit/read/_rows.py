"""The row every reader hands to the vectorised finish step: :class:`Row` names its fields, :data:`ROW` is its
Arrow struct, and a :class:`Batch` carries rows to :func:`toolkit.read._frame.finish`.

A reader pulls the raw fields of each record out of its format into one
row; the finish step turns a batch of rows into the typed, classified frame
in one go. :class:`Row` is the one definition of a row: its fields, in
order, each with its Python type and, in the annotation's metadata, its
Arrow type, from which :data:`ROW` is derived.

A row travels as a plain tuple of those fields, in that order: readers build
one per line on millions of lines, and a :class:`Row` instance would cost them
twice, when it is made (a NamedTuple's ``__new__`` is Python) and while it waits
in its batch (the garbage collector tracks every instance of a tuple subclass to
the end, where it lets go of plain tuples of strings and numbers): some 15% of
the JSON Lines reader's time, and a few per cent of the others'. Code that reads a row
names its fields all the same: ``row[STATUS]`` with the positions below, or
``Row._make(row).status``.

Examples
--------
>>> row = (7, "2026-11-20T21:05:00Z", None, "GET", "/api/v1/x", 429, NO_BODY, None, None, None, 41.5,
...        None, None, None, None, None, None, "spot-mm", None) + (None,) * 7
>>> row[STATUS], Row._make(row).latency
(429, 41.5)
>>> ROW.names[:3], ROW.field("status").type
(['line', 'ts_str', 'ts_int'], DataType(int16))
"""

from typing import Annotated, NamedTuple, get_type_hints

import pyarrow as pa

# body kinds (the ``kind`` field), as classify_calls reads them
CODE, NO_CODE, NOT_JSON, NO_BODY = 0, 1, 2, 3


class Row(NamedTuple):
    """A record as every reader hands it over: these fields, in this order, of these types."""

    line: Annotated[int, pa.int64()]                # 1-based line (or entry) number
    ts_str: Annotated[str | None, pa.string()]      # time written as text: ISO-8601 or epoch digits
    ts_int: Annotated[int | None, pa.int64()]       # time written as an integer: epoch s/ms/us/ns
    method: Annotated[str | None, pa.string()]      # upper case, or None
    url: Annotated[str, pa.string()]                # absolute URL or path, query allowed
    status: Annotated[int | None, pa.int16()]       # HTTP status; None when no response came
    kind: Annotated[int, pa.int8()]                 # body kind: CODE, NO_CODE, NOT_JSON, NO_BODY
    code: Annotated[int | None, pa.int64()]         # the envelope's code
    message: Annotated[str | None, pa.string()]     # msg/message, or the body text when it is not JSON
    error: Annotated[str | None, pa.string()]       # exception text when no response came
    latency: Annotated[float | None, pa.float64()]  # ms
    market: Annotated[str | None, pa.string()]      # the record's own market field
    symbol: Annotated[str | None, pa.string()]      # from the request's params or body
    client_ts: Annotated[int | None, pa.int64()]    # ACCESS-TIMESTAMP request header (epoch number)
    server_ts: Annotated[str | None, pa.string()]   # Date response header
    items: Annotated[int | None, pa.int32()]        # a batch call's items; None when not a batch
    items_failed: Annotated[int | None, pa.int32()]  # how many of them failed
    bot: Annotated[str | None, pa.string()]         # the record's own bot field
    key: Annotated[str | None, pa.string()]         # the record's key_id, else its ACCESS-KEY request header
    # the order's identity (:mod:`._orders`): request first, answer where the request has none
    client_oid: Annotated[str | None, pa.string()]
    order_id: Annotated[str | None, pa.string()]
    side: Annotated[str | None, pa.string()]
    order_type: Annotated[str | None, pa.string()]
    price: Annotated[str | None, pa.string()]
    quantity: Annotated[str | None, pa.string()]    # spot quantity, futures vol or amt
    order_items: Annotated[str | None, pa.string()]  # a batch's items or a query's listed orders, as JSON text


#: :class:`Row` as an Arrow struct: the same fields, in the same order.
ROW = pa.struct([(name, hint.__metadata__[0]) for name, hint in get_type_hints(Row, include_extras=True).items()])

#: Where these fields stand in a row: ``row[STATUS]``.
STATUS, MESSAGE, ERROR = (Row._fields.index(name) for name in ("status", "message", "error"))
LINE, URL = (Row._fields.index(name) for name in ("line", "url"))
#: Where the order's fields start: ``row[ORDER:]`` are :data:`._orders.FIELDS`.
ORDER = Row._fields.index("client_oid")


class Batch:
    """Accepted records as rows (plain tuples of a :class:`Row`'s fields), plus the raw input to quote in rejects.

    ``raw_of(line)`` gives a record's raw input by its line (or entry) number.
    """

    def __init__(self, raw_of=None):
        self.rows: list[tuple] = []
        self.raw_of = raw_of or (lambda line: "")

    def __len__(self):
        return len(self.rows)


__all__ = ["CODE", "ERROR", "LINE", "MESSAGE", "NOT_JSON", "NO_BODY", "NO_CODE", "ORDER", "ROW", "STATUS", "URL", "Batch",
           "Row"]
