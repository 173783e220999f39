"""Record a ``requests`` session's calls as JSON Lines that :func:`toolkit.read_logs` reads.

Every HTTP exchange the session makes (redirect hops included) becomes one
line, written and flushed before the call returns::

    {"ts": "2026-11-20T21:05:00.123456Z", "method": "POST", "url": "https://.../order",
     "status": 200, "elapsed_ms": 41.5, "market": "futures",
     "body": {"code": 0, "msg": "success", "data": {...}},
     "request": {"headers": {"ACCESS-KEY": "***", "ACCESS-SIGN": "***", "ACCESS-TIMESTAMP": "..."},
                 "body": {"symbol": "BTCUSDT", ...}},
     "response_headers": {"Date": "...", ...}}

A call that raises instead (timeout, refused or reset connection, a body cut
short) is a line with ``"status": null`` and ``"error"``, the exception's
type and text; the exception then reaches the caller unchanged.

Secrets never reach the file: values of headers, query parameters, URL
userinfo and fragments, JSON, form and multipart body fields whose names
:func:`toolkit.secrets.is_secret_name` calls secret, every cookie, secrets
in any text as :func:`toolkit.secrets.redact` finds them, and any other
occurrence of the request's key or signature (a response echoing it) are
written as ``***``.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import orjson

from . import classify
from .schema import MARKETS
from .secrets import MASK, mentions_secret, redact, redact_data, redact_url, secret_values

#: Bodies longer than this (bytes) are cut: JSON envelopes keep ``code`` and ``msg``.
MAX_BODY = 64 << 10
_UNKNOWN = MARKETS.index("unknown")
_ENVELOPE = ("code", "msg", "message")


_now = time.time  # the wall clock calls are stamped with


class RecordingWarning(UserWarning):
    """The recorder could not write a call; the call itself went on."""


def attach_recorder(session, path, *, max_bytes: int | None = None, rotate: str | None = None,
                    market: str | None = None, market_rules=None, max_body: int = MAX_BODY):
    """Make an HTTP client append one JSON line per call to ``path``.

    Parameters
    ----------
    session : requests.Session, httpx.Client, httpx.AsyncClient, aiohttp.ClientSession or a ccxt exchange
        The client to record; it is returned, so ``attach_recorder(requests.Session(), ...)`` works.
        A ccxt exchange is recorded through its HTTP session (``requests`` for
        ``ccxt``, ``aiohttp`` for ``ccxt.async_support``; see :mod:`toolkit.record_clients`).
    path : str or Path
        The JSON Lines file (created with its folder when missing, appended to otherwise).
        Sessions recording to the same file share one writer and one lock.
    max_bytes : int, optional
        Rotate before the file would grow past this size.
    rotate : {"daily"}, optional
        Rotate when a call falls on a new UTC day.
    market : {"spot", "futures"}, optional
        Written on every line; by default each URL's market under ``market_rules``
        (as :func:`toolkit.read_logs` tells it), left out when unknown.
    market_rules : dict, optional
        ``{market: regex}`` tried on each URL, as in :func:`toolkit.read_logs`.
    max_body : int
        Bodies longer than this many bytes are cut (a JSON envelope keeps ``code`` and ``msg``).

    Returns
    -------
    requests.Session
        The same session.

    Notes
    -----
    On rotation the current file is renamed after its first call's UTC time,
    ``<stem>.<YYYYmmddTHHMMSS.mmm>Z<suffix>`` (``calls.20261120T000003.250Z.jsonl``;
    ``-1``, ``-2`` ... added in the unlikely case that name is taken), and a new
    ``path`` is started, so a folder of recordings sorts by time and loads
    with ``toolkit.read_logs(folder)``. Every line is written with one system
    call and no buffer, so a crash loses at most the line being written. If
    the file cannot be written (disk full, permission denied), a
    :class:`RecordingWarning` is issued once, the call goes on, and each later
    call tries again. Responses read with ``stream=True`` are recorded
    without their body.

    Examples
    --------
    >>> import requests, toolkit
    >>> s = toolkit.attach_recorder(requests.Session(), "calls.jsonl", rotate="daily")  # doctest: +SKIP
    >>> s.get("https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth",
    ...       params={"symbol": "AAPL"})  # doctest: +SKIP
    """
    if getattr(session, "_toolkit_recorder", None) is not None:
        raise ValueError(f"this session already records to {session._toolkit_recorder.writer.path}")
    if not callable(getattr(session, "get_adapter", None)):
        from .record_clients import attach_other

        return attach_other(session, path, max_bytes=max_bytes, rotate=rotate, market=market,
                            market_rules=market_rules, max_body=max_body)
    if market is not None and market not in ("spot", "futures"):
        raise ValueError(f"market must be 'spot', 'futures' or None, not {market!r}")
    if not isinstance(max_body, int) or max_body < 0:
        raise ValueError(f"max_body must be a non-negative int, not {max_body!r}")
    rules = classify.compile_market_rules(market_rules)
    recorder = _Recorder(_Writer.acquire(path, max_bytes, rotate), market, rules, max_body)
    get_adapter, close = session.get_adapter, session.close

    def recording_get_adapter(url):
        return _RecordingAdapter(get_adapter(url), recorder)

    def recording_close():
        try:
            close()
        finally:
            recorder.release()

    session.get_adapter = recording_get_adapter
    session.close = recording_close
    session._toolkit_recorder = recorder
    return session


def recording_session(path, **kwargs):
    """A new ``requests.Session`` that already records to ``path``; see :func:`attach_recorder`.

    Examples
    --------
    >>> import toolkit
    >>> with toolkit.recording_session("calls.jsonl", max_bytes=50_000_000) as s:  # doctest: +SKIP
    ...     s.get("https://api9528mystks.mystonks.org/api/v1/futures/open-api/ticker/BTCUSDT")
    """
    import requests

    return attach_recorder(requests.Session(), path, **kwargs)


class _RecordingAdapter:
    """Stands in for the session's transport adapter for one call: sends, then records."""

    __slots__ = ("_adapter", "_recorder")

    def __init__(self, adapter, recorder):
        self._adapter = adapter
        self._recorder = recorder

    def send(self, request, **kwargs):
        return self._recorder.send(self._adapter, request, kwargs)

    def close(self):
        self._adapter.close()

    def __getattr__(self, name):
        return getattr(self._adapter, name)


