"""Store faults a user meets: damaged data pages, swapped parts, hand-edited manifests.

Every one is a :class:`toolkit.store.StoreError` naming what to blame, and
:func:`toolkit.store.repair` can always bring the store back.
"""

import json
import os
import warnings

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from tests.conftest import FUTURES, SPOT, call, jsonl
from toolkit.store import StoreError


def ingest(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        warnings.simplefilter("ignore", toolkit.store.IngestWarning)
        return toolkit.store.ingest(*args, **kw)


def records(n):
    return [call(SPOT if i % 2 else FUTURES, 429 if i % 3 == 0 else 200,
                 {"code": 429, "msg": "Too many requests"} if i % 3 == 0 else None,
                 ts=f"2026-11-20T{i // 60 % 24:02d}:{i % 60:02d}:00Z", elapsed_ms=10.0 + i) for i in range(n)]


@pytest.fixture
def store(tmp_path):
    log = jsonl(tmp_path / "rec" / "bot.jsonl", *records(400), b'{"ts": 1, "url": 42}')
    dest = tmp_path / "store"
    ingest(log.parent, dest)
    return dest, log


def manifest_of(dest):
    return json.loads((dest / ".toolkit" / "manifest.json").read_text())


def write_manifest(dest, manifest):
    (dest / ".toolkit" / "manifest.json").write_text(json.dumps(manifest))


def first_part(dest):
    m = manifest_of(dest)
    unit = next(iter(m["sources"].values()))["units"][0]
    return dest / unit["parts"][0]["path"]


def test_parts_carry_page_checksums_and_no_text_statistics(store):
    dest, _ = store
    meta = pq.ParquetFile(first_part(dest)).metadata
    columns = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i) for i in
               range(meta.num_columns)}
    assert columns["ts"].statistics is not None and columns["ts"].statistics.has_min_max
    for text in ("message", "path", "symbol", "source"):
        stats = columns[text].statistics
        assert stats is None or not stats.has_min_max, text
    # repeated values get a dictionary; times and line numbers, nearly all distinct, are written plain
    assert all("RLE_DICTIONARY" in columns[c].encodings for c in ("path", "endpoint", "category", "reason", "code"))
    assert not any("RLE_DICTIONARY" in columns[c].encodings for c in ("ts", "line", "latency_ms"))


def _flip_data_bytes(path):
    """Damage bytes inside the data pages, leaving the footer intact."""
    data = bytearray(path.read_bytes())
    meta = pq.ParquetFile(path).metadata
    col = meta.row_group(0).column(meta.schema.names.index("latency_ms"))
    start = col.data_page_offset
    for i in range(start + 20, start + 60):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["pages", "swapped", "other_rows", "footer"])
def test_a_damaged_or_swapped_part_is_named_and_repaired(store, tmp_path, damage):
    dest, log = store
    before = toolkit.read_logs(dest)
    part = first_part(dest)
    if damage == "pages":
        _flip_data_bytes(part)
        pq.ParquetFile(part).metadata  # noqa: B018 - the footer still reads
    elif damage == "footer":  # one flipped bit renames a column in the footer ("t" is "u" with a bit off)
        data = part.read_bytes()
        footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
        at = data.index(b"latency_ms", footer)  # the schema's, first in the footer
        part.write_bytes(data[:at + 2] + b"u" + data[at + 3:])
        assert "lauency_ms" in pq.ParquetFile(part).schema_arrow.names
    elif damage == "swapped":
        pq.write_table(pa.table({"x": [1, 2, 3]}), part)
    else:  # a real part of the same schema, but not this one
        table = pq.read_table(part)
        pq.write_table(table.slice(0, 1), part)
    rel = os.path.relpath(part, dest)
    for read in (lambda: toolkit.load_logs(dest),
                 lambda: toolkit.store.query(dest, "SELECT sum(latency_ms), count(*) FROM calls")):
        try:
            read()
        except StoreError as exc:
            assert rel in str(exc)
        else:  # a read may miss damage it never touches, but never returns wrong rows silently
            assert damage == "other_rows"
    dropped = toolkit.store.repair(dest)
    assert dropped["problem"].str.contains(part.name).any() and dropped["recoverable"].all()
    assert list((dest / ".toolkit" / "quarantine").rglob(part.name))
    ingest(log.parent, dest)
    after = toolkit.read_logs(dest)
    assert len(after.frame) == len(before.frame) and len(after.rejects) == len(before.rejects)
    assert toolkit.store.repair(dest).empty


