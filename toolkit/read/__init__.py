"""Read recorded API calls into one tagged DataFrame: :func:`read_logs`, :func:`load_logs`.

The engine they run on, which the store, :mod:`toolkit.dask` and :func:`toolkit.scrub`
use too, is :mod:`toolkit.read.engine`; the formats are in :mod:`toolkit.read.formats`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from .._cards import card
from .._progress import progress
from .._words import shown_name, window_words
from ..errors import LogFormatError, ParameterError
from ..schema import COLUMNS, STRING, WS_COLUMNS, empty_frame
from ..selection import selection as window
from . import formats  # noqa: F401 - each format registers its reader with the engine
from ._ws import empty_ws
from .engine import FileResult, expand, parse_many, read_options, rejects_frame, report_frame, source_of


class RejectWarning(UserWarning):
    """Some input lines could not become rows; see :attr:`Load.rejects`."""


@dataclass
class Load:
    """The result of :func:`read_logs`.

    Attributes
    ----------
    frame : DataFrame
        One row per API call (the user guide's page on the columns lists them).
    rejects : DataFrame
        ``source``, ``line``, ``reason``, ``excerpt`` (redacted, at most ~200
        characters) for every input line that could not become a row, up to the first
        :data:`toolkit.defaults.MAX_REJECTS_KEPT` of each file; ``report["rejects"]`` counts them all.
    report : DataFrame
        One row per file: ``source``, ``format``, ``rows``, ``rejects``, ``skipped``,
        ``unverified`` (rows counted ``ok`` because a 2xx was logged without
        its body, as access logs and urllib3 lines are: a business error could
        hide in them) and ``frames`` (rows of :attr:`websocket`).
    lines : int
        Non-blank lines (or entries, and a HAR's WebSocket frames) read; equals rows + rejects + skipped
        + the lines that became WebSocket rows only.
    websocket : DataFrame
        One row per WebSocket frame or connection event (the user guide's WebSocket page lists the
        columns); empty when the recordings hold none.
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    report: pd.DataFrame
    lines: int = 0
    _files: list = field(default_factory=list, repr=False)
    websocket: pd.DataFrame = field(default_factory=empty_ws, repr=False)

    @property
    def skips(self) -> pd.DataFrame:
        """Skipped lines (or entries) per file and reason: ``source``, ``reason``, ``count``.

        Reasons are those the readers name (``preflight``, ``static``,
        ``websocket`` in HAR; ``request half``, ``continuation`` and ``not an
        API call`` in text logs); other skips are counted as ``not an API call``.
        A second path to a file already read (a link to it, the same file reached through a directory loop)
        is not read again: its lines are skipped, ``same file as <the path read>``.
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

    def _facts(self) -> list[tuple[str, str]]:
        """What was read, as the plain and the HTML representations show it."""
        counts = {c: int(self.report[c].sum()) if len(self.report) else 0
                  for c in ("rows", "rejects", "skipped", "unverified")}
        facts = [("calls", f"{len(self.frame):,} from {len(self.report):,} file(s)"),
                 ("lines", f"{self.lines:,}: {counts['rejects']:,} rejected, {counts['skipped']:,} skipped")]
        if len(self.frame) and self.frame["ts"].notna().any():
            ts = self.frame["ts"]
            facts.append(("span", f"{window_words(ts.min(), ts.max())} UTC"))
        for column in ("market", "bot"):
            if column in self.frame and len(self.frame):
                seen = self.frame[column].value_counts(sort=True)
                facts.append((f"{column}s", ", ".join(f"{k} {v:,}" for k, v in seen.items() if v)))
        if counts["unverified"]:
            facts.append(("unverified", f"{counts['unverified']:,} 2xx logged without a body (counted ok)"))
        return facts

    def __repr__(self) -> str:
        rejects = int(self.report["rejects"].sum()) if len(self.report) else 0
        skipped = int(self.report["skipped"].sum()) if len(self.report) else 0
        span = dict(self._facts()).get("span")
        return (f"Load({len(self.frame):,} rows, {rejects:,} rejects, {skipped:,} skipped from "
                f"{len(self.report):,} files" + (f"; {span}" if span else "") + ")")

    def _repr_html_(self) -> str:
        """A card in Jupyter: what was read, the time span, the calls per market and bot; the files, the
        rejects and the skips a click away."""
        return card("Load", self._facts(), tables={"files": self.report, "rejects": self.rejects,
                                                   "skips": self.skips})


def read_logs(source, *, market_rules=None, errors: str = "report", format: str = "auto", pattern=None,
              fields=None, bot=None, start=None, end=None, market=None) -> Load:
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
    format : {"auto", "jsonl", "har", "vcr", "text", "wslog"}
        ``"auto"`` tells the format of each file from its content (the file
        name breaks ties); a name forces it for every file.
    pattern : str or re.Pattern, optional
        For text logs of another layout: a regex searched in each line, with
        named groups ``ts`` and ``url`` and any of ``method``, ``status``,
        ``body``, ``error``, ``latency_ms``. Lines it does not match are skipped.
    fields : dict, optional
        For JSON Lines with other key names: ``{field: key}`` for any of
        ``time``, ``method``, ``url``, ``status``, ``body``, ``error``,
        ``latency_ms``, ``latency_s``, ``market`` and ``bot``; a dotted key reaches into
        nested objects (``"request.uri"``). Caddy and Traefik access logs are
        read without it. Example: ``fields={"time": "started_at", "latency_ms": "duration_ms"}``.
    bot : dict or callable, optional
        Which bot made each recording's calls, overriding what its records and
        its file name say: ``{glob: name}``, each glob matched against the
        file's path from the right as :meth:`pathlib.PurePath.match` does
        (``{"futures/*": "futures-arb", "*.har": "browser"}``; the first match
        wins, other files keep their own), or a function of the path returning
        a name or None. Without it, a call's ``bot`` is its record's ``bot``
        field, else its file's name without rotation, dates and extensions
        (``spot-mm.20270301T000000.123Z.jsonl.gz`` -> ``spot-mm``; a file named
        ``calls`` takes its folder's name), else ``unknown``.
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
    options = read_options(format=format, errors=errors, market_rules=market_rules, pattern=pattern, fields=fields,
                           bot=bot)
    win = window(start, end, market)
    if (found := _store_of(source, market_rules, format, pattern, fields, bot)) is not None:
        store, kind = found
        return Load(*kind.load(store, win, errors))
    results, read, duplicates = [], {}, []
    files = expand(source, duplicates)
    for src, result in zip(files, progress(parse_many(files, options), desc="reading", total=len(files))):
        read[src] = result
        results.append(result)
        if errors == "report" and (msg := result.summary()):
            warnings.warn(msg, RejectWarning, stacklevel=2)
    results += [FileResult.same_file(shown_name(path), read[first]) for path, first in duplicates]
    load = _assemble(results)
    load.frame = win.apply(load.frame)
    load.websocket = win.apply(load.websocket)
    return load


def _store_of(source, market_rules, format, pattern=None, fields=None, bot=None):
    """The store directory ``source`` names and the registered source that reads it, or None for recordings."""
    items = source if isinstance(source, (list, tuple)) else [source]
    kinds = [(s, kind) for s in items if (kind := source_of(s)) is not None]
    stores = [s for s, _ in kinds]
    if not stores:
        return None
    if len(items) > 1:
        raise ParameterError(f"source must be one store or recordings, not a mix: {stores[0]!s} is a store; "
                         "ingest the recordings into it with toolkit.store.ingest")
    if market_rules is not None or format != "auto" or pattern is not None or fields is not None or bot is not None:
        raise ParameterError(f"market_rules, format, pattern, fields and bot apply when recordings are parsed; "
                             f"{stores[0]!s} is a store, so pass them to toolkit.store.ingest")
    return kinds[0]


def _assemble(results: list[FileResult]) -> Load:
    frame = concat_frames([f for r in results for f in r.frames])
    if len(results) > 1:  # several files (rotated logs, one per bot): one timeline, in time order
        frame = frame.sort_values("ts", kind="stable", ignore_index=True)
    ws = [f for r in results for f in r.ws]
    websocket = concat_frames(ws, WS_COLUMNS) if ws else empty_ws()
    if len(ws) > 1:
        websocket = websocket.sort_values(["ts", "source", "line"], kind="stable", ignore_index=True)
    return Load(frame[COLUMNS], rejects_frame(results), report_frame(results), sum(r.lines for r in results), results,
                websocket)


def concat_frames(frames: list[pd.DataFrame], columns: list[str] | None = None) -> pd.DataFrame:
    """Concatenate loaded frames, keeping categoricals categorical (categories are unioned).

    Column by column: the loader's frames share their columns and dtypes, so each
    column's arrays are joined as they are, without pandas' general alignment.
    ``columns`` are those of the calls' frame unless given (:data:`toolkit.schema.WS_COLUMNS`).
    """
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    frame = pd.DataFrame({c: _concat_arrays([f[c].array for f in frames]) for c in columns or COLUMNS}, copy=False)
    for c in frame.columns:  # the hash tables pandas built to check that the categories are unique, dropped
        if isinstance(frame[c].dtype, pd.CategoricalDtype):  # (a third of the frame's memory for the orders' ids;
            getattr(frame[c].cat.categories, "_cache", {}).clear()  # a lookup by category builds its own again)
    return frame


def _concat_arrays(arrays: list):
    """One array of a column's pieces: categoricals with the same categories by their codes, others unioned;
    arrays of one dtype by that array type's own concatenation."""
    first = arrays[0]
    if isinstance(first, pd.Categorical):
        cats, ordered = first.categories, first.ordered
        if all(a.ordered == ordered and (a.categories is cats or a.categories.equals(cats)) for a in arrays):
            return pd.Categorical.from_codes(np.concatenate([a.codes for a in arrays]), dtype=first.dtype)
        if all(a.categories.dtype == STRING and not a.ordered for a in arrays):
            return _union_text(arrays)
        return union_categoricals(arrays)
    if all(a.dtype == first.dtype for a in arrays):
        return type(first)._concat_same_type(arrays)
    return pd.concat([pd.Series(a) for a in arrays], ignore_index=True).array


def _union_text(arrays: list) -> pd.Categorical:
    """One categorical of categoricals of text with different categories, as :func:`union_categoricals` makes it
    (the categories in the order they first appear), their categories hashed once, by Arrow.

    Examples
    --------
    >>> a = pd.Categorical(["x", None, "y"], categories=pd.Index(["y", "x"], dtype=STRING))
    >>> b = pd.Categorical(["z", "y"], categories=pd.Index(["z", "y"], dtype=STRING))
    >>> u = _union_text([a, b])
    >>> u.tolist(), u.categories.tolist()
    (['x', <NA>, 'y', 'z', 'y'], ['y', 'x', 'z'])
    """
    cats = [pa.array(a.categories.array) for a in arrays]
    enc = pc.dictionary_encode(pa.concat_arrays([c.cast(pa.large_string()) for c in cats]))
    lut = np.append(enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), -1)  # the last slot: no value
    starts = np.cumsum([0] + [len(c) for c in cats[:-1]])
    codes = np.concatenate([np.where(a.codes >= 0, a.codes + start, -1) for a, start in zip(arrays, starts)])
    categories = pd.Index(pd.array(enc.dictionary, dtype=STRING))
    return pd.Categorical.from_codes(lut[codes], categories=categories)


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
    {'futures': 96761, 'spot': 30043, 'unknown': 0}

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
    (207, '2026-11-18 14:00:10.264000+00:00')
    """
    if (found := _store_of(source, kwargs.get("market_rules"), kwargs.get("format", "auto"),
                           kwargs.get("pattern"), kwargs.get("fields"), kwargs.get("bot"))) is not None:
        store, kind = found
        return kind.calls(store, window(start, end, market))
    return read_logs(source, start=start, end=end, market=market, **kwargs).frame


__all__ = ["read_logs", "load_logs", "concat_frames", "Load", "LogFormatError", "RejectWarning"]
