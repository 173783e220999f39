"""The ``start=``, ``end=``, ``market=``, ``bot=`` filters and the time and duration checks, written once.

Every function that takes a window or a market (the loader, the store, the
analysis functions and their store twins, the plots, the report and the
explorer) checks it here, so the rules and the messages are the same
everywhere:

- a time is a string such as ``"2026-11-18 14:00"``, a ``Timestamp`` or a
  ``datetime``; naive times are UTC; a bare number is refused (``5`` would
  otherwise mean 5 ns after 1970);
- a duration is a string such as ``"5min"`` or a ``Timedelta``; a bare number is
  refused for the same reason;
- ``start`` is included, ``end`` excluded; ``market`` is one market or a list,
  ``bot`` one bot's name or a list (the ``bot`` column: which bot made the call).

Examples
--------
>>> import pandas as pd
>>> from toolkit.selection import select
>>> df = pd.DataFrame({"ts": pd.to_datetime(["2026-11-18 13:00", "2026-11-18 14:30"], utc=True),
...                    "market": ["spot", "futures"]})
>>> select(df, start="2026-11-18 14:00")["market"].tolist()
['futures']
>>> select(df, market="spot", func="error_rate")["market"].tolist()
['spot']
>>> select(df.assign(bot=["spot-mm", "futures-arb"]), bot=["futures-arb"])["market"].tolist()
['futures']
>>> select(df, start=5, func="error_rate")
Traceback (most recent call last):
...
toolkit.errors.ParameterError: error_rate(): start must be a time such as '2026-11-16 21:05' (UTC), not the bare number 5 (a time is a string, a Timestamp or a datetime)
"""

from __future__ import annotations

import datetime as _dt
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import defaults
from .errors import ParameterError
from .schema import DATA_CATEGORIES, MARKETS

__all__ = ["Selection", "as_bots", "as_duration", "as_markets", "as_time", "select", "selection"]


def _prefix(func: str | None) -> str:
    return f"{func}(): " if func else ""


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, np.number)) and not isinstance(value, (_dt.timedelta, np.timedelta64))


def as_time(value, name: str, func: str | None = None) -> pd.Timestamp | None:
    """``value`` as a UTC Timestamp (naive times are UTC); ``None`` stays ``None``.

    Examples
    --------
    >>> from toolkit.selection import as_time
    >>> as_time("2026-11-18 14:00", "start")
    Timestamp('2026-11-18 14:00:00+0000', tz='UTC')
    >>> as_time("tuesday", "end", "summary")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: summary(): end must be a time such as '2026-11-16 21:05' (UTC), not 'tuesday'
    """
    if value is None:
        return None
    wanted = f"{_prefix(func)}{name} must be a time such as '2026-11-16 21:05' (UTC)"
    if _is_number(value):
        raise ParameterError(f"{wanted}, not the bare number {value!r} (a time is a string, a Timestamp or a datetime)")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise ParameterError(f"{wanted}, not {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def as_duration(value, name: str, func: str | None = None, *, zero: bool = False) -> int:
    """A positive fixed duration (``"5min"``, ``"1h"``, a Timedelta) as int nanoseconds; ``zero=True`` also
    takes ``"0s"``.

    Examples
    --------
    >>> from toolkit.selection import as_duration
    >>> as_duration("10s", "within")
    10000000000
    >>> as_duration(10, "within", "retries")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: retries(): within must be a positive duration such as '5min' or '1h', not the bare number 10 (a duration is a string or a Timedelta)
    """
    wanted = f"{_prefix(func)}{name} must be a {'' if zero else 'positive '}duration such as '5min' or '1h'"
    if _is_number(value):
        raise ParameterError(f"{wanted}, not the bare number {value!r} (a duration is a string or a Timedelta)")
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError):
        td = None
    if td is None or td is pd.NaT or td < pd.Timedelta(0) or (td == pd.Timedelta(0) and not zero):
        raise ParameterError(f"{wanted}, not {value!r}")
    return int(td.value)


def step_for(span: int, most: int, steps=None) -> str:
    """The smallest of ``steps`` (:data:`toolkit.defaults.STEPS` by default) that cuts ``span``
    nanoseconds into fewer than ``most`` buckets; the largest when none does.

    Examples
    --------
    >>> from toolkit.selection import step_for
    >>> step_for(7 * 86_400 * 10**9, 800)   # a week in fewer than 800 buckets
    '15min'
    >>> step_for(0, 800)
    '1s'
    """
    steps = defaults.STEPS if steps is None else steps
    for step in steps:
        if span // as_duration(step, "step") < most:
            return step
    return steps[-1]


