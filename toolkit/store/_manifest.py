"""Where a store keeps its files, its manifest, and the lock writers take.

Layout of a store directory::

    calls/date=2026-11-16/market=spot/part-<unit>.parquet   the calls, by UTC date and market
    rejects/part-<unit>.parquet                             lines that could not become rows
    .toolkit/manifest.json                                  what is in the store (the only truth)
    .toolkit/lock                                           held by the one ingest writing
    .toolkit/staging/                                       parts being written (never read)
    .toolkit/quarantine/                                    parts :func:`repair` took out

A *unit* is one committed piece of one recording: a byte range of a line
format, or a whole file of any other format (small recordings' units share
their parts, each naming its rows in them). Its Parquet parts are written
under ``staging/``, moved into place, and only then named in the manifest,
which is replaced atomically. Readers list parts from the manifest, so a part
of an interrupted run is never seen; the next writer deletes it. The manifest
also keeps each part's verified mark (``verified``, see :mod:`._verify`), and
each part's footer the units it holds (from which :mod:`._repair` rebuilds a
lost manifest).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

import orjson

from .._io import write_atomic
from ..errors import StoreError, StoreLockedError
from ..schema import COLUMNS, FORMATS, ORDER_FIELDS, UNKNOWN_BOT
from ..selection import as_duration

META = ".toolkit"
MANIFEST = "manifest.json"
VERSION = 1
#: The layout of the calls parts written now, named on each part in the manifest (``schema``).
PART_SCHEMA = 3
#: Columns the calls parts gained with each layout, and what the calls of a part of an earlier layout read as:
#: layout 2 added ``bot`` and ``key_id`` (a part of layout 1, named without a ``schema``: its calls' bot is not
#: known, nor their key), layout 3 the order's identity (not recorded).
ADDED_IN = {2: {"bot": UNKNOWN_BOT, "key_id": None}, 3: dict.fromkeys(ORDER_FIELDS)}
#: Every added column and what the calls of a part without it read as.
ADDED = {c: v for added in ADDED_IN.values() for c, v in added.items()}
#: The layout each column came with (1: the first).
LAYOUT_OF = {c: next((n for n, added in ADDED_IN.items() if c in added), 1) for c in COLUMNS}
#: The columns of a store's manifest written before a layout's columns, which is read still (and gains them
#: when ingested into).
COLUMNS_BEFORE = [[c for c in COLUMNS if LAYOUT_OF[c] <= n] for n in range(1, PART_SCHEMA)]
CALLS, REJECTS = "calls", "rejects"
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)




def is_store(path) -> bool:
    """Tell whether ``path`` is a directory written by :func:`toolkit.store.ingest`: it has a manifest, or
    parts laid out as a store's (whose lost manifest :func:`toolkit.store.repair` rebuilds).

    Examples
    --------
    >>> from toolkit.store import is_store
    >>> is_store("data/sample")
    False
    """
    try:
        root = os.fspath(path)
    except TypeError:
        return False
    if not isinstance(root, str):
        return False
    return os.path.isfile(os.path.join(root, META, MANIFEST)) or has_parts(root)


def has_parts(root) -> bool:
    """Whether ``root`` holds parts laid out as a store's (``calls/date=.../``, ``rejects/part-*.parquet``)."""
    for top, pattern in ((CALLS, "date="), (REJECTS, "part-")):
        try:
            with os.scandir(os.path.join(root, top)) as entries:
                if any(e.name.startswith(pattern) for e in entries):
                    return True
        except OSError:
            continue
    return False


def new_manifest(market_rules, pattern=None, fields=None) -> dict:
    """An empty store's manifest; ``pattern`` is a text-log layout as ``[regex, flags]``, ``fields``
    the JSON Lines key names (``{field: key}``)."""
    return {"toolkit_store": VERSION, "columns": COLUMNS, "market_rules": market_rules, "pattern": pattern,
            "fields": fields, "sources": {}}


def units(manifest: dict):
    """(source, unit) for every committed unit, sources in path order, units in file order."""
    for src in sorted(manifest["sources"]):
        for unit in manifest["sources"][src]["units"]:
            yield src, unit


def parts(manifest: dict) -> list[dict]:
    """Every committed calls part, once: ``path`` (relative to the store), ``date``, ``market``, ``rows`` and,
    for parts with the ``bot`` and ``key_id`` columns, ``schema`` (2, and 3 with the order columns too).

    Small recordings ingested together share their parts, each unit naming the rows it has in them:
    a part's ``rows`` here are all of them."""
    return _once(p for _, u in units(manifest) for p in u["parts"])


def reject_parts(manifest: dict) -> list[dict]:
    """Every committed rejects part, once: ``path`` and ``rows`` (as :func:`parts`)."""
    return _once(u["rejects_part"] for _, u in units(manifest) if u.get("rejects_part"))


def _once(listed) -> list[dict]:
    out: dict[str, dict] = {}
    for p in listed:
        seen = out.get(p["path"])
        if seen is None:
            out[p["path"]] = p
        else:
            out[p["path"]] = {**seen, "rows": seen["rows"] + p["rows"]}
    return list(out.values())