@pytest.mark.parametrize("edit", [
    lambda m, src: m.__setitem__("sources", None),
    lambda m, src: m.__setitem__("sources", []),
    lambda m, src: m["sources"][src].__setitem__("units", "all"),
    lambda m, src: m["sources"][src]["units"][0].__setitem__("rows", 1e400),
    lambda m, src: m["sources"][src]["units"][0].__setitem__("rows", "12"),
    lambda m, src: m["sources"][src]["units"][0].pop("parts"),
    lambda m, src: m["sources"][src]["units"][0].pop("end"),
    lambda m, src: m["sources"][src].pop("format"),
    lambda m, src: m["sources"][src]["units"][0]["parts"][0].__setitem__("path", 17),
    lambda m, src: m["sources"][src]["units"][0]["parts"][0].__setitem__("path", "../outside/victim.txt"),
    lambda m, src: m["sources"][src]["units"][0]["parts"][0].__setitem__("path", "/etc/passwd"),
    lambda m, src: m["sources"][src]["units"][0]["rejects_part"].__setitem__("path", "rejects/../../victim.txt"),
    lambda m, src: m.__setitem__("market_rules", "spot"),
    lambda m, src: m.pop("market_rules"),
    lambda m, src: m["sources"][src].pop("size"),
    lambda m, src: m.__setitem__("verified", ["calls"]),
])
def test_every_manifest_problem_is_a_store_error_and_nothing_outside_is_touched(store, tmp_path, edit):
    dest, log = store
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("keep me")
    m = manifest_of(dest)
    src = next(iter(m["sources"]))
    edit(m, src)
    text = json.dumps(m).replace("Infinity", "1e400")
    (dest / ".toolkit" / "manifest.json").write_text(text)
    parts = sorted(p for p in dest.rglob("part-*.parquet") if ".toolkit" not in p.parts)
    for action in (lambda: toolkit.load_logs(dest), lambda: toolkit.read_logs(dest),
                   lambda: toolkit.store.repair(dest), lambda: ingest(log.parent, dest),
                   lambda: toolkit.store.query(dest, "SELECT count(*) FROM calls"),
                   lambda: toolkit.store.read_rejects(dest)):
        with pytest.raises(StoreError, match="manifest.json is damaged"):
            action()
    assert victim.read_text() == "keep me"
    assert sorted(p for p in dest.rglob("part-*.parquet") if ".toolkit" not in p.parts) == parts


def test_a_file_with_only_cr_line_ends_goes_in_whole(tmp_path):
    log = tmp_path / "mac.jsonl"
    log.write_bytes(b"\r".join(json.dumps(r).encode() for r in records(5)) + b"\r")
    run = ingest(log, tmp_path / "store")
    assert run.report.loc[0, "rows"] == 5
    assert len(toolkit.load_logs(tmp_path / "store")) == 5
    assert ingest(log, tmp_path / "store").report.loc[0, "status"] == "unchanged"


def test_a_manifest_without_market_rules_is_a_store_error_before_anything_is_cleaned(store):
    dest, log = store
    m = manifest_of(dest)
    del m["market_rules"]
    write_manifest(dest, m)
    orphan = dest / "calls" / "date=2026-11-20" / "market=spot" / "part-orphan.parquet"
    orphan.write_bytes(b"left by an interrupted run")
    with pytest.raises(StoreError, match="manifest.json is damaged: market_rules is missing"):
        ingest(log.parent, dest)
    assert orphan.exists()  # the error came before the clean-up


def test_a_store_without_its_manifest_is_a_store_error_and_repair_rebuilds_it(store):
    dest, log = store
    before = toolkit.read_logs(dest)
    (dest / ".toolkit" / "manifest.json").unlink()
    for action in (lambda: toolkit.load_logs(dest), lambda: toolkit.read_logs(dest),
                   lambda: toolkit.store.query(dest, "SELECT count(*) FROM calls"), lambda: ingest(log.parent, dest)):
        with pytest.raises(StoreError, match=r"manifest\.json is missing: .* toolkit\.store\.repair"):
            action()
    assert toolkit.store.repair(dest).empty
    after = toolkit.read_logs(dest)
    pd.testing.assert_frame_equal(after.frame, before.frame)
    pd.testing.assert_frame_equal(after.rejects, before.rejects)
    assert after.lines == before.lines
    assert ingest(log.parent, dest).rows == 0  # nothing read twice


