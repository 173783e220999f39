"""Why JSON Lines are decoded with msgspec: the cost of each engine the reader could use, on the same lines.

Every candidate reads the keys the reader reads (each alias, flat and nested form: the fields of
``toolkit.read.formats._fastjsonl.Rec``, the paths derived from it here) from the same simulated flat-form lines:

1. msgspec into the reader's typed structs, then the row from each struct (``_fastjsonl.read``): the fast path;
2. orjson into dicts, then ``jsonl.record()``: the general path, for the lines the fast path hands over;
3. DuckDB: the raw lines as one VARCHAR column, every key path pulled out by one multi-path ``json_extract``,
   ``json_valid`` per line, fetched as Arrow (not as pandas, which would build a Python string per value);
4. ``pyarrow.json.read_json`` with an explicit schema of those keys;
5. Polars' ``read_ndjson`` with that schema (whole file only), when Polars is installed (it is not a
   dependency).

First on one 16 MB piece (the unit a loader worker parses) on one core, in µs a line, best of ``--repeat``;
then on the whole file, each engine with all its threads, against the toolkit's whole ``read_logs`` (worker
processes on every core, classification and the frame included). Imports are not timed.

    python benchmarks/bench_engines.py [--calls 500000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from pathlib import Path

import msgspec.inspect as mi
import pyarrow as pa
import pyarrow.json as pj


def key_paths(struct=None, prefix=()) -> list[tuple[tuple[str, ...], pa.DataType]]:
    """The JSON key paths the fast path decodes (every field of ``Rec``, into nested structs), with an
    Arrow type for each leaf: text where the reader accepts text, else int64 or float64."""
    from toolkit.read.formats._fastjsonl import Rec

    info = mi.type_info(Rec) if struct is None else struct
    out = []
    for f in info.fields:
        types = f.type.types if isinstance(f.type, mi.UnionType) else (f.type,)
        structs = [t for t in types if isinstance(t, mi.StructType)]
        path = prefix + (f.encode_name,)
        if structs:
            for s in structs:
                out.extend(key_paths(s, path))
        elif any(isinstance(t, mi.StrType) for t in types):
            out.append((path, pa.string()))
        elif any(isinstance(t, mi.IntType) for t in types):
            out.append((path, pa.int64()))
        elif any(isinstance(t, mi.FloatType) for t in types):
            out.append((path, pa.float64()))
    seen, unique = set(), []
    for path, typ in out:  # a body's keys are reached through several structs (flat body, nested body)
        if path not in seen:
            seen.add(path)
            unique.append((path, typ))
    return unique


def arrow_schema(paths) -> pa.Schema:
    """The nested Arrow schema of ``paths``."""
    tree: dict = {}
    for path, typ in paths:
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node.setdefault(path[-1], typ)

    def build(node):
        return [pa.field(k, pa.struct(build(v)) if isinstance(v, dict) else v) for k, v in node.items()]

    return pa.schema(build(tree))


def duckdb_sql(source: str, paths) -> str:
    listed = ", ".join("'$" + "".join(f'."{k}"' for k in path) + "'" for path, _ in paths)
    return (f"select json_valid(j) as ok, json_extract(j, [{listed}]) as v from read_csv({source!r}, "
            "columns={'j': 'VARCHAR'}, delim=E'\\x01', quote='', escape='', header=false, auto_detect=false)")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=500_000, help="lines in the file")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each engine; the best is shown")
    args = ap.parse_args(argv)

    import duckdb
    import orjson

    import toolkit
    from toolkit.read._files import read_range
    from toolkit.read._rows import Batch
    from toolkit.read._pool import CHUNK
    from toolkit.read.engine import Chunk, read_options
    from toolkit.read.formats import _fastjsonl as fast, jsonl
    from bench_load import write_forms

    tmp = tempfile.TemporaryDirectory()
    dest = Path(tmp.name)
    src = dest / "calls.jsonl"
    toolkit.simulate(src, calls=int(args.calls * 0.985))
    path = write_forms(src, args.calls, dest)["flat"]
    src.unlink()
    data = read_range(str(path), CHUNK, 2 * CHUNK)  # a piece from the middle of the file, as a worker reads it
    piece = dest / "piece.jsonl"
    piece.write_bytes(data)
    bounds = fast.line_bounds(data)
    n = len(bounds[0])
    paths = key_paths()
    schema = arrow_schema(paths)
    print(f"{n:,} lines in a {len(data) / 1e6:.1f} MB piece; {len(paths)} key paths; {os.cpu_count()} cores")

    def fast_path():
        rows = []
        fast.read(data, bounds, 1, rows.append, lambda raw, line: None)

    def general_path():
        rows = []
        for a, b in zip(*bounds):
            try:
                rows.append(jsonl.record(orjson.loads(data[a:b]), 0))
            except Exception:  # a reject: counted like a row here, the cost is the same
                rows.append(None)

    con = duckdb.connect()
    con.execute("SET threads = 1")

    def duck(source, conn):
        return lambda: conn.sql(duckdb_sql(str(source), paths)).to_arrow_table()

    def arrow_json(source):
        opts = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        return lambda: pj.read_json(source, parse_options=opts)

    try:
        import polars as pl
    except ImportError:
        pl = None

    def polars(source):
        pl_schema = pl.from_arrow(schema.empty_table()).schema
        return lambda: pl.read_ndjson(source, schema=pl_schema, ignore_errors=True)

    def frame_step():
        batch = Batch()
        fast.read(data, bounds, 1, batch.rows.append, lambda raw, line: None)
        t0 = time.perf_counter()
        Chunk().add(batch, "piece", read_options().rules)
        return time.perf_counter() - t0

    gc.disable()
    print(f"\none core, one piece {'':22} {'us a line':>10}")
    one = [("msgspec structs + row (the fast path)", fast_path), ("orjson + record() (the general path)", general_path),
           ("duckdb json_extract, 1 thread", duck(piece, con)), ("pyarrow.json explicit schema", arrow_json(piece))]
    for name, fn in one:
        try:
            secs = best(fn, args.repeat)
            print(f"  {name:42} {secs / n * 1e6:10.2f}")
        except Exception as exc:  # an engine that cannot read these lines: say why
            print(f"  {name:42} {'fails':>10}: {type(exc).__name__}: {str(exc).splitlines()[0][:90]}")
    step = min(frame_step() for _ in range(args.repeat))
    print(f"  {'then the frame from the rows (classified)':42} {step / n * 1e6:10.2f}")

    lines = sum(1 for _ in open(path, "rb"))
    print(f"\nwhole file, {lines:,} lines, {path.stat().st_size / 1e6:.0f} MB {'':8} {'seconds':>8}")
    whole = [("toolkit.read_logs (everything)", lambda: toolkit.read_logs(path)),
             (f"duckdb json_extract, {os.cpu_count()} threads", duck(path, duckdb.connect())),
             ("pyarrow.json explicit schema", arrow_json(str(path)))]
    if pl is not None:
        whole.append((f"polars read_ndjson, {pl.thread_pool_size()} threads", polars(str(path))))
    for name, fn in whole:
        try:
            print(f"  {name:42} {best(fn, args.repeat):8.2f}")
        except Exception as exc:
            print(f"  {name:42} {'fails':>8}: {type(exc).__name__}: {str(exc).splitlines()[0][:90]}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
