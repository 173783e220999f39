"""``toolkit report`` and :mod:`toolkit.report`: the post-mortem as one HTML page, or a clear error and no page."""

import html
import re

import pandas as pd
import pytest

from tests.conftest import FUTURES, SAMPLE, SPOT, call, jsonl
from toolkit.cli import main
from toolkit.report import (ReportError, build_report, check_parameters, load_calls, select_calls, styled,
                            write_atomic)


def test_report_end_to_end(tmp_path, capfd):
    out = tmp_path / "postmortem.html"
    assert main(["report", str(SAMPLE), "--title", "Sample week <bot>", "--out", str(out)]) == 0
    captured = capfd.readouterr()
    assert captured.out.strip() == f"wrote {out.resolve()}"
    assert "Executing" in captured.err and "100%" in captured.err  # progress while the notebook runs
    page = out.read_text()
    assert "<title>Sample week &lt;bot&gt;</title>" in page and "<h1>Sample week &lt;bot&gt;</h1>" in page
    # code hidden, notebook-only cells left out
    assert "check_parameters" not in page and "import toolkit" not in page
    assert "your own recordings" not in page
    # self-contained: no script or stylesheet to fetch
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", page)
    assert "<script src" not in page
    assert [p.name for p in tmp_path.iterdir()] == ["postmortem.html"]


def test_report_for_one_bot(tmp_path, capfd):
    out = tmp_path / "arb.html"
    argv = ["report", str(SAMPLE), "--bot", "futures-arb", "--start", "2026-11-21 20:00", "--end", "2026-11-21 22:00",
            "--out", str(out)]
    assert main(argv) == 0
    page = out.read_text()
    assert "<h1>Post-mortem: all markets, futures-arb, 2026-11-21 20:00 to 2026-11-21 22:00 UTC</h1>" in page
    heading = re.search(r"<p>([\d,]+ calls \(.*?\) from .*?)</p>", page).group(1)
    assert re.match(r"[\d,]+ calls \(futures [\d,]+\) from Sat 21 Nov 2026 20:0\d", heading)
    assert "futures-gateway" not in page and "spot-bot" not in page  # one bot: no table of bots


def test_report_for_one_market_and_window(tmp_path, capfd):
    out = tmp_path / "spot.html"
    argv = ["report", str(SAMPLE), "--market", "spot", "--start", "2026-11-18 12:00", "--end", "2026-11-18 18:00",
            "--out", str(out)]
    assert main(argv) == 0
    page = out.read_text()
    assert "<h1>Post-mortem: spot, 2026-11-18 12:00 to 2026-11-18 18:00 UTC</h1>" in page
    heading = re.search(r"<p>([\d,]+ calls \(.*?\) from .*?)</p>", page).group(1)
    assert re.match(r"[\d,]+ calls \(spot [\d,]+\) from Wed 18 Nov 2026 12:0\d to Wed 18 Nov 17:5\d UTC", heading)
    assert "futures" not in heading
    # the outage hit futures too: scope is decided before the market filter
    assert "no event hit both markets" not in page
    assert "the same server_error hit futures at the same time: exchange-wide" in page


def test_report_of_a_store_for_one_market_reads_only_its_partitions(tmp_path, capfd):
    """--market futures on a store opens the futures partitions alone: a damaged spot part does not stop it."""
    import toolkit

    times = pd.date_range("2026-11-20 12:00", "2026-11-21 12:00", freq="2min", tz="UTC")
    for url, name in ((SPOT, "spot"), (FUTURES, "futures")):
        jsonl(tmp_path / "rec" / f"{name}.jsonl", *(call(url, ts=f"{t:%Y-%m-%dT%H:%M:%SZ}") for t in times))
    store = tmp_path / "store"
    toolkit.store.ingest(tmp_path / "rec", store)
    spot = sorted(store.glob("calls/*/market=spot/*.parquet"))
    assert len(spot) == 2  # one part a day
    for part in spot:
        part.write_bytes(b"not a Parquet file")
    with pytest.raises(toolkit.StoreError, match="is damaged"):  # what any read of a spot part runs into
        toolkit.load_logs(store)

    out = tmp_path / "futures.html"
    assert main(["report", str(store), "--market", "futures", "--out", str(out)]) == 0
    heading = re.search(r"<p>([\d,]+ calls \(.*?\) from .*?)</p>", out.read_text()).group(1)
    assert heading.startswith(f"{len(times):,} calls (futures {len(times):,}) from Fri 20 Nov 2026 12:00")
    assert "Read from 1 file(s); 0 line(s) could not be read." in heading
    with pytest.raises(ReportError, match=re.escape(f"market 'unknown' has no calls in the store {store}")):
        load_calls(check_parameters(str(store), market="unknown"))


