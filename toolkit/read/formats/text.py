"""Bot text logs: one API call per line, found by pattern.

This is the generic layout; the shapes bot libraries write (ccxt,
freqtrade, hummingbot, urllib3, tracebacks) are read by :mod:`.botlogs`,
which falls back on this one.

A line is an API call when it begins with a timestamp (ISO-8601, or
``YYYY-MM-DD HH:MM:SS,mmm`` as Python's logging writes it; no zone means
UTC) and holds an HTTP method followed by a URL or path. Then:

- status: ``status=NNN``, ``status NNN``, ``status: NNN``, ``-> NNN`` or
  ``HTTP NNN`` (``HTTP/1.1 NNN``);
- body: the ``{...}`` on the line, JSON or a Python dict as logging prints
  ``resp.json()`` (read with :func:`ast.literal_eval`, which runs no code),
  else an HTML page (``<...``) logged after the status;
- latency: ``NNN ms`` or ``NNNms`` outside the body;
- no status, but a timeout or connection error mentioned: a call that got
  no response (``transport``).

A 2xx line without a body is ``ok`` with reason ``unverified``, as in every
format: the exchange answers business errors with HTTP 200, so such a row
may hide one; the load report counts these rows.

Every other line (start-up messages, strategy output, tracebacks, and lines
with a method and URL but neither a status nor an error, such as
``sending POST /order``) is skipped and counted.

A ``pattern`` (a regex with named groups ``ts``, ``url`` and any of
``method``, ``status``, ``body``, ``error``, ``latency_ms``) replaces the
default: lines it does not find a match in are skipped; a match with a
status is a response, a match with an ``error`` and no status a transport
failure.
"""

from __future__ import annotations

import re

from ...errors import ParameterError, ParameterTypeError
from ..engine import Chunk, LineReader
from ._fields import Reject, method_of, status_of
from ._lines import TextLines, call_row, iso_time, line_text, opening_time, parse_text_body

_CALL = re.compile(
    r"(?<![A-Za-z])(?P<method>GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)\s++"
    r"(?P<url>https?://[^\s\"'<>]++|/[^\s\"'<>]*+)", re.A
)
_STATUS = re.compile(
    r"(?:\bstatus(?:[_ ]?code)?\s*+(?:[=:]\s*+)?|[-=]>\s*+|\bHTTP(?:/\d(?:\.\d)?)?\s++)(?P<status>\d{3})(?!\d)",
    re.I | re.A)
_FAILURE = re.compile(
    r"time[d ]?\s?out|timeout|connection|refused|reset by peer|aborted|name resolution|failed to resolve"
    r"|unreachable|max retries", re.I | re.A)
_LATENCY = re.compile(r"(?<![\w.])(?P<ms>\d++(?:\.\d++)?)\s?ms\b", re.A)
_SYMBOL = re.compile(r"""\bsymbol['"]?\s*+[=:]\s*+['"]?(?P<symbol>[A-Za-z0-9][A-Za-z0-9/_.\-]*+)""", re.A)
_URL_TAIL = ",;:.)]}'\""
# a gateway's HTML page, wherever it starts after the status (``elapsed=283.8ms body=<html>``, ``(657.7 ms) <html>``)
_PAGE = re.compile(r"<(?:!doctype|html|head|body|title|h[1-6]|center|p|div|pre)\b", re.I | re.A)
GROUPS = frozenset(("ts", "method", "url", "status", "body", "error", "latency_ms"))


def compile_pattern(pattern) -> re.Pattern | None:
    """Check a user's line pattern: a regex (text or compiled) with named groups ``ts`` and ``url``."""
    if pattern is None:
        return None
    if not isinstance(pattern, (str, re.Pattern)):
        raise ParameterTypeError(f"pattern must be a regex string or a compiled pattern, "
                                 f"not {type(pattern).__name__}")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ParameterError(f"pattern is not a valid regex: {pattern!r} ({exc})") from None
    names = set(compiled.groupindex)
    unknown = sorted(names - GROUPS)
    if unknown:
        raise ParameterError(f"pattern has unknown named groups {unknown}; use {sorted(GROUPS)}")
    missing = sorted({"ts", "url"} - names)
    if missing:
        raise ParameterError(f"pattern needs the named groups 'ts' and 'url'; "
                             f"{missing} missing in {compiled.pattern!r}")
    return compiled


