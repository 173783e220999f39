"""Which HAR entries are not API calls: CORS preflights, static assets and WebSocket upgrades.

These are counted skips with a reason (``preflight``, ``static``,
``websocket``); every other entry (HTML documents, pings, event streams,
anything on any path) is a row.
"""

from __future__ import annotations

import re

from ._fields import header

#: Resource types (Chrome's ``_resourceType``) that are static assets.
STATIC_TYPES = frozenset(("image", "stylesheet", "script", "font", "media", "manifest", "texttrack"))
#: URL endings (the path, without query or fragment) of static assets.
STATIC_SUFFIXES = (".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".avif",
                   ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp4", ".webm", ".mp3", ".map")
_STATIC_MIME = re.compile(r"^\s*(?:(?:image|font|audio|video)/|[^;]*(?:css|javascript|ecmascript))", re.I)


def skip_reason(entry: dict, request: dict, response, url: str) -> str | None:
    """``preflight``, ``static`` or ``websocket`` for an entry that is not an API row; else None.

    Examples
    --------
    >>> skip_reason({}, {"method": "GET"}, {"content": {"mimeType": "image/png"}}, "https://x/a")
    'static'
    >>> skip_reason({}, {"method": "GET"}, {"content": {"mimeType": "text/html"}}, "https://x/")
    """
    kind = entry.get("_resourceType")
    kind = kind.lower() if isinstance(kind, str) else None
    if request.get("method") == "OPTIONS" or kind == "preflight":
        return "preflight"
    if kind == "websocket" or "_webSocketMessages" in entry:
        return "websocket"
    resp = response if isinstance(response, dict) else {}
    if resp.get("status") == 101:
        upgrade = header(resp.get("headers"), "Upgrade") or header(request.get("headers"), "Upgrade")
        if isinstance(upgrade, str) and upgrade.lower() == "websocket":
            return "websocket"
    if kind in STATIC_TYPES:
        return "static"
    content = resp.get("content")
    mime = content.get("mimeType") if isinstance(content, dict) else None
    if isinstance(mime, str) and _STATIC_MIME.match(mime):
        return "static"
    path = url.split("#", 1)[0].split("?", 1)[0].lower()
    if path.endswith(STATIC_SUFFIXES):
        return "static"
    return None
