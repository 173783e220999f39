"""The Parquet store: ingest (incremental, idempotent, interrupted, locked, disk full), reading back, repair."""

import errno
import gzip
import itertools
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest

import toolkit
import toolkit.cli
from tests.conftest import FUTURES, ROOT, SAMPLE, SPOT, call, jsonl

DATA = ROOT / "tests" / "data"
from toolkit.store import _ingest, _manifest, _parts

PY = sys.executable


def ingest(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        warnings.simplefilter("ignore", toolkit.store.IngestWarning)
        return toolkit.store.ingest(*args, **kw)


def loaded(source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(source, **kw)


def by_time(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in the store's order: time, then source (as text), then line."""
    key = df.assign(_s=df["source"].astype(str))
    return df.loc[key.sort_values(["ts", "_s", "line"], kind="stable").index].reset_index(drop=True)


def assert_frames(a: pd.DataFrame, b: pd.DataFrame):
    # path/endpoint/source categories depend on the data read, so only their values must agree;
    # check_exact also keeps pandas from comparing categoricals value by value in Python
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_categorical=False)


def assert_same_calls(a: pd.DataFrame, b: pd.DataFrame):
    assert list(a.columns) == toolkit.COLUMNS and list(b.columns) == toolkit.COLUMNS
    assert_frames(by_time(a), by_time(b))


def partitions(store) -> dict:
    """{(date, market): rows} as the manifest lists them."""
    out = {}
    for p in _manifest.parts(_manifest.Store(store).read_manifest()):
        out[p["date"], p["market"]] = out.get((p["date"], p["market"]), 0) + p["rows"]
    return out


def records(n, start="2026-11-20T00:00:00", step="7min", bad_every=0):
    """n flat records, alternating markets, a reject every ``bad_every`` lines."""
    out = []
    for i, t in enumerate(pd.date_range(start, periods=n, freq=step)):
        if bad_every and i % bad_every == bad_every - 1:
            out.append(b'{"ts": "2026-11-20T00:00:00Z", "url": 42}')
            continue
        status = 429 if i % 5 == 0 else 200
        body = {"code": 429, "message": "Rate limit exceeded"} if status == 429 else None
        out.append(call(SPOT if i % 2 else FUTURES, status, body, ts=t.isoformat() + "Z", elapsed_ms=10.0 + i))
    return out


def lines_of(records) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


@pytest.fixture
def small_units(monkeypatch):
    """Commit a unit every ~2 KiB, so small files make several units."""
    monkeypatch.setattr(_ingest, "UNIT", 2048)


# -- the sample: in halves and whole ------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """The bundled sample ingested once, whole."""
    store = tmp_path_factory.mktemp("sample") / "store"
    ingest(SAMPLE, store)
    return store


def test_sample_in_two_halves_equals_once_whole(tmp_path, sample_store, monkeypatch):
    monkeypatch.setattr(_ingest, "UNIT", 4 << 20)  # several units per half, line numbers carried across
    rec = tmp_path / "rec"
    rec.mkdir()
    halves = {}
    for f in sorted(SAMPLE.glob("*.jsonl.gz")):
        data = gzip.decompress(f.read_bytes())
        cut = data.index(b"\n", len(data) // 2) + 1
        halves[rec / f.name.removesuffix(".gz")] = (data[:cut], data[cut:])
    for path, (first, _) in halves.items():
        path.write_bytes(first)
    halved = tmp_path / "halved"
    first_run = ingest(rec, halved)
    assert first_run.report["status"].tolist() == ["new"] * 3
    for path, (_, second) in halves.items():
        with open(path, "ab") as f:
            f.write(second)
    second_run = ingest(rec, halved)
    assert second_run.report["status"].tolist() == ["appended"] * 3
    whole = tmp_path / "whole"
    ingest(rec, whole)

    a, b = toolkit.load_logs(halved), toolkit.load_logs(whole)
    assert_frames(a, b)
    assert partitions(halved) == partitions(whole)
    assert len(partitions(whole)) == 14  # 7 days x 2 markets
    pd.testing.assert_frame_equal(toolkit.read_logs(halved).report, toolkit.read_logs(whole).report)
    # ... and to the store of the original gzip files (itself equal to the loader's frame), but for the source names
    c = toolkit.load_logs(sample_store)
    assert len(c) == len(a)
    assert_frames(a.drop(columns="source"), c.drop(columns="source"))


def test_sample_files_one_then_both_equals_both_at_once(tmp_path, sample_store):
    store = tmp_path / "store"
    ingest(SAMPLE / "spot-bot.jsonl.gz", store)
    second = ingest(SAMPLE, store)
    assert dict(zip(second.report["source"].map(lambda s: Path(s).name), second.report["status"])) == {
        "spot-bot.jsonl.gz": "unchanged", "futures-gateway.jsonl.gz": "new", "futures-arb.jsonl.gz": "new"}
    assert_frames(toolkit.load_logs(store), toolkit.load_logs(sample_store))
    assert partitions(store) == partitions(sample_store)


def test_store_reads_back_the_loaders_frame(sample_store, sample_load):
    df = toolkit.load_logs(sample_store)
    assert list(df.columns) == toolkit.COLUMNS
    expected = toolkit.schema.empty_frame().dtypes
    for c in toolkit.COLUMNS:
        if c in toolkit.schema.DATA_CATEGORIES:
            assert isinstance(df[c].dtype, pd.CategoricalDtype) and df[c].cat.categories.dtype == "string", c
        else:
            assert df[c].dtype == expected[c], c
    assert isinstance(df.index, pd.RangeIndex) and df["ts"].is_monotonic_increasing
    assert_same_calls(df, sample_load.frame)


def test_ingest_again_adds_nothing(tmp_path, sample_store):
    manifest = (sample_store / ".toolkit" / "manifest.json").read_bytes()
    files = sorted(p for p in sample_store.rglob("*.parquet"))
    again = ingest(SAMPLE, sample_store)
    assert again.report["status"].tolist() == ["unchanged"] * 3 and again.rows == 0
    assert (sample_store / ".toolkit" / "manifest.json").read_bytes() == manifest
    assert sorted(sample_store.rglob("*.parquet")) == files


# -- growing logs ----------------------------------------------------------------------------------

def test_appended_lines_continue_the_numbering_and_rejects(tmp_path, small_units):
    log = tmp_path / "bot.jsonl"
    recs = records(60, bad_every=7)
    log.write_bytes(lines_of(recs[:25]))
    store = tmp_path / "store"
    assert ingest(log, store).report["rows"].tolist() == [22]
    with open(log, "ab") as f:
        f.write(b"\n")  # a blank line counts in the numbering
        f.write(lines_of(recs[25:]))
    run = ingest(log, store)
    assert run.report[["status", "rows", "rejects"]].values.tolist() == [["appended", 30, 5]]
    load = toolkit.read_logs(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        raw = toolkit.read_logs(str(log))
    assert_same_calls(load.frame, raw.frame)
    pd.testing.assert_frame_equal(load.rejects, raw.rejects)
    assert load.rejects["line"].tolist() == [7, 14, 21, 29, 36, 43, 50, 57]
    assert load.lines == raw.lines == 60
    assert len(_manifest.Store(store).read_manifest()["sources"][str(log)]["units"]) > 2


def test_a_unit_is_written_while_the_next_one_is_parsed(tmp_path, monkeypatch):
    import threading

    monkeypatch.setattr(_ingest, "UNIT", 20_000)
    log = tmp_path / "bot.jsonl"
    log.write_bytes(lines_of(records(400, bad_every=13)))
    parsed, second_parsed, overlapped = [], threading.Event(), []
    real_parse, real_write = _ingest.parse, _ingest.write_units

    def parse(*args, **kwargs):
        parsed.append(real_parse(*args, **kwargs))
        if len(parsed) == 2:
            second_parsed.set()
        return parsed[-1]

    def write_units(store, members, settings):
        if members[0].result is parsed[0]:  # the first unit's write waits (10 s at most) for the second's parse
            overlapped.append(second_parsed.wait(10))
        return real_write(store, members, settings)

    monkeypatch.setattr(_ingest, "parse", parse)
    monkeypatch.setattr(_ingest, "write_units", write_units)
    store = tmp_path / "store"
    got = ingest(log, store)
    assert overlapped == [True] and len(parsed) > 2
    units = _manifest.Store(store).read_manifest()["sources"][str(log)]["units"]
    assert [u["line_start"] for u in units[1:]] == [u["line_end"] for u in units[:-1]]  # committed in order
    load, raw = toolkit.read_logs(store), loaded(log)
    assert_same_calls(load.frame, raw.frame)
    pd.testing.assert_frame_equal(load.rejects, raw.rejects)
    assert got.report["rows"].sum() == len(raw.frame)


def test_big_units_are_parsed_in_parallel_byte_ranges(tmp_path, monkeypatch):
    from toolkit.read import _pool

    monkeypatch.setattr(_ingest, "UNIT", 20_000)
    monkeypatch.setattr(_pool, "CHUNK", 3_000)  # several ranges per unit, parsed by the worker processes
    monkeypatch.setattr(_pool, "WORKERS", 2)
    log = tmp_path / "bot.jsonl"
    recs = records(400, bad_every=13)
    log.write_bytes(lines_of(recs[:150]) + b"\n\n")
    store = tmp_path / "store"
    ingest(log, store)
    with open(log, "ab") as f:
        f.write(lines_of(recs[150:]))
    ingest(log, store)
    assert len(_manifest.Store(store).read_manifest()["sources"][str(log)]["units"]) > 3
    load, raw = toolkit.read_logs(store), loaded(str(log))
    assert_same_calls(load.frame, raw.frame)
    pd.testing.assert_frame_equal(load.rejects, raw.rejects)


def test_an_unfinished_last_line_waits_for_its_newline(tmp_path):
    log = tmp_path / "bot.jsonl"
    recs = records(4)
    text = lines_of(recs)
    log.write_bytes(text[:-20])  # the logger is half way through line 4
    store = tmp_path / "store"
    first = ingest(log, store)
    done = len(lines_of(recs[:3]))
    assert first.report[["rows", "bytes", "pending"]].values.tolist() == [[3, done, len(text) - 20 - done]]
    assert toolkit.read_logs(store).rejects.empty
    assert ingest(log, store).report["status"].tolist() == ["unchanged"]
    log.write_bytes(text)
    assert ingest(log, store).report[["status", "rows", "pending"]].values.tolist() == [["appended", 1, 0]]
    assert_same_calls(toolkit.load_logs(store), toolkit.load_logs(str(log)))


def test_a_compressed_file_is_complete_without_a_last_newline(tmp_path):
    log = tmp_path / "bot.jsonl.gz"
    log.write_bytes(gzip.compress(lines_of(records(5)).rstrip(b"\n")))
    run = ingest(log, tmp_path / "store")
    assert run.report[["rows", "pending"]].values.tolist() == [[5, 0]]


def test_a_growing_compressed_log_reads_only_the_new_lines(tmp_path, small_units):
    log = tmp_path / "bot.jsonl.gz"
    recs = records(40)
    log.write_bytes(gzip.compress(lines_of(recs[:15])))
    store = tmp_path / "store"
    ingest(log, store)
    with open(log, "ab") as f:  # gzip members may follow each other
        f.write(gzip.compress(lines_of(recs[15:])))
    assert ingest(log, store).report[["status", "rows"]].values.tolist() == [["appended", 25]]
    assert_same_calls(toolkit.load_logs(store), toolkit.load_logs(str(log)))


@pytest.mark.parametrize("change", ["rewritten", "truncated", "head"])
def test_a_changed_recording_is_left_alone_and_reported(tmp_path, change):
    log = tmp_path / "bot.jsonl"
    recs = records(30)
    log.write_bytes(lines_of(recs[:20]))
    store = tmp_path / "store"
    ingest(log, store)
    before = toolkit.load_logs(store)
    if change == "rewritten":
        log.write_bytes(lines_of(records(25, start="2026-11-21")))
    elif change == "truncated":
        log.write_bytes(lines_of(recs[:10]))
    else:  # the start of the file changed, its length did not shrink
        data = lines_of(recs[:20]).replace(b"2026-11-20T00:00:00", b"2026-11-20T00:00:01", 1)
        log.write_bytes(data + lines_of(recs[20:]))
    with pytest.warns(toolkit.store.IngestWarning, match="changed since it was ingested"):
        run = toolkit.store.ingest(log, store)
    assert run.report[["status", "rows"]].values.tolist() == [["changed", 0]]
    assert_frames(toolkit.load_logs(store), before)


def test_a_recording_that_vanished_is_reported_and_its_rows_stay(tmp_path):
    rec = tmp_path / "rec"
    jsonl(rec / "a.jsonl", *records(5))
    jsonl(rec / "b.jsonl", *records(6, start="2026-11-21"))
    store = tmp_path / "store"
    ingest(rec, store)
    (rec / "a.jsonl").unlink()
    run = ingest(rec, store)
    assert dict(zip(run.report["source"].map(lambda s: Path(s).name), run.report["status"])) == {
        "a.jsonl": "gone", "b.jsonl": "unchanged"}
    assert len(toolkit.load_logs(store)) == 11


@pytest.fixture
def other_formats(tmp_path):
    """Copies of the HAR, VCR and text-log fixtures."""
    rec = tmp_path / "formats"
    rec.mkdir()
    for name in ("devtools.har", "cassette.yaml", "bot.log"):
        (rec / name).write_bytes((DATA / name).read_bytes())
    return rec


def test_every_format_the_loader_reads(tmp_path, other_formats):
    store = tmp_path / "store"
    run = ingest(other_formats, store)
    assert sorted(zip(run.report["format"], run.report["status"])) == [
        ("har", "new"), ("text", "new"), ("vcr", "new")]
    load, raw = toolkit.read_logs(store), loaded(other_formats)
    assert_same_calls(load.frame, raw.frame)
    pd.testing.assert_frame_equal(load.rejects, raw.rejects.sort_values(["source", "line"], ignore_index=True))
    pd.testing.assert_frame_equal(load.report, raw.report)
    assert load.lines == raw.lines


def test_a_document_format_goes_in_whole_once(tmp_path, other_formats):
    har = other_formats / "devtools.har"
    store = tmp_path / "store"
    ingest(har, store)
    rows = len(toolkit.load_logs(store))
    assert rows == len(loaded(har).frame) > 0
    os.utime(har)  # touched, same content
    assert ingest(har, store).report["status"].tolist() == ["unchanged"]
    doc = json.loads(har.read_text())
    doc["log"]["entries"].append(doc["log"]["entries"][0])
    har.write_text(json.dumps(doc))
    with pytest.warns(toolkit.store.IngestWarning, match="har recording is ingested whole, once"):
        run = toolkit.store.ingest(har, store)
    assert run.report["status"].tolist() == ["changed"]
    assert len(toolkit.load_logs(store)) == rows


def test_a_growing_text_log(tmp_path, small_units):
    log = tmp_path / "bot.log"
    data = (DATA / "bot.log").read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    log.write_bytes(data[:cut])
    store = tmp_path / "store"
    ingest(log, store)
    with open(log, "ab") as f:
        f.write(data[cut:])
    assert ingest(log, store).report["status"].tolist() == ["appended"]
    load, raw = toolkit.read_logs(store), loaded(log)
    assert_same_calls(load.frame, raw.frame)
    pd.testing.assert_frame_equal(load.report, raw.report)


def test_the_text_pattern_is_kept_by_the_store(tmp_path):
    pattern = (r"^(?P<ts>\d+\.\d+) \| (?P<method>[A-Z]+) (?P<url>\S+) \| (?:-|(?P<status>\S+)) \| "
               r"(?P<latency_ms>\d+) \| (?:(?P<body>\{.*\})|(?P<error>.*))$")
    lines = (DATA / "gateway.log").read_bytes().splitlines()
    first = jsonl(tmp_path / "a" / "gw1.log", *lines[:3])
    store = tmp_path / "store"
    ingest(first, store, pattern=pattern)
    second = jsonl(tmp_path / "a" / "gw2.log", *lines[3:])
    assert ingest(second, store).report["rows"].tolist() == [1]  # the store's pattern applies
    load, raw = toolkit.read_logs(store), loaded([first, second], pattern=pattern)
    assert_same_calls(load.frame, raw.frame)
    pd.testing.assert_frame_equal(load.rejects, raw.rejects)
    assert load.report["rows"].tolist() == [2, 1]
    with pytest.raises(ValueError, match="pattern must stay as the store was created"):
        ingest(second, store, pattern=r"(?P<ts>\S+) (?P<url>\S+)")


def test_the_json_lines_key_names_are_kept_by_the_store(tmp_path):
    fields = {"time": "started_at", "url": "request.uri", "status": "http_code"}
    rec = {"started_at": "2026-11-20T21:05:00Z", "request": {"uri": SPOT}, "http_code": 429}
    first = jsonl(tmp_path / "a" / "one.jsonl", rec)
    store = tmp_path / "store"
    assert ingest(first, store, fields=fields).report["rows"].tolist() == [1]
    second = jsonl(tmp_path / "a" / "two.jsonl", rec, {**rec, "http_code": 200})
    assert ingest(second, store).report["rows"].tolist() == [2]  # the store's key names apply
    assert_same_calls(toolkit.load_logs(store), toolkit.load_logs([first, second], fields=fields))
    with pytest.raises(toolkit.ParameterError, match="fields must stay as the store was created"):
        ingest(second, store, fields={"time": "ts"})
    with pytest.raises(toolkit.ParameterError, match="pass them to toolkit.store.ingest"):
        toolkit.load_logs(store, fields=fields)


# -- interrupted runs ------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["writing a part", "before the manifest"])
def test_an_interrupted_run_shows_nothing_partial_and_can_be_rerun(tmp_path, small_units, monkeypatch, where):
    log = jsonl(tmp_path / "bot.jsonl", *records(120, step="23min", bad_every=9))
    store = tmp_path / "store"
    calls = {"n": 0}
    if where == "writing a part":
        real = _parts.write_part

        def write_part(table, path, metadata=None):
            calls["n"] += 1
            if calls["n"] == 7:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).write_bytes(b"PAR1 half a file")
                raise KeyboardInterrupt
            return real(table, path, metadata)

        monkeypatch.setattr(_parts, "write_part", write_part)
    else:
        real = _manifest.Store.write_manifest

        def write_manifest(self, manifest):
            calls["n"] += 1
            if calls["n"] == 4:  # the parts of the 3rd unit are in place, the manifest not yet written
                raise KeyboardInterrupt
            return real(self, manifest)

        monkeypatch.setattr(_manifest.Store, "write_manifest", write_manifest)
    with pytest.raises(KeyboardInterrupt):
        ingest(log, store)
    monkeypatch.undo()
    monkeypatch.setattr(_ingest, "UNIT", 2048)

    seen = toolkit.read_logs(store)
    manifest = _manifest.Store(store).read_manifest()
    committed = manifest["sources"][str(log)]["units"]
    assert committed and manifest["sources"][str(log)]["size"] is None  # the file was not finished
    assert len(seen.frame) == sum(u["rows"] for u in committed)
    assert seen.frame["line"].max() <= committed[-1]["line_end"]
    assert len(seen.rejects) == sum(u["rejects"] for u in committed)
    listed = {p["path"] for p in _manifest.parts(manifest)} | {p["path"] for p in _manifest.reject_parts(manifest)}
    on_disk = {p.relative_to(store).as_posix() for p in store.glob("*/**/part-*.parquet")}
    if where == "before the manifest":
        assert on_disk - listed  # the moved parts of the interrupted unit: on disk, never read
    assert toolkit.store.query(store, "SELECT count(*) AS n FROM calls")["n"][0] == len(seen.frame)

    rerun = ingest(log, store)
    assert rerun.report["status"].tolist() == ["appended"]
    whole = tmp_path / "whole"
    ingest(log, whole)
    assert_frames(toolkit.load_logs(store), toolkit.load_logs(whole))
    pd.testing.assert_frame_equal(toolkit.read_logs(store).rejects, toolkit.read_logs(whole).rejects)
    on_disk = {p.relative_to(store).as_posix() for p in store.glob("*/**/part-*.parquet")}
    manifest = _manifest.Store(store).read_manifest()
    assert on_disk == {p["path"] for p in _manifest.parts(manifest)} | {
        p["path"] for p in _manifest.reject_parts(manifest)}
    assert not list((store / ".toolkit" / "staging").iterdir())


# -- a full disk -----------------------------------------------------------------------------------

def test_a_full_disk_stops_cleanly_keeping_what_was_committed(tmp_path, small_units, monkeypatch):
    log = jsonl(tmp_path / "bot.jsonl", *records(80, step="37min"))
    store = tmp_path / "store"
    real = _parts.write_part
    calls = {"n": 0}

    def write_part(table, path, metadata=None):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, path, metadata)

    monkeypatch.setattr(_parts, "write_part", write_part)
    with pytest.raises(toolkit.store.StoreError, match="no space left .* everything committed before stays"):
        ingest(log, store)
    monkeypatch.setattr(_parts, "write_part", real)
    kept = toolkit.load_logs(store)
    assert 0 < len(kept) < 80
    ingest(log, store)
    assert_same_calls(toolkit.load_logs(store), toolkit.load_logs(str(log)))


def test_a_full_disk_while_writing_the_manifest_loses_nothing(tmp_path, monkeypatch):
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "a.jsonl", *records(10)), store)
    before = toolkit.load_logs(store)
    import tempfile

    real_mkstemp = tempfile.mkstemp

    def full(*args, prefix="", **kw):  # the manifest's temporary file cannot be made: the disk is full
        if "manifest.json" in prefix:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mkstemp(*args, prefix=prefix, **kw)

    monkeypatch.setattr("toolkit._io.tempfile.mkstemp", full)
    with pytest.raises(toolkit.store.StoreError, match="writing the manifest"):
        ingest(jsonl(tmp_path / "b.jsonl", *records(10, start="2026-11-22")), store)
    monkeypatch.undo()
    assert_frames(toolkit.load_logs(store), before)
    assert ingest(tmp_path / "b.jsonl", store).report["status"].tolist() == ["new"]
    assert len(toolkit.load_logs(store)) == 20


