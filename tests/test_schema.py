"""One schema: the loader's frame, the store's Parquet parts and its SQL views have the same columns and types.

``toolkit/schema.py`` is the one place the columns are written down; the Arrow schema and the SQL types follow
from it, so a column added there appears everywhere at once.
"""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import toolkit
from tests.conftest import FUTURES, SPOT, call, jsonl
from toolkit.schema import COLUMNS, DTYPES, REJECT_DTYPES
from toolkit.store._arrow import CALLS_SCHEMA, FILE_SCHEMA, REJECT_SCHEMA


def plain(t: pa.DataType) -> pa.DataType:
    """What a column holds once categoricals are decoded and string widths forgotten."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.string() if pa.types.is_large_string(t) else t


def same_dtype(got, want) -> bool:
    """``got`` is the dtype ``want``; a categorical with open categories (endpoint, source) takes those present."""
    if isinstance(want, pd.CategoricalDtype):
        return isinstance(got, pd.CategoricalDtype) and (
            not len(want.categories) or list(got.categories) == list(want.categories))
    return got == pd.api.types.pandas_dtype(want)


def described(store, view):
    con = toolkit.store.connect(store)
    try:
        return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {view}").fetchall()]
    finally:
        con.close()


@pytest.mark.filterwarnings("ignore::toolkit.RejectWarning")
def test_frame_parquet_and_sql_agree_column_for_column(tmp_path):
    log = jsonl(tmp_path / "logs" / "bot.jsonl", call(SPOT), call(FUTURES, status=429), "not json")
    empty = jsonl(tmp_path / "quiet" / "idle.jsonl")
    empty.write_bytes(b"")
    frame = toolkit.load_logs(log)
    full, none = tmp_path / "full", tmp_path / "none"
    toolkit.store.ingest(log, full)
    toolkit.store.ingest(empty, none)

    # the frame, from recordings and from the store: the columns and dtypes of toolkit.schema
    for df in (frame, toolkit.load_logs(full), toolkit.load_logs(none)):
        assert list(df.columns) == COLUMNS
        assert [c for c in COLUMNS if not same_dtype(df[c].dtype, DTYPES[c])] == []
    # the Arrow schema: the frame's columns as pyarrow makes them, market in the partition path
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert CALLS_SCHEMA.names == COLUMNS
    assert [plain(table.schema.field(c).type) for c in COLUMNS] == CALLS_SCHEMA.types
    part = next((full / "calls").rglob("*.parquet"))
    assert pq.read_schema(part).remove_metadata() == FILE_SCHEMA == CALLS_SCHEMA.remove(COLUMNS.index("market"))
    # the SQL view: the same columns, typed alike whether the store holds rows or none yet
    calls = described(full, "calls")
    assert [name for name, _ in calls] == COLUMNS
    assert described(none, "calls") == calls
    assert dict(calls)["ts"] == "TIMESTAMPTZ_NS" and dict(calls)["http_status"] == "SMALLINT"
    rejects = described(full, "rejects")
    assert [name for name, _ in rejects] == list(REJECT_DTYPES) == REJECT_SCHEMA.names
    assert described(none, "rejects") == rejects
    # and a query's result comes back with the loader's kinds of dtypes
    back = toolkit.store.query(full, "SELECT * FROM calls ORDER BY line")
    assert list(back.columns) == COLUMNS
    for c in COLUMNS:
        assert plain(pa.array(back[c]).type) == CALLS_SCHEMA.field(c).type, c


def test_a_part_stores_categoricals_as_the_text_its_rows_hold(tmp_path):
    # two markets: each part's rows use only some of the unit's paths and endpoints
    log = jsonl(tmp_path / "bot.jsonl", call(SPOT), call(FUTURES, status=429), call(SPOT, method=None))
    frame = toolkit.load_logs(log)
    store = tmp_path / "store"
    toolkit.store.ingest(log, store)
    parts = sorted((store / "calls").rglob("*.parquet"))
    assert len(parts) == 2
    for part in parts:
        f = pq.ParquetFile(part)
        assert f.schema_arrow.remove_metadata() == FILE_SCHEMA  # plain text columns, whatever reads them
        assert b"ARROW:schema" not in (f.metadata.metadata or {})
        table = f.read()
        rows = frame[frame["line"].isin(table.column("line").to_pylist())]
        for c in ("method", "path", "endpoint", "category", "source"):
            assert table.column(c).to_pylist() == [None if pd.isna(v) else v for v in rows[c]], c
        # the Parquet dictionary holds the values of this part's rows only
        stored = pq.ParquetFile(part, read_dictionary=["path"]).read(columns=["path"]).column(0).chunk(0)
        assert sorted(stored.dictionary.to_pylist()) == sorted(set(rows["path"]))
    assert toolkit.load_logs(store).sort_values("line", ignore_index=True).equals(frame)
