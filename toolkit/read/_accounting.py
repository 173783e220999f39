"""Accounting for every line read: what a piece of a file gave (:class:`Chunk`), what a file gave
(:class:`FileResult`), and those as the frames users see (:func:`rejects_frame`, :func:`report_frame`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from contextvars import ContextVar

import numpy as np
import pandas as pd

from ..defaults import MAX_REJECTS_KEPT
from ..errors import LogFormatError
from ..schema import REJECT_DTYPES, REPORT_DTYPES, STRING, UNKNOWN_BOT
from . import _files
from ._bots import bot_from_path, bot_given
from ._excerpt import excerpt, no_surrogates
from ._frame import finish
from ._rows import Batch


#: Set while several small recordings are parsed together (:mod:`._together`): then a piece's rows are kept
#: as they were read, to be typed and classified with the other recordings' in one pass.
DEFERRED: ContextVar = ContextVar("toolkit_deferred", default=False)


def reject_kind(reason: str) -> str:
    """What a reject's warning counts it as: its reason up to the first detail.

    Examples
    --------
    >>> reject_kind("invalid JSON (not a JSON value)"), reject_kind("unreadable time '9999-12-31'")
    ('invalid JSON', 'unreadable time')
    """
    kind = _KINDS.get(reason)
    if kind is None:
        kind = re.split(r"[:(']", reason, maxsplit=1)[0].strip()
        if len(_KINDS) < 10_000:
            _KINDS[reason] = kind
    return kind


_KINDS: dict = {}


class _Kept:
    """Rejects kept one by one, the first :data:`toolkit.defaults.MAX_REJECTS_KEPT` by line; the rest counted
    by kind (:func:`reject_kind`), so a file of millions of bad lines costs no more than that many excerpts."""

    _last = None  # the highest line kept, once the rejects kept are as many as they may be

    def _keep(self, line: int, reason: str) -> bool:
        """Whether to keep the reject of ``line`` (dropping the last kept one to make room); counts it if not."""
        kept = self.rejects
        if len(kept) < MAX_REJECTS_KEPT:
            return True
        if self._last is None:
            self._last = max(kept)
        if line < self._last[0]:  # rejects come in line order but for a few (unreadable times): rare
            kept.remove(self._last)
            self.more_rejects[reject_kind(self._last[1])] += 1
            self._last = None
            return True
        self.more_rejects[reject_kind(reason)] += 1
        return False

    @property
    def reject_count(self) -> int:
        """Every reject: those kept and those only counted."""
        return len(self.rejects) + sum(self.more_rejects.values())


class Chunk(_Kept):
    """What parsing one piece of a file gave: frames, rejects (with excerpts), blank and skipped lines.

    Picklable, so pieces can be parsed in other processes.
    """

    def __init__(self):
        self.frames: list = []
        self.rejects: list[tuple[int, str, str]] = []
        self.more_rejects: Counter = Counter()  # rejects beyond those kept, by kind
        self.blank = 0
        self.skipped = 0
        self.skip_reasons: Counter = Counter()  # why lines were skipped, for the skips a reader names
        self.size = 0  # lines in the piece, blank ones included
        self.deferred: list = []  # (lines before, batch, source) left to finish, while DEFERRED is set
        self.ws: list = []  # frames of WebSocket rows (:data:`toolkit.schema.WS_DTYPES`)
        self.ws_units = 0  # lines (or entries, or HAR frames) that became WebSocket rows only
        self.ws_rows: list = []  # WebSocket rows read but not yet typed (:class:`toolkit.read._ws.WsRows`)

    def add_ws(self, frame: pd.DataFrame, units: int) -> None:
        """Add the WebSocket rows a reader read from ``units`` lines (or entries and frames)."""
        if len(frame):
            self.ws.append(frame)
        self.ws_units += units

    def skip(self, reason: str, n: int = 1) -> None:
        """Count ``n`` lines (or entries) skipped for ``reason``."""
        self.skipped += n
        self.skip_reasons[reason] += n

    def reject(self, line: int, reason: str, raw) -> None:
        if self._keep(line, reason):
            self.rejects.append((line, reason, excerpt(raw)))

    def long_line(self, long) -> None:
        """Count a line longer than :data:`toolkit.defaults.MAX_LINE_BYTES` (a :class:`._files.LongLine`) as the
        next line of the piece: a reject quoting its first bytes."""
        self.size += 1
        self.reject(self.size, f"line longer than {_files.MAX_LINE_BYTES:,} bytes ({long.size:,}); not read",
                    long.head)

    def extend(self, other: "Chunk") -> None:
        """Add the lines of the piece that follows this one (its line numbers count on from this one's)."""
        off = self.size
        for frame in other.frames:
            if off:
                frame["line"] += off
            self.frames.append(frame)
        for line, reason, text in sorted(other.rejects):
            if self._keep(line + off, reason):
                self.rejects.append((line + off, reason, text))
        self.more_rejects.update(other.more_rejects)
        self.deferred.extend((before + off, batch, source) for before, batch, source in other.deferred)
        for frame in other.ws:
            if off:
                frame["line"] += off
            self.ws.append(frame)
        self.ws_units += other.ws_units
        self.blank += other.blank
        self.skipped += other.skipped
        self.skip_reasons.update(other.skip_reasons)
        self.size += other.size

    def add(self, batch: Batch, source: str, rules) -> None:
        """Type and classify the rows a reader read (:func:`._frame.finish`); kept as they are while DEFERRED."""
        if DEFERRED.get():
            if batch.rows:
                self.deferred.append((0, batch, source))
            return
        try:
            frame, rejects = finish(batch, source, rules)
        except UnicodeEncodeError:  # lone surrogates from escapes: U+FFFD instead
            batch.rows = [tuple(no_surrogates(v) if type(v) is str else v for v in row) for row in batch.rows]
            frame, rejects = finish(batch, source, rules)
        for line, reason, raw in rejects:
            self.reject(line, reason, raw)
        if len(frame):
            self.frames.append(frame)


class FileResult(_Kept):
    """Accounting for one input file (or one piece of it): rows (as frames), rejects and skips.

    ``options`` are the parse's :class:`toolkit.read.engine.Options` (their
    ``errors`` decide whether a reject raises). A piece that does not start the
    file gives ``start_line``, the lines before it; :attr:`last_line` is then
    the number of the last line merged, where the next piece goes on from.

    The file's bot is told here, once: :attr:`bot`, the name the options' ``bot``
    gives ``source`` (it wins over the records' own), else None; :attr:`file_bot`,
    what the file's name says (:func:`~toolkit.read._bots.bot_from_path`), for the
    records that do not say. The pieces parse with options without ``bot``.
    Rejects beyond the first :data:`toolkit.defaults.MAX_REJECTS_KEPT` are counted (:attr:`reject_count`),
    not kept.
    """

    def __init__(self, source: str, fmt: str, options, *, start_line: int = 0):
        self.source = source
        self.format = fmt
        self.bot = bot_given(options.bot, source)
        self.file_bot = bot_from_path(source) or UNKNOWN_BOT
        self.options = options if options.bot is None else dataclasses.replace(options, bot=None)
        self.errors = options.errors
        self.frames = []
        self.rejects: list[tuple[int, str, str]] = []
        self.more_rejects: Counter = Counter()
        self.skipped = 0
        self.skip_reasons: Counter = Counter()
        self.blank = 0
        self.last_line = start_line
        self.deferred: list = []  # (lines before, batch, source) of pieces whose rows are left to finish
        self.counted: tuple[int, int] | None = None  # (rows, unverified) when its rows are in another's frame
        self.pieces = 0  # frames of rows it gave, once they are joined into a load's frame (and let go)
        self.ws: list = []  # frames of WebSocket rows
        self.ws_units = 0  # lines (or entries, or HAR frames) that became WebSocket rows only

    @property
    def rows(self) -> int:
        if self.counted is not None:  # parsed with other small recordings: the last of them holds the rows
            return self.counted[0]
        return sum(len(f) for f in self.frames)

    @property
    def frames_count(self) -> int:
        """Rows of :attr:`toolkit.Load.websocket` read from this file: WebSocket frames and connection events."""
        return sum(len(f) for f in self.ws)

    @property
    def lines(self) -> int:
        """Non-blank lines (or entries, and a HAR's WebSocket frames) read: rows + rejects + skipped, and those
        that became WebSocket rows only."""
        return self.rows + self.reject_count + self.skipped + self.ws_units

    @property
    def unverified(self) -> int:
        """Rows that are ``ok`` only because their 2xx body was not recorded."""
        if self.counted is not None:
            return self.counted[1]
        return sum(int((f["reason"] == "unverified").sum()) for f in self.frames)

    @classmethod
    def same_file(cls, source: str, read: "FileResult") -> "FileResult":
        """What a second path to a file already read gives (a link to it, a directory loop): its lines,
        counted as skipped, ``same file as <the path read>``."""
        result = cls(source, read.format, read.options)
        result.skipped = read.lines
        if read.lines:
            result.skip_reasons[f"same file as {read.source}"] = read.lines
        return result

    def reject(self, line: int, reason: str, text: str) -> None:
        if self.errors == "raise":
            raise LogFormatError(f"{self.source}, line {line}: {reason}: {text}")
        if self._keep(line, reason):
            self.rejects.append((line, reason, text))

    def merge(self, chunk: Chunk) -> None:
        """Add the next piece of the file; its line numbers count from 1 within the piece."""
        off = self.last_line
        for line, reason, text in sorted(chunk.rejects):
            self.reject(line + off, reason, text)
        self.more_rejects.update(chunk.more_rejects)
        self.deferred.extend((before + off, batch, source) for before, batch, source in chunk.deferred)
        for frame in chunk.frames:
            if off:
                frame["line"] += off
            frame["bot"] = self._bots(frame["bot"].array)
            self.frames.append(frame)
        for frame in chunk.ws:
            if off:
                frame["line"] += off
            frame["bot"] = self._bots(frame["bot"].array)
            self.ws.append(frame)
        self.ws_units += chunk.ws_units
        self.blank += chunk.blank
        self.skipped += chunk.skipped
        self.skip_reasons.update(chunk.skip_reasons)
        self.last_line += chunk.size

    def _bots(self, recorded: pd.Categorical) -> pd.Categorical:
        """The bot of every row of a piece: :attr:`bot` when given, else the record's own, else :attr:`file_bot`."""
        if self.bot is None and (recorded.codes >= 0).all():
            return recorded
        return bots_of(recorded, [self], np.zeros(len(recorded), np.intp))

    def summary(self) -> str | None:
        """The warning text for this file's rejects, or None when there are none."""
        if not self.rejects:
            return None
        kinds = Counter(reject_kind(reason) for _, reason, _ in self.rejects) + self.more_rejects
        parts = ", ".join(f"{n:,} {k}" for k, n in kinds.most_common())
        unit = "entries" if self.format in ("har", "vcr") else "lines"
        kept = f" (the first {len(self.rejects):,} kept)" if self.more_rejects else ""
        return f"{self.reject_count:,} of {self.lines:,} {unit} rejected in {self.source}: {parts}{kept}"


def bots_of(recorded: pd.Categorical, results: list, of: np.ndarray) -> pd.Categorical:
    """The bot of every row, the row of ``results[of[i]]``: that file's :attr:`~FileResult.bot` when given,
    else the record's own (``recorded``), else the file's :attr:`~FileResult.file_bot`. The one rule, for a
    file's pieces and for small recordings finished together.

    Examples
    --------
    >>> from toolkit.read.engine import read_options
    >>> a, b = FileResult("spot-mm.jsonl", "jsonl", read_options()), FileResult("arb.jsonl", "jsonl", read_options())
    >>> rec = pd.Categorical(["gw", None, None], categories=pd.Index(["gw"], dtype="string"))
    >>> list(bots_of(rec, [a, b], np.array([0, 0, 1])))
    ['gw', 'spot-mm', 'arb']
    """
    given = [r.bot for r in results]
    names = list(recorded.categories) + [n for n in given if n is not None] + [r.file_bot for r in results]
    cats = pd.Index(list(dict.fromkeys(names)), dtype=STRING)
    code = {n: i for i, n in enumerate(cats)}
    remap = np.array([code[n] for n in recorded.categories] + [-1], np.int64)  # -1: no bot recorded
    own = remap[recorded.codes]  # code -1 indexes the last slot
    fallback = np.array([code[r.file_bot] for r in results], np.int64)[of]
    out = np.where(own >= 0, own, fallback)
    if any(n is not None for n in given):
        forced = np.array([-1 if n is None else code[n] for n in given], np.int64)[of]
        out = np.where(forced >= 0, forced, out)
    used = np.unique(out)
    return pd.Categorical.from_codes(np.searchsorted(used, out), categories=cats[used])


def rejects_frame(rejects=()) -> pd.DataFrame:
    """The rejected lines as users see them: ``source``, ``line``, ``reason``, ``excerpt``.

    Parameters
    ----------
    rejects : list of FileResult, or DataFrame
        Parsed files (their rejects file after file, each file's by line), or
        a frame of those columns (as a store keeps them).

    Examples
    --------
    >>> rejects_frame().dtypes.astype(str).to_dict()
    {'source': 'string', 'line': 'Int64', 'reason': 'string', 'excerpt': 'string'}
    """
    if not isinstance(rejects, pd.DataFrame):
        rejects = pd.DataFrame([(r.source, line, reason, text) for r in rejects
                                for line, reason, text in sorted(r.rejects)], columns=list(REJECT_DTYPES))
    return rejects[list(REJECT_DTYPES)].astype(REJECT_DTYPES)


def report_frame(files=()) -> pd.DataFrame:
    """One row per file read: ``source``, ``format``, ``rows``, ``rejects``, ``skipped``, ``unverified``,
    ``frames`` (WebSocket rows).

    Parameters
    ----------
    files : list of FileResult, or of tuples
        Parsed files, or those values per file (as a store counts them; ``frames`` 0 when left out).

    Examples
    --------
    >>> report_frame([("bot.log", "text", 10, 1, 2, 3)]).astype(str).values.tolist()
    [['bot.log', 'text', '10', '1', '2', '3', '0']]
    """
    rows = [(f + (0,) if len(f) == 6 else f) if isinstance(f, tuple)
            else (f.source, f.format, f.rows, f.reject_count, f.skipped, f.unverified, f.frames_count)
            for f in files]
    return pd.DataFrame(rows, columns=list(REPORT_DTYPES)).astype(REPORT_DTYPES)
