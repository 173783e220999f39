"""The README's "Analysing failures" section: its code runs, and its figure is the one docs/figures.py draws."""

import re

import pandas as pd

from tests.conftest import ROOT


def section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Analysing failures")
    end = text.index("## Speed")
    assert start < end and "\n## " not in text[start + 3:end], "the section sits just before ## Speed"
    return text[start:end]


def test_the_code_runs_on_the_sample(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```python\n(.*?)```", section(), flags=re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert isinstance(namespace["incidents"], pd.DataFrame) and len(namespace["incidents"]) == 9
    assert capsys.readouterr().out.startswith("spot: 5,729 of 7,821 calls failed (73%)")


def test_the_quoted_summary_is_what_describe_window_says(sample_load):
    import toolkit

    df = sample_load.frame
    first = toolkit.find_incidents(df).iloc[0]
    summary = toolkit.describe_window(df, first["start"], first["end"], market=first["market"]).summary
    quoted = re.search(r"\*(spot: .*?)\*", section(), flags=re.S).group(1)
    assert " ".join(quoted.split()) == summary


def test_the_figure_is_referenced_and_drawn_by_the_script():
    assert "![" in section() and "(docs/timeline.png)" in section()
    assert "timeline.png" in (ROOT / "docs" / "figures.py").read_text()
