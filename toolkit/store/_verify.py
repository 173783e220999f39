"""Trust nothing unverified: a part is read (by SQL, the loader or anything else) only once it was checked whole,
when it was written or since it last changed.

Checking a part reads every page with its checksum verified, compares its footer with what the manifest says
(the columns, the row count, the values the vocabularies allow, and every min/max statistic against the values
it describes, as DuckDB skips row groups by them) and reads it again with DuckDB, which must see the same
table. A part found sound is marked verified with what its file is (size, modification and change times,
inode); it is checked again whenever one of these differs. The marks live in the manifest (``verified``: part
path to mark): a writer records them, a reader records those it makes when no writer holds the lock.
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import StoreError, StoreLockedError
from ..schema import CATEGORIES, METHODS
from ..secrets import redact
from ._arrow import FILE_SCHEMA, REJECT_SCHEMA, file_schema
from ._manifest import PART_SCHEMA, REJECTS, Store, parts, reject_parts

_VOCABULARY = {"category": CATEGORIES, "method": METHODS}


def signature(path) -> list[int]:
    """What a part's file is, as its verified mark records it: size, modification and change times (ns), inode.

    Any write changes the change time, which no tool can set back; a file put in its place is another inode."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def part_problem(store: Store, path, part: dict | None, con=None) -> str | None:
    """What is wrong with one part (missing, unreadable, damaged, not the part the manifest names), or None.

    ``part`` is the manifest's entry for it: its ``rows`` are checked, and its columns are those of its layout
    (``schema``, :func:`~._arrow.file_schema`); None checks neither count nor layout (either is a part's).
    ``con``, a DuckDB connection to read it with (one is opened when None)."""
    rel = os.path.relpath(path, store.root)
    if not os.path.exists(path):
        return "missing"
    rows = None if part is None else part.get("rows")
    if rel.startswith(REJECTS + os.sep):
        schemas = [REJECT_SCHEMA]
    else:
        schemas = [file_schema(part.get("schema", 1))] if part is not None else \
            [FILE_SCHEMA] + [file_schema(n) for n in range(1, PART_SCHEMA)]
    try:
        f = pq.ParquetFile(path, page_checksum_verification=True)
        if not any(f.schema_arrow.remove_metadata().equals(schema) for schema in schemas):
            return "not a part of this store (other columns)"
        if rows is not None and f.metadata.num_rows != rows:
            return f"not the part the manifest names ({f.metadata.num_rows:,} rows, not {rows:,})"
        table = f.read()
        problem = _statistics_problem(f.metadata, table)
    except (OSError, pa.ArrowException, ValueError, KeyError, IndexError, TypeError) as exc:  # a footer in bits
        return f"unreadable ({redact(str(exc).splitlines()[0][:120]) if str(exc) else type(exc).__name__})"
    if problem:
        return problem
    for column, vocabulary in _VOCABULARY.items():
        if column in table.column_names:
            values = pc.drop_null(pc.unique(table.column(column))).to_pylist()
            if any(v not in vocabulary for v in values):
                return f"not a part of this store ({column} holds values outside its vocabulary)"
    return _duckdb_problem(path, table, con)


def _statistics_problem(meta, table: pa.Table) -> str | None:
    """A footer whose min/max statistics or null counts do not describe the values: DuckDB would skip row groups
    by them and answer wrongly."""
    at = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        chunk = table.slice(at, group.num_rows)
        at += group.num_rows
        for c in range(group.num_columns):
            stats = group.column(c).statistics
            if stats is None:
                continue
            name = group.column(c).path_in_schema
            values = chunk.column(name)
            if stats.has_null_count and stats.null_count != values.null_count:
                return f"damaged (the footer's null count of {name} is not its values')"
            if stats.has_min_max and values.null_count < len(values):
                if pa.types.is_timestamp(values.type) or pa.types.is_integer(values.type):
                    values = values.cast(pa.int64())
                low, high = pc.min_max(values).values()
                if (_plain(low.as_py()), _plain(high.as_py())) != (_plain(stats.min_raw), _plain(stats.max_raw)):
                    return f"damaged (the footer's statistics of {name} are not its values')"
    return None


