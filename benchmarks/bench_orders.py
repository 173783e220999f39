"""Did my order go through? The order analysis against its targets, and what its columns cost the loader.

1. Two days of two bots (:func:`toolkit.simulation.simulate_orders`: a spot market maker with ``clientOid``
   and batches, a futures bot without; read timeouts, resets, gateway pages, code 1001, ``code 200`` and
   ``data: null`` successes, connect timeouts that never left, reconciliation after failures, re-sends with
   the same and a new ``clientOid``), for several seeds: recall and precision of the orders of unknown outcome
   (target >= 0.98), share whose fate is right (>= 95%), every intent placed twice found with no false duplicate.
2. ``toolkit.orders`` on 2.5 M calls: the same two bots with the market data they poll between orders
   (target < 2 s), in a fresh process after the load; and on the bundled simulator's week, whose calls are a
   fifth order calls.
3. ``toolkit.load_logs`` of the flat benchmark file (as ``bench_load.py`` writes it) with this tree and with
   the commit the order columns started from (``--base``), each in its own process, alternated (target: no
   more than 5% slower).

    python benchmarks/bench_orders.py [--seeds 5] [--calls 2500000] [--load-calls 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _measure import ENV, run_code

ROOT = Path(__file__).resolve().parent.parent
BASE = "10b5bd2"  # main before the order columns

SCORE = """
import sys, warnings
sys.path.insert(0, {bench!r})
import numpy as np, toolkit
from toolkit.simulation import simulate_orders
warnings.simplefilter("ignore")
truth = simulate_orders({path!r}, seed={seed}, days=2, orders_per_hour=55)
got = toolkit.orders(toolkit.load_logs({path!r}))
key = lambda d: list(zip(d["source"].astype(str), d["line"].astype("Int64").astype(object),
                         d["item"].astype("Int64").fillna(-1).astype(int)))
t = truth.assign(k=key(truth)).set_index("k")
g = got.assign(k=key(got)).set_index("k").loc[t.index]
pred = (g["sent"] & (g["answer"] == "unknown")).to_numpy()
true = t["unknown"].to_numpy(bool)
right = int((g["fate"].astype(object).to_numpy()[true] == t["fate"].to_numpy()[true]).sum())
dup = g["duplicate_of"].notna().to_numpy()
print(len(t), int(true.sum()), int((pred & true).sum()), int(pred.sum()), right, int(t["duplicate"].sum()),
      int(t["findable"].sum()), int((dup & t["findable"].to_numpy(bool)).sum()),
      int((dup & ~t["duplicate"].to_numpy(bool)).sum()))
"""

ORDERS = """
import time, warnings, toolkit
warnings.simplefilter("ignore")
df = toolkit.load_logs({path!r})
toolkit.orders(df.head(1000))  # imports and the catalog, once
times = []
for _ in range(3):
    t0 = time.perf_counter()
    got = toolkit.orders(df)
    times.append(time.perf_counter() - t0)
