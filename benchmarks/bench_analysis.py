"""Time the analysis functions on N simulated calls, on one core, next to naive baselines.

The frame is simulated and loaded once, then kept as Parquet (``--cache``) for the next
run. The process is then pinned to one core and each function timed (best of
``--repeat`` runs after a warm-up). Baselines, measured in the same run on the same frame:

- ``error_rate``: ``groupby(...).apply`` with a Python function per (bucket, market)
  group, then reindexed to the full grid;
- ``top_errors``: Python ``re.sub`` of the same masks on every error row, then
  ``groupby(...).agg`` with Python lambdas;
- ``find_incidents``: bucket counts by ``groupby(...).apply`` and the same scan
  written as a Python loop over buckets (``math.lgamma`` for the Poisson tail).

With ``--scenario`` (or ``--scenario bots``) the frame is instead the three weeks of three bots of
``tests/scenarios_bots.py`` at full volume (about 2.4 million calls: a spot market maker in the US
session across a change of daylight saving time, two futures bots around the clock, two of the three
on one key; backfills, rebalances, the open and the close; thirteen planted incidents and two
silences), and the run also prints the figures of its targets: planted incidents found with their
market, category and cause, missed ones and false alarms; silences found with their market and bot,
and other gaps; whether the shared key's incident names both bots and the minute limit.
``--scenario two-weeks`` runs the two weeks of one bot of ``tests/scenarios.py`` scaled to about N
calls (diurnal traffic, bursts, sixteen planted incidents of every cause, silences, orders of
unknown outcome) and scores the same way.

    python benchmarks/bench_analysis.py [--calls 1000000] [--cache PATH] [--repeat 3] [--scenario [bots|two-weeks]]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
import time
from pathlib import Path

import sys

import pandas as pd
import pyarrow as pa

import toolkit
from toolkit import defaults
from toolkit.analysis.errors import message_masks


def frame(calls: int, cache: Path) -> pd.DataFrame:
    if cache.exists():
        return pd.read_parquet(cache)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calls.jsonl"
        t0 = time.perf_counter()
        toolkit.simulate(path, calls=calls)
        df = toolkit.load_logs(path)
        print(f"simulated and loaded {len(df):,} calls in {time.perf_counter() - t0:.0f} s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(cache)
    return df


def scenario_frame(kind: str, calls: int, cache: Path) -> pd.DataFrame:
    if cache.exists():
        return pd.read_parquet(cache)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    t0 = time.perf_counter()
    if kind == "bots":
        from tests.scenarios_bots import scenario
        df = scenario()
    else:
        from tests.scenarios import scenario
        df = scenario(scale=max(0.01, (calls - 60_000) / 1_800_000))  # storms add about 60,000 calls at any scale
    print(f"built the {kind} scenario, {len(df):,} calls, in {time.perf_counter() - t0:.0f} s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(cache)
    return df


def score(found: pd.DataFrame, kind: str) -> str:
    """Planted incidents found with their market, category and cause; the missed ones; the false alarms."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import scenarios, scenarios_bots

    planted = (scenarios_bots if kind == "bots" else scenarios).planted()
    hit, ok, missed = set(), 0, []
    for p in planted.itertuples():
        m = found[(found["market"].astype(str) == p.market) & (found["start"] < p.end) & (found["end"] > p.start)
                  & (found["category"].astype(str) == p.category)]
        hit.update(m["id"].tolist())
        if len(m) and str(m["cause"].iloc[0]) == p.cause:
            ok += 1
        else:
            missed.append(p.what)
    false = found[~found["id"].isin(hit)]
    lines = [f"{ok} of {len(planted)} planted incidents found with their market, category and cause; "
             f"{len(false)} false alarm(s)"]
    lines += [f"  missed: {w}" for w in missed]
    lines += [f"  false alarm: {r.start:%a %d %b %H:%M}-{r.end:%H:%M} {r.market} {r.category} ({r.level})"
              for r in false.itertuples()]
    return "\n".join(lines)


