"""The WebSocket recorder's cost per frame, against the same client without a recorder.

A feed on 127.0.0.1 (the ``websockets`` library's server, in its own process) answers ``{"action":"go","n":N}``
with N spot ticker pushes (push shape A, ~200 bytes, as endpoints.md §5 shows them) and closes with 1000. Each
client (the ``websockets`` client through ``toolkit.record.connect``, and aiohttp's ``ws_connect`` through
``attach_recorder``) receives them bare and recorded, in alternating rounds (the best round of each counts).
Times are the client process's CPU time (the server runs in another process), which other work on a busy
machine does not inflate the way it does wall time; the difference per frame is the recorder's cost: the
line built, masked, and written unbuffered. Target: at most 50 µs a frame.

    python benchmarks/bench_ws_record.py [--frames 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SERVER = """
import asyncio, json, sys
from websockets.asyncio.server import serve
PUSH = json.dumps({"action": "ticker", "result": {"s": "BTCUSDT", "o": "66980.0", "h": "67510.5", "l": "66801.2",
                   "c": "67321.5", "v": "1843.2", "q": "123456789.1", "n": 8123, "p": "341.5", "P": "0.51",
                   "w": "67102.3", "E": 1772439302417}}, separators=(",", ":"))
async def feed(ws):
    async for text in ws:
        n = json.loads(text)["n"]
        for _ in range(n):
            await ws.send(PUSH)
        await ws.close(1000)
async def main():
    async with serve(feed, "127.0.0.1", 0, ping_interval=None, max_queue=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


async def websockets_client(url, n, path):
    import websockets

    import toolkit.record

    opener = websockets.connect if path is None else (lambda u, **k: toolkit.record.connect(u, path, **k))
    async with opener(url, ping_interval=None, max_queue=None) as ws:
        await ws.send(json.dumps({"action": "go", "n": n}))
        got = 0
        async for _ in ws:
            got += 1
    return got


async def aiohttp_client(url, n, path):
    import aiohttp

    import toolkit

    session = aiohttp.ClientSession()
    if path is not None:
        toolkit.attach_recorder(session, path)
    async with session:
        async with session.ws_connect(url, autoping=False) as ws:
            await ws.send_str(json.dumps({"action": "go", "n": n}))
            got = 0
            async for msg in ws:
                got += msg.type == aiohttp.WSMsgType.TEXT
    return got


def timed(client, url, n, path) -> float:
    """CPU seconds of this process to receive ``n`` frames with ``client`` (recorded to ``path`` unless None)."""
    t = time.process_time()
    got = asyncio.run(client(url, n, path))
    spent = time.process_time() - t
    assert got == n, (got, n)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        url = f"ws://127.0.0.1:{server.stdout.readline().strip()}/api/v1/spot/ws"
        print(f"{'client':28} {'frames':>8} {'bare µs/frame':>14} {'recorded µs/frame':>18} "
              f"{'recorder µs/frame':>18}")
        with tempfile.TemporaryDirectory() as tmp:
            for title, client in (("websockets (record.connect)", websockets_client),
                                  ("aiohttp ws_connect", aiohttp_client)):
                timed(client, url, 1000, None)  # warm up: imports, the first connection
                bare = recorded = float("inf")
                for r in range(args.rounds):
                    bare = min(bare, timed(client, url, args.frames, None))
                    recorded = min(recorded, timed(client, url, args.frames, Path(tmp) / f"{title[:3]}{r}.jsonl"))
                per = 1e6 / args.frames
                print(f"{title:28} {args.frames:>8,} {bare * per:>14.1f} {recorded * per:>18.1f} "
                      f"{(recorded - bare) * per:>18.1f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
