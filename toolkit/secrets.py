"""Find and mask API keys, signatures and other secrets in names and text.

One definition serves the recorder, the loader (messages, reject excerpts,
warnings), the store and :func:`toolkit.scrub`. A field is secret when its
name contains ``key``, ``sign``, ``secret``, ``token``, ``password``
(``passwd``), ``passphrase``, ``authorization`` or ``cookie``
(case-insensitive), which covers the exchange's ``ACCESS-KEY``,
``ACCESS-SIGN`` and ``ACCESS-PASSPHRASE`` headers and query parameters such
as ``apiKey`` or ``signature``. In text, masked are:

- the value of such a name written ``"name": "value"`` (JSON, Python reprs,
  JSON held in a string with escaped quotes, names spelled with ``\\u``
  escapes), also when the value is a number or a list of values;
- ``name=value`` and ``name: value`` (query strings, URL fragments, form
  bodies, ``api_key = X`` logs, header lines, YAML block lists; ``Bearer``/``Basic``
  tokens whole), and a credential-like word (holding a digit, or 20 characters
  long) right after the name in prose: ``Invalid ACCESS-KEY ak-...``;
- ``{"name": "ACCESS-KEY", "value": ...}`` objects and ``["ACCESS-KEY", ...]``
  pairs, and the value of every
  cookie (``Cookie:`` and ``Set-Cookie:`` lines whole, every item of a HAR
  ``cookies`` list);
- the password of URL userinfo (``https://bot:***@host/``);
- multipart form fields with a secret name;
- and every other occurrence, in the same text, of a value masked there.

A key's fingerprint (:func:`key_id`, ``k-`` and eight hex digits) is one-way, so
it is never masked, under whatever name it stands (a recording's ``key_id``).
"""

from __future__ import annotations

import functools
import hashlib
import re

__all__ = ["MASK", "is_key_id", "is_secret_name", "key_id", "mask_values", "mentions_secret", "redact", "redact_count",
           "redact_data", "redact_mapping", "redact_url", "secret_values"]

MASK = "***"

#: The words a secret name holds (case-insensitive), each written as a regex (``passw(?:or)?d``: ``passwd`` or
#: ``password``). The one list: the name regexes below and the first test of :func:`mentions_secret` derive from it.
_SECRET_WORDS = ("key", "sign", "secret", "token", r"passw(?:or)?d", "passphrase", "authorization", "cookie")
_WORDS = "(?:" + "|".join(_SECRET_WORDS) + ")"
# the letters each word starts with, which every spelling of it holds; "\u00": a name spelled with escapes
_HINTS = tuple(re.match(r"[a-z]*", word).group() for word in _SECRET_WORDS) + ("\\u00",)
_HINTS_BYTES = tuple(h.encode() for h in _HINTS)
_SECRET_NAME = re.compile(_WORDS, re.I)
_C = r"[A-Za-z0-9_.\-]"
# a run of name characters holding a secret word; possessive, so a long run is scanned once
_NAME = rf"(?={_C}*?{_WORDS}){_C}++"
_Q = r"""\\?["']"""  # a quote, or an escaped one (JSON held in a JSON string)
_STRING = r"""(?P<vq>\\?["'])(?P<value>(?:(?!(?P=vq))(?:\\.|[^\\]))*+)(?P=vq)"""

# "name": "value" and 'name': 'value' (JSON, Python reprs, YAML flow style)
_QUOTED = re.compile(rf"""(?P<head>(?P<q>{_Q}){_NAME}(?P=q)\s*+[:=]\s*+){_STRING}""", re.I)
# "name": 123 and "name": ["v1", "v2"]
_QUOTED_OTHER = re.compile(
    rf"""(?P<head>(?P<q>{_Q}){_NAME}(?P=q)\s*+[:=]\s*+)(?P<value>-?[0-9][0-9.eE+\-]*+|\[[^\[\]{{}}]*+\])""", re.I)
