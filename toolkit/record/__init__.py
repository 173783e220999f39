"""Record a bot's HTTP client's calls as JSON Lines that :func:`toolkit.read_logs` reads.

Every HTTP exchange the client makes (redirect hops included) becomes one
line, written and flushed before the call returns::

    {"ts": "2026-11-20T21:05:00.123456Z", "method": "POST", "url": "https://.../order",
     "status": 200, "elapsed_ms": 41.5, "market": "futures", "bot": "futures-mm", "key_id": "k-8fa6e6a3",
     "body": {"code": 0, "msg": "success", "data": {...}},
     "request": {"headers": {"ACCESS-KEY": "***", "ACCESS-SIGN": "***", "ACCESS-TIMESTAMP": "..."},
                 "body": {"symbol": "BTCUSDT", ...}},
     "response_headers": {"Date": "...", ...}}

A call that raises instead (timeout, refused or reset connection, a body cut
short) is a line with ``"status": null`` and ``"error"``, the exception's
type and text; the exception then reaches the caller unchanged.

``bot`` is what ``attach_recorder(..., bot=)`` was given (left out without
it: the reader then takes the file's name); ``key_id`` the one-way
fingerprint of the request's ``ACCESS-KEY`` (:func:`toolkit.secrets.key_id`),
left out when the request carries none.

Secrets never reach the file: values of headers, query parameters, URL
userinfo and fragments, JSON, form and multipart body fields whose names
:func:`toolkit.secrets.is_secret_name` calls secret, every cookie, secrets
in any text as :func:`toolkit.secrets.redact` finds them, and any other
occurrence of the request's key or signature (a response echoing it) are
written as ``***``.

:func:`attach_recorder` checks its parameters once and hands the client to
its adapter; every adapter writes the same line through the same recorder
(masking, flush per call, rotation):

- ``requests.Session``: its transport adapters are wrapped;
- ``httpx.Client`` / ``httpx.AsyncClient``: its transports (and mounted
  ones) are wrapped. The response body is copied as the caller reads it, so
  ``client.stream(...)`` still streams; the line is written when the
  response is closed (for ``client.get`` that is before it returns);
- ``aiohttp.ClientSession``: a trace config times each request and copies
  the request body as it is sent, and the session's response class copies
  the body when it is read (``await resp.json()``, ``text()``, ``read()``);
  a response released without being read (or streamed from
  ``resp.content``) is recorded without its body, when it is released;
- a ccxt exchange: its HTTP session is recorded (``requests.Session`` for
  ``ccxt``; for ``ccxt.async_support`` the ``aiohttp.ClientSession`` it
  creates in ``open()``, now or whenever it creates a new one).

WebSockets are recorded to the same file, one line per frame and per connection event (open, close with its
code, a refused upgrade with its status, errors; see :mod:`toolkit.record._ws` for the lines):

- an ``aiohttp.ClientSession`` given to :func:`attach_recorder` also records the sockets of its
  ``ws_connect`` (and so does ccxt pro, which runs on aiohttp);
- the ``websockets`` library's client is opened with :func:`connect` instead of
  ``websockets.connect``: the same arguments, plus the file and the recorder's settings.

Every adapter is safe under many threads or tasks: the only shared state is
the file writer, which has its own lock.
"""

from __future__ import annotations

import os

from .. import classify
from ..errors import ParameterError, ParameterTypeError
from ..selection import as_duration, as_markets
from . import _aiohttp, _ccxt, _httpx, _requests, _websockets
from ._core import MAX_BODY, Settings
from ._writer import DAILY, RecordingWarning
from ._ws import WsRecorder

__all__ = ["attach_recorder", "connect", "recording_session", "RecordingWarning"]

_FUNC = "attach_recorder"
_DAY = 86_400 * 10**9  # ns


