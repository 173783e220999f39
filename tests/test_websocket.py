"""WebSocket recordings of every tool's shape read into sessions, streams, stale streams, sequence gaps and
reconnect bursts, each file against what its feed planted (``tests/data/websocket/expected.json``, written by
``tests/wscorpus.py`` from the feeds and what each shape can carry)."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from toolkit.schema import WS_COLUMNS, WS_DTYPES

from tests import wscorpus

DATA = Path(__file__).parent / "data" / "websocket"
EXPECTED = json.loads((DATA / "expected.json").read_text())
REAL = Path(__file__).parents[2] / "shared" / "realworld" / "corpus" / "mitmproxy-websocket.har"


def read(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no file of the corpus has a reject
        return toolkit.read_logs(path, **kwargs)


def shown(path) -> dict:
    """What the analysis says of one file, in the terms of ``expected.json``."""
    ws = read(path).websocket
    sessions = toolkit.ws_sessions(ws)
    index = {c: i for i, c in enumerate(sessions["connection"])}
    streams = toolkit.ws_streams(ws)
    pushed = streams[streams["messages"] > 0]
    per = [{} for _ in index]
    for r in pushed.itertuples():
        per[index[r.connection]]["" if pd.isna(r.stream) else r.stream] = r.messages
    unacked = streams[streams["subscribed"].notna() & streams["acked"].eq(False).fillna(False)]
    stale = toolkit.stale_streams(ws)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "sessions": [{"close_code": None if pd.isna(c) else int(c), "closed_by": b}
                     for c, b in zip(sessions["close_code"], sessions["closed_by"])],
        "handshake_failed": int((ws["kind"] == "handshake_failed").sum()),
        "streams": per,
        "stale": [[index[r.connection], r.stream, iso(r.start), iso(r.end)] for r in stale.itertuples()],
        "gaps": [[index[r.connection], r.stream, r.expected, r.got] for r in toolkit.sequence_gaps(ws).itertuples()],
        "unacked": [[index[r.connection], r.stream] for r in unacked.itertuples()],
        "unanswered_pings": sessions["unanswered_pings"].tolist(),
        "reconnects": [{"attempts": r.attempts, "opened": r.opened, "failed": r.failed}
                       for r in toolkit.reconnects(ws).itertuples()],
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_file_of_the_corpus_shows_what_was_planted_and_nothing_else(name):
    assert shown(DATA / name) == EXPECTED[name]


def test_the_corpus_is_what_its_writers_write(tmp_path):
    """The fixtures are the writers' output (regenerate with ``python -m tests.wscorpus tests/data/websocket``)."""
    wscorpus.write(tmp_path)
    for name in EXPECTED:
        a, b = (p.read_bytes() for p in (tmp_path / name, DATA / name))
        if name.endswith(".gz"):
            a, b = gzip.decompress(a), gzip.decompress(b)
        assert a == b, name
    assert json.loads((tmp_path / "expected.json").read_text()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_line_or_frame_is_a_row_a_reject_or_a_counted_skip(name):
    load = read(DATA / name)
    report = load.report.iloc[0]
    assert report["frames"] == len(load.websocket) > 0
    assert load.lines == report["rows"] + report["rejects"] + report["skipped"] + load._files[0].ws_units
    if name.endswith(".log"):  # every non-blank line is accounted for once
        text = (DATA / name).read_text().splitlines()
        assert load.lines == sum(1 for t in text if t.strip())
    assert list(load.websocket.columns) == WS_COLUMNS
    assert load.websocket.dtypes.astype(str).to_dict() == {c: str(d) for c, d in WS_DTYPES.items()}


def test_a_folder_mixes_rest_and_websocket_recordings():
    load = read(sorted(p for p in DATA.iterdir() if p.name != "expected.json"))
    assert set(load.report["format"]) == {"har", "jsonl", "wslog"}
    assert load.report["frames"].sum() == len(load.websocket)
    assert sorted(load.frame["path"].astype(str)) == ["/api/v1/futures/ws", "/api/v1/stock/open-api/order"]
    # connections are unique within the load, and the load's frames are in time order
    assert load.websocket.groupby("connection", observed=True)["source"].nunique().max() == 1
    assert load.websocket["ts"].is_monotonic_increasing
    assert set(load.websocket["market"]) == {"spot", "futures"}
    assert set(load.websocket["bot"]) >= {"spot-mm", "chrome-spot", "hummingbot-spot"}


def test_a_refused_upgrade_is_a_rest_row_and_a_handshake_failed_row():
    load = read(DATA / "mitmproxy-futures.har")
    assert load.frame["http_status"].tolist() == [502]
    failed = load.websocket[load.websocket["kind"] == "handshake_failed"]
    assert failed["status"].tolist() == [502] and failed["line"].tolist() == load.frame["line"].tolist()


def test_what_a_shape_cannot_show_stays_na():
    har = read(DATA / "chrome-spot.har").websocket
    assert har["close_code"].isna().all() and not (har["kind"] == "close").any()
    sessions = toolkit.ws_sessions(har)
    assert sessions["closed"].isna().all() and set(sessions["closed_by"]) == {"unknown"}
    cut = read(DATA / "websockets-spot.log").websocket
    books = cut[(cut["kind"] == "data") & cut["stream"].isna()]
    assert len(books) == 232 and books["first_seq"].isna().all()  # cut past 75 characters: no symbol, no U/u
    assert books["event_ts"].notna().all()  # the tail keeps the exchange's time


def test_latency_is_receive_minus_the_exchange_time():
    ws = read(DATA / "recorder-spot.jsonl").websocket
    tickers = ws[(ws["stream"] == "BTCUSDT@ticker") & (ws["kind"] == "data")]
    assert (tickers["latency_ms"] == 20.0).all()  # the feed stamps E 20 ms before it arrives
    assert toolkit.ws_streams(ws)["latency_ms_median"].dropna().tolist() == [20.0, 15.0, 10.0, 20.0]


def test_secrets_in_websocket_urls_are_masked():
    if not REAL.exists():
        pytest.skip("the shared corpus is not here")
    load = read(REAL)
    urls = set(load.websocket["url"].astype(str))
    assert all("VCXCEuvh" not in u for u in urls) and any("api_key=***" in u for u in urls)
    assert load.report["frames"].tolist() == [8] and load.skips.empty


def test_the_analysis_keeps_to_the_window_and_refuses_bad_parameters():
    ws = read(DATA / "recorder-spot.jsonl").websocket
    first = toolkit.ws_sessions(ws, end="2026-03-02 08:17:02.500")  # the first session closed at 08:17:02.201
    assert len(first) == 1 and first["close_code"].tolist() == [1012]
    assert toolkit.ws_sessions(ws, market="futures").empty
    with pytest.raises(toolkit.ParameterError, match="min_silence must be a positive duration"):
        toolkit.stale_streams(ws, min_silence=10)
    with pytest.raises(toolkit.ParameterError, match=r"ws_sessions\(\) needs the column"):
        toolkit.ws_sessions(pd.DataFrame({"ts": []}))


def test_the_report_has_a_websocket_section_and_counts_feed_drops_in_whose_fault(tmp_path):
    from toolkit.report import build_report

    page = build_report(sorted(p for p in DATA.iterdir() if p.name != "expected.json"), tmp_path / "pm.html")
    text = page.read_text()
    assert "WebSocket feeds" in text and "Reconnect storms" in text and "Stale streams" in text
    assert "Market-data feed drops, and whose fault each was" in text
    assert "ETHUSDT@book_" in text  # the stale stream is listed (the page may break the name after "_")


def test_a_feed_drop_with_rest_5xx_around_it_is_the_exchanges():
    ws = read(DATA / "recorder-spot.jsonl").websocket
    alone = toolkit.feed_drops(ws)
    assert alone[["close_code", "closed_by", "side"]].values.tolist() == [[1012, "server", "exchange"],
                                                                        [1006, "network", "network"]]
    calls = pd.DataFrame({"ts": pd.to_datetime(["2026-03-02 08:18:20", "2026-03-02 08:18:25"], utc=True),
                          "market": ["spot", "futures"], "category": ["server_error", "server_error"]})
    both = toolkit.feed_drops(ws, calls)
    assert both["rest_5xx"].tolist() == [0, 1] and both["side"].tolist() == ["exchange", "exchange"]


def test_the_explorer_lists_the_sessions_in_view():
    load = read(sorted(p for p in DATA.iterdir() if p.name != "expected.json"))
    app = toolkit.widgets.explore(load.frame, ws=load.websocket, debounce="0s")
    try:
        assert set(app.sessions["market"]) == {"spot", "futures"}
        assert "WebSocket sessions in view" in str([w.value for w in app.children if hasattr(w, "children")
                                                   for w in w.children if hasattr(w, "value")])
        app.market.value = "futures"
        app.redraw()
        # the view ends at the last REST call (09:01:32): the futures sessions that had frames before it
        assert set(app.sessions["close_code"].dropna()) == {1001}
        assert "1001" in app.sessions_table.value and "server" in app.sessions_table.value
    finally:
        app.close()
    plain = toolkit.widgets.explore(load.frame, debounce="0s")
    try:
        assert plain.sessions is None and plain.sessions_table is None
    finally:
        plain.close()


# -- any input: no exception but the documented ones, every line accounted for, no planted secret --------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
PAYLOAD = st.one_of(ANY_TEXT, st.builds(json.dumps, st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["action", "event", "result", "data", "s", "U", "u", "t", "E", "streams", "channel",
                         "stream", "message", "time", "timestamp"]), inner, max_size=4), max_leaves=8)))
