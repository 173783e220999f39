"""Text logs as trading bots and their libraries write them, read by content.

One reader for every text log (:class:`BotLogReader`, format ``text``): the
shapes below are tried on each line, then the generic layout of
:mod:`.text`. Where each shape comes from:

- **ccxt verbose** (``exchange.verbose = True``; ``Exchange.fetch`` prints
  ``"\\nfetch Request:", id, method, url, "RequestHeaders:", headers, "RequestBody:", body``
  and ``"\\nfetch Response:", id, method, url, status, "ResponseHeaders:", headers, "ResponseBody:", body``;
  ccxt.js prints ``handleRestResponse:`` and may spread one call over
  several lines): printed without timestamps, so the call's time is the
  response's ``Date`` header. The request half is a counted skip.
- **ccxt's DEBUG logger** (``logger.debug("%s %s, Request: %s %s", method, url, headers, body)`` and
  ``"%s %s, Response: %s %s %s", method, url, status, headers, body``): the
  response line is the row, the request line a counted skip.
- **ccxt exception texts** (``"<id> <METHOD> <url> <status> <reason> <body>"``), wherever they are
  logged, such as freqtrade's retrier: ``create_order() returned exception:
  "msx POST https://... 429 Too Many Requests {...}". Retrying still for 3 times.``
- **hummingbot** REST errors: ``Error executing request POST https://host/path. HTTP status is 401.
  Error: {...}`` (the URL ends at the period).
- **urllib3** (``log.debug('%s://%s:%s "%s %s %s" %s %s', scheme, host, port, method, url, version,
  status, length)`` from ``urllib3.connectionpool``): a call without a body.
- **go-zero** access lines (``[HTTP] 400 - POST /api/v1/... - addr - agent``).
- **Structured loggers' JSON lines** (freqtrade's JSON log: ``timestamp``, ``level``, ``logger``,
  ``message``): the message is read as above, timed by the record.
- **docker / compose prefixes** (``freqtrade  | ``, ``bot-1  | ``) are stripped.
- **Multi-line tracebacks** are one event: timed by the log line that opens
  them, a row when that line or the exception's last line names a call
  (``requests.exceptions.ConnectionError: HTTPSConnectionPool(host='...', port=443):
  Max retries exceeded with url: /api/... (Caused by NameResolutionError(...))``
  is a ``transport`` row for that host and path); their other lines are
  counted skips (``continuation``).

A word like "connection" in a logger name (``urllib3.connectionpool``) or a
header is never taken for a transport failure. Lines that are not API calls
are counted skips.
"""

from __future__ import annotations

import re

import orjson

from .._frame import _http_date
from .._rows import STATUS
from ..engine import Chunk, register_reader
from ._fields import Reject, method_of, status_of
from ._lines import TextLines, call_row, iso_time, opening_time
from .text import TextReader, default_row
from .text import parse_chunk as pattern_chunk

SKIP = object()      # not an API call
REQUEST = object()   # the request half of a paired call

_M = r"(?P<method>GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)"
_VERBOSE_RESPONSE = re.compile(
    r"(?:fetch Response:|handleRestResponse:)\s+(?:\[\d\] => )?[\w.\-]+\s+(?:\[\d\] => )?" + _M
    + r"\s+(?:\[\d\] => )?(?P<url>https?://\S+)\s+(?:\[\d\] => )?(?P<status>\d{3})\b(?P<rest>.*)", re.S)
_VERBOSE_REQUEST = re.compile(r"fetch Request:\s+(?:\[\d\] => )?[\w.\-]+\s+(?:\[\d\] => )?" + _M)
_LOGGER_RESPONSE = re.compile(_M + r" (?P<url>https?://\S+), Response: (?P<status>\d{3}) (?P<rest>.*)", re.S)
_LOGGER_REQUEST = re.compile(_M + r" https?://\S+, Request: ")
_HUMMINGBOT = re.compile(r"Error executing request " + _M + r" (?P<url>\S+?)\.?\s+HTTP status is (?P<status>\d{3})\."
                         r"(?:\s*Error:\s*(?P<rest>.*))?", re.S)
_URLLIB3 = re.compile(r"(?P<scheme>https?)://(?P<host>[^\s:/\"]+):(?P<port>\d+) \"" + _M
                      + r" (?P<path>\S+) HTTP/[\d.]+\" (?P<status>\d{3}) (?P<length>\d+|None)\b")
_CCXT_ERROR = re.compile(_M + r" (?P<url>https?://[^\s\"']+)(?: (?P<status>\d{3})\b)?(?P<rest>.*)", re.S)
_METHOD_URL = re.compile(r" (?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) https?://")
_EXCHANGE_ID = re.compile(r"(?:^|[^\w/.])[a-z][\w\-]*$")  # ccxt's exchange id, just before the method
_CCXT_FAILURE = re.compile(r"RequestTimeout|NetworkError|ExchangeNotAvailable|timed out|timeout|refused|reset|"
                           r"name resolution|failed to resolve|unreachable", re.I)
