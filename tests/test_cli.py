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


def test_summarize_counts_each_bot_and_narrows_to_one(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    table = out[out.index("3 bots"):out.index("9 incident(s)")].strip().splitlines()[3:]  # below the header
    assert [re.split(r"\s{2,}", line)[:4] for line in table] == [
        ["futures-arb", "32,364", "9.3%", "futures"], ["futures-gateway", "64,294", "9.6%", "futures"],
        ["spot-bot", "29,988", "21.3%", "spot"]]
    assert table[0].split()[-1] == table[1].split()[-1] != table[2].split()[-1]  # the futures bots share a key
    assert main(["summarize", str(SAMPLE), "--bot", "spot-bot"]) == 0
    out = capsys.readouterr().out
    assert "29,988 of them made by spot-bot" in out and "futures" not in out and "bots\n" not in out
    assert main(["summarize", str(SAMPLE), "--bot", "nobody"]) == 2
    assert "bot 'nobody' has no calls in the data; it holds futures-arb, futures-gateway, spot-bot" in \
        capsys.readouterr().err


def test_summarize_says_when_nothing_stands_out(tmp_path, capsys):
    rec = jsonl(tmp_path / "calm.jsonl", *(call(FUTURES, ts=f"2026-11-20T15:{i:02d}:00Z") for i in range(30)))
    assert main(["summarize", str(rec)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("no incidents: errors stayed near each market's baseline")


def test_version(capsys):
    import pytest

    import toolkit

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"toolkit {toolkit.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", toolkit.__version__)


def test_the_toolkits_own_errors_are_one_line_with_status_2(tmp_path, capsys):
    bad = jsonl(tmp_path / "calls.jsonl", call(FUTURES))
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / ".toolkit").mkdir()
    (tmp_path / "store" / ".toolkit" / "manifest.json").write_text("{not json")
    assert main(["summarize", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toolkit summarize: error: ") and len(err.strip().splitlines()) == 1
    assert bad.exists()


def test_a_bug_keeps_its_traceback(monkeypatch):
    import pytest

    monkeypatch.setattr("toolkit.cli.summary", lambda df: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["summarize", str(SAMPLE)])


def test_interrupt_is_one_line_status_130_and_nothing_written(tmp_path, monkeypatch, capsys):
    out = tmp_path / "postmortem.html"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("toolkit.report._run.execute", interrupted)
    assert main(["report", str(SAMPLE), "--out", str(out)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "toolkit report: interrupted; nothing was written"
    assert list(tmp_path.iterdir()) == []


def test_a_missing_source_is_refused_before_a_kernel_starts(tmp_path, monkeypatch, capsys):
    started = []
    monkeypatch.setattr("toolkit.report._run.execute", lambda *a: started.append(a))
    missing = tmp_path / "no-such.jsonl"
    assert main(["report", str(missing), "--out", str(tmp_path / "p.html")]) == 2
    assert capsys.readouterr().err.strip() == f"toolkit report: error: no such recording: {str(missing)!r}"
    assert started == []


def test_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    # ``toolkit summarize | head -1``: the reader leaves after one line
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "summarize", str(SAMPLE)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader has gone before the first line is written
    err = proc.stderr.read().decode()
    proc.wait()
    assert proc.returncode == 0 and err == ""


def test_toolkit_dask_without_dask_says_what_to_install():
    import subprocess
    import sys

    code = ("import sys; sys.modules['dask'] = None\n"
            "try:\n    import toolkit.dask\nexcept ImportError as exc:\n    print(exc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'bot-postmortem[dask]'" in out
