"""Tag calls by error category, vectorised over distinct call shapes.

The category, reason and retryable flag come from the error catalog
(:mod:`toolkit.classify.catalog`); the lookup runs once per *distinct* call
shape and is mapped back onto the rows, so a million rows cost a handful of
regex calls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import CATEGORIES, MARKETS
from .catalog import rules

__all__ = ["classify_calls"]

_NULL_TEXT = pa.scalar(None, pa.string())


def _first_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group ids per row and the first row of each group."""
    group, _ = pd.factorize(key)
    return group, np.unique(group, return_index=True)[1]


def classify_calls(market: np.ndarray, status: np.ndarray, kind: np.ndarray, code: np.ndarray,
                   text: pa.Array, legacy: np.ndarray | None = None, failed: np.ndarray | None = None,
                   exchange: np.ndarray | None = None) -> tuple[np.ndarray, pa.Array, pd.api.extensions.ExtensionArray]:
    """Classify calls from their shape: category, reason and retryable flag, from the error catalog.

    Each distinct call shape is looked up in the catalog once.

    Parameters
    ----------
    market : ndarray of int
        Market codes (indexes into :data:`~toolkit.schema.MARKETS`).
    status : ndarray of int
        The HTTP status (``-1``: no response).
    kind : ndarray of int
        The body kind: 0 envelope with a code, 1 JSON without a code, 2 not JSON, 3 no body.
    code : ndarray of int
        The business code.
    text : pyarrow.Array of str
        What the catalog's ``match`` rules read: the message for HTTP errors, the
        exception text for transport failures, the failed items' message for batch calls.
    legacy : ndarray of bool, optional
        Calls to the bare-JSON legacy market data.
    failed : ndarray of bool, optional
        Batch calls with at least one failed item.
    exchange : ndarray of bool, optional
        Calls to the exchange's endpoints (all, by default): a reason that names the
        exchange's objects applies only to them (``toolkit/data/reason_scopes.csv``).

    Returns
    -------
    category : ndarray of int8
        Indexes into :data:`~toolkit.schema.CATEGORIES`.
    reason : pyarrow.Array of str
    retryable : BooleanArray
        Nullable: missing where the catalog does not say.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> from toolkit.schema import CATEGORIES
    >>> cat, reason, retry = classify_calls(np.array([1, 0]), np.array([200, 429]), np.array([0, 0]),
    ...                                     np.array([8018, 429]), pa.array([None, "Too many requests"]))
    >>> [CATEGORIES[c] for c in cat], reason.to_pylist()
    (['insufficient_funds', 'rate_limit'], ['insufficient_margin', 'rate_limited'])
    """
    n = len(status)
    if not n:
        return np.empty(0, np.int8), pa.array([], pa.string()), pd.array([], dtype="boolean")
    legacy = np.zeros(n, bool) if legacy is None else legacy
    failed = np.zeros(n, bool) if failed is None else failed
    exchange = np.ones(n, bool) if exchange is None else exchange
    is_2xx = (status >= 200) & (status < 300)
    failed = failed & is_2xx & (kind == 0)
    # the text only matters for non-2xx responses, transport failures and failed batch items
    enc = pc.dictionary_encode(pc.if_else(pa.array(is_2xx & ~failed), _NULL_TEXT, text))
    texts = enc.dictionary.to_pylist()
    text_idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    kind_i = np.where(is_2xx, kind, 0).astype(np.int64)
    code_idx, code_values = pd.factorize(np.where(is_2xx & (kind == 0), code, -1))
    flags = (exchange.astype(np.int64) * 2 + legacy) * 2 + failed
    key = (((market.astype(np.int64) * 1024 + status.astype(np.int64) + 1) * 4 + kind_i) * 8 + flags) * len(code_values)
    key = (key + code_idx) * (len(texts) + 1) + (text_idx + 1)
    group, first_rows = _first_rows(key)
    cats, reasons, retry = [], [], []
    kinds = ("code", "no_code", "not_json", "no_body")
    r = rules()
    for i in first_rows:
        s, t = int(status[i]), text_idx[i]
        category, reason, retryable = r.classify(
            MARKETS[market[i]], None if s < 0 else s, kinds[kind_i[i]], int(code_values[code_idx[i]]),
            None if t < 0 else texts[t], bool(legacy[i]), bool(failed[i]), bool(exchange[i]))
        cats.append(CATEGORIES.index(category))
        reasons.append(reason)
        retry.append(retryable)
    return (np.asarray(cats, dtype=np.int8)[group],
            pc.take(pa.array(reasons, pa.string()), pa.array(group, pa.int64())),
            pd.array(retry, dtype="boolean").take(group))
