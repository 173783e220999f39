"""Counts of calls per market and category, and per bot: the first tables of a post-mortem."""

from __future__ import annotations

import pandas as pd

from ..schema import CATEGORIES, MARKETS
from ..selection import documented, require, select

__all__ = ["BOT_SUMMARY", "bot_summary", "failed_share", "summary"]

_NEEDED = ("market", "category")


@documented
def summary(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """Calls per category (rows, in the taxonomy's order) and market (columns).

    Categories and markets with no calls are left out; a ``total`` column
    closes the table. The error rate of a market is ``1 - ok / calls``; see
    :func:`failed_share`.

    Parameters
    ----------
    df : DataFrame
        Calls with ``market`` and ``category``.
    %(window)s

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({"market": ["spot", "spot", "futures"],
    ...                    "category": ["ok", "rate_limit", "ok"]})
    >>> toolkit.summary(df)
    market      spot  futures  total
    category
    ok             1        1      2
    rate_limit     1        0      1
    """
    df = select(df, start=start, end=end, market=market, bot=bot, func="summary")
    require(df, _NEEDED, "summary")
    market = pd.Categorical(df["market"], categories=MARKETS)
    category = pd.Categorical(df["category"], categories=CATEGORIES)
    table = pd.crosstab(category, market, dropna=False)
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    table.index = pd.Index(table.index.astype(str), name="category")
    table.columns = pd.Index(table.columns.astype(str), name="market")
    table["total"] = table.sum(axis=1)
    return table.astype("int64")


def failed_share(table: pd.DataFrame) -> pd.Series:
    """Share of failed calls per column of a :func:`summary` table.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({"market": ["spot", "spot"], "category": ["ok", "auth"]})
    >>> toolkit.analysis.failed_share(toolkit.summary(df)).tolist()
    [0.5, 0.5]
    """
    calls = table.sum(axis=0)
    ok = table.loc["ok"] if "ok" in table.index else 0
    return ((calls - ok) / calls.where(calls > 0)).rename("error_rate")


#: Columns of :func:`bot_summary`.
BOT_SUMMARY = ["bot", "markets", "key_id", "calls", "failed", "error_rate"]


@documented
def bot_summary(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None) -> pd.DataFrame:
    """Calls and failures of each bot, with the markets it calls and the keys it signs with.

    Two bots on one key share its limits: the ``key_id`` column shows it.

    Parameters
    ----------
    df : DataFrame
        Calls with ``bot``, ``market`` and ``is_error`` (and ``key_id``, when recorded).
    %(window)s

    Returns
    -------
    DataFrame
        One row per bot with calls, sorted by name: ``bot``, ``markets`` and ``key_id``
        (the markets it calls, in their order, and its keys' fingerprints, each joined
        with ``", "``), ``calls``, ``failed`` and ``error_rate``.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> df = pd.DataFrame({"bot": ["mm", "mm", "arb"], "market": ["spot", "futures", "futures"],
    ...                    "key_id": ["k-0a1b2c3d", "k-0a1b2c3d", None], "is_error": [False, True, True]})
    >>> toolkit.bot_summary(df).values.tolist()
    [['arb', 'futures', '', 1, 1, 1.0], ['mm', 'spot, futures', 'k-0a1b2c3d', 2, 1, 0.5]]
    """
    func = "bot_summary"
    df = select(df, start=start, end=end, market=market, bot=bot, func=func)
    require(df, ["bot", "market", "is_error"], func)
    rows = []
    for name, calls in df.groupby(df["bot"].astype(str), sort=True):
        markets = [m for m in MARKETS if (calls["market"] == m).any()]
        keys = sorted(calls["key_id"].dropna().astype(str).unique()) if "key_id" in calls else []
        failed = int(calls["is_error"].sum())
        rows.append([name, ", ".join(markets), ", ".join(keys), len(calls), failed, failed / len(calls)])
    out = pd.DataFrame(rows, columns=BOT_SUMMARY)
    return out.astype({"calls": "int64", "failed": "int64", "error_rate": "float64"})