class _Recorder:
    def __init__(self, writer, market, rules, max_body):
        self.writer = writer
        self.market = market
        self.rules = rules
        self.max_body = max_body
        self._markets: dict[str, str | None] = {}
        self._released = False

    def release(self):
        if not self._released:
            self._released = True
            self.writer.release()

    def send(self, adapter, request, kwargs):
        started = _now()
        clock = time.perf_counter()
        try:
            response = adapter.send(request, **kwargs)
            if not kwargs.get("stream"):
                response.content  # what Session.send would read next; failures here are the call's
        except Exception as exc:
            self._record(request, started, clock, None, exc, False)
            raise
        self._record(request, started, clock, response, None, bool(kwargs.get("stream")))
        return response

    def _record(self, request, started, clock, response, exc, streamed):
        elapsed = (time.perf_counter() - clock) * 1000.0
        try:
            line = self._line(request, started, elapsed, response, exc, streamed)
        except Exception as err:  # a record that cannot be built must not break the call
            self.writer.failed(f"could not build the record of a call ({type(err).__name__}: {redact(str(err))})")
            return
        self.writer.write(line, started)

    def _line(self, request, started, elapsed, response, exc, streamed) -> bytes:
        return self.line(request.method, request.url or "", request.headers, request.body, started, elapsed,
                         None if response is None else response.status_code,
                         None if response is None else response.headers,
                         None if response is None or streamed else response.content, exc)

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