def score_gaps(gaps: pd.DataFrame, kind: str) -> str:
    from tests import scenarios, scenarios_bots

    want = (scenarios_bots if kind == "bots" else scenarios).silences()
    used, found = set(), 0
    for s in want.itertuples():
        bot = getattr(s, "bot", None)
        m = gaps[(gaps["market"].astype(str) == s.market) & (gaps["start"] < s.end) & (gaps["end"] > s.start)
                 & ((gaps["bot"].astype(str) == bot) if bot else True)]
        used.update(m.index.tolist())
        found += bool(len(m))
    other = gaps.drop(index=sorted(used))
    lines = [f"{found} of {len(want)} silences found with their market{' and bot' if kind == 'bots' else ''}; "
             f"{len(other)} other gap(s)"]
    lines += [f"  other gap: {r.start:%a %d %b %H:%M}-{r.end:%H:%M} {r.market} {r.bot} {r.kind}"
              for r in other.itertuples()]
    return "\n".join(lines)


def score_shared_key(df: pd.DataFrame, found: pd.DataFrame) -> str:
    from tests.scenarios_bots import planted

    p = planted().query("limit == '1min'").iloc[0]
    m = found[(found["market"].astype(str) == p.market) & (found["start"] < p.end) & (found["end"] > p.start)]
    if not len(m):
        return "the shared key's incident was not found"
    ev = toolkit.explain_incidents(df, m)["evidence"].iloc[0]
    named = all(b in ev for b in p.bots.split()) and "against a limit of 300/min" in ev
    return f"the shared key's incident {'names' if named else 'does NOT name'} both bots and the minute limit: {ev}"


