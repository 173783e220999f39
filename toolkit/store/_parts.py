"""Writing one ingest unit's Parquet parts: calls split by UTC date and market, and its rejects.

The parts are written in the store's staging directory, synced, then moved
into place; only the manifest that names them afterwards makes them visible
(see :mod:`toolkit.store._ingest`), so an interrupted write leaves orphans the
next run deletes, never half a unit.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .._io import fsync_dir
from .._words import shown_name
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


class Member(NamedTuple):
    """One recording's unit among those committed together: where it comes from and what parsing it gave.

    ``unit`` is its manifest entry without ``id``, counts and parts (its byte range or whole-file hash);
    ``head`` its recording's ``[length, sha256]`` fingerprint; ``result`` its :class:`FileResult`."""

    source: str
    format: str
    head: list
    unit: dict
    result: object


def write_units(store: Store, members: list[Member], settings: dict) -> tuple[str, list[list[dict]], list]:
    """Write the rows and rejects of the ``members`` (one recording's unit, or small recordings ingested
    together) as one set of parts: calls split by UTC date and market, and one rejects part.

    Every part carries, in its footer, the units whose rows it holds (``toolkit_units``: the store's
    ``settings``, each unit's recording, format, fingerprint, byte range and row count in the part), from
    which :func:`toolkit.store.repair` rebuilds a lost manifest. Returns the parts' common id and, for each
    member, its calls parts (``path``, ``date``, ``market``, its ``rows`` in it, ``schema``:
    their layout) and its rejects part (``path``,
    ``rows``; None when it has none), all already moved into place and synced.
    """
    uid = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:12]}"
    frame = concat_frames([f for m in members for f in m.result.frames])
    owner = np.repeat(np.arange(len(members)), [m.result.rows for m in members])  # the member of each row
    staging = store.staging()
    written: list[str] = []
    calls: list[list[dict]] = [[] for _ in members]
    rejects: list = [None] * len(members)
    described = [{"source": m.source, "format": m.format, "head": m.head,
                  "unit": {**m.unit, "id": uid, "rows": m.result.rows, "rejects": m.result.reject_count,
                           "skipped": m.result.skipped}} for m in members]
    with no_space_hint(store, f"writing the rows of {shown_name(members[0].source)}"):
        for date, market, table, of in partitions(frame, owner):
            rel = f"{CALLS}/date={date}/market={market}/part-{uid}.parquet"
            counts = np.bincount(of, minlength=len(members))
            write_part(table, staging / rel, _about(settings, described, counts))
            written.append(rel)
            for k in np.flatnonzero(counts):
                calls[k].append({"path": rel, "date": date, "market": market, "rows": int(counts[k]),
                                 "schema": PART_SCHEMA})
        kept = np.array([len(m.result.rejects) for m in members])
        if kept.any():
            rel = f"{REJECTS}/part-{uid}.parquet"
            write_part(to_table(rejects_frame([m.result for m in members]), REJECT_SCHEMA), staging / rel,
                       _about(settings, described, kept))
            written.append(rel)
            for k in np.flatnonzero(kept):
                rejects[k] = {"path": rel, "rows": int(kept[k])}
        for rel in written:
            final = store.path(rel)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, final)
        for d in {store.path(rel).parent for rel in written}:
            fsync_dir(d)
    shutil.rmtree(staging, ignore_errors=True)
    return uid, calls, rejects


def _about(settings: dict, described: list[dict], rows) -> dict:
    """A part's footer metadata: the store's settings and the units with rows in it (with how many)."""
    units = [{**d, "rows": int(n)} for d, n in zip(described, rows) if n]
    return {"toolkit_units": json.dumps({"store": settings, "units": units}, separators=(",", ":"))}


def partitions(frame: pd.DataFrame, extra=None):
    """(date, market, the part's table: its rows sorted by time and line, as :data:`FILE_SCHEMA`, and the
    values of ``extra``, one per row of ``frame``, in the part's order) for every UTC date and market in
    ``frame``. The frame becomes one Arrow table, sorted there, and the parts are slices of it."""
    if not len(frame):
        return
    ts = frame["ts"].array.asi8
    key = (ts // _DAY_NS) * 4 + frame["market"].cat.codes.to_numpy()
    order = np.lexsort((frame["line"].to_numpy(dtype="int64", na_value=0), ts, key))
    table = as_arrow(frame, FILE_SCHEMA).take(order)
    key = key[order]
    extra = None if extra is None else np.asarray(extra)[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    markets = frame["market"].cat.categories
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(key)]):
        day, code = divmod(int(key[a]), 4)
        yield (str(np.datetime64(day, "D")), markets[code], used_only(table.slice(a, b - a)),
               None if extra is None else extra[a:b])


def write_part(table, path, metadata: dict | None = None) -> None:
    """Write one Parquet part (zstd, page checksums, statistics of the non-text columns, dictionaries for the
    columns that repeat, no Arrow schema: the Parquet types say it all; ``metadata`` in its footer) and sync it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = [c for c in table.column_names if c in _STATISTICS]
    repeating = [c for c in table.column_names if c not in _PLAIN]
    with pq.ParquetWriter(path, table.schema, compression="zstd", write_page_checksum=True,
                          write_statistics=stats, use_dictionary=repeating, store_schema=False) as writer:
        writer.write_table(table)
        if metadata:
            writer.add_key_value_metadata(metadata)
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