@pytest.fixture
def tiny(tmp_path):
    """Three futures calls on one afternoon."""
    return jsonl(tmp_path / "rec" / "calls.jsonl",
                 *(call(FUTURES, ts=f"2026-11-20T15:0{i}:00Z") for i in range(3)))


@pytest.mark.parametrize("extra, message", [
    (["--start", "tuesday"], "start must be a time such as '2026-11-16 21:05' (UTC), not 'tuesday'"),
    (["--start", "2026-11-21", "--end", "2026-11-20"], "end must be after start"),
    (["--market", "options"], "market must be one of spot, futures, unknown (or a list of them), not 'options'"),
    # nothing to report: status 1
    (["--market", "spot"], "market 'spot' has no calls in the data; it holds futures"),
    (["--bot", "spot-mm"], "bot 'spot-mm' has no calls in the data; it holds rec"),  # rec/calls.jsonl
    (["--start", "2026-11-21"], "no calls from 2026-11-21 00:00:00 UTC to the end: the recording runs from "
                                "2026-11-20 15:00:00 to 2026-11-20 15:02:00 UTC"),
])
def test_report_bad_input_is_one_clean_line_and_no_page(tiny, tmp_path, capfd, extra, message):
    out = tmp_path / "out" / "postmortem.html"
    out.parent.mkdir()
    out.write_text("the previous report")
    nothing = "has no calls" in message or message.startswith("no calls")
    assert main(["report", str(tiny), *extra, "--out", str(out)]) == (1 if nothing else 2)
    err = capfd.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("toolkit report: nothing to report: " if nothing else "toolkit report: error: ")
    assert message in last
    assert "Traceback" not in err
    assert out.read_text() == "the previous report"  # untouched, and no part file left beside it
    assert [p.name for p in out.parent.iterdir()] == ["postmortem.html"]


def test_report_of_an_empty_source(tmp_path, capfd):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "postmortem.html"
    assert main(["report", str(empty), "--out", str(out)]) == 1
    assert "nothing to report: the source holds no calls" in capfd.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("out, message", [
    ("missing/postmortem.html", "the folder '{tmp}/missing' for 'postmortem.html' does not exist"),
    (".", "'{tmp}' is a folder; give a file name such as '{tmp}/postmortem.html'"),
])
def test_report_output_path_is_checked_before_running(tmp_path, capfd, monkeypatch, out, message):
    monkeypatch.chdir(tmp_path)
    started = []
    monkeypatch.setattr("toolkit.report._run.execute", lambda *a: started.append(a))
    out = str(tmp_path / out) if out != "." else str(tmp_path)
    assert main(["report", str(SAMPLE), "--out", out]) == 2
    err = capfd.readouterr().err
    assert err.strip() == "toolkit report: error: " + message.format(tmp=tmp_path)
    assert started == []


def test_report_help_names_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    for option in ("--start", "--end", "--market", "--bot", "--title", "--out"):
        assert option in out


