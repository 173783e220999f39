"""Read recorded API calls into one tagged DataFrame: :func:`read_logs`, :func:`load_logs`."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import pandas as pd
from pandas.api.types import union_categoricals

from ..errors import ParameterError
from ..classify import compile_market_rules
from ..schema import COLUMNS, REJECT_DTYPES, REPORT_DTYPES, empty_frame
from ._sources import source_of
from ._source import READ_ERRORS, FileResult, LogFormatError, Replay, describe_read_error, expand, open_source
from ..selection import selection as window
from .access import check_fields
from .botlogs import BotLogReader
from .har import HarReader
from .jsonl import JsonLinesReader
from .text import compile_pattern
from .vcr import VcrReader

READERS = {r.name: r for r in (JsonLinesReader(), HarReader(), VcrReader(), BotLogReader())}
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
        One row per file: ``source``, ``format``, ``rows``, ``rejects``, ``skipped``
        and ``unverified`` (rows counted ``ok`` because a 2xx was logged without
        its body, as access logs and urllib3 lines are: a business error could
        hide in them).
    lines : int
        Non-blank lines (or entries) read; equals rows + rejects + skipped.
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    report: pd.DataFrame
    lines: int = 0
    _files: list = field(default_factory=list, repr=False)

    @property
    def skips(self) -> pd.DataFrame:
        """Skipped lines (or entries) per file and reason: ``source``, ``reason``, ``count``.

        Reasons are those the readers name (``preflight``, ``static``,
        ``websocket`` in HAR; ``request half``, ``continuation`` and ``not an
        API call`` in text logs); other skips are counted as ``not an API call``.
        """
        rows = []
        for r in self._files:
            named = dict(r.skip_reasons)
            rest = r.skipped - sum(named.values())
            if rest:
                named["not an API call"] = named.get("not an API call", 0) + rest
            rows.extend((r.source, reason, n) for reason, n in sorted(named.items()) if n)
        return pd.DataFrame(rows, columns=["source", "reason", "count"]).astype(
            {"source": "string", "reason": "string", "count": "int64"})

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


def read_logs(source, *, market_rules=None, errors: str = "report", format: str = "auto", pattern=None,
              fields=None, start=None, end=None, market=None) -> Load:
    r"""Read recorded API calls into a tagged DataFrame, accounting for every line.

    Parameters
    ----------
    source : path, directory, glob, open file, or a list of these
        Directories are read recursively; ``.gz`` files are decompressed.
        A store written by :func:`toolkit.store.ingest` is read from its
        Parquet files instead (see :func:`load_logs`).
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
    fields : dict, optional
        For JSON Lines with other key names: ``{field: key}`` for any of
        ``time``, ``method``, ``url``, ``status``, ``body``, ``error``,
        ``latency_ms``, ``latency_s`` and ``market``; a dotted key reaches into
        nested objects (``"request.uri"``). Caddy and Traefik access logs are
        read without it. Example: ``fields={"time": "started_at", "latency_ms": "duration_ms"}``.
    start, end : time, optional
        Keep the calls with ``start <= ts < end`` (naive times are UTC). Over
        recordings they filter :attr:`Load.frame` after parsing; ``report``
        and ``rejects`` still account for every line read.
    market : str or list of str, optional
        Keep the calls of these markets.

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
        raise ParameterError(f"errors must be 'report' or 'raise', not {errors!r}")
    if format != "auto" and format not in READERS:
        raise ParameterError(f"format must be 'auto' or one of {sorted(READERS)}, not {format!r}")
    if pattern is not None and format not in ("auto", "text"):
        raise ParameterError(f"pattern applies to text logs; it cannot be used with format={format!r}")
    if fields is not None and format not in ("auto", "jsonl"):
        raise ParameterError(f"fields applies to JSON Lines; it cannot be used with format={format!r}")
    checked_fields = check_fields(fields)
    win = window(start, end, market)
    if (found := _store_of(source, market_rules, format, pattern, fields)) is not None:
        store, kind = found
        return Load(*kind.load(store, win, errors))
    options = {"rules": compile_market_rules(market_rules), "pattern": compile_pattern(pattern),
               "fields": checked_fields}
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
    load = _assemble(results)
    load.frame = win.apply(load.frame)
    return load


