"""The README's "Quick start" and "Notebooks and the post-mortem report": what they show is what the toolkit does."""

import re

from tests.conftest import ROOT, SAMPLE
from toolkit.cli import build_parser, main


def section(title: str, next_title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start, end = text.index(f"## {title}\n"), text.index(f"## {next_title}\n")
    assert start < end
    return text[start:end]


def test_notebooks_section_follows_quick_start():
    text = (ROOT / "README.md").read_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[headings.index("Quick start") + 1] == "Notebooks and the post-mortem report"


def test_the_explorer_snippet_runs(monkeypatch):
    from toolkit.widgets import Explorer

    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```python\n(.*?)```", section("Notebooks and the post-mortem report", "Loading recordings"),
                        flags=re.S)
    assert len(blocks) == 1
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert isinstance(namespace["app"], Explorer)
    rows = namespace["rows"]
    assert len(rows) > 0 and set(rows["market"].astype(str)) == {"spot"}
    assert "server_error" in set(rows["category"].astype(str))
    namespace["app"].close()


def test_the_screenshots_are_there():
    text = section("Notebooks and the post-mortem report", "Loading recordings")
    for name in ("docs/explorer.png", "docs/report.png"):
        assert f"]({name})" in text
        assert (ROOT / name).read_bytes().startswith(b"\x89PNG")


def test_the_report_command_uses_real_options():
    text = section("Notebooks and the post-mortem report", "Loading recordings")
    command = re.search(r"\$ toolkit report (.*?)\n```", text, flags=re.S).group(1)
    options = set(re.findall(r"--\w+", command))
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["report"]
    assert options and options <= {s for a in sub._actions for s in a.option_strings}


def test_quick_start_quotes_what_summarize_prints(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    printed = capsys.readouterr().out.splitlines()
    quoted = re.search(r"```\n(126,646 calls.*?)```", section("Quick start", "Notebooks and the post-mortem report"),
                       flags=re.S).group(1).splitlines()
    for line in quoted:
        if line and line != "..." and not line.startswith("wrote "):
            assert line in printed or line.rstrip() in [p.rstrip() for p in printed], line