@pytest.mark.parametrize("kwargs, message", [
    ({"source": []}, "source must be a path, a glob or a list of these, not []"),
    ({"source": 3}, "source must be a path, a glob or a list of these, not 3"),
    ({"start": 1.5}, "start must be a time such as '2026-11-16 21:05' (UTC), not the bare number 1.5"),
    ({"end": "noon-ish"}, "end must be a time"),
    ({"title": 7}, "title must be a string or None, not 7"),
])
def test_check_parameters_names_the_parameter(kwargs, message):
    kwargs = {"source": "logs/", **kwargs}
    with pytest.raises(ReportError, match=re.escape(message)):
        check_parameters(**kwargs)


def test_check_parameters_normalises():
    p = check_parameters(["a.jsonl", "b/"], start="2026-11-18T15:00+01:00", end=pd.Timestamp("2026-11-19"))
    assert p.source == ["a.jsonl", "b/"]
    assert p.start == pd.Timestamp("2026-11-18 14:00", tz="UTC") and p.end == pd.Timestamp("2026-11-19", tz="UTC")
    assert p.title == "Post-mortem: all markets, 2026-11-18 14:00 to 2026-11-19 00:00 UTC"
    assert check_parameters("x", title="Tuesday").title == "Tuesday"


def test_select_calls_keeps_the_window_and_leaves_the_input_alone():
    ts = pd.to_datetime(["2026-11-18 14:02", "2026-11-18 13:59", "2026-11-18 14:00", "2026-11-18 15:00"], utc=True)
    df = pd.DataFrame({"ts": ts, "market": ["spot", "spot", "futures", "spot"]})
    before = df.copy()
    got = select_calls(df, start="2026-11-18 14:00", end="2026-11-18 15:00")
    assert got["ts"].tolist() == [ts[2], ts[0]]  # end excluded, sorted by time
    assert select_calls(df, market="spot", start="2026-11-18 14:00")["ts"].tolist() == [ts[0], ts[3]]
    pd.testing.assert_frame_equal(df, before)


