"""The error catalog: every documented code and HTTP status, per market, as data.

The table is ``toolkit/data/catalog.csv``. Each row is one
(market, layer, code) case, optionally narrowed by a ``match`` regex on the
response message (or, for transport failures, the exception text). Within a
case the rows are tried in file order and the first match wins; a row with an
empty ``code`` is the layer's fallback and ``5xx`` matches a whole class.
Market ``*`` rows apply to every market. Messages are matched after NFKC
normalisation, so full-width punctuation and letters read as their ASCII forms,
and without the spaces next to Chinese characters;
rows with ``documented`` false record what other clients saw the exchange
answer live, or plain HTTP semantics (1xx and 3xx answers are not errors),
explained in ``note``.

``toolkit/data/reason_scopes.csv`` says where a reason applies: one that names
the exchange's objects (``order_not_found``) only on the exchange's endpoints
(the endpoint catalog's paths and the folders they live in), one for any other
URL (``path_not_found``) only off them; elsewhere the rule is passed over and
the next one tried.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from ..data import Column, Spec, read_table
from ..errors import CatalogError
from ..schema import CATEGORIES

__all__ = ["LAYERS", "SCOPES", "catalog", "reason_scopes", "rules"]

LAYERS = ["business", "http", "transport", "envelope"]
# spaces next to a CJK character carry no meaning: "IP 不在白名单" reads as "IP不在白名单"
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])")

#: ``catalog.csv``: what each column may hold and becomes; a (market, layer, code, match) case is listed once.
_SPEC = Spec(
    columns=(
        Column("market", values=("spot", "futures", "*"), dtype="string"),
        Column("layer", values=LAYERS, dtype=LAYERS),
        Column("code", pattern=r"(?:-?\d+|[1-5]xx|bare)?", what="a number, a class like '5xx' or empty",
               dtype="string"),
        Column("match", regex=True, dtype="string"),
        Column("description", dtype="string"),
        Column("category", values=CATEGORIES, dtype=CATEGORIES),
        Column("reason", pattern=r"[a-z][a-z0-9_]*", what="snake_case", dtype="string"),
        Column("retryable", dtype="boolean"),
        Column("ccxt", dtype="string"),
        Column("documented", dtype="bool"),
        Column("note", dtype="string"),
    ),
    key=lambda row: f"market {row.market}, layer {row.layer}, code {row.code!r}, match {row.match!r}",
)


#: Where a reason of ``reason_scopes.csv`` applies: on the exchange's endpoints, or off them.
SCOPES = ("exchange", "elsewhere")

_SCOPE_SPEC = Spec(
    columns=(
        Column("reason", pattern=r"[a-z][a-z0-9_]*", what="snake_case", dtype="string"),
        Column("applies_to", values=SCOPES, dtype="string"),
        Column("note", dtype="string"),
    ),
    key=lambda row: f"reason {row.reason}",
)


@functools.cache
def _table() -> pd.DataFrame:
    table = read_table("catalog.csv", _SPEC)
    scoped = _scopes()
    unknown = sorted(set(scoped["reason"]) - set(table["reason"]))
    if unknown:
        raise CatalogError(f"toolkit/data/reason_scopes.csv: reason {unknown[0]!r} is not a reason of catalog.csv")
    return table


@functools.cache
def _scopes() -> pd.DataFrame:
    return read_table("reason_scopes.csv", _SCOPE_SPEC)


def reason_scopes() -> pd.DataFrame:
    """Return where reasons apply: ``reason``, ``applies_to`` (``exchange`` or ``elsewhere``) and ``note``.

    A reason not listed applies to every call.

    Examples
    --------
    >>> scopes = reason_scopes().set_index("reason")["applies_to"]
    >>> scopes["order_not_found"], scopes["path_not_found"]
    ('exchange', 'elsewhere')
    """
    return _scopes().copy()


def catalog() -> pd.DataFrame:
    """Return the error catalog as a DataFrame.

    Columns: ``market`` (``spot``, ``futures`` or ``*`` for both), ``layer``
    (``business`` code in a 2xx body, ``http`` status, ``transport`` failure
    with no response, ``envelope`` for a 2xx body that is not the documented
    envelope), ``code`` (the code or status; ``5xx`` for the class; empty for
    the layer's fallback), ``match`` (case-insensitive regex on the message,
    empty for any), ``description``, ``category``, ``reason``, ``retryable``
    (nullable boolean), ``ccxt`` (nearest CCXT exception class),
    ``documented`` (false for behaviour other clients saw live that the
    documentation does not list) and ``note``.

    Examples
    --------
    >>> import toolkit
    >>> cat = toolkit.catalog()
    >>> cat.query("market == 'futures' and code == '8018'")[["category", "reason"]].iloc[0].tolist()
    ['insufficient_funds', 'insufficient_margin']
    >>> cat.loc[~cat["documented"] & (cat["layer"] == "business"), ["code", "reason"]].values.tolist()
    [['200', 'ok'], ['1006', 'concurrent_order_limit']]
    >>> cat.query("code == '3xx'")[["category", "reason"]].iloc[0].tolist()
    ['ok', 'redirect']
    """
    return _table().copy()


class _Rules:
    """The catalog compiled for lookups: (market, layer, code) -> ordered rules."""

    def __init__(self, table: pd.DataFrame, scopes: pd.DataFrame):
        applies = dict(zip(scopes["reason"], scopes["applies_to"]))
        # per rule, where it applies: None everywhere, True only on the exchange's endpoints, False only off them
        self.cases: dict[tuple[str, str, str], list[tuple[re.Pattern | None, tuple, bool | None]]] = {}
        for row in table.itertuples(index=False):
            pattern = re.compile(row.match, re.I) if row.match else None
            result = (row.category, row.reason, row.retryable)
            where = {"exchange": True, "elsewhere": False}.get(applies.get(row.reason))
            self.cases.setdefault((row.market, row.layer, row.code), []).append((pattern, result, where))
        # futures business codes that spot never returns: they reveal the market
        spot_codes = {c for (m, layer, c) in self.cases if m == "spot" and layer == "business"}
        self.futures_only_codes = sorted(
            int(c)
            for (m, layer, c) in self.cases
            if m == "futures" and layer == "business" and c and c not in spot_codes
        )

    def _first(self, market: str, layer: str, codes: tuple[str, ...], subject: str | None, exchange: bool = True):
        for code in codes:
            for m in (market, "*"):
                rules = self.cases.get((m, layer, code))
                if not rules:
                    continue
                for pattern, result, where in rules:
                    if where is not None and where != exchange:
                        continue
                    if pattern is None or (subject is not None and pattern.search(subject)):
                        return result
        raise LookupError(f"catalog has no fallback for {layer!r} in market {market!r}")

    def classify(self, market, status, kind, code, subject, legacy=False, failed=False, exchange=True):
        """Classify one distinct call shape; see :func:`toolkit.classify.classify_calls`.

        ``legacy``: the call went to the bare-JSON legacy market data;
        ``failed``: a batch call with failed items, ``subject`` their message;
        ``exchange``: the call went to one of the exchange's endpoints.
        """
        subject = _CJK_SPACE.sub("", unicodedata.normalize("NFKC", subject)) if subject else ""
        if status is None:
            return self._first(market, "transport", ("",), subject)
        if 200 <= status < 300:
            if kind != "code":
                return self._first(market, "envelope", ("bare", "") if legacy else ("",), kind)
            if failed:  # a batch's failed items: their message read by the spot rules
                return self._first("spot", "http", ("400",), subject, exchange)
            table = "futures" if market == "unknown" else market
            return self._first(table, "business", (str(code), ""), None)
        table = "spot" if market == "unknown" else market
        return self._first(table, "http", (str(status), f"{status // 100}xx", ""), subject, exchange)


@functools.cache
def rules() -> _Rules:
    """The error catalog compiled for lookups (cached): (market, layer, code) to its rules, in file order.

    Returns
    -------
    _Rules
        ``classify(market, status, kind, code, subject, exchange=True)`` gives a call shape's
        (category, reason, retryable); ``futures_only_codes`` lists the business
        codes only futures returns.

    Examples
    --------
    >>> rules().classify("futures", 200, "code", 8018, None)[:2]
    ('insufficient_funds', 'insufficient_margin')
    >>> 8018 in rules().futures_only_codes
    True
    >>> rules().classify("spot", 404, "code", 404, "Not Found")[1], rules().classify("spot", 404, "not_json", -1,
    ...                                                                              "<html>", exchange=False)[1]
    ('order_not_found', 'path_not_found')
    >>> rules().classify("unknown", 101, "no_body", -1, None)[:2]
    ('ok', 'informational')
    """
    return _Rules(_table(), _scopes())


rules()  # a broken data file fails when the toolkit is imported, not on the first load
