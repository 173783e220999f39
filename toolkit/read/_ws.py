"""WebSocket rows: what a frame or a connection event becomes, told once for every recording shape.

Every WebSocket reader (HAR ``_webSocketMessages``, the text logs of WebSocket libraries, the recorder's
JSON Lines) hands its frames to one :class:`WsRows`, which tells a frame's ``kind``, ``stream``, exchange time
and sequence numbers from its payload (:mod:`._wspayload`, the MSX frame vocabulary of ``endpoints.md`` §5),
and ends in one vectorised step (:func:`ws_frame`) that types the columns of
:data:`toolkit.schema.WS_DTYPES`, tells each URL's market and masks secrets in URLs, streams and texts.

Examples
--------
>>> rows = WsRows("feed.har")
>>> c = rows.connection()
>>> rows.event(1, 1772439302_000_000_000, "wss://x/api/v1/spot/ws", c, "open")
>>> rows.frame(2, 1772439302_500_000_000, "wss://x/api/v1/spot/ws", c, "received",
...            '{"action":"ticker","result":{"s":"BTCUSDT","c":"1","E":1772439302400}}')
>>> from toolkit.classify import compile_market_rules
>>> df = ws_frame(rows, "feed.har", compile_market_rules(None))
>>> df[["connection", "kind", "stream", "market"]].values.tolist()
[['feed.har#1', 'open', <NA>, 'spot'], ['feed.har#1', 'data', 'BTCUSDT@ticker', 'spot']]
>>> df["latency_ms"].tolist()
[<NA>, 100.0]
"""

from __future__ import annotations

from datetime import datetime, timezone
from operator import itemgetter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from .. import classify
from ..schema import MARKETS, STRING, WS_DTYPES
from ..secrets import redact, redact_url
from ._wspayload import classify_cut, classify_many

#: The fields of a row, in order (a :class:`WsRows` row's tuple, or its columns).
COLUMNS = ("line", "ts", "url", "connection", "direction", "kind", "stream", "close_code", "status", "detail", "size",
           "event_ms", "first_seq", "last_seq", "bot", "market")
_INDEX = {name: k for k, name in enumerate(COLUMNS)}
#: Where what a payload tells (:func:`._wspayload.classify_payload`'s tuple) goes in the columns.
_TOLD = tuple((_INDEX[name], j) for j, name in enumerate(("kind", "stream", "event_ms", "first_seq", "last_seq",
                                                           "detail")))
_BATCH = 8192  # text frames decoded in one call
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NS_MIN, _NS_MAX = -(2**63) + 1, 2**63  # the epoch ns a timestamp holds (-2**63 is NaT)
#: The epoch ns :func:`iso_ns` gives (a cached second's fraction fits); a time outside is None.
NS_RANGE = (_NS_MIN, _NS_MAX - 10**9)
_SECONDS: dict = {}


