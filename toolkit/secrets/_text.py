"""What a secret is, and how it is masked in names and text: the patterns, :func:`redact`, the values held
under secret names (:func:`secret_values`) and their echoes (:class:`Echoes`). See :mod:`toolkit.secrets`."""

from __future__ import annotations

import functools
import re

from ._key import is_key_id

__all__ = ["MASK", "MIN_ECHO", "Echoes", "is_secret_name", "mask_values", "mentions_secret", "redact", "redact_count",
           "redact_found", "redact_mapping", "redact_url", "secret_values"]

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
MIN_ECHO = 6  # masked values at least this long are masked wherever else they appear


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
    text, n, _ = redact_found(text)
    return text, n


def redact_found(text: str) -> tuple[str, int, set]:
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
        if len(value) >= MIN_ECHO:
            seen.add(value)
        whole, at = m.group(0), m.start()
        return whole[:m.start("value") - at] + MASK + whole[m.end("value") - at:]

    def sub_items(m: re.Match) -> str:
        value = m.group("value")
        if not value.startswith("["):
            q = m.group("q")
            counter[0] += 1
            if len(value) >= MIN_ECHO:
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
    if len(value) >= MIN_ECHO:
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
    stack = [(data, False)]  # walked with a stack, not by recursion: data may be nested thousands deep
    while stack and limit > 0:
        obj, secret = stack.pop()
        limit -= 1
        t = type(obj)
        if t is dict:
            pair = "name" in obj and "value" in obj and is_secret_name(obj["name"])
            stack.extend((v, secret or (pair and k == "value") or (k != "name" and is_secret_name(k)))
                         for k, v in reversed(obj.items()))
        elif t is list or t is tuple:
            pair = len(obj) == 2 and is_secret_name(obj[0])
            stack.extend((v, secret or (pair and i == 1)) for i, v in reversed(list(enumerate(obj))))
        elif secret and (t is str or t is int):
            value = str(obj)
            if len(value) >= MIN_ECHO and not _kept(value):
                found.add(value)
        elif t is str and "=" in obj and mentions_secret(obj):
            for m in _BARE.finditer(obj):
                if len(m.group("value")) >= MIN_ECHO and not _kept(m.group("value")):
                    found.add(m.group("value"))
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


_WORD_START = re.compile(r"(?:^|[^A-Za-z0-9])")
_FEW = 64  # up to this many values, each is looked for anywhere in a text


class Echoes:
    """The secret values seen in one document (a HAR file, a cassette), masked wherever they reappear in it:
    a cookie one entry sends, in another entry's URL.

    Up to 64 values, each is looked for anywhere in a text; with more (a signature per request), a value is
    found where a word starts (after a character that is not a letter or digit), so masking stays linear in
    the text, not in the number of values.

    Examples
    --------
    >>> echoes = Echoes()
    >>> echoes.add(["sess-7f3a9c", "ab"])
    >>> echoes.mask("/api/v1/session/sess-7f3a9c/orders")
    '/api/v1/session/***/orders'
    """

    def __init__(self):
        self.values: set[str] = set()
        self._lengths: list[int] | None = None
        self._few: list[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.values)

    def add(self, values) -> None:
        """Remember ``values`` (those of six characters or more, the rule of :func:`secret_values`)."""
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_ECHO and v != MASK}
        if not new <= self.values:
            self.values |= new
            self._lengths = self._few = None

    def mask(self, text):
        """``text`` with every remembered value in it masked (``None`` passes through)."""
        if not isinstance(text, str) or not self.values:
            return text
        if len(self.values) <= _FEW:
            if self._few is None:
                self._few = sorted(self.values, key=len, reverse=True)
            return mask_values(text, self._few)
        if self._lengths is None:
            self._lengths = sorted({len(v) for v in self.values}, reverse=True)
        values, out, done = self.values, [], 0
        for m in _WORD_START.finditer(text):
            at = m.end()
            if at < done:
                continue
            for n in self._lengths:
                if text[at:at + n] in values:
                    out.append(text[done:at])
                    out.append(MASK)
                    done = at + n
                    break
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)


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