PLANTED = "sk-PLANTED-7f3a9c"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["send", "receive", "error", 7]), PAYLOAD,
                          st.sampled_from([1772439302.5, 1772439302417.0, -1, "x"]), st.sampled_from([1, 2, None])),
                max_size=6))
def test_any_har_frames_are_rows_rejects_or_skips_and_keep_no_secret(tmp_path_factory, frames):
    path = tmp_path_factory.mktemp("har") / "x.har"
    entry = {"startedDateTime": "2026-03-02T08:15:02.000Z", "_resourceType": "websocket",
             "request": {"method": "GET", "url": f"wss://h/api/v1/spot/ws?token={PLANTED}", "headers": []},
             "response": {"status": 101, "headers": []},
             "_webSocketMessages": [{"type": k, "data": d, "time": t, "opcode": o} for k, d, t, o in frames]}
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load = toolkit.read_logs(path)
    assert load.lines == 1 + len(frames) == len(load.websocket) + len(load.rejects)
    assert PLANTED not in load.websocket.astype(str).to_string()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["> TEXT ", "< TEXT ", "< CLOSE ", "= connection is ", "connecting to ",
                                           "++Rcv decoded: fin=1 opcode=1 data=", "message ", "sending "]),
                          PAYLOAD), min_size=1, max_size=8))
def test_any_websocket_log_lines_are_rows_rejects_or_skips(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("log") / "x.log"
    text = "".join(f"2026-03-02 08:15:02,{i:03d} {head}{body!r} [9 bytes] {PLANTED}\n"
                   for i, (head, body) in enumerate(lines))
    path.write_text("2026-03-02 08:15:01,000 = connection is OPEN\n" + text.replace("\r", " "))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load = toolkit.read_logs(path, format="wslog")
    assert load.lines == len([t for t in path.read_text().splitlines() if t.strip()])
    assert PLANTED not in load.websocket.astype(str).to_string()


def test_a_store_keeps_the_rest_calls_of_websocket_recordings(tmp_path):
    files = sorted(p for p in DATA.iterdir() if p.name != "expected.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        toolkit.store.ingest(files, tmp_path / "store")
    stored = toolkit.load_logs(tmp_path / "store")
    assert sorted(stored["path"].astype(str)) == sorted(read(files).frame["path"].astype(str))
    assert "wslog" in set(toolkit.read_logs(tmp_path / "store").report["format"].astype(str))