def attach_recorder(session, path, *, max_bytes: int | None = None, rotate: str | None = None,
                    market: str | None = None, market_rules=None, max_body: int = MAX_BODY, bot: str | None = None):
    """Make an HTTP client append one JSON line per call to ``path``.

    Parameters
    ----------
    session : requests.Session, httpx.Client, httpx.AsyncClient, aiohttp.ClientSession or a ccxt exchange
        The client to record; it is returned, so ``attach_recorder(requests.Session(), ...)`` works.
        A ccxt exchange is recorded through its HTTP session (``requests`` for
        ``ccxt``, ``aiohttp`` for ``ccxt.async_support``; see :mod:`toolkit.record`).
    path : str or Path
        The JSON Lines file (created with its folder when missing, appended to otherwise).
        Sessions recording to the same file share one writer and one lock.
    max_bytes : int, optional
        Rotate before the file would grow past this size.
    rotate : {"daily"}, optional
        Rotate when a call falls on a new UTC day; ``"1D"`` (a duration of one day, a string or a
        Timedelta) means the same.
    market : {"spot", "futures"}, optional
        Written on every line; by default each URL's market under ``market_rules``
        (as :func:`toolkit.read_logs` tells it), left out when unknown.
    market_rules : dict, optional
        ``{market: regex}`` tried on each URL, as in :func:`toolkit.read_logs`.
    max_body : int
        Bodies longer than this many bytes are cut (a JSON envelope keeps ``code`` and ``msg``).
    bot : str, optional
        The bot's name, written as ``bot`` on every line (several bots may record to one file).
        Without it none is written, and :func:`toolkit.read_logs` names the calls after the file
        (``logs/spot-mm.jsonl`` or ``logs/spot-mm/calls.jsonl``: ``spot-mm``). Whatever it is
        given, a request's ``ACCESS-KEY`` is written as ``***`` and its fingerprint as ``key_id``.

    Returns
    -------
    requests.Session, httpx.Client, httpx.AsyncClient, aiohttp.ClientSession or a ccxt exchange
        The same client.

    Raises
    ------
    ParameterError
        A parameter that cannot be used, a client that records already, or a file recorded to with other
        ``max_bytes`` / ``rotate``.
    ParameterTypeError
        A ``session`` the recorder does not know, or a ``path`` that is not a file path.

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
    >>> s = toolkit.attach_recorder(requests.Session(), "calls.jsonl", rotate="daily", bot="spot-mm")  # doctest: +SKIP
    >>> s.get("https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth",
    ...       params={"symbol": "AAPL"})  # doctest: +SKIP
    """
    settings = Settings(path=_file_path(path),
                        max_bytes=None if max_bytes is None else _size(max_bytes, "max_bytes", least=1),
                        rotate=_rotation(rotate), market=_one_market(market),
                        rules=classify.compile_market_rules(market_rules),
                        max_body=_size(max_body, "max_body", least=0), bot=_bot(bot))
    return _attach(session, settings)


def connect(url, path, *, max_bytes: int | None = None, rotate: str | None = None, market: str | None = None,
            market_rules=None, bot: str | None = None, **kwargs):
    """``websockets.connect(url, **kwargs)`` (the ``websockets`` library's asyncio client), recording every frame
    and connection event to ``path``.

    Use it wherever ``websockets.connect`` would be: awaited, in ``async with``, or in ``async for`` to
    reconnect after each drop. Each connection attempt is a new ``connection`` id in the file.

    Parameters
    ----------
    url : str
        The ``ws://`` or ``wss://`` URL (secrets in its query are masked in the file).
    path, max_bytes, rotate, market, market_rules, bot
        As for :func:`attach_recorder`; several clients may record to one file.
    **kwargs
        Passed to ``websockets.asyncio.client.connect`` (``ping_interval``, ``additional_headers`` ...).

    Examples
    --------
    >>> import toolkit.record
    >>> async def feed():  # doctest: +SKIP
    ...     url = "wss://api9528mystks.mystonks.org/api/v1/spot/ws"
    ...     async for ws in toolkit.record.connect(url, "logs/feed.jsonl", bot="spot-mm", rotate="daily"):
    ...         await ws.send('{"action":"subscribe","streams":["BTCUSDT@ticker"]}')
    ...         async for message in ws:
    ...             ...
    """
    if not isinstance(url, str):
        raise ParameterTypeError(f"connect(): url must be a ws:// or wss:// URL (a string), not {type(url).__name__}")
    settings = Settings(path=_file_path(path),
                        max_bytes=None if max_bytes is None else _size(max_bytes, "max_bytes", least=1),
                        rotate=_rotation(rotate), market=_one_market(market),
                        rules=classify.compile_market_rules(market_rules), max_body=MAX_BODY, bot=_bot(bot))
    return _websockets.connect(url, WsRecorder.open(settings), **kwargs)


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


