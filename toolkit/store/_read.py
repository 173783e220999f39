"""Read a store back into the loader's frame, opening only the partitions a window needs."""

from __future__ import annotations

import collections
import os
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .._words import shown_name
from ..errors import LogFormatError
from ..read.engine import rejects_frame, report_frame
from ..schema import CATEGORIES, METHODS
from ..secrets import redact
from ..selection import Selection
from ._arrow import CATEGORICAL, FILE_SCHEMA, PARTITIONS, READ_SCHEMA, REJECT_SCHEMA, plain_frame, to_frame
from ._manifest import Store, StoreError, parts, reject_parts, units, wait_seconds

_CHECKED = ds.ParquetFragmentScanOptions(page_checksum_verification=True)
_FORMAT = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=CATEGORICAL),
                               default_fragment_scan_options=_CHECKED)
_REJECT_FORMAT = ds.ParquetFileFormat(default_fragment_scan_options=_CHECKED)
_VOCABULARY = {"category": CATEGORIES, "method": METHODS}


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
    paths = [str(store.path(p["path"])) for p in chosen]
    table = _scan(store, paths, _row_filter(window))
    try:
        frame = to_frame(table)
    except (ValueError, TypeError, pa.ArrowException) as exc:  # a part swapped for one with other values
        raise _damage(store, paths, exc) from None
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
    paths = [str(store.path(p["path"])) for p in reject_parts(manifest)]
    if not paths:
        return rejects_frame()
    try:
        table = ds.dataset(paths, schema=REJECT_SCHEMA, format=_REJECT_FORMAT).to_table()
        return rejects_frame(plain_frame(table)).sort_values(["source", "line"], ignore_index=True)
    except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
        raise _damage(store, paths, exc) from None


def report(store) -> pd.DataFrame:
    """Per recording in a store: ``source``, ``format``, ``rows``, ``rejects``, ``skipped`` (as :attr:`Load.report`)."""
    store = Store(store)
    manifest = store.read_manifest()
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
        raise _damage(store, paths, exc) from None


def damaged_parts(store: Store, paths) -> list[tuple[str, str]]:
    """(path, problem) for each listed Parquet part that is missing, unreadable or not what the manifest says.

    Every page is read and its checksum verified, the columns must be the
    store's and the row count the manifest's, so a part with damaged data
    pages or one swapped for another Parquet file is found, not only a
    broken footer.
    """
    try:
        manifest = store.read_manifest()
        rows = {str(store.path(p["path"])): p["rows"] for p in parts(manifest) + reject_parts(manifest)}
    except StoreError:
        rows = {}
    bad = []
    for path in paths:
        problem = _part_problem(store, path, rows.get(str(path)))
        if problem:
            bad.append((path, problem))
    return bad


def _part_problem(store: Store, path, rows) -> str | None:
    rel = os.path.relpath(path, store.root)
    if not os.path.exists(path):
        return "missing"
    schema = REJECT_SCHEMA if rel.startswith("rejects" + os.sep) else FILE_SCHEMA
    try:
        f = pq.ParquetFile(path, page_checksum_verification=True)
        if not f.schema_arrow.remove_metadata().equals(schema):
            return "not a part of this store (other columns)"
        if rows is not None and f.metadata.num_rows != rows:
            return f"not the part the manifest names ({f.metadata.num_rows:,} rows, not {rows:,})"
        table = f.read()
    except (OSError, pa.ArrowException) as exc:
        return f"unreadable ({str(exc).splitlines()[0][:120]})"
    for column, vocabulary in _VOCABULARY.items():
        if column in table.column_names:
            values = pc.drop_null(pc.unique(table.column(column))).to_pylist()
            if any(v not in vocabulary for v in values):
                return f"not a part of this store ({column} holds values outside its vocabulary)"
    return None