def as_markets(market, func: str | None = None) -> tuple[str, ...] | None:
    """``market`` (one name or a list) as a tuple of market names, or None for every market.

    Examples
    --------
    >>> from toolkit.selection import as_markets
    >>> as_markets("spot"), as_markets(None)
    (('spot',), None)
    """
    if market is None:
        return None
    names = (market,) if isinstance(market, str) else tuple(market) if isinstance(market, (list, tuple)) else None
    if not names or any(not isinstance(m, str) or m not in MARKETS for m in names):
        raise ParameterError(f"{_prefix(func)}market must be one of {', '.join(MARKETS)} (or a list of them), "
                             f"not {market!r}")
    return names


def as_bots(bot, func: str | None = None) -> tuple[str, ...] | None:
    """``bot`` (one bot's name or a list of them) as a tuple of names, or None for every bot.

    Any name is a bot's name (they are the values of the ``bot`` column); one no call has selects none.

    Examples
    --------
    >>> from toolkit.selection import as_bots
    >>> as_bots("spot-mm"), as_bots(["spot-mm", "futures-arb"]), as_bots(None)
    (('spot-mm',), ('spot-mm', 'futures-arb'), None)
    >>> as_bots(["spot-mm", 5], "error_rate")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: error_rate(): bot must be a bot's name or a list of them, not ['spot-mm', 5]
    """
    if bot is None:
        return None
    names = (bot,) if isinstance(bot, str) else tuple(bot) if isinstance(bot, (list, tuple)) else None
    if not names or any(not isinstance(b, str) or not b for b in names):
        raise ParameterError(f"{_prefix(func)}bot must be a bot's name or a list of them, not {bot!r}")
    return names


@dataclass(frozen=True)
class Selection:
    """Calls with ``start <= ts < end`` in one of ``markets`` and made by one of ``bots`` (None: no bound /
    every market / every bot)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    markets: tuple[str, ...] | None = None
    bots: tuple[str, ...] | None = None

    @property
    def everything(self) -> bool:
        return self.start is None and self.end is None and self.markets is None and self.bots is None

    def mask(self, df: pd.DataFrame) -> np.ndarray:
        """A boolean array: which rows of ``df`` are selected."""
        keep = np.ones(len(df), dtype=bool)
        if self.start is not None or self.end is not None:
            ts = df["ts"]
            if self.start is not None:
                keep &= (ts >= self.start).to_numpy(dtype=bool, na_value=False)
            if self.end is not None:
                keep &= (ts < self.end).to_numpy(dtype=bool, na_value=False)
        if self.markets is not None:
            keep &= df["market"].isin(self.markets).to_numpy(dtype=bool, na_value=False)
        if self.bots is not None:
            keep &= df["bot"].isin(self.bots).to_numpy(dtype=bool, na_value=False)
        return keep

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows of a loaded frame inside the selection (a new frame, RangeIndex, data-dependent
        categories narrowed to the rows kept), as the loaders return them."""
        if self.everything:
            return df
        out = df[self.mask(df)].reset_index(drop=True)
        for c in DATA_CATEGORIES:  # as after loading: the categories of the rows kept
            if c in out and isinstance(out[c].dtype, pd.CategoricalDtype):
                out[c] = out[c].cat.remove_unused_categories()
        return out


def selection(start=None, end=None, market=None, func: str | None = None, *, bot=None) -> Selection:
    """Check and normalise the filters; errors name the parameter and repeat the value.

    Examples
    --------
    >>> from toolkit.selection import selection
    >>> s = selection("2026-11-18", "2026-11-19", "spot", bot="spot-mm")
    >>> str(s.start), s.markets, s.bots
    ('2026-11-18 00:00:00+00:00', ('spot',), ('spot-mm',))
    """
    t0, t1 = as_time(start, "start", func), as_time(end, "end", func)
    if t0 is not None and t1 is not None and t1 < t0:
        raise ParameterError(f"{_prefix(func)}end must not be before start, not start={t0} and end={t1}")
    return Selection(t0, t1, as_markets(market, func), as_bots(bot, func))


def select(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, func: str | None = None) -> pd.DataFrame:
    """The rows of ``df`` in ``[start, end)``, ``market`` and ``bot``: what every analysis function does first.

    The same as filtering the frame by hand (the index and the categories are
    kept); ``df`` itself when nothing is asked for.
    """
    sel = selection(start, end, market, func, bot=bot)
    if sel.everything:
        return df
    for c in (["ts"] if sel.start is not None or sel.end is not None else []) + (
            ["market"] if sel.markets is not None else []) + (["bot"] if sel.bots is not None else []):
        if c not in df.columns:
            raise ParameterError(f"{_prefix(func)}the frame has no column {c}; pass the frame toolkit.load_logs "
                                 "returns")
    return df[sel.mask(df)]
