"""Parse recordings into a store: new files whole, growing logs from where the last run stopped.

Line formats (JSON Lines and any reader with a ``parse_chunk``) are read in
units of whole lines; each unit is parsed by the loader's own parser, written
as Parquet parts and committed with the byte offset and line count it reached,
so the next run reads only what was appended and numbers its lines on from
there. Other formats are ingested whole, once.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import re
import warnings
from dataclasses import dataclass

import pandas as pd

from .._words import shown_name
from .._progress import progress
from ..errors import LogFormatError, ParameterError, ParameterTypeError
from ..read import RejectWarning
from ..read.engine import bot_given, expand, open_recording, parse, read_options, reader
from ..schema import COLUMNS, STRING
from ._batch import SMALL, Together
from ._lines import Hashing, after_last_newline, blocks, line_end
from ._manifest import Store, StoreError, has_parts, new_manifest, wait_seconds
from ._parts import Member, write_units
from ._verify import signature

UNIT = 64 << 20  # bytes of whole lines parsed and committed at a time
HEAD = 64 << 10  # bytes fingerprinted at the start of a recording
TAIL = 4 << 10  # bytes fingerprinted just before where the last run stopped

#: What an ingest did with each file, as :attr:`Ingest.report` names it.
STATUSES = ["new", "appended", "unchanged", "changed", "failed", "gone", "skipped"]
#: The columns of :attr:`Ingest.report` (not the per-file report of a load, :data:`toolkit.schema.REPORT_DTYPES`).
INGEST_DTYPES = {
    "source": STRING, "format": STRING, "status": pd.CategoricalDtype(STATUSES), "rows": "int64",
    "rejects": "int64", "skipped": "int64", "bytes": "int64", "pending": "int64", "message": STRING,
}


class IngestWarning(UserWarning):
    """A recording could not be ingested (failed, or changed other than by appending)."""


@dataclass
class Ingest:
    """What :func:`ingest` did.

    Attributes
    ----------
    store : str
        The store directory.
    report : DataFrame
        One row per recording: ``source`` (its resolved path), ``format``, ``status``
        (new, appended, unchanged, changed, failed, gone; skipped for a second path to a file, a link to it),
        the ``rows``, ``rejects``
        and ``skipped`` lines added by this run, the ``bytes`` read (uncompressed),
        ``pending`` bytes of an unfinished last line left for the next run, and a
        ``message`` for changed and failed files.
    """

    store: str
    report: pd.DataFrame

    @property
    def rows(self) -> int:
        return int(self.report["rows"].sum())

    @property
    def rejects(self) -> int:
        return int(self.report["rejects"].sum())

    def __repr__(self) -> str:
        counts = self.report["status"].value_counts()
        parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return f"Ingest({self.rows:,} rows, {self.rejects:,} rejects into {self.store}; files: {parts or 'none'})"


def ingest(source, store, *, market_rules=None, pattern=None, fields=None, format: str = "auto",
           errors: str = "report", wait="0s", bot=None) -> Ingest:
    """Parse recordings into a Parquet store, adding only what is not in it yet.

    The store (a directory) holds the calls partitioned by UTC date and market
    with the loader's columns, the rejected lines beside them, and a manifest
    of what was read from each recording. Running it again adds new files and
    the bytes appended to growing logs, nothing twice. An interrupted run
    leaves nothing half-written visible and can simply be rerun.

    Parameters
    ----------
    source : path, directory, glob, or a list of these
        As for :func:`toolkit.read_logs` (but not open files: recordings are
        found again by path to read what was appended). A recording is known by
        its resolved path (links followed), which is also its ``source`` in the store; a second path to a
        file (a link to it) is skipped.
    store : path
        The store directory; created when missing. It must be a store or new.
    market_rules : dict, optional
        As for :func:`toolkit.read_logs`; fixed when the store is created.
    pattern : str or re.Pattern, optional
        The layout of text logs, as for :func:`toolkit.read_logs`; fixed when
        the store is created.
    fields : dict, optional
        JSON Lines key names, as for :func:`toolkit.read_logs`; fixed when the
        store is created.
    format : {"auto", "jsonl", "har", "vcr", "text", "wslog"}
        As for :func:`toolkit.read_logs`.
    errors : {"report", "raise"}
        ``"report"`` keeps bad lines in the rejects dataset (and warns);
        ``"raise"`` stops at the first with :class:`toolkit.LogFormatError`,
        keeping what was committed before it.
    wait : str, Timedelta or None
        How long to wait when another ingest is writing to the store
        (``"30s"``, ``"5min"``); then :class:`StoreLockedError`. ``None`` waits
        as long as it takes; the default ``"0s"`` does not wait.
    bot : dict or callable, optional
        Which bot made each recording's calls, as for :func:`toolkit.read_logs`
        (matched against the recording's absolute path). Fixed for a recording
        when it is first ingested: later runs keep it (naming it otherwise then
        is a :class:`toolkit.ParameterError`, before anything is read).

    Returns
    -------
    Ingest
        ``.report``: one row per recording with what this run added.

    Notes
    -----
    A line format's last line is taken only once it ends with a newline (the
    logger may be writing it), except in a compressed file, which is complete.
    A recording that changed other than by growing (rewritten, truncated,
    rotated under the same name) is left alone, reported as ``changed``.

    Examples
    --------
    >>> import tempfile, toolkit
    >>> store = tempfile.mkdtemp() + "/calls"
    >>> toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store).report[["status", "rows"]].values.tolist()
    [['new', 30043]]
    >>> toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store).report["status"].tolist()
    ['unchanged']
    """
    options = read_options(format=format, errors=errors, market_rules=market_rules, pattern=pattern, fields=fields,
                           bot=bot)
    seconds = wait_seconds(wait, "ingest")
    rules = options.market_rules
    layout = None if options.pattern is None else [options.pattern.pattern, options.pattern.flags]
    keys = None if fields is None else dict(fields)
    duplicates: list = []
    files = expand(source, duplicates)
    if any(hasattr(f, "read") for f in files):
        raise ParameterTypeError("ingest reads recordings by path (to find them again when they grow), not open files")
    store = Store(store)
    if store.root.exists() and not store.manifest_path.exists():
        if not store.root.is_dir():
            raise StoreError(f"{store.root} is a file, not a store directory")
        if has_parts(store.root):
            store.read_manifest()  # a store that lost its manifest: the error says how to rebuild it
        if any(p.name != ".toolkit" for p in store.root.iterdir()):
            raise StoreError(f"{store.root} is not empty and not a toolkit store; ingest into a new directory")
    store.root.mkdir(parents=True, exist_ok=True)
    rows = []
    with store.lock(seconds):
        if store.manifest_path.exists():
            manifest = store.read_manifest()
            if rules is not None and rules != manifest["market_rules"]:
                raise ParameterError(f"market_rules must stay as the store was created with "
                                 f"({manifest['market_rules']!r}), not {rules!r}")
            if layout is not None and layout != manifest.get("pattern"):
                raise ParameterError(f"pattern must stay as the store was created with "
                                 f"({(manifest.get('pattern') or [None])[0]!r}), not {layout[0]!r}")
            if keys is not None and keys != manifest.get("fields"):
                raise ParameterError(f"fields must stay as the store was created with "
                                     f"({manifest.get('fields')!r}), not {keys!r}")
        else:
            manifest = new_manifest(rules, layout, keys)
            store.write_manifest(manifest)
        bots = _bots(files, options.bot, manifest)
        manifest["columns"] = COLUMNS  # a store written before bot and key_id gains them: its new parts hold them
        store.clean(manifest)
        stored = manifest.get("pattern")
        options = read_options(errors=errors, market_rules=manifest["market_rules"],
                               pattern=None if stored is None else re.compile(stored[0], stored[1]),
                               fields=manifest.get("fields"))
        if format != "auto":
            options = options.with_format(format)
        seen = set()
        together = Together(store, manifest, options)  # small recordings, committed together
        try:
            for path in progress(files, desc="ingesting"):
                src = os.path.realpath(path)  # known by what it is: a link and its file are one recording
                if src in seen:
                    continue
                seen.add(src)
                rows.append(_Recording(store, manifest, src, options.with_bot(bots[src]), together).ingest())
            together.commit()
        finally:
            store.save(manifest, force=True)
        rows.extend(_row(os.path.abspath(path), status="skipped", message=f"the same file as "
                         f"{shown_name(os.path.realpath(first))}, which is ingested under that name")
                    for path, first in duplicates)
        rows.extend(_gone(manifest, source, seen))
    report = pd.DataFrame(rows, columns=list(INGEST_DTYPES)).astype(INGEST_DTYPES)
    for r in report.itertuples():
        if r.status in ("changed", "failed"):
            warnings.warn(f"{r.source}: {r.message}", IngestWarning, stacklevel=2)
        elif r.rejects:
            warnings.warn(f"{r.rejects:,} of {r.rows + r.rejects + r.skipped:,} new lines rejected in {r.source} "
                          f"(kept in the store's rejects)", RejectWarning, stacklevel=2)
    return Ingest(str(store.root), report)


def _bots(files, rule, manifest) -> dict:
    """The bot ``bot=`` names each recording after (None: its records' and its file name's), as fixed when
    it was first ingested; a :class:`ParameterError` when ``bot=`` names one ingested before otherwise."""
    out = {}
    for path in files:
        src = os.path.realpath(path)  # as the recordings are known below
        name, entry = bot_given(rule, src), manifest["sources"].get(src)
        if entry is not None and entry["units"]:
            fixed = entry.get("bot")
            if name is not None and name != fixed:
                was = repr(fixed) if fixed is not None else "its records' and its file name's"
                raise ParameterError(f"bot must stay as {src} was first ingested with ({was}), not {name!r}")
            name = fixed
        out[src] = name
    return out


def _gone(manifest, source, seen) -> list[dict]:
    """Report recordings the store holds under a directory given as source that are no longer there."""
    dirs = [os.path.realpath(s) for s in (source if isinstance(source, (list, tuple)) else [source])
            if isinstance(s, (str, os.PathLike)) and os.path.isdir(s)]
    out = []
    for src, entry in sorted(manifest["sources"].items()):
        if src not in seen and any(src.startswith(d.rstrip(os.sep) + os.sep) for d in dirs) and not os.path.exists(src):
            out.append(_row(src, entry["format"], "gone", message="no longer there; its rows stay in the store"))
    return out


def _row(source, fmt=None, status="unchanged", rows=0, rejects=0, skipped=0, nbytes=0, pending=0, message=""):
    return {"source": shown_name(source), "format": fmt, "status": status, "rows": rows, "rejects": rejects,
            "skipped": skipped, "bytes": nbytes, "pending": pending, "message": message}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Recording:
    """Ingesting one recording into an open (locked) store."""

    def __init__(self, store: Store, manifest: dict, src: str, options, together: Together | None = None):
        self.store, self.manifest, self.src, self.options = store, manifest, src, options
        self.together = together
        self.entry = manifest["sources"].get(src)
        self.added = {"rows": 0, "rejects": 0, "skipped": 0}
        self._pending = None  # the unit being written while the next one is parsed

    def ingest(self) -> dict:
        src, entry = self.src, self.entry
        try:
            st = os.stat(src)
        except OSError as exc:
            return _row(src, status="failed", message=f"cannot open: {exc.strerror}")
        if entry and entry["size"] == st.st_size and entry["mtime_ns"] == st.st_mtime_ns:
            return _row(src, entry["format"], "unchanged", pending=entry["pending"])
        fmt = entry["format"] if entry else None
        try:
            rec = open_recording(src, self.options if fmt is None else self.options.with_format(fmt))
        except OSError as exc:
            return _row(src, status="failed", message=str(exc))
        except LogFormatError as exc:  # its compressed start is damaged
            return self._failed(fmt, exc)
        try:
            with rec:  # damaged gzip read further on: the one error naming the file
                fmt = rec.format
                self.options = self.options.with_format(fmt)
                if not reader(fmt).line_format:
                    row = self._whole(fmt, rec.stream, st)
                else:  # lines ending in CR alone are read through, as a compressed file is
                    row = self._lines(fmt, rec.head, rec.stream, rec.cut_at_lf, st)
        except LogFormatError as exc:  # with errors="report", only unreadable bytes raise
            row = self._failed(fmt, exc)
        row.update(self.added)
        return row

    def _failed(self, fmt, err: LogFormatError) -> dict:
        if self.options.errors == "raise":
            raise err
        return _row(self.src, fmt, "failed", message=f"{err}".replace(f"{shown_name(self.src)}: ", "", 1))

    # -- line formats ----------------------------------------------------------
    def _lines(self, fmt, head: bytes, stream, plain: bool, st) -> dict:
        src, entry = self.src, self.entry
        units = entry["units"] if entry else []
        offset = units[-1]["end"] if units else 0
        line = units[-1]["line_end"] if units else 0
        if entry and units:
            hlen, hsha = entry["head"]
            if len(head) < hlen or _sha(head[:hlen]) != hsha:
                return self._changed(fmt, "its first bytes are not the ones ingested before")
            last = self._seek(stream, offset, plain)
            if last is None or _sha(last) != units[-1]["tail"]:
                return self._changed(fmt, f"it is shorter than the {offset:,} bytes ingested before, "
                                          "or they were rewritten")
        if plain:
            return self._plain(fmt, stream, head, st, units, offset, line)
        if not units:
            last = b""
        # compressed: read through, in units of whole lines (the file is complete: its last line counts)
        start = offset
        try:
            for data in blocks(stream, UNIT):
                # numbered on from the lines before
                result = parse(data, self.options, name=shown_name(src), start_line=line)
                last = (last + data[-TAIL:])[-TAIL:]
                self._commit_later(fmt, result, {"start": offset, "end": offset + len(data), "line_start": line,
                                                 "line_end": result.last_line, "tail": _sha(last)}, head)
                offset += len(data)
                line = result.last_line
        finally:
            self._committed()
        self._seen(fmt, st, 0)
        status = "new" if not units else ("appended" if offset > start else "unchanged")
        return _row(src, fmt, status, nbytes=offset - start)

    def _plain(self, fmt, f, head: bytes, st, units, offset: int, line: int) -> dict:
        """An uncompressed file: units of whole lines, parsed in byte ranges the workers read themselves."""
        size = os.fstat(f.fileno()).st_size
        complete = after_last_newline(f, size)  # a last line without its newline waits
        start = offset
        if self.together is not None and 0 < complete - offset <= min(UNIT, SMALL):  # with the other small ones
            f.seek(max(0, complete - TAIL))
            unit = {"start": offset, "end": complete, "line_start": line, "tail": _sha(f.read(complete - f.tell()))}
            row = _row(self.src, fmt, "appended" if units else "new", nbytes=complete - offset, pending=size - complete)
            self.together.add(self, fmt, unit, head, st, size - complete, row)
            return row
        try:
            while offset < complete:
                end = line_end(f, min(offset + UNIT, complete), complete)
                result = parse(self.src, self.options, start_line=line, byte_range=(offset, end))
                f.seek(max(0, end - TAIL))
                last = f.read(end - max(0, end - TAIL))
                self._commit_later(fmt, result, {"start": offset, "end": end, "line_start": line,
                                                 "line_end": result.last_line, "tail": _sha(last)}, head)
                offset, line = end, result.last_line
        finally:
            self._committed()
        pending = size - complete
        self._seen(fmt, st, pending)
        status = "new" if not units else ("appended" if offset > start else "unchanged")
        return _row(self.src, fmt, status, nbytes=offset - start, pending=pending)

    def _seek(self, stream, offset: int, plain: bool):
        """Move ``stream`` (read from its start) to ``offset``; the ``TAIL`` bytes before it (None: the file is
        shorter)."""
        n = min(TAIL, offset)
        if plain:
            stream.seek(offset - n)
            last = stream.read(n)
            return last if len(last) == n else None
        todo = offset - n
        while todo:
            got = stream.read(min(todo, 16 << 20))
            if not got:
                return None
            todo -= len(got)
        last = b""
        while len(last) < n:
            got = stream.read(n - len(last))
            if not got:
                return None
            last += got
        return last

    # -- other formats -----------------------------------------------------------
    def _whole(self, fmt, stream, st) -> dict:
        src, entry = self.src, self.entry
        hashing = Hashing(stream)
        if entry and entry["units"]:
            while hashing.read(16 << 20):
                pass
            if hashing.hexdigest() == entry["units"][0]["sha"]:
                self._seen(fmt, st, 0)
                return _row(src, fmt, "unchanged")
            return self._changed(fmt, f"a {fmt} recording is ingested whole, once; "
                                      "it has changed since, so ingest the new version under another name")
        result = parse(hashing, self.options, name=shown_name(src))
        self._commit(fmt, result, {"whole": True, "sha": hashing.hexdigest(), "size": hashing.size}, b"")
        self._seen(fmt, st, 0)
        return _row(src, fmt, "new", nbytes=hashing.size)

    # -- bookkeeping -------------------------------------------------------------
    def _changed(self, fmt, why: str) -> dict:
        return _row(self.src, fmt, "changed",
                    message=f"changed since it was ingested: {why}; left alone, its rows stay in the store")

    def _entry(self, fmt, head: bytes) -> dict:
        if self.entry is None:
            self.entry = self.manifest["sources"][self.src] = {
                "format": fmt, "size": None, "mtime_ns": None, "pending": 0, "head": [0, _sha(b"")], "units": [],
                "bot": self.options.bot}
        if not self.entry["units"] and head:  # fingerprint the start from the first unit on
            hlen = min(HEAD, len(head))
            self.entry["head"] = [hlen, _sha(head[:hlen])]
        return self.entry

    def _seen(self, fmt, st, pending: int) -> None:
        """Record that the file was read to its end as it was at ``st``: unchanged files are skipped next time
        (once the manifest is next written)."""
        entry = self._entry(fmt, b"")
        entry.update(size=st.st_size, mtime_ns=st.st_mtime_ns, pending=pending)
        self.store.save(self.manifest)

    def _commit_later(self, fmt, result, unit: dict, head: bytes) -> None:
        """:meth:`_commit` in the writer thread, once the unit before is committed: the workers parse the
        next unit meanwhile. Units are still committed one at a time and in order; a failed commit raises
        here, or in :meth:`_committed`."""
        self._committed()
        self._pending = _writer().submit(self._commit, fmt, result, unit, head)

    def _committed(self) -> None:
        """Wait until the unit handed to the writer thread is committed; raise what its commit raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            try:
                pending.result()
            except BaseException:  # ^C while waiting: the commit still ends before the store is unlocked
                concurrent.futures.wait([pending])
                raise

    def _commit(self, fmt, result, unit: dict, head: bytes) -> None:
        """Write one unit's parts and move them into place, then name them in the manifest."""
        entry = self._entry(fmt, head)
        settings = {k: self.manifest.get(k) for k in ("market_rules", "pattern", "fields")}
        uid, calls, rejects = write_units(self.store, [Member(self.src, fmt, list(entry["head"]), dict(unit), result)],
                                          settings)
        unit.update(id=uid, rows=result.rows, rejects=result.reject_count, skipped=result.skipped, parts=calls[0],
                    rejects_part=rejects[0])
        entry["units"].append(unit)
        marks = self.manifest.setdefault("verified", {})
        for p in calls[0] + ([rejects[0]] if rejects[0] else []):
            marks[p["path"]] = signature(self.store.path(p["path"]))  # verified: just written
        try:
            self.store.save(self.manifest, force=True)
        except BaseException:
            entry["units"].pop()  # not committed: the parts just moved are orphans the next run deletes
            raise
        for k in self.added:
            self.added[k] += unit[k]


_pool = None


def _writer() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that writes units' parts and manifests (Parquet and zstd work outside the GIL)."""
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="toolkit-store-writer")
    return _pool
