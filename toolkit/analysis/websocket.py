"""WebSocket feeds: the sessions, their streams, when a stream went stale, gaps in the book's sequence numbers,
and reconnect storms, from :attr:`toolkit.Load.websocket`.

Each function takes that frame and the usual ``start``, ``end``, ``market`` and ``bot``
(:func:`toolkit.selection.select`) and returns a new frame. What a recording shape cannot show stays NA: a HAR
holds no close frames, so its sessions have no ``closed`` time, ``close_code`` or ``closed_by``; the
``websockets`` log cuts long payloads, so their ``stream`` is NA where the symbol was cut and their
sequence numbers are unknown (no gap is reported in them).

A push belongs to a subscribed stream when they name the same symbol and channel: the rate suffix
(``@100ms``, ``@3000ms``) and the depth of ``order_book{N}`` are not part of a push, so
``BTCUSDT@order_book20@100ms`` is fed by ``order_book`` pushes of BTCUSDT.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import STRING
from ..selection import as_count, as_duration, require, select

__all__ = ["RECONNECT_COLUMNS", "SESSION_COLUMNS", "STALE_COLUMNS", "STREAM_COLUMNS", "GAP_COLUMNS", "reconnects",
           "sequence_gaps", "stale_streams", "stream_key", "ws_sessions", "ws_streams"]

#: Columns of :func:`ws_sessions`.
SESSION_COLUMNS = ["connection", "url", "market", "bot", "opened", "closed", "duration", "close_code", "closed_by",
                   "received", "sent", "pings", "unanswered_pings", "streams"]
#: Columns of :func:`ws_streams`.
STREAM_COLUMNS = ["connection", "stream", "subscribed", "acked", "first_data", "messages", "median_interval",
                  "latency_ms_median", "stale_periods"]
#: Columns of :func:`stale_streams`.
STALE_COLUMNS = ["connection", "stream", "start", "end", "duration"]
#: Columns of :func:`sequence_gaps`.
GAP_COLUMNS = ["connection", "stream", "ts", "expected", "got"]
#: Columns of :func:`reconnects`.
RECONNECT_COLUMNS = ["start", "end", "bot", "market", "attempts", "opened", "failed", "close_codes", "statuses"]

_RATE = re.compile(r"@\d+ms$")
_DEPTH = re.compile(r"@order_book\d+$")
_MINUTE = 60 * 10**9


def stream_key(stream) -> str | None:
    """The symbol and channel a stream's pushes carry: without the rate suffix, ``order_book{N}`` as ``order_book``.

    Examples
    --------
    >>> stream_key("BTCUSDT@order_book20@100ms"), stream_key("!miniTicker@arr@3000ms"), stream_key("ETHUSDT@ticker")
    ('BTCUSDT@order_book', '!miniTicker@arr', 'ETHUSDT@ticker')
    """
    if not isinstance(stream, str):
        return None
    return _DEPTH.sub("@order_book", _RATE.sub("", stream.strip()))


def _channel(stream: str) -> str:
    """The channel a spot ack names for a stream: ``BTCUSDT@kline_1m`` -> ``kline``, ``!miniTicker@arr`` ->
    ``miniTickerArr``."""
    if stream.startswith("!miniTicker"):
        return "miniTickerArr"
    part = stream_key(stream).split("@")[1] if "@" in stream else stream
    return part.split("_")[0] if part.startswith("kline_") else part


def _frame(ws, start, end, market, bot, func) -> pd.DataFrame:
    df = select(ws, start=start, end=end, market=market, bot=bot, func=func)
    require(df, ["ts", "connection", "direction", "kind", "stream"], func)
    return df.sort_values("ts", kind="stable")


def _conn(df) -> np.ndarray:
    return df["connection"].astype(object).to_numpy()


def ws_sessions(ws: pd.DataFrame, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """One row per opened WebSocket connection (a failed handshake is not a session).

    Parameters
    ----------
    ws : DataFrame
        :attr:`toolkit.Load.websocket`.
    start, end, market, bot
        Keep the rows of this window, markets and bots first.

    Returns
    -------
    DataFrame
        :data:`SESSION_COLUMNS`: ``opened`` and ``closed`` (its close, NaT where the shape records none);
        ``duration`` to the close, or to its last row when no close is recorded (a lower bound);
        ``close_code``; ``closed_by`` ``server`` or ``client`` (whose close frame came first), ``network``
        (no close frame from either side: 1006, or an error), ``unknown`` where the shape cannot tell;
        ``received`` and ``sent`` frames; ``pings`` sent and ``unanswered_pings`` (no pong within
        :data:`toolkit.defaults.WS_PONG_WITHIN`); ``streams`` subscribed (comma-separated).

    Examples
    --------
    >>> import toolkit
    >>> ws = toolkit.read_logs("tests/data/websocket/websockets-spot.log").websocket
    >>> toolkit.ws_sessions(ws)[["close_code", "closed_by", "unanswered_pings"]].values.tolist()
    [[1012, 'server', 0], [1006, 'network', 1], [1000, 'client', 0]]
    """
    df = _frame(ws, start, end, market, bot, "ws_sessions")
    kind = df["kind"].astype(object).to_numpy()
    conn = _conn(df)
    opened = df[kind == "open"].drop_duplicates("connection")
    if opened.empty:
        return _empty(SESSION_COLUMNS)
    ids = opened["connection"].astype(object).tolist()
    mine = df[np.isin(conn, ids)]
    k = mine["kind"].astype(object).to_numpy()
    d = mine["direction"].astype(object).to_numpy()
    c = _conn(mine)
    ts = mine["ts"].to_numpy("datetime64[ns]").astype(np.int64)
    within = as_duration(defaults.WS_PONG_WITHIN, "pong_within")
    rows = []
    for cid, o in zip(ids, opened.itertuples(index=False)):
        at = c == cid
        kk, dd, tt = k[at], d[at], ts[at]
        codes = mine["close_code"].to_numpy()[at]
        event = (kk == "close") & (dd == "event")
        frames = (kk == "close") & (dd != "event")
        closed = pd.Timestamp(tt[event][0], tz="UTC") if event.any() else pd.NaT
        code = codes[event][0] if event.any() else pd.NA
        if frames.any():
            by = "server" if dd[frames][0] == "received" else "client"
        elif (event.any() and code == 1006) or (not event.any() and (kk == "error").any()):
            by = "network"
        else:
            by = "unknown"
        last = pd.Timestamp(tt.max(), tz="UTC")
        pings = tt[(kk == "ping") & (dd == "sent")]
        pongs = np.sort(tt[(kk == "pong") & (dd == "received")])
        first_pong = np.searchsorted(pongs, pings, side="right")
        answered = (first_pong < len(pongs)) & (pongs[np.minimum(first_pong, len(pongs) - 1)] - pings <= within) \
            if len(pongs) else np.zeros(len(pings), bool)
        subs = mine["stream"].to_numpy()[at][(kk == "subscribe") & (dd == "sent")]
        names = list(dict.fromkeys(s for x in subs if isinstance(x, str) for s in x.split(",")))
        rows.append((cid, o.url, o.market, o.bot, o.ts, closed, (closed if event.any() else last) - o.ts, code, by,
                     int((dd == "received").sum()), int((dd == "sent").sum()), len(pings),
                     int(len(pings) - answered.sum()), ",".join(names) or None))
    out = pd.DataFrame(rows, columns=SESSION_COLUMNS)
    return out.astype({"close_code": "Int32", "streams": STRING, "url": STRING, "connection": STRING,
                       "bot": STRING, "market": STRING, "closed_by": STRING})


def ws_streams(ws: pd.DataFrame, *, start=None, end=None, market=None, bot=None,
               min_silence=defaults.WS_MIN_SILENCE) -> pd.DataFrame:
    """One row per connection and stream: when it was subscribed, whether the exchange acknowledged it, and its
    pushes.

    Returns
    -------
    DataFrame
        :data:`STREAM_COLUMNS`: ``subscribed`` (NaT for pushes of a stream the recording never subscribed),
        ``acked`` (NA when an ack came whose streams the recording cut, and it cannot be told which of the
        connection's streams it was for), ``first_data``, ``messages`` (data pushes only: acks and pongs are not
        counted),
        ``median_interval`` between pushes, ``latency_ms_median`` (receive minus exchange time),
        ``stale_periods`` (:func:`stale_streams` with ``min_silence``). Pushes whose stream the shape
        cannot show are one row with ``stream`` NA.

    Examples
    --------
    >>> import toolkit
    >>> ws = toolkit.read_logs("tests/data/websocket/chrome-spot.har").websocket
    >>> toolkit.ws_streams(ws).head(3)[["stream", "acked", "messages", "stale_periods"]].values.tolist()
    [['BTCUSDT@ticker', True, 119, 0], ['ETHUSDT@book_ticker', True, 75, 1], ['BTCUSDT@tickr', False, 0, 0]]
    """
    df = _frame(ws, start, end, market, bot, "ws_streams")
    kind = df["kind"].astype(object).to_numpy()
    direction = df["direction"].astype(object).to_numpy()
    conn = _conn(df)
    stream = df["stream"].astype(object).to_numpy()
    ts = df["ts"]
    table: dict = {}  # (connection, key) -> [name, subscribed, acked]
    order = []
    for i in np.flatnonzero((kind == "subscribe") & (direction == "sent")):
        if not isinstance(stream[i], str):
            continue
        for name in stream[i].split(","):
            key = (conn[i], stream_key(name))
            if key not in table:
                table[key] = [name, ts.iloc[i], False]
                order.append(key)
    detail = df["detail"].astype(object).to_numpy()
    for i in np.flatnonzero(kind == "ack"):
        if isinstance(detail[i], str) and detail[i].startswith("unsubscribed"):
            continue
        if isinstance(stream[i], str):
            for name in stream[i].split(","):
                got = table.get((conn[i], stream_key(name)))
                if got is not None:
                    got[2] = True
            continue
        # an ack whose streams were cut from the recording: it acknowledges the one stream of its channel, when
        # it names a channel only one subscribed stream has; else it may be any of them (NA)
        channel = detail[i].split(": ", 1)[1] if isinstance(detail[i], str) and ": " in detail[i] else None
        mine = [v for (c, _), v in table.items() if c == conn[i] and (channel is None or _channel(v[0]) == channel)]
        for v in mine:
            if len(mine) == 1:
                v[2] = True
            elif v[2] is False:
                v[2] = pd.NA
    data = df[kind == "data"]
    keys = [stream_key(s) for s in data["stream"].astype(object)]
    data = data.assign(_key=pd.array(keys, dtype=object), _conn=_conn(data))
    stale = stale_streams(ws, start=start, end=end, market=market, bot=bot, min_silence=min_silence)
    stale_n = stale.groupby([stale["connection"].astype(object), stale["stream"].astype(object).map(stream_key)]
                            ).size().to_dict() if len(stale) else {}
    pushed = {}
    for (c, key), g in data.groupby(["_conn", "_key"], sort=False, dropna=False):
        key = None if key is None or (isinstance(key, float) and np.isnan(key)) else key
        t = g["ts"]
        gaps = t.diff().dropna()
        pushed[(c, key)] = (t.iloc[0], len(g), gaps.median() if len(gaps) else pd.NaT,
                            g["latency_ms"].median() if g["latency_ms"].notna().any() else np.nan,
                            g["stream"].iloc[0])
    for key in pushed:
        if key not in table:
            table[key] = [pushed[key][4], pd.NaT, False]
            order.append(key)
    rows = []
    for key in order:
        name, subscribed, acked = table[key]
        first, n, median, latency, _ = pushed.get(key, (pd.NaT, 0, pd.NaT, np.nan, None))
        rows.append((key[0], name, subscribed, acked, first, n, median, latency, stale_n.get(key, 0)))
    out = pd.DataFrame(rows, columns=STREAM_COLUMNS)
    return out.astype({"connection": STRING, "stream": STRING, "acked": "boolean", "messages": "int64",
                       "latency_ms_median": "Float64", "stale_periods": "int64",
                       "median_interval": "timedelta64[ns]"})


def stale_streams(ws: pd.DataFrame, *, start=None, end=None, market=None, bot=None,
                  min_silence=defaults.WS_MIN_SILENCE) -> pd.DataFrame:
    """Streams that fell silent for at least ``min_silence`` while another stream of the same connection kept
    pushing: the bot's prices went stale though the connection was alive.

    Returns
    -------
    DataFrame
        :data:`STALE_COLUMNS`: ``start`` (the stream's last push before the silence), ``end`` (its next push;
        NaT when it never pushed again, and ``duration`` then runs to the connection's last push),
        ``duration``.

    Examples
    --------
    >>> import toolkit
    >>> ws = toolkit.read_logs("tests/data/websocket/recorder-spot.jsonl").websocket
    >>> toolkit.stale_streams(ws, min_silence="10s")[["stream", "duration"]].astype(str).values.tolist()
    [['ETHUSDT@book_ticker', '0 days 00:00:45']]
    """
    silence = as_duration(min_silence, "min_silence", "stale_streams")
    df = _frame(ws, start, end, market, bot, "stale_streams")
    data = df[(df["kind"].astype(object) == "data").to_numpy()]
    rows = []
    for c, g in data.groupby(_conn(data), sort=False):
        t = g["ts"].to_numpy("datetime64[ns]").astype(np.int64)
        keys = np.array([stream_key(s) for s in g["stream"].astype(object)], dtype=object)
        known = np.array([k is not None for k in keys])
        names = g["stream"].astype(object).to_numpy()
        for key in dict.fromkeys(keys[known]):
            mine = keys == key
            own, others = t[mine], t[~mine]
            if not len(others):
                continue
            ends = list(own[1:]) + [None]
            for a, z in zip(own, ends):
                stop = z if z is not None else others.max()
                if stop - a < silence:
                    continue
                lo, hi = np.searchsorted(others, [a, stop], side="right")
                if hi - (lo if z is not None else lo) <= 0:
                    continue  # nothing else pushed meanwhile: the connection was quiet, not this stream
                rows.append((c, names[mine][0], pd.Timestamp(a, tz="UTC"),
                             pd.Timestamp(z, tz="UTC") if z is not None else pd.NaT, pd.Timedelta(stop - a)))
    out = pd.DataFrame(rows, columns=STALE_COLUMNS)
    return out.astype({"connection": STRING, "stream": STRING, "start": "datetime64[ns, UTC]",
                       "end": "datetime64[ns, UTC]", "duration": "timedelta64[ns]"})


def sequence_gaps(ws: pd.DataFrame, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """Book updates lost: an ``order_book_update`` whose first id ``U`` is above the previous update's last id
    ``u`` + 1, on the same connection and stream (the exchange's rule for rebuilding the book).

    Returns
    -------
    DataFrame
        :data:`GAP_COLUMNS`: ``ts`` of the update after the gap, ``expected`` (previous ``u`` + 1), ``got`` (its ``U``).

    Examples
    --------
    >>> import toolkit
    >>> ws = toolkit.read_logs("tests/data/websocket/ccxt-pro-spot.log").websocket
    >>> toolkit.sequence_gaps(ws)[["stream", "expected", "got"]].values.tolist()
    [['ETHUSDT@order_book_update', 50301, 50306]]
    """
    df = _frame(ws, start, end, market, bot, "sequence_gaps")
    require(df, ["first_seq", "last_seq"], "sequence_gaps")
    df = df[df["first_seq"].notna().to_numpy() & df["last_seq"].notna().to_numpy()]
    rows = []
    for (c, s), g in df.groupby([_conn(df), df["stream"].astype(object).to_numpy()], sort=False):
        first = g["first_seq"].to_numpy("int64")
        last = g["last_seq"].to_numpy("int64")
        gap = np.flatnonzero(first[1:] > last[:-1] + 1) + 1
        rows += [(c, s, g["ts"].iloc[i], int(last[i - 1] + 1), int(first[i])) for i in gap]
    out = pd.DataFrame(rows, columns=GAP_COLUMNS)
    return out.astype({"connection": STRING, "stream": STRING, "ts": "datetime64[ns, UTC]", "expected": "int64",
                       "got": "int64"})


def reconnects(ws: pd.DataFrame, *, start=None, end=None, market=None, bot=None, within=defaults.WS_RECONNECT_GAP,
               min_attempts: int = defaults.WS_RECONNECT_MIN) -> pd.DataFrame:
    """Bursts of reconnects: a bot's connection attempts to a market (opened or refused) each ``within`` of the
    previous, at least ``min_attempts`` of them.

    Returns
    -------
    DataFrame
        :data:`RECONNECT_COLUMNS`: ``start`` and ``end`` (the first and last attempt), ``bot``, ``market``,
        ``attempts`` (in the
        densest minute of the burst), ``opened``, ``failed`` (refused upgrades and failed connects),
        ``close_codes`` (the closes that came just before and during it) and ``statuses`` (the refusals' HTTP
        statuses), each a sorted list of the distinct values.

    Examples
    --------
    >>> import toolkit
    >>> ws = toolkit.read_logs("tests/data/websocket/websockets-spot.log").websocket
    >>> toolkit.reconnects(ws)[["attempts", "opened", "failed", "close_codes", "statuses"]].values.tolist()
    [[7, 1, 6, [1006], [502]]]
    """
    gap = as_duration(within, "within", "reconnects")
    least = as_count(min_attempts, "min_attempts", "reconnects")
    df = _frame(ws, start, end, market, bot, "reconnects")
    kind = df["kind"].astype(object).to_numpy()
    tries = df[np.isin(kind, ["open", "handshake_failed"])].drop_duplicates("connection")
    closes = df[(kind == "close") & (df["direction"].astype(object).to_numpy() == "event")]
    rows = []
    who = ["bot", "market"] if "bot" in df else ["market"]
    for key, mine in tries.groupby([tries[c].astype(object) for c in who], sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        t = mine["ts"].to_numpy("datetime64[ns]").astype(np.int64)
        same = np.ones(len(closes), bool)
        for c, v in zip(who, key):
            same &= (closes[c].astype(object) == v).to_numpy()
        ct = closes["ts"].to_numpy("datetime64[ns]").astype(np.int64)[same]
        codes_of = closes["close_code"][same]
        breaks = np.flatnonzero(np.diff(t) > gap) + 1
        for a, z in zip(np.r_[0, breaks], np.r_[breaks, len(t)]):
            if z - a < least:
                continue
            run, rt = mine.iloc[a:z], t[a:z]
            densest = int((np.searchsorted(rt, rt + _MINUTE, side="left") - np.arange(len(rt))).max())
            k = run["kind"].astype(object).to_numpy()
            near = (ct >= rt[0] - gap) & (ct <= rt[-1])
            rows.append((pd.Timestamp(rt[0], tz="UTC"), pd.Timestamp(rt[-1], tz="UTC"), *key,
                         densest, int((k == "open").sum()), int((k == "handshake_failed").sum()),
                         sorted({int(x) for x in codes_of[near].dropna()}),
                         sorted({int(x) for x in run["status"].dropna()})))
    columns = RECONNECT_COLUMNS if len(who) == 2 else [c for c in RECONNECT_COLUMNS if c != "bot"]
    out = pd.DataFrame(rows, columns=columns).sort_values("start", kind="stable", ignore_index=True)
    return out.astype({"start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]", "attempts": "int64",
                       "opened": "int64", "failed": "int64"})


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
