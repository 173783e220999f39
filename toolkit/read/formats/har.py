"""HAR 1.2 files (browser DevTools, proxies): one row per API entry.

Per entry: time from ``startedDateTime``, latency from ``time`` (ms), body
from ``response.content.text`` (base64 when ``content.encoding`` says so),
``ACCESS-TIMESTAMP`` from the request headers (and from ``ACCESS-KEY`` the
key's fingerprint, ``key_id``) and ``Date`` from the response headers.
Status 0 or an ``_error`` field means no response came.

Every entry is a row except, skipped and counted with their reason
(:attr:`toolkit.Load.skips`): CORS preflights (``OPTIONS``), static assets
(resource type image, stylesheet, script, font, media, manifest or
texttrack; a response MIME type image/*, font/*, audio/*, video/*, CSS or
JavaScript; or a URL ending in .js .mjs .css .png .jpg .jpeg .gif .svg .ico
.webp .avif .woff .woff2 .ttf .otf .eot .mp4 .webm .mp3 .map). WebSocket
entries are rows of :attr:`toolkit.Load.websocket` (:mod:`._harws`): an ``open`` row and one row per
``_webSocketMessages`` frame; a refused upgrade is a REST row and a ``handshake_failed`` row. A recorded status wins over ``_error`` (Chrome writes
``net::ERR_ABORTED`` on responses that did arrive); status 0 or -1 means no
response came (``transport``). A URL's ``#fragment`` is not part of its path;
escaped lone surrogates (``"\\ud83d"``) are read as U+FFFD. Rows are numbered by
their 1-based entry index; a file that is not HAR at all is one reject at
line 0 (the whole file), and the load goes on with the other files.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib

import orjson

from .._excerpt import bounded_json, clean_data
from .._frame import as_int, excerpt, parse_body
from .._orders import NO_ORDER, answer_data, names_orders, order_fields
from .._rows import NO_BODY, Batch
from .._ws import WsRows, ws_frame
from ..engine import Chunk, FileResult, Reader, register_reader
from ...secrets import Echoes, secret_values
from ._fields import Reject, header, latency_of, mask_echoes, mask_values_of, method_of, status_of, symbol_of
from ._harskip import skip_reason
from ._harws import is_websocket, read_entry

_SIGNATURE = re.compile(rb'^\s*\{\s*"log"\s*:\s*\{')
_NET_ERROR = re.compile(r"\bERR_([A-Z_]+)")


def load_document(data: bytes, result: FileResult, what: str):
    """Parse a whole-file JSON document; on failure reject the file (line 0) and return None."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        text = data.decode("utf-8", "replace")
        try:  # invalid UTF-8 inside strings: read on with replacement characters
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        if "\\ud" in text.lower():  # escaped lone surrogates: legal JSON that orjson refuses
            try:
                return clean_data(json.loads(text))
            except (ValueError, RecursionError):
                pass
        where = f" at line {exc.lineno}, column {exc.colno}" if exc.lineno else ""
        result.reject(0, f"not a valid {what}: invalid JSON ({exc.msg}{where}); the file was not read",
                      excerpt(data[:800]))
        return None


def brief(request: dict | None, response: dict | None, **extra) -> dict:
    """The few fields of an entry or interaction worth quoting in a reject."""
    out = dict(extra)
    if isinstance(request, dict):
        out["request"] = {k: request[k] for k in ("method", "url", "uri") if k in request}
    if isinstance(response, dict):
        status = response.get("status")
        out["response"] = {"status": status} if status is not None else {}
    return out


def no_response_text(error) -> str:
    """The text of a HAR ``_error`` (``net::ERR_CONNECTION_TIMED_OUT`` also spelled out in words)."""
    if not error:
        return "no response"
    text = error if isinstance(error, str) else bounded_json(error, 4000)
    m = _NET_ERROR.search(text)
    if m:
        text = f"{text} ({m.group(1).replace('_', ' ').lower()})"
    return text


def _body(response: dict):
    """The response body as text or bytes; None when the entry did not record it."""
    content = response.get("content")
    if not isinstance(content, dict) or "text" not in content:
        return None
    text = content["text"]
    if text is None:
        return None
    if not isinstance(text, str):
        raise Reject(f"response content.text is not a string: {type(text).__name__}")
    if content.get("encoding") == "base64":
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise Reject("response body is not valid base64") from None
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raise Reject("response body is corrupt gzip") from None
        return raw
    return text


def _items(value) -> list:
    return value if isinstance(value, list) else []


def _symbol(request: dict):
    for item in _items(request.get("queryString")):
        if isinstance(item, dict) and item.get("name") == "symbol" and isinstance(item.get("value"), str):
            return item["value"] or None
    post = request.get("postData")
    if isinstance(post, dict):
        s = symbol_of(post.get("text"))
        if s is None:
            for item in _items(post.get("params")):
                if isinstance(item, dict) and item.get("name") == "symbol" and isinstance(item.get("value"), str):
                    return item["value"] or None
        return s
    return None


def _post(request: dict):
    """The request's body: ``postData.text``, else its form ``params`` as a dict."""
    post = request.get("postData")
    if not isinstance(post, dict):
        return None
    if post.get("text"):
        return post["text"]
    pairs = {i.get("name"): i.get("value") for i in _items(post.get("params")) if isinstance(i, dict)}
    return {k: v for k, v in pairs.items() if isinstance(k, str)} or None


