"""Bring a store back: damaged parts set aside for the next ingest to redo, a lost manifest rebuilt: :func:`repair`.

Every part carries in its footer the units whose rows it holds (:func:`._parts.write_units`): the recording,
its format and fingerprint, the byte range and lines of the unit, its rows in the part. A manifest that was
lost is rebuilt from these: each recording's units, in order, as far as they follow one another from its
start; a unit after a gap (one that wrote no part: only blank or skipped lines) is set aside with everything
after it, so the next ingest reads those bytes again and nothing is counted twice.
"""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._words import shown_name
from ..errors import StoreError
from ._manifest import ADDED_IN, CALLS, PART_SCHEMA, REJECTS, Store, new_manifest, parts, reject_parts, wait_seconds
from ._verify import damaged_parts, signature

_COLUMNS = {"source": "string[pyarrow]", "unit": "string[pyarrow]", "rows": "int64", "problem": "string[pyarrow]",
            "recoverable": bool}


def repair(store, *, wait="0s") -> pd.DataFrame:
    """Set aside damaged parts so the store reads again, and let the next ingest redo them; rebuild a lost
    manifest from the parts.

    A part is damaged when it is missing, when any page fails to read or its
    checksum does not match, when its footer is not what the manifest names
    (other columns, another row count, statistics that are not its values'),
    when it holds values outside the store's vocabularies, or when DuckDB reads
    other values from it than pyarrow does.

    Every unit with a damaged part is dropped from the manifest, with the later
    units of the same recording (so nothing is counted twice when it is read
    again), and the units that share a part with a dropped one; their files move
    to ``.toolkit/quarantine/``. The next :func:`ingest` of the recordings reads
    those bytes again. A unit whose recording no longer exists cannot be redone:
    the report says so. The parts found sound are marked verified, so readers do
    not check them again until they change.

    A store whose manifest (``.toolkit/manifest.json``) was lost gets one rebuilt
    from what each part's footer says it holds; the parts of units that cannot be
    placed (after a gap, or written without that description) are set aside as
    above.

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
    with store.lock(seconds):
        out = []
        if not store.manifest_path.exists():
            manifest, out, strays = rebuild(store)
            _quarantine(store, strays)
        else:
            manifest = store.read_manifest()
        files = sorted({p["path"] for p in parts(manifest)} | {p["path"] for p in reject_parts(manifest)})
        problems = {os.path.relpath(p, store.root): why
                    for p, why in damaged_parts(store, [str(store.path(f)) for f in files])}
        dropped, bad = drop(manifest, problems)
        out += [(shown_name(src), u["id"], u["rows"], "; ".join(f"{f} is {problems[f]}" for f in _files(u)
                                                                if f in problems), os.path.exists(src))
                for src, u in dropped]
        _quarantine(store, bad)
        marks = manifest.setdefault("verified", {})
        for f in list(marks):
            if f not in files or f in bad:
                del marks[f]
        for f in files:
            if f not in bad:
                marks[f] = signature(store.path(f))  # read whole above and found sound
        store.write_manifest(manifest)
    return pd.DataFrame(out, columns=list(_COLUMNS)).astype(_COLUMNS)


def drop(manifest: dict, bad_files) -> tuple[list, set]:
    """Drop from ``manifest`` every unit with a file in ``bad_files``, with the later units of its recording;
    a part shared with other units (small recordings ingested together) takes them along. Returns the
    dropped ``(source, unit)`` and every file they name."""
    bad, dropped = set(bad_files), []
    changed = True
    while changed:
        changed = False
        for src, entry in sorted(manifest["sources"].items()):
            us = entry["units"]
            first = next((i for i, u in enumerate(us) if any(f in bad for f in _files(u))), None)
            if first is None:
                continue
            for u in us[first:]:
                dropped.append((src, u))
                bad.update(_files(u))
            entry["units"] = us[:first]
            entry.update(size=None, mtime_ns=None)  # read it again next time
            changed = True
    return dropped, bad


def _files(unit: dict) -> list[str]:
    return [p["path"] for p in unit["parts"]] + ([unit["rejects_part"]["path"]] if unit.get("rejects_part") else [])


def _quarantine(store: Store, files) -> None:
    """Move ``files`` (paths inside the store, as the manifest check keeps them) to ``.toolkit/quarantine/``."""
    quarantine = store.meta / "quarantine"
    for f in sorted(files):
        if os.path.isfile(store.path(f)):
            target = quarantine / f
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(store.path(f), target)


def rebuild(store: Store) -> tuple[dict, list, set]:
    """A manifest made from what the parts of a store say they hold; the units set aside (as :func:`repair`
    reports them) and the files to set aside with them."""
    found: dict = {}  # (source, unit id, start) -> [unit, format, head]
    settings, strays, out = None, set(), []
    for top in (CALLS, REJECTS):
        for path in sorted((store.root / top).rglob("part-*.parquet")) if (store.root / top).is_dir() else []:
            rel = path.relative_to(store.root).as_posix()
            about = _about(path)
            if about is None:
                strays.add(rel)
                out.append(("", rel, 0, f"{rel} says nothing of the units it holds (unreadable, or written by an "
                                       "older toolkit)", False))
                continue
            settings = settings or about.get("store") or {}
            for held in about.get("units", []):
                unit = held["unit"]
                key = (held["source"], unit["id"], unit.get("start", 0))
                entry = found.setdefault(key, [{**unit, "parts": [], "rejects_part": None}, held["format"],
                                              held["head"]])
                if top == CALLS:
                    date, market = (part.split("=", 1)[1] for part in rel.split("/")[1:3])
                    entry[0]["parts"].append({"path": rel, "date": date, "market": market, "rows": held["rows"],
                                              **_layout(path)})
                else:
                    entry[0]["rejects_part"] = {"path": rel, "rows": held["rows"]}
    if settings is None and not found:
        raise StoreError(f"{store.manifest_path} is missing and no part of {store.root} says what it holds: "
                         "ingest the recordings into a new store")
    manifest = new_manifest(settings.get("market_rules"), settings.get("pattern"), settings.get("fields"))
    by_source: dict = {}
    for (src, _, _), (unit, fmt, head) in found.items():
        by_source.setdefault(src, []).append((unit, fmt, head))
    gaps: set = set()
    for src, held in sorted(by_source.items()):
        held.sort(key=lambda h: (h[0].get("start", 0), h[0].get("line_start", 0)))
        kept, end, broken = [], 0, False
        for unit, _, _ in held:
            fits = (unit.get("whole") and not kept) or (not unit.get("whole") and unit.get("start") == end)
            if fits and not broken:
                kept.append(unit)
                end = unit.get("end", 0)
            else:  # a unit that wrote no part came before (blank or skipped lines only): read again from there
                broken = True
                gaps.update(_files(unit))
                out.append((shown_name(src), unit["id"], unit["rows"], "after a unit no part describes",
                            os.path.exists(src)))
        manifest["sources"][src] = {"format": held[0][1], "size": None, "mtime_ns": None, "pending": 0,
                                    "head": held[0][2], "units": kept}
    dropped, bad = drop(manifest, gaps)  # a kept unit sharing a part with one set aside goes with it
    out += [(shown_name(src), u["id"], u["rows"], "shares a part with a unit set aside", os.path.exists(src))
            for src, u in dropped]
    return manifest, out, strays | gaps | bad


def _layout(path) -> dict:
    """A calls part's layout as the manifest names it: the last layout whose columns it holds all of
    (``schema`` 2 with ``bot`` and ``key_id``, 3 with the order columns too; none named for layout 1)."""
    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError, pa.ArrowException):
        return {}
    layout = 1
    for n in range(2, PART_SCHEMA + 1):
        if not all(c in names for c in ADDED_IN[n]):
            break
        layout = n
    return {"schema": layout} if layout > 1 else {}


def _about(path) -> dict | None:
    """What a part's footer says of the units it holds, or None when it cannot be read or says nothing."""
    try:
        about = json.loads((pq.read_metadata(path).metadata or {})[b"toolkit_units"])
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException):  # a footer in bits, an older part
        return None
    return about if isinstance(about, dict) and isinstance(about.get("units"), list) else None


__all__ = ["drop", "rebuild", "repair"]
