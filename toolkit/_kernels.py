"""What the analysis functions and their store twins share, written once: argument checks, grouping,
the bucket grid of calls and errors, the fingerprint of an error and the tables built from them.

The pandas functions (:mod:`toolkit.analysis`) and the DuckDB ones (:mod:`toolkit.store`) give the same
tables because they check their arguments, form their groups, count calls and errors per bucket
(:func:`count_grid`, :func:`rate_frame`), mask, fingerprint and list their errors and shape the
:func:`toolkit.top_errors` table (:func:`top_table`) here. The pandas side feeds one row per call, the
store one row per (bucket, group) that DuckDB has already counted. Nothing here reads a frame's rows in
bulk beyond grouping and counting them, so the store, which sits beside the loader below the analysis,
can use it too.

Every check raises a :class:`toolkit.ParameterError` (a ``ValueError``) that names the function, the
parameter and the bad value.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import defaults
from .errors import ParameterError
from .schema import STRING

#: Columns that describe what came back rather than which call was made. Grouping by one
#: of them splits the errors, while the calls they are measured against stay whole: the
#: error rate of ``rate_limit`` is rate-limit errors per call, not per rate-limit error.
OUTCOME_COLUMNS = ("category", "reason", "code", "http_status", "message", "retryable")


def require(df: pd.DataFrame, columns, func: str) -> None:
    """Raise a clear ValueError when ``df`` lacks columns a function needs."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{func}() takes the DataFrame from toolkit.load_logs, not {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{func}() needs the column(s) {', '.join(missing)}; "
                         "pass the frame toolkit.load_logs returns")


def as_count(value, name: str, func: str, minimum: int = 1) -> int:
    """An integer of at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{func}(): {name} must be an integer >= {minimum}, not {value!r}")
    return int(value)


def as_columns(value, name: str, df: pd.DataFrame, func: str, empty: str = "None") -> list[str]:
    """``value`` (a column name or a list of them) as a list of column names of ``df``; ``empty`` is how
    the message writes the parameter's "none" value."""
    cols = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if cols is None or not all(isinstance(c, str) for c in cols):
        raise ParameterError(f"{func}(): {name} must be a column name, a list of them or {empty}, not {value!r}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{func}(): {name}={value!r} names no column of the frame: {', '.join(missing)}")
    return cols


def as_by(by, df: pd.DataFrame, func: str) -> list[str]:
    """``by`` as a list of column names of ``df`` (``None`` means no grouping)."""
    require(df, (), func)
    if by is None:
        return []
    cols = as_columns(by, "by", df, func)
    if "ts" in cols or len(set(cols)) != len(cols):
        raise ParameterError(f"{func}(): by must name distinct columns other than ts, not {by!r}")
    return cols


def utc(ns) -> pd.DatetimeIndex:
    """Int64 nanoseconds as a UTC DatetimeIndex."""
    return pd.DatetimeIndex(np.asarray(ns, dtype="int64").view("datetime64[ns]")).tz_localize("UTC")


