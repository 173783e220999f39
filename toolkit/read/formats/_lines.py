"""What the text-log readers (:mod:`.text`, :mod:`.botlogs`) share: a chunk's lines as a reader goes through
them (:class:`TextLines`), the timestamp that opens a log line (:func:`opening_time`, :func:`iso_time`), and the row
of a call found in a line (:func:`call_row`, with its logged body read by :func:`parse_text_body`).
"""

from __future__ import annotations

import ast
import re

import orjson

from .._excerpt import clean_data
from .._frame import parse_body
from .._orders import NO_ORDER, names_orders, order_fields
from .._rows import NO_BODY, Batch
from ..engine import Chunk

_TS = r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:\s?(?:Z|UTC|[+-]\d\d(?::?\d\d)?))?)"
# ASCII digits and spaces only, and possessive runs: a line of any shape is matched in linear time
_STARTS = re.compile(r"^\s*+\[?" + _TS + r"(?![\d:.,])", re.A)
#: ``opening_time(text)``: the match of the timestamp a log line opens with (group ``ts``), or None.
#: ISO-8601, or ``YYYY-MM-DD HH:MM:SS,mmm`` as Python's logging writes it; no zone means UTC.
#: (The pattern's ``match``, bound once: the readers call it on every line.)
opening_time = _STARTS.match
_BLANK = " \t\r\n\x0b\x0c"


def line_text(text: str):
    """A text line without a leading BOM (files joined with cat) and its CR; None when it is
    blank (ASCII whitespace and BOMs only).

    Examples
    --------
    >>> line_text("\\ufeff2026-11-20 21:05:00 GET /x -> 200\\r"), line_text(" \\ufeff\\t")
    ('2026-11-20 21:05:00 GET /x -> 200', None)
    """
    if "\ufeff" in text[:1]:
        text = text.lstrip("\ufeff")
    if not text.replace("\ufeff", "").strip(_BLANK):
        return None
    return text.rstrip("\r")


class TextLines:
    """The lines of one chunk of a text log as a reader goes through them, and what they gave.

    Iterating gives ``(line, text)`` for each line that is not blank (blank
    ones are counted), numbered from 1, its text as :func:`line_text` gives it.
    A reader that reads one record over several lines takes the lines that
    follow from :attr:`lines`, from index :attr:`next` on, and moves
    :attr:`next` past them. Rows go to :meth:`add`; skips and rejects to
    :attr:`out`, the :class:`~toolkit.read.engine.Chunk` that :meth:`finish`
    hands over.
    """

    __slots__ = ("lines", "next", "out", "add", "_batch")

    def __init__(self, data: bytes):
        lines = data.decode("utf-8", "replace").split("\n")
        if lines and not lines[-1]:
            lines.pop()
        self.lines = lines
        self.next = 0  # the index of the next line to read
        self.out = Chunk()
        self.out.size = len(lines)
        self._batch = Batch(lambda n: lines[n - 1])
        self.add = self._batch.rows.append

    def __iter__(self):
        lines, out = self.lines, self.out
        n = len(lines)
        i = self.next
        while i < n:
            text = line_text(lines[i])
            i += 1
            self.next = i
            if text is None:
                out.blank += 1
            else:
                yield i, text
                i = self.next  # perhaps moved on by the reader

    def finish(self, source: str, options) -> Chunk:
        """The chunk's accounting, with the frame of its rows (tagged ``source``, classified by ``options.rules``)."""
        self.out.add(self._batch, source, options.rules)
        return self.out


def iso_time(ts: str) -> str:
    """A logged time as ISO-8601: ``,mmm`` (logging's default) as ``.mmm``, ``UTC`` as ``Z``.

    Examples
    --------
    >>> iso_time("2026-11-20 21:05:00,123"), iso_time("2026-11-20 21:05:00 UTC")
    ('2026-11-20 21:05:00.123', '2026-11-20 21:05:00Z')
    """
    if "," in ts:
        ts = ts.replace(",", ".")
    if ts.endswith("UTC"):
        ts = ts[:-3].rstrip() + "Z"
    return ts


_PY_TOKEN = re.compile(r"""'([^'\\]*)'|"([^"\\]*)"|\b(True|False|None)\b|(['"\\])""")
_PY_WORDS = {"True": "true", "False": "false", "None": "null"}


def _python_as_json(text: str) -> str | None:
    """A Python dict literal rewritten as JSON (quotes, ``True``, ``None``); None when escapes make it hard."""
    def swap(m):
        if m.group(4) is not None:  # a backslash, or a quote left over: not a simple literal
            raise ValueError
        if m.group(3) is not None:
            return _PY_WORDS[m.group(3)]
        inner = m.group(1) if m.group(1) is not None else m.group(2)
        return '"' + inner.replace('"', '\\"') + '"' if '"' in inner else '"' + inner + '"'

    try:
        return _PY_TOKEN.sub(swap, text)
    except ValueError:
        return None


def parse_text_body(text: str):
    """A logged body: JSON, or a Python dict literal; other text stays text.

    Examples
    --------
    >>> parse_text_body('''{'code': 0, 'msg': "it's fine", 'ok': True, 'data': None}''')
    {'code': 0, 'msg': "it's fine", 'ok': True, 'data': None}
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    as_json = _python_as_json(text)  # fast path for what repr() prints; ast below is the reference
    if as_json is not None:
        try:
            value = orjson.loads(as_json)
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(value, dict):
                return value
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text
    return clean_data(value) if isinstance(value, dict) else text  # '\\ud800' escapes made lone surrogates


def call_row(line: int, ts: str | None, method, url: str, status, body_text, error, latency, symbol=None,
             ts_int=None, server_ts=None) -> tuple:
    """The row of a call found in a log line: its body read when a response came, its error kept when none did.

    ``ts`` is the time as logged (ISO-8601 text); ``ts_int`` an epoch number for a line that has none. The
    row is a :class:`~.._rows.Row`'s fields, as every reader hands them over.
    """
    order = NO_ORDER
    if status is None:
        kind, code, message, items, failed = NO_BODY, None, None, None, None
    else:
        body = None if body_text is None else parse_text_body(body_text)
        kind, code, message, items, failed = parse_body(body)
        if type(body) is dict and names_orders(url):  # the answer names the order (a logged request body is its own, skipped line)
            order = order_fields(None, None, body.get("data"))
        error = None
    return (line, ts, ts_int, method, url, status, kind, code, message, error, latency, None, symbol, None,
            server_ts, items, failed, None, None, *order)  # a log line names neither its bot nor its key: the file's name does