_ITEM = re.compile(rf"""{_STRING}|(?P<num>-?[0-9][0-9.eE+\-]*+)""")
# HAR-style header objects: {"name": "ACCESS-KEY", "value": "..."}
_NAME_VALUE = re.compile(
    rf"""(?P<head>{_Q}name{_Q}\s*+:\s*+{_Q}{_NAME}{_Q}\s*+,\s*+{_Q}value{_Q}\s*+:\s*+){_STRING}""", re.I)
# header pairs: ["ACCESS-KEY", "..."]
_PAIR = re.compile(rf"""(?P<head>\[\s*+(?P<q>{_Q}){_NAME}(?P=q)\s*+,\s*+){_STRING}""", re.I)
# a HAR cookies list: every value in it
_COOKIES = re.compile(rf"""{_Q}(?:request_|response_)?cookies{_Q}\s*+:\s*+\[[^\[\]]*+\]""", re.I)
_COOKIE_VALUE = re.compile(rf"""(?P<head>{_Q}value{_Q}\s*+:\s*+){_STRING}""", re.I)
# Cookie: and Set-Cookie: lines, every cookie on them
_COOKIE_LINE = re.compile(r"""(?P<head>(?<![A-Za-z0-9_.\-])(?:set-)?cookie[ \t]*+:[ \t]*+)(?P<value>[^\r\n"'\\]+)""",
                          re.I)
# name=value, name: value, api_key = value (query strings, fragments, form bodies, logs, header lines)
_VALUE = r"""[^\s&#"',;}\])\\]+"""
_BARE = re.compile(
    rf"""(?P<head>(?<![A-Za-z0-9_.\-]){_NAME}[ \t]*+(?:=|:(?!//))[ \t]*+(?:(?:Bearer|Basic|Token)[ \t]+)?)"""
    rf"""(?P<value>{_VALUE})""",
    re.I,
)
# a YAML block list under a secret name, as vcrpy writes headers: "ACCESS-KEY:\n- ak-..."
_YAML_ITEM = re.compile(
    rf"""(?P<head>(?<![A-Za-z0-9_.\-]){_NAME}[ \t]*+:[ \t]*+\r?\n[ \t]*+-[ \t]++)(?P<value>[^\r\n]+)""", re.I)
# a credential-like word after a secret name in prose: "Invalid ACCESS-KEY ak-7f3a", "api key 9f8e..."
_AFTER = re.compile(
    rf"""(?P<head>(?<![A-Za-z0-9_.\-]){_NAME}[ \t]++(?:(?:is|was|of|for)[ \t]++)?)"""
    rf"""(?P<value>(?=[^\s&#"',;}}\])\\]*?[0-9])[^\s&#"',;}}\])\\]{{4,}}+|[^\s&#"',;}}\])\\]{{20,}}+)""",
    re.I,
)
# https://user:password@host
_USERINFO = re.compile(r"""(?P<head>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*+://[^/\s:@"'<>]*+:)"""
                       r"""(?P<value>[^@/\s"'<>]+)(?=@)""")
# multipart/form-data: the content of a part whose name is secret
_MULTIPART = re.compile(
    rf"""(?P<head>\bname=(?P<q>\\?"){_NAME}(?P=q)[^\r\n]*+(?:\r?\n[^\r\n]++)*?\r?\n\r?\n)(?P<value>[^\r\n]+)""",
    re.I)
_ESCAPED = re.compile(r"\\u00(?P<hex>[2-7][0-9a-fA-F])")
_MIN_ECHO = 6  # masked values at least this long are masked wherever else they appear
_KEY_ID = re.compile(r"k-[0-9a-f]{8}")
# what recorders and tools write in place of a key: only symbols ("***", "<>"), or a word such as REDACTED
_PLACEHOLDER = re.compile(r"[\W_]*+(?:(?:redacted|filtered|masked|hidden|removed|scrubbed|secret|dummy|none|null|x+)"
                          r"[\W_]*+)?", re.I)


