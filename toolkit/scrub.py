"""Mask the secrets in a recording so that it can be shared: :func:`scrub`.

What counts as a secret is :mod:`toolkit.secrets`' one definition. Each
format is rewritten the way that keeps the most of it byte-for-byte:

- JSON Lines: line by line; a line without secrets is copied as it is, and a
  line with some keeps its layout when masking its text gives the same data
  as masking its parsed record (else it is written anew, compactly).
- HAR and VCR cassettes: the document is parsed and masked as data; when
  masking its text gives the same data, the text is kept, else the document
  is written anew (HAR and JSON cassettes as indented JSON, YAML cassettes as
  vcrpy writes them, which vcrpy loads back).
- Text logs: line by line, ``name=value``, ``"name": "value"`` and
  ``Name: value`` pairs of secret names masked.

Gzip in gives gzip out.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import orjson

from ._io import atomic_file
from .errors import LogFormatError
from .read.engine import open_recording, read_options, reader
from .secrets import mentions_secret, redact_count, redact_data

_JSON_DOC = re.compile(rb"^\s*[{\[]")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Scrubbed:
    """What :func:`scrub` did: the file written, the format it read, how many values it masked."""

    path: str
    format: str
    replaced: int


def scrub(source, out=None, *, format: str = "auto", pattern=None) -> Scrubbed:
    """Rewrite a recording with every secret value replaced by ``***``.

    Parameters
    ----------
    source : str or Path
        A recording in any format :func:`toolkit.read_logs` reads (gzip too).
    out : str or Path, optional
        Where to write; by default ``source`` is replaced (atomically, once the
        masked copy is complete). A link is followed: scrubbing a link in place
        rewrites the file it points to (the link stays), and ``path`` names that
        file. Either way the file written has the permission
        bits of ``source``, and an error or ^C while writing leaves ``source``
        and ``out`` as they were. When nothing is masked ``source`` is left
        untouched and ``out`` gets an exact copy of it.
    format : {"auto", "jsonl", "har", "vcr", "text", "wslog"}
        As in :func:`toolkit.read_logs`.
    pattern : str or re.Pattern, optional
        The layout of text logs, as in :func:`toolkit.read_logs`: with it, a
        log of that layout is told apart from other formats as the loader does.

    Returns
    -------
    Scrubbed
        ``path`` written, ``format`` read and ``replaced``, the number of values masked.

    Examples
    --------
    >>> import pathlib, tempfile, toolkit
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "calls.jsonl"
    >>> _ = p.write_text('{"ts": 1, "url": "/api/v1/order?apiKey=ak-1", "status": 200}\\n'
    ...                  '{"ts": 2, "url": "/api/v1/order", "status": 200}\\n')
    >>> toolkit.scrub(p).replaced
    1
    >>> print(p.read_text(), end="")
    {"ts": 1, "url": "/api/v1/order?apiKey=***", "status": 200}
    {"ts": 2, "url": "/api/v1/order", "status": 200}
    """
    options = read_options(format=format, pattern=pattern)
    src = Path(source)
    if not src.is_file():
        raise FileNotFoundError(f"no such recording: {str(source)!r}")
    target = Path(out) if out is not None else src
    if target.is_symlink():  # write through the link to its file, never replace the link with a copy
        target = Path(os.path.realpath(target))
    in_place = target == src or (target.exists() and os.path.samefile(src, target))
    mode = stat.S_IMODE(os.stat(src).st_mode)  # the copy is as readable as the original, no more
    with open_recording(src, options) as rec:  # damaged gzip: the one error naming the file; nothing is written
        try:
            with atomic_file(target, mode=mode, fsync=in_place) as raw:
                # the gzip header names the file written, not its temporary name
                gz = gzip.GzipFile(filename=target.name, mode="wb", fileobj=raw) if rec.compressed else None
                with contextlib.nullcontext(raw) if gz is None else gz as fout:
                    replaced = _SCRUBBERS[rec.format](rec.stream, fout, str(src))
                if not replaced:
                    raise _Unchanged
        except _Unchanged:  # nothing to mask: the source stays as it is, out= gets an exact copy (not re-compressed)
            if not in_place:
                with atomic_file(target, mode=mode) as raw, open(src, "rb") as fin:
                    shutil.copyfileobj(fin, raw)
    return Scrubbed(str(target), rec.format, replaced)


class _Unchanged(Exception):
    """Raised inside :func:`~toolkit._io.atomic_file` to drop a copy that masked nothing."""


def _lines(fin, fout, scrub_line) -> int:
    """Scrub a line format a block of whole lines at a time: a block without a secret word is copied as it is,
    the lines of any other are scrubbed one by one (only LF ends a line)."""
    total, pending = 0, []  # the blocks of a line whose LF is not read yet
    while True:
        block = fin.read(_BLOCK)
        cut = block.rfind(b"\n") + 1 if block else 0
        if block and not cut:
            pending.append(block)
            continue
        whole = b"".join(pending + [block[:cut]]) if pending else block[:cut]
        pending = [block[cut:]] if block and cut < len(block) else []
        if whole and not mentions_secret(whole):
            fout.write(whole)
        elif whole:
            for line in io.BytesIO(whole):
                new, n = scrub_line(line)
                total += n
                fout.write(new)
        if not block:
            return total


def _split_end(line: bytes) -> tuple[bytes, bytes]:
    body = line.rstrip(b"\r\n")
    return body, line[len(body):]


def _text_line(line: bytes) -> tuple[bytes, int]:
    if not mentions_secret(line):
        return line, 0
    body, end = _split_end(line)
    text, n = redact_count(body.decode("utf-8", "surrogateescape"))
    return (text.encode("utf-8", "surrogateescape") + end, n) if n else (line, 0)


def _jsonl_line(line: bytes) -> tuple[bytes, int]:
    if not mentions_secret(line):
        return line, 0
    body, end = _split_end(line)
    try:
        record = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _text_line(line)  # not JSON for orjson (BOMs, lone surrogates): mask it as text, keep it otherwise
    clean, n = redact_data(record)
    if not n:
        return line, 0
    return _keep_layout(body, clean, orjson.loads, orjson.dumps) + end, n


def _keep_layout(raw: bytes, clean, load, dump) -> bytes:
    """``raw`` with its secrets masked as text when that gives ``clean``; else ``clean`` written anew (as
    compact JSON, written without recursion, when ``dump`` cannot go as deep as the data)."""
    text, _ = redact_count(raw.decode("utf-8", "surrogateescape"))
    masked = text.encode("utf-8", "surrogateescape")
    try:
        if _same(load(masked), clean):
            return masked
    except (ValueError, RecursionError):  # invalid YAML included
        pass
    try:
        return dump(clean)
    except (TypeError, ValueError, RecursionError):  # orjson writes 255 levels, json and PyYAML fewer than 1000
        if dump is _dump_yaml:
            raise
        return _deep_json(clean)


def _same(a, b) -> bool:
    """``a == b`` for parsed data, comparing each pair of shared (YAML-aliased) containers once; walked with a
    stack, so data nested thousands deep compares too."""
    done: set = set()
    stack = [(a, b)]
    while stack:
        a, b = stack.pop()
        t = type(a)
        if t is not type(b):
            if not (a == b and t in _NUMBERS and type(b) in _NUMBERS):
                return False
        elif t is dict or t is list or t is tuple:
            key = (id(a), id(b))
            if key in done:
                continue
            done.add(key)
            if t is dict:
                if a.keys() != b.keys():
                    return False
                stack.extend((v, b[k]) for k, v in a.items())
            else:
                if len(a) != len(b):
                    return False
                stack.extend(zip(a, b))
        elif a != b:
            return False
    return True


_NUMBERS = (int, float, bool)


def _deep_json(data) -> bytes:
    """``data`` as compact JSON, containers written with a stack of their own (orjson refuses data nested more
    than 255 levels deep)."""
    out: list[bytes] = []
    stack = [data]
    while stack:
        item = stack.pop()
        t = type(item)
        if t is bytes:  # punctuation pushed below (parsed JSON holds no bytes)
            out.append(item)
        elif t is dict:
            stack.append(b"}")
            pairs = list(item.items())
            for i in range(len(pairs) - 1, -1, -1):
                stack.append(pairs[i][1])
                stack.append(orjson.dumps(str(pairs[i][0])) + b":")
                if i:
                    stack.append(b",")
            stack.append(b"{")
        elif t is list or t is tuple:
            stack.append(b"]")
            for i in range(len(item) - 1, -1, -1):
                stack.append(item[i])
                if i:
                    stack.append(b",")
            stack.append(b"[")
        else:
            out.append(orjson.dumps(item))
    return b"".join(out)


def _jsonl(fin, fout, name) -> int:
    return _lines(fin, fout, _jsonl_line)


def _text(fin, fout, name) -> int:
    return _lines(fin, fout, _text_line)


def _document(scrub_raw):
    """A whole-file scrubber from ``scrub_raw(raw, name) -> (bytes, replaced)``."""

    def run(fin, fout, name) -> int:
        raw = fin.read()
        new, n = scrub_raw(raw, name)
        fout.write(new if n else raw)
        return n

    return run


def _json_raw(raw: bytes, name: str) -> tuple[bytes, int]:
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    body = raw[len(bom):]
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:  # what the loader reads too: invalid UTF-8, escaped lone surrogates
            doc = json.loads(body.decode("utf-8", "replace"))
        except (ValueError, RecursionError):
            raise LogFormatError(f"{name}: not valid JSON ({exc}); nothing was written") from None
    clean, n = redact_data(doc)
    if not n:
        return raw, 0
    m = re.search(rb"\n([ \t]+)\S", body[:4096])
    indent = None if m is None else len(m.group(1).expandtabs(4))

    def dump(data):
        text = json.dumps(data, indent=indent, ensure_ascii=False)
        return text.encode("utf-8", "surrogatepass") + (b"\n" if body.endswith(b"\n") else b"")

    return bom + _keep_layout(body, clean, orjson.loads, dump), n


def _load_yaml(data: bytes):
    """A YAML cassette's document, as the loader reads it; a ``ValueError`` when it is not valid YAML."""
    return reader("vcr").load(data)


def _dump_yaml(data) -> bytes:
    return reader("vcr").dump(data)


def _cassette_raw(raw: bytes, name: str) -> tuple[bytes, int]:
    if _JSON_DOC.match(raw[:64]):
        return _json_raw(raw, name)  # vcrpy's JSON serializer
    try:
        doc = _load_yaml(raw)
    except (ValueError, RecursionError) as exc:
        raise LogFormatError(f"{name}: not valid YAML ({exc}); nothing was written") from None
    clean, n = redact_data(doc)
    if not n:
        return raw, 0
    try:
        return _keep_layout(raw, clean, _load_yaml, _dump_yaml), n
    except (TypeError, ValueError, RecursionError):
        raise LogFormatError(f"{name}: nested too deeply to be written again as YAML; nothing was written") from None


_SCRUBBERS = {"jsonl": _jsonl, "text": _text, "wslog": _text, "har": _document(_json_raw), "vcr": _document(_cassette_raw)}

__all__ = ["scrub", "Scrubbed"]
