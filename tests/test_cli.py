"""``toolkit summarize`` prints the incidents after the table."""

import re

import pytest

from tests.conftest import FUTURES, SAMPLE, SPOT, call, jsonl
from toolkit.cli import main


def test_summarize_prints_the_incidents(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "9 incident(s): windows in which a market's errors rose well above its baseline" in out
    lines = out[out.index("9 incident(s)"):].splitlines()[2:]
    assert re.split(r"\s{2,}", lines[0]) == ["start", "end", "market", "category", "cause", "calls", "errors",
                                            "error_rate", "top_reason"]
    assert re.split(r"\s{2,}", lines[1]) == ["Mon 16 21:20", "21:30", "spot", "rate_limit", "client_rate", "7,825",
                                            "5,729", "73%", "rate_limited"]
    assert len(lines) == 10


def test_summarize_counts_each_bot_and_narrows_to_one(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    table = out[out.index("3 bots"):out.index("9 incident(s)")].strip().splitlines()[3:]  # below the header
    assert [re.split(r"\s{2,}", line)[:4] for line in table] == [
        ["futures-arb", "32,398", "9.2%", "futures"], ["futures-gateway", "64,363", "9.6%", "futures"],
        ["spot-bot", "30,043", "21.3%", "spot"]]
    assert table[0].split()[-1] == table[1].split()[-1] != table[2].split()[-1]  # the futures bots share a key
    assert main(["summarize", str(SAMPLE), "--bot", "spot-bot"]) == 0
    out = capsys.readouterr().out
    assert "30,043 of them made by spot-bot" in out and "futures" not in out and "bots\n" not in out
    assert main(["summarize", str(SAMPLE), "--bot", "nobody"]) == 1  # nothing to report
    assert capsys.readouterr().err.strip() == ("toolkit summarize: nothing to report: bot 'nobody' has no calls in "
                                               "the data; it holds futures-arb, futures-gateway, spot-bot")


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


def test_toolkit_alone_prints_its_help(capsys):
    import subprocess
    import sys

    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: toolkit") and "summarize" in out and "exit status:" in out
    done = subprocess.run([sys.executable, "-m", "toolkit"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == out and done.stderr == ""


@pytest.mark.parametrize("command", ["summarize", "report"])
def test_summarize_and_report_take_the_same_window_options(command):
    from toolkit.cli import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices[command]
    options = {o for a in sub._actions for o in a.option_strings}
    assert {"--start", "--end", "--market", "--bot", "--freq"} <= options


def test_summarize_a_window_of_one_market(capsys):
    argv = ["summarize", str(SAMPLE), "--start", "2026-11-18 12:00", "--end", "2026-11-18 18:00", "--market",
            "futures", "--freq", "1min"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"^[\d,]+ of them in the window, on futures$", out, flags=re.M)
    assert "from 2026-11-18 12:00 to 2026-11-18 17:59 UTC" in out
    incidents = out[out.index("incident(s)"):].splitlines()[3:]
    assert [re.split(r"\s{2,}", line)[1:4] for line in incidents] == [["14:36", "futures", "server_error"]]
    assert main(["summarize", str(SAMPLE), "--freq", "5"]) == 2
    assert "freq must be a positive duration such as '5min' or '1h', not the bare number" in capsys.readouterr().err


def test_a_folder_spanning_twelve_years_is_summarized(tmp_path, capsys):
    """The incident scan picks a bucket the span allows: one call a month from 2014 to 2026, then a burst."""
    recs = [call(FUTURES, ts=f"{y}-{m:02d}-15T12:00:00Z") for y in range(2014, 2026) for m in range(1, 13)]
    recs += [call(FUTURES, 500, {"code": 500, "msg": "内部错误"}, ts=f"2026-03-01T10:{i // 6:02d}:{i % 6 * 10:02d}Z")
             for i in range(120)]
    assert main(["summarize", str(jsonl(tmp_path / "years.jsonl", *recs))]) == 0
    out = capsys.readouterr().out
    assert "from 2014-01-15 12:00 to 2026-03-01 10:19 UTC" in out
    assert "1 incident(s)" in out and "server_error" in out.split("1 incident(s)")[1]


# what "nothing to report" is, for every command: status 1 and one line saying why
NOTHING = [
    (["--start", "2027-01-01"], "no calls from 2027-01-01 00:00:00 UTC to the end: the recording runs from "),
    (["--market", "unknown"], "market 'unknown' has no calls in the data; it holds spot, futures"),
    (["--bot", "nobody"], "bot 'nobody' has no calls in the data; it holds futures-arb, futures-gateway, spot-bot"),
]


@pytest.mark.parametrize("command", ["summarize", "report"])
@pytest.mark.parametrize("extra,why", NOTHING, ids=["window", "market", "bot"])
def test_nothing_to_report_is_status_1_before_a_kernel_starts(command, extra, why, tmp_path, monkeypatch, capsys):
    started = []
    monkeypatch.setattr("toolkit.report._run.execute", lambda *a: started.append(a))
    out = ["--out", str(tmp_path / "p.html")] if command == "report" else []
    assert main([command, str(SAMPLE), *extra, *out]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"toolkit {command}: nothing to report: {why}") and len(err.splitlines()) == 1
    assert started == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["summarize", "report"])
def test_an_empty_source_is_status_1(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("toolkit.report._run.execute", lambda *a: pytest.fail("a kernel started"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    (tmp_path / "nothing").mkdir()
    out = ["--out", str(tmp_path / "p.html")] if command == "report" else []
    assert main([command, str(empty), *out]) == 1
    assert capsys.readouterr().err.strip().endswith("nothing to report: the source holds no calls")
    assert main([command, str(tmp_path / "nothing"), *out]) == 1
    assert "holds no recordings" in capsys.readouterr().err


def test_scrub_a_folder(tmp_path, capsys):
    key = "ak-LIVE-5e6f7a8b9c"
    logs = tmp_path / "logs"
    jsonl(logs / "a.jsonl", call(SPOT + f"?apiKey={key}"))
    jsonl(logs / "day2" / "b.jsonl", call(SPOT + f"?apiKey={key}"), call(SPOT))
    assert main(["scrub", str(logs), "--out", str(tmp_path / "clean")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"2 secret value(s) masked in 2 recording(s) of {logs}, written into {tmp_path / 'clean'}"
    assert key in (logs / "a.jsonl").read_text()
    assert key not in (tmp_path / "clean" / "day2" / "b.jsonl").read_text()
    assert len((tmp_path / "clean" / "day2" / "b.jsonl").read_text().splitlines()) == 2
    assert main(["scrub", str(logs)]) == 0  # in place
    assert key not in (logs / "a.jsonl").read_text() + (logs / "day2" / "b.jsonl").read_text()
    (tmp_path / "empty").mkdir()
    assert main(["scrub", str(tmp_path / "empty")]) == 1


def _interrupt(argv, marker=None, after=0.3):
    """Run ``python -m toolkit ARGV`` in its own process group and send it ^C as a terminal does (to the group):
    once ``marker`` (a regex) shows on stderr, else ``after`` seconds in. Returns (status, stderr)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "toolkit", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    if marker is None:
        time.sleep(after)
    else:
        while not re.search(marker.encode(), seen):
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break  # it ended first: the assertions below say how
            seen += chunk
    os.killpg(proc.pid, signal.SIGINT)
    seen += proc.stderr.read()
    proc.wait()
    return proc.returncode, seen.decode(errors="replace")


@pytest.mark.parametrize("moment", [
    ("summarize", None),  # while the libraries load
    ("report", None),
    ("report", r"running the post-mortem notebook"),  # the kernel starting
    ("report", r"Executing: +\d+%.*\| [1-9]\d*/"),  # cells running in the kernel
], ids=["summarize-loading", "report-loading", "report-kernel-starting", "report-cells-running"])
def test_an_interrupt_at_any_moment_is_one_line_and_status_130(moment, tmp_path):
    command, marker = moment
    out = tmp_path / "p.html"
    argv = [command, str(SAMPLE)] + (["--out", str(out)] if command == "report" else [])
    status, err = _interrupt(argv, marker)
    assert status == 130, err
    assert "Traceback" not in err and "Error" not in err, err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert re.fullmatch(rf"toolkit( {command})?: interrupted; nothing was written", last), err
    assert not out.exists() and list(tmp_path.iterdir()) == []
