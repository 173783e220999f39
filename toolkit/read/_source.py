"""Where recordings come from: paths, directories, globs, open files, gzip.

Also the per-file accounting every reader reports into (:class:`FileResult`)
and the reader interface.
"""

from __future__ import annotations

import atexit
import collections
import gc
import glob
import gzip
import io
import itertools
import os
import re
import zlib
from collections import Counter
from pathlib import Path

from ..errors import LogFormatError
from ..secrets import redact
from ._excerpt import no_surrogates
from ._frame import Batch, excerpt, finish




#: File name endings a directory walk picks up (also under ``.gz``).
SUFFIXES = (".jsonl", ".ndjson", ".json", ".log", ".txt", ".har", ".yaml", ".yml")


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

    ``options`` are the parse's :class:`toolkit.read._engine.Options` (their
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


CHUNK = 16 << 20  # bytes of whole lines parsed at a time
WORKERS = int(os.environ.get("TOOLKIT_WORKERS") or min(os.cpu_count() or 1, 8))  # processes for big inputs
_pool = None


def _executor():
    global _pool
    if _pool is None:
        import concurrent.futures
        import multiprocessing

        _pool = concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"))
        atexit.register(_pool.shutdown)
    return _pool


def iter_chunks(stream, size: int | None = None):
    """Yield pieces of whole lines from a binary stream; a UTF-8 BOM is dropped."""
    size = size or CHUNK
    carry = b""
    first = True
    while True:
        chunk = stream.read(size)
        if first:
            first = False
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if not chunk:
            if carry:
                yield carry
            return
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            carry += chunk
            continue
        yield carry + chunk[:cut] if carry else chunk[:cut]
        carry = chunk[cut:]


def _read_range(path: str, start: int, end: int) -> bytes:
    """The whole lines that start in bytes [start, end) of a file (a BOM at 0 dropped)."""
    with open(path, "rb") as f:
        if start:
            f.seek(start - 1)
            f.readline()  # the rest of a line that began before start belongs to the range before
        pos = f.tell()
        if pos >= end:
            return b""
        f.seek(end - 1)
        stop = end - 1 + len(f.readline())  # through the end of the line that byte end - 1 is on
        f.seek(pos)
        data = f.read(stop - pos)  # in one read: no copy of the range to append the rest of its last line
    return data[3:] if start == 0 and data.startswith(b"\xef\xbb\xbf") else data


