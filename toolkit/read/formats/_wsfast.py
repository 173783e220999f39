"""The lines most of a WebSocket client's log is made of, read for a whole file at once (:mod:`.wslogs`).

A busy log is mostly frames: websocket-client's ``++Rcv decoded: fin=1 opcode=1 data=b'...'`` with the
``++Rcv raw: ...`` line before it, ccxt pro's ``message {...}`` and ``sending {...}`` with a ``receive loop``
note after each. One regular expression over the whole text finds those lines (:func:`scan`), one cast types
their times, and each run of them between two other lines becomes rows in one step (:meth:`.._ws.WsRows.many`)
on the connection the log is on there (:func:`merge`). Every other line, and a found line whose reading could
depend on what came before it (a header block still open, a time that does not parse, a payload the general
reading treats otherwise), is read by the general reading one line at a time, in order: a line found here gives
exactly the row or the skip the general reading would.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from .._ws import in_range, iso_ns
from ._lines import parse_text_body

# websocket-client's trace behind logging's asctime and a level (the lines ``_message`` reads that way)
_WC = (r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?:DEBUG|INFO|WARNING|ERROR) "
       r"\+\+(?:(Sent|Rcv) decoded: fin=1 opcode=1 data=b'(.*)'\r?|(?:Sent|Rcv) (raw): .*)")
# ccxt pro's verbose lines: its ISO time, a space, the message
_CX = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?:(message|sending) (.*)|(receive loop|ping loop)\r?)"
#: Every line is one match (one tuple of groups), in order: a frame or a note of the two shapes, or another line.
_LINES = re.compile(rf"(?m)^(?:{_WC}|{_CX}|(.*))$")
_MARKS = ("decoded: fin=1 opcode=1 data=b'", "Z message ", "Z sending ")
_RAW, _NOTE = "raw frame bytes", "connection note"


class Scan:
    """The lines of a log found by :func:`scan`: its text frames (columns), its skipped notes, its other lines."""

    __slots__ = ("at", "ts", "direction", "payload", "size", "skips", "reasons", "others")

    def __init__(self):
        self.at: list[int] = []  # the frames' line indices (from 0)
        self.ts: list = []  # their times, epoch ns
        self.direction: list[str] = []
        self.payload: list[str] = []
        self.size: list[int] = []
        self.skips: list[int] = []  # the notes' line indices
        self.reasons: list[str] = []  # why each is skipped
        self.others: list[tuple[int, str]] = []  # (line index, text) of the lines read one at a time


def sent_payload(rest: str):
    """ccxt pro's ``sending`` payload (a Python repr of the dict it sends) as the JSON text sent."""
    value = parse_text_body(rest)
    return orjson.dumps(value) if isinstance(value, (dict, list)) else rest