def entry_row(entry, line: int, rules, echoes: Echoes | None = None):
    """One HAR entry as a row (a :class:`~.._rows.Row`'s fields); the skip reason (a str) when it is not an
    API row; :class:`Reject` when bad.

    The secret values its request sends are masked in its URL, message and error, and go to ``echoes``, to be
    masked wherever they reappear in the document (:func:`._fields.mask_echoes`).
    """
    if not isinstance(entry, dict):
        raise Reject(f"entry is not an object ({type(entry).__name__})")
    request = entry.get("request")
    if not isinstance(request, dict):
        raise Reject("entry has no request")
    url = request.get("url")
    if not isinstance(url, str) or not url:
        raise Reject("entry has no request URL")
    response = entry.get("response")
    if (why := skip_reason(entry, request, response, url)) is not None:
        return why
    method = method_of(request.get("method"))
    url = url.split("#", 1)[0]
    ts = entry.get("startedDateTime")
    if not isinstance(ts, str):
        raise Reject("entry has no startedDateTime")
    if not isinstance(response, dict):
        raise Reject("entry has no response")
    error = entry.get("_error") or response.get("_error")
    raw_status = response.get("status")
    status = None if raw_status in (0, -1) else status_of(raw_status)  # -1: Playwright's "no response"
    data = None
    if status is None:
        status, kind, code, message, error = None, NO_BODY, None, None, no_response_text(error)
        items = failed = None
    else:
        body = _body(response)
        kind, code, message, items, failed = parse_body(body)
        data = answer_data(body)
        error = None
    latency = entry.get("time")
    latency = latency_of(latency, None) if type(latency) in (int, float) and latency >= 0 else None
    headers = request.get("headers")
    client_ts = as_int(header(headers, "ACCESS-TIMESTAMP"))
    key = header(headers, "ACCESS-KEY")
    server_ts = header(response.get("headers"), "Date")
    row = (line, ts, None, method, url, status, kind, code, message, error, latency, None,
           _symbol(request), client_ts, server_ts if isinstance(server_ts, str) else None, items, failed,
           None, key if isinstance(key, str) else None,
           *(order_fields(None, _post(request), data) if names_orders(url) else NO_ORDER))
    seen = secret_values(request)
    if echoes is not None:
        echoes.add(seen)
    return mask_values_of(row, seen)


class HarReader(Reader):
    """Reads a HAR 1.2 document (a whole-file JSON format)."""

    name = "har"
    title = "HAR files"
    suffixes = (".har",)
    rank = 20
    whole_file = True

    def read(self, stream, result: FileResult, path: str | None = None) -> None:
        doc = load_document(stream.read(), result, "HAR file")
        if doc is None:
            return
        log = doc.get("log") if isinstance(doc, dict) else None
        entries = log.get("entries") if isinstance(log, dict) else None
        if not isinstance(entries, list):
            result.reject(0, "not a HAR file: no log.entries list; the file was not read", excerpt(doc))
            return
        rules = result.options.rules
        chunk = Chunk()
        echoes = Echoes()  # what any entry's request sends, masked wherever it reappears in the document
        batch = Batch(lambda n: brief(entries[n - 1].get("request"), entries[n - 1].get("response"),
                                      startedDateTime=entries[n - 1].get("startedDateTime")))
        ws, ws_units = WsRows(result.source), 0
        for line, entry in enumerate(entries, 1):
            try:
                row = entry_row(entry, line, rules, echoes)
            except Reject as exc:
                raw = brief(entry.get("request"), entry.get("response")) if isinstance(entry, dict) else entry
                chunk.reject(line, str(exc), raw)
                continue
            if (row == "websocket" or not isinstance(row, str)) and is_websocket(entry, entry["request"]):
                ws_units += read_entry(entry, entry["request"], line, ws, chunk.reject)
                if isinstance(row, str):
                    continue
            if isinstance(row, str):
                chunk.skip(row)
            else:
                batch.rows.append(row)
        chunk.size = len(entries)
        batch.rows = mask_echoes(batch.rows, echoes)
        chunk.add(batch, result.source, rules)
        chunk.add_ws(ws_frame(ws, result.source, rules), ws_units)
        result.merge(chunk)

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:
        """1.0 when the file opens as a HAR document, a JSON object with a ``log`` object (first or after
        other keys); else 0.

        A first line that is a whole JSON object by itself is a HAR only when its ``log`` has one of HAR's
        ``version``, ``creator`` and ``entries``: else it is a structured logger's JSON Lines record.
        """
        head = b"\n".join(lines)
        if not _OPENS_OBJECT.match(head):
            return 0.0
        first = first_object(lines)
        if first is not None:
            log = first.get("log")
            return 1.0 if isinstance(log, dict) and ("entries" in log or "version" in log or "creator" in log) else 0.0
        if _SIGNATURE.match(head):
            return 1.0
        return 1.0 if _top_level_key(head, b"log", b"{") else 0.0


_OPENS_OBJECT = re.compile(rb"^\s*\{")
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+"|[{}\[\]]')


def first_object(lines: list[bytes]) -> dict | None:
    """The first line parsed, when it is a whole JSON object by itself (a JSON Lines record, or a document
    written on one line); None when it is not (a document spread over lines, or cut at the sniffed bytes)."""
    line = lines[0].strip() if lines else b""
    if not (line.startswith(b"{") and line.endswith(b"}")):
        return None
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _top_level_key(head: bytes, key: bytes, opener: bytes) -> bool:
    """Whether the JSON object that ``head`` begins has the key ``key`` whose value begins with ``opener``,
    among the keys in ``head`` (which may be cut anywhere)."""
    depth = 0
    for m in _TOKEN.finditer(head):
        token = m.group()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
            if depth <= 0:
                return False
        elif depth == 1 and token[1:-1] == key:
            rest = head[m.end():m.end() + 64].lstrip()
            if rest.startswith(b":") and rest[1:].lstrip().startswith(opener):
                return True
    return False


register_reader(HarReader())

__all__ = ["HarReader", "brief", "entry_row", "first_object", "load_document", "no_response_text"]
