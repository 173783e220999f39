"""Tag calls by market and error category, vectorised over distinct values.

Market precedence: an explicit ``market`` field, then the endpoint catalog
(:mod:`toolkit.endpoints`), then rules on the URL (host and path), then the
body (a futures-only business code), else ``unknown``. The category, reason and retryable flag come from the catalog
(:mod:`toolkit.catalog`); both steps run once per *distinct* value or call
shape and are mapped back onto the rows, so a million rows cost a handful of
regex calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .catalog import rules
from .schema import CATEGORIES, MARKETS

_NULL_TEXT = pa.scalar(None, pa.string())

#: Default URL rules, tried in order on ``host + path``: first match wins. They look for whole
#: path segments (``/futures/``, ``/fdata/``, ``/stock/``, ``/spot/``), never inside a host name.
DEFAULT_MARKET_RULES: dict[str, str] = {
    "futures": r"/(?:futures|fdata)(?:/|$)",
    "spot": r"/(?:stock|spot)(?:/|$)",
}

#: What a record's own ``market`` field may say, as whole words.
_EXPLICIT_RULES: dict[str, str] = {
    "futures": r"^(?:futures?|contracts?|swaps?|perp|perpetuals?|fdata)$",
    "spot": r"^(?:stocks?|spot)$",
}

_MARKET_CODE = {m: i for i, m in enumerate(MARKETS)}  # spot 0, futures 1, unknown 2
_UNKNOWN = _MARKET_CODE["unknown"]


def compile_market_rules(market_rules: Mapping[str, str] | None) -> list[tuple[re.Pattern, str]]:
    """Validate ``market_rules`` ({market: regex}, tried in order) and compile them."""
    if market_rules is None:
        market_rules = DEFAULT_MARKET_RULES
    if not isinstance(market_rules, Mapping):
        raise TypeError(
            "market_rules must be a mapping of market to regex, e.g. "
            f"{{'futures': r'fapi', 'spot': r'/stock/'}}, not {type(market_rules).__name__}"
        )
    compiled = []
    for market, pattern in market_rules.items():
        if market not in ("spot", "futures"):
            raise ValueError(f"market_rules keys must be 'spot' or 'futures', not {market!r}")
        try:
            compiled.append((re.compile(pattern, re.I), market))
        except (re.error, TypeError) as exc:
            raise ValueError(f"market_rules[{market!r}] is not a valid regex: {pattern!r} ({exc})") from None
    return compiled


def url_market(location: str, compiled) -> int:
    """Market code for a URL's host and path under the compiled rules (first match wins)."""
    for pattern, market in compiled:
        if pattern.search(location):
            return _MARKET_CODE[market]
    return _UNKNOWN


_EXPLICIT = compile_market_rules(_EXPLICIT_RULES)


def detect_market(explicit: pa.Array, by_url: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Return market codes (index into :data:`~toolkit.schema.MARKETS`) per row.

    ``explicit`` holds the record's own market field (strings or nulls;
    ``"futures"``, ``"perp"``, ``"swap"``, ``"spot"``, ``"stock"`` and the like
    count, case-insensitively), ``by_url`` the market codes the endpoint
    catalog or else the URL rules gave, ``code`` the body's business code
    (``-1`` where none).
    """
    market = by_url
    if explicit.null_count < len(explicit):
        enc = pc.dictionary_encode(explicit)
        own = np.array([url_market(v.strip(), _EXPLICIT) for v in enc.dictionary.to_pylist()] + [_UNKNOWN],
                       dtype=np.int8)
        own = own[pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy(zero_copy_only=False)]
        market = np.where(own != _UNKNOWN, own, market)
    todo = market == _UNKNOWN
    if todo.any():
        futures_code = np.isin(code, rules().futures_only_codes)
        market = np.where(todo & futures_code, _MARKET_CODE["futures"], market)
    return market.astype(np.int8)


def _first_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group ids per row and the first row of each group."""
    group, _ = pd.factorize(key)
    return group, np.unique(group, return_index=True)[1]


def classify_calls(market: np.ndarray, status: np.ndarray, kind: np.ndarray, code: np.ndarray,
                   text: pa.Array, legacy: np.ndarray | None = None, failed: np.ndarray | None = None,
                   ) -> tuple[np.ndarray, pa.Array, pd.api.extensions.ExtensionArray]:
    """Classify calls from their shape.

    ``market`` holds market codes, ``status`` the HTTP status (``-1``: no
    response), ``kind`` the body kind (0 envelope with a code, 1 JSON without
    a code, 2 not JSON, 3 no body), ``code`` the business code and ``text``
    what the catalog's ``match`` rules read: the message for HTTP errors, the
    exception text for transport failures, the failed items' message for
    batch calls. ``legacy`` flags calls to the bare-JSON legacy market data,
    ``failed`` batch calls with at least one failed item.

    Returns category codes (index into :data:`~toolkit.schema.CATEGORIES`),
    reasons and the nullable ``retryable`` flags. Each distinct call shape is
    looked up in the catalog once.
    """
    n = len(status)
    if not n:
        return np.empty(0, np.int8), pa.array([], pa.string()), pd.array([], dtype="boolean")
    legacy = np.zeros(n, bool) if legacy is None else legacy
    failed = np.zeros(n, bool) if failed is None else failed
    is_2xx = (status >= 200) & (status < 300)
    failed = failed & is_2xx & (kind == 0)
    # the text only matters for non-2xx responses, transport failures and failed batch items
    enc = pc.dictionary_encode(pc.if_else(pa.array(is_2xx & ~failed), _NULL_TEXT, text))
    texts = enc.dictionary.to_pylist()
    text_idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    kind_i = np.where(is_2xx, kind, 0).astype(np.int64)
    code_idx, code_values = pd.factorize(np.where(is_2xx & (kind == 0), code, -1))
    flags = legacy.astype(np.int64) * 2 + failed
    key = (((market.astype(np.int64) * 1024 + status.astype(np.int64) + 1) * 4 + kind_i) * 4 + flags) * len(code_values)
    key = (key + code_idx) * (len(texts) + 1) + (text_idx + 1)
    group, first_rows = _first_rows(key)
    cats, reasons, retry = [], [], []
    kinds = ("code", "no_code", "not_json", "no_body")
    r = rules()
    for i in first_rows:
        s, t = int(status[i]), text_idx[i]
        category, reason, retryable = r.classify(
            MARKETS[market[i]], None if s < 0 else s, kinds[kind_i[i]], int(code_values[code_idx[i]]),
            None if t < 0 else texts[t], bool(legacy[i]), bool(failed[i]))
        cats.append(CATEGORIES.index(category))
        reasons.append(reason)
        retry.append(retryable)
    return (np.asarray(cats, dtype=np.int8)[group],
            pc.take(pa.array(reasons, pa.string()), pa.array(group, pa.int64())),
            pd.array(retry, dtype="boolean").take(group))
