"""The row every reader hands to the vectorised finish step: :class:`Row`, its Arrow struct :data:`ROW`,
and the :class:`Batch` that carries rows to :func:`toolkit.read._frame.finish`.

A reader pulls raw fields out of its format into one :class:`Row` per
record; the finish step turns a batch of them into the typed, classified
frame in one go. :class:`Row` is the one definition: its fields, in order,
with each field's Python type and, in the annotation's metadata, its Arrow
type, from which :data:`ROW` is derived.

Examples
--------
>>> row = Row(line=1, ts_str="2026-11-20T21:05:00Z", ts_int=None, method="GET", url="/api/v1/x", status=200,
...           kind=NO_BODY, latency=41.5)
>>> row.status, row._replace(status=429).status
(200, 429)
>>> ROW.names[:3], ROW.field("status").type
(['line', 'ts_str', 'ts_int'], DataType(int16))
"""

from typing import Annotated, NamedTuple, get_type_hints

import pyarrow as pa

# body kinds (the ``kind`` field), as classify_calls reads them
CODE, NO_CODE, NOT_JSON, NO_BODY = 0, 1, 2, 3


class Row(NamedTuple):
    """A record as every reader hands it over: these fields, in this order, of these types.

    The fields after ``kind`` are None when the record does not hold them.
    """

    line: Annotated[int, pa.int64()]                       # 1-based line (or entry) number
    ts_str: Annotated[str | None, pa.string()]             # time written as text: ISO-8601 or epoch digits
    ts_int: Annotated[int | None, pa.int64()]              # time written as an integer: epoch s/ms/us/ns
    method: Annotated[str | None, pa.string()]             # upper case, or None
    url: Annotated[str, pa.string()]                       # absolute URL or path, query allowed
    status: Annotated[int | None, pa.int16()]              # HTTP status; None when no response came
    kind: Annotated[int, pa.int8()]                        # body kind: CODE, NO_CODE, NOT_JSON, NO_BODY
    code: Annotated[int | None, pa.int64()] = None         # the envelope's code
    message: Annotated[str | None, pa.string()] = None     # msg/message, or the body text when it is not JSON
    error: Annotated[str | None, pa.string()] = None       # exception text when no response came
    latency: Annotated[float | None, pa.float64()] = None  # ms
    market: Annotated[str | None, pa.string()] = None      # the record's own market field
    symbol: Annotated[str | None, pa.string()] = None      # from the request's params or body
    client_ts: Annotated[int | None, pa.int64()] = None    # ACCESS-TIMESTAMP request header (epoch number)
    server_ts: Annotated[str | None, pa.string()] = None   # Date response header
    items: Annotated[int | None, pa.int32()] = None        # a batch call's items; None when not a batch
    items_failed: Annotated[int | None, pa.int32()] = None  # how many of them failed


#: :class:`Row` as an Arrow struct: the same fields, in the same order.
ROW = pa.struct([(name, hint.__metadata__[0]) for name, hint in get_type_hints(Row, include_extras=True).items()])


#: Where these fields stand in a row, for the rows built as plain tuples: ``row[STATUS]``.
STATUS, MESSAGE, ERROR = (Row._fields.index(name) for name in ("status", "message", "error"))


class Batch:
    """Accepted records as rows, plus the raw input to quote in rejects.

    A row is a :class:`Row`, or a plain tuple of a Row's fields in their order:
    the readers of lines (JSON Lines, text logs) build one per line on millions
    of lines, and a :class:`Row` costs them time twice, when it is made (its
    ``__new__`` is Python) and while it waits in the batch (the garbage
    collector tracks every tuple subclass to the end): some 15% of the JSON
    Lines reader's time. ``Row._make(row)`` names the fields of either.
    ``raw_of(line)`` gives a record's raw input by its line (or entry) number.
    """

    def __init__(self, raw_of=None):
        self.rows: list[tuple] = []
        self.raw_of = raw_of or (lambda line: "")

    def __len__(self):
        return len(self.rows)


__all__ = ["CODE", "ERROR", "MESSAGE", "NOT_JSON", "NO_BODY", "NO_CODE", "ROW", "STATUS", "Batch", "Row"]