def test_small_recordings_share_parts_and_a_damaged_one_takes_them_all_back(tmp_path):
    folder = tmp_path / "logs"
    for i in range(300):  # a bot writing one file per call, as some loggers rotate
        jsonl(folder / f"bot{i % 3}" / f"call.{i:04d}.jsonl", *records(2 + i % 2), b"{}")
    dest = tmp_path / "store"
    run = ingest(folder, dest)
    assert (run.report["status"] == "new").all() and run.rows == sum(2 + i % 2 for i in range(300))
    parts = sorted(p for p in (dest / "calls").rglob("part-*.parquet"))
    assert len(parts) <= 4  # one set of parts for them all, split by date and market
    before = toolkit.read_logs(dest)
    assert before.lines == len(before.frame) + 300 and len(before.rejects) == 300
    assert ingest(folder, dest).report["status"].eq("unchanged").all()
    _flip_data_bytes(parts[0])
    with pytest.raises(StoreError, match=parts[0].name):
        toolkit.store.query(dest, "SELECT count(*) FROM calls")
    dropped = toolkit.store.repair(dest)
    assert len(dropped) > 1 and dropped["recoverable"].all()  # every unit with rows in the damaged part
    ingest(folder, dest)
    after = toolkit.read_logs(dest)
    pd.testing.assert_frame_equal(after.frame, before.frame)
    assert after.lines == before.lines


def test_a_part_changed_after_it_was_verified_is_checked_again(store):
    dest, _ = store
    marks = manifest_of(dest)["verified"]
    part = first_part(dest)
    assert os.path.relpath(part, dest) in marks  # verified when written
    before = toolkit.store.query(dest, "SELECT count(*) AS n, sum(latency_ms) AS l FROM calls")
    _flip_data_bytes(part)  # written again in place: its change time moves on
    with pytest.raises(StoreError, match=part.name):
        toolkit.store.query(dest, "SELECT count(*) AS n, sum(latency_ms) AS l FROM calls")
    toolkit.store.repair(dest)
    assert os.path.relpath(part, dest) not in manifest_of(dest)["verified"]
    assert toolkit.store.query(dest, "SELECT count(*) AS n FROM calls")["n"][0] < before["n"][0]


def _flip_bit(path, bit: int) -> None:
    data = bytearray(path.read_bytes())
    data[bit // 8] ^= 1 << (bit % 8)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A store ingested once, copied for each flip (a copy is a new file: checked whole before it is read)."""
    root = tmp_path_factory.mktemp("pristine")
    log = jsonl(root / "rec" / "bot.jsonl", *records(400), b'{"ts": 1, "url": 42}')
    ingest(log.parent, root / "store")
    dest = root / "store"
    answers = {name: read(dest) for name, read in _READERS.items()}
    return dest, answers


_SQL = ("SELECT count(*) AS n, min(ts) AS first, max(ts) AS last, sum(latency_ms) AS latency, "
        "count(DISTINCT category) AS categories, sum(http_status) AS statuses FROM calls "
        "WHERE ts >= '2026-11-20 01:00'")
_READERS = {
    "query": lambda dest: toolkit.store.query(dest, _SQL),
    "error_rate": lambda dest: toolkit.store.error_rate(dest, freq="1h", by="market"),
    "top_errors": lambda dest: toolkit.store.top_errors(dest, n=5),
    "load_logs": lambda dest: toolkit.load_logs(dest, start="2026-11-20 01:00"),
}


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(where=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7), reader=st.sampled_from(sorted(_READERS)))
def test_every_single_bit_flip_is_a_store_error_or_the_right_answer(pristine, tmp_path_factory, where, bit, reader):
    import shutil

    source, answers = pristine
    dest = tmp_path_factory.mktemp("flipped") / "store"
    shutil.copytree(source, dest)
    part = first_part(dest)
    _flip_bit(part, int(where * part.stat().st_size) * 8 + bit)
    try:
        got = _READERS[reader](dest)
    except StoreError as exc:
        assert os.path.relpath(part, dest) in str(exc)
    else:
        pd.testing.assert_frame_equal(got, answers[reader])