_CALLS_PART = re.compile(r"calls/date=[0-9]{4}-[0-9]{2}-[0-9]{2}/market=(?:spot|futures|unknown)/part-[A-Za-z0-9\-]+\.parquet")
_REJECTS_PART = re.compile(r"rejects/part-[A-Za-z0-9\-]+\.parquet")


def _count(value) -> bool:
    return type(value) is int and value >= 0


def check_manifest(manifest: dict) -> str | None:
    """What is wrong with a manifest's structure (types, counts, part paths), or None.

    Part paths must name Parquet parts inside the store (``calls/date=.../market=.../part-*.parquet``,
    ``rejects/part-*.parquet``), so nothing outside it is ever read, moved or deleted.

    Examples
    --------
    >>> entry = {"format": "jsonl", "size": 10, "mtime_ns": 1, "pending": 0, "head": [0, ""], "units": "all"}
    >>> check_manifest({"sources": {"/x.jsonl": entry}, "market_rules": None})
    "source '/x.jsonl': units is not a list"
    >>> check_manifest({"sources": {}})
    'market_rules is missing'
    """
    for key in ("market_rules", "sources"):
        if key not in manifest:
            return f"{key} is missing"
    verified = manifest.get("verified", {})
    if not isinstance(verified, dict):
        return "verified is not a mapping of part to mark"
    rules = manifest.get("market_rules")
    if rules is not None and not (isinstance(rules, dict) and all(isinstance(v, str) for v in rules.values())):
        return "market_rules is not a mapping of market to regex"
    pattern = manifest.get("pattern")
    if pattern is not None and not (isinstance(pattern, list) and len(pattern) == 2 and isinstance(pattern[0], str)
                                    and type(pattern[1]) is int):
        return "pattern is not [regex, flags]"
    fields = manifest.get("fields")
    if fields is not None and not (isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())):
        return "fields is not a mapping of field to key"
    sources = manifest.get("sources")
    if not isinstance(sources, dict):
        return "sources is not a mapping"
    for src, entry in sources.items():
        where = f"source {src!r}"
        if not isinstance(entry, dict):
            return f"{where} is not a mapping"
        if entry.get("format") not in FORMATS:
            return f"{where}: format {str(entry.get('format'))[:20]!r} is unknown"
        missing = [key for key in ("size", "mtime_ns", "pending", "head", "units") if key not in entry]
        if missing:
            return f"{where}: {missing[0]} is missing"
        for key in ("size", "mtime_ns"):
            if entry.get(key) is not None and not _count(entry.get(key)):
                return f"{where}: {key} is not a count"
        if not _count(entry.get("pending", 0)):
            return f"{where}: pending is not a count"
        if entry.get("bot") is not None and not isinstance(entry.get("bot"), str):
            return f"{where}: bot is not a name"
        head = entry.get("head", [0, ""])
        if not (isinstance(head, list) and len(head) == 2 and _count(head[0]) and isinstance(head[1], str)):
            return f"{where}: head is not [length, sha256]"
        units = entry.get("units")
        if not isinstance(units, list):
            return f"{where}: units is not a list"
        for i, unit in enumerate(units):
            problem = _check_unit(unit)
            if problem:
                return f"{where}, unit {i}: {problem}"
    return None


def _check_unit(unit) -> str | None:
    if not isinstance(unit, dict):
        return "not a mapping"
    if not isinstance(unit.get("id"), str):
        return "id is not text"
    for key in ("rows", "rejects", "skipped"):
        if not _count(unit.get(key)):
            return f"{key} is not a count"
    if unit.get("whole"):
        if not (isinstance(unit.get("sha"), str) and _count(unit.get("size"))):
            return "sha or size missing"
    else:
        for key in ("start", "end", "line_start", "line_end"):
            if not _count(unit.get(key)):
                return f"{key} is not a count"
        if not isinstance(unit.get("tail"), str):
            return "tail is not text"
    calls = unit.get("parts")
    if not isinstance(calls, list):
        return "parts is not a list"
    for part in calls:
        if not (isinstance(part, dict) and isinstance(part.get("path"), str)
                and _CALLS_PART.fullmatch(part["path"]) and _count(part.get("rows"))
                and isinstance(part.get("date"), str) and isinstance(part.get("market"), str)
                and part.get("schema", 1) in range(1, PART_SCHEMA + 1) and type(part.get("schema", 1)) is int):
            return f"calls part {_shown(part)} is not a part of this store"
    rejects = unit.get("rejects_part")
    if rejects is not None and not (isinstance(rejects, dict) and isinstance(rejects.get("path"), str)
                                    and _REJECTS_PART.fullmatch(rejects["path"]) and _count(rejects.get("rows"))):
        return f"rejects part {_shown(rejects)} is not a part of this store"
    return None


def _shown(part) -> str:
    path = part.get("path") if isinstance(part, dict) else part
    return repr(str(path)[:80])


