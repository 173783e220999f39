"""What a notebook shows of the toolkit's objects: a card for a load, a window's description and whose fault, a
readable plain repr, and progress bars only where someone watches."""

import os
import subprocess
import sys

import pytest

import toolkit
from tests.conftest import ROOT, SAMPLE, SPOT, call, jsonl


@pytest.fixture(scope="module")
def load():
    return toolkit.read_logs(SAMPLE)


def test_a_load_reads_as_what_was_read(load):
    assert repr(load) == ("Load(126,804 rows, 0 rejects, 0 skipped from 3 files; "
                          "Mon 16 Nov 00:00 – Sun 22 Nov 23:59 UTC)")


def test_a_load_is_a_card_in_jupyter(load):
    card = load._repr_html_()
    for fact in ("126,804 from 3 file(s)", "Mon 16 Nov 00:00 – Sun 22 Nov 23:59 UTC", "futures 96,761, spot 30,043",
                 "futures-gateway 64,363", "<summary>files (3)</summary>", "<summary>rejects (0)</summary>"):
        assert fact in card, fact


def test_the_card_escapes_what_it_shows(tmp_path):
    name = tmp_path / "<b>bot</b>.jsonl"
    jsonl(name, call(SPOT, 200, {"code": 0, "msg": "ok"}), "{not json")
    with pytest.warns(toolkit.RejectWarning):
        card = toolkit.read_logs(name)._repr_html_()
    assert "<b>bot</b>" not in card.replace("<b>Load</b>", "") and "&lt;b&gt;bot&lt;/b&gt;" in card
    assert "<summary>rejects (1)</summary>" in card


def test_an_empty_load_has_a_card(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    load = toolkit.read_logs(tmp_path / "empty.jsonl")
    assert repr(load) == "Load(0 rows, 0 rejects, 0 skipped from 1 files)"
    assert "0 from 1 file(s)" in load._repr_html_()


def test_a_window_is_a_card_with_its_verdict(load):
    described = toolkit.describe_window(load.frame, start="2026-11-16 21:20", end="2026-11-16 21:30", market="spot")
    card = described._repr_html_()
    assert "Mon 16 Nov 21:20–21:30 UTC" in card
    assert "client: the bot&#x27;s request rate" in card  # whose fault, the cause in words
    assert "<details open><summary>categories" in card
    assert described.summary.split(" between ")[0].replace("'", "&#x27;") in card


def test_whose_fault_is_a_card_with_the_verdict_and_the_evidence(load):
    fault = toolkit.whose_fault(load.frame)
    card = fault._repr_html_()
    assert fault.verdict.startswith("9 incidents: 5 the bot's (request rate ×2, clock ×2, funds)")
    assert fault.verdict.replace("'", "&#x27;") in card
    assert ("5 incidents: request rate ×2 (12,247 failed), clock ×2 (399 failed), funds (180 failed)" in card
            and "3 incidents: outage ×3 (435 failed)" in card and "1 incident: network (36 failed)" in card)
    assert "<b>worst</b>" not in card and ">worst</th><td style=\"text-align:left\">incident 9, Sat 21 Nov" in card
    assert "<details open><summary>incidents, each explained (9)</summary>" in card
    assert "the bot&#x27;s request rate" in card and "client_rate" not in card  # causes in words, not ids
    text = repr(fault)
    assert text.splitlines()[0] == fault.verdict and "an exchange outage" in text and len(text.splitlines()) == 12  # verdict, a blank line, header, 9 rows
    counts = fault.by_side()
    assert counts["incidents"].sum() == len(fault.table) == 9
    assert counts.groupby("side", sort=False)["incidents"].sum().to_dict() == {
        "the bot's": 5, "the exchange's": 3, "the network's": 1}


def test_whose_fault_of_a_quiet_window_says_so(load):
    fault = toolkit.whose_fault(load.frame, start="2026-11-16 01:00", end="2026-11-16 02:00")
    assert repr(fault) == "No incident: errors stayed near their usual rate." and fault.by_side().empty
    assert "No incident" in fault._repr_html_()


def _load_in_a_subprocess(env: dict, tmp_path) -> str:
    code = ("import toolkit._progress as p\np.PROGRESS_AFTER = 0\n"
            "import toolkit\ntoolkit.read_logs(%r)\n" % str(SAMPLE))
    env = {**{k: v for k, v in os.environ.items() if k != "TOOLKIT_PROGRESS"}, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          check=True).stderr


def test_a_progress_bar_only_where_someone_watches(tmp_path):
    assert _load_in_a_subprocess({}, tmp_path) == ""  # stderr is a pipe: nobody watches
    assert _load_in_a_subprocess({"TOOLKIT_PROGRESS": "0"}, tmp_path) == ""
    shown = _load_in_a_subprocess({"TOOLKIT_PROGRESS": "1"}, tmp_path)
    assert "reading:" in shown and "1/3" in shown and "file/s" in shown  # per file, cleared when done