_GOZERO = re.compile(r"\[HTTP\] (?P<status>\d{3}) - " + _M + r" (?P<url>/\S*)")
_WITH_URL = re.compile(r"host='(?P<host>[^']+)', port=(?P<port>\d+)\): .*?with url: (?P<path>\S+?) ?\(")
_HTTP_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT")
_DOCKER = re.compile(r"^[A-Za-z0-9][\w.\-]*\s+\|\s?")
_LABEL = re.compile(r"^\s*(?:fetch Request:|fetch Response:|handleRestResponse:)\s*$")
_LOGGER_NAME = re.compile(r"\b[a-z_]\w*(?:\.\w+)+\b")
_FAILURE = re.compile(r"time[d ]?\s?out|timeout|connection|refused|reset by peer|aborted|name resolution"
                      r"|failed to resolve|unreachable|max retries", re.I)
_MARKERS = re.compile(r"fetch Request:|fetch Response:|handleRestResponse:|, Response: \d{3} |, Request: \{"
                      r"|HTTP status is \d{3}|returned exception: |\" \d{3} (?:\d+|None)\b"
                      r"|^Traceback \(most recent call last\)|\[HTTP\] \d{3} - ")
_TIME_KEYS = ("timestamp", "ts", "time", "@timestamp", "asctime")
_MESSAGE_KEYS = ("message", "msg", "content")


def _balanced(text: str, start: int) -> int:
    """The index after the bracket that closes the one at ``start`` (quotes respected); -1 when unclosed."""
    opener = text[start]
    closer = "}" if opener == "{" else "]"
    depth, quote, i, n = 0, None, start, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _first_body(text: str):
    """The first ``{...}`` or ``[...]`` in ``text`` (or None)."""
    for i, c in enumerate(text):
        if c in "{[":
            j = _balanced(text, i)
            return text[i:j] if j > 0 else text[i:].strip()
        if not c.isspace():
            break
    return None


def _after_headers(rest: str):
    """Split ``"{headers} body"`` (ccxt's logger) into the headers text and the body."""
    rest = rest.lstrip()
    if rest.startswith("{"):
        j = _balanced(rest, 0)
        if j > 0:
            return rest[:j], _first_body(rest[j:]) or (rest[j:].strip() or None)
    return "", _first_body(rest)


def call_in(text: str):
    """Find an API call in one message. Returns a dict of its fields, :data:`REQUEST`, or None.

    Examples
    --------
    >>> found = call_in('create_order() returned exception: "msx POST https://api9528mystks.mystonks.org'
    ...                 '/api/v1/stock/open-api/order 429 Too Many Requests {\\"code\\":429}". '
    ...                 'Retrying still for 3 times.')
    >>> found["method"], found["url"][-28:], found["status"], found["body"]
    ('POST', '/api/v1/stock/open-api/order', 429, '{"code":429}')
    >>> found = call_in('https://api9528mystks.mystonks.org:443 "GET /api/v1/stock/open-api/depth HTTP/1.1" 200 512')
    >>> found["url"], found["status"]
    ('https://api9528mystks.mystonks.org/api/v1/stock/open-api/depth', 200)
    """
    if "Response" in text or "handleRestResponse" in text:
        m = _VERBOSE_RESPONSE.search(text)
        if m is not None:
            rest = m.group("rest")
            head, _, body = rest.partition("ResponseBody:")
            date = _HTTP_DATE.search(head)
            body = body.strip()
            body = _first_body(body) if body[:1] in "{[" else (body.split()[0] if body else None)
            return {"method": m.group("method"), "url": m.group("url"), "status": int(m.group("status")),
                    "body": body, "date": date.group(0) if date else None, "needs_date": True}
        m = _LOGGER_RESPONSE.search(text)
        if m is not None:
            headers, body = _after_headers(m.group("rest"))
            date = _HTTP_DATE.search(headers)
            return {"method": m.group("method"), "url": m.group("url"), "status": int(m.group("status")),
                    "body": body, "date": date.group(0) if date else None}
    if "Request" in text and (_VERBOSE_REQUEST.search(text) or _LOGGER_REQUEST.search(text)):
        return REQUEST
    if "HTTP status is" in text:
        m = _HUMMINGBOT.search(text)
        if m is not None:
            rest = m.group("rest")
            return {"method": m.group("method"), "url": m.group("url"), "status": int(m.group("status")),
                    "body": (_first_body(rest.strip()) or rest.strip() or None) if rest else None}
    if '" ' in text:
        m = _URLLIB3.search(text)
        if m is not None:
            scheme, host, port = m.group("scheme"), m.group("host"), m.group("port")
            default = (scheme, port) in (("https", "443"), ("http", "80"))
            base = f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"
            return {"method": m.group("method"), "url": base + m.group("path"), "status": int(m.group("status"))}
    if "[HTTP]" in text:
        m = _GOZERO.search(text)
        if m is not None:
            return {"method": m.group("method"), "url": m.group("url"), "status": int(m.group("status"))}
    if "://" in text and (head := _METHOD_URL.search(text)) is not None and _EXCHANGE_ID.search(text, 0, head.start()):
        m = _CCXT_ERROR.match(text, head.start() + 1)
        if m is not None:
            url = m.group("url").rstrip(".,;:)")
            if m.group("status") is not None:
                rest = m.group("rest")
                i = min((k for k in (rest.find("{"), rest.find("[")) if k >= 0), default=-1)
                return {"method": m.group("method"), "url": url, "status": int(m.group("status")),
                        "body": _first_body(rest[i:]) if i >= 0 else None}
            if _CCXT_FAILURE.search(text):
                return {"method": m.group("method"), "url": url, "status": None, "error": text.strip()}
    return None


