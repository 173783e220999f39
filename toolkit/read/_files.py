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
from typing import NamedTuple

from .._words import shown_name
from ..defaults import GZIP_RATIO_AFTER, MAX_GZIP_RATIO, MAX_LINE_BYTES
from ..errors import LogFormatError, ParameterTypeError
from ..secrets import redact

try:  # ISA-L undoes gzip about three times as fast as zlib, into the same bytes
    from isal import igzip as _igzip
    from isal import isal_zlib as _isal_zlib

    _GzipFile, _ISAL_ERRORS = _igzip.IGzipFile, (_isal_zlib.error,)
except ImportError:  # pragma: no cover - a platform without its wheel: zlib's own gzip
    _GzipFile, _ISAL_ERRORS = gzip.GzipFile, ()

#: What reading damaged gzip raises: cut short, a bad CRC or header, trailing garbage.
READ_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, *_ISAL_ERRORS)
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
        return BoundedGzip(stream, shown_name(name))
    if not hasattr(stream, "peek"):
        return Peekable(stream)
    return stream


class _Counted:
    """A binary file whose bytes read are counted (the compressed side of a :class:`BoundedGzip`)."""

    def __init__(self, f):
        self._f = f
        self.count = 0
        self.name = getattr(f, "name", "")
        self.mode = "rb"

    def read(self, n=-1) -> bytes:
        data = self._f.read(n)
        self.count += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def seekable(self) -> bool:
        return getattr(self._f, "seekable", lambda: False)()


class BoundedGzip(_GzipFile):
    """Gzip undone, refused as a bomb once it undoes to more than :data:`toolkit.defaults.MAX_GZIP_RATIO`
    times the compressed bytes read (checked from :data:`toolkit.defaults.GZIP_RATIO_AFTER` bytes on): a
    :class:`toolkit.LogFormatError` naming the file. Reads happen a block at a time, so a bomb costs about
    a block of memory beyond the limit, whatever it would undo to."""

    def __init__(self, fileobj, label: str):
        self._packed = _Counted(fileobj)
        super().__init__(fileobj=self._packed, mode="rb")
        self._label, self._undone = label, 0

    def _count(self, data: bytes) -> bytes:
        self._undone += len(data)
        if self._undone > GZIP_RATIO_AFTER and self._undone > MAX_GZIP_RATIO * max(self._packed.count, 1):
            raise LogFormatError(
                f"{self._label}: gzip that undoes to more than {MAX_GZIP_RATIO} times its size "
                f"({self._packed.count:,} bytes gave {self._undone:,}, and more): refused as a gzip bomb; "
                "if it is a real recording, gunzip it and read that")
        return data

    def read(self, size=-1) -> bytes:
        if size is None or size < 0 or size > _BLOCK:
            parts, left = [], -1 if size is None or size < 0 else size
            while left:
                block = self._count(super().read(_BLOCK if left < 0 else min(left, _BLOCK)))
                if not block:
                    break
                parts.append(block)
                left = left - len(block) if left > 0 else left
            return b"".join(parts)
        return self._count(super().read(size))

    def read1(self, size=-1) -> bytes:
        return self._count(super().read1(_BLOCK if size is None or size < 0 else min(size, _BLOCK)))

    def readline(self, size=-1) -> bytes:
        left = -1 if size is None or size < 0 else size
        parts = []
        while left:
            part = self._count(super().readline(_BLOCK if left < 0 else min(left, _BLOCK)))
            if not part:
                break
            parts.append(part)
            if part.endswith(b"\n"):
                break
            left = left - len(part) if left > 0 else left
        return b"".join(parts)


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


class LongLine(NamedTuple):
    """A line longer than :data:`toolkit.defaults.MAX_LINE_BYTES`, read past without being kept: its first
    bytes (for the reject's excerpt) and its length in bytes (without its LF)."""

    head: bytes
    size: int


_HEAD = 4 << 10  # bytes of a long line kept for its excerpt
_BLOCK = 1 << 20  # bytes read at a time while looking for the end of a long line


def _rest_of_line(f, have: int) -> tuple[bytes, int]:
    """Read ``f`` through its next LF, as the end of a line of which ``have`` bytes were read already: (the
    bytes read, or b"" once the whole line is longer than :data:`MAX_LINE_BYTES` and they are not kept; the
    length of the rest of the line, without its LF). Memory stays within ``MAX_LINE_BYTES``."""
    parts: list | None = []
    n = 0
    while True:
        block = f.read(_BLOCK)
        at = block.find(b"\n") + 1
        if at:
            f.seek(at - len(block), 1)
            block = block[:at]
        n += len(block) - (at > 0)
        if parts is not None:
            parts.append(block)
            if have + n > MAX_LINE_BYTES:
                parts = None
        if at or not block:
            return (b"".join(parts) if parts is not None else b""), n