print(len(df), len(got), int((got["sent"] & (got["answer"] == "unknown")).sum()), min(times), max(times))
"""

LOAD = """
import toolkit
df = toolkit.load_logs({path!r})
print(len(df), df.memory_usage(deep=True).sum())
"""


def run_in(tree: str, code: str, what: str):
    os.environ["PYTHONPATH"] = tree
    ENV["PYTHONPATH"] = tree
    return run_code(code, what)


def base_tree(dest: Path, commit: str) -> str:
    """The toolkit package at ``commit``, unpacked into ``dest`` (the repository is not touched)."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "toolkit"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return str(dest)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="two-day simulations scored")
    ap.add_argument("--calls", type=int, default=2_500_000, help="calls for the timing of toolkit.orders")
    ap.add_argument("--load-calls", type=int, default=1_000_000, help="lines of the flat file for load_logs")
    ap.add_argument("--repeat", type=int, default=5, help="load_logs runs per tree, alternated")
    ap.add_argument("--base", default=BASE, help="the commit to compare load_logs with")
    args = ap.parse_args(argv)
    here = str(ROOT)
    tmp = tempfile.TemporaryDirectory()
    dest = Path(tmp.name)
    os.chdir(dest)  # the measured processes import the toolkit of their PYTHONPATH, not of the working directory

    print("two days of two bots (spot with clientOid, futures without), per seed")
    print(f"{'seed':>5} {'attempts':>9} {'unknown':>8} {'recall':>7} {'precision':>9} {'fate ok':>8} "
          f"{'twice':>6} {'findable':>9} {'found':>6} {'false':>6}")
    tot = [0] * 9
    for seed in range(25, 25 + args.seeds):
        _, out, _ = run_in(here, SCORE.format(bench=str(Path(__file__).parent), path=str(dest / f"s{seed}"),
                                              seed=seed), "score")
        n, unknown, tp, pred, right, twice, findable, found, false = map(int, out.split())
        tot = [a + b for a, b in zip(tot, (n, unknown, tp, pred, right, twice, findable, found, false))]
        print(f"{seed:5} {n:9,} {unknown:8,} {tp / unknown:7.3f} {tp / pred:9.3f} {right / unknown:8.1%} "
              f"{twice:6} {findable:9} {found:6} {false:6}")
    n, unknown, tp, pred, right, twice, findable, found, false = tot
    print(f"{'all':>5} {n:9,} {unknown:8,} {tp / unknown:7.3f} {tp / pred:9.3f} {right / unknown:8.1%} "
          f"{twice:6} {findable:9} {found:6} {false:6}   (targets: >= 0.98, >= 0.98, >= 95%, all found, 0 false)")

    sys.path.insert(0, here)
    import toolkit
    from toolkit.simulation import simulate_orders

    t0 = time.perf_counter()
    big = dest / "big"
    truth = simulate_orders(big, seed=25, days=2, orders_per_hour=55, filler=0)
    per_step = max(0, int(args.calls / max(1, len(truth))) - 2)
    simulate_orders(big, seed=25, days=2, orders_per_hour=55, filler=per_step)
    week = dest / "week.jsonl"
    toolkit.simulate(week, calls=args.calls, compress=False)
    print(f"\nsimulated the files for toolkit.orders in {time.perf_counter() - t0:.0f} s")
    for name, path in (("two bots, market data between orders", big), ("the simulator's week", week)):
        _, out, peak = run_in(here, ORDERS.format(path=str(path)), "orders")
        calls, attempts, unknown, best, worst = out.split()
        print(f"  toolkit.orders, {name}: {int(calls):,} calls, {int(attempts):,} attempts ({int(unknown):,} of "
              f"unknown outcome): {float(best):.2f} s (runs up to {float(worst):.2f} s; target < 2 s)")

    t0 = time.perf_counter()
    flat = dest / "flat.jsonl"
    src = dest / "calls.jsonl"
    toolkit.simulate(src, calls=int(args.load_calls * 0.985), compress=False)
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_load import write_forms
    write_forms(src, args.load_calls, dest)["flat"].rename(flat)
    base = base_tree(dest / "base", args.base)
    print(f"\nload_logs of the flat file ({args.load_calls:,} lines; made in {time.perf_counter() - t0:.0f} s), "
          f"this tree against {args.base}, alternated")
    walls = {"this tree": [], args.base: []}
    mem = {}
    for _ in range(args.repeat):
        for name, tree in (("this tree", here), (args.base, base)):
            wall, out, peak = run_in(tree, LOAD.format(path=str(flat)), name)
            walls[name].append(wall)
            rows, size = map(int, out.split())
            mem[name] = size / rows * 1e6 / 1e6
    for name, w in walls.items():
        print(f"  {name:12} median {statistics.median(w):.2f} s (runs {min(w):.2f}-{max(w):.2f}), "
              f"frame {mem[name]:.0f} MB per million rows")
    ratio = statistics.median(walls["this tree"]) / statistics.median(walls[args.base])
    print(f"  this tree / {args.base}: {ratio:.3f} (target <= 1.05)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
