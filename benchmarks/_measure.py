"""Run Python code in a fresh process and measure it: wall time, peak memory, last output line."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (read from /proc)."""
    total, todo = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


#: The environment the measured processes run in: this one, with bytecode caching on even where
#: ``PYTHONDONTWRITEBYTECODE`` is set (it would have every run compile the toolkit's modules again, which
#: an installed package never does: pip writes its ``.pyc`` files at install time).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@functools.cache
def warm_up(modules: str = "toolkit, toolkit.store._ingest, toolkit.store._read, toolkit.store._sql, toolkit.analysis, "
                           "duckdb, pandas, pyarrow, msgspec, orjson, yaml") -> None:
    """Import ``modules`` once, unmeasured, so that their bytecode is cached before the first timed run."""
    subprocess.run([sys.executable, "-c", f"import {modules}"], env=ENV, check=True)


def run_code(code: str, what: str, every: float = 0.05) -> tuple[float, str, float]:
    """Run ``code`` with this Python; return (wall s, its last stdout line, peak MB of its process tree).

    Peak memory is sampled every ``every`` seconds and includes worker processes. The first call
    runs :func:`warm_up`, so that no measured run pays for compiling modules.
    """
    warm_up()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=ENV)
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{what} failed with exit status {proc.returncode}")
    return wall, out.strip().splitlines()[-1], peak / 1e6