@functools.lru_cache(maxsize=4096)  # a recording holds a few keys on many calls: each is hashed once
def key_id(key) -> str | None:
    """A one-way fingerprint of an API key: ``k-`` and 8 hex digits of its SHA-256, as the recorder writes it and
    the readers make it of an ``ACCESS-KEY`` header; None when there is no key (not text, blank, or masked).

    It tells keys apart (the limits apply per key) and cannot be turned back into the key.

    Examples
    --------
    >>> key_id("ak-0007-5f1e9c2a7b"), key_id("***"), key_id("<REDACTED>"), key_id(None)
    ('k-8fa6e6a3', None, None, None)
    """
    if type(key) is not str or not key.strip() or _PLACEHOLDER.fullmatch(key.strip()):
        return None
    return "k-" + hashlib.sha256(key.strip().encode("utf-8", "surrogatepass")).hexdigest()[:8]


def is_key_id(value) -> bool:
    """Whether ``value`` is a key's fingerprint, as :func:`key_id` makes it (``k-8fa6e6a3``): never masked."""
    return type(value) is str and _KEY_ID.fullmatch(value) is not None


def _kept(value) -> bool:
    """Whether a value under a secret name stays as it is: already masked, or a key's fingerprint."""
    return value == MASK or is_key_id(value)


def is_secret_name(name: object) -> bool:
    """Tell whether a header, parameter or field name holds a secret.

    Examples
    --------
    >>> is_secret_name("ACCESS-SIGN"), is_secret_name("ACCESS-TIMESTAMP")
    (True, False)
    """
    return isinstance(name, str) and _secret_name(name)


