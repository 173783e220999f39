"""Error fingerprints, written once: how a message is masked, the fingerprint of a kind of error and the
:func:`toolkit.top_errors` table built from them.

The pandas :func:`toolkit.top_errors` masks messages with pyarrow (:func:`mask_messages`), its store twin
with DuckDB's ``regexp_replace`` on the same rules (:func:`message_masks`); both fingerprint and lay out
their kinds of error here (:func:`top_table`), so they give the same table.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import data, defaults
from .schema import STRING

__all__ = ["MASKS", "PATTERN_LENGTH", "TOP_COLUMNS", "fingerprint", "listing", "mask_messages", "message_masks",
           "top_table"]

#: How :func:`toolkit.top_errors` masks a message before grouping: the (pattern, replacement) pairs of the
#: packaged table ``toolkit/data/masks.csv`` (:func:`toolkit.data.masks`), applied in its order. The symbols of
#: the frame come first (see :func:`message_masks`).
MASKS: list[tuple[str, str]] = data.masks()

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
    >>> from toolkit._grid import utc
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
