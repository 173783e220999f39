"""The loader's frame as Parquet columns and back, dtypes exactly as :data:`toolkit.schema.DTYPES`.

The Arrow schemas here are derived from :mod:`toolkit.schema`, never written out
again, and the SQL views' types from them (:mod:`toolkit.store._sql`).

In the files every categorical is a text column: its codes and categories go
straight into the Parquet column's dictionary (no strings are built to be
hashed into a dictionary again), and no Arrow schema is stored, so any Parquet
reader (DuckDB, Spark, pandas) sees ordinary string columns. ``market`` lives
in the partition path, not in the file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import COLUMNS, DTYPES, REJECT_DTYPES, STRING, empty_frame
from ._manifest import ADDED, LAYOUT_OF, PART_SCHEMA


def arrow_type(dtype) -> pa.DataType:
    """The Parquet column type of a loader dtype: what pyarrow makes of it, categoricals and text as plain strings.

    Examples
    --------
    >>> from toolkit.schema import DTYPES
    >>> [str(arrow_type(DTYPES[c])) for c in ("ts", "category", "http_status", "retryable")]
    ['timestamp[ns, tz=UTC]', 'string', 'int16', 'bool']
    """
    t = pa.array(pd.Series([], dtype=dtype)).type
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.string() if pa.types.is_large_string(t) else t


_ARROW = {c: arrow_type(d) for c, d in DTYPES.items()}
#: Categorical columns, read back from Parquet as Arrow dictionaries.
CATEGORICAL = [c for c in COLUMNS if isinstance(DTYPES[c], pd.CategoricalDtype)]
#: Partition columns: in the directory names, not in the files.
PARTITIONS = pa.schema([("date", pa.string()), ("market", pa.string())])
#: The calls as SQL and any Parquet reader see them: the loader's columns, ``market`` from the partition path.
CALLS_SCHEMA = pa.schema(list(_ARROW.items()))
#: The columns of a calls part.
FILE_SCHEMA = pa.schema([(c, t) for c, t in _ARROW.items() if c != "market"])
#: What a dataset scan of the calls yields (categoricals as dictionaries, partitions last).
READ_SCHEMA = pa.schema(
    [(c, pa.dictionary(pa.int32(), pa.string()) if c in CATEGORICAL else t) for c, t in _ARROW.items() if c != "market"]
    + [("date", pa.string()), ("market", pa.dictionary(pa.int32(), pa.string()))]
)
REJECT_SCHEMA = pa.schema([(c, arrow_type(d)) for c, d in REJECT_DTYPES.items()])

def file_schema(layout: int) -> pa.Schema:
    """The columns of a calls part of ``layout`` (:data:`~._manifest.PART_SCHEMA` now; 1 before ``bot`` and
    ``key_id``, 2 before the order columns: :data:`~._manifest.ADDED_IN`).

    Examples
    --------
    >>> len(file_schema(PART_SCHEMA).names) - len(file_schema(2).names), len(file_schema(2).names) - len(file_schema(1).names)
    (7, 2)
    """
    return pa.schema([f for f in FILE_SCHEMA if LAYOUT_OF[f.name] <= layout])


_MAPPER = {pa.string(): STRING, pa.large_string(): STRING, pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
           pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}.get


def to_table(frame: pd.DataFrame, schema: pa.Schema = FILE_SCHEMA) -> pa.Table:
    """The columns of ``schema`` from a loaded frame, without pandas metadata; a categorical stays an Arrow
    dictionary of its text type (of the categories its rows use), which Parquet writes as that text column.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": pd.Categorical(["b", "b"], categories=["a", "b"])})
    >>> t = to_table(frame, pa.schema([("x", pa.string())]))
    >>> str(t.schema.field("x").type), t.column("x").chunk(0).dictionary.to_pylist()
    ('dictionary<values=string, indices=int8, ordered=0>', ['b'])
    """
    return used_only(as_arrow(frame, schema))


def as_arrow(frame: pd.DataFrame, schema: pa.Schema = FILE_SCHEMA) -> pa.Table:
    """:func:`to_table` without trimming the dictionaries: a categorical keeps all its categories (for a
    table that is cut into parts, each trimmed by :func:`used_only`)."""
    table = pa.Table.from_pandas(frame[schema.names], preserve_index=False)
    columns = []
    for field, col in zip(schema, table.columns):
        if not (pa.types.is_dictionary(col.type) and pa.types.is_string(field.type)):
            col = col.cast(field.type)
        columns.append(col)
    return pa.Table.from_arrays(columns, names=schema.names)


def used_only(table: pa.Table) -> pa.Table:
    """``table`` with each dictionary column holding only the values its rows use, as plain strings (a part
    cut from a unit's table holds no category of other dates or markets)."""
    columns = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = pa.chunked_array([_used(chunk) for chunk in col.chunks],
                                   pa.dictionary(col.type.index_type, pa.string(), col.type.ordered))
        columns.append(col)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _used(arr: pa.DictionaryArray) -> pa.DictionaryArray:
    """``arr`` with only the dictionary values its rows use, as plain strings."""
    values = arr.dictionary.cast(pa.string())
    codes = arr.indices.to_numpy(zero_copy_only=False) if arr.null_count == 0 else \
        pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False)
    used = np.bincount(codes[codes >= 0], minlength=len(values)) > 0
    if used.all():
        return pa.DictionaryArray.from_arrays(arr.indices, values, ordered=arr.type.ordered)
    renumber = (np.cumsum(used) - 1).astype(codes.dtype)
    indices = pa.array(renumber[np.maximum(codes, 0)], mask=codes < 0 if arr.null_count else None)
    return pa.DictionaryArray.from_arrays(indices, values.filter(pa.array(used)), ordered=arr.type.ordered)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A scanned table of calls as the loader's frame: same columns, same dtypes.

    ``path``, ``endpoint``, ``source``, ``bot`` and ``key_id`` get the categories of the values present,
    sorted. Rows of parts written before ``bot`` and ``key_id`` (:data:`~._manifest.ADDED`) read as
    their calls' bot ``unknown`` and no key; before the order columns, as no order recorded.
    """
    if table.num_rows == 0:
        return empty_frame()
    plain = [c for c in COLUMNS if c not in CATEGORICAL]
    frame = table.select(plain).to_pandas(types_mapper=_MAPPER)
    out = {}
    for c in COLUMNS:
        out[c] = _categorical(table.column(c), DTYPES[c], c) if c in CATEGORICAL else frame[c]
    for c, value in ADDED.items():
        if value is not None and out[c].isna().any():  # rows of parts of an earlier layout
            if value not in out[c].categories:
                out[c] = out[c].add_categories(pd.Index([value], dtype=STRING))
            out[c] = out[c].fillna(value).reorder_categories(out[c].categories.sort_values())
    frame = pd.DataFrame(out)
    return frame.astype({c: DTYPES[c] for c in plain})


def plain_frame(table: pa.Table) -> pd.DataFrame:
    """A table of plain columns (text, numbers, booleans) as pandas with the loader's nullable dtypes, the
    text as ``string[pyarrow]``."""
    return table.to_pandas(types_mapper=_MAPPER)


def _categorical(arr: pa.ChunkedArray, dtype: pd.CategoricalDtype, name: str) -> pd.Categorical:
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.unify_dictionaries().combine_chunks() if arr.num_chunks else pa.array([], arr.type)
    values = arr.dictionary.to_pylist()
    codes = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    if len(dtype.categories):  # a fixed vocabulary: map onto it
        where = dtype.categories.get_indexer(values)
        unknown = [v for v, w in zip(values, where) if w < 0]
        if unknown:
            raise pa.ArrowInvalid(f"column {name} holds {unknown[:3]!r}, "
                                  f"outside its categories {list(dtype.categories)}")
        mapped = np.where(codes >= 0, where[np.maximum(codes, 0)], -1) if len(values) else codes
        return pd.Categorical.from_codes(mapped, dtype=dtype)
    # categories of the values present, sorted: the same whichever parts the rows came from
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=STRING)).remove_unused_categories()
    return cat.reorder_categories(cat.categories.sort_values())