class _Writer:
    """One recording file: a lock, the open file, rotation, and the warn-once state."""

    _registry: dict[str, _Writer] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def acquire(cls, path, max_bytes, rotate) -> _Writer:
        if max_bytes is not None and (not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0):
            raise ValueError(f"max_bytes must be a positive int, not {max_bytes!r}")
        if rotate not in (None, "daily"):
            raise ValueError(f"rotate must be 'daily' or None, not {rotate!r}")
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path, not {type(path).__name__}")
        key = os.path.abspath(os.fspath(path))
        with cls._registry_lock:
            writer = cls._registry.get(key)
            if writer is None:
                writer = cls._registry[key] = cls(key, max_bytes, rotate)
            elif (writer.max_bytes, writer.rotate) != (max_bytes, rotate):
                raise ValueError(f"{key} is already recorded to with max_bytes={writer.max_bytes!r}, "
                                 f"rotate={writer.rotate!r}; use the same settings for one file")
            writer.refs += 1
        return writer

    def __init__(self, path: str, max_bytes, rotate):
        self.path = path
        self.max_bytes = max_bytes
        self.rotate = rotate
        self.refs = 0
        self.lock = threading.Lock()
        self.file = None
        self.size = 0
        self.first: float | None = None  # epoch of the current file's first call
        self.failing = False
        self.lost = 0  # lines that could not be written

    def release(self):
        with self._registry_lock:
            self.refs -= 1
            if self.refs <= 0:
                self._registry.pop(self.path, None)
                with self.lock:
                    self._close()

    def write(self, line: bytes, when: float) -> None:
        with self.lock:
            try:
                if self.file is None:
                    self._open()
                if self.size and self._due(len(line), when):
                    self._rotate()
                view = memoryview(line)
                while view:
                    view = view[self.file.write(view):]
                self.size += len(line)
                if self.first is None:
                    self.first = when
                self.failing = False
            except Exception as exc:
                self._close()
                self.lost += 1
                reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else (
                    f"{exc.strerror or exc}")
                self._warn(f"cannot write the recording {self.path} ({redact(reason)})")

    def failed(self, message: str) -> None:
        with self.lock:
            self.lost += 1
            self._warn(message)

    def _warn(self, message: str) -> None:
        if not self.failing:
            self.failing = True
            warnings.warn(f"{message}; the call went on unrecorded, and later calls will try again",
                          RecordingWarning, stacklevel=2)

    def _open(self):
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.file = open(self.path, "ab", buffering=0)
        self.size = os.fstat(self.file.fileno()).st_size
        self.first = _first_time(self.path) if self.size else None

    def _due(self, n: int, when: float) -> bool:
        if self.max_bytes is not None and self.size + n > self.max_bytes:
            return True
        if self.rotate == "daily" and self.first is not None:
            return int(when // 86400) != int(self.first // 86400)
        return False

    def _rotate(self):
        self._close()
        p = Path(self.path)
        stamp = datetime.fromtimestamp(self.first if self.first is not None else time.time(), timezone.utc)
        stem = f"{p.stem}.{stamp:%Y%m%dT%H%M%S}.{stamp.microsecond // 1000:03d}Z"
        target = p.with_name(stem + p.suffix)
        n = 0
        while target.exists():
            n += 1
            target = p.with_name(f"{stem}-{n}{p.suffix}")
        os.replace(self.path, target)
        self._open()

    def _close(self):
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None


def _first_time(path: str) -> float:
    """The epoch of a recording's first line, or the file's modification time."""
    try:
        with open(path, "rb") as f:
            ts = orjson.loads(f.readline(1 << 16)).get("ts")
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except (OSError, ValueError, AttributeError, TypeError):
        try:
            return os.path.getmtime(path)
        except OSError:
            return time.time()


__all__ = ["attach_recorder", "recording_session", "RecordingWarning"]
