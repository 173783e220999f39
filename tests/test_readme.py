"""The README and the user guide, followed as a reader follows them: every ```python block runs, page after
page in reading order (:data:`PAGES`), in one namespace.

The blocks run in a temporary working copy laid out like the checkout (``data/sample/`` is the sample),
with stand-ins for the reader's own files the blocks name (``logs/``, ``session.har``, ...) and the
exchange's host answered by a local exchange. Each block is a test named after its section, so a failure
says which block broke; what a block's comments promise is checked right after it runs (``CHECKS``).
The figures, screenshots and commands the README quotes are checked against the toolkit below.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from tests.conftest import ROOT, SAMPLE
from tests.local_exchange import LocalExchange
from toolkit.cli import build_parser, main

README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "guide"


def _toctree(index: Path) -> list[Path]:
    """The pages of a ``{toctree}`` block, in its order."""
    block = re.search(r"```\{toctree\}\n(.*?)```", index.read_text(), flags=re.S).group(1)
    return [index.parent / f"{line.strip()}.md" for line in block.splitlines() if line.strip() and
            not line.startswith(":")]


#: The guide page on the analysis, by its title.
ANALYSIS = "Analysing failures: whose fault, silences, rate, clock and orders"
#: The pages a reader follows, in order: the README, then the user guide's pages in its table of contents.
PAGES = [README, *_toctree(GUIDE / "index.md")]
DATA = ROOT / "tests" / "data"
HOST = "https://api9528mystks.mystonks.org"
#: Extras a block may need; without them its test is skipped.
OPTIONAL = {"dask", "distributed"}

#: The reader's own files the blocks name, as the working copy holds them (a path in the checkout, or text).
WORKING_COPY = {
    "logs/spot-bot.jsonl.gz": SAMPLE / "spot-bot.jsonl.gz",
    "session.har": DATA / "devtools.har",
    "tests/cassettes/orders.yaml": DATA / "cassette.yaml",
    "bot.log": DATA / "bot.log",
    "gateway.log": "2026-11-20T21:05:00Z GET /api/v1/futures/open-api/ticker/BTCUSDT 429 rate limited\n",
    "feeds/chrome-spot.har": DATA / "websocket" / "chrome-spot.har",
    "feeds/websockets-spot.log": DATA / "websocket" / "websockets-spot.log",
    "feeds/hummingbot-spot.log": DATA / "websocket" / "hummingbot-spot.log",
    "feeds/spot-mm.jsonl": DATA / "websocket" / "recorder-spot.jsonl",
}


def headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, title) of every Markdown heading outside code blocks."""
    out, fenced = [], False
    for m in re.finditer(r"^.*$", text, flags=re.M):
        line = m.group(0)
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (h := re.match(r"(#{1,6}) (.+)", line)):
            out.append((m.start(), len(h.group(1)), h.group(2).strip()))
    return out


def section(title: str) -> str:
    """The text of the section ``title`` of whichever page has it, its subsections included."""
    for page in PAGES:
        text = page.read_text()
        found = headings(text)
        i = next((i for i, (_, _, t) in enumerate(found) if t == title), None)
        if i is not None:
            start, level, _ = found[i]
            end = next((offset for offset, lv, _ in found[i + 1:] if lv <= level), len(text))
            return text[start:end]
    raise AssertionError(f"no page has a section {title!r}")


def blocks() -> list[tuple[str, str, Path]]:
    """(test id, code, page) of every ```python block of the pages, in order; the id is its section's title
    and its number there.

    The code starts on its line of its page, so that a traceback names the page's line.
    """
    out, count = [], {}
    for page in PAGES:
        text = page.read_text()
        found = headings(text)
        for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.M | re.S):
            title = next((t for offset, _, t in reversed(found) if offset < m.start()), page.stem)
            count[title] = count.get(title, 0) + 1
            out.append((f"{title}, block {count[title]}", "\n" * text.count("\n", 0, m.start(1)) + m.group(1),
                        page))
    return out


BLOCKS = blocks()


# What a block leaves behind, as its comments and the text around it say: (namespace, printed) -> None.

def _the_record_block(ns, out):
    ns["session"].close()
    recorded = toolkit.load_logs(sorted(str(p) for p in Path("logs").glob("*.jsonl*") if "spot-bot" not in p.name))
    assert sorted(recorded["path"]) == ["/api/v1/futures/open-api/ticker/BTCUSDT", "/api/v1/stock/open-api/depth"]


