"""The one reading engine: options checked once, the formats and sources registered, a recording opened,
told apart and parsed, whole or in byte ranges.

Everything that turns recordings into rows goes through here:
:func:`toolkit.read_logs` (whole files), :func:`toolkit.store.ingest` (whole
files, or byte ranges of growing logs with their line numbers carried on),
:func:`toolkit.dask.read_logs` (byte ranges parsed on a cluster) and
:func:`toolkit.scrub` (which only needs the format). Each caller builds one
:class:`Options` with :func:`read_options`, so a parameter has one meaning and
one error message wherever it is given, and opens a recording with
:func:`open_recording`, so a file is opened, gunzipped and told apart one way.

The engine knows no format: each registers its :class:`Reader` with
:func:`register_reader` (:mod:`toolkit.read.formats`), and the Parquet store
registers itself as a :class:`Source` with :func:`register_source`.

Examples
--------
>>> import io
>>> from toolkit.read.engine import parse, read_options, sniff
>>> opts = read_options(errors="report")
>>> sniff(b'{"ts": 1, "url": "/api/v1/spot/x", "status": 200}\\n', "calls.jsonl", opts)
'jsonl'
>>> result = parse(io.BytesIO(b'{"ts": 1, "url": "/api/v1/stock/x", "status": 200}\\n'), opts, start_line=41)
>>> result.format, result.rows, int(result.frames[0]["line"][0]), result.last_line
('jsonl', 1, 42, 42)
"""

from __future__ import annotations

import collections
import io
import os

from .._words import shown_name
from ..errors import ParameterError
from . import _files, _pool, _together
from ._accounting import Chunk, FileResult, rejects_frame, report_frame
from ._bots import bot_from_path, bot_given, check_bot
from ._files import READ_ERRORS, read_error
from ._options import Options, read_options
from ._pool import count_lines, plan_pieces
from ._registry import LineReader, Reader, Source, reader, readers, register_reader, register_source, source_of

#: Bytes read from the start of a file to tell its format (and fingerprint it in the store).
SNIFF_BYTES = 256 << 10
#: Non-blank lines of that start that vote on a line format.
SNIFF_LINES = 50
#: A plain recording of at most this many bytes is parsed with the small ones beside it (:func:`parse_many`),
#: up to this many at a time or this many bytes.
SMALL, GROUP_FILES, GROUP_BYTES = 1 << 20, 4096, 16 << 20


def sniff(head: bytes, name: str, options: Options | None = None) -> str:
    """The format of a file: ``options.format`` when fixed, else told from its first bytes.

    A whole-file format (HAR, VCR) whose opening is found at the start wins;
    otherwise each line format scores the share of the first
    :data:`SNIFF_LINES` non-blank lines that look like it (a text ``pattern``
    in the options counts), and the majority decides, so one odd line never
    changes a file's format. The file name breaks ties.

    Examples
    --------
    >>> sniff(b'{"log": {"version": "1.2", "entries": []}}', "calls.json")
    'har'
    >>> sniff(b"2026-11-20 21:05:00,123 INFO GET /api/v1/x -> 200\\n", "bot.jsonl")
    'text'
    >>> sniff(b"anything", "bot.log", read_options(format="jsonl"))
    'jsonl'
    """
    options = options or Options()
    if options.format != "auto":
        return options.format
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    end = b"\r" if b"\n" not in head and b"\r" in head else b"\n"  # CR alone ends lines in a file without LF
    lines = [ln for ln in (ln.lstrip(b"\xef\xbb\xbf") for ln in head.split(end)[:-1]) if ln.strip()] or [head]
    sample = lines[:SNIFF_LINES]
    known = readers()
    scores = {fmt: r.sniff(sample, options) for fmt, r in known.items()}
    for fmt, r in known.items():
        if r.whole_file and scores[fmt] >= 1.0:
            return fmt
    best = max(scores.values())
    tied = [fmt for fmt, s in scores.items() if s == best]
    if len(tied) > 1:
        lower = name.lower().removesuffix(".gz")
        for fmt in tied:
            if lower.endswith(known[fmt].suffixes):
                return fmt
    return tied[0]


class Recording:
    """An open recording, told apart: what :func:`open_recording` gives.

    Use it in a ``with`` block: it is closed at the end (an open file the
    caller passed is left open), and damaged gzip read inside the block
    raises the one :class:`toolkit.LogFormatError` naming the file.

    Attributes
    ----------
    name : str
        The ``source`` its rows are tagged with.
    stream : binary stream
        Its bytes from the first, gzip undone; iterating gives lines.
    head : bytes
        Its first :data:`SNIFF_BYTES` bytes (uncompressed), which told its format.
    format : str
        Its format, told by :func:`sniff` (or fixed by the options).
    path : str or None
        For a plain file on disk (not compressed): its path, which workers read byte ranges of.
    size : int or None
        That plain file's size in bytes.
    compressed : bool
        Whether gzip is undone.
    cut_at_lf : bool
        Whether it may be parsed in byte ranges cut at line feeds: a plain file in a line format
        whose lines end in LF (not CR alone).
    """

    def __init__(self, name: str, stream, head: bytes, fmt: str, *, path: str | None = None,
                 compressed: bool = False, closing: tuple = ()):
        self.name, self.stream, self.head, self.format = name, stream, head, fmt
        self.path, self.compressed, self._closing = path, compressed, closing
        self.size = os.path.getsize(path) if path is not None else None
        self.cut_at_lf = path is not None and reader(fmt).line_format and _files.cut_at_lf(head)

    def close(self) -> None:
        """Close the stream and the file under it, when :func:`open_recording` opened them."""
        for f in self._closing:
            f.close()

    def __enter__(self) -> "Recording":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.close()
        if isinstance(exc, READ_ERRORS):
            raise read_error(self.name, exc) from None

    def __repr__(self) -> str:
        return f"Recording({self.name!r}, format={self.format!r}, compressed={self.compressed})"