def _body_and_rest(rest: str) -> tuple[str | None, str]:
    """Split what follows the URL into the ``{...}`` body (or None) and the text around it."""
    i = rest.find("{")
    if i < 0:
        return None, rest
    j = rest.rfind("}")
    if j < i:
        return None, rest
    return rest[i:j + 1], rest[:i] + " " + rest[j + 1:]


def default_row(line_text: str, line: int):
    """A row for a line of the default layout; None when the line is not an API call."""
    m = opening_time(line_text)
    if m is None:
        return None
    call = _CALL.search(line_text, m.end())
    if call is None:
        return None
    ts = iso_time(m.group("ts"))
    rest = line_text[call.end():]
    body_text, around = _body_and_rest(rest)
    st = _STATUS.search(around)
    if st is not None and "<" in rest:  # a gateway's page logged after the status (its CSS may hold braces)
        page = _PAGE.search(rest, rest.find("<"))
        if page is not None and (body_text is None or page.start() < rest.find("{")):
            before = _STATUS.search(rest, 0, page.start())
            if before is not None:
                st, around, body_text = before, rest[:page.start()], rest[page.start():].strip()
    if st is not None:
        status = status_of(st.group("status"))
        error = None
        if body_text is None:  # a gateway's page logged after the status
            tail = around[st.end():].strip()
            body_text = tail if tail.startswith("<") else None
    else:
        status = None
        if _FAILURE.search(rest) is not None:  # the failure, as written after the URL
            error = rest.strip(" \t|-:")
        elif _FAILURE.search(line_text, m.end(), call.start()) is not None:  # ... or before the method
            error = line_text[m.end():].strip(" \t]|-:")
        else:
            return None
    url = call.group("url").rstrip(_URL_TAIL)
    lat = _LATENCY.search(around) if "ms" in around else None
    sym = _SYMBOL.search(around) if "symbol" in around else None
    return call_row(line, ts, call.group("method"), url, status, body_text, error,
                    float(lat.group("ms")) if lat else None, sym.group("symbol") if sym else None)


def pattern_row(line_text: str, line: int, pattern: re.Pattern):
    """A row for a line the user's pattern matches; None when it does not (or is no call)."""
    m = pattern.search(line_text)
    if m is None:
        return None
    g = m.groupdict()
    ts, url = g.get("ts"), g.get("url")
    raw_status, error = g.get("status"), g.get("error")
    if raw_status is None and not (error and error.strip()):
        return None
    if not ts:
        raise Reject("pattern matched, but its 'ts' group is empty")
    if not url:
        raise Reject("pattern matched, but its 'url' group is empty")
    method = method_of(g.get("method"))
    status = status_of(raw_status.strip()) if raw_status is not None else None
    latency = g.get("latency_ms")
    try:
        latency = float(latency) if latency else None
    except ValueError:
        raise Reject(f"latency_ms is not a number: {latency[:20]!r}") from None
    if status is None and not (error and error.strip()):
        return None  # status 0 and no error: not a call this pattern describes
    body = g.get("body")
    body = body.strip() or None if body is not None else None
    return call_row(line, iso_time(ts.strip()), method, url.rstrip(_URL_TAIL), status, body,
                    error.strip() if status is None else None, latency)


def parse_chunk(data: bytes, source: str, options) -> Chunk:
    """Parse bytes of whole log lines; line numbers count from 1 within ``data``."""
    lines = TextLines(data)
    out, add, pattern = lines.out, lines.add, options.pattern
    for line, text in lines:
        try:
            row = default_row(text, line) if pattern is None else pattern_row(text, line, pattern)
        except Reject as exc:
            out.reject(line, str(exc), text)
            continue
        if row is None:
            out.skipped += 1
        else:
            add(row)
    return lines.finish(source, options)


class TextReader(LineReader):
    """Reads text logs in chunks of whole lines, several processes at once for big files."""

    name = "text"
    title = "text logs"
    suffixes = (".log", ".txt")
    rank = 40
    options = {"pattern": compile_pattern}
    parse_chunk = staticmethod(parse_chunk)

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:
        """Share of sample lines that begin with a timestamp (or that the user's pattern matches)."""
        if not lines:
            return 0.0
        pattern = options.pattern
        stamped = matched = 0
        for raw in lines:
            text = raw.decode("utf-8", "replace")
            stamped += opening_time(text) is not None
            matched += pattern is not None and pattern.search(text) is not None
        return max(stamped, matched) / len(lines)


__all__ = ["GROUPS", "TextReader", "compile_pattern", "default_row", "line_text", "parse_chunk", "parse_text_body",
           "pattern_row"]
