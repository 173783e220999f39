"""Times, windows and durations in words, written once: what the explanations, the window descriptions, the
explorer, the report and the command line print.

A time reads ``Mon 16 Nov 21:20`` (UTC; ``Mon 16 21:20`` where room is short, the
terminal's tables). A window is its start, then its end: the clock alone when the end
falls on the start's day, else with its own day, so a window across midnight never
reads as one that ends before it starts (``Mon 16 Nov 23:50 – Tue 17 Nov 00:10``).
A time the reader may type back in as a parameter is a stamp, ``2026-11-16 21:20``.
A file's name is shown as text that prints safely (:func:`shown_name`).

Examples
--------
>>> import pandas as pd
>>> from toolkit._words import window_words
>>> window_words(pd.Timestamp("2026-11-16 21:20", tz="UTC"), pd.Timestamp("2026-11-16 21:30", tz="UTC"))
'Mon 16 Nov 21:20–21:30'
>>> window_words("2026-11-16 23:50", "2026-11-17 00:10")
'Mon 16 Nov 23:50 – Tue 17 Nov 00:10'
"""

from __future__ import annotations

import pandas as pd

from .selection import to_utc

__all__ = ["duration_words", "end_words", "shown_name", "time_stamp", "time_words", "window_words"]

_DAY, _SHORT_DAY, _CLOCK = "%a %d %b", "%a %d", "%H:%M"
_UNITS = (("h", "hour", 3_600_000_000_000), ("min", "minute", 60_000_000_000), ("s", "second", 1_000_000_000))


def _utc(ts) -> pd.Timestamp:
    """A time (a Timestamp, int64 ns, a string ...; naive is UTC) as a UTC Timestamp."""
    return to_utc(pd.Timestamp(ts))


def time_words(ts, *, short: bool = False) -> str:
    """A time as ``Mon 16 Nov 21:20`` (UTC); ``short``: ``Mon 16 21:20``.

    Examples
    --------
    >>> time_words(1_794_863_100_000_000_000), time_words("2026-11-16 21:05", short=True)
    ('Mon 16 Nov 21:05', 'Mon 16 21:05')
    """
    return f"{_utc(ts):{_SHORT_DAY if short else _DAY} {_CLOCK}}"


def end_words(start, end, *, short: bool = False) -> str:
    """The end of a window as the window shows it: its clock, with its day when that is not the start's.

    Examples
    --------
    >>> end_words("2026-11-16 21:20", "2026-11-16 21:30"), end_words("2026-11-16 23:50", "2026-11-17 00:10")
    ('21:30', 'Tue 17 Nov 00:10')
    """
    t0, t1 = _utc(start), _utc(end)
    return f"{t1:{_CLOCK}}" if t0.date() == t1.date() else time_words(t1, short=short)


def window_words(start, end) -> str:
    """A window as ``Mon 16 Nov 21:20–21:30`` (UTC), or ``Mon 16 Nov 23:50 – Tue 17 Nov 00:10`` across midnight."""
    joiner = "–" if _utc(start).date() == _utc(end).date() else " – "
    return f"{time_words(start)}{joiner}{end_words(start, end)}"


def time_stamp(ts, *, seconds: bool = False) -> str:
    """A time as a stamp the reader may type back in: ``2026-11-16 21:20`` (UTC), with ``:00`` seconds on request.

    Examples
    --------
    >>> time_stamp("2026-11-16 21:20"), time_stamp("2026-11-16 21:20", seconds=True)
    ('2026-11-16 21:20', '2026-11-16 21:20:00')
    """
    return f"{_utc(ts):%Y-%m-%d %H:%M{':%S' if seconds else ''}}"


def duration_words(ns: int, *, long: bool = False) -> str:
    """A duration of ``ns`` nanoseconds in its largest whole unit: ``3h``, ``1min``, ``10s``; ``long``: ``3 hours``.

    Examples
    --------
    >>> duration_words(3 * 3_600_000_000_000), duration_words(60_000_000_000, long=True)
    ('3h', '1 minute')
    >>> duration_words(1_500_000_000)
    '0 days 00:00:01.500000'
    """
    for unit, word, size in _UNITS:
        if ns % size == 0:
            n = ns // size
            return f"{n} {word}{'' if n == 1 else 's'}" if long else f"{n}{unit}"
    return str(pd.Timedelta(ns, unit="ns"))


def shown_name(name) -> str:
    """A file's name as rows, reports, warnings and the command line show it: bytes that are not UTF-8 (which
    Python reads as surrogate escapes) and characters that do not print (control characters, terminal escape
    sequences, bidirectional overrides) written as ``\\xNN`` / ``\\uNNNN`` escapes, so a name is always valid
    text and never drives the terminal it is printed on.

    Examples
    --------
    >>> shown_name(b"logs/bad-\\xff.jsonl".decode("utf-8", "surrogateescape"))
    'logs/bad-\\\\xff.jsonl'
    >>> shown_name("logs/\\x1b[31mred.log"), shown_name("logs/calls.jsonl")
    ('logs/\\\\x1b[31mred.log', 'logs/calls.jsonl')
    """
    name = str(name)
    if name.isprintable():
        return name
    try:
        text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte
        text = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
                   for c in text)
