"""Tell the market of each call: its own field, the endpoint catalog, the URL, then the body.

Market precedence: an explicit ``market`` field, then the endpoint catalog
(:mod:`toolkit.classify.endpoints`), then rules on the URL (host and path), then the
body (a futures-only business code), else ``unknown``. Each step runs once per
*distinct* value and is mapped back onto the rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ParameterError, ParameterTypeError
from ..schema import MARKETS
from ..selection import as_markets
from .catalog import rules

__all__ = ["DEFAULT_MARKET_RULES", "compile_market_rules", "detect_market", "url_market"]

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
    """Validate ``market_rules`` and compile them.

    Parameters
    ----------
    market_rules : mapping of str to str, optional
        ``{market: regex}``, tried in order on a URL's host and path; the first
        match wins. :data:`DEFAULT_MARKET_RULES` when None.

    Returns
    -------
    list of (compiled regex, market)

    Raises
    ------
    ParameterTypeError
        ``market_rules`` is not a mapping.
    ParameterError
        A key is not ``'spot'`` or ``'futures'``, or a value not a valid regex.

    Examples
    --------
    >>> [market for _, market in compile_market_rules({"futures": "fapi", "spot": "/stock/"})]
    ['futures', 'spot']
    >>> compile_market_rules({"unknown": "x"})
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: market_rules keys must be 'spot' or 'futures', not 'unknown'
    """
    if market_rules is None:
        market_rules = DEFAULT_MARKET_RULES
    if not isinstance(market_rules, Mapping):
        raise ParameterTypeError(
            "market_rules must be a mapping of market to regex, e.g. "
            f"{{'futures': r'fapi', 'spot': r'/stock/'}}, not {type(market_rules).__name__}"
        )
    compiled = []
    for market, pattern in market_rules.items():
        market = _rule_market(market)
        try:
            compiled.append((re.compile(pattern, re.I), market))
        except (re.error, TypeError) as exc:
            raise ParameterError(f"market_rules[{market!r}] is not a valid regex: {pattern!r} ({exc})") from None
    return compiled


def _rule_market(market) -> str:
    """A rule's market: one market name as :func:`toolkit.selection.as_markets` takes it, but not ``unknown``
    (what no rule found)."""
    try:
        names = as_markets(market) if isinstance(market, str) else None
    except ParameterError:
        names = None
    if not names or names[0] == "unknown":
        raise ParameterError(f"market_rules keys must be 'spot' or 'futures', not {market!r}") from None
    return names[0]


def url_market(location: str, compiled) -> int:
    """The market code of a URL's host and path under compiled rules: the first rule that matches decides.

    Parameters
    ----------
    location : str
        The host and path, e.g. ``"api.example.com/api/v1/futures/open-api/order/create"``.
    compiled : list of (regex, market)
        Rules from :func:`compile_market_rules`.

    Returns
    -------
    int
        An index into :data:`~toolkit.schema.MARKETS` (``unknown`` when no rule matches).

    Examples
    --------
    >>> rules = compile_market_rules(None)
    >>> url_market("x.example/api/v1/stock/open-api/order", rules), url_market("x.example/api/v2/order", rules)
    (0, 2)
    """
    for pattern, market in compiled:
        if pattern.search(location):
            return _MARKET_CODE[market]
    return _UNKNOWN


_EXPLICIT = compile_market_rules(_EXPLICIT_RULES)


def detect_market(explicit: pa.Array, by_url: np.ndarray, code: np.ndarray) -> np.ndarray:
    """The market code of each row: its own field, else the endpoint catalog or URL rules, else the body.

    Parameters
    ----------
    explicit : pyarrow.Array of str
        The record's own market field, or null; ``"futures"``, ``"perp"``,
        ``"swap"``, ``"spot"``, ``"stock"`` and the like count, case-insensitively.
    by_url : ndarray of int8
        The market codes the endpoint catalog or else the URL rules gave.
    code : ndarray of int64
        The body's business code (``-1`` where none): a futures-only code tells futures.

    Returns
    -------
    ndarray of int8
        Indexes into :data:`~toolkit.schema.MARKETS`.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> detect_market(pa.array(["Perp", None, None]), np.array([0, 0, 2], np.int8), np.array([-1, -1, 8018])).tolist()
    [1, 0, 1]
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


