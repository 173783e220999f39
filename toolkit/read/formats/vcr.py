"""VCR.py cassettes (YAML or JSON, ``version: 1``): one row per interaction.

Older vcrpy layouts, betamax and Ruby/R VCR cassettes are read too
(:mod:`.cassettes` brings them to this layout; their ``recorded_at`` is the
call's time).

A cassette carries no timestamp of its own, so a call's time is the
response's ``Date`` header (to the second), or failing that the request's
``ACCESS-TIMESTAMP``. Headers are ``{name: [values]}``; bodies are
``{string: ...}``, text or ``!!binary`` bytes, compressed when the response
had ``Content-Encoding: gzip`` (or ``deflate``). Cassettes store no latency.
An ``ACCESS-KEY`` request header the cassette kept gives the key's fingerprint (``key_id``).
Rows are numbered by their 1-based interaction index; a file that is not a
cassette is one reject at line 0 (the whole file).
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import zlib

from .._frame import _http_date, as_int, excerpt, parse_body
from .._orders import NO_ORDER, answer_data, names_orders, order_fields
from .._rows import Batch
from ..engine import Chunk, FileResult, Reader, register_reader
from ...secrets import Echoes, secret_values
from ._fields import Reject, header, mask_echoes, mask_values_of, method_of, status_of, symbol_of
from .cassettes import RECORDED, interactions_of
from .har import brief, first_object, load_document

_YAML_SIGNATURE = re.compile(rb"^(?:---\s*)?(?:http_)?interactions:\s*(?:#.*|\[.*)?$", re.M)
_OLD_LAYOUT = re.compile(rb"\A\s*- request: !!python/object:vcr\.")  # vcrpy before 1.0: a bare list
_YAML_PREAMBLE = re.compile(rb"^(?:---\s*|\s*#.*|[A-Za-z_][A-Za-z0-9_]*:[ \t]+[^\s:][^:]*)$")
_JSON_SIGNATURE = re.compile(rb'^\s*\{\s*"(?:version|interactions|http_interactions|recorded_with)"\s*:')
_JSON_KEY = re.compile(rb'(?<!\\)"(?:http_)?interactions"\s*:\s*\[')  # the key, not the word inside a string
_KEYS = ("interactions", "http_interactions")


def load_cassette(data: bytes, result: FileResult):
    """Parse a cassette (YAML, or vcrpy's JSON form); on failure reject the file (line 0) and return None."""
    if _JSON_SIGNATURE.match(data[:200]):
        return load_document(data, result, "cassette")
    from . import _yaml  # PyYAML only when a cassette is read

    try:
        return _yaml.load(io.BytesIO(data))
    except RecursionError:
        result.reject(0, "not a valid cassette: YAML nested too deeply; the file was not read", excerpt(data[:800]))
        return None
    except _yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        result.reject(0, f"not a valid cassette: invalid YAML ({problem}{where}); the file was not read",
                      excerpt(data[:800]))
        return None


class InvalidYaml(ValueError):
    """A cassette that is not valid YAML (PyYAML's error, as a ValueError like the JSON loaders')."""


@functools.lru_cache(maxsize=4096)
def _date_ns(text: str):
    return _http_date(text)


def decode_body(body, encoding) -> bytes | str | None:
    """A recorded body as text or bytes, undoing ``Content-Encoding``; :class:`Reject` when it cannot be.

    vcrpy often stores the body already decoded while keeping the header, so
    the bytes decide: a gzip body starts with its magic number, and text that
    reads as UTF-8 needs no decoding.
    """
    if isinstance(body, dict):
        body = body.get("string")
    if body is None or isinstance(body, str):
        return body
    if not isinstance(body, bytes):
        raise Reject(f"body is not text or bytes: {type(body).__name__}")
    enc = (encoding or "").strip().lower()
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            raise Reject("response body is corrupt gzip") from None
    if enc in ("", "identity", "gzip", "x-gzip") or _is_text(body):
        return body
    if enc == "deflate":
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib-wrapped, or raw as some servers send it
            try:
                return zlib.decompress(body, wbits)
            except zlib.error:
                pass
        raise Reject("response body is corrupt deflate data")
    raise Reject(f"response body uses Content-Encoding {enc[:20]!r}, which cannot be read")


def _is_text(data: bytes) -> bool:
    try:
        text = data[:256].decode("utf-8")
    except UnicodeDecodeError:
        return False
    text = text.lstrip()
    return not text or text[0] in "{[<\"" or text[0].isalnum()


def interaction_row(item, line: int, echoes: Echoes | None = None):
    """One interaction as a row (a :class:`~.._rows.Row`'s fields); :class:`Reject` when it cannot be one.

    The secret values its request sends are masked in its URL and message, and go to ``echoes``, to be masked
    wherever they reappear in the cassette."""
    if not isinstance(item, dict):
        raise Reject(f"interaction is not a mapping ({type(item).__name__})")
    request = item.get("request")
    if not isinstance(request, dict):
        raise Reject("interaction has no request")
    url = request.get("uri") or request.get("url")
    if not isinstance(url, str):
        raise Reject("interaction has no request uri")
    method = method_of(request.get("method"))
    response = item.get("response")
    if not isinstance(response, dict):
        raise Reject("interaction has no response")
    raw_status = response.get("status")
    status = status_of(raw_status.get("code") if isinstance(raw_status, dict) else raw_status)
    if status is None:
        raise Reject("response has no status code")
    headers = response.get("headers")
    date = header(headers, "Date")
    client_ts = as_int(header(request.get("headers"), "ACCESS-TIMESTAMP"))
    key = header(request.get("headers"), "ACCESS-KEY")
    ts = item.get(RECORDED)  # betamax / Ruby VCR: the interaction's recorded_at
    if ts is None:
        ts = _date_ns(date) if isinstance(date, str) else None
    if ts is None:
        if client_ts is None:
            raise Reject("no time: the response has no readable Date header and the request no ACCESS-TIMESTAMP")
        ts = client_ts
    encoding = header(headers, "Content-Encoding")
    body = decode_body(response.get("body"), encoding if isinstance(encoding, str) else None)
    kind, code, message, items, failed = parse_body(body)
    request_body = request.get("body")
    if isinstance(request_body, bytes):
        request_body = request_body.decode("utf-8", "replace")
    row = (line, None, ts, method, url, status, kind, code, message, None, None, None,
           symbol_of(request_body), client_ts, date if isinstance(date, str) else None, items, failed,
           None, key if isinstance(key, str) else None,
           *(order_fields(None, request_body, answer_data(body)) if names_orders(url) else NO_ORDER))
    seen = secret_values(request)
    if echoes is not None:
        echoes.add(seen)
    return mask_values_of(row, seen)


class VcrReader(Reader):
    """Reads a VCR.py cassette (a whole-file YAML or JSON format)."""

    name = "vcr"
    title = "VCR cassettes"
    suffixes = (".yaml", ".yml")
    rank = 30
    whole_file = True

    def read(self, stream, result: FileResult, path: str | None = None) -> None:
        doc = load_cassette(stream.read(), result)
        if doc is None:
            return
        interactions = interactions_of(doc)
        if not isinstance(interactions, list):
            result.reject(0, "not a cassette: no interactions list; the file was not read", excerpt(doc))
            return
        chunk = Chunk()

        def raw_of(n):
            item = interactions[n - 1]
            return brief(item.get("request"), item.get("response")) if isinstance(item, dict) else item

        batch = Batch(raw_of)
        echoes = Echoes()  # what any request sends, masked wherever it reappears in the cassette
        for line, item in enumerate(interactions, 1):
            try:
                batch.rows.append(interaction_row(item, line, echoes))
            except Reject as exc:
                chunk.reject(line, str(exc), raw_of(line))
        chunk.size = len(interactions)
        batch.rows = mask_echoes(batch.rows, echoes)
        chunk.add(batch, result.source, result.options.rules)
        result.merge(chunk)

    @staticmethod
    def load(data: bytes):
        """The document of a YAML cassette's bytes, the harmless Python tags of old cassettes read as plain
        data; :class:`InvalidYaml` (a ``ValueError``) when it is not valid YAML."""
        from . import _yaml

        try:
            return _yaml.load(data)
        except _yaml.YAMLError as exc:
            raise InvalidYaml(str(exc)) from None

    @staticmethod
    def dump(doc) -> bytes:
        """``doc`` as YAML, keys in their order, as vcrpy writes cassettes (and loads them back)."""
        from . import _yaml

        return _yaml.dump(doc)

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:
        """1.0 when the file opens with a top-level ``interactions:`` key (YAML) or as vcrpy's or betamax's JSON
        (a first line that is a whole object by itself is a cassette only when it holds the interactions: a
        GELF record, ``{"version": "1.1", ...}``, that mentions them is JSON Lines).

        Only a ``---`` marker, comments and other top-level keys (``version: 1``)
        may come before ``interactions:``, so a text log that mentions it is no cassette.
        """
        head = b"\n".join(lines)
        if _OLD_LAYOUT.match(head):
            return 1.0
        if _JSON_SIGNATURE.match(head) and _JSON_KEY.search(head):
            first = first_object(lines)  # a whole object on the first line: a cassette on one line, or JSON Lines
            return 1.0 if first is None or any(isinstance(first.get(k), list) for k in _KEYS) else 0.0
        for raw in lines:
            if _YAML_SIGNATURE.match(raw):
                return 1.0
            if not _YAML_PREAMBLE.match(raw):
                return 0.0
        return 0.0


register_reader(VcrReader())

__all__ = ["InvalidYaml", "VcrReader", "decode_body", "interaction_row", "load_cassette"]