def iso_ns(text) -> int | None:
    """Epoch ns of an ISO 8601 time (``T`` or space, ``.`` or ``,`` before the fraction; naive is UTC), or None
    (also for a time a timestamp cannot hold: before 1677 or after 2262).

    Examples
    --------
    >>> iso_ns("2026-03-02 08:15:02,417"), iso_ns("2026-03-02T08:15:02.417Z"), iso_ns("soon"), iso_ns("9026-03-02")
    (1772439302417000000, 1772439302417000000, None, None)
    """
    if type(text) is not str:
        return None
    base = _SECONDS.get(text[:19])  # the second, parsed once; the fraction read here
    rest = text[19:]
    if rest.endswith("Z"):
        rest = rest[:-1]
    elif rest.endswith("+00:00"):
        rest = rest[:-6]
    if base is not None and (not rest or (rest[0] in ".," and rest[1:].isdigit() and len(rest) <= 10)):
        return base + (int(rest[1:].ljust(9, "0")) if rest else 0)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    delta = t - _EPOCH
    ns = (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    if not NS_RANGE[0] < ns < NS_RANGE[1]:  # a time no timestamp holds
        return None
    if len(text) >= 19 and text[10] in "T " and t.tzinfo is timezone.utc and len(_SECONDS) < 100_000:
        if not rest or rest[0] in ".,":
            _SECONDS[text[:19]] = ns - delta.microseconds * 1000
    return ns


def in_range(ns: pa.Array, texts: list[str]) -> list:
    """Epoch ns Arrow cast, as a list; each time as :func:`iso_ns` reads it when one is out of its range."""
    low, high = pa.compute.min_max(ns).values()
    if low.as_py() is not None and NS_RANGE[0] < low.as_py() and high.as_py() < NS_RANGE[1]:
        return ns.to_pylist()
    return [iso_ns(t) for t in texts]


class WsRows:
    """The WebSocket rows of one recording, as its reader finds them; :func:`ws_frame` types them.

    A row is a plain tuple: ``(line, ts_ns, url, connection, direction, kind, stream, close_code, status,
    detail, size, event_ms, first_seq, last_seq, bot, market)`` (:data:`COLUMNS`); a reader that finds many rows
    at once hands them over as columns (:meth:`many`).
    """

    __slots__ = ("rows", "source", "opened", "pending", "bulk")

    def __init__(self, source: str):
        self.rows: list[tuple] = []
        self.source = source
        self.opened = 0
        self.pending: list[tuple] = []  # (row index, payload): text frames whose payload is told in one batch
        self.bulk: list[tuple] = []  # (rows before them, payloads, columns): rows handed over as columns

    def connection(self) -> str:
        """A new connection id, unique within the load (the source's name and a count)."""
        self.opened += 1
        return f"{self.source}#{self.opened}"

    def frame(self, line, ts_ns, url, conn, direction, payload, *, size=None, cut=False, bot=None,
              market=None) -> None:
        """A text frame (``payload`` a str or bytes of JSON text), sent or received; its kind and stream are told
        when the rows are typed (:meth:`columns`)."""
        if size is None:
            size = len(payload.encode() if type(payload) is str else payload)
        if cut:
            kind, stream, event_ms, first, last, detail = classify_cut(payload)
        else:
            if type(payload) is not str:
                payload = payload.decode("utf-8", "replace")
            self.pending.append((len(self.rows), payload))
            kind = stream = event_ms = first = last = detail = None
        self.rows.append((line, ts_ns, url, conn, direction, kind, stream, None, None, detail, size, event_ms,
                          first, last, bot, market))

    def add(self, row: tuple, payload: str | None = None) -> None:
        """A row made elsewhere (:func:`._wsrecorded.recorded_row`), with the payload still to tell when it has one."""
        if payload is not None:
            self.pending.append((len(self.rows), payload))
        self.rows.append(row)

    def add_all(self, rows: list[tuple]) -> None:
        """Rows made elsewhere, each ``(row, payload)`` as :meth:`add` takes them."""
        at = len(self.rows)
        self.pending += [(at + i, p) for i, (_, p) in enumerate(rows) if p is not None]
        self.rows += [r for r, _ in rows]

    def many(self, payloads: list, **columns) -> None:
        """Rows found many at once, after the rows so far, as columns: each of ``columns`` (named as in
        :data:`COLUMNS`) a list with a value for each row or one value for all of them (an absent one: None);
        ``payloads`` the text frames' payloads (str; None for a row that is not a text frame) whose kind, stream,
        exchange time and sequence numbers are still to tell.

        Examples
        --------
        >>> rows = WsRows("feed.log")
        >>> rows.many(['{"action":"ping"}', '{"event":"pong","time":1772439302400}'], line=[3, 4],
        ...           ts=[1772439302_000_000_000, 1772439302_500_000_000], url="wss://x/api/v1/spot/ws",
        ...           connection="feed.log#1", direction=["sent", "received"], size=[17, 38])
        >>> [(c[0], c[4], c[5], c[11]) for c in rows.resolve()]
        [(3, 'sent', 'ping', None), (4, 'received', 'pong', 1772439302400)]
        """
        if payloads:
            unknown = set(columns) - _INDEX.keys()
            if unknown:
                raise KeyError(f"not WebSocket row columns: {sorted(unknown)}")
            self.bulk.append((len(self.rows), payloads, columns))

    def columns(self) -> list[list]:
        """The rows as :data:`COLUMNS` (lists, in order), every text frame's kind, stream, exchange time and
        sequence numbers told (in batches)."""
        rows = self.rows
        cols = [list(map(itemgetter(k), rows)) for k in range(len(COLUMNS))]
        if self.pending:
            _tell(cols, [i for i, _ in self.pending], [p for _, p in self.pending])
        if not self.bulk:
            return cols
        out: list[list] = [[] for _ in COLUMNS]
        done = 0
        for at, payloads, given in self.bulk:
            if at > done:
                for k, col in enumerate(out):
                    col += cols[k][done:at]
                done = at
            n = len(payloads)
            part = [given.get(name) for name in COLUMNS]
            part = [v if type(v) is list else [v] * n for v in part]
            told = [i for i, p in enumerate(payloads) if p is not None] if None in payloads else None
            _tell(part, told, payloads if told is None else [payloads[i] for i in told])
            for k, col in enumerate(out):
                col += part[k]
        if done < len(rows):
            for k, col in enumerate(out):
                col += cols[k][done:]
        return out

    def resolve(self) -> list[tuple]:
        """The rows as tuples, every text frame's kind, stream, exchange time and sequence numbers told."""
        return list(zip(*self.columns()))

    def control(self, line, ts_ns, url, conn, direction, kind, *, size=None, close_code=None, detail=None,
                bot=None, market=None) -> None:
        """A frame whose kind is known without a payload (protocol ping/pong/close, a binary frame: other)."""
        self.rows.append((line, ts_ns, url, conn, direction, kind, None, close_code, None, detail, size, None,
                          None, None, bot, market))

    def event(self, line, ts_ns, url, conn, kind, *, close_code=None, status=None, detail=None, bot=None,
              market=None) -> None:
        """A connection event: ``open``, ``handshake_failed`` (with its HTTP ``status``), ``close``, ``error``."""
        self.rows.append((line, ts_ns, url, conn, "event", kind, None, close_code, status, detail, None, None,
                          None, None, bot, market))


def _tell(cols: list[list], at: list[int] | None, payloads: list[str]) -> None:
    """Put the kind, stream, exchange time, sequence numbers and detail of text frames (their ``payloads``) in the
    rows ``at`` of ``cols`` (every row, in order, when ``at`` is None), told in batches."""
    told = []
    for i in range(0, len(payloads), _BATCH):
        told += classify_many(payloads[i:i + _BATCH])
    if at is None:
        for k, j in _TOLD:
            cols[k] = list(map(itemgetter(j), told))
        return
    kind, stream, event_ms, first, last, detail = (cols[k] for k, _ in _TOLD)
    for i, (k, s, e, f, la, d) in zip(at, told):
        kind[i], stream[i], event_ms[i], first[i], last[i], detail[i] = k, s, e, f, la, d


_URL_CACHE: dict = {}


def _masked_url(url):
    if url is None:
        return None
    got = _URL_CACHE.get(url)
    if got is None:
        got = redact_url(url.split("#", 1)[0])
        if len(_URL_CACHE) < 10_000:
            _URL_CACHE[url] = got
    return got


def _categorical(values, names=None) -> pd.Categorical:
    """A categorical of strings (None missing), its categories the values present, in order of appearance."""
    enc = pa.array(values, pa.string()).dictionary_encode()
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    cats = pd.Index(enc.dictionary.to_pylist(), dtype=STRING)
    if names is not None:  # masked names for the values (each distinct value masked once)
        cats = pd.Index([names(c) for c in cats], dtype=STRING)
        if cats.has_duplicates:  # two values masked alike: one category
            unique = cats.unique()
            lut = np.append(unique.get_indexer(cats), -1).astype(np.int32)
            return pd.Categorical.from_codes(lut[codes], categories=unique)
    return pd.Categorical.from_codes(codes, categories=cats)


def _fixed(values, dtype) -> pd.Categorical:
    """A categorical of a fixed vocabulary (:data:`toolkit.schema.WS_DTYPES`)."""
    enc = pa.array(values, pa.string()).dictionary_encode()
    lut = np.array([dtype.categories.get_loc(v) for v in enc.dictionary.to_pylist()] + [-1], dtype=np.int32)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(lut[codes], dtype=dtype)


def _masked(values) -> pd.api.extensions.ExtensionArray:
    """Texts with secrets masked (each distinct value once), as the schema's strings."""
    enc = pa.array(values, pa.string()).dictionary_encode()
    clean = pa.array([redact(v) for v in enc.dictionary.to_pylist()], pa.string())
    return pd.array(clean.take(enc.indices), dtype=STRING)


def _ints(values, patype, dtype):
    """Integers as the column's type; one it cannot hold (a close code of 2**40) is NA."""
    try:
        arr = pa.array(values, patype)
    except (OverflowError, pa.ArrowInvalid):
        info = np.iinfo(patype.to_pandas_dtype())
        arr = pa.array([v if v is None or info.min <= v <= info.max else None for v in values], patype)
    return pd.array(arr.to_pandas(types_mapper={patype: dtype}.get).array, dtype=dtype)


def _times(ns) -> pd.Series:
    return pa.array(ns, pa.timestamp("ns", tz="UTC")).to_pandas()


def ws_frame(rows, source: str, rules) -> pd.DataFrame:
    """The typed frame (:data:`toolkit.schema.WS_DTYPES`) of a reader's rows (a :class:`WsRows`, or its rows
    told already), in their order.

    ``rules`` are the compiled market rules: a row without its own market takes its URL's.
    """
    if isinstance(rows, WsRows):
        cols = rows.columns()
    else:
        cols = [list(map(itemgetter(k), rows)) for k in range(len(COLUMNS))]
    n = len(cols[0])
    if not n:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in WS_DTYPES.items()})
    (line, ts, url, conn, direction, kind, stream, close_code, status, detail, size, event_ms, first, last, bot,
     market) = cols
    ts_ns = pa.array(ts, pa.int64())
    ev_ns = pa.compute.multiply(pa.array(event_ms, pa.int64()), 1_000_000)
    received = pa.compute.equal(pa.array(direction, pa.string()), "received")
    apart = pa.compute.cast(pa.compute.subtract(ts_ns, ev_ns), pa.float64(), safe=False)  # days apart: rounded
    latency = pa.compute.if_else(received, pa.compute.divide(apart, 1e6), None)
    urls = _categorical(url, _masked_url)
    out = {
        "ts": _times(ts_ns).array,
        "bot": _categorical(bot),
        "market": _markets(urls, market, rules),
        "url": urls,
        "connection": _categorical(conn),
        "direction": _fixed(direction, WS_DTYPES["direction"]),
        "kind": _fixed(kind, WS_DTYPES["kind"]),
        "stream": _masked(stream),
        "close_code": _ints(close_code, pa.int32(), pd.Int32Dtype()),
        "status": _ints(status, pa.int16(), pd.Int16Dtype()),
        "detail": _masked(detail),
        "size": _ints(size, pa.int64(), pd.Int64Dtype()),
        "event_ts": _times(ev_ns).array,
        "latency_ms": pd.array(latency.to_pandas(types_mapper={pa.float64(): pd.Float64Dtype()}.get).array,
                               dtype=pd.Float64Dtype()),
        "first_seq": _ints(first, pa.int64(), pd.Int64Dtype()),
        "last_seq": _ints(last, pa.int64(), pd.Int64Dtype()),
        "source": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=pd.Index([source], dtype=STRING)),
        "line": _ints(line, pa.int64(), pd.Int64Dtype()),
    }
    return pd.DataFrame(out, copy=False)


def _markets(urls: pd.Categorical, own: list, rules) -> pd.Categorical:
    """Each row's own market when it names one, else its URL's under ``rules`` (each distinct URL told once)."""
    unknown = MARKETS.index("unknown")
    by_url = np.array([classify.url_market(u.split("?", 1)[0].split("://", 1)[-1], rules) for u in urls.categories]
                      + [unknown], dtype=np.int8)
    codes = by_url[urls.codes]
    if own.count(None) < len(own):
        mine = _fixed([m if m in MARKETS else None for m in own], WS_DTYPES["market"]).codes
        codes = np.where(mine >= 0, mine, codes).astype(np.int8)
    return pd.Categorical.from_codes(codes, dtype=WS_DTYPES["market"])


def empty_ws() -> pd.DataFrame:
    """An empty frame of :data:`toolkit.schema.WS_DTYPES`."""
    return ws_frame([], "", [])


__all__ = ["COLUMNS", "NS_RANGE", "WsRows", "empty_ws", "in_range", "iso_ns", "ws_frame"]