def best(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# naive baselines ------------------------------------------------------------------------------

def naive_error_rate(df: pd.DataFrame) -> pd.DataFrame:
    key = [df["ts"].dt.floor("5min").rename("bucket"), df["market"]]
    out = df.groupby(key, observed=True)["is_error"].apply(
        lambda s: pd.Series({"calls": len(s), "errors": int(s.sum())})).unstack()
    full = pd.MultiIndex.from_product([pd.date_range(out.index.levels[0].min(), out.index.levels[0].max(),
                                                     freq="5min"), out.index.levels[1]])
    out = out.reindex(full, fill_value=0)
    out["error_rate"] = out["errors"] / out["calls"].where(out["calls"] > 0)
    return out.reset_index()


def naive_top_errors(df: pd.DataFrame) -> pd.DataFrame:
    err = df[df["is_error"]]
    rules = [(re.compile(p), r) for p, r in message_masks(err["symbol"].dropna().unique())]

    def mask(m):
        if not isinstance(m, str):
            return ""
        for p, r in rules:
            m = p.sub(r, m)
        return m

    err = err.assign(pattern=[mask(m) for m in err["message"].astype(object)])
    g = err.groupby(["market", "category", "reason", "code", "pattern"], observed=True, dropna=False)
    out = g.agg(count=("ts", "size"), first_seen=("ts", "min"), last_seen=("ts", "max"),
                endpoints=("endpoint", lambda s: ", ".join(sorted(set(map(str, s))))),
                symbols=("symbol", lambda s: ", ".join(sorted({str(x) for x in s if isinstance(x, str)}))),
                example=("message", "first"))
    return out.sort_values("count", ascending=False).head(10)


def naive_find_incidents(df: pd.DataFrame) -> list:
    counts = df.groupby([df["market"], df["ts"].dt.floor("1min").rename("bucket")], observed=True)["is_error"].apply(
        lambda s: (len(s), int(s.sum())))
    found = []
    for market, series in counts.groupby(level=0):
        idx = pd.date_range(series.index.get_level_values(1).min(), series.index.get_level_values(1).max(),
                            freq="1min")
        pairs = series.droplevel(0).reindex(idx, fill_value=(0, 0))
        calls = [c for c, _ in pairs]
        errors = [e for _, e in pairs]
        hourly = [sum(errors[i:i + 60]) / max(sum(calls[i:i + 60]), 1) for i in range(0, len(calls), 60)]
        base = max(sorted(hourly)[len(hourly) // 2], 1e-9)
        flagged = [False] * len(calls)
        for w in defaults.SCAN_WINDOWS:
            for i in range(len(calls) - w + 1):
                c, e = sum(calls[i:i + w]), sum(errors[i:i + w])
                mu = base * c
                if e < defaults.MIN_ERRORS or e < defaults.MIN_RATIO * mu or mu >= e + 1:
                    continue
                log_p = e * math.log(mu) - mu - math.lgamma(e + 1) + math.log(e + 1) - math.log(e + 1 - mu)
                if log_p < math.log(defaults.ALPHA):
                    for j in range(i, i + w):
                        flagged[j] = flagged[j] or errors[j] >= defaults.MIN_RATIO * base * calls[j] > 0
        found.append((market, sum(flagged)))
    return found


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--cache", type=Path, help="Parquet file of the loaded frame (made when missing)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenario", nargs="?", const="bots", choices=["bots", "two-weeks"],
                    help="three bots over three weeks (tests/scenarios_bots.py), or two-weeks (tests/scenarios.py)")
    args = ap.parse_args(argv)
    kind = args.scenario or "calls"
    size = "full" if kind == "bots" else args.calls
    cache = args.cache or Path(tempfile.gettempdir()) / "toolkit-bench" / f"{kind}-{size}.parquet"
    df = scenario_frame(kind, args.calls, cache) if args.scenario else frame(args.calls, cache)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    print(f"{len(df):,} calls, {int(df['is_error'].sum()):,} errors; one core\n")

    found = toolkit.find_incidents(df)
    ours = {
        "find_incidents": lambda: toolkit.find_incidents(df),
        "  market-wide only": lambda: toolkit.find_incidents(df, narrow=()),
        "explain_incidents": lambda: toolkit.explain_incidents(df, found),
        "find_gaps": lambda: toolkit.find_gaps(df),
        "error_rate": lambda: toolkit.error_rate(df),
        "top_errors": lambda: toolkit.top_errors(df),
        "request_rate": lambda: toolkit.request_rate(df),
        "retries": lambda: toolkit.retries(df),
        "clock_drift": lambda: toolkit.clock_drift(df),
        "describe_window": lambda: toolkit.describe_window(df, start=found["start"].iloc[0], end=found["end"].iloc[0],
                                                           incidents=found),
    }
    if "kind" in df:
        ours["uncertain_orders"] = lambda: toolkit.uncertain_orders(df, incidents=found)
    naive = {"find_incidents": naive_find_incidents, "error_rate": naive_error_rate, "top_errors": naive_top_errors}
    # targets: the analysis functions on a million calls under 2 s each; on the three bots' 2.4 million calls,
    # find_incidents under 3 s and find_gaps under 1 s
    targets = {"find_incidents": 3.0, "find_gaps": 1.0} if kind == "bots" else dict.fromkeys(naive, 2.0)
    print(f"{'function':18} {'toolkit s':>10} {'baseline s':>11} {'speed-up':>9}  target")
    for name, fn in ours.items():
        t = best(fn, args.repeat)
        b = best(lambda: naive[name](df), 1) if name in naive else None
        goal = targets.get(name)
        ok = "" if goal is None else f"under {goal:g} s" if t < goal else f"OVER {goal:g} s"
        if b is not None:
            print(f"{name:18} {t:10.3f} {b:11.2f} {b / t:8.0f}x  {ok}")
        else:
            print(f"{name:18} {t:10.3f} {'':>11} {'':>9}  {ok}")
    if args.scenario:
        print(f"\nfind_incidents found {len(found)} incidents: {score(found, kind)}")
        print(f"find_gaps: {score_gaps(toolkit.find_gaps(df), kind)}")
        if kind == "bots":
            print(score_shared_key(df, found))
    else:
        print(f"\nfind_incidents found {len(found)} incidents; planted: {len(toolkit.simulation.planted())}")


if __name__ == "__main__":
    main()
