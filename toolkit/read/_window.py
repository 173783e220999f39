"""The ``start=``, ``end=``, ``market=`` filters every loading function takes.

One definition serves :func:`toolkit.load_logs` over recordings (applied
after parsing) and over a store (pushed down to the Parquet partitions).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..schema import MARKETS


@dataclass(frozen=True)
class Window:
    """Calls with ``start <= ts < end`` in one of ``markets`` (None: no bound / every market)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    markets: tuple[str, ...] | None = None

    @property
    def everything(self) -> bool:
        return self.start is None and self.end is None and self.markets is None

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows of a loaded frame inside the window (a new frame, RangeIndex, data-dependent
        categories narrowed to the rows kept)."""
        if self.everything:
            return df
        keep = pd.Series(True, index=df.index)
        if self.start is not None:
            keep &= df["ts"] >= self.start
        if self.end is not None:
            keep &= df["ts"] < self.end
        if self.markets is not None:
            keep &= df["market"].isin(self.markets)
        out = df[keep.to_numpy()].reset_index(drop=True)
        for c in ("endpoint", "source"):  # as after loading: the categories of the rows kept
            if c in out and isinstance(out[c].dtype, pd.CategoricalDtype):
                out[c] = out[c].cat.remove_unused_categories()
        return out


def utc_time(value, name: str) -> pd.Timestamp | None:
    """A UTC timestamp from anything :class:`pandas.Timestamp` reads; naive times mean UTC."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a time such as '2026-11-18 14:00', not {value!r}") from None
    if ts is pd.NaT:
        raise ValueError(f"{name} must be a time such as '2026-11-18 14:00', not {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def window(start=None, end=None, market=None) -> Window:
    """Check and normalise the filters; errors name the parameter and repeat the value.

    Examples
    --------
    >>> from toolkit.read._window import window
    >>> w = window("2026-11-18", "2026-11-19", "spot")
    >>> str(w.start), w.markets
    ('2026-11-18 00:00:00+00:00', ('spot',))
    """
    start, end = utc_time(start, "start"), utc_time(end, "end")
    if start is not None and end is not None and end < start:
        raise ValueError(f"end must not be before start, not start={start} and end={end}")
    markets = None
    if market is not None:
        markets = (market,) if isinstance(market, str) else tuple(market)
        bad = [m for m in markets if m not in MARKETS]
        if bad or not markets:
            raise ValueError(f"market must be one of {MARKETS} or a list of them, not {market!r}")
    return Window(start, end, markets)
