"""Run Python code in a fresh process and measure it: wall time, peak memory, last output line."""

from __future__ import annotations

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


def run_code(code: str, what: str, every: float = 0.05) -> tuple[float, str, float]:
    """Run ``code`` with this Python; return (wall s, its last stdout line, peak MB of its process tree).

    Peak memory is sampled every ``every`` seconds and includes worker processes.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
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