@functools.lru_cache(maxsize=8192)  # header names and body keys repeat on every call
def _secret_name(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


_USERINFO_HINT = re.compile(r"://[^/\s@]*@")
_USERINFO_HINT_BYTES = re.compile(_USERINFO_HINT.pattern.encode())


def mentions_secret(text) -> bool:
    """Tell whether text (str or bytes) holds a word that secret names contain, or URL userinfo.

    A cheap first test: text without one of these has nothing to mask.
    JSON and YAML may spell letters as ``\\u`` escapes, so those count too.

    Examples
    --------
    >>> mentions_secret(b'{"code": 0}'), mentions_secret('x-api-key: 1'), mentions_secret('https://u:p@h/')
    (False, True, True)
    """
    if isinstance(text, (bytes, bytearray)):
        low = text.lower()
        return any(h in low for h in _HINTS_BYTES) or (b"@" in text and _USERINFO_HINT_BYTES.search(text) is not None)
    low = text.lower()
    return any(h in low for h in _HINTS) or ("@" in text and _USERINFO_HINT.search(text) is not None)


def _unescape(m: re.Match) -> str:
    ch = chr(int(m.group("hex"), 16))
    return ch if ch.isalnum() or ch in "_.-" else m.group(0)


def redact_count(text: str) -> tuple[str, int]:
    """Mask every secret value in free text; return the text and how many were masked.

    Linear in the length of the text.

    Examples
    --------
    >>> redact_count('GET /api/v1/order?symbol=AAPL&signature=9f8e7d')
    ('GET /api/v1/order?symbol=AAPL&signature=***', 1)
    >>> redact_count('{"msg": "Invalid ACCESS-KEY ak-7f3a"}')[0]
    '{"msg": "Invalid ACCESS-KEY ***"}'
    """
    text, n, _ = _redact_text(text)
    return text, n


def _redact_text(text: str) -> tuple[str, int, set]:
    """:func:`redact_count`, also returning the values it masked (those long enough to look for elsewhere)."""
    if not mentions_secret(text):  # every pattern below needs a secret word, an escape or userinfo
        return text, 0, set()
    if "\\u00" in text:  # names spelled with escapes: "\u0061piKey"
        text = _ESCAPED.sub(_unescape, text)
    seen: set[str] = set()
    counter = [0]

    def sub(m: re.Match) -> str:
        value = m.group("value")
        if _kept(value):
            return m.group(0)
        counter[0] += 1
        if len(value) >= _MIN_ECHO:
            seen.add(value)
        whole, at = m.group(0), m.start()
        return whole[:m.start("value") - at] + MASK + whole[m.end("value") - at:]

    def sub_items(m: re.Match) -> str:
        value = m.group("value")
        if not value.startswith("["):
            q = m.group("q")
            counter[0] += 1
            if len(value) >= _MIN_ECHO:
                seen.add(value)
            return m.group("head") + q + MASK + q
        return m.group("head") + _ITEM.sub(lambda i: _item(i, m.group("q"), counter, seen), value)

    def sub_cookies(m: re.Match) -> str:
        return _COOKIE_VALUE.sub(sub, m.group(0))

    if "@" in text:
        text = _USERINFO.sub(sub, text)
    if _SECRET_NAME.search(text) is not None:
        text = _COOKIES.sub(sub_cookies, text)
        text = _NAME_VALUE.sub(sub, text)
        text = _PAIR.sub(sub, text)
        text = _QUOTED.sub(sub, text)
        text = _QUOTED_OTHER.sub(sub_items, text)
        text = _MULTIPART.sub(sub, text)
        text = _COOKIE_LINE.sub(sub, text)
        text = _YAML_ITEM.sub(sub, text)
        text = _BARE.sub(sub, text)
        text = _AFTER.sub(sub, text)
    for value in sorted(seen, key=len, reverse=True):  # the same value elsewhere in the text
        n = text.count(value)
        if n:
            text = text.replace(value, MASK)
            counter[0] += n
    return text, counter[0], seen


def _item(m: re.Match, q: str, counter: list, seen: set) -> str:
    value = m.group("value") if m.group("num") is None else m.group("num")
    if _kept(value):
        return m.group(0)
    counter[0] += 1
    if len(value) >= _MIN_ECHO:
        seen.add(value)
    vq = m.group("vq") or q
    return vq + MASK + vq


def redact(text):
    """Mask every secret value in free text (``None`` passes through).

    Examples
    --------
    >>> redact('{"ACCESS-KEY": "ak-123", "ACCESS-TIMESTAMP": "1700000000000"}')
    '{"ACCESS-KEY": "***", "ACCESS-TIMESTAMP": "1700000000000"}'
    """
    if not isinstance(text, str) or not text:
        return text
    return redact_count(text)[0]


def secret_values(data, limit: int = 10_000) -> list[str]:
    """The values held under secret names in parsed data (and in its URL-like strings), longest first.

    Only values of at least six characters count, and at most ``limit`` nodes
    are visited, so shared (aliased) containers never expand.

    Examples
    --------
    >>> secret_values({"headers": {"ACCESS-KEY": "ak-123456"}, "url": "/x?signature=9f8e7d6c", "n": 5})
    ['ak-123456', '9f8e7d6c']
    """
    found: set[str] = set()
    budget = [limit]

    def walk(obj, secret: bool) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            return
        t = type(obj)
        if t is dict:
            pair = "name" in obj and "value" in obj and is_secret_name(obj["name"])
            for k, v in obj.items():
                walk(v, secret or (pair and k == "value") or (k != "name" and is_secret_name(k)))
        elif t is list or t is tuple:
            pair = len(obj) == 2 and is_secret_name(obj[0])
            for i, v in enumerate(obj):
                walk(v, secret or (pair and i == 1))
        elif secret and (t is str or t is int):
            value = str(obj)
            if len(value) >= _MIN_ECHO and not _kept(value):
                found.add(value)
        elif t is str and "=" in obj and mentions_secret(obj):
            for m in _BARE.finditer(obj):
                if len(m.group("value")) >= _MIN_ECHO and not _kept(m.group("value")):
                    found.add(m.group("value"))

    walk(data, False)
    return sorted(found, key=lambda v: (-len(v), v))


def mask_values(text, values) -> str:
    """``text`` with every occurrence of the given secret values masked (``None`` passes through).

    Examples
    --------
    >>> mask_values("key ak-123456 is disabled", ["ak-123456"])
    'key *** is disabled'
    """
    if not isinstance(text, str):
        return text
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_url(url: str) -> str:
    """Mask a URL's userinfo password and secret query and fragment parameters, leaving the rest unchanged.

    Examples
    --------
    >>> redact_url("https://bot:pw@x/api?apiKey=abc&symbol=BTC#access_token=t1")
    'https://bot:***@x/api?apiKey=***&symbol=BTC#access_token=***'
    """
    return redact(url)


def redact_mapping(mapping):
    """Return a copy of a headers/params mapping with secret values masked.

    Accepts a dict, a list of ``{"name", "value"}`` objects (HAR) or a list of
    pairs; values of secret names become ``***``.

    Examples
    --------
    >>> redact_mapping({"ACCESS-KEY": "ak", "symbol": "BTC"})
    {'ACCESS-KEY': '***', 'symbol': 'BTC'}
    """
    if isinstance(mapping, dict):
        return {k: (MASK if is_secret_name(k) and not is_key_id(v) else v) for k, v in mapping.items()}
    if isinstance(mapping, list):
        out = []
        for item in mapping:
            if isinstance(item, dict) and "name" in item:
                item = dict(item)
                if is_secret_name(item["name"]) and not is_key_id(item.get("value")):
                    item["value"] = MASK
            elif isinstance(item, (list, tuple)) and len(item) == 2 and is_secret_name(item[0]) \
                    and not is_key_id(item[1]):
                item = type(item)([item[0], MASK])
            out.append(item)
        return out
    return mapping


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


class _Walk:
    """One masking pass over parsed data; shared (YAML-aliased) containers are masked once."""

    def __init__(self, text: bool, first: _Walk | None = None):
        self.text = text
        self.count = first.count if first else 0
        self.seen: set[str] = set()
        self.echo = sorted(first.seen, key=len, reverse=True) if first else ()
        self.memo: dict = {}

    def data(self, obj, secret: bool):
        t = type(obj)
        if t is dict or t is list or t is tuple:
            key = (id(obj), secret)
            hit = self.memo.get(key)
            if hit is not None:
                return hit[1]
            out = self._container(obj, t, secret)
            self.memo[key] = (obj, out)  # obj kept alive so its id is not reused
            return out
        if secret:
            if t is str or t is int or t is float or t is bytes:
                if obj != MASK and obj != MASK.encode() and not (t is str and is_key_id(obj)):
                    self.count += 1
                    if t is not bytes and len(str(obj)) >= _MIN_ECHO:
                        self.seen.add(str(obj))
                    return MASK if t is not bytes else MASK.encode()
            return obj
        if t is str:
            return self._text(obj)
        if t is bytes and self.text:
            return self._bytes(obj)
        return obj

    def _container(self, obj, t, secret: bool):
        if t is not dict:
            if len(obj) == 2 and is_secret_name(obj[0]):  # a header pair: ["ACCESS-KEY", "..."]
                return t((obj[0], self.data(obj[1], True)))
            return t(self.data(v, secret) for v in obj)
        if "name" in obj and "value" in obj:  # a HAR-style pair: only its value can be secret
            secret_value = secret or is_secret_name(obj["name"])
            return {k: self.data(v, secret_value if k == "value" else k != "name" and is_secret_name(k))
                    for k, v in obj.items()}
        if obj.get("encoding") == "base64" and type(obj.get("text")) is str and not secret:  # a HAR body
            return {k: (self._base64(v) if k == "text" else self.data(v, is_secret_name(k))) for k, v in obj.items()}
        return {k: self.data(v, secret or is_secret_name(k)) for k, v in obj.items()}

    def _text(self, text: str) -> str:
        if self.text:
            text, n, seen = _redact_text(text)
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