class Store:
    """Paths of one store directory; reads and writes its manifest."""

    def __init__(self, root):
        self.root = Path(root)
        self.meta = self.root / META
        self.manifest_path = self.meta / MANIFEST

    def __str__(self):
        return str(self.root)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read_manifest(self) -> dict:
        try:
            text = self.manifest_path.read_bytes()
        except FileNotFoundError:
            if has_parts(self.root):
                raise StoreError(f"{self.manifest_path} is missing: the parts of the store {self.root} cannot be "
                                 f"listed without it. Run toolkit.store.repair({str(self.root)!r}) to rebuild it "
                                 "from the parts") from None
            raise StoreError(f"{self.root} is not a toolkit store (no {META}/{MANIFEST}); "
                             "create one with toolkit.store.ingest") from None
        try:
            manifest = json.loads(text)
        except ValueError as exc:
            raise StoreError(f"{self.manifest_path} is damaged ({exc}); the Parquet parts are intact "
                             "but cannot be listed without it") from None
        if not isinstance(manifest, dict) or manifest.get("toolkit_store") != VERSION:
            raise StoreError(f"{self.manifest_path} is not a version {VERSION} toolkit store manifest")
        if manifest.get("columns") not in (COLUMNS, *COLUMNS_BEFORE):
            raise StoreError(f"{self.root} was written with other columns than this toolkit reads; "
                             "ingest the recordings into a new store")
        problem = check_manifest(manifest)
        if problem:
            raise StoreError(f"{self.manifest_path} is damaged: {problem}. Restore it from a backup, or ingest "
                             "the recordings into a new store")
        return manifest

    #: Seconds at least between two writes of the manifest by :meth:`save` (a run of many small files).
    SAVE_EVERY = 1.0

    def save(self, manifest: dict, force: bool = False) -> None:
        """:meth:`write_manifest`, at most once every :attr:`SAVE_EVERY` seconds unless ``force``: what a writer
        committed since is named at the next save, and a run stopped before leaves parts the next deletes."""
        now = time.monotonic()
        if force or now - getattr(self, "_saved", -1e9) >= self.SAVE_EVERY:
            self.write_manifest(manifest)
            self._saved = time.monotonic()

    def write_manifest(self, manifest: dict) -> None:
        """Replace the manifest atomically: readers see the old one or the new one, never a mix."""
        try:
            data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        except TypeError:  # a path that is not UTF-8 (surrogate escapes): json writes it escaped
            data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        with no_space_hint(self, "writing the manifest"):
            write_atomic(self.manifest_path, data, fsync=True)

    # -- writing -----------------------------------------------------------
    def lock(self, wait: float | None):
        """The writers' lock: ``wait`` seconds for it (None: as long as it takes), then :class:`StoreLockedError`."""
        from filelock import FileLock, Timeout

        self.meta.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.meta / "lock", timeout=-1 if wait is None else wait)

        @contextlib.contextmanager
        def held():
            try:
                lock.acquire()
            except Timeout:
                waited = "" if not wait else f" for {wait:g} s"
                raise StoreLockedError(
                    f"another ingest is writing to {self.root}; waited{waited} and gave up. "
                    "Run again when it is done, or pass wait='30s' (--wait SECONDS on the command line) "
                    "to wait for it") from None
            try:
                yield
            finally:
                lock.release()

        return held()

    def staging(self) -> Path:
        path = self.meta / "staging" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def clean(self, manifest: dict) -> list[str]:
        """Delete what interrupted runs left: staging directories and parts the manifest does not name.

        Call with the lock held. Returns the deleted parts (relative paths).
        """
        shutil.rmtree(self.meta / "staging", ignore_errors=True)
        known = {p["path"] for p in parts(manifest)} | {p["path"] for p in reject_parts(manifest)}
        removed = []
        for top in (CALLS, REJECTS):
            base = self.root / top
            if not base.is_dir():
                continue
            for f in base.rglob("part-*.parquet"):
                rel = f.relative_to(self.root).as_posix()
                if rel not in known:
                    f.unlink()
                    removed.append(rel)
        return removed


@contextlib.contextmanager
def no_space_hint(store: Store, doing: str):
    """Turn a full disk into a :class:`StoreError` saying that nothing committed was lost."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise StoreError(
                f"no space left while {doing} in {store.root} ({exc.strerror}); everything committed "
                "before stays in the store and readable. Free some space and run the ingest again: "
                "it carries on where it stopped") from None
        raise


def wait_seconds(wait, func: str) -> float | None:
    """The seconds a writer waits for the store's lock: ``wait`` a duration (``"30s"``, a Timedelta; ``"0s"``
    does not wait) or None (as long as it takes); a bare number is refused, naming ``func``.

    Examples
    --------
    >>> wait_seconds("1min", "ingest"), wait_seconds(None, "repair")
    (60.0, None)
    """
    return None if wait is None else as_duration(wait, "wait", func, zero=True) / 1e9
