import gzip
import os
import shutil
from pathlib import Path

import matplotlib
import orjson
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
SPOT = "https://openapi.exchange.example/api/v1/stock/open-api/order"
FUTURES = "https://openapi.exchange.example/api/v1/futures/trade/order"


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


@pytest.fixture(autouse=True, scope="session")
def _kernels_import_this_checkout():
    """Jupyter kernels started by the tests (papermill, nbclient, JupyterLab) import this checkout's toolkit."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
        yield
