"""Times written as text, vectorised: the common layouts straight from their bytes, the rest by Arrow and pandas."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..selection import to_utc

_NAT = np.iinfo(np.int64).min
_MAX_S = 9_223_372_036  # seconds either side of the epoch that datetime64[ns] holds
_YEAR_WORD = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
_NULL_STR = pa.scalar(None, pa.string())

_MONTHS = pa.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
_MONTH_NUMBERS = pa.array([f"{i:02d}" for i in range(1, 13)])


def _http_dates(dates: pa.Array) -> pa.Array:
    """HTTP ``Date`` headers as int ns.

    The standard layout (``Sun, 06 Nov 1994 08:49:37 GMT``) is rearranged to
    ISO-8601 by slicing its fixed fields and parsed vectorised; any other form
    is parsed one value at a time.
    """
    enc = pc.dictionary_encode(dates)
    ns = _standard_dates(enc.dictionary)
    rest = np.flatnonzero(ns == _NAT)
    if len(rest):  # any other value: rearranged by Arrow, or parsed one at a time
        ns[rest] = pc.fill_null(_other_dates(enc.dictionary.take(pa.array(rest))), _NAT).to_numpy(zero_copy_only=False)
    return pc.take(pa.array(ns, mask=ns == _NAT), enc.indices)


_MONTH_KEYS = np.array([(ord(m[0]) << 16) | (ord(m[1]) << 8) | ord(m[2]) for m in _MONTHS.to_pylist()])
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_SORTED_KEYS, _BY_KEY = np.sort(_MONTH_KEYS), np.argsort(_MONTH_KEYS) + 1


def _fixed_width(arr: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(indexes of the values of ``arr`` that are ``width`` bytes long, their bytes as a (width, n) uint8 array)."""
    arr = arr.cast(pa.string())
    bufs = arr.buffers()
    if not len(arr) or bufs[2] is None:
        return np.empty(0, np.int64), np.empty((width, 0), np.uint8)
    offsets = np.frombuffer(bufs[1], np.int32)[arr.offset:arr.offset + len(arr) + 1]
    if arr.null_count == 0 and offsets[-1] - offsets[0] == width * len(arr) and (np.diff(offsets) == width).all():
        # every value that long (times as the recorder writes them): the bytes as they lie, without a copy
        data = np.frombuffer(bufs[2], np.uint8)[offsets[0]:offsets[-1]]
        return np.arange(len(arr)), data.reshape(len(arr), width).T
    rows = np.flatnonzero((np.diff(offsets) == width) & arr.is_valid().to_numpy(zero_copy_only=False))
    return rows, np.ascontiguousarray(np.frombuffer(bufs[2], np.uint8)[offsets[rows][:, None] + np.arange(width)].T)


def _digits(c: np.ndarray, at: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(the bytes at positions ``at`` as numbers 0-9 (int32), whether all of them are digits)."""
    d = c[at].astype(np.int32) - 48
    return d, ((d >= 0) & (d <= 9)).all(axis=0)


def _civil_ns(year, month, day, hh, mm, ss) -> tuple[np.ndarray, np.ndarray]:
    """(int64 ns since the epoch, whether it is a real date and time in 1678-2261) of UTC calendar fields."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    at = np.clip(month, 1, 12) - 1
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= _MONTH_DAYS[at] + ((month == 2) & leap))
    ok &= (year >= 1678) & (year <= 2261) & (hh < 24) & (mm < 60) & (ss < 60)
    y = year - (month <= 2)  # days from the civil date (H. Hinnant's algorithm)
    era, yoe = y // 400, y % 400
    doe = yoe * 365 + yoe // 4 - yoe // 100 + (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = (era * 146097 + doe - 719468).astype(np.int64)
    return (days * 86400 + hh * 3600 + mm * 60 + ss) * 1_000_000_000, ok


