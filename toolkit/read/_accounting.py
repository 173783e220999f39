"""Accounting for every line read: what a piece of a file gave (:class:`Chunk`), what a file gave
(:class:`FileResult`), and those as the frames users see (:func:`rejects_frame`, :func:`report_frame`).
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from ..errors import LogFormatError
from ..schema import REJECT_DTYPES, REPORT_DTYPES
from . import _files
from ._excerpt import no_surrogates
from ._frame import Batch, excerpt, finish


class Chunk:
    """What parsing one piece of a file gave: frames, rejects (with excerpts), blank and skipped lines.

    Picklable, so pieces can be parsed in other processes.
    """

    def __init__(self):
        self.frames: list = []
        self.rejects: list[tuple[int, str, str]] = []
        self.blank = 0
        self.skipped = 0
        self.skip_reasons: Counter = Counter()  # why lines were skipped, for the skips a reader names
        self.size = 0  # lines in the piece, blank ones included

    def skip(self, reason: str, n: int = 1) -> None:
        """Count ``n`` lines (or entries) skipped for ``reason``."""
        self.skipped += n
        self.skip_reasons[reason] += n

    def reject(self, line: int, reason: str, raw) -> None:
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
        self.rejects.extend((line + off, reason, text) for line, reason, text in other.rejects)
        self.blank += other.blank
        self.skipped += other.skipped
        self.skip_reasons.update(other.skip_reasons)
        self.size += other.size

    def add(self, batch: Batch, source: str, rules) -> None:
        try:
            frame, rejects = finish(batch, source, rules)
        except UnicodeEncodeError:  # lone surrogates from escapes: U+FFFD instead
            batch.rows = [tuple(no_surrogates(v) if type(v) is str else v for v in row) for row in batch.rows]
            frame, rejects = finish(batch, source, rules)
        for line, reason, raw in rejects:
            self.reject(line, reason, raw)
        if len(frame):
            self.frames.append(frame)


class FileResult:
    """Accounting for one input file (or one piece of it): rows (as frames), rejects and skips.

    ``options`` are the parse's :class:`toolkit.read.engine.Options` (their
    ``errors`` decide whether a reject raises). A piece that does not start the
    file gives ``start_line``, the lines before it; :attr:`last_line` is then
    the number of the last line merged, where the next piece goes on from.
    """

    def __init__(self, source: str, fmt: str, options, *, start_line: int = 0):
        self.source = source
        self.format = fmt
        self.options = options
        self.errors = options.errors
        self.frames = []
        self.rejects: list[tuple[int, str, str]] = []
        self.skipped = 0
        self.skip_reasons: Counter = Counter()
        self.blank = 0
        self.last_line = start_line

    @property
    def rows(self) -> int:
        return sum(len(f) for f in self.frames)

    @property
    def lines(self) -> int:
        """Non-blank lines (or entries) read: rows + rejects + skipped."""
        return self.rows + len(self.rejects) + self.skipped

    @property
    def unverified(self) -> int:
        """Rows that are ``ok`` only because their 2xx body was not recorded."""
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
        self.rejects.append((line, reason, text))

    def merge(self, chunk: Chunk) -> None:
        """Add the next piece of the file; its line numbers count from 1 within the piece."""
        off = self.last_line
        for line, reason, text in sorted(chunk.rejects):
            self.reject(line + off, reason, text)
        for frame in chunk.frames:
            if off:
                frame["line"] += off
            self.frames.append(frame)
        self.blank += chunk.blank
        self.skipped += chunk.skipped
        self.skip_reasons.update(chunk.skip_reasons)
        self.last_line += chunk.size

    def summary(self) -> str | None:
        """The warning text for this file's rejects, or None when there are none."""
        if not self.rejects:
            return None
        kinds = Counter(re.split(r"[:(']", reason, maxsplit=1)[0].strip() for _, reason, _ in self.rejects)
        parts = ", ".join(f"{n:,} {k}" for k, n in kinds.most_common())
        unit = "entries" if self.format in ("har", "vcr") else "lines"
        return f"{len(self.rejects):,} of {self.lines:,} {unit} rejected in {self.source}: {parts}"


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
    """One row per file read: ``source``, ``format``, ``rows``, ``rejects``, ``skipped``, ``unverified``.

    Parameters
    ----------
    files : list of FileResult, or of tuples
        Parsed files, or those six values per file (as a store counts them).

    Examples
    --------
    >>> report_frame([("bot.log", "text", 10, 1, 2, 3)]).astype(str).values.tolist()
    [['bot.log', 'text', '10', '1', '2', '3']]
    """
    rows = [f if isinstance(f, tuple) else (f.source, f.format, f.rows, len(f.rejects), f.skipped, f.unverified)
            for f in files]
    return pd.DataFrame(rows, columns=list(REPORT_DTYPES)).astype(REPORT_DTYPES)
