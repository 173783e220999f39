"""The one core of the recorder: what a call becomes as a JSON line (masking, market, body cut), and the clock.

Every adapter (:mod:`._requests`, :mod:`._httpx`, :mod:`._aiohttp`, :mod:`._ccxt`) times its calls with
:func:`start` and :func:`elapsed_ms` and hands each call's parts to :meth:`Recorder.record`, which builds the
line here and writes it through the file's one :class:`~._writer.Writer`.

Secrets never reach the file: values of headers, query parameters, URL userinfo and fragments, JSON, form and
multipart body fields whose names :func:`toolkit.secrets.is_secret_name` calls secret, every cookie, secrets in
any text as :func:`toolkit.secrets.redact` finds them, and any other occurrence of the request's key or
signature (a response echoing it) are written as ``***``. Of the ``ACCESS-KEY`` header only its one-way
fingerprint is written, as ``key_id`` (:func:`toolkit.secrets.key_id`).
"""

from __future__ import annotations

import os
import time
import zlib
from datetime import datetime, timezone
from typing import NamedTuple

import orjson

from .. import classify
from ..defaults import RECORD_MAX_DEPTH
from ..schema import MARKETS
from ..secrets import MASK, key_id, mentions_secret, redact, redact_data, redact_url, secret_values
from ._writer import Writer

#: Bodies longer than this (bytes) are cut: JSON envelopes keep ``code`` and ``msg``.
MAX_BODY = 64 << 10
_UNKNOWN = MARKETS.index("unknown")
_ENVELOPE = ("code", "msg", "message")

_now = time.time  # the wall clock calls are stamped with (epoch seconds)


def start() -> tuple[float, float]:
    """A call's start: the wall clock it is stamped with, and a :func:`time.perf_counter` reading."""
    return _now(), time.perf_counter()


def elapsed_ms(clock: float) -> float:
    """Milliseconds since ``clock``, a :func:`time.perf_counter` reading from :func:`start`."""
    return (time.perf_counter() - clock) * 1000.0


class Settings(NamedTuple):
    """What :func:`toolkit.attach_recorder` was told, checked once: the file, its rotation, and the lines."""

    path: str | os.PathLike
    max_bytes: int | None
    rotate: str | None  # "daily" or None
    market: str | None  # written on every line; None: each URL's market under ``rules``
    rules: list  # compiled market rules
    max_body: int
    bot: str | None = None  # written on every line; None: not written (the reader takes the file's name)