def _times(texts: list[str], comma: bool):
    """Epoch ns of logged times of one shape (a None for each that does not parse), cast in one step."""
    arr = pa.array(texts, pa.string())
    try:
        if comma:  # logging's asctime: naive, a comma before the ms
            ns = pa.compute.replace_substring(arr, ",", ".").cast(pa.timestamp("ns"))
        else:
            ns = arr.cast(pa.timestamp("ns", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a time Arrow will not read: each as iso_ns reads it
        return [iso_ns(t) for t in texts]
    return in_range(ns.cast(pa.int64()), texts)



def scan(text: str) -> Scan | None:
    """The frames and notes of websocket-client's trace and ccxt pro's log in ``text`` (lines split at ``\\n``
    as :func:`.wslogs.read_log` splits them), or None when it holds none."""
    if not any(mark in text for mark in _MARKS):
        return None
    s = Scan()
    wc_at, wc_ts, wc_dir, wc_pay = [], [], [], []
    cx_at, cx_ts, cx_dir, cx_pay = [], [], [], []
    others, skips, reasons = s.others, s.skips, s.reasons
    odd = "connect failed;" in text  # a payload that mentions it is read as a websockets line: not here
    cr = "\r" in text
    lines = None
    for i, (wts, wdir, wpay, raw, cts, word, cpay, note, other) in enumerate(_LINES.findall(text)):
        if wdir:
            if "\\" in wpay or "raw: " in wpay or (odd and "connect failed;" in wpay):  # an escape, a raw line's text
                if lines is None:
                    lines = text.split("\n")
                others.append((i, lines[i]))
                continue
            wc_at.append(i)
            wc_ts.append(wts)
            wc_dir.append("sent" if wdir == "Sent" else "received")
            wc_pay.append(wpay)
        elif word:
            if cr and cpay[-1:] == "\r":
                cpay = cpay[:-1]
            cx_at.append(i)
            cx_ts.append(cts)
            if word == "message":
                cx_dir.append("received")
                cx_pay.append(cpay)
            else:
                cx_dir.append("sent")
                cx_pay.append(sent_payload(cpay))
        elif raw:
            skips.append(i)
            reasons.append(_RAW)
        elif note:
            skips.append(i)
            reasons.append(_NOTE)
        elif other:
            others.append((i, other))
    for at, ts, direction, payload, comma in ((wc_at, wc_ts, wc_dir, wc_pay, True),
                                              (cx_at, cx_ts, cx_dir, cx_pay, False)):
        if not at:
            continue
        ns = _times(ts, comma)
        if None in ns:  # read one at a time: the general reading rejects it
            keep = [k for k, t in enumerate(ns) if t is not None]
            if lines is None:
                lines = text.split("\n")
            others += [(at[k], lines[at[k]]) for k, t in enumerate(ns) if t is None]
            at, ns, direction, payload = ([v[k] for k in keep] for v in (at, ns, direction, payload))
        s.at += at
        s.ts += ns
        s.direction += direction
        s.payload += [p.decode() if type(p) is bytes else p for p in payload]
        s.size += [len(p) if type(p) is bytes else len(p.encode()) for p in payload]
    if wc_at and cx_at:  # both shapes in one file: in line order
        order = sorted(range(len(s.at)), key=s.at.__getitem__)
        for name in ("at", "ts", "direction", "payload", "size"):
            values = getattr(s, name)
            setattr(s, name, [values[k] for k in order])
    others.sort()
    return s


def merge(s: Scan, text: str, log, out, taken: list[int], general) -> None:
    """Read the log's lines in order: each run of found lines between two others as rows of the connection the
    log is on there (or line by line through ``general(line, text)`` while a header block is open), each other
    line through ``general``. Lines found and read here are added to ``taken`` (numbered from 1)."""
    rows = log.rows
    at, skips = s.at, s.skips
    frame_end = np.searchsorted(np.asarray(at, np.int64), [i for i, _ in s.others]).tolist() + [len(at)]
    skip_end = np.searchsorted(np.asarray(skips, np.int64), [i for i, _ in s.others]).tolist() + [len(skips)]
    lines = None
    replayed: list[int] = []  # notes read line by line
    f0 = k0 = 0
    for (i, other), f1, k1 in zip(s.others + [(None, None)], frame_end, skip_end):
        if f1 > f0 or k1 > k0:
            if log.block is not None:  # websocket-client's header block: what its lines mean depends on it
                if lines is None:
                    lines = text.split("\n")
                for j in sorted(at[f0:f1] + skips[k0:k1]):
                    general(j + 1, lines[j])
                replayed += skips[k0:k1]
            elif f1 > f0:
                c = log.current()
                rows.many(s.payload[f0:f1], line=[j + 1 for j in at[f0:f1]], ts=s.ts[f0:f1], url=c.url,
                          connection=c.id, direction=s.direction[f0:f1], size=s.size[f0:f1], market=log.market)
                out.ws_units += f1 - f0
                taken += [j + 1 for j in at[f0:f1]]
            f0, k0 = f1, k1
        if i is not None:
            general(i + 1, other)
    if replayed:
        done = set(replayed)
        kept = [k for k, j in enumerate(skips) if j not in done]
        skips, reasons = [skips[k] for k in kept], [s.reasons[k] for k in kept]
    else:
        reasons = s.reasons
    for reason, n in Counter(reasons).items():
        out.skip(reason, n)
    taken += [j + 1 for j in skips]


__all__ = ["Scan", "merge", "scan", "sent_payload"]