def _damage(store: Store, paths, exc) -> StoreError:
    bad = damaged_parts(store, paths)
    if not bad:
        return StoreError(f"cannot read the store {store.root}: {redact(str(exc).splitlines()[0][:200])}")
    names = "; ".join(f"{os.path.relpath(p, store.root)} is {why}" for p, why in bad[:3])
    more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
    return StoreError(f"store {store.root} is damaged: {names}{more}. Run toolkit.store.repair({str(store.root)!r}) "
                      "to set the damaged parts aside; the next ingest reads their recordings again")


def repair(store, *, wait="0s") -> pd.DataFrame:
    """Set aside damaged parts so the store reads again, and let the next ingest redo them.

    A part is damaged when it is missing, when any page fails to read or its
    checksum does not match, or when it is not the part the manifest names
    (other columns, another row count, values outside the store's vocabularies).

    Every unit with a damaged part is dropped from the manifest, with the later
    units of the same recording (so nothing is counted twice when it is read
    again); their files move to ``.toolkit/quarantine/``. The next
    :func:`ingest` of the recordings reads those bytes again. A unit whose
    recording no longer exists cannot be redone: the report says so.

    Parameters
    ----------
    store : path
        The store directory.
    wait : str, Timedelta or None
        How long to wait when an ingest is writing to the store (``"30s"``);
        then :class:`StoreLockedError`. ``None`` waits as long as it takes; the
        default ``"0s"`` does not wait.

    Returns
    -------
    DataFrame
        One row per dropped unit: ``source``, ``unit``, ``rows``, ``problem``
        (empty for later units dropped with it) and ``recoverable`` (the
        recording is still there to be ingested again).

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/calls"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> toolkit.store.repair(store).empty
    True
    """
    seconds = wait_seconds(wait, "repair")
    store = Store(store)
    out = []
    with store.lock(seconds):
        manifest = store.read_manifest()
        files = {p["path"] for p in parts(manifest)} | {p["path"] for p in reject_parts(manifest)}
        problems = {os.path.relpath(p, store.root): why
                    for p, why in damaged_parts(store, [str(store.path(f)) for f in sorted(files)])}
        quarantine = store.meta / "quarantine"
        for src, entry in sorted(manifest["sources"].items()):
            us = entry["units"]
            first = next((i for i, u in enumerate(us) if any(f in problems for f in _files(u))), None)
            if first is None:
                continue
            for u in us[first:]:
                why = "; ".join(f"{f} is {problems[f]}" for f in _files(u) if f in problems)
                out.append((shown_name(src), u["id"], u["rows"], why, os.path.exists(src)))
                for f in _files(u):  # the manifest check keeps these paths inside the store
                    if os.path.isfile(store.path(f)):
                        target = quarantine / f
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(store.path(f), target)
            entry["units"] = us[:first]
            entry.update(size=None, mtime_ns=None)  # read it again next time
        if out:
            store.write_manifest(manifest)
    return pd.DataFrame(out, columns=["source", "unit", "rows", "problem", "recoverable"]).astype(
        {"source": "string[pyarrow]", "unit": "string[pyarrow]", "rows": "int64", "problem": "string[pyarrow]",
         "recoverable": bool})


def _files(unit: dict) -> list[str]:
    return [p["path"] for p in unit["parts"]] + ([unit["rejects_part"]["path"]] if unit.get("rejects_part") else [])


__all__ = ["read_calls", "read_rejects", "repair", "report", "select_parts", "units"]


def _load(store, window: Selection, errors: str):
    """What :func:`toolkit.read_logs` returns for a store: calls, rejects, per-file report, line count."""
    rejects = read_rejects(store)
    if errors == "raise" and len(rejects):
        first = rejects.iloc[0]
        raise LogFormatError(f"{first.source}, line {first.line}: {first.reason}: {first.excerpt}")
    rep = report(store)
    lines = int(rep["rows"].sum() + rep["rejects"].sum() + rep["skipped"].sum())
    return read_calls(store, window), rejects, rep, lines
