"""The formats :func:`toolkit.read_logs` reads; importing each registers its reader with the engine.

- :mod:`.jsonl`: JSON Lines, flat or nested (gateway) records, Caddy and
  Traefik access logs (:mod:`.access`), any layout a ``fields=`` mapping names;
- :mod:`.har`: HAR 1.2 files (browser DevTools, proxies);
- :mod:`.vcr`: VCR.py cassettes, and the older layouts of :mod:`.cassettes`;
- :mod:`.botlogs`: text logs as bots and their libraries write them, on the
  generic layout of :mod:`.text` (or a user's ``pattern``);
- :mod:`.wslogs`: the text logs of WebSocket clients (websockets, websocket-client, ccxt pro, hummingbot).

A new format is a module that subclasses :class:`toolkit.read.engine.Reader`
(or ``LineReader``), calls :func:`toolkit.read.engine.register_reader` and is imported here.
"""

from . import botlogs, har, jsonl, text, vcr, wslogs

__all__ = ["botlogs", "har", "jsonl", "text", "vcr", "wslogs"]