def _the_formats_block(ns, out):
    assert set(ns["load"].report["format"].astype(str)) == {"jsonl"}
    assert ns["df"]["category"].astype(str).tolist() == ["rate_limit"]  # the gateway's own line format


def _the_explorer_block(ns, out):
    from toolkit.widgets import Explorer

    assert isinstance(ns["app"], Explorer)
    rows = ns["rows"]
    assert len(rows) > 0 and set(rows["market"].astype(str)) == {"spot"}
    assert "server_error" in set(rows["category"].astype(str))


def _the_analysis_block(ns, out):
    assert isinstance(ns["incidents"], pd.DataFrame) and len(ns["incidents"]) == 9
    assert len(ns["fault"]) == len(ns["incidents"])
    assert out.startswith("spot: 5,729 of 7,825 calls failed (73%)")


def _the_store_block(ns, out):
    assert toolkit.store.is_store("store")
    assert len(ns["df"]) > 100 and set(ns["df"]["market"]) == {"spot"}


def _the_dask_block(ns, out):
    full = toolkit.load_logs("data/sample")
    want = full[full["is_error"]].groupby(["market", "category"], observed=True).size()
    pd.testing.assert_series_equal(ns["errors"].sort_index(), want.sort_index(), check_names=False)
    in_outage = full["ts"].between(pd.Timestamp("2026-11-18 14:00", tz="UTC"),
                                   pd.Timestamp("2026-11-18 15:00", tz="UTC"), inclusive="left")
    assert len(ns["outage"]) == in_outage.sum()


def _the_websocket_block(ns, out):
    assert set(ns["load"].report["format"].astype(str)) == {"har", "wslog", "jsonl"}
    assert ns["load"].report["frames"].sum() == len(ns["ws"]) > 0
    assert set(ns["stale"]["stream"]) == {"ETHUSDT@book_ticker"} and len(ns["gaps"]) == 2  # the HAR and the recorder
    assert ns["storms"]["failed"].tolist() == [6, 6, 6, 6]  # one storm per recording of it, the attempts kept apart
    assert set(ns["drops"]["side"]) == {"exchange", "network"}
    assert "(1012, 'server')" in out


CHECKS = {
    "Every format, recording and scrubbing, block 1": _the_record_block,
    "Every format, recording and scrubbing, block 2": _the_formats_block,
    "The explorer, block 1": _the_explorer_block,
    f"{ANALYSIS}, block 1": _the_analysis_block,
    "Large recordings: the store and Dask, block 1": _the_store_block,
    "Large recordings: the store and Dask, block 2": _the_dask_block,
    "WebSocket feeds, block 1": _the_websocket_block,
}


@dataclass
class Reader:
    """The working copy, the shared namespace and how far the README has been followed."""

    root: Path
    exchange: LocalExchange = field(repr=False)
    namespace: dict = field(default_factory=dict, repr=False)
    done: int = 0
    failed: str | None = None

    def run(self, i: int, capsys) -> str:
        """Run the blocks before block ``i`` not yet run, then block ``i``; return what block ``i`` printed."""
        while self.done <= i:
            name, code, page = BLOCKS[self.done]
            if self.failed is not None:
                pytest.skip(f"follows {self.failed!r}, which failed")
            for module in imported(code) & OPTIONAL:
                pytest.importorskip(module)
            capsys.readouterr()
            try:
                exec(compile(code.replace(HOST, self.exchange.url), str(page), "exec"), self.namespace)
                if name in CHECKS:
                    CHECKS[name](self.namespace, capsys.readouterr().out)
            except BaseException:
                self.failed = name
                raise
            finally:
                self.done += 1
        return capsys.readouterr().out

    def close(self):
        if "app" in self.namespace:
            self.namespace["app"].close()
        if "client" in self.namespace:
            self.namespace["client"].cluster.close()


