"""The one file-parsing engine: options checked once, :func:`sniff` and :func:`parse`.

Everything that turns recordings into rows goes through here:
:func:`toolkit.read_logs` (whole files), :func:`toolkit.store.ingest` (whole
files, or byte ranges of growing logs with their line numbers carried on),
:func:`toolkit.dask.read_logs` (byte ranges parsed on a cluster) and
:func:`toolkit.scrub` (which only needs the format). Each caller builds one
:class:`Options` with :func:`read_options`, so a parameter has one meaning and
one error message wherever it is given.

Examples
--------
>>> import io
>>> from toolkit.read._engine import parse, read_options, sniff
>>> opts = read_options(errors="report")
>>> sniff(b'{"ts": 1, "url": "/api/v1/spot/x", "status": 200}\\n', "calls.jsonl", opts)
'jsonl'
>>> result = parse(io.BytesIO(b'{"ts": 1, "url": "/api/v1/stock/x", "status": 200}\\n'), opts, start_line=41)
>>> result.format, result.rows, int(result.frames[0]["line"][0]), result.last_line
('jsonl', 1, 42, 42)
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from ..classify import compile_market_rules
from ..errors import ParameterError
from ._source import (READ_ERRORS, FileResult, Replay, _parse_range, describe_read_error, merge_pieces, open_source,
                      piece_bounds, read_lines)
from .access import check_fields
from .botlogs import BotLogReader
from .har import HarReader
from .jsonl import JsonLinesReader
from .text import compile_pattern
from .vcr import VcrReader

#: The readers, by format name: each has ``read(stream, result, path)`` and ``sniff(lines, options)``;
#: line formats also ``parse_chunk(data, source, options)``.
READERS = {r.name: r for r in (JsonLinesReader(), HarReader(), VcrReader(), BotLogReader())}
#: Bytes read from the start of a file to tell its format (and fingerprint it in the store).
SNIFF_BYTES = 256 << 10
#: Non-blank lines of that start that vote on a line format.
SNIFF_LINES = 50


@dataclasses.dataclass(frozen=True)
class Options:
    """How recordings are parsed, checked once by :func:`read_options`; picklable, so tasks can carry it.

    Attributes
    ----------
    format : str
        ``"auto"`` or a name in :data:`READERS`.
    errors : {"report", "raise"}
    market_rules : dict or None
        As the user gave them (None: the default rules); :attr:`rules` is their compiled form.
    rules : list of (re.Pattern, str)
        Compiled market rules, tried in order.
    pattern : re.Pattern or None
        The compiled layout of text logs.
    fields : dict or None
        JSON Lines key names, ``{field: (key, ...)}`` (a dotted key split).
    """

    format: str = "auto"
    errors: str = "report"
    market_rules: dict | None = None
    rules: list = dataclasses.field(default_factory=lambda: compile_market_rules(None))
    pattern: Any = None
    fields: dict | None = None

    def with_format(self, fmt: str) -> "Options":
        """The same options with the format fixed (a file's, once told)."""
        return dataclasses.replace(self, format=_check_format(fmt))


def _check_format(format) -> str:
    if format != "auto" and format not in READERS:
        raise ParameterError(f"format must be 'auto' or one of {sorted(READERS)}, not {format!r}")
    return format


def read_options(*, format: str = "auto", errors: str = "report", market_rules=None, pattern=None,
                 fields=None) -> Options:
    """Check the parsing parameters of :func:`toolkit.read_logs` and compile them into :class:`Options`.

    Raises :class:`toolkit.errors.ParameterError` (a ``ValueError``) for a bad
    value and ``TypeError`` for a value of the wrong kind, with the same words
    whichever function was given it.

    Examples
    --------
    >>> read_options(format="text", pattern=r"(?P<ts>\\S+) (?P<url>\\S+)").pattern.groupindex
    mappingproxy({'ts': 1, 'url': 2})
    >>> read_options(format="har", pattern=r"(?P<ts>\\S+) (?P<url>\\S+)")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: pattern applies to text logs; it cannot be used with format='har'
    """
    if errors not in ("report", "raise"):
        raise ParameterError(f"errors must be 'report' or 'raise', not {errors!r}")
    _check_format(format)
    if pattern is not None and format not in ("auto", "text"):
        raise ParameterError(f"pattern applies to text logs; it cannot be used with format={format!r}")
    if fields is not None and format not in ("auto", "jsonl"):
        raise ParameterError(f"fields applies to JSON Lines; it cannot be used with format={format!r}")
    try:
        compiled = compile_market_rules(market_rules)
        rules = None if market_rules is None else dict(market_rules)
        text = compile_pattern(pattern)
        checked = check_fields(fields)
    except ParameterError:
        raise
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    return Options(format, errors, rules, compiled, text, checked)


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
    scores = {fmt: reader.sniff(sample, options) for fmt, reader in READERS.items()}
    for fmt, reader in READERS.items():
        if getattr(reader, "whole_file", False) and scores[fmt] >= 1.0:
            return fmt
    best = max(scores.values())
    tied = [fmt for fmt, s in scores.items() if s == best]
    if len(tied) > 1:
        lower = name.lower().removesuffix(".gz")
        by_name = {"jsonl": (".jsonl", ".ndjson", ".json"), "har": (".har",), "vcr": (".yaml", ".yml"),
                   "text": (".log", ".txt")}
        for fmt in tied:
            if lower.endswith(by_name.get(fmt, ())):
                return fmt
    return tied[0]


def cut_at_lf(head: bytes) -> bool:
    """Whether a file that starts with ``head`` can be parsed in byte ranges cut at line feeds.

    Not a file whose lines end in CR alone (classic Mac): it is read whole, split on CR.

    Examples
    --------
    >>> cut_at_lf(b'{"a": 1}\\r\\n{"a": 2}\\r\\n'), cut_at_lf(b'{"a": 1}\\r{"a": 2}\\r')
    (True, False)
    """
    return b"\n" in head or b"\r" not in head


def parse(source, options: Options, *, name: str | None = None, start_line: int = 0,
          byte_range: tuple[int, int] | None = None, parallel: bool = True) -> FileResult:
    """Parse one recording into a :class:`FileResult`: its rows, rejects and skips.

    Parameters
    ----------
    source : path, open binary file, or bytes
        A path is opened (and gunzipped); an open file is read from where it
        is and left open; bytes are whole lines (or a whole document) already read.
    options : Options
        From :func:`read_options`; with ``format="auto"`` the format is sniffed.
    name : str, optional
        The ``source`` the rows are tagged with (default: the path, the open
        file's name, ``<bytes>``).
    start_line : int
        Lines of the file before this piece: its first line is ``start_line + 1``.
    byte_range : (int, int), optional
        Parse only the whole lines that start in bytes ``[start, end)`` of the
        file at path ``source`` (an uncompressed file in a line format).
    parallel : bool
        Whether big inputs may be parsed in the worker processes; a caller
        that is itself a worker (a Dask task) passes False.

    Returns
    -------
    FileResult
        ``last_line`` is the number of the piece's last line, where the next piece goes on from.
    """
    if byte_range is not None:
        return _parse_range_of(source, options, name, start_line, byte_range, parallel)
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, stream, plain = name or "<bytes>", io.BytesIO(source), None
    else:
        label, stream, plain = open_source(source)
        label = name or label
    try:
        try:
            head = stream.read(SNIFF_BYTES)
            fmt = sniff(head, label, options)
            result = FileResult(label, fmt, options, start_line=start_line)
            reader = READERS[fmt]
            chunked = getattr(reader, "parse_chunk", None)
            if chunked is not None and not parallel:
                read_lines(chunked, Replay(head, stream), result, parallel=False)
            else:
                reader.read(Replay(head, stream), result, plain)
        except READ_ERRORS as exc:
            raise describe_read_error(label, exc) from None
    finally:
        if not hasattr(source, "read"):
            stream.close()
    return result


def _parse_range_of(path, options: Options, name, start_line: int, byte_range, parallel: bool) -> FileResult:
    """The whole lines starting in a byte range of a plain file, in the pieces :func:`read_lines` cuts a file in
    (in the workers when allowed)."""
    start, end = byte_range
    path = str(path)
    fmt = options.format
    if fmt == "auto":
        with open(path, "rb") as f:
            fmt = sniff(f.read(SNIFF_BYTES), path, options)
    chunked = getattr(READERS[fmt], "parse_chunk", None)
    if chunked is None:
        raise ParameterError(f"byte_range applies to line formats (JSON Lines, text logs), not to {fmt}")
    result = FileResult(name or path, fmt, options, start_line=start_line)
    bounds = piece_bounds(start, end, parallel)
    jobs = ((_parse_range, chunked, path, a, b, result.source, options) for a, b in zip(bounds, bounds[1:]))
    merge_pieces(jobs, result, parallel and len(bounds) > 2)
    return result


__all__ = ["READERS", "SNIFF_BYTES", "SNIFF_LINES", "Options", "cut_at_lf", "parse", "read_options", "sniff"]
