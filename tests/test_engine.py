"""One parsing engine behind read_logs, the store's ingest, toolkit.dask and scrub.

Whoever is given a parameter checks it the same way and says the same thing about a bad one, and a piece
of a file parsed on its own numbers its lines as the whole file does.
"""

import pickle
import re
import warnings

import pytest

import toolkit
import toolkit.dask
from tests.conftest import FUTURES, SPOT, call, jsonl
from toolkit.errors import ParameterError
from toolkit.read.engine import parse, read_options, sniff

LAYOUT = r"(?P<method>[A-Z]+) (?P<url>\S+) (?P<status>\d{3}) at (?P<ts>\S+)"
LINES = [f"GET /api/v1/stock/open-api/order?apiKey=ak-{i} {200 if i % 2 else 429} at 2026-11-20T21:05:0{i}Z"
         for i in range(4)]


def callers(path, tmp_path):
    """Each front end given the same parsing parameters."""
    return {
        "read_logs": lambda **kw: toolkit.read_logs(path, **kw),
        "ingest": lambda **kw: toolkit.store.ingest(path, tmp_path / "store", **kw),
        "dask": lambda **kw: toolkit.dask.read_logs(path, **kw),
        "scrub": lambda **kw: toolkit.scrub(path, tmp_path / "out.jsonl", **kw),
    }


@pytest.mark.parametrize("bad, words", [
    ({"format": "csv"}, "format must be 'auto' or one of ['har', 'jsonl', 'text', 'vcr', 'wslog'], not 'csv'"),
    ({"format": "har", "pattern": LAYOUT}, "pattern applies to text logs; it cannot be used with format='har'"),
    ({"pattern": r"(?P<when>\S+)"}, "pattern has unknown named groups ['when']"),
    ({"pattern": "("}, "pattern is not a valid regex"),
])
def test_a_bad_parameter_is_refused_in_the_same_words_everywhere(tmp_path, bad, words):
    path = jsonl(tmp_path / "calls.jsonl", call())
    for name, run in callers(path, tmp_path).items():
        with pytest.raises(ParameterError, match=re.escape(words)):
            run(**bad)
    assert not (tmp_path / "store").exists() and not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("bad, words", [
    ({"errors": "ignore"}, "errors must be 'report' or 'raise', not 'ignore'"),
    ({"market_rules": {"margin": "x"}}, "market_rules keys must be 'spot' or 'futures', not 'margin'"),
    ({"market_rules": {"spot": "("}}, "market_rules['spot'] is not a valid regex"),
])
def test_loader_store_and_dask_share_errors_and_market_rules(tmp_path, bad, words):
    path = jsonl(tmp_path / "calls.jsonl", call())
    for name, run in callers(path, tmp_path).items():
        if name == "scrub":
            continue  # scrub masks secrets; it neither rejects lines nor tags markets
        with pytest.raises(ParameterError, match=re.escape(words)):
            run(**bad)


def test_damaged_gzip_is_refused_in_the_same_words_everywhere(tmp_path):
    whole = jsonl(tmp_path / "whole.jsonl.gz", *[call() for _ in range(200)], gz=True).read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    for name, run in callers(path, tmp_path).items():
        with pytest.raises(toolkit.LogFormatError, match=r"cut\.jsonl\.gz: compressed data is cut short"):
            run(**({"errors": "raise"} if name == "ingest" else {}))
    assert not (tmp_path / "out.jsonl").exists()


def test_options_travel_to_other_processes():
    options = read_options(market_rules={"futures": "fapi"}, pattern=LAYOUT, errors="raise")
    again = pickle.loads(pickle.dumps(options))
    assert again == options
    assert again.pattern.pattern == LAYOUT and again.rules[0][0].pattern == "fapi"


def test_a_piece_parsed_alone_numbers_its_lines_after_those_before_it(tmp_path):
    records = [call(SPOT if i % 3 else FUTURES, status=200 if i % 4 else 503) for i in range(12)]
    path = jsonl(tmp_path / "calls.jsonl", *records[:5], b"not json", *records[5:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        whole = toolkit.read_logs(path)
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    options = read_options()
    first = parse(path, options, byte_range=(0, cut))
    second = parse(path, options, start_line=first.last_line, byte_range=(cut, len(data)))
    assert first.last_line + second.rows + len(second.rejects) == second.last_line == 13
    lines = [int(n) for piece in (first, second) for f in piece.frames for n in f["line"]]
    assert lines == whole.frame["line"].tolist()
    assert [ln for piece in (first, second) for ln, _, _ in piece.rejects] == whole.rejects["line"].tolist() == [6]


def test_parse_tags_rows_with_the_name_given_for_bytes():
    result = parse(b'{"ts": 1764000000, "url": "/api/v1/stock/open-api/order", "status": 200}\n',
                   read_options(format="jsonl"), name="bot.jsonl", start_line=99)
    assert result.source == "bot.jsonl" and result.frames[0]["line"].tolist() == [100]
    assert str(result.frames[0]["source"][0]) == "bot.jsonl"


def test_scrub_tells_a_text_log_by_the_pattern_the_loader_reads_it_with(tmp_path):
    path = tmp_path / "calls.jsonl"  # a misleading name: only the pattern shows it is a text log
    path.write_text("\n".join(LINES) + "\n")
    assert sniff(path.read_bytes(), path.name) == "jsonl"
    assert sniff(path.read_bytes(), path.name, read_options(pattern=LAYOUT)) == "text"
    assert toolkit.load_logs(path, pattern=LAYOUT)["http_status"].tolist() == [429, 200, 429, 200]
    done = toolkit.scrub(path, tmp_path / "clean.jsonl", pattern=LAYOUT)
    assert done.format == "text" and done.replaced == 4
    assert "ak-" not in (tmp_path / "clean.jsonl").read_text()