def iter_chunks(stream, size: int):
    """Yield pieces of whole lines of about ``size`` bytes (at most :data:`MAX_LINE_BYTES`) from a binary
    stream, as ``(data, long)``: ``long`` is a line longer than :data:`toolkit.defaults.MAX_LINE_BYTES` that ends
    the piece, read past in bounded memory, as a :class:`LongLine`; or None. A UTF-8 BOM is dropped."""
    carry = b""  # the start of a line whose LF is not read yet
    skipping = None  # [head, bytes] of a line too long, being read past
    first = True
    while True:
        chunk = stream.read(size)
        if first:
            first = False
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        if skipping is not None:
            at = chunk.find(b"\n") + 1
            skipping[1] += at - 1 if at else len(chunk)
            if chunk and not at:
                continue
            yield b"", LongLine(*skipping)
            skipping, chunk = None, chunk[at:]
            if not chunk:
                if at:
                    continue
                return
        if not chunk:
            if carry:
                yield carry, None
            return
        at = chunk.find(b"\n") + 1
        if not at:
            carry += chunk
            if len(carry) > MAX_LINE_BYTES:
                skipping, carry = [carry[:_HEAD], len(carry)], b""
            continue
        if carry and len(carry) + at - 1 > MAX_LINE_BYTES:  # the line that carry began ends here, too long
            yield b"", LongLine(carry[:_HEAD], len(carry) + at - 1)
            carry, chunk = b"", chunk[at:]
        cut = chunk.rfind(b"\n") + 1
        if cut:
            yield (carry + chunk[:cut] if carry else chunk[:cut]), None
            carry = chunk[cut:]
        else:
            carry += chunk


def read_range(path: str, start: int, end: int) -> list[tuple[bytes, LongLine | None]]:
    """The whole lines that start in bytes [start, end) of a file (a BOM at 0 dropped), as pieces
    ``(data, long)``: ``long`` is a line longer than :data:`toolkit.defaults.MAX_LINE_BYTES` that ends the
    piece, as a :class:`LongLine` (not in ``data``), or None. Memory stays within the range and that limit,
    however long the lines at either end."""
    with open(path, "rb") as f:
        if start:
            f.seek(start - 1)
            _skip_line(f)  # the rest of a line that began before start belongs to the range before
        pos = f.tell()
        if pos >= end:
            return [(b"", None)]
        data = f.read(end - pos)  # in one read: no copy of the range to append the rest of its last line
        long = None
        if not data.endswith(b"\n"):  # through the end of the line that byte end - 1 is on
            last = data.rfind(b"\n") + 1
            rest, n = _rest_of_line(f, len(data) - last)
            size = len(data) - last + n
            if size > MAX_LINE_BYTES:
                data, long = data[:last], LongLine(data[last:last + _HEAD], size)
            else:
                data += rest
    if start == 0 and data.startswith(_BOM):
        data = data[3:]
    pieces = _cut_long(data) if len(data) > MAX_LINE_BYTES else [(data, None)]  # a big range: long lines inside
    if long is not None:
        if pieces[-1][1] is None:
            pieces[-1] = (pieces[-1][0], long)
        else:
            pieces.append((b"", long))
    return pieces


def _skip_line(f) -> None:
    """Move ``f`` past its next LF (or to its end), reading in blocks, keeping nothing."""
    while True:
        block = f.read(_BLOCK)
        at = block.find(b"\n") + 1
        if at:
            f.seek(at - len(block), 1)
            return
        if not block:
            return


def _cut_long(data: bytes) -> list[tuple[bytes, LongLine | None]]:
    """``data`` as pieces ``(bytes, long)``, each ended by a line longer than :data:`MAX_LINE_BYTES` (or by
    the end of ``data``)."""
    pieces, at, start = [], 0, 0
    while at < len(data):
        lf = data.find(b"\n", at)
        stop = len(data) if lf < 0 else lf + 1
        if stop - at - (lf >= 0) > MAX_LINE_BYTES:
            pieces.append((data[start:at], LongLine(data[at:at + _HEAD], stop - at - (lf >= 0))))
            start = stop
        at = stop
    if start < len(data) or not pieces:
        pieces.append((data[start:], None))
    return pieces


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
