"""Hostile input: is every load linear, and how long do the worst single lines and the YAML bomb take?

Three measurements, each printed next to a baseline measured in the same run:

1. linearity: files of N and 4N mixed hostile lines (odd values, secrets, long runs) loaded
   as JSON Lines and as a text log; ms per line and s per MB (target: at most 1 ms a line plus
   0.25 s a MB), next to plain ``orjson.loads`` / ``bytes.split`` over the same bytes;
2. single lines of 18,000 characters of each awkward shape, loaded and scrubbed (target:
   under 0.3 s each), next to ``orjson.loads`` of the same line;
3. the nine-level YAML alias bomb, loaded and scrubbed in a fresh process (target: under
   10 s and 2 GB), next to PyYAML's own load of it.

    python benchmarks/bench_hostile.py [--lines 20000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import orjson
from _measure import run_code

import toolkit

SPOT = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/order"
N = 18_000


def mixed_jsonl(n: int) -> bytes:
    shapes = [
        json.dumps({"ts": "2026-11-20T21:05:00Z", "method": "GET", "url": SPOT, "status": 429,
                    "request": {"headers": {"ACCESS-KEY": "ak-1a2b3c4d", "ACCESS-SIGN": ["c2ln"]}},
                    "response": {"code": 429, "msg": "Invalid ACCESS-KEY ak-1a2b3c4d"}}),
        json.dumps({"ts": "9999-12-31", "url": SPOT, "status": "--200", "method": []}),
        json.dumps({"ts": 1764000000, "url": SPOT, "status": 200, "response": {"code": "³", "msg": "key " * 50}}),
        '\ufeff{"ts": 1764000000, "url": "/api/v1/x", "status": 200, "response": "\\ud800 keytoken"}',
        "not json at all, api_key = sekrit99 " + "signature" * 20,
        "",
    ]
    return ("\n".join(shapes[i % len(shapes)] for i in range(n)) + "\n").encode()


def mixed_text(n: int) -> bytes:
    shapes = [
        f"2026-11-20 21:05:00,123 INFO GET {SPOT} -> 429 {{'code': 429, 'msg': 'Too many requests'}} 41ms",
        f"2026-11-20 21:05:00,123 INFO GET {SPOT} status" + " " * 200 + "x",
        f"2026-11-20 21:05:00,123 ERROR POST {SPOT} failed: api_key = sekrit99 connection reset",
        "Traceback (most recent call last): " + "<" * 100,
        "\ufeff",
    ]
    return ("\n".join(shapes[i % len(shapes)] for i in range(n)) + "\n").encode()


def quiet_load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        load = toolkit.read_logs(path, **kw)
        return time.perf_counter() - t0, load


def linearity(tmp: Path, n: int) -> None:
    print("1. linearity (target: load s <= budget = 1 ms a line + 0.25 s a MB; baseline: orjson.loads per line)")
    print(f"   {'format':6} {'lines':>8} {'MB':>6} {'load s':>8} {'ms/line':>8} {'budget s':>8} {'baseline s':>10}")
    for fmt, make in (("jsonl", mixed_jsonl), ("text", mixed_text)):
        for lines in (n, 4 * n):
            data = make(lines)
            path = tmp / f"mixed-{lines}.{'jsonl' if fmt == 'jsonl' else 'log'}"
            path.write_bytes(data)
            wall, load = quiet_load(path, format=fmt)
            assert load.lines == sum(1 for ln in data.split(b"\n") if ln.replace(b"\xef\xbb\xbf", b"").strip())
            t0 = time.perf_counter()
            for ln in data.split(b"\n"):
                try:
                    orjson.loads(ln)
                except orjson.JSONDecodeError:
                    pass
            base = time.perf_counter() - t0
            mb = len(data) / 1e6
            budget = lines * 1e-3 + mb * 0.25
            print(f"   {fmt:6} {lines:>8,} {mb:>6.1f} {wall:>8.2f} {wall / lines * 1e3:>8.3f} {budget:>8.1f} "
                  f"{base:>10.3f}")


LINES = {
    "spaces after a key (jsonl)": '{"status"' + " " * N + ': 200}',
    "spaces after status (text)": f"2026-11-20 21:05:00,123 INFO GET {SPOT} status" + " " * N + "x",
    "nested brackets (jsonl)": "[" * (N // 2) + "]" * (N // 2),
    "nested braces (text)": f"2026-11-20 21:05:00,123 INFO GET {SPOT} -> 400 " + "{" * N,
    "plain long body (jsonl)": json.dumps({"ts": 1764000000, "url": SPOT, "status": 200, "response": "x" * N}),
    "secret-like words (jsonl)": json.dumps({"ts": 1764000000, "url": SPOT, "status": 200,
                                             "response": {"code": 1, "msg": "apikeysignaturetoken" * (N // 20)}}),
    "secret-like words (text)": f"2026-11-20 21:05:00,123 INFO GET {SPOT} -> 200 " + "keytoken_" * (N // 9),
    "unclosed secret quotes (jsonl)": '{"key": "' * (N // 9),
    "angle brackets (text)": f"2026-11-20 21:05:00,123 INFO GET {SPOT} -> 502 " + "<" * N,
}


def single_lines(tmp: Path) -> None:
    print(f"2. single lines of ~{N:,} characters (target: load and scrub < 0.3 s each)")
    print(f"   {'shape':32} {'chars':>7} {'load s':>7} {'scrub s':>7} {'orjson s':>8}")
    for name, text in LINES.items():
        fmt = "text" if "(text)" in name else "jsonl"
        path = tmp / ("line.log" if fmt == "text" else "line.jsonl")
        path.write_text(text + "\n")
        wall, load = quiet_load(path, format=fmt)
        assert load.lines == 1
        t0 = time.perf_counter()
        toolkit.scrub(path, tmp / ("scrubbed-" + path.name), format=fmt)
        scrub = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        base = time.perf_counter() - t0
        print(f"   {name:32} {len(text):>7,} {wall:>7.3f} {scrub:>7.3f} {base:>8.4f}")


def yaml_bomb(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"interactions: [*a{levels}, {{request: {{method: *a{levels}, uri: *a{levels}, "
                 f"headers: {{ACCESS-KEY: [ak-1a2b3c4d]}}}}, response: {{status: *a{levels}}}}}]")
    return ("\n".join(lines) + "\n").encode()


BOMB = """
import time, warnings, toolkit
warnings.simplefilter("ignore")
t0 = time.perf_counter()
load = toolkit.read_logs(PATH)
t1 = time.perf_counter()
toolkit.scrub(PATH, OUT)
print(f"{t1 - t0:.3f} {time.perf_counter() - t1:.3f} {load.lines}")
"""

BOMB_BASELINE = """
import time, yaml
t0 = time.perf_counter()
yaml.load(open(PATH, "rb"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
print(f"{time.perf_counter() - t0:.3f}")
"""


def bomb(tmp: Path) -> None:
    data = yaml_bomb()
    path = tmp / "bomb.yaml"
    path.write_bytes(data)
    args = f"PATH = {str(path)!r}\nOUT = {str(tmp / 'bomb-scrubbed.yaml')!r}\n"
    wall, out, peak = run_code(args + BOMB, "the bomb")
    load_s, scrub_s, lines = out.split()
    base_wall, base_out, base_peak = run_code(args + BOMB_BASELINE, "PyYAML alone")
    print(f"3. the nine-level YAML alias bomb ({len(data)} bytes; target: < 10 s, < 2 GB)")
    print(f"   toolkit: load {float(load_s):.3f} s, scrub {float(scrub_s):.3f} s, {lines} entries accounted, "
          f"process {wall:.2f} s, peak {peak:.0f} MB")
    print(f"   baseline, PyYAML's load alone: {float(base_out):.3f} s, process {base_wall:.2f} s, "
          f"peak {base_peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        linearity(tmp, args.lines)
        single_lines(tmp)
        bomb(tmp)


if __name__ == "__main__":
    main()
