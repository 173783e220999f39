"""Whose fault: the cause-rule table, and the cause of each failed call.

The rules are ``toolkit/data/causes.csv``; what each cause and side is called in
words, ``toolkit/data/cause_words.csv`` beside it. Each row maps an error, by
``category`` and optionally ``reason`` and ``code``, to a ``cause`` and the
``side`` it lies on; an empty cell matches anything, rows are tried in file
order and the first match wins (so ``auth`` / ``timestamp_expired`` is the
client's clock while the other ``auth`` errors are its key). The evidence each
cause is stated with is measured by :func:`toolkit.analysis.causes.evidence`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..data import Column, Spec, read_table
from ..errors import CatalogError
from ..schema import CATEGORIES

__all__ = ["CAUSES", "CAUSE_SHORT", "CAUSE_WORDS", "SIDES", "SIDE_WORDS", "cause_rules", "row_causes", "side_of"]

#: The causes, in the order the rule table and the reports list them.
CAUSES = ["client_rate", "client_clock", "client_funds", "client_auth", "client_request", "exchange", "network",
          "unknown"]

#: Who is at fault: the bot (its rate, clock, funds, key or requests), the exchange, or the network between.
SIDES = ["client", "exchange", "network", "unknown"]

#: ``cause_words.csv``: each cause and side in words, beside the rules; every cause and side listed once.
_WORDS_SPEC = Spec((
    Column("kind", values=("cause", "side")),
    Column("name", pattern=r"[a-z][a-z_]*", what="snake_case"),
    Column("words"),
    Column("short"),
), check=lambda row: None if row.name in (CAUSES if row.kind == "cause" else SIDES)
   else f"{row.kind} {row.name!r} is not one of {CAUSES if row.kind == 'cause' else SIDES}",
   key=lambda row: f"{row.kind} {row.name}")


def _words() -> dict[tuple[str, str], tuple[str, str]]:
    table = read_table("cause_words.csv", _WORDS_SPEC)
    words = {(r.kind, r.name): (r.words, r.short) for r in table.itertuples(index=False)}
    missing = [f"{k} {n}" for k, names in (("cause", CAUSES), ("side", SIDES)) for n in names if (k, n) not in words]
    if missing:
        raise CatalogError(f"toolkit/data/cause_words.csv: no words for {', '.join(missing)}")
    return words


_WORDS = _words()

#: What each cause is called in a sentence ("the bot's request rate"), from ``toolkit/data/cause_words.csv``.
CAUSE_WORDS = {name: words for (kind, name), (words, _) in _WORDS.items() if kind == "cause"}

#: ... and in a list of causes ("request rate") ...
CAUSE_SHORT = {name: short for (kind, name), (_, short) in _WORDS.items() if kind == "cause"}

#: ... and whose fault each side is ("the bot's", "the exchange's").
SIDE_WORDS = {name: words for (kind, name), (words, _) in _WORDS.items() if kind == "side"}


#: ``causes.csv``: what each column may hold; cells stay strings (an empty one matches anything).
_SPEC = Spec((
    Column("category", values=["", *CATEGORIES]),
    Column("reason", pattern=r"(?:[a-z][a-z0-9_]*)?", what="snake_case or empty"),
    Column("code", pattern=r"(?:-?\d+)?", what="a number or empty"),
    Column("cause", values=CAUSES),
    Column("side", values=SIDES),
    Column("description"),
))


@functools.cache
def _table() -> pd.DataFrame:
    return read_table("causes.csv", _SPEC)


def cause_rules() -> pd.DataFrame:
    """The cause-rule table: ``category``, ``reason``, ``code``, ``cause``, ``side``, ``description``.

    Empty cells match anything; the first matching row wins.

    Examples
    --------
    >>> import toolkit
    >>> rules = toolkit.cause_rules()
    >>> rules.loc[rules["reason"] == "timestamp_expired", ["category", "cause", "side"]].iloc[0].tolist()
    ['auth', 'client_clock', 'client']
    """
    return _table().copy()


def side_of(cause: str) -> str:
    """The side a cause lies on.

    Examples
    --------
    >>> side_of("client_clock"), side_of("network")
    ('client', 'network')
    """
    return _sides().get(cause, "unknown")


@functools.cache
def _sides() -> dict[str, str]:
    t = _table()
    return dict(zip(t["cause"][::-1], t["side"][::-1]))  # the first row of a cause decides


@functools.cache
def _rules() -> tuple[tuple[str, str, str, str], ...]:
    t = _table()
    return tuple(zip(t["category"], t["reason"], t["code"], t["cause"]))


def _match(category: str, reason: str, code: str) -> str:
    for cat, rsn, cd, cause in _rules():
        if (not cat or cat == category) and (not rsn or rsn == reason) and (not cd or cd == code):
            return cause
    return "unknown"


def row_causes(df: pd.DataFrame) -> np.ndarray:
    """The cause of every row, as an index into :data:`CAUSES` (-1 for calls that did not fail).

    Uses ``is_error``, ``category`` and, when present, ``reason`` and ``code``.
    Each distinct (category, reason, code) is looked up once.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"is_error": [True, True, False], "category": ["auth", "auth", "ok"],
    ...                    "reason": ["timestamp_expired", "signature_invalid", "ok"], "code": [401, 401, 0]})
    >>> [CAUSES[i] if i >= 0 else None for i in row_causes(df)]
    ['client_clock', 'client_auth', None]
    """
    n = len(df)
    err = np.flatnonzero(df["is_error"].to_numpy(dtype=bool, na_value=False))
    out = np.full(n, -1, dtype=np.int64)
    if not len(err):
        return out
    key = np.zeros(len(err), dtype=np.int64)
    values = []
    for col in ("category", "reason", "code"):
        if col not in df:
            c, u = np.zeros(len(err), np.int64), [""]
        else:
            c, u = pd.factorize(df[col].take(err), use_na_sentinel=False)
            u = ["" if pd.isna(v) else str(v) for v in u]
        key = key * (len(u) + 1) + c
        values.append(u)
    ids, uniques = pd.factorize(key)
    lookup = []
    for k in uniques:
        parts = []
        for u in reversed(values):
            k, c = divmod(int(k), len(u) + 1)
            parts.append(u[c])
        lookup.append(CAUSES.index(_match(*reversed(parts))))
    out[err] = np.asarray(lookup, dtype=np.int64)[ids]
    return out