def _traceback_call(last: str):
    """A call named by a traceback's last line: a ccxt text, or a requests/urllib3 ``with url:``."""
    found = call_in(last)
    if isinstance(found, dict):
        return found
    m = _WITH_URL.search(last)
    if m is not None:
        scheme = "http" if m.group("port") == "80" else "https"
        port = "" if m.group("port") in ("80", "443") else ":" + m.group("port")
        return {"method": None, "url": f"{scheme}://{m.group('host')}{port}{m.group('path')}", "status": None,
                "error": last.strip()}
    return None


def _make_row(line: int, ts, found: dict) -> tuple:
    """The row of a found call (see :func:`.call_row`); ``ts`` is the log line's time (None: use the ``Date``
    header)."""
    status = status_of(found["status"]) if found["status"] is not None else None
    error = found.get("error")
    if status is None and not error:
        error = "no response"
    date = found.get("date")
    method = method_of(found.get("method"))
    ts_int = None
    if ts is None:
        ts_int = _http_date(date) if date else None
        if ts_int is None:
            raise Reject("no time: a ccxt verbose response without a Date header, on a line without a timestamp")
    return call_row(line, ts, method, found["url"], status, found.get("body"), error, None, ts_int=ts_int,
                    server_ts=date or None)


def message_row(rec: dict, line: int):
    """A row for a structured logger's JSON record (time + message); :data:`SKIP`; or None when it is not one."""
    ts = next((rec[k] for k in _TIME_KEYS if rec.get(k) is not None), None)
    text = next((rec[k] for k in _MESSAGE_KEYS if isinstance(rec.get(k), str)), None)
    if ts is None or text is None:
        return None
    found = call_in(text)
    if not isinstance(found, dict):
        return SKIP
    if isinstance(ts, str):
        ts = iso_time(ts.strip())
    elif isinstance(ts, (int, float)) and not isinstance(ts, bool):
        ts = repr(ts)
    else:
        return None
    return _make_row(line, ts, found)


def _line_row(text: str, line: int, m):
    """A row for one log line (``m``: its timestamp match, or None); :data:`REQUEST`, or None when it is no call."""
    found = call_in(text[m.end():] if m is not None else text)
    if found is REQUEST:
        return REQUEST
    if isinstance(found, dict):
        if found.get("needs_date"):
            return _make_row(line, None, found)
        if m is None:
            return None  # a call named in a line without a time (e.g. a traceback quoting it): not a row
        return _make_row(line, iso_time(m.group("ts")), found)
    if m is None:
        return None
    row = default_row(text, line)
    if row is not None and row[STATUS] is None:  # no status: is the failure in the call's own words?
        plain = _LOGGER_NAME.sub(" ", text[m.end():])
        i = plain.find("{")
        if i >= 0:
            plain = plain[:i]
        if _FAILURE.search(plain) is None:
            return None
    return row


def _without_docker_prefix(text: str) -> str:
    """A line without the ``service  | `` prefix docker compose writes, when a log line follows it."""
    d = _DOCKER.match(text)
    if d is not None:
        rest = text[d.end():]
        if opening_time(rest) or rest[:1] in ("{", " ", "\t") or rest.startswith("Traceback"):
            return rest
    return text


class _Event:
    """A stamped log line that may open a multi-line event (a traceback), and what the event's lines showed."""

    __slots__ = ("line", "ts", "is_row", "traceback", "last")

    def __init__(self, line: int, ts: str, is_row: bool):
        self.line = line          # the opener's line number
        self.ts = ts              # the opener's time, as logged
        self.is_row = is_row      # whether a row stands for the event: the opener's, or one its traceback named
        self.traceback = False    # whether a traceback has begun
        self.last = None          # the exception's own line, which ended the traceback; None while it goes on


