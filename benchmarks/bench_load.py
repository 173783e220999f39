"""Load N recorded calls three ways, each in its own process, and print time, lines/s and peak memory.

1. ``toolkit.load_logs`` (all columns, classified);
2. DuckDB's ``read_ndjson`` with an explicit column list, computing the base columns
   (ts, market, method, path, http_status, code, message, is_error) in SQL;
3. the obvious pandas way: ``pandas.read_json(lines=True)`` then deriving the same columns.

Peak memory is the largest resident set of the process *and its children* (the loader
parses big files in worker processes), sampled every 50 ms from /proc.

    python benchmarks/bench_load.py [--calls 1000000] [--skip-pandas]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
import time
from pathlib import Path

from _measure import run_code

TOOLKIT = """
import toolkit
df = toolkit.load_logs(PATH)
rows, mem = len(df), df.memory_usage(deep=True).sum()
"""

DUCKDB = """
import duckdb
duckdb.sql("SET enable_progress_bar = false")
sql = '''
with raw as (
  select coalesce(request->>'url', url) as url,
         coalesce(request->>'method', method) as method,
         coalesce(try_cast(response->>'status' as integer), status) as http_status,
         case when response->>'status' is not null then response->'body' else response end as body,
         ts, time, error
  from read_ndjson(SOURCE, columns={ts: 'VARCHAR', time: 'BIGINT', method: 'VARCHAR', url: 'VARCHAR',
                               status: 'INTEGER', response: 'JSON', request: 'JSON', error: 'VARCHAR'})
)
select coalesce(try_cast(ts as timestamptz), make_timestamp(time * 1000)) as ts,
       case when regexp_matches(url, '(?i)futures?|contract|swap|perp') then 'futures'
            when regexp_matches(url, '(?i)stock|spot') then 'spot' else 'unknown' end as market,
       upper(method) as method,
       regexp_extract(url, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1) as path,
       http_status,
       try_cast(body->>'code' as bigint) as code,
       coalesce(body->>'msg', body->>'message', error) as message,
       not (http_status between 200 and 299 and try_cast(body->>'code' as bigint) = 0) as is_error
from raw
'''
df = duckdb.sql(sql.replace('SOURCE', repr(PATH))).df()
rows, mem = len(df), df.memory_usage(deep=True).sum()
"""

PANDAS = """
import numpy as np, pandas as pd
raw = pd.read_json(PATH, lines=True, dtype=False)
nested = raw["request"].map(lambda r: isinstance(r, dict) and "url" in r)
req = raw["request"].where(nested, None)
resp = raw["response"]
is_http = resp.map(lambda r: isinstance(r, dict) and "status" in r)
url = raw["url"].where(~nested, req.map(lambda r: r.get("url") if isinstance(r, dict) else None))
method = raw["method"].where(~nested, req.map(lambda r: r.get("method") if isinstance(r, dict) else None))
status = raw["status"].where(~is_http, resp.map(lambda r: r.get("status") if isinstance(r, dict) else None))
body = resp.where(~is_http, resp.map(lambda r: r.get("body") if isinstance(r, dict) else None))
code = body.map(lambda b: b.get("code") if isinstance(b, dict) else None)
message = body.map(lambda b: (b.get("msg") or b.get("message")) if isinstance(b, dict) else None)
ts = pd.to_datetime(raw["ts"], format="ISO8601", utc=True).fillna(pd.to_datetime(raw["time"], unit="ms", utc=True))
df = pd.DataFrame({
    "ts": ts,
    "market": np.select([url.str.contains("futures?|contract|swap|perp", case=False),
                         url.str.contains("stock|spot", case=False)], ["futures", "spot"], "unknown"),
    "method": method.str.upper(),
    "path": url.str.extract(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)")[0],
    "http_status": pd.array(status, dtype="Int16"),
    "code": pd.array(code, dtype="Int64"),
    "message": message.fillna(raw["error"]),
})
df["is_error"] = ~(df["http_status"].between(200, 299) & (df["code"] == 0)).fillna(False)
rows, mem = len(df), df.memory_usage(deep=True).sum()
"""

RUNNER = """
import time
t0 = time.perf_counter()
PATH = {path!r}
{body}
print(rows, mem, time.perf_counter() - t0)
"""


def run(name: str, body: str, path: Path) -> dict:
    code = RUNNER.format(path=str(path), body=textwrap.dedent(body))
    wall, last, peak_mb = run_code(code, name)
    rows, mem, inner = last.split()
    return {"name": name, "wall": wall, "inner": float(inner), "rows": int(rows), "frame_mb": int(mem) / 1e6,
            "peak_mb": peak_mb}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--file", type=Path, help="reuse this JSON Lines file instead of simulating one")
    ap.add_argument("--skip-pandas", action="store_true", help="leave out the slow pandas baseline")
    args = ap.parse_args(argv)

    tmp = None
    path = args.file
    if path is None:
        tmp = tempfile.TemporaryDirectory()
        path = Path(tmp.name) / "calls.jsonl"
        t0 = time.perf_counter()
        import toolkit

        toolkit.simulate(path, calls=args.calls)
        print(f"simulated {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s")
    with open(path, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    print(f"{lines:,} lines, {path.stat().st_size / 1e6:,.0f} MB, {os.cpu_count()} cores\n")

    runs = [("toolkit.load_logs", TOOLKIT), ("duckdb read_ndjson", DUCKDB)]
    if not args.skip_pandas:
        runs.append(("pandas read_json", PANDAS))
    results = [run(name, body, path) for name, body in runs]
    print(f"{'':20} {'wall s':>8} {'lines/s':>11} {'peak MB':>9} {'frame MB':>9}")
    for r in results:
        print(f"{r['name']:20} {r['wall']:8.2f} {lines / r['wall']:11,.0f} {r['peak_mb']:9,.0f} {r['frame_mb']:9,.0f}")
    base = {r["name"]: r for r in results}
    tk = base["toolkit.load_logs"]
    print(f"\ntoolkit / duckdb wall time: {tk['wall'] / base['duckdb read_ndjson']['wall']:.2f}x (target <= 1.5x)")
    if "pandas read_json" in base:
        print(f"pandas / toolkit wall time: {base['pandas read_json']['wall'] / tk['wall']:.1f}x (target >= 10x)")
    print(f"toolkit frame {tk['frame_mb']:.0f} MB for {tk['rows']:,} rows (target <= 150 MB per 1M), "
          f"peak {tk['peak_mb']:,.0f} MB (target <= 1,500 MB)")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
