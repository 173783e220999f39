import gzip
import os
import shutil
from pathlib import Path

import matplotlib
import orjson
import pytest

#: tests/typing/ is type-checked by mypy (tests/test_typing.py), not run
collect_ignore = ["typing"]

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
SPOT = "https://api9528mystks.mystonks.org/api/v1/stock/open-api/order"
FUTURES = "https://api9528mystks.mystonks.org/api/v1/futures/open-api/order/create"


def jsonl(path: Path, *records, gz: bool = False) -> Path:
    """Write records (dicts, or raw str/bytes lines) as JSON Lines."""
    lines = []
    for r in records:
        if isinstance(r, bytes):
            lines.append(r)
        elif isinstance(r, str):
            lines.append(r.encode())
        else:
            lines.append(orjson.dumps(r))
    data = b"\n".join(lines) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def call(url=SPOT, status=200, body=None, **extra) -> dict:
    """One flat JSON Lines record."""
    rec = {"ts": "2026-11-20T21:05:00Z", "method": "POST", "url": url, "status": status,
           "response": {"code": 0, "msg": "success"} if body is None else body}
    rec.update(extra)
    return rec


def workspace(root: Path) -> Path:
    """A copy of notebooks/ beside a copy of the sample, laid out as in the repository; returns its notebooks/.

    Notebooks run there read and write nothing in the repository.
    """
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(SAMPLE, root / "data" / "sample")
    return root / "notebooks"


@pytest.fixture(scope="session")
def sample_load():
    import toolkit

    return toolkit.read_logs(SAMPLE)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


_RETRYABLE = {"rate_limit": True, "server_error": True, "upstream_error": True, "transport": True, "ok": None}


def frame(ts, **columns):
    """A frame with the loader's columns and dtypes, built from ``ts`` and a few columns.

    Scalars are repeated; missing columns get plain defaults (spot, GET, category
    ``ok``, reason = category unless given, retryable as the taxonomy says).
    """
    import numpy as np
    import pandas as pd

    from toolkit.schema import COLUMNS, DATA_CATEGORIES, DTYPES

    ts = pd.DatetimeIndex(pd.to_datetime(ts, utc=True)) if not isinstance(ts, pd.DatetimeIndex) else ts
    n = len(ts)

    def col(name, default):
        v = columns.get(name, default)
        return list(v) if isinstance(v, (list, tuple, np.ndarray, pd.Series, pd.Index)) else [v] * n

    market = col("market", "spot")
    category = col("category", "ok")
    data = {
        "ts": ts,
        "market": market,
        "bot": col("bot", "unknown"),
        "key_id": col("key_id", None),
        "method": col("method", "GET"),
        "endpoint": col("endpoint", "/api/v1/stock/open-api/order"),
        "kind": col("kind", "trading"),
        "http_status": col("http_status", [200 if c == "ok" else 400 for c in category]),
        "code": col("code", [0 if c == "ok" else None for c in category]),
        "message": col("message", ["success" if c == "ok" else c for c in category]),
        "category": category,
        "reason": col("reason", category),
        "retryable": col("retryable", [_RETRYABLE.get(c, False) for c in category]),
        "items": col("items", None),
        "items_failed": col("items_failed", None),
        "latency_ms": col("latency_ms", 40.0),
        "symbol": col("symbol", ["AAPL" if m == "spot" else "BTCUSDT" for m in market]),
        "source": col("source", "test.jsonl"),
        "line": col("line", list(range(1, n + 1))),
        "client_ts": col("client_ts", pd.NaT),
        "server_ts": col("server_ts", pd.NaT),
    }
    data["path"] = data["endpoint"]
    data["is_error"] = [c != "ok" for c in category]
    df = pd.DataFrame({c: pd.Series(data[c], dtype=object) if c != "ts" else data[c] for c in COLUMNS})
    for c in COLUMNS:
        if c in ("client_ts", "server_ts"):
            df[c] = pd.to_datetime(df[c], utc=True).astype(DTYPES[c])
        elif c in DATA_CATEGORIES:
            df[c] = df[c].astype("string[pyarrow]").astype("category")
        else:
            df[c] = df[c].astype(DTYPES[c])
    return df


def spell(rng, *, start="2026-11-16 00:00", hours=24, per_minute=3.0, background=0.02, events=(),
          market="spot"):
    """Calls of one market at ``per_minute`` (Poisson), ``background`` of them failing at random,
    plus events: (start, minutes, share of calls failing, category, extra calls per minute)."""
    import numpy as np
    import pandas as pd

    t0 = pd.Timestamp(start, tz="UTC").value
    minutes = hours * 60
    counts = rng.poisson(per_minute, minutes)
    t = np.repeat(t0 + np.arange(minutes) * 60_000_000_000, counts) + rng.integers(0, 60_000_000_000, counts.sum())
    extra = []
    for ev_start, ev_minutes, _, _, burst in events:
        if burst:
            lo = pd.Timestamp(ev_start, tz="UTC").value
            extra.append(lo + rng.integers(0, ev_minutes * 60_000_000_000, int(burst * ev_minutes)))
    t = np.sort(np.concatenate([t, *extra]))
    kinds = np.array(["bad_request", "not_found", "order_rejected", "server_error", "transport", "rate_limit"])
    category = np.where(rng.random(len(t)) < background, kinds[rng.integers(0, len(kinds), len(t))], "ok")
    for ev_start, ev_minutes, share, cat, _ in events:
        lo = pd.Timestamp(ev_start, tz="UTC").value
        inside = (t >= lo) & (t < lo + ev_minutes * 60_000_000_000)
        category = np.where(inside & (rng.random(len(t)) < share), cat, category)
    return frame(pd.DatetimeIndex(t.view("datetime64[ns]")).tz_localize("UTC"), market=market,
                 category=category.tolist())


@pytest.fixture(autouse=True, scope="session")
def _kernels_import_this_checkout():
    """Jupyter kernels started by the tests (papermill, nbclient, JupyterLab) import this checkout's toolkit."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
        yield
