"""Writing one ingest unit's Parquet parts: calls split by UTC date and market, and its rejects.

The parts are written in the store's staging directory, synced, then moved
into place; only the manifest that names them afterwards makes them visible
(see :mod:`toolkit.store._ingest`), so an interrupted write leaves orphans the
next run deletes, never half a unit.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .._io import fsync_dir
from ..read import concat_frames
from ..read.engine import rejects_frame
from ._arrow import FILE_SCHEMA, REJECT_SCHEMA, as_arrow, to_table, used_only
from ._manifest import CALLS, PART_SCHEMA, REJECTS, Store, no_space_hint

_DAY_NS = 86_400 * 10**9

#: Columns whose min/max statistics are written: never free text, which could hold what a mask missed.
_STATISTICS = ["ts", "method", "http_status", "code", "category", "reason", "retryable", "is_error", "latency_ms",
               "line", "client_ts", "server_ts"]
#: Columns written without a dictionary: times, latencies and line numbers are nearly all distinct, so building
#: their dictionaries only costs time and the files come out bigger (a fifth, on the simulated calls).
_PLAIN = ["ts", "latency_ms", "line", "client_ts", "server_ts"]


def write_unit(store: Store, src: str, result) -> tuple[str, int, list[dict], dict | None]:
    """Write the rows and rejects of one parsed piece (a :class:`toolkit.read.engine.FileResult`) of ``src``.

    Returns the unit's id, its row count, the calls parts (``path``, ``date``,
    ``market``, ``rows``, ``schema``: their layout) and the rejects part (``path``, ``rows``; None when
    there are none), all already moved into place and synced.
    """
    uid = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:12]}"
    frame = concat_frames(result.frames)
    staging = store.staging()
    written: list[tuple[str, dict]] = []
    with no_space_hint(store, f"writing the rows of {src}"):
        for date, market, table in partitions(frame):
            rel = f"{CALLS}/date={date}/market={market}/part-{uid}.parquet"
            write_part(table, staging / rel)
            written.append((rel, {"path": rel, "date": date, "market": market, "rows": table.num_rows,
                                  "schema": PART_SCHEMA}))
        rejects = None
        if result.rejects:
            rel = f"{REJECTS}/part-{uid}.parquet"
            table = to_table(rejects_frame([result]), REJECT_SCHEMA)
            write_part(table, staging / rel)
            rejects = {"path": rel, "rows": len(result.rejects)}
            written.append((rel, rejects))
        for rel, _ in written:
            final = store.path(rel)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, final)
        for d in {store.path(rel).parent for rel, _ in written}:
            fsync_dir(d)
    shutil.rmtree(staging, ignore_errors=True)
    calls = [p for rel, p in written if rel.startswith(CALLS + "/")]
    return uid, len(frame), calls, rejects


def partitions(frame: pd.DataFrame):
    """(date, market, the part's table: its rows sorted by time and line, as :data:`FILE_SCHEMA`) for every
    UTC date and market in ``frame``. The frame becomes one Arrow table, sorted there, and the parts are
    slices of it."""
    if not len(frame):
        return
    ts = frame["ts"].array.asi8
    key = (ts // _DAY_NS) * 4 + frame["market"].cat.codes.to_numpy()
    order = np.lexsort((frame["line"].to_numpy(dtype="int64", na_value=0), ts, key))
    table = as_arrow(frame, FILE_SCHEMA).take(order)
    key = key[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    markets = frame["market"].cat.categories
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(key)]):
        day, code = divmod(int(key[a]), 4)
        yield str(np.datetime64(day, "D")), markets[code], used_only(table.slice(a, b - a))


def write_part(table, path) -> None:
    """Write one Parquet part (zstd, page checksums, statistics of the non-text columns, dictionaries for the
    columns that repeat, no Arrow schema: the Parquet types say it all) and sync it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = [c for c in table.column_names if c in _STATISTICS]
    repeating = [c for c in table.column_names if c not in _PLAIN]
    pq.write_table(table, path, compression="zstd", write_page_checksum=True, write_statistics=stats,
                   use_dictionary=repeating, store_schema=False)
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