def test_write_atomic_leaves_nothing_behind_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "page.html"
    target.write_text("old")
    with monkeypatch.context() as m:
        m.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError, match="disk full"):
            write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    write_atomic(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_import_toolkit_leaves_the_report_machinery_alone():
    import subprocess
    import sys

    code = "import sys, toolkit; print(sorted(m for m in ('papermill', 'nbconvert', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import toolkit

    assert toolkit.report.build_report is build_report  # imported on first use


def test_report_shows_the_planted_incidents_with_their_explanations(tmp_path):
    import toolkit

    out = build_report(SAMPLE, tmp_path / "postmortem.html")
    page = out.read_text()
    for heading in ("Whose fault", "Timeline", "Top errors", "Latency", "Request rate against the limits",
                    "Clock drift", "Retries", "Silences", "Did the orders go through?"):
        assert f">{heading}<" in page, heading
    # the verdict first, right under the title: whose fault, the causes in words, the worst incident
    verdict = ("9 incidents: 5 the bot's (request rate ×2, clock ×2, funds), 3 the exchange's (outage ×3), 1 the "
               "network's. The worst: incident 9, Sat 21 Nov 20:42–20:52 on futures, the bot's request rate: "
               "6,518 failed calls.")
    top = re.search(r"</h1>\s*<p class=\"verdict\"><b>(.*?)</b></p>", page)
    assert top and html.unescape(top.group(1)) == verdict
    # each incident once: one row of the whose-fault table, then one explanation, and no other table of them
    table = page[page.index(">Whose fault<"):page.index("<ul class")]
    assert len(re.findall(r"<tr>", table)) == 1 + 9
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", table)]
    for words in ("the bot's request rate", "the bot's clock", "the bot's funds", "an exchange outage", "the network",
                  "the bot", "the exchange"):
        assert words in cells, words
    assert ">client_rate<" not in page  # causes in words, not internal ids
    for heading in ("Incidents", "Cascades and scope", "Findings"):
        assert f">{heading}<" not in page, heading
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == 3  # timeline, latency, request rate
    alts = re.findall(r'<img alt="([^"]+)"', page)
    assert [a.split(".")[0] for a in alts] == ["Plot: Timeline", "Plot: Latency", "Plot: Request rate against the limits"]
    for inc in toolkit.simulation.planted().itertuples():
        # found within three minutes of its planted start, as test_incidents asks
        assert any(f"{inc.start + pd.Timedelta(minutes=m):%a %d %b %H:%M}" in page for m in range(4)), inc
    assert "spot: 5,729 of 7,825 calls failed (73%) between Mon 16 Nov 21:20 and 21:30 UTC" in page
    assert "the bot sent 13.0 calls/s (peak 25 in one second) against a limit of 10/s" in page
    assert "the client clock of futures-arb and futures-gateway was 32–59 s ahead of the exchange's" in page
    assert "176 calls failed for want of funds or margin" in page
    assert "bot-wide" in page and "exchange-wide" in page  # the clock drift and the outage hit both markets
    # near the top, each bot's calls and failures, and the key two of them share
    bots = page[page.index("<h1>"):page.index(">Whose fault<")]
    for bot in ("futures-arb", "futures-gateway", "spot-bot"):
        assert bot in bots
    assert bots.count(toolkit.secrets.key_id(toolkit.simulation.api_key("futures", 7))) == 2
    assert "port=&lt;num&gt;" in page  # messages are escaped, not read as HTML
    # the orders section: the orders placed twice first (both ids), then the still unknown, then the counts
    orders = page[page.index(">Did the orders go through?<"):]  # the last section
    assert "7 orders placed twice, may have been filled twice" in orders
    assert orders.index("6944664513") < orders.index("6944664516")  # the first order, then the one sent again
    assert orders.index("7 orders placed twice") < orders.index("orders still of unknown outcome")
    assert orders.index("still of unknown outcome") < orders.index(">absent<")


def test_findings_name_the_evidence_of_their_own_window(sample_load):
    import toolkit
    from toolkit.analysis import FINDINGS, findings

    df = sample_load.frame
    incidents = toolkit.find_incidents(df)
    table = findings(df, incidents)
    assert list(table.columns) == FINDINGS and len(table) == len(incidents) == 9
    by = {(r.market, r.finding.split(":")[0], r.when[:3]): r for r in table.itertuples()}
    assert "the bot sent 13.0 calls/s (peak 25 in one second)" in by["spot", "rate_limit", "Mon"].evidence
    assert "client clock of futures-arb and futures-gateway was 32–59 s ahead" in by["futures", "auth", "Tue"].evidence
    assert "the clock offset was not recorded" in by["spot", "auth", "Tue"].evidence
    assert "retrying cannot fix (insufficient_margin)" in by["futures", "insufficient_funds", "Thu"].evidence
    assert by["futures", "rate_limit", "Sat"].impact == "6,518 of 8,481 calls failed (77%; baseline 2.1%)"
    # no figure is borrowed from another day: the outage, the network failure and the clock drift carry no rate peak
    for key in (("spot", "server_error", "Wed"), ("spot", "transport", "Fri"), ("futures", "auth", "Tue")):
        assert "against a limit" not in by[key].evidence, by[key].evidence
    assert [r.cause for r in table.itertuples()] == [str(c) for c in incidents["cause"]]
    assert findings(df, incidents.iloc[:0]).empty


def test_styled_formats_times_rates_and_escapes_text():
    from toolkit.report import styled

    t = pd.DataFrame({"start": pd.to_datetime(["2026-11-16 21:20"], utc=True), "error_rate": [0.5],
                      "latency": [12.345], "calls": [1234], "pattern": ["<b>x</b>"]})
    page = styled(t).to_html()
    assert "Mon 16 Nov 21:20" in page and "50.0%" in page and "12.3" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_a_cell_that_runs_too_long_is_a_clean_error(tmp_path, capfd):
    import nbformat

    slow = tmp_path / "slow.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    parameters = nbformat.v4.new_code_cell("source = start = end = market = title = None",
                                           metadata={"tags": ["parameters"]})
    nb.cells = [parameters, nbformat.v4.new_code_cell("import time; time.sleep(30)")]
    nbformat.write(nb, slow)
    out = tmp_path / "page.html"
    with pytest.raises(ReportError, match="a cell of the post-mortem notebook ran longer than 2 s"):
        build_report(SAMPLE, out, notebook=slow, timeout=2)
    assert not out.exists()