def imported(code: str) -> set[str]:
    """Top-level names of the modules a block imports."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkout")
    (root / "data").symlink_to(ROOT / "data")
    for name, source in WORKING_COPY.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copy(source, root / name)
        else:
            (root / name).write_text(source)
    with LocalExchange() as exchange:
        r = Reader(root, exchange)
        try:
            yield r
        finally:
            r.close()


@pytest.mark.filterwarnings("ignore::toolkit.RejectWarning")  # the stand-in HAR and cassette hold bad entries too
@pytest.mark.parametrize("i", range(len(BLOCKS)), ids=[name for name, _, _ in BLOCKS])
def test_the_block_runs(i, reader, monkeypatch, capsys):
    monkeypatch.chdir(reader.root)
    reader.run(i, capsys)


def test_the_readme_has_its_blocks_and_every_check_names_one():
    names = [name for name, _, _ in BLOCKS]
    assert names and len(set(names)) == len(names)
    assert set(CHECKS) <= set(names), f"checks of blocks the README no longer has: {set(CHECKS) - set(names)}"


# What the README quotes is what the toolkit does.

def test_quick_start_quotes_what_summarize_prints(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    printed = capsys.readouterr().out.splitlines()
    quoted = re.search(r"```\n(126,804 calls.*?)```", section("Quick start"), flags=re.S).group(1).splitlines()
    for line in quoted:
        if line and line != "..." and not line.startswith("wrote "):
            assert line in printed or line.rstrip() in [p.rstrip() for p in printed], line


def test_the_readme_is_a_front_page_that_links_every_guide_page():
    text = README.read_text()
    assert len(text.splitlines()) < 200
    titles = [t for _, level, t in headings(text) if level == 2]
    assert titles[0] == "Quick start"
    for page in PAGES[1:]:
        assert f"](docs/guide/{page.name})" in text, page.name


def test_every_link_between_pages_finds_its_page():
    for page in [README, *sorted((ROOT / "docs").rglob("*.md"))]:
        if "data" in page.relative_to(ROOT).parts[1:2]:
            continue
        for target in re.findall(r"\]\((?!https?://|#)([^)#\s]+)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_the_screenshots_are_there():
    assert "](docs/report.png)" in README.read_text()
    text = section("The explorer and the post-mortem report")
    for name in ("explorer.png", "report.png"):
        assert f"](../{name})" in text
        assert (ROOT / "docs" / name).read_bytes().startswith(b"\x89PNG")


def test_the_report_command_uses_real_options():
    text = section("The explorer and the post-mortem report")
    command = re.search(r"\$ toolkit report (.*?)\n```", text, flags=re.S).group(1)
    options = set(re.findall(r"--\w+", command))
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["report"]
    assert options and options <= {s for a in sub._actions for s in a.option_strings}


def test_the_formats_section_shows_recording_and_every_format():
    record, load = re.findall(r"```python\n(.*?)```", section("Every format, recording and scrubbing"), re.S)
    assert "toolkit.attach_recorder(" in record and "toolkit.recording_session(" in record
    assert all(f in load for f in ('"session.har"', '"tests/cassettes/"', '"bot.log"', "pattern="))


def test_every_text_shape_the_readme_lists_reads_as_one_call(tmp_path):
    [block] = re.findall(r"```text\n(.*?)```", section("Every format, recording and scrubbing"), re.S)
    examples = [part.split("\n", 1) for part in block.split("# ")[1:]]
    assert len(examples) == 8
    for i, (shape, lines) in enumerate(examples):
        path = tmp_path / f"example{i}.log"
        path.write_text(lines, encoding="utf-8")
        load = toolkit.read_logs(path)
        assert load.rejects.empty and len(load.frame) == 1, shape
        assert load.lines == len(lines.strip().splitlines()), shape
        row = load.frame.iloc[0]
        assert row["path"].startswith("/api/v1/") and row["market"] in ("spot", "futures"), shape


def test_the_quoted_summary_is_what_describe_window_says(sample_load):
    df = sample_load.frame
    first = toolkit.find_incidents(df).iloc[0]
    summary = toolkit.describe_window(df, start=first["start"], end=first["end"], market=first["market"]).summary
    quoted = re.search(r"\*(spot: .*?)\*", section(ANALYSIS), flags=re.S).group(1)
    assert " ".join(quoted.split()) == summary


def test_the_timeline_figure_is_referenced_and_drawn_by_the_script():
    assert "(../timeline.png)" in section(ANALYSIS)
    assert "timeline.png" in (ROOT / "docs" / "figures.py").read_text()


def test_the_large_recordings_figures_name_their_benchmarks():
    text = section("Large recordings: the store and Dask")
    for script in ("bench_store_query.py", "bench_ingest.py", "bench_dask.py"):
        assert f"benchmarks/{script}" in text and (ROOT / "benchmarks" / script).is_file()
    assert "50,830,550 calls" in text and "lines/s" in text