def open_recording(source, options: Options | None = None, *, name: str | None = None) -> Recording:
    """Open a recording and tell its format: the one way every caller opens one.

    Parameters
    ----------
    source : path, open binary (or text) file, or bytes
        A path is opened; an open file is read from where it is; gzip is undone
        (a file is gzip when it starts with gzip's magic number, or is empty and
        named ``.gz``). Bytes are whole lines (or a whole document) already read, never gunzipped.
    options : Options, optional
        From :func:`read_options`; with ``format="auto"`` the format is sniffed from the first bytes.
    name : str, optional
        The ``source`` the rows are tagged with (default: the path, the open file's name, ``<bytes>``, as
        :func:`toolkit._words.shown_name` shows it: a name that is not UTF-8 or holds control characters
        with escapes).

    Returns
    -------
    Recording
        To be used in a ``with`` block.

    Raises
    ------
    OSError
        The file cannot be opened (the message names it).
    toolkit.LogFormatError
        Its compressed bytes are damaged.

    Examples
    --------
    >>> with open_recording("data/sample/spot-bot.jsonl.gz") as rec:
    ...     rec.format, rec.compressed, rec.cut_at_lf, rec.stream.read(6)
    ('jsonl', True, False, b'{"ts":')
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, stream, opened, path = name or "<bytes>", io.BytesIO(source), None, None
    else:
        raw, stream, opened = _files.open_stream(source)
        path = raw if opened is not None and stream is opened and os.path.isfile(raw) else None
        label = name or shown_name(raw)
    closing = () if opened is None else (stream, opened)
    try:
        try:
            head = stream.read(SNIFF_BYTES)
        except READ_ERRORS as exc:
            raise read_error(label, exc) from None
        return Recording(label, _files.Replay(head, stream), head, sniff(head, label, options), path=path,
                         compressed=_files.is_gzip(stream), closing=closing)
    except BaseException:
        for f in closing:
            f.close()
        raise


def parse(source, options: Options, *, name: str | None = None, start_line: int = 0,
          byte_range: tuple[int, int] | None = None) -> FileResult:
    """Parse one recording into a :class:`FileResult`: its rows, rejects and skips.

    Parameters
    ----------
    source : path, open binary file, or bytes
        As for :func:`open_recording`; an open file is left open.
    options : Options
        From :func:`read_options`; with ``format="auto"`` the format is sniffed.
    name : str, optional
        The ``source`` the rows are tagged with (default: the path, the open
        file's name, ``<bytes>``).
    start_line : int
        Lines of the file before this piece: its first line is ``start_line + 1``.
    byte_range : (int, int), optional
        Parse only the whole lines that start in bytes ``[start, end)`` of the
        file at path ``source``; see :func:`parse_range`.

    Returns
    -------
    FileResult
        ``last_line`` is the number of the piece's last line, where the next piece goes on from.
    """
    if byte_range is not None:
        return parse_range(source, options, byte_range, name=name, start_line=start_line)
    with open_recording(source, options, name=name) as rec:
        result = FileResult(rec.name, rec.format, options, start_line=start_line)
        reader(rec.format).read(rec.stream, result, rec.path)
    return result


def parse_many(jobs, options: Options):
    """Parse recordings, yielding each one's :class:`FileResult` in order; small ones (plain files of at most
    :data:`SMALL` bytes) are parsed together, their rows typed and classified in one pass, which costs a folder
    of thousands of one-line files a fraction of a pass per file; gzipped files, when there are several, are
    parsed each whole in a worker process (:func:`._pool.submit`), several at a time, so that a folder of
    rotated logs keeps every worker busy (one gzipped file alone is cut into pieces for the workers).

    Parameters
    ----------
    jobs : iterable
        Each a ``source`` as :func:`parse` takes it, or ``(source, kwargs)`` with :func:`parse`'s keyword
        arguments (``name``, ``start_line``, ``byte_range``) and perhaps ``options`` of its own.
    options : Options
        From :func:`read_options`.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     _ = open(os.path.join(d, f"{i}.jsonl"), "w").write('{"ts": 1, "url": "/api/v1/stock/x", "status": 200}\\n')
    >>> [r.rows for r in parse_many(sorted(expand(d)), read_options())]
    [1, 1, 1]
    """
    jobs = [job if isinstance(job, tuple) else (job, {}) for job in jobs]
    whole = _pool.in_parallel() and sum(_gzipped(source, kwargs) for source, kwargs in jobs) > 1
    ahead = 2 * _pool.WORKERS  # files given to the workers and not yet yielded, at most
    out = collections.deque()  # in job order: a FileResult, or a future of one
    group, size = [], 0
    try:
        for source, kwargs in jobs:
            kwargs = dict(kwargs)
            opts = kwargs.pop("options", options)
            n = _small(source, kwargs)
            if n is None:
                out.extend(_parse_group(group, options))
                group, size = [], 0
                if whole and _gzipped(source, kwargs):
                    out.append(_pool.submit(parse, source, opts, **kwargs))
                else:
                    out.append(parse(source, opts, **kwargs))
            else:
                group.append(((source, opts), kwargs))
                size += n
                if len(group) >= GROUP_FILES or size >= GROUP_BYTES:
                    out.extend(_parse_group(group, options))
                    group, size = [], 0
            while out and (not isinstance(out[0], _pool.Future) or out[0].done()
                           or sum(isinstance(f, _pool.Future) for f in out) > ahead):
                yield _pool.result(out.popleft())
        out.extend(_parse_group(group, options))
        while out:
            yield _pool.result(out.popleft())
    finally:  # after an error (errors="raise", an unreadable file), the files not started are dropped
        for job in out:
            if isinstance(job, _pool.Future):
                job.cancel()


def _gzipped(source, kwargs) -> bool:
    """Whether a job reads a whole gzipped file by its path (named ``.gz``: parsed whole, in one process)."""
    return (isinstance(source, (str, os.PathLike)) and kwargs.get("byte_range") is None
            and os.fspath(source).endswith(".gz"))


def _small(source, kwargs) -> int | None:
    """The bytes a job reads when it is small enough to be parsed with others (a plain file); else None."""
    if not isinstance(source, (str, os.PathLike)):
        return None
    if kwargs.get("byte_range") is not None:
        start, end = kwargs["byte_range"]
        return end - start if end - start <= SMALL else None
    path = os.fspath(source)
    try:
        n = os.path.getsize(path)
    except OSError:
        return None  # parse says why
    return n if n <= SMALL and not path.endswith(".gz") else None


def _parse_group(group: list, options: Options) -> list[FileResult]:
    if len(group) < 2:
        return [parse(*args, **kwargs) for args, kwargs in group]
    return _together.parse_together(parse, group, options.rules)


def parse_range(source, options: Options, byte_range: tuple[int, int], *, name: str | None = None,
                start_line: int = 0) -> FileResult:
    """The whole lines that start in bytes ``[start, end)`` of a plain (uncompressed) file in a line format,
    numbered after ``start_line`` lines, parsed in the pieces :func:`plan_pieces` cuts them in.

    ``source`` is the file's path; the rows are tagged with ``name`` (default: the path).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "calls.jsonl")
    >>> _ = open(path, "wb").write(b'{"ts": 1, "url": "/api/v1/stock/x", "status": 200}\\n' * 3)
    >>> parse_range(path, read_options(), (52, 104), start_line=1).last_line
    2
    """
    start, end = byte_range
    path = str(source)
    fmt = options.format
    if fmt == "auto":
        with open_recording(path, options) as rec:
            fmt = rec.format
    line_reader = reader(fmt)
    if not line_reader.line_format:
        kinds = ", ".join(r.title for r in readers().values() if r.line_format)
        raise ParameterError(f"byte_range applies to line formats ({kinds}), not to {fmt}")
    result = FileResult(name or shown_name(path), fmt, options, start_line=start_line)
    _pool.parse_range(line_reader.parse_chunk, path, start, end, result)
    return result


def expand(source, duplicates: list | None = None) -> list:
    """Resolve a path, directory, glob, open file or list of these to the recordings to read, in order, each
    file once.

    A directory is walked recursively for the file names the formats read (under
    ``.gz`` and rotation numbers too: ``bot.log.1``, ``bot.log.2.gz``), hidden ones left out; links to
    directories are not followed. A file is known by what it is, not by its name: a link to a file listed
    already, or the same file reached again through a link to a directory (a ``**`` glob through a loop),
    is left out and appended to ``duplicates`` as ``(path, the path read)``.
    """
    suffixes = tuple(s for r in readers().values() for s in r.suffixes)
    return _files.once(_files.expand(source, suffixes), duplicates)


__all__ = ["READ_ERRORS", "SNIFF_BYTES", "SNIFF_LINES", "Chunk", "FileResult", "LineReader", "Options", "Reader",
           "Recording", "Source", "bot_from_path", "bot_given", "check_bot", "count_lines", "expand", "open_recording",
           "parse", "parse_many", "parse_range", "plan_pieces",
           "read_error", "read_options", "reader", "readers", "register_reader", "register_source", "rejects_frame",
           "report_frame", "sniff", "source_of"]
