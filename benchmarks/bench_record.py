"""The recorders' cost per call, against the same client without a recorder, for every client.

A JSON endpoint on 127.0.0.1 (an aiohttp server in its own process) answers
``{"code": 0, "msg": "success", "data": {...}}``; each client makes N calls
one after another, bare and recorded, in alternating rounds (the best round
of each counts). Times are the client process's CPU time (the server runs
in another process), which other work on a busy machine does not inflate
the way it does wall time; the difference per call is the recorder's
overhead: building the line, masking, and one unbuffered write. The last
row times that work alone, without the network.

    python benchmarks/bench_record.py [--calls 300] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

SERVER = """
import asyncio, json, sys
from aiohttp import web
BODY = json.dumps({"code": 0, "msg": "success", "data": {"bids": [["189.1", "5"]] * 20, "asks": [["189.2", "3"]] * 20,
                                                          "symbol": "AAPL", "timestamp": 1795208700000}}).encode()
async def depth(request):
    await request.read()
    return web.Response(body=BODY, content_type="application/json")
async def main():
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", depth)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""

PATH = "/api/v1/stock/open-api/depth"
HEADERS = {"ACCESS-KEY": "ak-BENCH-0001", "ACCESS-SIGN": "c2lnLUJFTkNI", "ACCESS-TIMESTAMP": "1795208700000"}


def _sync_round(make, n, url, record_to):
    import toolkit

    client = make()
    if record_to:
        client = toolkit.attach_recorder(client, record_to)
    client.get(url, params={"symbol": "AAPL"}, headers=HEADERS)  # connect outside the clock
    t0 = time.process_time()
    for _ in range(n):
        r = client.get(url, params={"symbol": "AAPL"}, headers=HEADERS)
        r.json()
    took = time.process_time() - t0
    client.close()
    return took


async def _httpx_async(n, url, record_to):
    import httpx

    import toolkit

    client = httpx.AsyncClient()
    if record_to:
        client = toolkit.attach_recorder(client, record_to)
    async with client:
        await client.get(url, params={"symbol": "AAPL"}, headers=HEADERS)
        t0 = time.process_time()
        for _ in range(n):
            r = await client.get(url, params={"symbol": "AAPL"}, headers=HEADERS)
            r.json()
        return time.process_time() - t0


async def _aiohttp(n, url, record_to):
    import aiohttp

    import toolkit

    session = aiohttp.ClientSession()
    if record_to:
        session = toolkit.attach_recorder(session, record_to)
    async with session:
        async with session.get(url, params={"symbol": "AAPL"}, headers=HEADERS) as r:
            await r.read()
        t0 = time.process_time()
        for _ in range(n):
            async with session.get(url, params={"symbol": "AAPL"}, headers=HEADERS) as r:
                await r.json()
        return time.process_time() - t0


def _line_alone(path, n=5000):
    """µs per call of the recorder's own work (line, masking, write) for the benchmark's response."""
    import json

    from toolkit.classify import compile_market_rules
    from toolkit.record._core import MAX_BODY, Recorder
    from toolkit.record._writer import Writer

    body = json.dumps({"code": 0, "msg": "success", "data": {"bids": [["189.1", "5"]] * 20,
                                                             "asks": [["189.2", "3"]] * 20}}).encode()
    rec = Recorder(Writer.acquire(path, None, None), None, compile_market_rules(None), MAX_BODY)
    args = ("GET", "http://127.0.0.1:1" + PATH + "?symbol=AAPL", dict(HEADERS), None, time.time(), 1.0, 200,
            {"Content-Type": "application/json", "Date": "Fri, 20 Nov 2026 21:05:00 GMT"}, body, None)
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(n):
            rec.record(*args)
        best = min(best, time.process_time() - t0)
    rec.release()
    return best / n * 1e6


def clients():
    import httpx
    import requests

    return {
        "requests.Session": lambda n, url, rec: _sync_round(requests.Session, n, url, rec),
        "httpx.Client": lambda n, url, rec: _sync_round(httpx.Client, n, url, rec),
        "httpx.AsyncClient": lambda n, url, rec: asyncio.run(_httpx_async(n, url, rec)),
        "aiohttp.ClientSession": lambda n, url, rec: asyncio.run(_aiohttp(n, url, rec)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}{PATH}"
        print(f"{args.calls:,} sequential calls per round, best of {args.rounds} rounds; client CPU per call:")
        print(f"{'client':<24}{'bare µs':>10}{'recorded µs':>14}{'overhead µs':>14}{'overhead':>10}")
        with tempfile.TemporaryDirectory() as tmp:
            for name, run in clients().items():
                bare, recorded = [], []
                for i in range(args.rounds):
                    bare.append(run(args.calls, url, None))
                    path = os.path.join(tmp, f"{name}.{i}.jsonl")
                    recorded.append(run(args.calls, url, path))
                b, r = min(bare) / args.calls * 1e6, min(recorded) / args.calls * 1e6
                print(f"{name:<24}{b:>10.0f}{r:>14.0f}{r - b:>14.0f}{(r - b) / b:>10.0%}")
            print(f"{'record() alone':<24}{'':>10}{'':>14}{_line_alone(os.path.join(tmp, 'alone.jsonl')):>14.0f}")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
