"""What the analysis functions and their store twins share, written once: argument checks, grouping
and the fingerprint of an error.

The pandas functions (:mod:`toolkit.analysis`) and the DuckDB ones (:mod:`toolkit.store`) give the same
tables because they check their arguments, form their groups and mask, fingerprint and list their errors
here. Nothing here reads a frame's rows in bulk beyond grouping them, so the store, which sits beside the
loader below the analysis, can use it too.

Every check raises a :class:`toolkit.ParameterError` (a ``ValueError``) that names the function, the
parameter and the bad value.
"""

from __future__ import annotations

import hashlib
import re

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


def as_by(by, df: pd.DataFrame, func: str) -> list[str]:
    """``by`` as a list of column names of ``df`` (``None`` means no grouping)."""
    require(df, (), func)
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by) if isinstance(by, (list, tuple)) else None
    if cols is None or not all(isinstance(c, str) for c in cols):
        raise ParameterError(f"{func}(): by must be a column name, a list of them or None, not {by!r}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{func}(): by={by!r} names no column of the frame: {', '.join(missing)}")
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
