"""``toolkit summarize`` prints the incidents after the table."""

import re

from tests.conftest import FUTURES, SAMPLE, call, jsonl
from toolkit.cli import main


def test_summarize_prints_the_incidents(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "9 incident(s): windows in which a market's errors rose well above its baseline" in out
    lines = out[out.index("9 incident(s)"):].splitlines()[2:]
    assert re.split(r"\s{2,}", lines[0]) == ["start", "end", "market", "category", "cause", "calls", "errors",
                                            "error_rate", "top_reason"]
    assert re.split(r"\s{2,}", lines[1]) == ["Mon 16 21:20", "21:30", "spot", "rate_limit", "client_rate", "7,821",
                                            "5,729", "73%", "rate_limited"]
    assert len(lines) == 10


def test_summarize_says_when_nothing_stands_out(tmp_path, capsys):
    rec = jsonl(tmp_path / "calm.jsonl", *(call(FUTURES, ts=f"2026-11-20T15:{i:02d}:00Z") for i in range(30)))
    assert main(["summarize", str(rec)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("no incidents: errors stayed near each market's baseline")