class _BotLog:
    """One chunk of a bot's log, read line by line: what each kind of line does, and the event left open."""

    __slots__ = ("lines", "out", "event")

    def __init__(self, lines: TextLines):
        self.lines = lines
        self.out = lines.out
        self.event: _Event | None = None

    def read(self, line: int, text: str) -> None:
        """Read one line that is not blank: a row, a counted skip or a reject."""
        if "|" in text[:80]:
            text = _without_docker_prefix(text)
        stamp = opening_time(text)
        try:
            if text.rstrip()[-1:] == ":" and _LABEL.match(text):
                self._verbose_dump(line, text)
                return
            if self.event is not None and stamp is None and self._goes_on(text):
                return
            if text.startswith("Traceback (most recent call last)"):  # with no event open: its lines are skips
                self.out.skip("continuation")
                return
            self.event = None
            if text[:1] != "{" or not self._json_message(line, text):
                self._plain_line(line, text, stamp)
        except Reject as exc:
            self.out.reject(line, str(exc), text)
            self.event = None

    def _verbose_dump(self, line: int, label: str) -> None:
        """A ccxt.js verbose dump: its label, then its parts on the lines that follow, up to the next label or
        stamped line, or the line after the body's label. The call is the label line's row."""
        lines, j = self.lines.lines, self.lines.next
        parts = [label.strip()]
        while j < len(lines) and not _LABEL.match(lines[j]) and not opening_time(lines[j]):
            parts.append(lines[j].strip())
            j += 1
            if parts[-2].endswith(("ResponseBody:", "RequestBody:")):
                break
        self.out.skip("continuation", j - self.lines.next)
        self.lines.next = j
        self.event = None
        found = call_in(" ".join(parts))
        if found is REQUEST:
            self.out.skip("request half")
        elif isinstance(found, dict):
            self.lines.add(_make_row(line, None, found))
        else:
            self.out.skip("not an API call")

    def _goes_on(self, text: str) -> bool:
        """Whether a line without a timestamp goes on the open event's traceback (a counted skip).

        The exception's own line, which ends the traceback, makes the event a row when it names a call that
        the opener did not.
        """
        event = self.event
        if text.startswith(("Traceback", "During handling", "The above exception")) or text[:1] in " \t":
            self.out.skip("continuation")
            event.last = None
            event.traceback = event.traceback or text.startswith("Traceback")
            return True
        if event.last is not None or not event.traceback:
            return False
        self.out.skip("continuation")
        event.last = text
        if not event.is_row:
            found = _traceback_call(text)
            if found is not None:
                self.lines.add(_make_row(event.line, iso_time(event.ts), found))
                self.out.skipped -= 1  # the opener, counted as a skip when it was read, is the row
                self.out.skip_reasons["not an API call"] -= 1
                event.is_row = True
        return True

    def _json_message(self, line: int, text: str) -> bool:
        """Whether a line opening with ``{`` is a structured logger's JSON record: its message's call is a row,
        else a skip."""
        if text.rstrip()[-1:] != "}":
            return False
        try:
            rec = orjson.loads(text)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(rec, dict):
            return False
        row = message_row(rec, line)
        if row is None or row is SKIP:
            self.out.skip("not an API call")
        else:
            self.lines.add(row)
        return True

    def _plain_line(self, line: int, text: str, stamp) -> None:
        """A log line of any other shape: a row when it names a call; stamped, it may open an event."""
        row = _line_row(text, line, stamp)
        if row is REQUEST:
            self.out.skip("request half")
        elif row is None:
            self.out.skip("not an API call")
        else:
            self.lines.add(row)
        if stamp is not None:
            self.event = _Event(line, stamp.group("ts"), row is not None and row is not REQUEST)


def parse_chunk(data: bytes, source: str, options) -> Chunk:
    """Parse bytes of whole log lines of any shape above; line numbers count from 1 within ``data``."""
    if options.pattern is not None:
        return pattern_chunk(data, source, options)
    lines = TextLines(data)
    read = _BotLog(lines).read
    for line, text in lines:
        read(line, text)
    return lines.finish(source, options)


class BotLogReader(TextReader):
    """Reads text logs of any shape above (and the generic layout of :mod:`.text`)."""

    name = "text"
    parse_chunk = staticmethod(parse_chunk)

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:
        """1.0 when a line that is not JSON shows a bot library's shape; else the share of timestamped lines."""
        if options.pattern is None:
            for raw in lines:
                s = raw.lstrip()
                if s[:1] != b"{" and _MARKERS.search(raw.decode("utf-8", "replace")):
                    return 1.0
        return TextReader.sniff(lines, options)


register_reader(BotLogReader())

__all__ = ["REQUEST", "SKIP", "BotLogReader", "call_in", "message_row", "parse_chunk"]
