"""Read recorded API calls into one tagged DataFrame: :func:`read_logs`, :func:`load_logs`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd
from pandas.api.types import union_categoricals

from ..classify import compile_market_rules
from ..schema import COLUMNS, REJECT_DTYPES, REPORT_DTYPES, empty_frame
from ._source import READ_ERRORS, FileResult, LogFormatError, Replay, describe_read_error, expand, open_source
from .har import HarReader
from .jsonl import JsonLinesReader
from .text import TextReader, compile_pattern
from .vcr import VcrReader

READERS = {r.name: r for r in (JsonLinesReader(), HarReader(), VcrReader(), TextReader())}
SNIFF_BYTES = 256 << 10
SNIFF_LINES = 50


class RejectWarning(UserWarning):
    """Some input lines could not become rows; see :attr:`Load.rejects`."""


@dataclass
class Load:
    """The result of :func:`read_logs`.

    Attributes
    ----------
    frame : DataFrame
        One row per API call (see the README for the columns).
    rejects : DataFrame
        ``source``, ``line``, ``reason``, ``excerpt`` (redacted, at most ~200
        characters) for every input line that could not become a row.
    report : DataFrame
        One row per file: ``source``, ``format``, ``rows``, ``rejects``, ``skipped``.
    lines : int
        Non-blank lines (or entries) read; equals rows + rejects + skipped.
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    report: pd.DataFrame
    lines: int = 0
    _files: list = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        return (f"Load({len(self.frame):,} rows, {len(self.rejects):,} rejects, "
                f"{int(self.report['skipped'].sum()) if len(self.report) else 0:,} skipped "
                f"from {len(self.report):,} files)")


def detect_format(head: bytes, name: str, options: dict | None = None) -> str:
    """Tell the format of a file from its first bytes; the file name breaks ties.

    A whole-file format (HAR, VCR) whose opening is found at the start wins;
    otherwise each line format scores the share of the first
    :data:`SNIFF_LINES` non-blank lines that look like it, and the majority
    decides, so one odd line never changes a file's format.

    Examples
    --------
    >>> detect_format(b'{"log": {"version": "1.2", "entries": []}}', "calls.json")
    'har'
    >>> detect_format(b"2026-11-20 21:05:00,123 INFO GET /api/v1/x -> 200\\n", "bot.jsonl")
    'text'
    """
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    lines = [ln for ln in head.split(b"\n")[:-1] if ln.strip()] or [head]
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


def read_logs(source, *, market_rules=None, errors: str = "report", format: str = "auto", pattern=None) -> Load:
    r"""Read recorded API calls into a tagged DataFrame, accounting for every line.

    Parameters
    ----------
    source : path, directory, glob, open file, or a list of these
        Directories are read recursively; ``.gz`` files are decompressed.
    market_rules : dict, optional
        ``{market: regex}`` tried in order on each URL's host and path,
        replacing the default rules (``futures|contract|swap|perp`` -> futures,
        ``stock|spot`` -> spot).
    errors : {"report", "raise"}
        ``"report"`` collects bad lines in :attr:`Load.rejects` and warns with a
        summary per file; ``"raise"`` raises :class:`LogFormatError` at the first.
        A HAR or cassette that cannot be parsed at all is one reject at line 0.
    format : {"auto", "jsonl", "har", "vcr", "text"}
        ``"auto"`` tells the format of each file from its content (the file
        name breaks ties); a name forces it for every file.
    pattern : str or re.Pattern, optional
        For text logs of another layout: a regex searched in each line, with
        named groups ``ts`` and ``url`` and any of ``method``, ``status``,
        ``body``, ``error``, ``latency_ms``. Lines it does not match are skipped.

    Returns
    -------
    Load
        ``.frame``, ``.rejects``, ``.report`` and ``.lines``.

    Examples
    --------
    >>> import io, warnings, toolkit
    >>> f = io.StringIO(
    ...     '{"ts": 1764000000, "url": "/api/v1/stock/open-api/order", "status": 429,'
    ...     ' "response": {"code": 429, "msg": "Too many requests"}}\n'
    ...     'not json\n')
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     load = toolkit.read_logs(f)
    >>> load.frame[["market", "category", "reason"]].iloc[0].tolist()
    ['spot', 'rate_limit', 'rate_limited']
    >>> load.rejects[["line", "reason"]].values.tolist()
    [[2, 'invalid JSON (not a JSON value)']]
    >>> str(caught[0].message)
    '1 of 2 lines rejected in <stream>: 1 invalid JSON'
    """
    if errors not in ("report", "raise"):
        raise ValueError(f"errors must be 'report' or 'raise', not {errors!r}")
    if format != "auto" and format not in READERS:
        raise ValueError(f"format must be 'auto' or one of {sorted(READERS)}, not {format!r}")
    if pattern is not None and format not in ("auto", "text"):
        raise ValueError(f"pattern applies to text logs; it cannot be used with format={format!r}")
    options = {"rules": compile_market_rules(market_rules), "pattern": compile_pattern(pattern)}
    results = []
    for src in expand(source):
        name, stream, plain = open_source(src)
        try:
            try:
                head = stream.read(SNIFF_BYTES)
                fmt = detect_format(head, name, options) if format == "auto" else format
                result = FileResult(name, fmt, options, errors)
                READERS[fmt].read(Replay(head, stream), result, plain)
            except READ_ERRORS as exc:
                raise describe_read_error(name, exc) from None
        finally:
            if not hasattr(src, "read"):
                stream.close()
        results.append(result)
        if errors == "report" and (msg := result.summary()):
            warnings.warn(msg, RejectWarning, stacklevel=2)
    return _assemble(results)


def _assemble(results: list[FileResult]) -> Load:
    frame = concat_frames([f for r in results for f in r.frames])
    rejects = pd.DataFrame(
        [(r.source, line, reason, text) for r in results for line, reason, text in sorted(r.rejects)],
        columns=list(REJECT_DTYPES),
    ).astype(REJECT_DTYPES)
    report = pd.DataFrame(
        [(r.source, r.format, r.rows, len(r.rejects), r.skipped) for r in results],
        columns=list(REPORT_DTYPES),
    ).astype(REPORT_DTYPES)
    return Load(frame[COLUMNS], rejects, report, sum(r.lines for r in results), results)


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate loaded frames, keeping categoricals categorical (categories are unioned)."""
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    cats = [c for c in ("endpoint", "source") if c in frames[0]]
    united = {c: union_categoricals([f[c].array for f in frames]) for c in cats}
    frame = pd.concat([f.drop(columns=cats) for f in frames], ignore_index=True)
    for c in cats:
        frame[c] = united[c]
    return frame[COLUMNS]


def load_logs(source, **kwargs) -> pd.DataFrame:
    """Read recorded API calls and return only the DataFrame; see :func:`read_logs`.

    Examples
    --------
    >>> import toolkit
    >>> df = toolkit.load_logs("data/sample/")
    >>> df["market"].value_counts().to_dict()
    {'futures': 96688, 'spot': 29988, 'unknown': 0}
    """
    return read_logs(source, **kwargs).frame


__all__ = ["read_logs", "load_logs", "Load", "LogFormatError", "RejectWarning", "detect_format"]
