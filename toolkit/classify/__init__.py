"""Tag calls by market, endpoint, error category and cause, from the packaged catalogs.

One module per table or step: :mod:`.catalog` (the error catalog,
:func:`catalog`), :mod:`.endpoints` (the endpoint catalog, :func:`endpoints`),
:mod:`.causes` (the cause-rule table, :func:`cause_rules`), :mod:`.markets`
(which market a call went to) and :mod:`.calls` (the category, reason and
retryable flag of each call). The tables are CSV files in :mod:`toolkit.data`;
a broken error or endpoint catalog fails when the toolkit is imported.

Market precedence: an explicit ``market`` field, then the endpoint catalog,
then rules on the URL (host and path), then the body (a futures-only business
code), else ``unknown``. Every step runs once per *distinct* value or call
shape and is mapped back onto the rows, so a million rows cost a handful of
regex calls.

Examples
--------
>>> from toolkit.classify import compile_market_rules, side_of
>>> [market for _, market in compile_market_rules(None)]
['futures', 'spot']
>>> side_of("exchange")
'exchange'
"""

from .calls import classify_calls
from .catalog import LAYERS, SCOPES, catalog, reason_scopes, rules
from .causes import CAUSE_SHORT, CAUSE_WORDS, CAUSES, SIDE_WORDS, SIDES, cause_rules, row_causes, side_of
from .endpoints import endpoints, matcher
from .markets import DEFAULT_MARKET_RULES, compile_market_rules, detect_market, url_market

__all__ = [
    "CAUSES",
    "CAUSE_SHORT",
    "CAUSE_WORDS",
    "DEFAULT_MARKET_RULES",
    "LAYERS",
    "SCOPES",
    "SIDES",
    "SIDE_WORDS",
    "catalog",
    "cause_rules",
    "classify_calls",
    "compile_market_rules",
    "detect_market",
    "endpoints",
    "matcher",
    "reason_scopes",
    "row_causes",
    "rules",
    "side_of",
    "url_market",
]
