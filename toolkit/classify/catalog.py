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
answer live, explained in ``note``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from ..data import Column, Spec, read_table
from ..schema import CATEGORIES

__all__ = ["LAYERS", "catalog", "rules"]

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


@functools.cache
def _table() -> pd.DataFrame:
    return read_table("catalog.csv", _SPEC)


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
    >>> cat.loc[~cat["documented"], ["code", "reason"]].values.tolist()
    [['200', 'ok'], ['1006', 'concurrent_order_limit']]
    """
    return _table().copy()


class _Rules:
    """The catalog compiled for lookups: (market, layer, code) -> ordered rules."""

    def __init__(self, table: pd.DataFrame):
        self.cases: dict[tuple[str, str, str], list[tuple[re.Pattern | None, tuple]]] = {}
        for row in table.itertuples(index=False):
            pattern = re.compile(row.match, re.I) if row.match else None
            result = (row.category, row.reason, row.retryable)
            self.cases.setdefault((row.market, row.layer, row.code), []).append((pattern, result))
        # futures business codes that spot never returns: they reveal the market
        spot_codes = {c for (m, layer, c) in self.cases if m == "spot" and layer == "business"}
        self.futures_only_codes = sorted(
            int(c)
            for (m, layer, c) in self.cases
            if m == "futures" and layer == "business" and c and c not in spot_codes
        )

    def _first(self, market: str, layer: str, codes: tuple[str, ...], subject: str | None):
        for code in codes:
            for m in (market, "*"):
                rules = self.cases.get((m, layer, code))
                if not rules:
                    continue
                for pattern, result in rules:
                    if pattern is None or (subject is not None and pattern.search(subject)):
                        return result
        raise LookupError(f"catalog has no fallback for {layer!r} in market {market!r}")

    def classify(self, market, status, kind, code, subject, legacy=False, failed=False):
        """Classify one distinct call shape; see :func:`toolkit.classify.classify_calls`.

        ``legacy``: the call went to the bare-JSON legacy market data;
        ``failed``: a batch call with failed items, ``subject`` their message.
        """
        subject = _CJK_SPACE.sub("", unicodedata.normalize("NFKC", subject)) if subject else ""
        if status is None:
            return self._first(market, "transport", ("",), subject)
        if 200 <= status < 300:
            if kind != "code":
                return self._first(market, "envelope", ("bare", "") if legacy else ("",), kind)
            if failed:  # a batch's failed items: their message read by the spot rules
                return self._first("spot", "http", ("400",), subject)
            table = "futures" if market == "unknown" else market
            return self._first(table, "business", (str(code), ""), None)
        table = "spot" if market == "unknown" else market
        return self._first(table, "http", (str(status), f"{status // 100}xx", ""), subject)


@functools.cache
def rules() -> _Rules:
    """The error catalog compiled for lookups (cached): (market, layer, code) to its rules, in file order.

    Returns
    -------
    _Rules
        ``classify(market, status, kind, code, subject)`` gives a call shape's
        (category, reason, retryable); ``futures_only_codes`` lists the business
        codes only futures returns.

    Examples
    --------
    >>> rules().classify("futures", 200, "code", 8018, None)[:2]
    ('insufficient_funds', 'insufficient_margin')
    >>> 8018 in rules().futures_only_codes
    True
    """
    return _Rules(_table())


rules()  # a broken data file fails when the toolkit is imported, not on the first load
