"""Load simulated calls three ways, each in its own process, and print time, lines/s and peak memory.

1. ``toolkit.load_logs`` (all columns, classified);
2. DuckDB's ``read_ndjson`` with an explicit column list, computing the base columns
   (ts, market, method, path, http_status, code, message, is_error) in SQL;
3. the obvious pandas way: ``pandas.read_json(lines=True)`` then deriving the same columns.

First, the folder users really have (``--folder``, about 2.5 million calls): three bots' recordings over
three weeks, rotated daily and gzipped as the recorder and logrotate leave them (63 ``.jsonl.gz`` files
named ``spot-bot.20261116T000004.341Z.jsonl.gz``), with the whole response bodies the simulator writes
(tickers, order books, order lists, product lists, the legacy market data's arrays), in the three shapes
of the sample (the spot bot's own lines, the futures gateway's nested ones, the recorder's). It is loaded
by ``toolkit.load_logs(folder)`` and by the narrow DuckDB read: ``read_ndjson`` over the glob with explicit
columns, the envelope (``body``, ``response``) as a STRUCT of ``code``, ``msg``, ``message``, and the base
columns (ts, market, method, path, http_status, code, message, latency_ms) derived in SQL; and by
``load_logs`` with the order fields left unread (``toolkit.read._orders.READ`` off: the seven order columns
all NA), which says what they cost. The folder is written once into ``benchmarks/out/`` and reused. CPU time
is that of the measured process and its worker processes (``RUSAGE_CHILDREN`` around each run): the machine
may be shared, and CPU time moves less than wall time when it is.

Then each runs at every size asked for (default 500,000 and 1,000,000 lines) on two files of the
same calls: the flat form (ISO times, the envelope under ``response``, as the simulated spot
bot writes it) and the nested gateway form (epoch-ms ``time``, ``request``/``response``
objects). Then one line each for HAR, cassettes and text logs: entries/s of
``toolkit.load_logs`` against a plain orjson / PyYAML / regex loop over the same file.

The toolkit and DuckDB run ``--repeat`` times (3) per file, alternated, and the median wall
time is shown with the spread; pandas runs once. Peak memory is the largest resident set of the process *and its children* (the loader
parses big files in worker processes), sampled every 50 ms from /proc.

    python benchmarks/bench_load.py [--folder 2500000] [--calls 500000 1000000] [--repeat 3] [--skip-pandas]
                                    [--entries 20000]    (``--calls`` alone, ``--entries 0``: leave those out)
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import tempfile
import textwrap
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import orjson
import yaml
from _measure import run_code, warm_up

TOOLKIT = """
import toolkit
df = toolkit.load_logs(PATH)
rows, mem = len(df), df.memory_usage(deep=True).sum()
"""

# the same load with the order fields left unread (the seven order columns all NA): what they cost
TOOLKIT_NO_ORDERS = """
import toolkit
from toolkit.read import _orders
_orders.READ = False
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

NARROW = """
import duckdb
duckdb.sql("SET enable_progress_bar = false")
env = "STRUCT(code BIGINT, msg VARCHAR, message VARCHAR)"
sql = f'''
with raw as (
  select * from read_ndjson(SOURCE, columns={{ts: 'VARCHAR', time: 'BIGINT', method: 'VARCHAR', url: 'VARCHAR',
      status: 'INTEGER', error: 'VARCHAR', market: 'VARCHAR', elapsed_ms: 'DOUBLE', duration_ms: 'DOUBLE',
      body: '{env}', response: 'STRUCT(status INTEGER, code BIGINT, msg VARCHAR, message VARCHAR, body {env})',
      request: 'STRUCT(method VARCHAR, url VARCHAR)'}}, ignore_errors = true)
)
select coalesce(try_cast(ts as timestamptz), make_timestamp(time * 1000)) as ts,
       coalesce(market, case when regexp_matches(coalesce(url, request.url), '(?i)futures?|contract|swap|perp')
                             then 'futures'
                             when regexp_matches(coalesce(url, request.url), '(?i)stock|spot') then 'spot'
                             else 'unknown' end) as market,
       upper(coalesce(method, request.method)) as method,
       regexp_extract(coalesce(url, request.url), '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1) as path,
       coalesce(status, response.status) as http_status,
       coalesce(body.code, response.body.code, response.code) as code,
       coalesce(body.msg, body.message, response.body.msg, response.body.message, response.msg, response.message,
                error) as message,
       coalesce(elapsed_ms, duration_ms) as latency_ms
from raw
'''
df = duckdb.sql(sql.replace('SOURCE', repr(PATH))).df()
rows, mem = len(df), df.memory_usage(deep=True).sum()
"""