def _standard_dates(uniq: pa.Array) -> np.ndarray:
    """int64 ns of the values written exactly ``Sun, 06 Nov 1994 08:49:37 GMT`` (a real date and time,
    year 1678-2261), read straight from their bytes; ``_NAT`` for any other value."""
    out = np.full(len(uniq), _NAT, np.int64)
    rows, c = _fixed_width(uniq, 29)
    if not len(rows):
        return out
    d, ok = _digits(c, [5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24])
    ok &= (c[:4] < 128).all(axis=0)  # ASCII (the other bytes are checked one by one)
    ok &= (c[4] == 32) & (c[7] == 32) & (c[11] == 32) & (c[16] == 32) & (c[25] == 32) & (c[19] == 58) & (c[22] == 58)
    ok &= (c[26] == 71) & (c[27] == 77) & (c[28] == 84)  # "GMT"
    key = (c[8].astype(np.int32) << 16) | (c[9].astype(np.int32) << 8) | c[10]
    month = _BY_KEY[np.minimum(np.searchsorted(_SORTED_KEYS, key), 11)]
    ok &= _MONTH_KEYS[month - 1] == key
    ns, real = _civil_ns(d[2] * 1000 + d[3] * 100 + d[4] * 10 + d[5], month, d[0] * 10 + d[1],
                         d[6] * 10 + d[7], d[8] * 10 + d[9], d[10] * 10 + d[11])
    ok &= real
    out[rows[ok]] = ns[ok]
    return out


def iso_ms_utc(text: pa.Array) -> np.ndarray:
    """int64 ns of the times written exactly ``2026-11-20T21:05:00.123Z`` or ``2026-11-20T21:05:00.123456Z``
    (as loggers and the recorder write them; a real date and time, year 1678-2261), read straight from their
    bytes; ``_NAT`` for any other value.

    Examples
    --------
    >>> iso_ms_utc(pa.array(["2026-11-20T21:05:00.123Z", "2026-11-20T21:05:00.123456Z", "x"])).tolist()
    [1795208700123000000, 1795208700123456000, -9223372036854775808]
    """
    out = np.full(len(text), _NAT, np.int64)
    for width, unit in ((24, 1_000_000), (27, 1_000)):  # milliseconds, microseconds
        rows, c = _fixed_width(text, width)
        if not len(rows):
            continue
        fraction = list(range(20, width - 1))
        d, ok = _digits(c, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, *fraction])
        ok &= (c[4] == 45) & (c[7] == 45) & (c[10] == 84) & (c[13] == 58) & (c[16] == 58) & (c[19] == 46)
        ok &= c[width - 1] == 90
        ns, real = _civil_ns(d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3], d[4] * 10 + d[5], d[6] * 10 + d[7],
                             d[8] * 10 + d[9], d[10] * 10 + d[11], d[12] * 10 + d[13])
        ok &= real
        frac = np.zeros(len(rows), np.int64)
        for digit in d[14:]:
            frac = frac * 10 + digit
        out[rows[ok]] = (ns + frac * unit)[ok]
    return out


def _other_dates(uniq: pa.Array) -> pa.Array:
    """int64 ns (null where unreadable) of distinct ``Date`` values in any other form."""

    def part(start, stop):
        return pc.utf8_slice_codeunits(uniq, start, stop)

    month = pc.take(_MONTH_NUMBERS, pc.index_in(part(8, 11), value_set=_MONTHS))
    iso = pc.binary_join_element_wise(part(12, 16), "-", month, "-", part(5, 7), "T", part(17, 25), part(25, 40), "")
    year = part(12, 16)
    iso = pc.if_else(pc.and_(pc.greater_equal(year, "1678"), pc.less_equal(year, "2261")), iso, _NULL_STR)
    ts = pc.strptime(iso, format="%Y-%m-%dT%H:%M:%S GMT", unit="s", error_is_null=True)
    secs = ts.cast(pa.int64())
    secs = pc.if_else(pc.and_(pc.greater(secs, -_MAX_S), pc.less(secs, _MAX_S)), secs, pa.scalar(None, pa.int64()))
    ns = pc.multiply(secs, 1_000_000_000)
    if ns.null_count > uniq.null_count:
        ns = pa.array([v if v is not None else (None if u is None else _http_date(u))
                       for v, u in zip(ns.to_pylist(), uniq.to_pylist())], pa.int64())
    return ns


def _http_date(text: str):
    """One HTTP ``Date`` header (RFC 7231, or ISO-8601) as int ns; None when unreadable."""
    try:
        t = pd.Timestamp(parsedate_to_datetime(text)) if "," in text else pd.Timestamp(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # a field beyond a C long: "20:2147483648:46"
        return None
    if t is pd.NaT:
        return None
    year = _YEAR_WORD.search(text)
    if year is not None and int(year.group()) != t.year:  # email.utils reads "0001" as 2001
        return None
    try:
        return to_utc(t).as_unit("ns").value
    except (ValueError, OverflowError):  # outside the datetime64[ns] range
        return None
