"""Whose fault, as one object for a notebook: the verdict, the incidents by side and cause, each explained."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .._cards import card
from ..classify import CAUSE_WORDS, SIDE_WORDS
from ..selection import documented, select
from .explain import explain_incidents
from .incidents import find_incidents
from .verdict import cause_count, side_counts, verdict, worst_incident

__all__ = ["WhoseFault", "whose_fault"]

#: The columns of the whose-fault table a card or a plain repr shows (the rest stay in ``table``).
_SHOWN = ["id", "when", "market", "scope", "side", "cause", "evidence", "orders_unknown", "orders_placed"]


@dataclass(frozen=True, repr=False)
class WhoseFault:
    """What :func:`whose_fault` returns: a card in Jupyter, readable text elsewhere.

    Attributes
    ----------
    verdict : str
        The post-mortem's first line (:func:`toolkit.verdict`).
    table : DataFrame
        The whose-fault table, one row per incident (:func:`toolkit.explain_incidents`).
    incidents : DataFrame
        The incidents judged (:func:`toolkit.find_incidents`).
    """

    verdict: str
    table: pd.DataFrame
    incidents: pd.DataFrame

    def by_side(self) -> pd.DataFrame:
        """Incidents per side and cause: ``side``, ``cause`` (in words), ``incidents``, ``failed`` (their
        failed calls) and ``cause_id`` (the cause's id, as in ``toolkit/data/causes.csv``); sides in the order
        of :data:`toolkit.analysis.SIDES`, most incidents first within one."""
        inc = self.incidents
        if not len(inc):
            return pd.DataFrame({"side": [], "cause": [], "incidents": [], "failed": [], "cause_id": []}).astype(
                {"incidents": "int64", "failed": "int64"})
        got = side_counts(inc)
        return got.assign(side=got["side"].map(lambda s: SIDE_WORDS.get(s, s)), cause_id=got["cause"],
                          cause=got["cause"].map(lambda c: CAUSE_WORDS.get(c, c)))

    def _in_words(self, columns: list[str]) -> pd.DataFrame:
        """The table's ``columns``, sides and causes in words."""
        shown = self.table[[c for c in columns if c in self.table]].copy()
        shown["side"] = shown["side"].map(lambda s: SIDE_WORDS.get(s, s))
        shown["cause"] = shown["cause"].map(lambda c: CAUSE_WORDS.get(c, c))
        return shown

    def __repr__(self) -> str:
        if not len(self.table):
            return self.verdict
        shown = self._in_words(["id", "when", "market", "side", "cause", "evidence"])
        return self.verdict + "\n\n" + shown.to_string(index=False, max_colwidth=80)

    def _repr_html_(self) -> str:
        """A card in Jupyter: the verdict, each side's incidents by cause with their failed calls, the worst;
        the table with every incident's evidence a click away."""
        facts = []
        for side, rows in self.by_side().groupby("side", sort=False):
            causes = ", ".join(f"{cause_count(c, n)} ({f:,} failed)"
                               for c, n, f in zip(rows["cause_id"], rows["incidents"], rows["failed"]))
            n = int(rows["incidents"].sum())
            facts.append((side, f"{n} incident{'s' if n > 1 else ''}: {causes}"))
        worst = worst_incident(self.incidents)
        if worst is not None:
            row = self.table[self.table["id"] == worst]
            if len(row):
                facts.append(("worst", f"incident {worst}, {row['when'].iloc[0]}: {row['evidence'].iloc[0]}"))
        return card("Whose fault", facts, note=self.verdict,
                    tables={"incidents, each explained": self._in_words(_SHOWN)},
                    open_first=True)


@documented
def whose_fault(df: pd.DataFrame, incidents=None, *, start=None, end=None, market=None, bot=None) -> WhoseFault:
    """Whose fault the incidents were: the verdict, the count by side and cause, and each one explained.

    Parameters
    ----------
    df : DataFrame
        Calls as :func:`toolkit.load_logs` returns them.
    incidents : DataFrame, optional
        What :func:`toolkit.find_incidents` returns for ``df``; computed by default (scope judged on every
        call of ``df``, before ``market`` and ``bot`` narrow it, as the report does).
    %(window)s

    Returns
    -------
    WhoseFault
        ``verdict`` (one line), ``table`` (:func:`toolkit.explain_incidents`), ``incidents`` and
        ``by_side()``; shown in Jupyter as a card, as text by ``print``.

    Examples
    --------
    >>> import toolkit
    >>> df = toolkit.load_logs("data/sample")
    >>> fault = toolkit.whose_fault(df)
    >>> print(fault.verdict.split(". The worst")[0])
    9 incidents: 5 the bot's (request rate ×2, clock ×2, funds), 3 the exchange's (outage ×3), 1 the network's
    >>> fault.by_side()[["side", "cause", "incidents"]].head(2).values.tolist()
    [["the bot's", "the bot's request rate", 2], ["the bot's", "the bot's clock", 2]]
    """
    func = "whose_fault"
    if incidents is None:
        incidents = find_incidents(df, start=start, end=end, market=market, bot=bot)
    calls = select(df, start=start, end=end, market=market, bot=bot, func=func)
    return WhoseFault(verdict(incidents), explain_incidents(calls, incidents), incidents)