def groups(df: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group id of every row and the key of every group, in sorted key order.

    Categorical keys sort in their categories' order (so categories keep the
    taxonomy's order), others by value, missing values last and kept as a group.
    With no columns every row is in the one group.
    """
    n = len(df)
    if not cols:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1 if n else 0))
    if n == 0:
        return np.zeros(0, dtype=np.int64), df[cols].iloc[:0].reset_index(drop=True)
    # each column as sorted codes (categories in their order, missing values last), combined in mixed radix
    key = np.zeros(n, dtype=np.int64)
    parts = []
    for c in cols:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            k = len(s.dtype.categories)
            code = s.cat.codes.to_numpy(np.int64)
            code = np.where(code < 0, k, code)
        else:
            code, uniq = pd.factorize(s, sort=True, use_na_sentinel=True)
            k = len(uniq)
            code = np.where(code < 0, k, code).astype(np.int64)
        parts.append((c, k + 1))
        key = key * (k + 1) + code
    size = int(np.prod([k for _, k in parts], dtype=np.float64))
    if size <= 4 * n + 1024:
        present = np.bincount(key, minlength=size) > 0
        distinct = np.flatnonzero(present)
        ids = (np.cumsum(present) - 1)[key]
    else:
        distinct, ids = np.unique(key, return_inverse=True)
    first = np.full(len(distinct), -1, dtype=np.int64)
    first[ids[::-1]] = np.arange(n - 1, -1, -1)  # a row of each group, to read its key from
    keys = df[cols].take(first).reset_index(drop=True)
    for c in cols:  # a key column keeps the frame's dtype
        if keys[c].dtype != df[c].dtype:
            keys[c] = keys[c].astype(df[c].dtype)
    return ids.astype(np.int64), keys


@dataclass
class Grid:
    """Calls and errors per group and time bucket, every group over every bucket.

    ``row_group`` is the group of each input row that counts errors (-1
    otherwise), ``row_call`` each row's group among the ``by`` columns that are
    not outcome columns (the same as the group when there are none) and
    ``row_bucket`` each row's bucket, counted from ``first``.
    """

    keys: pd.DataFrame
    freq: int
    first: int
    calls: np.ndarray
    errors: np.ndarray
    row_group: np.ndarray
    row_call: np.ndarray
    row_bucket: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        """Bucket starts, int64 ns."""
        return (self.first + np.arange(self.calls.shape[1], dtype=np.int64)) * self.freq


def count_grid(rows: pd.DataFrame, bucket: np.ndarray, errors: np.ndarray, by: list[str], *, freq: int,
               func: str, calls: np.ndarray | None = None) -> Grid:
    """Count calls and errors per ``by`` group and bucket of ``freq`` ns.

    Row ``i`` of ``rows`` (which holds the ``by`` columns) stands for
    ``calls[i]`` calls (one when ``calls`` is None) in bucket ``bucket[i]``
    (``ts // freq``, epoch-aligned as ``Series.dt.floor``), ``errors[i]`` of
    them failed (a boolean: the row is one failed call or not). When ``by``
    holds :data:`OUTCOME_COLUMNS`, groups are only formed from rows with errors
    and each is measured against all calls of its other ``by`` values; a row
    counting both calls and errors then holds the outcome of its errors.

    Examples
    --------
    >>> rows = pd.DataFrame({"market": ["spot", "spot", "futures"]})
    >>> g = count_grid(rows, np.array([4, 4, 6]), np.array([False, True, False]), ["market"], freq=300, func="f")
    >>> g.keys["market"].tolist(), g.calls.tolist(), g.errors.tolist()
    (['futures', 'spot'], [[0, 0, 1], [2, 0, 0]], [[0, 0, 0], [1, 0, 0]])
    """
    n = len(bucket)
    err = errors if errors.dtype == bool else errors > 0
    if n == 0:
        z = np.zeros(0, np.int64)
        return Grid(rows[by].iloc[:0].reset_index(drop=True), freq, 0, np.zeros((0, 0), np.int64),
                    np.zeros((0, 0), np.int64), z, z, z)
    call_cols = [c for c in by if c not in OUTCOME_COLUMNS]
    first = int(bucket.min())
    nb = int(bucket.max()) - first + 1
    bucket = bucket - first
    call_group, call_keys = groups(rows, call_cols)
    if len(call_cols) == len(by):
        keys, row_group, of_call = call_keys, call_group, None
    else:
        err_group, keys = groups(rows[err], by)
        of_call = np.zeros(len(keys), dtype=np.int64)
        of_call[err_group] = call_group[err]
        row_group = np.full(n, -1, dtype=np.int64)
        row_group[err] = err_group
    ng = len(keys)
    if max(ng, len(call_keys)) * nb > defaults.MAX_BUCKETS:
        span = pd.Timedelta(nb * freq, unit="ns")
        raise ParameterError(f"{func}(): freq={pd.Timedelta(freq, unit='ns')} over {span} and {ng:,} group(s) makes "
                             f"{ng * nb:,} buckets; use a larger freq or fewer groups")
    grid_calls = np.bincount(call_group * nb + bucket, weights=calls, minlength=len(call_keys) * nb)
    grid_calls = grid_calls.reshape(len(call_keys), nb)
    if of_call is not None:
        grid_calls = grid_calls[of_call]
    weights = None if errors.dtype == bool else errors[err]
    grid_errors = np.bincount(row_group[err] * nb + bucket[err], weights=weights, minlength=ng * nb).reshape(ng, nb)
    row_group = np.where(err, row_group, -1)
    return Grid(keys, freq, first, grid_calls.astype(np.int64), grid_errors.astype(np.int64), row_group,
                call_group, bucket)


def rate_frame(g: Grid) -> pd.DataFrame:
    """The table of :func:`toolkit.error_rate` from a :class:`Grid`: one row per bucket and group.

    ``ts`` (bucket start, UTC), the group's key columns, ``calls``, ``errors``
    and ``error_rate`` (NaN where a bucket has no calls), sorted by ``ts`` then
    group.

    Examples
    --------
    >>> rows = pd.DataFrame({"market": ["spot", "spot"]})
    >>> rate_frame(count_grid(rows, np.array([0, 0]), np.array([False, True]), ["market"], freq=60_000_000_000,
    ...                       func="f"))
                             ts market  calls  errors  error_rate
    0 1970-01-01 00:00:00+00:00   spot      2       1         0.5
    """
    ng, nb = g.calls.shape
    out = g.keys.iloc[np.tile(np.arange(ng), nb)].reset_index(drop=True)
    out.insert(0, "ts", utc(np.repeat(g.starts, ng)))
    calls = g.calls.T.ravel()
    errors = g.errors.T.ravel()
    out["calls"] = calls.astype(np.int64)
    out["errors"] = errors.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["error_rate"] = np.where(calls > 0, errors / np.maximum(calls, 1), np.nan)
    return out


#: How :func:`toolkit.top_errors` masks a message before grouping: (pattern, replacement) pairs,
#: applied in this order, each to every match. RE2 syntax without lookarounds, so that
#: pyarrow's ``replace_substring_regex`` and DuckDB's ``regexp_replace(s, p, r, 'g')``
#: compute the same masks. The symbols of the frame come first (see :func:`message_masks`).
MASKS: list[tuple[str, str]] = [
    (r"(?i)\b(?:https?|wss?)://[^\s'\"<>]+", "<url>"),                          # URLs
    (r"(?:/[A-Za-z0-9_.{}-]+){2,}", "<path>"),                                  # request paths
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
    (r"\b0[xX][0-9a-fA-F]+\b", "<hex>"),                                        # 0x... literals
    (r"\b[A-Z0-9]{2,12}[-_/]?(?:USDT|USDC|BUSD|USD|BTC|ETH)\b", "<symbol>"),     # trading pairs
    (r"\b[0-9a-fA-F]{8,}\b", "<id>"),                                           # long hex or decimal ids
    (r"\d+(?:\.\d+)?", "<num>"),                                                # any other number
]

#: Masked messages are cut to this many characters (then end with "…"): recorded messages
#: may be excerpts cut at a fixed length, which masking shortens by varying amounts.
PATTERN_LENGTH = 120


def message_masks(symbols=()) -> list[tuple[str, str]]:
    """The masking rules for a frame whose ``symbol`` column holds ``symbols``.

    The frame's own symbols of three characters or more (tickers such as
    ``AAPL`` that no general rule recognises) are masked first, as whole words,
    longest first, case-sensitively; then :data:`MASKS`.

    Examples
    --------
    >>> message_masks(["AAPL", "BTC-USDT", "X"])[0]
    ('\\\\b(?:BTC\\\\-USDT|AAPL)\\\\b', '<symbol>')
    """
    names = sorted({s for s in symbols if isinstance(s, str) and len(s) >= 3}, key=lambda s: (-len(s), s))
    rules = list(MASKS)
    if names:
        rules.insert(0, (r"\b(?:" + "|".join(re.escape(s) for s in names) + r")\b", "<symbol>"))
    return rules


def mask_messages(messages, symbols=()) -> pa.Array:
    """Apply :func:`message_masks` to messages and cut them to :data:`PATTERN_LENGTH`.

    Missing messages become empty strings.

    Examples
    --------
    >>> mask_messages(["Order 8025896254 failed: BTCUSDT qty 0.5",
    ...                "Max retries exceeded with url: /api/v1/stock/open-api/cancelOrder"]).to_pylist()
    ['Order <id> failed: <symbol> qty <num>', 'Max retries exceeded with url: <path>']
    """
    values = pd.Series(list(messages) if not isinstance(messages, pd.Series) else messages, dtype=object)
    arr = pa.array(values.where(values.notna(), "").tolist(), type=pa.string())
    for pattern, replacement in message_masks(symbols):
        arr = pc.replace_substring_regex(arr, pattern=pattern, replacement=replacement)
    long = pc.greater(pc.utf8_length(arr), PATTERN_LENGTH)
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(arr, 0, PATTERN_LENGTH - 1), "…", "")
    return pc.if_else(long, cut, arr)


def fingerprint(market, category, reason, code, pattern) -> str:
    """Stable short id of an error group: the first 12 hex digits of the MD5 of
    ``market|category|reason|code|pattern`` (missing values as empty strings).

    Examples
    --------
    >>> fingerprint("spot", "rate_limit", "rate_limited", 429, "Rate limit exceeded")
    '5f1403c7bdce'
    """
    parts = ["" if pd.isna(v) else str(v) for v in (market, category, reason, code, pattern)]
    return hashlib.md5("|".join(parts).encode()).hexdigest()[:12]


def listing(gid: np.ndarray, values: pd.Series, ng: int, noun: str) -> list[str]:
    """Comma-joined sorted distinct values per group id, or "N <noun>" past MAX_LISTED.

    Examples
    --------
    >>> listing(np.array([0, 0, 1]), pd.Series(["TSLA", "AAPL", None]), 2, "symbols")
    ['AAPL, TSLA', '']
    """

    def join(v):
        distinct = sorted({str(x) for x in v if not pd.isna(x)})
        return f"{len(distinct)} {noun}" if len(distinct) > defaults.MAX_LISTED else ", ".join(distinct)

    pairs = pd.DataFrame({"g": gid, "v": values.astype(object).to_numpy()}).drop_duplicates()
    joined = pairs.groupby("g", sort=True)["v"].agg(join)
    return joined.reindex(range(ng), fill_value="").tolist()


#: The columns of :func:`toolkit.top_errors` and their dtypes (None: the frame's own, categorical).
TOP_COLUMNS = {
    "fingerprint": STRING, "market": None, "category": None, "reason": STRING, "code": pd.Int64Dtype(),
    "pattern": STRING, "count": np.int64, "share": np.float64, "first_seen": pd.DatetimeTZDtype("ns", "UTC"),
    "last_seen": pd.DatetimeTZDtype("ns", "UTC"), "endpoints": STRING, "symbols": STRING, "example": STRING,
}


def top_table(top: pd.DataFrame, *, total: int, endpoints=None, symbols=None) -> pd.DataFrame:
    """The table of :func:`toolkit.top_errors` from one row per kind of error, largest first.

    ``top`` holds ``market``, ``category``, ``reason``, ``code``, ``pattern``,
    ``count``, ``first_seen``, ``last_seen`` and ``example`` of each kind, in
    the order to return; ``total`` is the number of errors that ``share`` is of;
    ``endpoints`` and ``symbols`` are (kind's position, value) pairs as two
    arrays, listed with :func:`listing`. An empty ``top`` gives the empty table,
    its ``market`` and ``category`` with ``top``'s dtypes.

    Examples
    --------
    >>> top = pd.DataFrame({"market": ["spot"], "category": ["not_found"], "reason": ["order_not_found"],
    ...                     "code": [3000], "pattern": ["Order <num> not found"], "count": [3],
    ...                     "first_seen": utc([0]), "last_seen": utc([0]), "example": ["Order 17 not found"]})
    >>> top_table(top, total=4, symbols=(np.array([0, 0]), pd.Series(["ETHUSDT", "BTCUSDT"])))[
    ...     ["fingerprint", "share", "endpoints", "symbols"]]
        fingerprint  share endpoints           symbols
    0  58d59aa5b38a   0.75            BTCUSDT, ETHUSDT
    """
    if not len(top):
        return pd.DataFrame({c: (top[c].iloc[:0].reset_index(drop=True) if d is None else pd.Series([], dtype=d))
                             for c, d in TOP_COLUMNS.items()})
    top = top.reset_index(drop=True)
    count = top["count"].to_numpy(np.int64)
    out = pd.DataFrame({
        "market": top["market"], "category": top["category"], "reason": top["reason"].astype(STRING),
        "code": top["code"].astype(pd.Int64Dtype()), "pattern": top["pattern"].astype(STRING),
        "count": count, "share": count / total,
        "first_seen": top["first_seen"].astype(TOP_COLUMNS["first_seen"]),
        "last_seen": top["last_seen"].astype(TOP_COLUMNS["last_seen"]),
    })
    out.insert(0, "fingerprint", pd.array([fingerprint(*r) for r in zip(
        out["market"], out["category"], out["reason"], out["code"], out["pattern"])], dtype=STRING))
    none = (np.zeros(0, np.int64), pd.Series([], dtype=object))
    for col, pairs in (("endpoints", endpoints), ("symbols", symbols)):
        gid, values = none if pairs is None else pairs
        out[col] = pd.array(listing(gid, values, len(out), col), dtype=STRING)
    out["example"] = top["example"].astype(STRING)
    return out
