"""HTTP ``Date`` headers as int64 ns, vectorised: the standard layout straight from its bytes, others by Arrow."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
_DIGITS_AT = [5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24]
_SORTED_KEYS, _BY_KEY = np.sort(_MONTH_KEYS), np.argsort(_MONTH_KEYS) + 1


def _standard_dates(uniq: pa.Array) -> np.ndarray:
    """int64 ns of the values written exactly ``Sun, 06 Nov 1994 08:49:37 GMT`` (a real date and time,
    year 1678-2261), read straight from their bytes; ``_NAT`` for any other value."""
    n = len(uniq)
    out = np.full(n, _NAT, np.int64)
    uniq = uniq.cast(pa.string())
    bufs = uniq.buffers()
    if not n or bufs[2] is None:
        return out
    offsets = np.frombuffer(bufs[1], np.int32)[uniq.offset:uniq.offset + n + 1]
    rows = np.flatnonzero((np.diff(offsets) == 29) & uniq.is_valid().to_numpy(zero_copy_only=False))
    if not len(rows):
        return out
    c = np.ascontiguousarray(np.frombuffer(bufs[2], np.uint8)[offsets[rows][:, None] + np.arange(29)].T)
    d = c.astype(np.int32) - 48  # one row per byte position, digits as 0-9
    ok = (c[:4] < 128).all(axis=0)  # ASCII (the other bytes are checked one by one below)
    ok &= (np.where(d[_DIGITS_AT] < 0, 10, d[_DIGITS_AT]) <= 9).all(axis=0)
    ok &= (c[4] == 32) & (c[7] == 32) & (c[11] == 32) & (c[16] == 32) & (c[25] == 32) & (c[19] == 58) & (c[22] == 58)
    ok &= (c[26] == 71) & (c[27] == 77) & (c[28] == 84)  # "GMT"
    key = (c[8].astype(np.int32) << 16) | (c[9].astype(np.int32) << 8) | c[10]
    month = _BY_KEY[np.minimum(np.searchsorted(_SORTED_KEYS, key), 11)]
    ok &= _MONTH_KEYS[month - 1] == key
    day, year = d[5] * 10 + d[6], d[12] * 1000 + d[13] * 100 + d[14] * 10 + d[15]
    hh, mm, ss = d[17] * 10 + d[18], d[20] * 10 + d[21], d[23] * 10 + d[24]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= (day >= 1) & (day <= _MONTH_DAYS[month - 1] + ((month == 2) & leap)) & (year >= 1678) & (year <= 2261)
    ok &= (hh < 24) & (mm < 60) & (ss < 60)
    y = year - (month <= 2)  # days from the civil date (H. Hinnant's algorithm)
    era, yoe = y // 400, y % 400
    doe = yoe * 365 + yoe // 4 - yoe // 100 + (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = (era * 146097 + doe - 719468).astype(np.int64)
    out[rows[ok]] = ((days * 86400 + hh * 3600 + mm * 60 + ss) * 1_000_000_000)[ok]
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
    except (TypeError, ValueError, IndexError):
        return None
    if t is pd.NaT:
        return None
    year = _YEAR_WORD.search(text)
    if year is not None and int(year.group()) != t.year:  # email.utils reads "0001" as 2001
        return None
    try:
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        return t.as_unit("ns").value
    except (ValueError, OverflowError):  # outside the datetime64[ns] range
        return None
