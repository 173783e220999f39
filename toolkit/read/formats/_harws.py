"""The WebSocket entries of a HAR file: the 101 entry's ``_webSocketMessages`` as WebSocket rows.

Chrome DevTools and mitmproxy write each frame as ``{"type": "send"|"receive", "time": <epoch seconds>,
"opcode": 1|2, "data": <text, or base64 for opcode 2>}`` (devtools-frontend ``front_end/models/har/Log.ts``;
mitmproxy ``mitmproxy/addons/savehar.py``); Playwright (``harTracer.ts``, 1.61 and later) the same keys with
``time`` in epoch **milliseconds** (``-1`` when timing is omitted). Chrome also writes ``type: "error"`` with
opcode ``-1`` and the failure text.

An entry gives an ``open`` row at its ``startedDateTime`` and one row per frame. No HAR writer records close
frames, close codes, close times or ping/pong control frames, so a HAR session has no ``close`` row: its end
and who closed it are not known (NA). A refused upgrade (a status other than 101 on a WebSocket request) is a
``handshake_failed`` row with that status, besides the REST row it is when it has one.
"""

from __future__ import annotations

import base64
import binascii

from .._ws import NS_RANGE, WsRows, iso_ns
from ._fields import header

#: HAR frame times above this are epoch milliseconds (Playwright), below it seconds.
_MS = 1e11


def is_websocket(entry: dict, request: dict) -> bool:
    """Whether an entry is a WebSocket connection (or an attempt at one)."""
    if "_webSocketMessages" in entry:
        return True
    kind = entry.get("_resourceType")
    if isinstance(kind, str) and kind.lower() == "websocket":
        return True
    upgrade = header(request.get("headers"), "Upgrade")
    return isinstance(upgrade, str) and upgrade.lower() == "websocket"


def _frame_ns(t) -> int | None:
    """Epoch ns of a frame's ``time`` (epoch seconds; milliseconds from Playwright), or None: not a number, or
    a time no timestamp holds (:data:`~toolkit.read._ws.NS_RANGE`)."""
    if type(t) not in (int, float) or t < 0 or t != t or t == float("inf"):
        return None
    ns = round(t * 1000) * 1000 if t > _MS else round(t * 1e6) * 1000
    return ns if NS_RANGE[0] < ns < NS_RANGE[1] else None


def read_entry(entry: dict, request: dict, line: int, rows: WsRows, reject) -> int:
    """Add one WebSocket entry's rows to ``rows``; frames it cannot read go to ``reject(line, reason, raw)``.

    Returns the units it accounts for besides a REST row and the rejects: its frames that are rows, plus the entry
    itself when it is not a REST row (an opened socket or a failure without a status).
    """
    url = request.get("url")
    started = iso_ns(entry.get("startedDateTime"))
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    status = response.get("status")
    messages = entry.get("_webSocketMessages")
    messages = messages if isinstance(messages, list) else []
    if status != 101 and not messages:
        failure = response.get("_failureText") or entry.get("_error") or response.get("statusText") or None
        code = status if type(status) is int and 100 <= status <= 599 else None
        rows.event(line, started, url, rows.connection(), "handshake_failed", status=code,
                   detail=failure if isinstance(failure, str) else None)
        return 0 if code is not None else 1
    conn = rows.connection()
    rows.event(line, started, url, conn, "open")
    rejected = 0
    for m in messages:
        if not isinstance(m, dict):
            reject(line, "WebSocket message is not an object", m)
            rejected += 1
            continue
        kind, ts, opcode, data = m.get("type"), _frame_ns(m.get("time")), m.get("opcode"), m.get("data")
        if ts is None:
            reject(line, "WebSocket message has no time", m)
            rejected += 1
            continue
        if kind == "error":
            rows.event(line, ts, url, conn, "error", detail=data if isinstance(data, str) else None)
            continue
        if kind not in ("send", "receive") or not isinstance(data, str):
            reject(line, "WebSocket message has no type send/receive and text data", m)
            rejected += 1
            continue
        direction = "sent" if kind == "send" else "received"
        if opcode == 2:
            try:
                raw = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                reject(line, "binary WebSocket message is not valid base64", m)
                rejected += 1
                continue
            rows.control(line, ts, url, conn, direction, "other", size=len(raw))
        else:
            rows.frame(line, ts, url, conn, direction, data)
    return 1 + len(messages) - rejected


__all__ = ["is_websocket", "read_entry"]