def _parse(parse_chunk, data: bytes, source, options) -> Chunk:
    """``parse_chunk`` with the cycle collector paused: a piece allocates a few objects a line and frees none
    of them until it is done, so collections during it find nothing and only cost time (some 10%)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        return parse_chunk(data, source, options)
    finally:
        if was_on:
            gc.enable()


def _parse_range(parse_chunk, path, start, end, source, options):
    return _parse(parse_chunk, _read_range(path, start, end), source, options)


def _balanced(size: int, workers: int | None = None) -> list[int]:
    """Byte offsets that cut ``size`` bytes into pieces of at most ``CHUNK``, as many as a multiple of
    ``workers`` (default :data:`WORKERS`) so that every worker gets the same share and none waits idle for the last one.

    Examples
    --------
    >>> b = _balanced(5 * CHUNK + 1)
    >>> (len(b) - 1) % WORKERS, max(y - x for x, y in zip(b, b[1:])) <= CHUNK, b[0], b[-1] == 5 * CHUNK + 1
    (0, True, 0, True)
    """
    pieces = -(-size // CHUNK)
    workers = workers or WORKERS
    pieces = -(-pieces // workers) * workers
    step = -(-size // pieces)
    return list(range(0, size, step)) + [size]


def piece_bounds(start: int, end: int, parallel: bool = True) -> list[int]:
    """Byte offsets cutting bytes ``[start, end)`` of a file into the pieces it is parsed in: at most
    ``CHUNK`` each, balanced over the worker processes when ``parallel`` and there is more than one.

    Examples
    --------
    >>> piece_bounds(0, 10), piece_bounds(5, 5)
    ([0, 10], [5])
    """
    if end <= start:
        return [start]
    workers = WORKERS if parallel and end - start > CHUNK else 1
    return [start + b for b in _balanced(end - start, workers)]


def merge_pieces(jobs, result: FileResult, parallel: bool, ahead: int | None = None) -> None:
    """Merge into ``result``, in order, the :class:`Chunk` each job ``(fn, *args)`` gives; in the worker
    processes when ``parallel``, else here.

    At most ``ahead`` jobs are in flight (jobs that carry their bytes pass ``WORKERS + 1``); by default,
    for jobs that read their own byte range and so carry almost nothing, all are handed out at once and
    no worker waits for the next while this process merges the last."""
    if not parallel or WORKERS < 2:
        for fn, *args in jobs:
            result.merge(fn(*args))
        return
    pool = _executor()
    ahead = float("inf") if ahead is None else ahead
    pending = collections.deque()
    try:
        for fn, *args in jobs:
            pending.append(pool.submit(fn, *args))
            if len(pending) > ahead:
                result.merge(pending.popleft().result())
        while pending:
            result.merge(pending.popleft().result())
    finally:  # after an error (errors="raise", an unreadable file), the pieces not started are dropped
        for future in pending:
            future.cancel()


def read_lines(parse_chunk, stream, result: FileResult, path: str | None = None, *, parallel: bool = True) -> None:
    """Parse a line format piece by piece, in worker processes when the input is big.

    Only LF ends a line (a CR before it is dropped by the parsers; a CR
    inside a line is data), except in a file without any LF, which is split
    on CR. ``parse_chunk(data, source, options)`` parses bytes of whole lines. A plain
    file (``path`` given) is split into byte ranges that the workers read
    themselves; other streams are cut into pieces here. ``parallel=False``
    parses every piece in this process.
    """
    args = (result.source, result.options)
    first = stream.read(CHUNK)
    if b"\n" not in first and b"\r" in first:  # no LF in the file: classic Mac line ends, CR alone
        rest = stream.read()
        if b"\n" not in rest:
            result.merge(_parse(parse_chunk, (first + rest).replace(b"\r", b"\n"), *args))
            return
        first += rest
    stream = Replay(first, stream)
    size = os.path.getsize(path) if path else -1
    if parallel and path and size > CHUNK and WORKERS > 1:  # the workers read their byte ranges themselves
        bounds = piece_bounds(0, size)
        merge_pieces(((_parse_range, parse_chunk, path, a, b, *args) for a, b in zip(bounds, bounds[1:])),
                     result, parallel=True)
        return
    chunks = iter_chunks(stream)
    head, second = next(chunks, None), next(chunks, None)
    pieces = (data for data in itertools.chain([head, second], chunks) if data is not None)
    merge_pieces(((_parse, parse_chunk, data, *args) for data in pieces), result, parallel and second is not None,
                 ahead=WORKERS + 1)


class Reader:
    """One input format. Subclasses set ``name`` and implement ``read`` and ``sniff``."""

    name = ""
    whole_file = False

    def read(self, stream, result: FileResult) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:  # pragma: no cover - interface
        """Score in [0, 1]: how much the start of a file looks like this format.

        ``options`` are the load's :class:`toolkit.read._engine.Options` (a text ``pattern``, market rules).
        A reader with ``whole_file = True`` (one document per file) returns 1.0
        only when the file opens with its signature, which then decides the format.
        """
        raise NotImplementedError


class LineReader(Reader):
    """A line format: ``parse_chunk(data, source, options)`` parses bytes of whole lines,
    and :func:`read_lines` maps it over the file (in worker processes when it is big)."""

    parse_chunk = None

    def read(self, stream, result: FileResult, path: str | None = None) -> None:
        read_lines(type(self).parse_chunk, stream, result, path)


def open_source(src) -> tuple[str, object, str | None]:
    """Open one file (or wrap one open file) as a binary stream; gzip is undone.

    Returns the source name, the stream and, for a plain uncompressed file on
    disk, its path (which lets big files be read in parallel ranges).
    """
    if hasattr(src, "read"):
        name = str(getattr(src, "name", "<stream>"))
        if isinstance(src.read(0), str):  # an open text file: readers consume bytes
            src = io.BytesIO(src.read().encode("utf-8", "replace"))
        return name, _maybe_gzip(src, name), None
    path = str(src)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot open recording {path}: {exc.strerror}", path) from None
    stream = _maybe_gzip(f, path)
    if isinstance(stream, gzip.GzipFile):
        stream.myfileobj = f  # closing the gzip stream closes the file too, as gzip.open's streams do
    return path, stream, (path if stream is f and os.path.isfile(path) else None)


def _maybe_gzip(stream, name):
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head == b"\x1f\x8b" or (not head and str(name).endswith(".gz")):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if not hasattr(stream, "peek"):
        return _Peekable(stream)
    return stream


class _Peekable(io.RawIOBase):
    """Gives ``peek`` to a binary file object that lacks it."""

    def __init__(self, f):
        self._f = f
        self._buf = b""

    def readable(self):
        return True

    def peek(self, n=1):
        if len(self._buf) < n:
            self._buf += self._f.read(n - len(self._buf)) or b""
        return self._buf

    def read(self, n=-1):
        if n is None or n < 0:
            data, self._buf = self._buf + (self._f.read() or b""), b""
            return data
        if self._buf:
            data, self._buf = self._buf[:n], self._buf[n:]
            return data
        return self._f.read(n) or b""


class Replay:
    """A stream that first returns ``head`` (already read for sniffing), then the rest."""

    def __init__(self, head: bytes, stream):
        self._head = head
        self._stream = stream

    def read(self, n=-1):
        if self._head:
            if n is None or n < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:n], self._head[n:]
            return data
        return self._stream.read(n)


READ_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def describe_read_error(name: str, exc: Exception) -> LogFormatError:
    if isinstance(exc, EOFError):
        return LogFormatError(f"{name}: compressed data is cut short ({exc}); nothing was loaded")
    return LogFormatError(f"{name}: corrupt compressed data ({redact(str(exc))}); nothing was loaded")


_ROTATED = re.compile(r"\.\d+$")


def _wanted(path: Path) -> bool:
    """Whether a directory walk reads ``path``: a recording's ending, under ``.gz`` and rotation numbers too.

    Rotated logs (``bot.log.1``, ``bot.log.2.gz``, as logrotate and Python's
    ``RotatingFileHandler`` name them) are read like ``bot.log``.

    Examples
    --------
    >>> from pathlib import Path
    >>> [_wanted(Path(n)) for n in ("bot.log.1", "bot.log.2.gz", "calls.jsonl.gz", "notes.md", "core.1")]
    [True, True, True, False, False]
    """
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    name = _ROTATED.sub("", name)
    return name.endswith(SUFFIXES)


def expand(source) -> list:
    """Resolve a path, directory, glob, open file or list of these to inputs, in order."""
    if hasattr(source, "read"):
        return [source]
    if isinstance(source, (list, tuple)):
        out = []
        for s in source:
            out.extend(expand(s))
        return out
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path, a glob, an open file or a list of these, not {type(source).__name__}")
    path = Path(source)
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*")
            if p.is_file() and _wanted(p) and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        return [str(p) for p in found]
    if path.exists():
        return [str(path)]
    if glob.has_magic(str(source)):
        found = sorted(p for p in glob.glob(str(source), recursive=True) if os.path.isfile(p))
        if not found:
            raise FileNotFoundError(f"no recordings match {str(source)!r}")
        return found
    raise FileNotFoundError(f"no such recording: {str(source)!r}")