class Recorder:
    """What a call becomes as a JSON line: masked, its market told, its bodies cut; written by its writer.

    Every client's adapter hands its calls to :meth:`record`, as the parts of a call (method, URL, headers,
    bodies, times, status); the line is the same whichever client made the call.
    """

    @classmethod
    def open(cls, settings: Settings) -> Recorder:
        """A recorder writing to ``settings.path`` (through the one writer of that file)."""
        return cls(Writer.acquire(settings.path, settings.max_bytes, settings.rotate), settings.market,
                   settings.rules, settings.max_body, settings.bot)

    def __init__(self, writer, market, rules, max_body, bot=None):
        self.writer = writer
        self.market = market
        self.rules = rules
        self.max_body = max_body
        self.bot = bot
        self._markets: dict[str, str | None] = {}
        self._released = False

    def release(self):
        """Give the writer back (once); the last recorder of a file closes it."""
        if not self._released:
            self._released = True
            self.writer.release()

    def line(self, method, url, request_headers, request_body, started, elapsed, status, response_headers,
             content, exc) -> bytes:
        """One JSON line from a call's parts (every client's adapter builds its record here)."""
        request_headers = {str(k): v for k, v in (request_headers or {}).items()}  # str: aiohttp's keys are istr
        rec = {
            "ts": _iso(started),
            "method": method,
            "url": redact_url(url),
            "status": status,
            "elapsed_ms": round(elapsed, 3),
        }
        market = self.market or self._market_of(url)
        if market:
            rec["market"] = market
        if self.bot is not None:
            rec["bot"] = self.bot
        key = key_id(_get(request_headers, "ACCESS-KEY"))  # the key's one-way fingerprint; the key is masked
        if key is not None:
            rec["key_id"] = key
        if exc is not None:
            rec["error"] = redact(f"{type(exc).__name__}: {exc}")
        elif content is not None:
            body = self._body(content, _get(response_headers, "Content-Type"))
            if body is not None:
                rec["body"] = body
        req = {"headers": redact_data(request_headers)[0]}  # secret names, and secrets in values
        if request_body is not None:
            req["body"] = self._body(request_body, _get(request_headers, "Content-Type"))
        rec["request"] = req
        if status is not None and response_headers is not None:
            rec["response_headers"] = redact_data({str(k): v for k, v in response_headers.items()})[0]
        try:
            line = orjson.dumps(rec, default=str)
        except orjson.JSONEncodeError:  # a body nested deeper than orjson writes (255 levels): cut, marked
            for holder in (rec, req):
                if "body" in holder:
                    holder["body"] = _cut(holder["body"], RECORD_MAX_DEPTH)
            line = orjson.dumps(rec, default=str)
        for value in secret_values({"headers": request_headers, "url": url}):
            # the key or signature echoed anywhere else (a response saying "Invalid key ak-...")
            line = line.replace(value.encode(), MASK.encode()).replace(orjson.dumps(value)[1:-1], MASK.encode())
        return line + b"\n"

    def record(self, *args) -> None:
        """Write :meth:`line` ``(*args)``; a record that cannot be built never breaks the call."""
        try:
            line = self.line(*args)
        except Exception as err:
            self.writer.failed(f"could not build the record of a call ({type(err).__name__}: {redact(str(err))})")
            return
        self.writer.write(line, args[4])

    def _market_of(self, url: str):
        base = url.split("?", 1)[0]
        market = self._markets.get(base, False)
        if market is False:
            location = base.split("://", 1)[-1]
            code = classify.url_market(location, self.rules)
            market = None if code == _UNKNOWN else MARKETS[code]
            if len(self._markets) < 10_000:
                self._markets[base] = market
        return market

    def _body(self, content, content_type):
        """A body as JSON data or text, secrets masked, cut to ``max_body``."""
        if content is None:
            return None
        if isinstance(content, str):
            content = content.encode("utf-8", "replace")
        elif not isinstance(content, (bytes, bytearray)):
            return f"<{type(content).__name__} body, not recorded>"
        if not content:
            return None
        size = len(content)
        if content[:1] in (b"{", b"[") or (content_type and "json" in content_type):
            try:
                data = orjson.loads(content)
            except orjson.JSONDecodeError:
                data = None
            else:
                if mentions_secret(content):  # else no key or string in it can hold a secret
                    data = redact_data(data)[0]
                if size <= self.max_body:
                    return data
                if isinstance(data, dict):
                    kept = {k: data[k] for k in _ENVELOPE if k in data}
                    kept["data"] = f"{size:,} bytes, cut by the recorder"
                    return kept
        text = redact(content[: self.max_body].decode("utf-8", "replace"))
        return text if size <= self.max_body else text + f"… ({size:,} bytes, cut by the recorder)"


def _cut(data, depth: int):
    """``data`` with every container ``depth`` levels down replaced by a marker saying it was cut."""
    t = type(data)
    if t is not dict and t is not list:
        return data
    if depth <= 0:
        return f"… nested deeper than {RECORD_MAX_DEPTH} levels, cut by the recorder"
    if t is dict:
        return {k: _cut(v, depth - 1) for k, v in data.items()}
    return [_cut(v, depth - 1) for v in data]


def _get(headers, name: str):
    """A header of a dict or a case-insensitive mapping (requests, httpx, aiohttp)."""
    if headers is None:
        return None
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        lname = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == lname), None)
    return value


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decoded(raw: bytes, encoding) -> bytes | str:
    """A raw (transport-level) body with its gzip / deflate ``Content-Encoding`` undone."""
    enc = (encoding or "").strip().lower()
    if not raw or enc in ("", "identity"):
        return raw
    if enc in ("gzip", "x-gzip", "deflate"):
        for wbits in (47, -zlib.MAX_WBITS):  # gzip or zlib (told by the header), or raw deflate
            try:
                return zlib.decompress(raw, wbits)
            except zlib.error:
                pass
    return f"<{enc[:20]}-encoded body, {len(raw):,} bytes, not recorded>"
