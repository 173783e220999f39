"""Masking parsed data (JSON, YAML) and the text it holds as bytes (plain, gzip or deflate): :func:`redact_data`.

Containers are walked with a stack of their own, so data nested thousands deep is masked like any other.
"""

from __future__ import annotations

from ._key import is_key_id
from ._text import MASK, MIN_ECHO, is_secret_name, redact_found

__all__ = ["redact_data"]


def redact_data(data, *, text: bool = True) -> tuple[object, int]:
    """Return a copy of parsed JSON or YAML data with every secret masked, and how many were.

    Masked: every string or number under a secret name, at any depth (so a
    list of header values under ``ACCESS-KEY`` is masked item by item); the
    ``value`` of a ``{"name": ..., "value": ...}`` pair whose name is secret
    (HAR headers, query strings, cookies); and, when ``text`` is true, secrets
    inside other strings and UTF-8 or gzip bytes (URLs with ``?apiKey=``, JSON
    held in a string) as :func:`redact` finds them. Shapes and types are kept,
    so the result serialises back into the same format.

    Examples
    --------
    >>> redact_data({"headers": {"ACCESS-SIGN": ["c2ln"]}, "url": "/api?apiKey=k1&x=1", "n": 2})
    ({'headers': {'ACCESS-SIGN': ['***']}, 'url': '/api?apiKey=***&x=1', 'n': 2}, 2)
    """
    walk = _Walk(text)
    out = walk.data(data, False)
    if walk.seen:  # the values masked under secret names, wherever else they appear
        walk = _Walk(text, walk)
        out = walk.data(out, False)
    return out, walk.count


_CONTAINERS = (dict, list, tuple)
_RAW, _BASE64 = object(), object()  # a child kept as it is (a header pair's name); a HAR body's base64 text


class _Frame:
    """A container being masked: its children still to do, ``(key, value, secret, how)``, and those done."""

    __slots__ = ("obj", "secret", "todo", "out")

    def __init__(self, obj, secret: bool):
        self.obj, self.secret, self.out = obj, secret, []
        self.todo = _children(obj, secret)


def _children(obj, secret: bool):
    """``(key, value, secret, how)`` for each child of a container, in order: whether its value is secret, and
    how it is masked (``None``: as data)."""
    if type(obj) is not dict:
        if len(obj) == 2 and is_secret_name(obj[0]):  # a header pair: ["ACCESS-KEY", "..."]
            yield 0, obj[0], False, _RAW
            yield 1, obj[1], True, None
        else:
            for i, v in enumerate(obj):
                yield i, v, secret, None
    elif "name" in obj and "value" in obj:  # a HAR-style pair: only its value can be secret
        secret_value = secret or is_secret_name(obj["name"])
        for k, v in obj.items():
            yield k, v, secret_value if k == "value" else k != "name" and is_secret_name(k), None
    elif obj.get("encoding") == "base64" and type(obj.get("text")) is str and not secret:  # a HAR body
        for k, v in obj.items():
            yield k, v, is_secret_name(k), _BASE64 if k == "text" else None
    else:
        for k, v in obj.items():
            yield k, v, secret or is_secret_name(k), None


class _Walk:
    """One masking pass over parsed data; shared (YAML-aliased) containers are masked once."""

    def __init__(self, text: bool, first: _Walk | None = None):
        self.text = text
        self.count = first.count if first else 0
        self.seen: set[str] = set()
        self.echo = sorted(first.seen, key=len, reverse=True) if first else ()
        self.memo: dict = {}

    def data(self, root, secret: bool):
        """``root`` with its secrets masked. Containers are walked with a stack of their own, not by recursion,
        so data nested thousands deep (as JSON and YAML allow) is masked like any other."""
        if type(root) not in _CONTAINERS:
            return self._leaf(root, secret)
        hit = self.memo.get((id(root), secret))
        if hit is not None:
            return hit[1]
        stack = [_Frame(root, secret)]
        while True:
            frame = stack[-1]
            for key, value, child, how in frame.todo:
                if how is _RAW:
                    frame.out.append(value)
                elif how is _BASE64:
                    frame.out.append(self._base64(value))
                elif type(value) in _CONTAINERS:
                    hit = self.memo.get((id(value), child))
                    if hit is None:
                        stack.append(_Frame(value, child))
                        break
                    frame.out.append(hit[1])
                else:
                    frame.out.append(self._leaf(value, child))
            else:  # every child done
                stack.pop()
                obj = frame.obj
                out = dict(zip(obj.keys(), frame.out)) if type(obj) is dict else type(obj)(frame.out)
                self.memo[(id(obj), frame.secret)] = (obj, out)  # obj kept alive so its id is not reused
                if not stack:
                    return out
                stack[-1].out.append(out)

    def _leaf(self, obj, secret: bool):
        t = type(obj)
        if secret:
            if t is str or t is int or t is float or t is bytes:
                if obj != MASK and obj != MASK.encode() and not (t is str and is_key_id(obj)):
                    self.count += 1
                    if t is not bytes and len(str(obj)) >= MIN_ECHO:
                        self.seen.add(str(obj))
                    return MASK if t is not bytes else MASK.encode()
            return obj
        if t is str:
            return self._text(obj)
        if t is bytes and self.text:
            return self._bytes(obj)
        return obj

    def _text(self, text: str) -> str:
        if self.text:
            text, n, seen = redact_found(text)
            self.count += n
            self.seen |= seen
        for value in self.echo:
            n = text.count(value)
            if n:
                text = text.replace(value, MASK)
                self.count += n
        return text

    def _bytes(self, data: bytes) -> bytes:
        before = self.count
        new = _redact_bytes(data, self)
        return new if self.count > before else data

    def _base64(self, text: str) -> str:
        import base64
        import binascii

        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return self._text(text)
        before = self.count
        new = _redact_bytes(raw, self)
        return base64.b64encode(new).decode("ascii") if self.count > before else text


def _redact_bytes(data: bytes, walk: _Walk) -> bytes:
    """Secrets in UTF-8 text held as bytes, plain, gzip or deflate (zlib-wrapped or raw) compressed."""
    import gzip
    import zlib

    pack = None
    try:
        plain = data.decode("utf-8")
    except UnicodeDecodeError:
        plain = None
        for wbits in (31, zlib.MAX_WBITS, -zlib.MAX_WBITS):  # gzip, zlib, raw deflate
            try:
                unpacked = zlib.decompress(data, wbits)
                plain = unpacked.decode("utf-8")
            except (zlib.error, UnicodeDecodeError):
                continue
            pack = wbits
            break
        if plain is None:
            return data
    before = walk.count
    new = walk._text(plain)
    if walk.count == before:
        return data
    new_bytes = new.encode("utf-8", "surrogatepass")
    if pack is None:
        return new_bytes
    if pack == 31:
        return gzip.compress(new_bytes, mtime=0)
    packer = zlib.compressobj(wbits=pack)
    return packer.compress(new_bytes) + packer.flush()
