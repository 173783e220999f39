"""The README's "Large recordings" section: its code runs as written, and its figures come from the benchmarks."""

import re

import pandas as pd
import pytest

from tests.conftest import ROOT


def section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Large recordings")
    end = text.index("## Development")
    assert start < end and "\n## " not in text[start + 3:end], "the section sits just before ## Development"
    return text[start:end]


def test_the_code_runs_on_the_sample(tmp_path, monkeypatch, sample_load):
    pytest.importorskip("distributed")
    import toolkit

    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", section(), flags=re.DOTALL)
    assert len(blocks) == 2
    namespace = {}
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    finally:
        if "client" in namespace:
            namespace["client"].cluster.close()
    assert toolkit.store.is_store(tmp_path / "store")
    df = namespace["df"]
    assert len(df) > 100 and set(df["market"]) == {"spot"}
    full = sample_load.frame
    want = full[full["is_error"]].groupby(["market", "category"], observed=True).size()
    pd.testing.assert_series_equal(namespace["errors"].sort_index(), want.sort_index(), check_names=False)
    assert len(namespace["outage"]) == ((full["ts"] >= pd.Timestamp("2026-11-18 14:00", tz="UTC"))
                                        & (full["ts"] < pd.Timestamp("2026-11-18 15:00", tz="UTC"))).sum()


def test_the_figures_name_their_benchmarks():
    text = section()
    for script in ("bench_store_query.py", "bench_ingest.py", "bench_dask.py"):
        assert f"benchmarks/{script}" in text and (ROOT / "benchmarks" / script).is_file()
    assert "50,830,550 calls" in text and "lines/s" in text