def _plain(value):
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _duckdb_problem(path, table: pa.Table, con=None) -> str | None:
    """Whether DuckDB, which reads the footer its own way, sees the table pyarrow read."""
    import duckdb

    own = con is None
    con = duckdb.connect() if own else con
    try:
        literal = "'" + str(path).replace("'", "''") + "'"
        seen = con.sql(f"SELECT * FROM read_parquet({literal}, hive_partitioning = false)").to_arrow_table()
    except duckdb.Error as exc:
        return f"unreadable by DuckDB ({redact(str(exc).splitlines()[0][:120])})"
    finally:
        if own:
            con.close()
    try:
        same = seen.num_rows == table.num_rows and seen.column_names == table.column_names and all(
            seen.column(i).cast(table.schema.field(i).type).equals(table.column(i)) for i in range(table.num_columns))
    except (pa.ArrowException, ValueError):
        same = False
    return None if same else "damaged (DuckDB reads other values from it)"


def damaged_parts(store: Store, paths) -> list[tuple[str, str]]:
    """(path, problem) for each listed Parquet part that is missing, unreadable or not what the manifest says,
    each checked whole (:func:`part_problem`)."""
    try:
        manifest = store.read_manifest()
        named = {str(store.path(p["path"])): p for p in parts(manifest) + reject_parts(manifest)}
    except StoreError:
        named = {}
    with _connection() as con:
        return [(path, problem) for path in paths
                if (problem := part_problem(store, path, named.get(str(path)), con))]


def _connection():
    """One DuckDB connection for checking many parts (opening one costs more than reading a small part)."""
    import contextlib

    import duckdb

    return contextlib.closing(duckdb.connect())


def damage_error(store: Store, bad: list[tuple[str, str]], exc=None) -> StoreError:
    """The one error for damaged parts, naming them and saying how to repair the store."""
    if not bad:
        return StoreError(f"cannot read the store {store.root}: {redact(str(exc).splitlines()[0][:200])}")
    names = "; ".join(f"{os.path.relpath(p, store.root)} is {why}" for p, why in bad[:3])
    more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
    return StoreError(f"store {store.root} is damaged: {names}{more}. Run toolkit.store.repair({str(store.root)!r}) "
                      "to set the damaged parts aside; the next ingest reads their recordings again")


def damage(store: Store, paths, exc) -> StoreError:
    """A read of ``paths`` failed with ``exc``: the damaged parts among them named, or the failure itself."""
    return damage_error(store, damaged_parts(store, paths), exc)


def verify(store: Store, manifest: dict, chosen: list[dict]) -> None:
    """Check the parts ``chosen`` (as the manifest lists them) that are not marked verified as they are now;
    raise a :class:`StoreError` naming the damaged ones, else mark them verified.

    Only what changed since it was verified is read, so a store read again costs a ``stat`` a part."""
    marks = manifest.setdefault("verified", {})
    todo = []
    for p in chosen:
        path = store.path(p["path"])
        try:
            mark = signature(path)
        except OSError:
            mark = None
        if mark is None or marks.get(p["path"]) != mark:
            todo.append((p, path, mark))
    if not todo:
        return
    with _connection() as con:
        bad = [(str(path), why) for p, path, mark in todo if (why := part_problem(store, path, p, con))]
    if bad:
        raise damage_error(store, bad)
    found = {p["path"]: mark for p, _, mark in todo}
    marks.update(found)
    remember(store, found)


def remember(store: Store, found: dict) -> None:
    """Record verified marks in the manifest, when no writer holds the store's lock (else the next reader
    checks those parts again); the parts must still be named in it and be as they were checked."""
    try:
        with store.lock(0):
            manifest = store.read_manifest()
            known = {p["path"] for p in parts(manifest) + reject_parts(manifest)}
            marks = manifest.setdefault("verified", {})
            fresh = {rel: mark for rel, mark in found.items() if rel in known and _still(store, rel, mark)}
            if fresh:
                marks.update(fresh)
                store.write_manifest(manifest)
    except (StoreLockedError, StoreError, OSError):  # a writer at work, a store that cannot be written
        pass


def _still(store: Store, rel: str, mark: list[int]) -> bool:
    try:
        return signature(store.path(rel)) == mark
    except OSError:
        return False


__all__ = ["damage", "damage_error", "damaged_parts", "part_problem", "remember", "signature", "verify"]
