"""Turn the fields every reader extracts into the loader's typed, tagged frame.

Readers (JSON Lines, HAR, VCR, text) only pull raw fields out of their
format, one row (a :class:`~._rows.Row`'s fields) per record, into a
:class:`~._rows.Batch`. :func:`finish` does the rest for all of them with
vectorised pandas/Arrow work: time parsing, URL splitting, endpoint
templating, market detection and classification.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import classify
from ..classify import matcher
from ..schema import DTYPES, KINDS, METHODS, ORDER_FIELDS, STRING, empty_frame
from ..secrets import is_key_id, key_id, redact
from ._dates import _http_date, _http_dates, iso_ms_utc  # noqa: F401 - readers import _http_date from here
from ._excerpt import bounded_json, excerpt  # noqa: F401 - readers import excerpt from here
from ._rows import CODE, NO_BODY, NO_CODE, NOT_JSON, ROW, Batch, Row

_SYMBOL = r"(?:^|&)symbol=(?P<symbol>[^&]*)"
_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[^/]*\d)[0-9a-fA-F\-]{8,}|(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_\-]{12,})$"
)
_TAG = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")
EXCERPT = 200
_NAT = np.iinfo(np.int64).min
_ISO_YEAR = r"^\s*(?P<year>[0-9]{4})(?:-|[0-9]{2})"
_INT64 = (-(1 << 63), 1 << 63)


def epoch_ns(value):
    """Epoch seconds, ms, us or ns (told apart by magnitude) as int ns; None if not a number.

    Examples
    --------
    >>> epoch_ns(1764000000), epoch_ns(1764000000123)
    (1764000000000000000, 1764000000123000000)
    """
    t = type(value)
    if t is int:
        a = -value if value < 0 else value
        if a < 100_000_000_000:
            return value * 1_000_000_000
        if a < 100_000_000_000_000:
            return value * 1_000_000
        if a < 100_000_000_000_000_000:
            return value * 1_000
        return value if a < 9_000_000_000_000_000_000 else None
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None
        a = abs(value)
        scale = 1e9 if a < 1e11 else 1e6 if a < 1e14 else 1e3 if a < 1e17 else 1.0
        ns = round(value * scale / 1000.0) * 1000  # floats carry no more than microseconds
        return ns if abs(ns) < 9_000_000_000_000_000_000 else None
    return None


def parse_body(body):
    """Split a response body into (kind, code, message, items, items_failed).

    A dict is the parsed envelope; a string may hold JSON or be a gateway's
    HTML page; bytes are decoded as UTF-8. The message is ``msg``, else
    ``message``, else ``error`` (the legacy market data's only key). A batch
    call's ``data`` (``{"results": [...]}`` or a list of items with a
    ``success`` flag) gives ``items`` and ``items_failed``, and the first
    failed item's ``errorMsg`` becomes the message; both are None otherwise.

    Examples
    --------
    >>> parse_body('{"code": 0, "msg": "success", "data": {"results": ['
    ...            '{"orderId": "1", "success": true}, {"orderId": "", "success": false,'
    ...            ' "errorCode": 1001, "errorMsg": "余额不足"}]}}')
    (0, 0, '余额不足', 2, 1)
    >>> parse_body('{"error": "invalid symbol format: BTC-USDT"}')
    (1, None, 'invalid symbol format: BTC-USDT', None, None)
    """
    if body is None:
        return NO_BODY, None, None, None, None
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        if not text:
            return NO_BODY, None, None, None, None
        if text[0] in "{[":
            try:
                body = orjson.loads(text)
            except orjson.JSONDecodeError:
                return NOT_JSON, None, text, None, None
        else:
            return NOT_JSON, None, text, None, None
    if isinstance(body, dict):
        code = as_int(body.get("code"))
        msg = body.get("msg") or body.get("message") or body.get("error")
        if msg is not None and not isinstance(msg, str):
            msg = bounded_json(msg, 4000)
        items = failed = None
        if code is not None:
            items, failed, item_msg = batch_items(body.get("data"))
            if failed:
                msg = item_msg
        return (NO_CODE if code is None else CODE), code, msg, items, failed
    return NO_CODE, None, None, None, None


def batch_items(data):
    """(items, failed, first failed item's message) of a batch call's ``data``; Nones if not a batch."""
    results = data.get("results") if type(data) is dict else data
    if type(results) is not list or (type(data) is list and not (results and type(results[0]) is dict
                                                                 and "success" in results[0])):
        return None, None, None
    failed, msg = 0, None
    for item in results:
        if type(item) is dict and item.get("success") is not True:
            failed += 1
            if msg is None:
                m = item.get("errorMsg") or item.get("msg") or item.get("message")
                msg = m if isinstance(m, str) else None
    return len(results), failed, msg


_INT_TEXT = re.compile(r"\s*[+-]?[0-9]{1,19}\s*")


def as_int(value):
    """An int64 from an int, an integral float or a string of ASCII digits; else None.

    Examples
    --------
    >>> as_int(" 429 "), as_int("--200"), as_int("²⁰⁰"), as_int(10**30)
    (429, None, None, None)
    """
    t = type(value)
    if t is str:
        if _INT_TEXT.fullmatch(value) is None:
            return None
        value = int(value)
    elif t is float:
        if not value.is_integer():
            return None
        value = int(value)
    elif t is not int:
        return None
    return value if _INT64[0] <= value < _INT64[1] else None


def _int_ns(ns: pa.Array) -> np.ndarray:
    return pc.fill_null(ns, _NAT).to_numpy(zero_copy_only=False).view("datetime64[ns]")


def _times(strs: pa.Array, ints: pa.Array) -> np.ndarray:
    """datetime64[ns] from text times (ISO-8601 with ``T`` or space, ``Z``/offset/none
    meaning UTC, or epoch digits) and integer epochs (s/ms/us/ns by magnitude); NaT where
    unreadable."""
    num = pc.fill_null(ints, 0).to_numpy(zero_copy_only=False)
    mag = np.abs(num)
    scale = np.select([mag < 10**11, mag < 10**14, mag < 10**17], [10**9, 10**6, 10**3], 1)
    ok = ints.is_valid().to_numpy(zero_copy_only=False) & (mag < (9 * 10**18) // scale) & (num >= 0)
    out = np.where(ok, num * np.where(ok, scale, 0), _NAT).view("datetime64[ns]")
    if strs.null_count < len(strs):
        idx = np.flatnonzero(strs.is_valid().to_numpy(zero_copy_only=False))
        present = strs.drop_null()
        vals = iso_ms_utc(present)  # the recorder's own layout, straight from the bytes
        rest = np.flatnonzero(vals == _NAT)
        vals = vals.view("datetime64[ns]")
        if len(rest):
            vals[rest] = _text_times(present.take(pa.array(rest)) if len(rest) < len(vals) else present)
        out[idx] = vals
    return out


def _text_times(strs: pa.Array) -> np.ndarray:
    """datetime64[ns] of text times (no nulls) in any form :func:`_times` reads; NaT where unreadable."""
    text = strs.to_numpy(zero_copy_only=False)
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format="ISO8601", utc=True, errors="coerce")
    vals = parsed.to_numpy(dtype="datetime64[ns]")
    vals[~_iso_in_range(strs)] = np.datetime64("NaT")  # pandas wraps years it cannot hold
    for j in np.flatnonzero(np.isnat(vals)):  # digits-only strings are epoch numbers
        s = text[j].strip()
        try:
            num = int(s) if s.lstrip("-").isdigit() else float(s)
        except ValueError:
            continue
        v = epoch_ns(num)
        if v is not None and v >= 0:  # a negative epoch is a placeholder, not a time
            vals[j] = np.datetime64(v, "ns")
    return vals


def _iso_in_range(text: pa.Array) -> np.ndarray:
    """True where a text time opens with a four-digit year that datetime64[ns] holds (1678-2261)."""
    found = pc.extract_regex(text, _ISO_YEAR)
    year = pc.if_else(found.is_valid(), found.field("year"), "0")
    year = pc.cast(year, pa.int32()).to_numpy(zero_copy_only=False)
    return (year >= 1678) & (year <= 2261)


def _endpoint(path: str) -> str:
    parts = path.split("/")
    return "/".join("{id}" if p and _ID_SEGMENT.match(p) else p for p in parts)


def clean_text(text: str) -> str:
    """A one-line, tag-free, redacted excerpt of a non-JSON body or error text."""
    if "<" in text:
        text = html.unescape(_TAG.sub(" ", text))
    text = redact(_SPACE.sub(" ", text).strip())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _fingerprint(value: str) -> str | None:
    """A recorded ``key_id`` as it is; any other value (an ``ACCESS-KEY`` header) as its :func:`key_id`."""
    return value if is_key_id(value) else key_id(value)


def _apply_unique(arr: pa.Array, func, type=pa.string()) -> pa.Array:
    """Apply ``func`` once per distinct non-null value of ``arr``; map back onto the rows."""
    enc = pc.dictionary_encode(arr)
    uniq = [None if v is None else func(v) for v in enc.dictionary.to_pylist()]
    return pc.take(pa.array(uniq, type=type), enc.indices)


def _pd_string(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    return pd.array(arr.to_pandas(types_mapper={pa.string(): STRING, pa.large_string(): STRING}.get), dtype=STRING)


def _categorical_of(arr: pa.Array, func) -> pd.Categorical:
    """A categorical of ``func`` applied once per distinct non-null value of ``arr`` (None: missing); rows whose
    values it maps alike share a category. One dictionary encoding of the rows; the rest on the distinct values."""
    enc = pc.dictionary_encode(arr)
    if not len(enc.dictionary):  # no row holds a value (a file whose records name no bot)
        return pd.Categorical.from_codes(np.full(len(arr), -1, np.int8), categories=pd.Index([], dtype=STRING))
    codes, cats = pd.factorize(pd.array([func(v) for v in enc.dictionary.to_pylist()], dtype=STRING))
    lut = np.append(codes, -1)  # the last slot for the rows without a value
    rows = pc.fill_null(enc.indices, len(codes)).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(lut[rows], categories=pd.Index(cats, dtype=STRING))


def _categorical(arr: pa.Array) -> pd.Categorical:
    enc = pc.dictionary_encode(arr)
    return pd.Categorical.from_codes(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False),
                                     categories=pd.Index(_pd_string(enc.dictionary)))


def _split_url(url: str) -> tuple[str, str]:
    """(host, path) of an absolute URL or a path; the query is already cut off."""
    if "://" in url[:12]:
        rest = url.split("://", 1)[1]
        host, slash, path = rest.partition("/")
        return host, "/" + path.split("#", 1)[0] if slash else "/"
    return "", url.split("#", 1)[0] or "/"


_NUMERIC_SEGMENT = r"/\d+(/|$)"
_SCHEME_HOST = r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*"
_NULL_STR = pa.scalar(None, pa.string())


def _urls(url: pa.Array, compiled_rules) -> dict:
    """Path, endpoint, kind, path symbol, legacy flag, whether it is the exchange's, the query's ``symbol`` and market for every row.

    Work is done once per distinct URL (without its query): the endpoint
    catalog is matched with vectorised Arrow passes over the distinct paths,
    and the costly per-value Python runs once per distinct *templated* URL,
    which are few. A path the catalog lists gets its template, kind and
    market; any other keeps the generic normaliser (``{id}`` for id-like
    segments) and the URL rules' market.
    """
    # split once per distinct URL; the #fragment (which may hold an access token) is no part of any column;
    # a "?" is appended so every URL splits into exactly two parts
    urls = pc.dictionary_encode(url)
    located = pc.list_element(pc.split_pattern(urls.dictionary, "#", max_splits=1), 0)
    parts = pc.split_pattern(pc.binary_join_element_wise(located, "?", ""), "?", max_splits=1)
    queries = pc.utf8_slice_codeunits(pc.list_element(parts, 1), 0, -1)
    query_symbol = pc.take(_query_symbol(queries), urls.indices)
    enc = pc.dictionary_encode(pc.list_element(parts, 0))
    bases = enc.dictionary
    paths = pc.replace_substring_regex(bases, _SCHEME_HOST, "")
    paths = pc.if_else(pc.equal(paths, ""), "/", paths)
    templated = bases
    for _ in range(2):  # twice, for ids in consecutive segments
        templated = pc.replace_substring_regex(templated, _NUMERIC_SEGMENT, r"/{id}\1")
    tenc = pc.dictionary_encode(templated)
    endpoints, markets = [], []
    for base in tenc.dictionary.to_pylist():
        host, path = _split_url(base)
        endpoints.append(_endpoint(path))
        markets.append(classify.url_market(host + path, compiled_rules))
    per_base_endpoint = pc.take(pa.array(endpoints, pa.string()), tenc.indices)
    per_base_market = np.asarray(markets, dtype=np.int8)[tenc.indices.to_numpy(zero_copy_only=False)]
    cat = matcher()
    row, path_symbol = cat.match(paths)
    known = row >= 0
    at = np.maximum(row, 0)
    per_base_kind = np.where(known, cat.kind[at], KINDS.index("unknown")).astype(np.int8)
    if known.any():
        per_base_endpoint = pc.if_else(pa.array(known), pc.take(cat.templates, pa.array(at)), per_base_endpoint)
        per_base_market = np.where(known, cat.market[at], per_base_market).astype(np.int8)
    exchange = cat.on_exchange(paths, row)
    legacy = known & cat.bare[at]
    if cat.legacy_base is not None:  # any path under the legacy base answers bare JSON
        legacy |= ~known & pc.fill_null(pc.starts_with(paths, cat.legacy_base), False).to_numpy(zero_copy_only=False)
    idx = pc.take(enc.indices, urls.indices)  # each row's distinct URL without its query
    idx_np = idx.to_numpy(zero_copy_only=False)
    return {
        "path": pc.take(paths, idx),
        "endpoint": pc.take(per_base_endpoint, idx),
        "kind": per_base_kind[idx_np],
        "symbol": pc.take(path_symbol, idx),
        "legacy": legacy[idx_np],
        "exchange": exchange[idx_np],
        "query_symbol": query_symbol,
        "query": (queries, urls.indices),
        "market": per_base_market[idx_np],
    }


_QUERY_ORDER = r"(?:^|&)(?:orderId|clientOid|side|price|quantity|vol|amt)="
_QUERY_KEYS = {"clientOid": "client_oid", "orderId": "order_id", "side": "side", "type": "order_type",
               "orderType": "order_type", "price": "price", "quantity": "quantity", "vol": "quantity",
               "amt": "quantity"}


def _order_columns(f: dict, query: tuple) -> dict:
    """The order columns: the row's fields, else the query string's (``orderDetail?orderId=``), worked out once
    per distinct query that names an order."""
    queries, at = query
    fields = {c: f[c] for c in ORDER_FIELDS}
    has = pc.fill_null(pc.match_substring_regex(queries, _QUERY_ORDER), False)
    if pc.any(has).as_py():
        found = {c: [None] * len(queries) for c in ORDER_FIELDS[:-1]}
        for i in np.flatnonzero(has.to_numpy(zero_copy_only=False)):
            pairs = [p.partition("=") for p in queries[int(i)].as_py().split("&")]
            for k, _, v in pairs:
                c = _QUERY_KEYS.get(k)
                v = unquote(v)
                if c is not None and v and found[c][i] is None and (c != "order_type" or any(
                        p[0] == "side" for p in pairs)) and len(v) <= 64:
                    found[c][i] = v
        for c, vals in found.items():
            fields[c] = pc.coalesce(fields[c], pc.take(pa.array(vals, pa.string()), at))
    return {c: _categorical(fields[c]) for c in ORDER_FIELDS}


def _query_symbol(query: pa.Array) -> pa.Array:
    """The ``symbol`` query parameter of each URL, worked out once per distinct query."""
    enc = pc.dictionary_encode(query)
    uniq = enc.dictionary
    has = pc.fill_null(pc.match_substring(uniq, "symbol="), False)
    if not pc.any(has).as_py():
        return pa.nulls(len(query), pa.string())
    found = pc.extract_regex(pc.if_else(has, uniq, _NULL_STR), _SYMBOL)
    symbols = pc.if_else(found.is_valid(), found.field("symbol"), _NULL_STR)
    symbols = pa.array([None if v is None else unquote(v) or None for v in symbols.to_pylist()], pa.string())
    return pc.take(symbols, enc.indices)


def finish(b: Batch, source: str, rules_compiled) -> tuple[pd.DataFrame, list[tuple[int, str, object]]]:
    """Build the typed, classified frame for one batch.

    Returns the frame and the rejects found at this stage (unreadable
    times), as ``(line, reason, raw)`` tuples.
    """
    rejects: list[tuple[int, str, object]] = []
    if not b.rows:
        return empty_frame(), rejects
    rec = pa.array(b.rows, type=ROW)
    f = {name: rec.field(name) for name in ROW.names}
    ts = _times(f["ts_str"], f["ts_int"])
    bad = np.isnat(ts)
    if bad.any():
        for i in np.flatnonzero(bad):
            row = Row._make(b.rows[i])
            shown = row.ts_str if row.ts_str is not None else str(row.ts_int)
            rejects.append((row.line, f"unreadable time {shown[:40]!r}", b.raw_of(row.line)))
        keep = pa.array(~bad)
        f = {name: col.filter(keep) for name, col in f.items()}
        ts = ts[~bad]
        if not len(ts):
            return empty_frame(), rejects
    n = len(ts)

    status = pc.fill_null(f["status"], -1).to_numpy(zero_copy_only=False)
    code = pc.fill_null(f["code"], -1).to_numpy(zero_copy_only=False)
    kind = f["kind"].to_numpy(zero_copy_only=False)
    url = _urls(f["url"], rules_compiled)
    symbol = pc.coalesce(f["symbol"], url["symbol"], url["query_symbol"])
    market = classify.detect_market(f["market"], url["market"], code)

    no_response = pa.array(status < 0)
    text = pc.if_else(no_response, pc.coalesce(f["error"], f["message"]), f["message"])
    failed = pc.fill_null(f["items_failed"], 0).to_numpy(zero_copy_only=False) > 0
    category, reason, retryable = classify.classify_calls(market, status, kind, code, text,
                                                          legacy=url["legacy"], failed=failed,
                                                          exchange=url["exchange"])
    # the message users see: the envelope's msg; other bodies and exception texts as a clean excerpt
    needs_clean = pa.array((kind == NOT_JSON) | (status < 0))
    shown = pc.if_else(needs_clean, _apply_unique(text, clean_text), _apply_unique(text, redact))

    method = pc.dictionary_encode(f["method"])
    method_codes = np.array([METHODS.index(m) for m in method.dictionary.to_pylist()] + [-1], dtype=np.int8)
    method_idx = pc.fill_null(method.indices, len(method.dictionary)).to_numpy(zero_copy_only=False)

    frame = pd.DataFrame({
        "ts": pd.DatetimeIndex(ts).tz_localize("UTC"),
        "market": pd.Categorical.from_codes(market, dtype=DTYPES["market"]),
        # the record's own bot (the file's name fills in the rest, per file: FileResult.merge)
        "bot": _categorical_of(f["bot"], redact),
        "key_id": _categorical_of(f["key"], _fingerprint),
        "method": pd.Categorical.from_codes(method_codes[method_idx], dtype=DTYPES["method"]),
        "path": _categorical(url["path"]),
        "endpoint": _categorical(url["endpoint"]),
        "kind": pd.Categorical.from_codes(url["kind"], dtype=DTYPES["kind"]),
        "http_status": f["status"].to_pandas(types_mapper={pa.int16(): pd.Int16Dtype()}.get),
        "code": f["code"].to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
        "message": _pd_string(shown),
        "category": pd.Categorical.from_codes(category, dtype=DTYPES["category"]),
        "reason": _pd_string(reason),
        "retryable": retryable,
        "is_error": category != 0,
        "items": f["items"].to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get),
        "items_failed": f["items_failed"].to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get),
        "latency_ms": f["latency"].to_pandas(types_mapper={pa.float64(): pd.Float64Dtype()}.get),
        "symbol": _pd_string(symbol),
        "source": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=pd.Index([source], dtype=STRING)),
        "line": f["line"].to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
        "client_ts": pd.DatetimeIndex(_times(pa.nulls(n, pa.string()), f["client_ts"])).tz_localize("UTC"),
        "server_ts": pd.DatetimeIndex(_int_ns(_http_dates(f["server_ts"]))).tz_localize("UTC"),
        **_order_columns(f, url["query"]),
    })
    return frame, rejects
