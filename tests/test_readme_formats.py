"""The README's "Recording and other formats" snippets run as written (the exchange's host swapped for a local one)."""

import re
import shutil
import warnings

import toolkit
from tests.conftest import ROOT
from tests.local_exchange import LocalExchange

DATA = ROOT / "tests" / "data"


def snippets() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Recording and other formats\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_the_record_and_load_snippets():
    record, load = snippets()
    assert "toolkit.attach_recorder(" in record and "toolkit.recording_session(" in record
    assert all(f in load for f in ('"session.har"', '"tests/cassettes/"', '"bot.log"', "pattern="))


def test_readme_snippets_run(tmp_path, monkeypatch):
    record, load = snippets()
    monkeypatch.chdir(tmp_path)
    scope = {}  # one namespace, as in a notebook
    with LocalExchange() as ex:
        exec(record.replace("https://api9528mystks.mystonks.org", ex.url), scope)
    scope["session"].close()
    assert len(toolkit.load_logs("logs/")) == 2
    shutil.copy(DATA / "devtools.har", "session.har")
    (tmp_path / "tests" / "cassettes").mkdir(parents=True)
    shutil.copy(DATA / "cassette.yaml", "tests/cassettes/orders.yaml")
    shutil.copy(DATA / "bot.log", "bot.log")
    shutil.copy(DATA / "bot.log", "logs/bot.log")
    (tmp_path / "gateway.log").write_text("2026-11-20T21:05:00Z GET /api/v1/futures/open-api/ticker/BTCUSDT 429 rate limited\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        exec(load, scope)
    assert scope["load"].report["format"].astype(str).tolist() == ["text", "jsonl", "jsonl"]
    assert scope["df"]["category"].astype(str).tolist() == ["rate_limit"]


def test_every_text_shape_the_readme_lists_reads_as_one_call(tmp_path):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Recording and other formats\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```text\n(.*?)```", section, re.S)
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