def _store_of(source, market_rules, format, pattern=None, fields=None):
    """The store directory ``source`` names and the registered source that reads it, or None for recordings."""
    items = source if isinstance(source, (list, tuple)) else [source]
    kinds = [(s, kind) for s in items if (kind := source_of(s)) is not None]
    stores = [s for s, _ in kinds]
    if not stores:
        return None
    if len(items) > 1:
        raise ParameterError(f"source must be one store or recordings, not a mix: {stores[0]!s} is a store; "
                         "ingest the recordings into it with toolkit.store.ingest")
    if market_rules is not None or format != "auto" or pattern is not None:
        raise ParameterError(f"market_rules, format and pattern apply when recordings are parsed; {stores[0]!s} is "
                         "a store, so pass them to toolkit.store.ingest")
    if fields is not None:
        raise ParameterError(f"fields applies when recordings are parsed; {stores[0]!s} is a store")
    return kinds[0]


def _assemble(results: list[FileResult]) -> Load:
    frame = concat_frames([f for r in results for f in r.frames])
    if len(results) > 1:  # several files (rotated logs, one per bot): one timeline, in time order
        frame = frame.sort_values("ts", kind="stable", ignore_index=True)
    rejects = pd.DataFrame(
        [(r.source, line, reason, text) for r in results for line, reason, text in sorted(r.rejects)],
        columns=list(REJECT_DTYPES),
    ).astype(REJECT_DTYPES)
    report = pd.DataFrame(
        [(r.source, r.format, r.rows, len(r.rejects), r.skipped, _unverified(r.frames)) for r in results],
        columns=list(REPORT_DTYPES),
    ).astype(REPORT_DTYPES)
    return Load(frame[COLUMNS], rejects, report, sum(r.lines for r in results), results)


def _unverified(frames) -> int:
    """Rows that are ``ok`` only because their 2xx body was not recorded."""
    return sum(int((f["reason"] == "unverified").sum()) for f in frames)


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


def load_logs(source, *, start=None, end=None, market=None, **kwargs) -> pd.DataFrame:
    """Read recorded API calls and return only the DataFrame; see :func:`read_logs`.

    ``source`` may also be a store written by :func:`toolkit.store.ingest`:
    then ``start``, ``end`` and ``market`` are pushed down, so only the
    Parquet partitions (UTC dates and markets) they need are opened, and the
    rows come sorted by time. Over recordings the same filters are applied
    after parsing (every line is still read).

    Examples
    --------
    >>> import toolkit
    >>> df = toolkit.load_logs("data/sample/")
    >>> df["market"].value_counts().to_dict()
    {'futures': 96658, 'spot': 29988, 'unknown': 0}

    JSON Lines with other key names, mapped with ``fields=``:

    >>> import io
    >>> f = io.StringIO('{"started_at": "2026-11-20T21:05:00Z", "path": "/api/v1/futures/open-api/kline",'
    ...                 ' "http_code": 502, "took_ms": 31.5}\\n')
    >>> df = toolkit.load_logs(f, fields={"time": "started_at", "status": "http_code", "latency_ms": "took_ms"})
    >>> df[["http_status", "category", "latency_ms"]].astype(str).iloc[0].tolist()
    ['502', 'server_error', '31.5']

    The same calls from a store, one hour of one market:

    >>> import tempfile
    >>> store = tempfile.mkdtemp() + "/store"
    >>> _ = toolkit.store.ingest("data/sample/spot-bot.jsonl.gz", store)
    >>> hour = toolkit.load_logs(store, start="2026-11-18 14:00", end="2026-11-18 15:00", market="spot")
    >>> len(hour), str(hour["ts"].min())
    (192, '2026-11-18 14:00:10.264000+00:00')
    """
    if (found := _store_of(source, kwargs.get("market_rules"), kwargs.get("format", "auto"),
                           kwargs.get("pattern"), kwargs.get("fields"))) is not None:
        store, kind = found
        return kind.calls(store, window(start, end, market))
    return read_logs(source, start=start, end=end, market=market, **kwargs).frame


__all__ = ["read_logs", "load_logs", "concat_frames", "Load", "LogFormatError", "RejectWarning", "detect_format"]
