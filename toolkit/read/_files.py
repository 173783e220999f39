"""Where recordings come from: paths, directories, globs and open files, gzip undone, read in pieces of whole lines.

Nothing here knows a format: :mod:`toolkit.read.engine` opens a recording
with :func:`open_stream` and tells its format, and the worker pool
(:mod:`._pool`) reads the pieces with :func:`iter_chunks` and :func:`read_range`.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import re
import zlib
from pathlib import Path

from .._words import shown_name
from ..errors import LogFormatError, ParameterTypeError
from ..secrets import redact

#: What reading damaged gzip raises: cut short, a bad CRC or header, trailing garbage.
READ_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_ROTATED = re.compile(r"\.\d+$")


def read_error(name: str, exc: Exception) -> LogFormatError:
    """The one error for a recording whose compressed bytes cannot be read, naming the file; whoever reads
    (:func:`toolkit.read_logs`, the store's ingest, :mod:`toolkit.dask`, :func:`toolkit.scrub`) raises it.

    Examples
    --------
    >>> str(read_error("bot.jsonl.gz", EOFError("ended before the end-of-stream marker")))
    'bot.jsonl.gz: compressed data is cut short (ended before the end-of-stream marker)'
    """
    if isinstance(exc, EOFError):
        return LogFormatError(f"{name}: compressed data is cut short ({exc})")
    return LogFormatError(f"{name}: corrupt compressed data ({redact(str(exc))})")


def open_stream(src) -> tuple[str, object, object]:
    """Open one file (or wrap one open file) as a binary stream with gzip undone.

    Returns the path (or an open file's name), the stream and the file under it when this call
    opened it (to be closed with the stream; None for a file the caller opened).
    A file is gzip when it starts with gzip's magic number, or is empty and named ``.gz``.
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
        raise type(exc)(exc.errno, f"cannot open recording {shown_name(path)}: {exc.strerror}", path) from None
    return path, _maybe_gzip(f, path), f


def is_gzip(stream) -> bool:
    """Whether ``stream`` (as :func:`open_stream` returns it) undoes gzip."""
    return isinstance(stream, gzip.GzipFile)


def _maybe_gzip(stream, name):
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head == _GZIP_MAGIC or (not head and str(name).endswith(".gz")):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if not hasattr(stream, "peek"):
        return Peekable(stream)
    return stream


class Peekable(io.RawIOBase):
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
    """A stream that first returns ``head`` (already read to tell the format), then the rest.

    Iterating (or ``readline``) gives lines, as a binary file does. A plain file's ``seek``,
    ``tell`` and ``fileno`` are the file's (seeking drops what is left of ``head``).
    """

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

    def readline(self) -> bytes:
        if self._head:
            at = self._head.find(b"\n") + 1
            if at:
                line, self._head = self._head[:at], self._head[at:]
                return line
            line, self._head = self._head, b""
            return line + self._stream.readline()
        return self._stream.readline()

    def __iter__(self):
        head, self._head = self._head, b""
        if head:
            *whole, rest = head.split(b"\n")
            for line in whole:
                yield line + b"\n"
            if rest:
                yield rest + self._stream.readline()
        yield from self._stream

    def seek(self, offset: int, whence: int = 0) -> int:
        self._head = b""
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell() - len(self._head)

    def fileno(self) -> int:
        return self._stream.fileno()


def cut_at_lf(head: bytes) -> bool:
    """Whether a file that starts with ``head`` can be parsed in byte ranges cut at line feeds.

    Not a file whose lines end in CR alone (classic Mac): it is read whole, split on CR.

    Examples
    --------
    >>> cut_at_lf(b'{"a": 1}\\r\\n{"a": 2}\\r\\n'), cut_at_lf(b'{"a": 1}\\r{"a": 2}\\r')
    (True, False)
    """
    return b"\n" in head or b"\r" not in head


def iter_chunks(stream, size: int):
    """Yield pieces of whole lines of about ``size`` bytes from a binary stream; a UTF-8 BOM is dropped."""
    carry = b""
    first = True
    while True:
        chunk = stream.read(size)
        if first:
            first = False
            if chunk.startswith(_BOM):
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


def read_range(path: str, start: int, end: int) -> bytes:
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
    return data[3:] if start == 0 and data.startswith(_BOM) else data


def wanted(path: Path, suffixes: tuple[str, ...]) -> bool:
    """Whether a directory walk reads ``path``: a recording's ending, under ``.gz`` and rotation numbers too.

    Rotated logs (``bot.log.1``, ``bot.log.2.gz``, as logrotate and Python's
    ``RotatingFileHandler`` name them) are read like ``bot.log``.

    Examples
    --------
    >>> from pathlib import Path
    >>> names = ("bot.log.1", "bot.log.2.gz", "calls.jsonl.gz", "notes.md", "core.1")
    >>> [wanted(Path(n), (".log", ".jsonl")) for n in names]
    [True, True, True, False, False]
    """
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    name = _ROTATED.sub("", name)
    return name.endswith(suffixes)


def once(paths: list, duplicates: list | None = None) -> list:
    """``paths`` with every file after its first path left out: a link to a file already listed, the same
    file reached again through a link to a directory (a ``**`` glob through a loop), a hard link. Each left
    out is appended to ``duplicates`` as ``(path, the path kept)``. Open files pass through.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> open(os.path.join(d, "calls.X.jsonl"), "w").close()
    >>> os.symlink("calls.X.jsonl", os.path.join(d, "current.jsonl"))
    >>> dup = []
    >>> [os.path.basename(p) for p in once(expand(d, (".jsonl",)), dup)], [os.path.basename(p) for p, _ in dup]
    (['calls.X.jsonl'], ['current.jsonl'])
    """
    seen: dict = {}
    out = []
    for path in paths:
        try:
            st = os.stat(path) if not hasattr(path, "read") else None
        except OSError:  # opening it says why
            st = None
        if st is None:
            out.append(path)
            continue
        first = seen.setdefault((st.st_dev, st.st_ino), path)
        if first is path:
            out.append(path)
        elif duplicates is not None:
            duplicates.append((path, first))
    return out


def expand(source, suffixes: tuple[str, ...]) -> list:
    """Resolve a path, directory, glob, open file or list of these to inputs, in order; a directory walk
    picks up the files whose names end in ``suffixes``."""
    if hasattr(source, "read"):
        return [source]
    if isinstance(source, (list, tuple)):
        out = []
        for s in source:
            out.extend(expand(s, suffixes))
        return out
    if not isinstance(source, (str, os.PathLike)):
        raise ParameterTypeError(f"source must be a path, a glob, an open file or a list of these, "
                                 f"not {type(source).__name__}")
    path = Path(source)
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*")
            if p.is_file() and wanted(p, suffixes)
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
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