PANDAS = """
import warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
raw = pd.read_json(PATH, lines=True, dtype=False)
raw = raw.reindex(columns=list(raw.columns) + [c for c in ("ts", "time", "url", "method", "status", "request",
                                                         "response", "error") if c not in raw.columns])
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


def _children_cpu() -> float:
    """CPU seconds (user and system) of the child processes that have ended, and of theirs (the workers)."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run(name: str, body: str, path: Path) -> dict:
    """One run of ``body`` in its own process: wall s, CPU s of the process and its workers, peak MB, ..."""
    code = RUNNER.format(path=str(path), body=textwrap.dedent(body))
    warm_up()
    cpu = _children_cpu()
    wall, last, peak_mb = run_code(code, name)
    cpu = _children_cpu() - cpu
    rows, mem, inner = last.split()
    return {"name": name, "wall": wall, "cpu": cpu, "inner": float(inner), "rows": int(rows),
            "frame_mb": int(mem) / 1e6, "peak_mb": peak_mb}


def _median(trials: list[dict]) -> dict:
    """The run of median wall time, with the spread of all runs, the median CPU time and the largest peak memory."""
    ordered = sorted(trials, key=lambda r: r["wall"])
    cpu = sorted(r["cpu"] for r in trials)
    return {**ordered[len(ordered) // 2], "spread": (ordered[0]["wall"], ordered[-1]["wall"]),
            "cpu": cpu[len(cpu) // 2], "peak_mb": max(r["peak_mb"] for r in trials)}


def _flat(rec: dict) -> dict:
    """A call in the flat form (ISO time, the envelope under ``response``), from any form the simulator writes
    (its bot's own, its gateway's, the recorder's), its ``bot`` and ``key_id`` kept."""
    if "ts" in rec:
        return rec
    req, resp = rec["request"], rec.get("response")
    ms = rec["time"]
    out = {"ts": datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z",
           "method": req["method"], "url": req["url"], **{k: rec[k] for k in ("bot", "key_id") if k in rec}}
    sent = {k: req[k] for k in ("headers", "body") if k in req}
    if sent:
        out["request"] = sent
    out["status"] = resp["status"] if resp else None
    if resp and resp.get("body") is not None:
        out["response"] = resp["body"]
    if rec.get("error") is not None:
        out["error"] = rec["error"]
    out["elapsed_ms"] = rec.get("duration_ms")
    return out


def _nested(rec: dict) -> dict:
    """A call in the nested gateway form (epoch-ms ``time``, ``request``/``response``), from any form the
    simulator writes, its ``bot`` and ``key_id`` kept."""
    if "request" in rec and "url" in rec["request"]:
        return rec
    when = datetime.fromisoformat(rec["ts"].replace("Z", "+00:00"))
    req = {"method": rec["method"], "url": rec["url"], **rec.get("request", {})}
    out = {"time": int(when.timestamp() * 1000), **{k: rec[k] for k in ("bot", "key_id") if k in rec},
           "request": req}
    if rec.get("status") is None:
        out["response"] = None
        out["error"] = rec.get("error")
    else:
        out["response"] = {"status": rec["status"], "headers": {"Date": format_datetime(when, usegmt=True)},
                           "body": rec.get("response", rec.get("body"))}
    out["duration_ms"] = rec.get("elapsed_ms")
    return out


def write_forms(src: Path, n: int, dest: Path) -> dict:
    """The first ``n`` calls of ``src`` written in each form: {form: path}."""
    paths = {form: dest / f"{form}-{n}.jsonl" for form in ("flat", "nested")}
    with open(src, "rb") as f, open(paths["flat"], "wb") as fo, open(paths["nested"], "wb") as no:
        for i, line in enumerate(f):
            if i >= n:
                break
            rec = orjson.loads(line)
            fo.write(orjson.dumps(_flat(rec)) + b"\n")
            no.write(orjson.dumps(_nested(rec)) + b"\n")
    return paths


# the other formats: the test fixtures' entries repeated, loaded in one process after the imports
FORMAT_RUNNER = """
import time, re, warnings
import orjson, yaml, toolkit
warnings.simplefilter("ignore")
PATH = {path!r}
t0 = time.perf_counter()
{body}
print(n, time.perf_counter() - t0)
"""
FORMATS = {
    "har": ("devtools.har", "n = toolkit.read_logs(PATH).lines",
            "entries = orjson.loads(open(PATH, 'rb').read())['log']['entries']\n"
            "rows = [(e.get('startedDateTime'), e['request'].get('method'), e['request'].get('url'),\n"
            "         (e.get('response') or {}).get('status'), ((e.get('response') or {}).get('content') or {}).get('text'))\n"
            "        for e in entries]\nn = len(entries)"),
    "vcr": ("cassette.yaml", "n = toolkit.read_logs(PATH).lines",
            "doc = yaml.load(open(PATH, 'rb'), Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))\n"
            "rows = [(i['request'].get('method'), i['request'].get('uri'), ((i.get('response') or {}).get('status')\n"
            "         or {}).get('code'), ((i.get('response') or {}).get('body') or {}).get('string'))\n"
            "        for i in doc['interactions']]\nn = len(doc['interactions'])"),
    "text": ("bot.log", "n = toolkit.read_logs(PATH).lines",
             "call = re.compile(r'^(\\S+ \\S+) .*?\\b(GET|POST|PUT|DELETE) (\\S+).*?\\b([1-5][0-9][0-9])\\b(.*)$')\n"
             "lines = open(PATH, encoding='utf-8').readlines()\n"
             "rows = [m.groups() for m in map(call.match, lines) if m]\nn = len(lines)"),
}


class _Unaliased(yaml.SafeDumper):
    """Writes every mapping out in full, even one that appears several times."""

    def ignore_aliases(self, data):
        return True


def write_folder(calls: int, dest: Path) -> Path:
    """Three bots' calls over three weeks as daily rotated, gzipped files (see the module's docstring); written
    once into ``dest`` (a folder named after the size) and reused."""
    import toolkit

    folder = dest / f"folder-{calls}"
    if (folder / "done").exists():
        return folder
    raw = dest / f"raw-{calls}"
    toolkit.simulate(raw, days=21, calls=int(calls * 0.985), compress=False)  # storms come on top
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jsonl.gz"):
        old.unlink()
    for path in sorted(raw.glob("*.jsonl")):
        bot, day, out = path.name.split(".")[0], None, None
        with open(path, "rb") as f:
            for line in f:
                rec = orjson.loads(line)
                when = (datetime.fromisoformat(rec["ts"].replace("Z", "+00:00")) if "ts" in rec
                        else datetime.fromtimestamp(rec["time"] / 1000, timezone.utc))
                if when.date() != day:  # rotated at midnight UTC, named by the file's first call
                    if out:
                        out.close()
                    day = when.date()
                    name = f"{bot}.{when:%Y%m%dT%H%M%S}.{when.microsecond // 1000:03d}Z.jsonl.gz"
                    out = gzip.open(folder / name, "wb", compresslevel=6)
                out.write(line)
        if out:
            out.close()
        path.unlink()
    raw.rmdir()
    (folder / "done").write_text("")
    return folder


def compare(path: Path, runs: list, repeat: int, lines: int, label: str, base: str) -> dict:
    """Run each of ``runs`` on ``path`` ``repeat`` times, alternated; print the medians against ``base``."""
    trials = {name: [] for name, _ in runs}
    for i in range(repeat):  # alternated, so that a busy moment hits every loader alike
        for name, body in runs:
            if i == 0 or name != "pandas read_json":
                trials[name].append(run(name, body, path))
    res = {name: _median(t) for name, t in trials.items()}
    ref = res[base]["wall"]
    print(label)
    for name, r in res.items():
        runs_ = f"{r['spread'][0]:.2f}-{r['spread'][1]:.2f}" if r["spread"][0] != r["spread"][1] else "1 run"
        print(f"  {name:26} {r['wall']:7.2f} {runs_:>13} {r['cpu']:7.2f} {lines / r['wall']:10,.0f} "
              f"{r['peak_mb']:8,.0f} {r['frame_mb'] / r['rows'] * 1e6:12,.1f} {r['wall'] / ref:9.2f}x")
    return res


def format_files(dest: Path, entries: int) -> dict:
    """HAR, cassette and text-log files of about ``entries`` entries each, from the test fixtures."""
    data = Path(__file__).resolve().parent.parent / "tests" / "data"
    har = orjson.loads((data / "devtools.har").read_bytes())
    base = har["log"]["entries"]
    har["log"]["entries"] = [base[i % len(base)] for i in range(entries)]
    (dest / "calls.har").write_bytes(orjson.dumps(har))
    cas = yaml.safe_load((data / "cassette.yaml").read_text())
    base = cas["interactions"]
    cas["interactions"] = [base[i % len(base)] for i in range(entries // 4)]
    # written out in full, as vcrpy writes each interaction: not as YAML aliases of the repeated ones
    (dest / "calls.yaml").write_text(yaml.dump(cas, Dumper=_Unaliased))
    lines = (data / "bot.log").read_text().splitlines(keepends=True)
    (dest / "calls.log").write_text("".join(lines[i % len(lines)] for i in range(entries * 4)))
    return {"har": dest / "calls.har", "vcr": dest / "calls.yaml", "text": dest / "calls.log"}


def run_format(path: Path, body: str) -> tuple[int, float]:
    _, last, _ = run_code(FORMAT_RUNNER.format(path=str(path), body=body), path.name)
    n, secs = last.split()
    return int(n), float(secs)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=int, default=2_500_000,
                    help="calls in the folder of daily rotated gzipped files of three bots (0: leave it out)")
    ap.add_argument("--calls", type=int, nargs="*", default=[500_000, 1_000_000],
                    help="sizes of the flat and nested files, in lines (none: leave them out)")
    ap.add_argument("--skip-pandas", action="store_true", help="leave out the slow pandas baseline")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of the toolkit and DuckDB per file, alternated; the median wall time is shown "
                         "(pandas runs once)")
    ap.add_argument("--entries", type=int, default=20_000,
                    help="HAR entries (cassettes get a quarter, text logs four times as many lines; 0: leave them out)")
    args = ap.parse_args(argv)

    import toolkit

    tmp = tempfile.TemporaryDirectory()
    dest = Path(tmp.name)
    t0 = time.perf_counter()
    files = {}
    if args.calls:
        src = dest / "calls.jsonl"
        toolkit.simulate(src, calls=int(max(args.calls) * 0.985))  # storms come on top of the ordinary calls
        files = {n: write_forms(src, n, dest) for n in sorted(args.calls)}
        src.unlink()
    print(f"simulated and wrote {2 * len(files)} files in {time.perf_counter() - t0:.0f} s; {os.cpu_count()} cores")

    runs = [("toolkit.load_logs", TOOLKIT), ("duckdb read_ndjson", DUCKDB)]
    if not args.skip_pandas:
        runs.append(("pandas read_json", PANDAS))
    header = f"{'':28} {'wall s':>7} {'runs':>13} {'CPU s':>7} {'lines/s':>10} {'peak MB':>8} {'frame MB/1M':>12}"
    if args.folder:
        t0 = time.perf_counter()
        out = Path(__file__).resolve().parent / "out"
        folder = write_folder(args.folder, out)
        gz = sorted(folder.glob("*.jsonl.gz"))
        lines = 0
        for p in gz:
            with gzip.open(p, "rb") as f:
                lines += sum(1 for _ in f)
        size = sum(p.stat().st_size for p in gz)
        print(f"folder ready in {time.perf_counter() - t0:.0f} s: {len(gz)} files, {lines:,} lines, "
              f"{size / 1e6:,.0f} MB gzipped")
        print(f"\n{header} {'vs narrow':>10}")
        res = compare(folder / "*.jsonl.gz", [("toolkit.load_logs", TOOLKIT), ("duckdb narrow", NARROW),
                                              ("toolkit, no order fields", TOOLKIT_NO_ORDERS),
                                              ("duckdb read_ndjson", DUCKDB)], args.repeat, lines,
                      f"folder: {len(gz)} daily gzipped files of 3 bots", "duckdb narrow")
        tk, narrow, bare = res["toolkit.load_logs"], res["duckdb narrow"], res["toolkit, no order fields"]
        print(f"  toolkit / duckdb narrow {tk['wall'] / narrow['wall']:.2f}x wall (target <= 1.0x), "
              f"{tk['cpu'] / narrow['cpu']:.2f}x CPU (target <= 1.3x); peak {tk['peak_mb']:,.0f} MB (target <= 1,500); "
              f"frame {tk['frame_mb'] / tk['rows'] * 1e6:.1f} MB per million rows (target <= 150)")
        print(f"  the order fields cost {tk['wall'] / bare['wall']:.2f}x wall, {tk['cpu'] / bare['cpu']:.2f}x CPU "
              f"of the load without them (target <= 1.05x)")

    runs = [("toolkit.load_logs", TOOLKIT), ("duckdb read_ndjson", DUCKDB), ("duckdb narrow", NARROW)]
    if not args.skip_pandas:
        runs.append(("pandas read_json", PANDAS))
    if files:
        print(f"\n{header} {'vs duckdb':>10}")
    for n, paths in files.items():
        for form, path in paths.items():
            lines = sum(1 for _ in open(path, "rb"))
            res = compare(path, runs, args.repeat, lines, f"{form} {lines:,} lines, {path.stat().st_size / 1e6:,.0f} MB",
                          "duckdb read_ndjson")
            tk, duck = res["toolkit.load_logs"]["wall"], res["duckdb read_ndjson"]["wall"]
            narrow = res["duckdb narrow"]["wall"]
            pandas = (f", pandas / toolkit {res['pandas read_json']['wall'] / tk:.1f}x"
                      if "pandas read_json" in res else "")
            print(f"  toolkit / duckdb {tk / duck:.2f}x, toolkit / duckdb narrow {tk / narrow:.2f}x "
                  f"(target <= 1.0x){pandas}")
    if not args.entries:
        tmp.cleanup()
        return
    print(f"\n{'entries (or lines) per s':28} {'entries':>8} {'toolkit':>10} {'plain':>10} {'ratio':>6}")
    for fmt, path in format_files(dest, args.entries).items():
        _, load, plain = FORMATS[fmt]
        n, secs = run_format(path, load)
        m, base = run_format(path, plain)
        print(f"  {fmt + ' (' + FORMATS[fmt][0] + ' repeated)':26} {n:8,} {n / secs:10,.0f} {m / base:10,.0f} "
              f"{(n / secs) / (m / base):5.2f}x")
    tmp.cleanup()


if __name__ == "__main__":
    main()
