"""The checks of what a function is given, written once: the frame and its columns, times, durations, counts,
markets, bots, and the ``start=``, ``end=``, ``market=``, ``bot=`` window.

Every function that takes a window or a market (the loader, the store, the
analysis functions and their store twins, the plots, the report and the
explorer) checks it here, so the rules and the messages are the same
everywhere:

- a time is a string such as ``"2026-11-18 14:00"``, a ``Timestamp`` or a
  ``datetime``; naive times are UTC (:func:`to_utc`, the one UTC rule); a bare
  number is refused (``5`` would otherwise mean 5 ns after 1970);
- a duration is a string such as ``"5min"`` or a ``Timedelta``; a bare number is
  refused for the same reason;
- ``start`` is included, ``end`` excluded, and ``end`` must be after ``start``
  (:func:`as_window`); ``market`` is one market or a list (:func:`as_markets`),
  ``bot`` one bot's name or a list (:func:`as_bots`; the ``bot`` column: which bot made the call).

Every check raises a :class:`toolkit.ParameterError` (a ``ValueError``), or a
:class:`toolkit.ParameterTypeError` (also a ``TypeError``) for a frame that is not one,
naming the function, the parameter and the bad value, before pandas gets a chance
to fail somewhere deep inside.

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
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from . import defaults
from .errors import ParameterError, ParameterTypeError
from .schema import DATA_CATEGORIES, MARKETS

__all__ = ["Selection", "as_bots", "as_by", "as_columns", "as_count", "as_duration", "as_markets", "as_time",
           "as_window", "documented", "require", "scan_freq", "select", "selection", "step_for", "times", "to_utc",
           "WINDOW_PARAMETERS"]


def _prefix(func: str | None) -> str:
    return f"{func}(): " if func else ""


_BARE_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, np.number)) and not isinstance(value, (_dt.timedelta, np.timedelta64))


def to_utc(ts):
    """A time or times in UTC: naive ones are taken as UTC, aware ones converted.

    ``ts`` is a Timestamp (or anything :class:`pandas.Timestamp` reads), a
    DatetimeIndex, a datetime array or Series, or a list of times; pandas' own
    errors pass through, for the caller to word.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.selection import to_utc
    >>> to_utc(pd.Timestamp("2026-11-18 15:00", tz="Europe/Berlin")), to_utc("2026-11-18 14:00")
    (Timestamp('2026-11-18 14:00:00+0000', tz='UTC'), Timestamp('2026-11-18 14:00:00+0000', tz='UTC'))
    >>> to_utc(pd.DatetimeIndex(["2026-11-18 14:00"])).tz
    datetime.timezone.utc
    """
    if isinstance(ts, pd.Series):
        return ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts.dt.tz_convert("UTC")
    if not isinstance(ts, (pd.Timestamp, pd.DatetimeIndex, pd.arrays.DatetimeArray)):
        ts = pd.DatetimeIndex(ts) if np.ndim(ts) else pd.Timestamp(ts)
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def as_time(value, name: str, func: str | None = None, *, required: bool = False) -> pd.Timestamp | None:
    """``value`` as a UTC Timestamp (naive times are UTC); ``None`` stays ``None`` unless ``required``.

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
    if value is None and not required:
        return None
    wanted = f"{_prefix(func)}{name} must be a time such as '2026-11-16 21:05' (UTC)"
    if _is_number(value):
        raise ParameterError(f"{wanted}, not the bare number {value!r} (a time is a string, a Timestamp or a datetime)")
    try:
        ts = pd.Timestamp(value) if value is not None else None
    except (TypeError, ValueError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise ParameterError(f"{wanted}, not {value!r}")
    return to_utc(ts)


def as_window(start, end, func: str | None = None, *, required: bool = False):
    """``start`` and ``end`` as UTC Timestamps (None: no bound, unless ``required``), ``end`` after ``start``.

    The one rule of a window: ``start`` is included, ``end`` excluded, so a
    window whose end is not after its start holds nothing and is refused.

    Examples
    --------
    >>> from toolkit.selection import as_window
    >>> [str(t) for t in as_window("2026-11-18 14:00", "2026-11-18 15:00")]
    ['2026-11-18 14:00:00+00:00', '2026-11-18 15:00:00+00:00']
    >>> as_window("2026-11-18 14:00", "2026-11-18 14:00", "describe_window")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: describe_window(): end must be after start, not start=2026-11-18 14:00:00+00:00 and end=2026-11-18 14:00:00+00:00
    """
    t0 = as_time(start, "start", func, required=required)
    t1 = as_time(end, "end", func, required=required)
    if t0 is not None and t1 is not None and not t0 < t1:
        raise ParameterError(f"{_prefix(func)}end must be after start, not start={t0} and end={t1}")
    return t0, t1


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
    if _is_number(value) or (isinstance(value, str) and _BARE_NUMBER.fullmatch(value)):  # "5" would be 5 ns
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


def scan_freq(freq, ts: np.ndarray, name: str = "freq", func: str | None = None) -> int:
    """The bucket of an incident scan in ns: ``freq`` as given, or for ``"auto"`` one picked from the calls' span and density.

    ``"auto"`` is the smallest of :data:`toolkit.defaults.STEPS` from
    :data:`~toolkit.defaults.INCIDENT_FREQ` up that cuts the span of ``ts`` (int64
    ns) into at most :data:`~toolkit.defaults.INCIDENT_MAX_BUCKETS` buckets and at
    most :data:`~toolkit.defaults.INCIDENT_BUCKETS_PER_CALL` buckets a call: a
    busy week keeps one-minute buckets; calls strewn over twelve years get days.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from toolkit.selection import scan_freq
    >>> week = pd.date_range("2026-11-16", periods=1_000_000, freq="604ms", unit="ns").asi8
    >>> years = pd.date_range("2014-01-01", "2026-01-01", periods=5_000, unit="ns").asi8
    >>> [str(pd.Timedelta(scan_freq("auto", t))) for t in (week, years)]
    ['0 days 00:01:00', '1 days 00:00:00']
    >>> str(pd.Timedelta(scan_freq("10min", years)))
    '0 days 00:10:00'
    """
    if not (isinstance(freq, str) and freq == "auto"):
        return as_duration(freq, name, func)
    finest = as_duration(defaults.INCIDENT_FREQ, "INCIDENT_FREQ")
    steps = [s for s in defaults.STEPS if as_duration(s, "STEPS") >= finest]
    span = int(ts.max()) - int(ts.min()) + 1 if len(ts) else 0
    most = min(defaults.INCIDENT_MAX_BUCKETS, max(1, defaults.INCIDENT_BUCKETS_PER_CALL * len(ts)))
    return as_duration(step_for(span, most + 1, steps), "STEPS")


def as_count(value, name: str, func: str, minimum: int = 1) -> int:
    """An integer of at least ``minimum``.

    Examples
    --------
    >>> from toolkit.selection import as_count
    >>> as_count(3, "n", "top_errors")
    3
    >>> as_count(0, "n", "top_errors")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: top_errors(): n must be an integer >= 1, not 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{func}(): {name} must be an integer >= {minimum}, not {value!r}")
    return int(value)


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


def require(df: pd.DataFrame, columns, func: str) -> None:
    """Refuse anything but a DataFrame with ``columns``, naming the function and the columns it lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.selection import require
    >>> require(pd.DataFrame({"ts": []}), ["ts", "market"], "summary")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: summary() needs the column(s) market; pass the frame toolkit.load_logs returns
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterTypeError(f"{func}() takes the DataFrame from toolkit.load_logs, not {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ParameterError(f"{func}() needs the column(s) {', '.join(missing)}; "
                             "pass the frame toolkit.load_logs returns")


def as_columns(value, name: str, df: pd.DataFrame, func: str, empty: str = "None") -> list[str]:
    """``value`` (a column name or a list of them) as a list of column names of ``df``; ``empty`` is how
    the message writes the parameter's "none" value."""
    cols = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if cols is None or not all(isinstance(c, str) for c in cols):
        raise ParameterError(f"{func}(): {name} must be a column name, a list of them or {empty}, not {value!r}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{func}(): {name}={value!r} names no column of the frame: {', '.join(missing)}")
    return cols


def as_by(by, df: pd.DataFrame, func: str) -> list[str]:
    """``by`` as a list of column names of ``df`` (``None`` means no grouping).

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.selection import as_by
    >>> as_by("market", pd.DataFrame({"ts": [], "market": []}), "error_rate")
    ['market']
    """
    require(df, (), func)
    if by is None:
        return []
    cols = as_columns(by, "by", df, func)
    if "ts" in cols or len(set(cols)) != len(cols):
        raise ParameterError(f"{func}(): by must name distinct columns other than ts, not {by!r}")
    return cols


def times(df: pd.DataFrame, func: str, column: str = "ts", allow_nat: bool = False) -> np.ndarray:
    """A datetime column as int64 nanoseconds since the epoch, UTC (naive times taken as UTC).

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.selection import times
    >>> times(pd.DataFrame({"ts": pd.to_datetime(["1970-01-01 00:00:01"])}), "f").tolist()
    [1000000000]
    """
    s = df[column]
    if not (isinstance(s.dtype, pd.DatetimeTZDtype) or (isinstance(s.dtype, np.dtype) and s.dtype.kind == "M")):
        raise ParameterError(f"{func}(): {column} must hold datetimes (datetime64, UTC), not {s.dtype}; "
                             "pass the frame toolkit.load_logs returns")
    ns = np.asarray(s.array.as_unit("ns").asi8)  # an aware array's are UTC already, a naive one's taken as UTC
    if not allow_nat:
        bad = int(np.count_nonzero(ns == np.iinfo(np.int64).min))
        if bad:
            raise ParameterError(f"{func}(): {column} has {bad:,} missing time(s) (NaT); "
                                 f"drop those rows first, e.g. df.dropna(subset=['{column}'])")
    return ns


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
    return Selection(*as_window(start, end, func), as_markets(market, func), as_bots(bot, func))


def select(df: pd.DataFrame, *, start=None, end=None, market=None, bot=None, func: str | None = None) -> pd.DataFrame:
    """The rows of ``df`` in ``[start, end)``, ``market`` and ``bot``: what every analysis function does first.

    The same as filtering the frame by hand (the index and the categories are
    kept); ``df`` itself when nothing is asked for.
    """
    sel = selection(start, end, market, func, bot=bot)
    if sel.everything:
        return df
    require(df, (["ts"] if sel.start is not None or sel.end is not None else [])
            + (["market"] if sel.markets is not None else []) + (["bot"] if sel.bots is not None else []),
            func or "select")
    return df[sel.mask(df)]


#: The one description of the window parameters, which :func:`documented` puts where a docstring says
#: ``%(window)s`` (the parameter list's indentation).
WINDOW_PARAMETERS = """start, end, market, bot : optional
        Only the calls in ``[start, end)``, of ``market`` and made by ``bot``
        (each one name or a list), exactly as filtering ``df`` first; see
        :mod:`toolkit.selection`."""


_F = TypeVar("_F", bound=Callable[..., Any])


def documented(func: _F) -> _F:
    """``func`` with ``%(window)s`` in its docstring replaced by :data:`WINDOW_PARAMETERS`.

    Examples
    --------
    >>> @documented
    ... def f(df, *, start=None, end=None, market=None, bot=None):
    ...     \"\"\"Count.
    ...
    ...     Parameters
    ...     ----------
    ...     %(window)s
    ...     \"\"\"
    >>> "exactly as filtering ``df`` first" in f.__doc__
    True
    """
    if func.__doc__:
        func.__doc__ = func.__doc__.replace("%(window)s", WINDOW_PARAMETERS)
    return func