def test_report_tables_wrap_inside_the_page():
    """A long message or pattern wraps in its cell: the page's last word on table cells lets them break anywhere."""
    import nbformat

    from toolkit.report import styled, to_html

    long = "order rejected: " + "x" * 300  # one unbreakable token, far wider than the page
    top = pd.DataFrame({"count": [3], "share": [0.5], "first": pd.to_datetime(["2026-11-16 21:20"], utc=True),
                        "pattern": [long]})
    output = nbformat.v4.new_output("display_data", data={"text/html": styled(top).to_html()})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("display(styled(top))", outputs=[output])]
    page = re.sub(r"/\*.*?\*/", "", to_html(nb, "Tables"), flags=re.S)  # without the CSS comments
    rules = [(m.start(), m.group(1), m.group(2)) for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", page)]
    cells = [(at, body) for at, selectors, body in rules
             if any(s.strip() == ".jp-RenderedHTMLCommon td" for s in selectors.split(","))]
    lab = page.index("table-layout: fixed")  # the lab stylesheet's table rule
    wrap = [at for at, body in cells if re.search(r"overflow-wrap:\s*anywhere", body)]
    assert wrap and wrap[-1] > lab  # after the lab stylesheet, so it is not overridden
    assert not any(re.search(r"overflow-wrap|white-space:\s*nowrap|max-width", body) for at, body in cells
                   if at > wrap[-1])
    assert any(re.search(r"max-width:\s*100%", body) for at, selectors, body in rules
               if selectors.strip() == ".jp-RenderedHTMLCommon table" and at > lab)
    # the long cell has no rule of its own that keeps it on one line (the time cell has: times never break)
    cell_id = re.search(r'<td [^>]*id="(\w+)"[^>]*>order rejected: x+</td>', page).group(1)
    time_id = re.search(r'<td [^>]*id="(\w+)"[^>]*>Mon 16 Nov 21:20</td>', page).group(1)
    own = lambda i: " ".join(body for _, selectors, body in rules if f"#{i}" in selectors)  # noqa: E731
    assert "nowrap" not in own(cell_id) and "nowrap" in own(time_id)


def test_names_and_paths_break_only_after_underscores_and_slashes():
    """A category or an endpoint never splits mid-word ("server_erro|r"); it may break after "_" or "/"."""
    from toolkit.report import styled

    incidents = pd.DataFrame({"category": ["server_error", "insufficient_funds"],
                              "top_endpoint": ["/api/v1/stock/open-api/depth", "/api/v1/futures/open-api/order/create"],
                              "message": ["余额不足 insufficient balance", "K-line service unavailable"]})
    page = styled(incidents).to_html()
    assert ">server_<wbr>error</td>" in page and ">insufficient_<wbr>funds</td>" in page
    assert ">/api/<wbr>v1/<wbr>stock/<wbr>open-api/<wbr>depth</td>" in page  # not before the leading slash
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", page)
    ids = {text: i for i, text in re.findall(r'<td [^>]*id="(\w+)"[^>]*>(.*?)</td>', page)}
    own = lambda text: " ".join(body for selectors, body in rules if f"#{ids[text]}" in selectors)  # noqa: E731
    assert "overflow-wrap: normal" in own("server_<wbr>error")
    assert "overflow-wrap" not in own("K-line service unavailable")  # prose breaks as the page's rule says


def test_a_column_with_no_value_in_any_row_is_left_out():
    table = pd.DataFrame({"order_id": ["881", "882"], "client_oid": [None, None], "price": [pd.NA, "1.5"]})
    page = styled(table).to_html()
    assert "client_" not in page and "order_<wbr>id" in page and "price" in page  # (headers break at "_")
    assert "client_<wbr>oid" in styled(table, drop_empty=False).to_html()