def test_a_real_write_failure_in_another_process(tmp_path):
    """The OS refuses a write (file size limit, as a full disk would): a clear error, the store intact."""
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "small.jsonl", *records(10)), store)
    before = toolkit.load_logs(store)
    big = jsonl(tmp_path / "big.jsonl", *records(6000, step="13s"))
    code = textwrap.dedent(f"""
        import resource, signal, sys
        import toolkit.cli
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, 8_000))
        sys.exit(toolkit.cli.main(["ingest", {str(big)!r}, "--into", {str(store)!r}]))
    """)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2, done.stderr
    assert "no space left while writing the rows of" in done.stderr and "Traceback" not in done.stderr
    assert_frames(toolkit.load_logs(store), before)
    ingest(big, store)
    assert len(toolkit.load_logs(store)) == 6010


# -- two ingests at once ---------------------------------------------------------------------------

def _hold_lock(store, seconds):
    code = textwrap.dedent(f"""
        import time
        from toolkit.store._manifest import Store
        with Store({str(store)!r}).lock(wait=None):
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([PY, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_ingest_fails_clearly_or_waits(tmp_path):
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "a.jsonl", *records(5)), store)
    log = jsonl(tmp_path / "b.jsonl", *records(5, start="2026-11-22"))
    holder = _hold_lock(store, 1.5)
    try:
        with pytest.raises(toolkit.store.StoreLockedError, match="another ingest is writing to .*wait"):
            ingest(log, store)
        assert toolkit.cli.main(["ingest", str(log), "--into", str(store)]) == 2
        assert len(toolkit.load_logs(store)) == 5  # readers are not blocked
        run = ingest(log, store, wait="60s")
    finally:
        holder.wait(timeout=60)
    assert run.report["status"].tolist() == ["new"] and len(toolkit.load_logs(store)) == 10


def test_two_ingests_at_once_never_interleave(tmp_path):
    store = tmp_path / "store"
    logs = [jsonl(tmp_path / f"{i}.jsonl", *records(800, start=f"2026-11-{16 + i}", step="90s")) for i in range(4)]
    code = textwrap.dedent("""
        import sys, toolkit, toolkit.cli
        toolkit.store._ingest.UNIT = 20_000
        sys.exit(toolkit.cli.main(["ingest", *sys.argv[1:-1], "--into", sys.argv[-1], "--wait", "120"]))
    """)
    procs = [subprocess.Popen([PY, "-c", code, *map(str, files), str(store)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for files in (logs[:3], logs[1:])]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert_same_calls(toolkit.load_logs(store), toolkit.load_logs([str(p) for p in logs]))
    manifest = _manifest.Store(store).read_manifest()
    for src, entry in manifest["sources"].items():  # each file's units follow each other without gap or overlap
        ends = [(u["start"], u["end"]) for u in entry["units"]]
        assert ends[0][0] == 0 and all(a[1] == b[0] for a, b in itertools.pairwise(ends)), src


# -- damage: corrupt and missing parts -------------------------------------------------------------

@pytest.fixture
def week_store(tmp_path):
    rec = tmp_path / "rec"
    toolkit.simulate(rec, days=3, calls=3000)
    store = tmp_path / "store"
    ingest(rec, store)
    return store, rec


def _part(store, date, market):
    return next((store / "calls" / f"date={date}" / f"market={market}").glob("*.parquet"))


def test_filters_open_only_the_partitions_they_need(week_store):
    store, rec = week_store
    _part(store, "2026-11-16", "spot").write_bytes(b"not parquet at all")
    _part(store, "2026-11-17", "futures").unlink()
    df = toolkit.load_logs(store, start="2026-11-17", end="2026-11-18", market="spot")
    expected = toolkit.load_logs(str(rec), start="2026-11-17", end="2026-11-18", market="spot")
    assert len(df) > 100 and set(df["market"]) == {"spot"}
    assert_same_calls(df, expected)
    df = toolkit.load_logs(store, start="2026-11-18 06:00", market=["futures"])
    assert df["ts"].min() >= pd.Timestamp("2026-11-18 06:00", tz="UTC") and set(df["market"]) == {"futures"}
    assert_same_calls(df, toolkit.load_logs(str(rec), start="2026-11-18 06:00", market="futures"))
    with pytest.raises(toolkit.store.StoreError, match=r"market=spot/part-.*is unreadable.*repair"):
        toolkit.load_logs(store, end="2026-11-17")
    with pytest.raises(toolkit.store.StoreError, match=r"date=2026-11-17/market=futures/part-.*is missing"):
        toolkit.load_logs(store, market="futures")


@pytest.mark.parametrize("damage", ["corrupt", "missing", "truncated"])
def test_repair_sets_damaged_parts_aside_and_ingest_redoes_them(week_store, damage):
    store, rec = week_store
    original = toolkit.read_logs(store)
    part = _part(store, "2026-11-17", "spot")
    if damage == "corrupt":
        part.write_bytes(b"\0" * 2000)
    elif damage == "missing":
        part.unlink()
    else:
        part.write_bytes(part.read_bytes()[:-100])
    for read in (lambda: toolkit.load_logs(store), lambda: toolkit.store.query(store, "SELECT sum(latency_ms) FROM calls")):
        with pytest.raises(toolkit.store.StoreError, match=f"{part.parent.parent.name}/{part.parent.name}"):
            read()
    # the undamaged partitions still read
    assert len(toolkit.load_logs(store, start="2026-11-18")) == (original.frame["ts"] >= "2026-11-18").sum()
    dropped = toolkit.store.repair(store)
    assert dropped["recoverable"].all() and dropped["problem"].str.contains(part.name).any()
    assert len(toolkit.load_logs(store)) == len(original.frame) - dropped["rows"].sum()
    if damage != "missing":
        assert list((store / ".toolkit" / "quarantine").rglob(part.name))
    run = ingest(rec, store)
    assert run.rows == dropped["rows"].sum()
    again = toolkit.read_logs(store)
    assert_frames(again.frame, original.frame)
    pd.testing.assert_frame_equal(again.report, original.report)
    assert toolkit.store.repair(store).empty


def test_repair_says_when_the_recording_is_gone_too(tmp_path):
    log = jsonl(tmp_path / "bot.jsonl", *records(10))
    store = tmp_path / "store"
    ingest(log, store)
    next(store.glob("calls/**/*.parquet")).unlink()
    log.unlink()
    dropped = toolkit.store.repair(store)
    assert dropped["recoverable"].tolist() == [False]
    toolkit.load_logs(store)  # readable again


def test_a_damaged_manifest_is_a_clear_error(tmp_path):
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "a.jsonl", *records(3)), store)
    (store / ".toolkit" / "manifest.json").write_text("{ half")
    with pytest.raises(toolkit.store.StoreError, match="manifest.json is damaged"):
        toolkit.load_logs(store)
    with pytest.raises(toolkit.store.StoreError, match="manifest.json is damaged"):
        ingest(tmp_path / "a.jsonl", store)


# -- arguments -------------------------------------------------------------------------------------

def test_bad_arguments_are_clear_errors(tmp_path):
    log = jsonl(tmp_path / "a.jsonl", *records(3))
    store = tmp_path / "store"
    ingest(log, store)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(toolkit.store.StoreError, match="not empty and not a toolkit store"):
        ingest(log, tmp_path / "busy")
    with open(log) as f, pytest.raises(TypeError, match="by path"):
        ingest(f, tmp_path / "other")
    with pytest.raises(ValueError, match="market_rules must stay as the store was created"):
        ingest(log, store, market_rules={"spot": "stock"})
    with pytest.raises(ValueError, match="errors must be"):
        ingest(log, store, errors="ignore")
    with pytest.raises(ValueError, match="wait must be"):
        ingest(log, store, wait=-1)
    with pytest.raises(ValueError, match=r"start must be a time .* not 'soon'"):
        toolkit.load_logs(store, start="soon")
    with pytest.raises(ValueError, match="market must be one of"):
        toolkit.load_logs(store, market="options")
    with pytest.raises(toolkit.ParameterError, match="end must be after start"):
        toolkit.load_logs(store, start="2026-11-20", end="2026-11-19")
    with pytest.raises(ValueError, match="not a mix"):
        toolkit.load_logs([store, log])
    with pytest.raises(ValueError, match="pass them to toolkit.store.ingest"):
        toolkit.load_logs(store, market_rules={"spot": "x"})
    with pytest.raises(toolkit.store.StoreError, match="not a toolkit store"):
        toolkit.store.query(tmp_path, "SELECT 1")


def test_market_rules_are_kept_by_the_store(tmp_path):
    log = jsonl(tmp_path / "a.jsonl", call("https://api.example/fapi/v1/order"), call("https://api.example/other"))
    store = tmp_path / "store"
    ingest(log, store, market_rules={"futures": "fapi"})
    jsonl(tmp_path / "b.jsonl", call("https://api.example/fapi/v2/order"))
    ingest(tmp_path / "b.jsonl", store)  # the store's rules apply
    assert toolkit.load_logs(store)["market"].tolist() == ["futures", "unknown", "futures"]


def test_filters_on_recordings_apply_after_parsing(tmp_path):
    log = jsonl(tmp_path / "a.jsonl", *records(40, step="1h"))
    df = toolkit.load_logs(log, start="2026-11-20 10:00", end=pd.Timestamp("2026-11-20 20:00", tz="UTC"),
                           market="spot")
    assert len(df) == 5 and set(df["market"]) == {"spot"} and isinstance(df.index, pd.RangeIndex)
    load = toolkit.read_logs(log, market="futures")
    assert len(load.frame) == 20 and load.report["rows"].tolist() == [40]  # the report counts what was read


def test_stores_are_not_read_as_recordings(tmp_path, week_store):
    _, rec = week_store
    # a directory holding recordings and a store: the store's files are not taken for recordings
    assert_same_calls(toolkit.load_logs(tmp_path), toolkit.load_logs(rec))


def test_an_empty_store(tmp_path):
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "empty.jsonl"), store)
    df = toolkit.load_logs(store)
    assert df.empty and list(df.columns) == toolkit.COLUMNS
    assert toolkit.store.query(store, "SELECT count(*) AS n FROM calls")["n"].tolist() == [0]
    assert toolkit.store.read_rejects(store).empty


# -- SQL -------------------------------------------------------------------------------------------

def test_query_agrees_with_pandas(sample_store):
    df = toolkit.load_logs(sample_store)
    got = toolkit.store.query(sample_store, """
        SELECT market, category, count(*) AS calls, avg(latency_ms) AS latency, min(ts) AS first
        FROM calls WHERE ts >= ? GROUP BY ALL ORDER BY market, category""", ["2026-11-18"])
    sub = df[df["ts"] >= pd.Timestamp("2026-11-18", tz="UTC")]
    want = (sub.groupby([sub["market"].astype(str), sub["category"].astype(str)], observed=True)
            .agg(calls=("ts", "size"), latency=("latency_ms", "mean"), first=("ts", "min")).reset_index())
    assert got["market"].tolist() == want["market"].tolist() and got["category"].tolist() == want["category"].tolist()
    assert got["calls"].tolist() == want["calls"].tolist()
    assert (got["first"] == want["first"]).all() and str(got["first"].dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_series_equal(got["latency"].astype("float64"), want["latency"].astype("float64"),
                                   check_names=False, rtol=1e-9)
    assert (toolkit.store.query(sample_store, "SELECT * FROM calls LIMIT 0").columns.tolist() == toolkit.COLUMNS)


def test_query_sees_the_rejects(tmp_path):
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "a.jsonl", *records(20, bad_every=4)), store)
    got = toolkit.store.query(store, "SELECT line, reason FROM rejects ORDER BY line")
    assert got["line"].tolist() == [4, 8, 12, 16, 20] and got["reason"].str.contains("URL").all()


def test_secrets_stay_out_of_the_store(tmp_path):
    key, sign = "ak-live-3f9a2c7d1e", "c2lnbmF0dXJlLXNlY3JldA=="
    rec = call(request={"headers": {"ACCESS-KEY": key, "ACCESS-SIGN": sign}})
    bad = json.dumps({"ts": 1, "url": 42, "request": {"headers": {"ACCESS-KEY": key}}}).encode()
    store = tmp_path / "store"
    ingest(jsonl(tmp_path / "a.jsonl", rec, bad, f"not json apiKey={key}&signature={sign}"), store)
    for f in store.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert key.encode() not in data and sign.encode() not in data, f


# -- command line ----------------------------------------------------------------------------------

def test_cli_ingest(tmp_path, capsys):
    from toolkit.cli import main

    log = jsonl(tmp_path / "a.jsonl", *records(10, bad_every=5))
    store = tmp_path / "store"
    assert main(["ingest", str(log), "--into", str(store)]) == 0
    out, err = capsys.readouterr()
    assert "new" in out and "8 rows" in out and "2 rejects" in out and "2 of 10 new lines rejected" in err
    assert main(["ingest", str(log), "--into", str(store)]) == 0
    assert "unchanged" in capsys.readouterr().out
    log.write_bytes(lines_of(records(3, start="2026-11-25")))
    assert main(["ingest", str(log), "--into", str(store)]) == 1
    assert "changed since it was ingested" in capsys.readouterr().err
    assert main(["ingest", str(log), "--into", str(tmp_path)]) == 2
    assert "error: " in capsys.readouterr().err


def test_every_command_has_help():
    from toolkit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description and any(c.dest == name for c in sub._choices_actions if c.help), name


def test_a_new_process_reads_a_store_with_load_logs_alone(tmp_path):
    """``import toolkit; toolkit.load_logs("store/")`` in a fresh interpreter: the store is a source from the
    start, though its readers and DuckDB load only when used."""
    toolkit.store.ingest(jsonl(tmp_path / "calls.jsonl", call(url=SPOT), call(url=FUTURES, status=429)),
                         tmp_path / "store")
    code = textwrap.dedent(f"""
        import sys, toolkit
        assert "duckdb" not in sys.modules
        df = toolkit.load_logs({str(tmp_path / "store")!r})
        print(len(df), sorted(df["market"].astype(str)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split("\n")[0] == "2 ['futures', 'spot']"
