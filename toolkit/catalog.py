"""The error catalog: every documented code and HTTP status, per market, as data.

The table lives in ``catalog.csv`` beside this module. Each row is one
(market, layer, code) case, optionally narrowed by a ``match`` regex on the
response message (or, for transport failures, the exception text). Within a
case the rows are tried in file order and the first match wins; a row with an
empty ``code`` is the layer's fallback and ``5xx`` matches a whole class.
Market ``*`` rows apply to every market.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import pandas as pd

from .schema import CATEGORIES

LAYERS = ["business", "http", "transport", "envelope"]


@functools.cache
def _table() -> pd.DataFrame:
    with resources.files(__package__).joinpath("catalog.csv").open("r", encoding="utf-8") as f:
        t = pd.read_csv(f, dtype=str, keep_default_na=False)
    t["retryable"] = t["retryable"].map({"true": True, "false": False, "": pd.NA}).astype("boolean")
    t["category"] = pd.Categorical(t["category"], categories=CATEGORIES)
    unknown = t["category"].isna()
    if unknown.any():  # a typo in the data file must not pass silently
        raise ValueError(f"catalog.csv: categories outside the vocabulary in rows {list(t.index[unknown])}")
    for col in ("market", "layer", "code", "match", "description", "reason", "ccxt"):
        t[col] = t[col].astype(pd.StringDtype("pyarrow"))
    t["layer"] = pd.Categorical(t["layer"], categories=LAYERS)
    return t


def catalog() -> pd.DataFrame:
    """Return the error catalog as a DataFrame.

    Columns: ``market`` (``spot``, ``futures`` or ``*`` for both), ``layer``
    (``business`` code in a 2xx body, ``http`` status, ``transport`` failure
    with no response, ``envelope`` for a 2xx body that is not the documented
    envelope), ``code`` (the code or status; ``5xx`` for the class; empty for
    the layer's fallback), ``match`` (case-insensitive regex on the message,
    empty for any), ``description``, ``category``, ``reason``, ``retryable``
    (nullable boolean) and ``ccxt`` (nearest CCXT exception class).

    Examples
    --------
    >>> import toolkit
    >>> cat = toolkit.catalog()
    >>> cat.query("market == 'futures' and code == '8018'")[["category", "reason"]].iloc[0].tolist()
    ['insufficient_funds', 'insufficient_margin']
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

    def classify(self, market, status, kind, code, subject):
        """Classify one distinct call shape; see :func:`toolkit.classify.classify`."""
        if status is None:
            return self._first(market, "transport", ("",), subject or "")
        if 200 <= status < 300:
            if kind != "code":
                return self._first(market, "envelope", ("",), kind)
            table = "futures" if market == "unknown" else market
            return self._first(table, "business", (str(code), ""), None)
        table = "spot" if market == "unknown" else market
        return self._first(table, "http", (str(status), f"{status // 100}xx", ""), subject or "")


@functools.cache
def rules() -> _Rules:
    """The compiled catalog (cached)."""
    return _Rules(_table())
