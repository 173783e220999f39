"""Load the same recordings with toolkit.dask on a LocalCluster of 1 worker, then of 2; print time and lines/s.

Each worker is a process with one thread. The recordings are simulated JSON Lines, one
uncompressed file split into byte ranges of ``--blocksize`` (so both workers have work);
the computation parses every range and counts the calls per market and category, so
only that small table travels back. Workers import the toolkit before the clock starts;
runs alternate between the two clusters (``--repeat`` each) and the best time of each is
shown. The 1-worker run is the
baseline for the speed-up;
``toolkit.load_logs`` of the same file (which parses in worker processes of its own, one
per core) is printed beside them. Cluster start-up is timed apart from the work.

    python benchmarks/bench_dask.py [--calls 1000000] [--blocksize 32MiB]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _warm():
    import toolkit.dask  # noqa: F401


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--blocksize", default="32MiB")
    ap.add_argument("--repeat", type=int, default=3, help="runs per cluster; the best is shown")
    args = ap.parse_args(argv)

    import distributed

    import toolkit

    warnings.filterwarnings("ignore", module="distributed")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "calls.jsonl"
        t0 = time.perf_counter()
        toolkit.simulate(file, calls=args.calls)
        with open(file, "rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
        print(f"simulated {lines:,} lines, {file.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s; "
              f"{os.cpu_count()} cores, blocksize {args.blocksize}\n")

        base = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            df = toolkit.load_logs(file)
            want = df.groupby(["market", "category"], observed=True).size()
            base.append(time.perf_counter() - t0)
            del df
        base = min(base)

        clusters = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=40)
            client = distributed.Client(cluster, set_as_default=False)
            client.run(_warm)  # workers import the toolkit before the clock starts
            clusters[workers] = (cluster, client, time.perf_counter() - t0, [])
        try:
            for _ in range(args.repeat):  # alternate, so both see the same share of a busy machine
                for workers, (_, client, _, times) in clusters.items():
                    t1 = time.perf_counter()
                    with client.as_current():  # the line counts of read_logs run on this cluster too
                        ddf = toolkit.dask.read_logs(file, blocksize=args.blocksize)
                        got = ddf.groupby(["market", "category"], observed=True).size().compute()
                    times.append(time.perf_counter() - t1)
                    if not got.sort_index().equals(want.sort_index()):
                        sys.exit(f"{workers} worker(s): the counts differ from load_logs")
        finally:
            for cluster, client, _, _ in clusters.values():
                client.close()
                cluster.close()
        rows = [(f"dask, {w} worker{'s' if w > 1 else ''}", ddf.npartitions, start, min(times))
                for w, (_, _, start, times) in clusters.items()]

        print(f"{'':22} {'partitions':>10} {'start s':>8} {'work s':>8} {'lines/s':>11} {'speed-up':>9}")
        print(f"{'load_logs':22} {'':>10} {'':>8} {base:8.2f} {lines / base:11,.0f} {'':>9}")
        one = rows[0][3]
        for name, parts, start, work in rows:
            print(f"{name:22} {parts:10} {start:8.2f} {work:8.2f} {lines / work:11,.0f} {one / work:8.2f}x")
        print("\nthe counts per market and category agree with load_logs on both clusters")


if __name__ == "__main__":
    main()
