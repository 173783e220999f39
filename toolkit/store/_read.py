"""Read a store back into the loader's frame, opening only the partitions a window needs."""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from .._words import shown_name
from ..errors import LogFormatError
from ..read.engine import rejects_frame, report_frame
from ..selection import Selection
from ._arrow import CATEGORICAL, PARTITIONS, READ_SCHEMA, REJECT_SCHEMA, plain_frame, to_frame
from ._manifest import Store, parts, reject_parts, units
from ._verify import damage, verify

_CHECKED = ds.ParquetFragmentScanOptions(page_checksum_verification=True)
_FORMAT = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=CATEGORICAL),
                               default_fragment_scan_options=_CHECKED)
_REJECT_FORMAT = ds.ParquetFileFormat(default_fragment_scan_options=_CHECKED)


def select_parts(manifest: dict, window: Selection) -> list[dict]:
    """The calls parts whose date and market can hold rows of ``window``."""
    first = None if window.start is None else window.start.strftime("%Y-%m-%d")
    last = None if window.end is None else (window.end - pd.Timedelta(1, "ns")).strftime("%Y-%m-%d")
    return [p for p in parts(manifest)
            if (first is None or p["date"] >= first) and (last is None or p["date"] <= last)
            and (window.markets is None or p["market"] in window.markets)]


def read_calls(store, window: Selection | None = None) -> pd.DataFrame:
    """The calls of a store inside ``window``, as the loader's frame sorted by time (then source and line)."""
    window = window or Selection()
    store = Store(store)
    manifest = store.read_manifest()
    chosen = select_parts(manifest, window)
    verify(store, manifest, chosen)
    paths = [str(store.path(p["path"])) for p in chosen]
    table = _scan(store, paths, _row_filter(window))
    try:
        frame = to_frame(table)
    except (ValueError, TypeError, pa.ArrowException) as exc:  # a part swapped for one with other values
        raise damage(store, paths, exc) from None
    if len(frame) > 1:
        src = frame["source"].cat.codes.to_numpy()
        rank = np.argsort(np.argsort(frame["source"].cat.categories.to_numpy(dtype=object)))
        order = np.lexsort((frame["line"].to_numpy(dtype="int64", na_value=0), rank[src],
                            frame["ts"].array.asi8))
        frame = frame.take(order).reset_index(drop=True)
    return frame


def read_rejects(store) -> pd.DataFrame:
    """Every rejected line kept in a store: ``source``, ``line``, ``reason``, ``excerpt``."""
    store = Store(store)
    manifest = store.read_manifest()
    verify(store, manifest, reject_parts(manifest))
    paths = [str(store.path(p["path"])) for p in reject_parts(manifest)]
    if not paths:
        return rejects_frame()
    try:
        table = ds.dataset(paths, schema=REJECT_SCHEMA, format=_REJECT_FORMAT).to_table()
        return rejects_frame(plain_frame(table)).sort_values(["source", "line"], ignore_index=True)
    except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
        raise damage(store, paths, exc) from None


def report(store) -> pd.DataFrame:
    """Per recording in a store: ``source``, ``format``, ``rows``, ``rejects``, ``skipped`` (as :attr:`Load.report`)."""
    store = Store(store)
    manifest = store.read_manifest()
    verify(store, manifest, parts(manifest))
    unverified = _unverified(store, [str(store.path(p["path"])) for p in parts(manifest)])
    rows = []
    for src, entry in sorted(manifest["sources"].items()):
        us = entry["units"]
        rows.append((shown_name(src), entry["format"], sum(u["rows"] for u in us), sum(u["rejects"] for u in us),
                     sum(u["skipped"] for u in us), unverified.get(shown_name(src), 0)))
    return report_frame(rows)


def _unverified(store: Store, paths: list[str]) -> dict:
    """Rows per source whose reason is ``unverified`` (a 2xx logged without its body)."""
    if not paths:
        return {}
    table = _scan(store, paths, ds.field("reason") == "unverified")
    if not table.num_rows:
        return {}
    return dict(collections.Counter(table.column("source").to_pylist()))


def _row_filter(window: Selection):
    expr = None
    for op, bound in ((">=", window.start), ("<", window.end)):
        if bound is not None:
            value = pa.scalar(bound.as_unit("ns").value, pa.int64()).cast(pa.timestamp("ns", "UTC"))
            term = ds.field("ts") >= value if op == ">=" else ds.field("ts") < value
            expr = term if expr is None else expr & term
    return expr


def _scan(store: Store, paths: list[str], expr) -> pa.Table:
    if not paths:
        return READ_SCHEMA.empty_table()
    try:
        dataset = ds.dataset(paths, schema=READ_SCHEMA, format=_FORMAT,
                             partitioning=ds.partitioning(PARTITIONS, flavor="hive"),
                             partition_base_dir=str(store.root / "calls"))
        return dataset.to_table(filter=expr)
    except (OSError, pa.ArrowException) as exc:
        raise damage(store, paths, exc) from None


__all__ = ["read_calls", "read_rejects", "report", "select_parts", "units"]


def _load(store, window: Selection, errors: str):
    """What :func:`toolkit.read_logs` returns for a store: calls, rejects, per-file report, line count."""
    rejects = read_rejects(store)
    if errors == "raise" and len(rejects):
        first = rejects.iloc[0]
        raise LogFormatError(f"{first.source}, line {first.line}: {first.reason}: {first.excerpt}")
    rep = report(store)
    lines = int(rep["rows"].sum() + rep["rejects"].sum() + rep["skipped"].sum())
    return read_calls(store, window), rejects, rep, lines
