"""Counts of calls per market and category: the first table of a post-mortem."""

from __future__ import annotations

import pandas as pd

from ..schema import CATEGORIES, MARKETS
from ..selection import require, select

__all__ = ["failed_share", "summary"]

_NEEDED = ("market", "category")


def summary(df: pd.DataFrame, *, start=None, end=None, market=None) -> pd.DataFrame:
    """Calls per category (rows, in the taxonomy's order) and market (columns).

    Categories and markets with no calls are left out; a ``total`` column
    closes the table. The error rate of a market is ``1 - ok / calls``; see
    :func:`failed_share`.

    Parameters
    ----------
    df : DataFrame
        Calls with ``market`` and ``category``.
    start, end, market : optional
        Only the calls in ``[start, end)`` and of ``market`` (one market or a
        list), exactly as filtering ``df`` first; see :mod:`toolkit.selection`.
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
    df = select(df, start=start, end=end, market=market, func="summary")
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
