"""How long the explorer takes to redraw after a control changes, on N calls (1,000,000 by default).

The frame is simulated and loaded once, then cached under the system temp folder
(``toolkit-bench/explorer-<N>.pkl``). Each scenario changes one control of
``toolkit.widgets.explore`` and times the redraw: filtering, counting, drawing
the timeline PNG, the top errors, the raw-row sample and their HTML.

The baseline, measured in the same run on the same frame and changes, is the
obvious notebook way: filter the DataFrame with pandas, then redraw from
scratch with ``toolkit.plots.timeline`` and ``toolkit.top_errors`` and a sample
of the filtered rows. A redraw of the raw points (one marker per call) is timed
too, as the thing never to do.

    python benchmarks/bench_explorer.py [--calls 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import pickle
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import toolkit  # noqa: E402
import toolkit.widgets  # noqa: E402

TARGET_S = 0.5


def frame(calls: int) -> pd.DataFrame:
    cache = Path(tempfile.gettempdir()) / "toolkit-bench" / f"explorer-{calls}.pkl"
    if cache.exists():
        with open(cache, "rb") as f:
            return pickle.load(f)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        toolkit.simulate(Path(tmp) / "calls.jsonl", calls=calls)
        df = toolkit.load_logs(Path(tmp) / "calls.jsonl")
        print(f"simulated and loaded {len(df):,} calls in {time.perf_counter() - t0:.1f} s; cached in {cache}")
    part = cache.with_suffix(".part")
    with open(part, "wb") as f:
        pickle.dump(df, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, cache)
    return df


def scenarios(app, incidents: pd.DataFrame):
    """(name, function that changes one control) pairs, each a real interaction."""
    n = len(app.time_range.options)
    spot_incident = next((i for i, r in incidents.iterrows() if r["market"] == "spot"), 0)
    return [
        ("market: spot", lambda: setattr(app.market, "value", "spot")),
        ("market: all", lambda: setattr(app.market, "value", "")),
        ("categories: two", lambda: setattr(app.categories, "value", ("rate_limit", "server_error"))),
        ("categories: errors", lambda: app.reset()),
        ("endpoint search 'order'", lambda: setattr(app.endpoint, "value", "order")),
        ("endpoint: all", lambda: setattr(app.endpoint, "value", "")),
        ("bucket: 5min", lambda: setattr(app.bucket, "value", "5min")),
        ("bucket: auto", lambda: setattr(app.bucket, "value", "auto")),
        ("time: one day", lambda: setattr(app.time_range, "index", (n // 2, n // 2 + n // 7))),
        ("time: all", lambda: setattr(app.time_range, "index", (0, n - 1))),
        ("incident chosen", lambda: setattr(app.incident, "value", spot_incident)),
        ("reset", lambda: app.reset()),
    ]


def baseline_redraw(df: pd.DataFrame, *, start, end, market, categories, endpoint, freq, incidents):
    """Filter with pandas, then redraw everything from the filtered frame."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    view = df[(df["ts"] >= start) & (df["ts"] < end)]
    if market:
        view = view[view["market"] == market]
    if endpoint:
        view = view[view["endpoint"].astype(str).str.contains(endpoint, case=False, regex=False)]
    rows = view[view["category"].isin(categories)]
    fig = Figure(figsize=(11, 3.4), dpi=96)
    FigureCanvasAgg(fig)
    toolkit.plots.timeline(view, freq=freq, incidents=incidents, ax=fig.add_subplot())
    fig.savefig(io.BytesIO(), format="png")
    top = toolkit.top_errors(rows, n=8).to_html()
    sample = rows.sample(min(12, len(rows)), random_state=0).to_html()
    return len(top) + len(sample)


def raw_points(df: pd.DataFrame, market):
    """One marker per failed call: what aggregating avoids."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    view = df[df["is_error"]] if not market else df[df["is_error"] & (df["market"] == market)]
    fig = Figure(figsize=(11, 3.4), dpi=96)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(view["ts"].dt.tz_localize(None), view["category"].cat.codes, s=2)
    all_view = df if not market else df[df["market"] == market]
    ax.twinx().plot(all_view["ts"].dt.tz_localize(None).to_numpy(), np.arange(len(all_view)), linewidth=0.5)
    fig.savefig(io.BytesIO(), format="png")


def stats(times: list[float]) -> str:
    q = np.percentile(times, [50, 95]) * 1000
    return f"median {q[0]:7.0f} ms   p95 {q[1]:7.0f} ms   (n={len(times)})"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5, help="rounds of all scenarios")
    args = ap.parse_args(argv)

    df = frame(args.calls)
    print(f"{len(df):,} calls, {df['ts'].min():%Y-%m-%d} to {df['ts'].max():%Y-%m-%d}, {os.cpu_count()} cores\n")
    t0 = time.perf_counter()
    incidents = toolkit.find_incidents(df)
    t_inc = time.perf_counter() - t0
    t0 = time.perf_counter()
    app = toolkit.widgets.explore(df, incidents=incidents, debounce="0s")
    print(f"find_incidents once: {t_inc:.2f} s; explorer built and first drawn: {time.perf_counter() - t0:.2f} s\n")

    per: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for name, change in scenarios(app, incidents):
            before = app.redraws
            t0 = time.perf_counter()
            change()
            took = time.perf_counter() - t0
            assert app.redraws > before, name
            per.setdefault(name, []).append(took)
    every = list(itertools.chain.from_iterable(per.values()))

    print("explorer: one control change to redrawn outputs")
    for name, times in per.items():
        print(f"  {name:26} {stats(times)}")
    print(f"  {'all changes':26} {stats(every)}\n")

    # baseline: the same kinds of change, recomputed from the raw frame
    start, end = df["ts"].min().floor("1D"), df["ts"].max().ceil("1D")
    mid = start + (end - start) / 2
    errors = [c for c in toolkit.CATEGORIES if c != "ok"]
    cases = [
        dict(start=start, end=end, market="spot", categories=errors, endpoint="", freq="1h"),
        dict(start=start, end=end, market=None, categories=errors, endpoint="", freq="1h"),
        dict(start=start, end=end, market=None, categories=["rate_limit", "server_error"], endpoint="", freq="1h"),
        dict(start=start, end=end, market=None, categories=errors, endpoint="order", freq="1h"),
        dict(start=start, end=end, market=None, categories=errors, endpoint="", freq="5min"),
        dict(start=mid, end=mid + pd.Timedelta("1D"), market=None, categories=errors, endpoint="", freq="5min"),
    ]
    base = []
    for _ in range(max(1, args.repeat // 2)):
        for case in cases:
            t0 = time.perf_counter()
            baseline_redraw(df, incidents=incidents, **case)
            base.append(time.perf_counter() - t0)
    raw = []
    for market in ("spot", None):
        t0 = time.perf_counter()
        raw_points(df, market)
        raw.append(time.perf_counter() - t0)

    print("baseline: filter with pandas, redraw from scratch (plots.timeline, top_errors, sample)")
    print(f"  {'all changes':26} {stats(base)}")
    print("raw points: one marker per failed call plus the cumulative calls")
    print(f"  {'all changes':26} {stats(raw)}\n")
    med, p95 = np.median(every), np.percentile(every, 95)
    print(f"explorer median {med * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target < {TARGET_S * 1000:.0f} ms); "
          f"baseline median {np.median(base) * 1000:.0f} ms: {np.median(base) / med:.1f}x slower")
    print(f"incident chosen (zoom + describe_window): median {statistics.median(per['incident chosen']) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