# --- the dispatch ----------------------------------------------------------------------------------------

#: The adapter of each kind of client but ccxt's (which records its exchange's session through these).
_ADAPTERS = {"requests": _requests.attach, "httpx": _httpx.attach, "aiohttp": _aiohttp.attach}


def _attach(client, settings: Settings):
    """Record ``client`` with ``settings`` (checked) through the adapter of its kind."""
    kind = _kind(client)
    if kind is None:
        raise ParameterTypeError(f"{_FUNC}(): session must be a requests.Session, an httpx.Client or AsyncClient, "
                                 f"an aiohttp.ClientSession or a ccxt exchange, not {type(client).__name__}")
    recording = getattr(client, "_toolkit_recorder", None)
    if recording is not None:
        raise ParameterError(f"{_FUNC}(): this session already records to {recording.writer.path}")
    if kind == "ccxt":
        return _ccxt.attach(client, settings, _attach)
    return _ADAPTERS[kind](client, settings)


def _kind(client) -> str | None:
    """Which client ``client`` is: "requests", "httpx" (sync or async), "aiohttp", "ccxt", or None."""
    if callable(getattr(client, "get_adapter", None)):
        return "requests"
    mro = type(client).__mro__
    modules = {(c.__module__ or "").split(".")[0] for c in mro}
    if "httpx" in modules and hasattr(client, "_transport") and hasattr(client, "_mounts"):
        return "httpx"
    if "aiohttp" in modules and "ClientSession" in {c.__name__ for c in mro}:
        return "aiohttp"
    if all(hasattr(client, a) for a in ("id", "session", "fetch", "has")):  # ccxt's Exchange
        return "ccxt"
    return None


# --- the parameters, checked once ------------------------------------------------------------------------

def _file_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterTypeError(f"{_FUNC}(): path must be a file path, not {type(path).__name__}")
    return path


def _size(value, name: str, *, least: int) -> int:
    """``max_bytes`` / ``max_body``: a number of bytes (an int, not a duration), at least ``least``."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if is_int and value >= least:
        return value
    error = ParameterError if is_int else ParameterTypeError
    raise error(f"{_FUNC}(): {name} must be a {'positive' if least else 'non-negative'} int, not {value!r}")


def _rotation(rotate) -> str | None:
    """``rotate``: "daily" (or a duration of one day, which means the same), or None."""
    if rotate is None or (isinstance(rotate, str) and rotate == DAILY):
        return rotate
    try:
        one_day = as_duration(rotate, "rotate", _FUNC) == _DAY
    except ParameterError:
        one_day = False
    if not one_day:
        raise ParameterError(f"{_FUNC}(): rotate must be 'daily' or None, not {rotate!r} ('1D', a duration of one "
                             "day, means 'daily' too)")
    return DAILY


def _bot(bot) -> str | None:
    """``bot``: a name written on every line, or None."""
    if bot is None:
        return None
    if not isinstance(bot, str):
        raise ParameterTypeError(f"{_FUNC}(): bot must be the bot's name (a string) or None, not {type(bot).__name__}")
    if not bot.strip() or bot != bot.strip() or any(not c.isprintable() for c in bot):
        raise ParameterError(f"{_FUNC}(): bot must be a name without leading or trailing spaces or control "
                             f"characters, not {bot!r}")
    return bot


def _one_market(market) -> str | None:
    """``market``: one of the markets :func:`toolkit.selection.as_markets` knows, written on every line, but
    not 'unknown' (which a line says by leaving the market out) and not a list; or None, each URL's own."""
    try:
        names = as_markets(market, _FUNC)
    except ParameterError:
        names = ()
    if names is None:
        return None
    if names and isinstance(market, str) and market != "unknown":
        return market
    raise ParameterError(f"{_FUNC}(): market must be 'spot', 'futures' or None, not {market!r} (one market written "
                         "on every line, or None for each URL's own)")
