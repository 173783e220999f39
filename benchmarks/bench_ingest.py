"""Ingest N simulated calls into a Parquet store, each step in its own process; print lines/s and peak memory.

Baseline, measured in the same run on the same file: ``toolkit.load_logs`` (parse into
pandas, nothing written). Then:

1. ``toolkit.store.ingest`` of the whole file into a new store;
2. the same again (nothing new: the manifest says so);
3. a growing log: the first 90% of the lines ingested, the last 10% appended and ingested
   (only the appended bytes are read);
4. ``toolkit.load_logs`` of the store (reading the Parquet back).

Wall time includes starting Python and importing toolkit (about a second); "in-proc" is
the call alone. The baseline and the ingest into a new store run ``--repeat`` times (3),
alternated, each into a new store; the run of median wall time is shown with the spread, and
the ratio is of those medians. Peak memory is the largest resident set of the process and its children (the parser's
worker processes), sampled every 20 ms from /proc.

With ``--folder`` (a folder of recordings, such as the daily rotated, gzipped logs of three bots that
``bench_load.py`` writes into ``benchmarks/out/folder-2500000``), only the first two are run on it, alternated:
``load_logs`` of the folder and its ingest into a new store, lines/s side by side.

    python benchmarks/bench_ingest.py [--calls 1000000] [--repeat 3] [--folder benchmarks/out/folder-2500000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_code

RUNNER = """
import time, warnings
import toolkit
t0 = time.perf_counter()
{body}
print(rows, time.perf_counter() - t0)
"""

STEPS = {
    "load_logs (baseline)": "rows = len(toolkit.load_logs({file!r}))",
    "ingest, new store": "rows = toolkit.store.ingest({file!r}, {store!r}).rows",
    "ingest again, nothing new": "rows = toolkit.store.ingest({file!r}, {store!r}).rows",
    "ingest 10% appended": "rows = toolkit.store.ingest({grown!r}, {store2!r}).rows",
    "load_logs of the store": "rows = len(toolkit.load_logs({store!r}))",
}


def run(body: str) -> tuple[float, float, int, float]:
    """(wall s, inner s, rows, peak MB) of ``body`` run in a fresh process."""
    wall, last, peak_mb = run_code(RUNNER.format(body=body), f"step {body!r}", every=0.02)
    rows, inner = last.split()
    return wall, float(inner), int(rows), peak_mb


def folder(path: str, repeat: int) -> None:
    """``load_logs`` of the recordings in ``path`` against their ingest into a new store, ``repeat`` times each,
    alternated: the runs of median wall time, and the lines/s of each."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"file": path, "store": str(Path(tmp) / "store")}
        trials = {name: [] for name in list(STEPS)[:2]}
        for _ in range(repeat):
            for name in trials:
                shutil.rmtree(paths["store"], ignore_errors=True)
                trials[name].append(run(STEPS[name].format(**paths)))
    print(f"folder {path}, {os.cpu_count()} cores\n")
    print(f"{'':28} {'wall s':>8} {'in-proc s':>10} {'lines':>11} {'lines/s':>11} {'peak MB':>9} {'runs':>11}")
    rates = {}
    for name, runs in trials.items():
        runs.sort()
        wall, inner, rows, _ = runs[len(runs) // 2]
        rates[name] = rows / wall
        spread = f"{runs[0][0]:.2f}-{runs[-1][0]:.2f}" if len(runs) > 1 else "1 run"
        print(f"{name:28} {wall:8.2f} {inner:10.2f} {rows:11,} {rows / wall:11,.0f} {max(r[3] for r in runs):9,.0f} "
              f"{spread:>11}")
    print(f"\ningest runs at {rates['ingest, new store'] / rates['load_logs (baseline)']:.2f}x the lines/s of "
          "load_logs (target >= 0.8x)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the baseline and of the first ingest")
    ap.add_argument("--folder", help="a folder of recordings: only load_logs and the ingest of it, compared")
    args = ap.parse_args(argv)
    if args.folder:
        folder(args.folder, args.repeat)
        return

    import toolkit

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        file = tmp / "calls.jsonl"
        t0 = time.perf_counter()
        toolkit.simulate(file, calls=args.calls)
        data = file.read_bytes()
        lines = data.count(b"\n")
        cut = 0
        for _ in range(lines * 9 // 10):
            cut = data.index(b"\n", cut) + 1
        grown = tmp / "growing.jsonl"
        grown.write_bytes(data[:cut])
        print(f"simulated {lines:,} lines, {len(data) / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s; "
              f"{os.cpu_count()} cores\n")
        paths = {"file": str(file), "store": str(tmp / "store"), "grown": str(grown), "store2": str(tmp / "store2")}
        print(f"{'':28} {'wall s':>8} {'in-proc s':>10} {'lines':>11} {'lines/s':>11} {'peak MB':>9} {'runs':>11}")
        results = {}
        repeated = {name: [] for name in list(STEPS)[:2]}
        for _ in range(args.repeat):  # alternated, so that both see the machine in the same state
            for name in repeated:
                shutil.rmtree(paths["store"], ignore_errors=True)
                repeated[name].append(run(STEPS[name].format(**paths)))
        for name, body in STEPS.items():
            if name == "ingest 10% appended":
                run(body.format(**paths))  # the first 90%, not measured
                with open(grown, "ab") as f:
                    f.write(data[cut:])
                n = lines - lines * 9 // 10
            else:
                n = 0 if name == "ingest again, nothing new" else lines
            if name in repeated:
                trials = sorted(repeated[name])
                wall, inner, _, _ = trials[len(trials) // 2]
                peak = max(t[3] for t in trials)
                runs = f"{trials[0][0]:.2f}-{trials[-1][0]:.2f}" if len(trials) > 1 else "1 run"
            else:
                wall, inner, _, peak = run(body.format(**paths))
                runs = "1 run"
            results[name] = wall
            rate = f"{n / wall:11,.0f}" if n else f"{'-':>11}"
            print(f"{name:28} {wall:8.2f} {inner:10.2f} {n:11,} {rate} {peak:9,.0f} {runs:>11}")
        size = sum(f.stat().st_size for f in (tmp / "store").rglob("*") if f.is_file())
        print(f"\nstore: {size / 1e6:,.0f} MB on disk for {lines:,} calls "
              f"({len(data) / size:.0f}x smaller than the JSON Lines)")
        ratio = results['ingest, new store'] / results['load_logs (baseline)']
        print(f"ingest / load_logs wall time: {ratio:.2f}x, so ingest runs at {1 / ratio:.2f}x the lines/s of "
              f"load_logs (target >= 0.8x); "
              f"reading the store back: {results['load_logs (baseline)'] / results['load_logs of the store']:.1f}x "
              "faster than parsing")
        shutil.rmtree(tmp / "store", ignore_errors=True)


if __name__ == "__main__":
    main()
