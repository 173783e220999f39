"""Small recordings ingested together: their new lines parsed in one pass and written as one set of parts.

A unit of a few lines costs little to parse but a set of Parquet parts, their syncs and a manifest entry
to commit; committed one by one, 20,000 one-line files took hours. Here the units of small recordings are
gathered (up to :data:`GROUP_FILES` of them or :data:`GROUP_BYTES` bytes), parsed together by the loader
(:func:`toolkit.read.engine.parse_many`: one pass types and classifies all their rows) and committed as one
set of parts, each unit naming its rows in them; the manifest is written once for the lot.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._words import shown_name
from ..errors import LogFormatError
from ..read.engine import parse_many
from ._manifest import Store
from ._parts import Member, write_units
from ._verify import signature

#: A recording whose new lines are at most this many bytes is ingested with the other small ones ...
SMALL = 1 << 20
#: ... up to this many at a time, or this many bytes.
GROUP_FILES, GROUP_BYTES = 4096, 32 << 20


@dataclass
class _Waiting:
    recording: object  # the store's _Recording
    format: str
    unit: dict  # start, end, line_start, tail
    head: bytes
    stat: object
    pending: int
    row: dict  # its line of the ingest report, completed when committed


class Together:
    """The small recordings' units waiting to be committed together, in one open (locked) store."""

    def __init__(self, store: Store, manifest: dict, options):
        self.store, self.manifest, self.options = store, manifest, options
        self.waiting: list[_Waiting] = []
        self.bytes = 0

    def add(self, recording, fmt: str, unit: dict, head: bytes, st, pending: int, row: dict) -> None:
        """Take a recording's unit (its lines ``unit["start"]`` to ``unit["end"]``); commit the lot once full."""
        self.waiting.append(_Waiting(recording, fmt, unit, head, st, pending, row))
        self.bytes += unit["end"] - unit["start"]
        if len(self.waiting) >= GROUP_FILES or self.bytes >= GROUP_BYTES:
            self.commit()

    def commit(self) -> None:
        """Parse the waiting units together, write their parts, name them in the manifest."""
        waiting, self.waiting, self.bytes = self.waiting, [], 0
        if not waiting:
            return
        jobs = [(w.recording.src, {"options": w.recording.options, "name": shown_name(w.recording.src),
                                   "start_line": w.unit["line_start"], "byte_range": (w.unit["start"], w.unit["end"])})
                for w in waiting]
        try:
            results = list(parse_many(jobs, self.options))
        except (LogFormatError, OSError) as exc:
            if isinstance(exc, LogFormatError) and self.options.errors == "raise":
                raise
            for w in waiting:
                w.row.update(status="failed", bytes=0, message=f"{exc}")
            return
        members = []
        for w, result in zip(waiting, results):
            entry = w.recording._entry(w.format, w.head)
            w.unit["line_end"] = result.last_line
            members.append(Member(w.recording.src, w.format, list(entry["head"]), dict(w.unit), result))
        settings = {k: self.manifest.get(k) for k in ("market_rules", "pattern", "fields")}
        if any(r.rows or r.rejects for r in results):
            uid, calls, rejects = write_units(self.store, members, settings)
        else:  # nothing but blank or skipped lines: no parts
            uid, calls, rejects = "", [[] for _ in members], [None] * len(members)
        marks = self.manifest.setdefault("verified", {})
        for w, result, parts, rejected in zip(waiting, results, calls, rejects):
            w.unit.update(id=uid, rows=result.rows, rejects=result.reject_count, skipped=result.skipped,
                          parts=parts, rejects_part=rejected)
            w.recording.entry["units"].append(w.unit)
            w.recording._seen(w.format, w.stat, w.pending)
            counts = {"rows": result.rows, "rejects": result.reject_count, "skipped": result.skipped}
            w.recording.added.update(counts)  # (its report line is completed now, or from these when it is made)
            w.row.update(counts)
            for p in parts + ([rejected] if rejected else []):
                marks.setdefault(p["path"], signature(self.store.path(p["path"])))  # verified: just written
        self.store.save(self.manifest)


__all__ = ["GROUP_BYTES", "GROUP_FILES", "SMALL", "Together"]
