"""error_rate over ~50M calls in a store: DuckDB (toolkit.store) against loading them into pandas.

How the store is made (once; kept in --workdir and reused): ``--base-calls`` simulated calls
(a week, plain JSON Lines) are ingested with ``toolkit.store.ingest``; then every Parquet part
is copied with its times shifted by 1, 2, ... weeks (and its ``source`` renamed) until the
store holds ``--rows`` calls, each copy registered in the manifest like an ingested file.

Then, each in its own process (wall time and peak resident memory of the process and its
children, sampled every 20 ms from /proc):

1. ``toolkit.store.error_rate(store)`` over every call: DuckDB, default settings;
2. the same with DuckDB limited to ``--memory-limit``;
3. ``toolkit.store.top_errors(store)`` over every call;
4. the baseline: ``toolkit.error_rate(toolkit.load_logs(store, end=...))`` on the first weeks
   only (``--pandas-rows`` calls, as many as fit comfortably), its time and memory scaled
   linearly to the whole store: what loading everything into pandas would take;
5. a check that DuckDB and pandas give the same table on that subset.

    python benchmarks/bench_store_query.py [--rows 50000000] [--workdir benchmarks/out/store50m]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_code

RUNNER = """
import time, warnings
import pandas as pd
import toolkit
STORE = {store!r}
t0 = time.perf_counter()
{body}
print(rows, time.perf_counter() - t0, extra)
"""

DUCKDB_RATE = """
r = toolkit.store.error_rate(STORE, freq="5min", by="market"{config})
rows, extra = int(r["calls"].sum()), len(r)
"""

DUCKDB_TOP = """
r = toolkit.store.top_errors(STORE, n=10)
rows, extra = round(r["count"].iloc[0] / r["share"].iloc[0]), len(r)
"""

IMPORT = """
rows, extra = 0, "-"
"""

PANDAS_RATE = """
df = toolkit.load_logs(STORE, end={end!r})
t1 = time.perf_counter()
r = toolkit.error_rate(df, freq="5min", by="market")
rows, extra = len(df), f"{{df.memory_usage(deep=True).sum()}},{{t1 - t0}}"
"""

CHECK = """
a = toolkit.store.error_rate(STORE, freq="5min", by="market", end={end!r})
b = toolkit.error_rate(toolkit.load_logs(STORE, end={end!r}), freq="5min", by="market")
pd.testing.assert_frame_equal(a, b, check_exact=True)
rows, extra = int(a["calls"].sum()), "equal"
"""


def run(store: Path, body: str) -> dict:
    wall, last, peak_mb = run_code(RUNNER.format(store=str(store), body=body), f"query {body!r}", every=0.02)
    rows, inner, extra = last.split(maxsplit=2)
    return {"wall": wall, "inner": float(inner), "rows": int(rows), "peak_mb": peak_mb, "extra": extra}

def build(store: Path, rows: int, base_calls: int) -> None:
    """Ingest a simulated week, then copy its parts week after week up to ``rows`` calls."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    import toolkit
    from toolkit.store._manifest import Store, parts

    work = store.parent
    raw = work / "week.jsonl"
    t0 = time.perf_counter()
    toolkit.simulate(raw, calls=base_calls)
    print(f"simulated a week: {raw.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    done = toolkit.store.ingest(raw, store)
    base = done.rows
    print(f"ingested {base:,} calls in {time.perf_counter() - t0:.0f} s")
    copies = math.ceil(rows / base) - 1
    s = Store(store)
    t0 = time.perf_counter()
    with s.lock(wait=None):
        manifest = s.read_manifest()
        (src, entry), = manifest["sources"].items()
        originals = parts(manifest)
        for k in range(1, copies + 1):
            shift = pa.scalar(k * 7 * 86_400 * 10**9, pa.duration("ns"))
            name = f"{src}#week{k + 1}"
            copied = []
            for p in originals:
                table = pq.read_table(s.path(p["path"]))
                for c in ("ts", "client_ts", "server_ts"):
                    i = table.schema.get_field_index(c)
                    table = table.set_column(i, c, pc.add(table.column(c), shift))
                table = table.set_column(table.schema.get_field_index("source"), "source",
                                         pa.array([name] * table.num_rows, pa.string()))
                date = str(pa.scalar(p["date"]).cast(pa.date32()).as_py() + __import__("datetime").timedelta(k * 7))
                rel = f"calls/date={date}/market={p['market']}/part-week{k + 1}-{Path(p['path']).stem[5:]}.parquet"
                s.path(rel).parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(table, s.path(rel), compression="zstd")
                copied.append({"path": rel, "date": date, "market": p["market"], "rows": p["rows"]})
            unit = dict(entry["units"][0], id=f"week{k + 1}", parts=copied, rejects_part=None,
                        rows=sum(c["rows"] for c in copied), rejects=0, skipped=0)
            manifest["sources"][name] = dict(entry, units=[unit])
            if k % 10 == 0 or k == copies:
                s.write_manifest(manifest)
                print(f"  {(k + 1) * base:,} calls ({time.perf_counter() - t0:.0f} s)")
    raw.unlink()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--base-calls", type=int, default=1_000_000)
    ap.add_argument("--pandas-rows", type=int, default=5_000_000, help="calls loaded into pandas for the baseline")
    ap.add_argument("--memory-limit", default="500MB", help="DuckDB's memory limit for the second run")
    ap.add_argument("--workdir", type=Path, default=Path("benchmarks/out/store50m"))
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args(argv)

    import toolkit

    store = args.workdir / "store"
    if args.rebuild and args.workdir.exists():
        shutil.rmtree(args.workdir)
    if not toolkit.store.is_store(store):
        args.workdir.mkdir(parents=True, exist_ok=True)
        build(store, args.rows, args.base_calls)
    total = int(toolkit.store.query(store, "SELECT count(*) AS n FROM calls")["n"][0])
    size = sum(f.stat().st_size for f in store.rglob("*.parquet"))
    span = toolkit.store.query(store, "SELECT min(ts) AS a, max(ts) AS b FROM calls").iloc[0]
    weeks = (span["b"] - span["a"]).days / 7
    print(f"\nstore: {total:,} calls, {size / 1e9:.2f} GB of Parquet, {weeks:.0f} weeks; {os.cpu_count()} cores\n")

    week = total / weeks
    n_weeks = max(1, round(args.pandas_rows / week))
    end = str(span["a"].normalize() + __import__("pandas").Timedelta(days=7 * n_weeks))
    results = [
        ("duckdb error_rate", run(store, DUCKDB_RATE.format(config=""))),
        (f"duckdb error_rate, {args.memory_limit}",
         run(store, DUCKDB_RATE.format(config=f", memory_limit={args.memory_limit!r}"))),
        ("duckdb top_errors", run(store, DUCKDB_TOP)),
    ]
    pandas = run(store, PANDAS_RATE.format(end=end))
    frame_bytes, load_s = pandas["extra"].split(",")
    scale = total / pandas["rows"]
    check = run(store, CHECK.format(end=end))

    base = run(store, IMPORT)
    print(f"{'':34} {'calls':>12} {'wall s':>8} {'peak MB':>9}")
    print(f"{'python + import toolkit':34} {'':>12} {base['wall']:8.1f} {base['peak_mb']:9,.0f}")
    for name, r in results:
        rows = f"{r['rows']:,} errors" if "top_errors" in name else f"{total:,}"
        print(f"{name:34} {rows:>12} {r['wall']:8.1f} {r['peak_mb']:9,.0f}")
    print(f"{'pandas load_logs + error_rate':34} {pandas['rows']:12,} {pandas['wall']:8.1f} {pandas['peak_mb']:9,.0f}"
          f"   (load {float(load_s):.1f} s, frame {int(frame_bytes) / 1e6:,.0f} MB)")
    # beyond what starting Python and importing takes, time and memory grow with the calls loaded
    p_wall = base["wall"] + (pandas["wall"] - base["wall"]) * scale
    p_peak = base["peak_mb"] + (pandas["peak_mb"] - base["peak_mb"]) * scale
    print(f"{'  scaled to the whole store':34} {total:12,} {p_wall:8.0f} {p_peak:9,.0f}"
          f"   (frame {int(frame_bytes) * scale / 1e9:,.1f} GB)")
    duck = results[0][1]
    print(f"\nDuckDB over all {total:,} calls: {duck['wall']:.1f} s and {duck['peak_mb']:,.0f} MB at peak; "
          f"pandas would need about {p_wall / duck['wall']:.0f}x the time and {p_peak / 1e3:,.1f} GB of memory "
          f"(measured on {pandas['rows']:,} calls, the part above the bare interpreter scaled linearly)")
    print(f"DuckDB and pandas agree on the first {check['rows']:,} calls: {check['extra']}")


if __name__ == "__main__":
    main()
