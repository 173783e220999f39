"""Reading WebSocket recordings: frames per second of ``toolkit.read_logs`` against a plain orjson loop over the
same frames, for each shape, in alternating rounds (the best round of each counts; CPU time of this process,
which other work on a shared machine does not inflate: the loader runs in one process, TOOLKIT_WORKERS=1).

The recordings are the corpus writers' (``tests/wscorpus.py``) over a long clean futures session (a kline and a
ticker every 5 s, a ping every 20 s), scaled to about ``--frames`` frames: a Chrome HAR, a Playwright HAR
(gzipped), the ``websockets`` DEBUG log, the ``websocket-client`` trace, ccxt pro's verbose output and the
recorder's JSON Lines. The baseline does the least any reader must: for a HAR, ``orjson.loads`` of the document
and of every frame's text; for a log, splitting the lines and ``orjson.loads`` of every frame's payload, as
``orjson`` needs it (the text after ``message``, or the JSON line). Target: at least 100,000 frames a second.

    python benchmarks/bench_ws_read.py [--frames 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import ast
import gzip
import sys
import tempfile
import time
import warnings
from pathlib import Path

import orjson

os.environ.setdefault("TOOLKIT_WORKERS", "1")  # one process, so that its CPU time is all the work

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import toolkit  # noqa: E402
from tests import wscorpus  # noqa: E402

SHAPES = {
    "Chrome HAR": ("feed.har", wscorpus.chrome_har),
    "Playwright HAR (gzip)": ("feed.har.gz", wscorpus.playwright_har),
    "websockets log": ("websockets.log", wscorpus.websockets_log),
    "websocket-client log": ("websocket-client.log", wscorpus.websocket_client_log),
    "ccxt pro log": ("ccxt.log", wscorpus.ccxt_log),
    "recorder JSON Lines": ("feed.jsonl", wscorpus.recorder_jsonl),
}


def baseline(path: Path) -> int:
    """The plain loop: parse every frame's JSON text once. Returns the frames seen."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    n = 0
    if ".har" in path.name:
        for entry in orjson.loads(data)["log"]["entries"]:
            for m in entry.get("_webSocketMessages", ()):
                orjson.loads(m["data"])
                n += 1
        return n
    for line in data.split(b"\n"):
        if path.name.endswith(".jsonl"):
            if line:
                orjson.loads(line)
                n += 1
            continue
        if b"message {" in line:
            orjson.loads(line.split(b"message ", 1)[1])
            n += 1
        elif b"decoded: fin=1 opcode=1 data=b'" in line:
            data = line.split(b"data=", 1)[1]
            orjson.loads(ast.literal_eval(data.decode()) if b"\\" in data else data[2:-1])
            n += 1
        elif b" TEXT '" in line:
            text = line.split(b" TEXT '", 1)[1].rsplit(b"' [", 1)[0]
            if b"..." not in text:
                orjson.loads(text)
            n += 1
    return n


def measure(path: Path, rounds: int) -> tuple[int, float, float]:
    """(frames read, best seconds of read_logs, best seconds of the baseline), rounds alternated."""
    best_read = best_base = float("inf")
    frames = 0
    for _ in range(rounds):
        t = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load = toolkit.read_logs(path)
        best_read = min(best_read, time.process_time() - t)
        frames = len(load.websocket)
        t = time.process_time()
        baseline(path)
        best_base = min(best_base, time.process_time() - t)
    return frames, best_read, best_base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    hours = args.frames / 1800 / 1.1  # a clean session carries about 1,980 frames an hour
    feed = wscorpus.clean_session(hours=hours)
    print(f"{'shape':24} {'frames':>9} {'read_logs':>11} {'frames/s':>11} {'orjson loop':>12} {'frames/s':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for title, (name, writer) in SHAPES.items():
            path = Path(tmp) / name
            writer(feed, path)
            frames, read_s, base_s = measure(path, args.rounds)
            print(f"{title:24} {frames:>9,} {read_s:>10.3f}s {frames / read_s:>11,.0f} {base_s:>11.3f}s "
                  f"{frames / base_s:>11,.0f}")


if __name__ == "__main__":
    main()
