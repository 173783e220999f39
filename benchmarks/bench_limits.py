"""Bounded memory and time: the worst inputs of their kind, each loaded in a fresh process, next to a baseline.

Five measurements, wall time and peak memory of the process and its workers (``_measure.run_code``):

1. one line of 500 MB (between two ordinary lines): ``load_logs`` and ``scrub`` (target: < 30 s and < 2 GB),
   next to reading the file through in 1 MB blocks;
2. gzip bombs, 1 GiB of ``{}`` lines, of blank lines and of one byte repeated, each about 1 MB gzipped:
   ``read_logs``, ``scrub`` and ``ingest`` end with a clear error (target: < 10 s and < 2 GB), next to
   gunzipping the bomb through in 1 MB blocks;
3. 64 MB of ``{}`` lines (22 M rejects): ``read_logs`` keeps the first of them and counts the rest, next to
   ``orjson.loads`` of every line;
4. 20,000 one-line files in 20 folders: ``ingest`` into a new store (target: < 60 s), the same again, and
   ``load_logs`` of the folder (113 s before), next to opening and reading every file;
5. the peak memory of a load of simulated calls against the memory of the frame it returns (a multiple the
   README states), next to a process that imports the toolkit and loads nothing.

    python benchmarks/bench_limits.py [--files 20000] [--calls 500000] [--skip ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
from pathlib import Path

from _measure import run_code

SPOT = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth?symbol=AAPL"
HEAD = """
import time, warnings, toolkit
warnings.simplefilter("ignore")
PATH = {path!r}
t0 = time.perf_counter()
"""


def measure(code: str, what: str, **values) -> tuple[float, str, float]:
    return run_code(HEAD.format(**values) + code, what)


def one_line(tmp: Path, megabytes: int) -> None:
    path = tmp / "long.jsonl"
    ordinary = json.dumps({"ts": "2026-11-20T21:05:00Z", "url": SPOT, "status": 200}).encode() + b"\n"
    with open(path, "wb") as f:
        f.write(ordinary)
        f.write(b'{"ts": "2026-11-20T21:05:01Z", "url": "' + SPOT.encode() + b'", "status": 200, "body": "')
        block = b"x" * (1 << 20)
        for _ in range(megabytes):
            f.write(block)
        f.write(b'"}\n' + ordinary)
    print(f"1. one line of {megabytes} MB between two ordinary lines (target: < 30 s, < 2 GB)")
    code = ("load = toolkit.read_logs(PATH)\n"
            "print(f'{time.perf_counter() - t0:.2f} {len(load.frame)} {load.rejects[\"reason\"].iloc[0]!r}')")
    wall, out, peak = measure(code, "a long line", path=str(path))
    t, rows, reason = out.split(" ", 2)
    print(f"   load_logs: {float(t):.2f} s in the call, process {wall:.2f} s, peak {peak:,.0f} MB; {rows} rows, "
          f"the long line a reject: {reason}")
    code = "toolkit.scrub(PATH, PATH + '.out')\nprint(f'{time.perf_counter() - t0:.2f}')"
    wall, out, peak = measure(code, "scrub", path=str(path))
    print(f"   scrub: {float(out):.2f} s in the call, process {wall:.2f} s, peak {peak:,.0f} MB")
    code = ("with open(PATH, 'rb') as f:\n    while f.read(1 << 20):\n        pass\n"
            "print(f'{time.perf_counter() - t0:.2f}')")
    wall, out, peak = measure(code, "baseline", path=str(path))
    print(f"   baseline, reading it through in 1 MB blocks: {float(out):.2f} s, process {wall:.2f} s, "
          f"peak {peak:,.0f} MB")
    path.unlink()


def bombs(tmp: Path) -> None:
    print("2. gzip bombs of 1 GiB (target: a clear error in < 10 s and < 2 GB)")
    for name, line in (("{} lines", b"{}\n"), ("blank lines", b"\n"), ("one byte, no LF", b"x")):
        path = tmp / f"bomb-{len(line)}{line[:1].hex()}.jsonl.gz"
        block = line * ((1 << 20) // len(line))
        with gzip.open(path, "wb", 9) as f:
            for _ in range(1024):
                f.write(block)
        print(f"   {name} ({path.stat().st_size:,} bytes gzipped):")
        for what, call in (("read_logs", "toolkit.read_logs(PATH)"),
                           ("scrub", "toolkit.scrub(PATH, PATH + '.out.gz')"),
                           ("ingest", "r = toolkit.store.ingest(PATH, PATH + '.store').report.iloc[0]\n"
                                      "    raise toolkit.LogFormatError(r['status'] + ': ' + r['message'])")):
            code = (f"try:\n    {call}\n    said = 'no error'\nexcept toolkit.LogFormatError as e:\n    said = str(e)\n"
                    "print(f'{time.perf_counter() - t0:.2f} {said[-70:]}')")
            wall, out, peak = measure(code, what, path=str(path))
            t, said = out.split(" ", 1)
            print(f"     {what:9} {float(t):6.2f} s in the call, process {wall:5.2f} s, peak {peak:6,.0f} MB: ...{said}")
        code = ("with gzip.open(PATH, 'rb') as f:\n    while f.read(1 << 20):\n        pass\n"
                "print(f'{time.perf_counter() - t0:.2f}')")
        wall, out, peak = measure("import gzip\n" + code, "baseline", path=str(path))
        print(f"     baseline, gunzipping it through in 1 MB blocks: {float(out):.2f} s, peak {peak:,.0f} MB")
        path.unlink()


def braces(tmp: Path) -> None:
    path = tmp / "braces.jsonl"
    path.write_bytes(b"{}\n" * ((64 << 20) // 3))
    print("3. 64 MB of {} lines (every one a reject)")
    code = ("load = toolkit.read_logs(PATH)\n"
            "print(f'{time.perf_counter() - t0:.2f} {len(load.rejects)} {int(load.report[\"rejects\"].sum())}')")
    wall, out, peak = measure(code, "braces", path=str(path))
    t, kept, counted = out.split()
    print(f"   read_logs: {float(t):.2f} s in the call, process {wall:.2f} s, peak {peak:,.0f} MB; "
          f"{int(kept):,} rejects kept, {int(counted):,} counted")
    code = ("import orjson\nfor line in open(PATH, 'rb'):\n    try:\n        orjson.loads(line)\n"
            "    except orjson.JSONDecodeError:\n        pass\nprint(f'{time.perf_counter() - t0:.2f}')")
    wall, out, peak = measure(code, "baseline", path=str(path))
    print(f"   baseline, orjson.loads of every line: {float(out):.2f} s, peak {peak:,.0f} MB")
    path.unlink()


def many_files(tmp: Path, n: int) -> None:
    folder = tmp / "many"
    for i in range(n):
        sub = folder / f"bot{i % 20:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        rec = {"ts": f"2026-11-{16 + i % 7:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z", "method": "GET", "url": SPOT,
               "status": 200 if i % 5 else 429, "elapsed_ms": 41.5, "body": {"code": 0, "msg": "success"}}
        (sub / f"calls.{i:05d}.jsonl").write_text(json.dumps(rec) + "\n")
    print(f"4. {n:,} one-line files in 20 folders (target: ingest < 60 s)")
    store = tmp / "store"
    for what, code in (("ingest, new store", f"r = toolkit.store.ingest(PATH, {str(store)!r})\nn = r.rows"),
                       ("ingest again", f"r = toolkit.store.ingest(PATH, {str(store)!r})\n"
                                        "n = int((r.report['status'] == 'unchanged').sum())"),
                       ("load_logs", "n = len(toolkit.load_logs(PATH))"),
                       ("load_logs of the store", f"n = len(toolkit.load_logs({str(store)!r}))")):
        wall, out, peak = measure(code + "\nprint(f'{time.perf_counter() - t0:.2f} {n}')", what, path=str(folder))
        t, count = out.split()
        print(f"   {what:24} {float(t):6.2f} s in the call, process {wall:6.2f} s, peak {peak:6,.0f} MB ({int(count):,})")
    code = ("import os\nn = 0\nfor d, _, names in os.walk(PATH):\n    for name in names:\n"
            "        with open(os.path.join(d, name), 'rb') as f:\n            n += len(f.read())\n"
            "print(f'{time.perf_counter() - t0:.2f} {n}')")
    wall, out, peak = measure(code, "baseline", path=str(folder))
    print(f"   baseline, opening and reading every file: {float(out.split()[0]):.2f} s")


def memory(tmp: Path, calls: int) -> None:
    import toolkit

    path = tmp / "calls.jsonl"
    toolkit.simulate(path, calls=calls)
    print(f"5. peak memory of a load against its frame ({path.stat().st_size / 1e6:,.0f} MB of simulated calls)")
    code = ("df = toolkit.load_logs(PATH)\n"
            "print(f'{time.perf_counter() - t0:.2f} {len(df)} {df.memory_usage(deep=True).sum() / 1e6:.1f}')")
    wall, out, peak = measure(code, "load", path=str(path))
    t, rows, frame = out.split()
    idle_wall, _, idle = measure("print(0)", "idle", path=str(path))
    print(f"   load_logs: {int(rows):,} rows, frame {float(frame):,.0f} MB; peak {peak:,.0f} MB = "
          f"{peak / float(frame):.1f}x the frame ({(peak - idle) / float(frame):.1f}x beyond the idle process)")
    print(f"   baseline, a process that imports the toolkit and loads nothing: peak {idle:,.0f} MB")
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--line-mb", type=int, default=500)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=500_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["line", "bombs", "braces", "files", "memory"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        steps = {"line": lambda: one_line(tmp, args.line_mb), "bombs": lambda: bombs(tmp),
                 "braces": lambda: braces(tmp), "files": lambda: many_files(tmp, args.files),
                 "memory": lambda: memory(tmp, args.calls)}
        for name, step in steps.items():
            if name not in args.skip:
                step()


if __name__ == "__main__":
    main()
