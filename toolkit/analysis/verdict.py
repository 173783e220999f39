"""The verdict of a post-mortem in one line: how many incidents were whose fault, and the worst one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._words import window_words
from ..classify import CAUSE_SHORT, CAUSE_WORDS, SIDE_WORDS, SIDES
from ..errors import ParameterTypeError
from ..selection import require

__all__ = ["cause_count", "side_counts", "verdict", "worst_incident"]


def worst_incident(incidents: pd.DataFrame) -> int | None:
    """The ``id`` of the incident with the most failed calls beyond its baseline (None when there is none).

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"id": [1, 2], "calls": [100, 1000], "errors": [90, 300], "baseline_rate": [0.0, 0.1]})
    >>> worst_incident(inc)
    2
    """
    if not len(incidents):
        return None
    excess = incidents["errors"].to_numpy(np.float64) - (incidents["baseline_rate"].to_numpy(np.float64)
                                                         * incidents["calls"].to_numpy(np.float64))
    return int(incidents["id"].iloc[int(np.argmax(excess))])


def side_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per side and cause, by id: ``side``, ``cause``, ``incidents`` and ``failed`` (their failed
    calls); sides in the order of :data:`~toolkit.analysis.SIDES` (others last), the most incidents first within
    one, the first seen first among equals.

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"side": ["client", "exchange", "client", "client"], "errors": [5, 7, 1, 2],
    ...                     "cause": ["client_clock", "exchange", "client_rate", "client_rate"]})
    >>> side_counts(inc).values.tolist()
    [['client', 'client_rate', 2, 3], ['client', 'client_clock', 1, 5], ['exchange', 'exchange', 1, 7]]
    """
    got = (incidents.assign(side=incidents["side"].astype(str), cause=incidents["cause"].astype(str))
           .groupby(["side", "cause"], sort=False).agg(incidents=("cause", "size"), failed=("errors", "sum"))
           .reset_index())
    order = got["side"].map({s: i for i, s in enumerate(SIDES)}).fillna(len(SIDES))
    got = got.assign(order=order).sort_values(["order", "incidents"], ascending=[True, False], kind="stable")
    return got.drop(columns="order").reset_index(drop=True).astype({"incidents": "int64", "failed": "int64"})


def cause_count(cause: str, n: int) -> str:
    """A cause in short words, with how many times when more than once: ``"request rate ×2"``."""
    return CAUSE_SHORT.get(cause, cause) + (f" ×{n}" if n > 1 else "")


def verdict(incidents: pd.DataFrame) -> str:
    """How many incidents were whose fault, with their causes, and the worst one, in one line.

    Parameters
    ----------
    incidents : DataFrame
        What :func:`toolkit.find_incidents` returns (``id``, ``start``, ``end``,
        ``market``, ``cause``, ``side``, ``calls``, ``errors``, ``baseline_rate``).

    Returns
    -------
    str
        ``"9 incidents: 5 the bot's (request rate ×2, clock ×2, funds), 3 the
        exchange's (outage ×3), 1 the network's. The worst: ..."``; sides in the
        order of :data:`toolkit.analysis.SIDES`, causes most frequent first; the worst
        is the one with most failed calls beyond its baseline (:func:`worst_incident`).
        The words come from ``toolkit/data/cause_words.csv``.

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"id": [1, 2, 3], "market": ["spot", "spot", "futures"],
    ...                     "start": pd.to_datetime(["2026-11-16 21:20", "2026-11-18 14:11", "2026-11-18 14:11"], utc=True),
    ...                     "end": pd.to_datetime(["2026-11-16 21:30", "2026-11-18 14:36", "2026-11-18 14:36"], utc=True),
    ...                     "cause": ["client_rate", "exchange", "exchange"], "side": ["client", "exchange", "exchange"],
    ...                     "calls": [7821, 600, 1200], "errors": [5729, 57, 247], "baseline_rate": [0.02, 0.01, 0.01]})
    >>> verdict(inc)
    "3 incidents: 1 the bot's (request rate), 2 the exchange's (outage ×2). The worst: incident 1, Mon 16 Nov 21:20–21:30 on spot, the bot's request rate: 5,729 failed calls."
    >>> verdict(inc.iloc[:0])
    'No incident: errors stayed near their usual rate.'
    """
    if not isinstance(incidents, pd.DataFrame):
        raise ParameterTypeError(f"verdict(): incidents must be a DataFrame such as toolkit.find_incidents returns, "
                                 f"not {type(incidents).__name__}")
    if not len(incidents):
        return "No incident: errors stayed near their usual rate."
    require(incidents, ["id", "start", "end", "market", "cause", "side", "calls", "errors", "baseline_rate"], "verdict")
    counts = side_counts(incidents)
    parts = []
    for s in SIDES:
        mine = counts[counts["side"] == s]
        if not len(mine):
            continue
        named = [cause_count(c, n) for c, n in zip(mine["cause"], mine["incidents"])
                 if CAUSE_SHORT.get(c, c) != SIDE_WORDS.get(s, s).removeprefix("the ").removesuffix("'s")]
        parts.append(f"{int(mine['incidents'].sum())} {SIDE_WORDS.get(s, s)}"
                     + (f" ({', '.join(named)})" if named else ""))
    n = len(incidents)
    worst = incidents[incidents["id"] == worst_incident(incidents)].iloc[0]
    what = CAUSE_WORDS.get(str(worst["cause"]), str(worst["cause"]))
    return (f"{n} incident{'s' if n > 1 else ''}: {', '.join(parts)}. The worst: incident {int(worst['id'])}, "
            f"{window_words(worst['start'], worst['end'])} on {worst['market']}, {what}: "
            f"{int(worst['errors']):,} failed calls.")
