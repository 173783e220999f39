"""Property-based tests over all four formats and the store (hypothesis, a fixed example budget).

Random and mutated lines, odd values in every field and look-alike lines:
no exception but the documented ones, every non-blank line (or entry)
accounted for as counted here independently of the loader, and no planted
secret in any frame column, reject excerpt, warning, scrub output or store byte.
"""

import base64
import json
import warnings

import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import toolkit
from tests.conftest import SPOT

KEY = "ak-PLANT-7e6d5c4b3a"
SIGN = "c2lnLVBMQU5ULTk5ODg3"
PASS = "pp-PLANT-0f1e2d3c"
PLANTED = (KEY, SIGN, PASS)
BOM = b"\xef\xbb\xbf"
BUDGET = settings(max_examples=40, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                         HealthCheck.data_too_large])

# -- values ---------------------------------------------------------------------------------------

_ODD_TEXT = st.sampled_from(["--200", "²⁰⁰", "٢٠٠", "+5", "1e400", "-1", "9" * 22, "0", "", " ", "\ufeff", "\ud800",
                             "9999-12-31", "0001-01-01", "Mon, 01 Jan 0001 00:00:00 GMT", "null", "{", "[]",
                             "Sat, 21 Nov 2026 20:2147483648:46 GMT", "Sat, 21 Nov 99999999999999999999 20:21:46 GMT",
                             "interactions:", '{"log": {', "GET", "status" + " " * 50, "<" * 30])
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), _ODD_TEXT)
ODD = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=True)  # big ints, NaN and lone surrogates as json writes them


def set_path(rec: dict, path: tuple, value) -> None:
    node = rec
    for key in path[:-1]:
        nxt = node.get(key) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            return
        node = nxt
    if isinstance(node, dict):
        node[path[-1]] = value


def plant(rec: dict, where: str) -> None:
    """Put the planted secrets into one of the places a bot or tool writes them."""
    req = rec.get("request")
    headers = req.get("headers") if isinstance(req, dict) else None
    if where == "headers" and isinstance(headers, dict):
        headers.update({"ACCESS-KEY": KEY, "ACCESS-SIGN": SIGN, "ACCESS-PASSPHRASE": PASS})
    elif where == "list" and isinstance(headers, dict):
        headers.update({"ACCESS-KEY": [KEY], "ACCESS-SIGN": [SIGN, SIGN], "ACCESS-PASSPHRASE": [PASS]})
    elif where == "pairs" and isinstance(req, dict):
        req["headers"] = [["ACCESS-KEY", KEY], ["ACCESS-SIGN", SIGN], ["ACCESS-PASSPHRASE", PASS]]
    elif where == "query" and isinstance(rec.get("url"), str):
        rec["url"] += f"?apiKey={KEY}&signature={SIGN}&passphrase={PASS}"
    elif where == "fragment" and isinstance(rec.get("url"), str):
        rec["url"] += f"?symbol=BTCUSDT#access_token={KEY}&signature={SIGN}&passphrase={PASS}"
    elif where == "echo" and isinstance(rec.get("response"), dict):
        rec["response"]["msg"] = f"Invalid ACCESS-KEY {KEY}"
        rec["signature"], rec["passphrase"] = SIGN, PASS
    elif where == "string_json" and isinstance(req, dict):
        req["body"] = dumps({"apiKey": KEY, "sign": SIGN, "passphrase": PASS})
    else:
        rec.update({"apiKey": KEY, "ACCESS-SIGN": SIGN, "passphrase": PASS})


JSONL_PATHS = [("ts",), ("method",), ("url",), ("status",), ("response",), ("response", "code"),
               ("response", "msg"), ("elapsed_ms",), ("error",), ("market",), ("symbol",), ("request",),
               ("request", "headers"), ("request", "headers", "ACCESS-TIMESTAMP"), ("response_headers",),
               ("response_headers", "Date"), ("params",)]


@st.composite
def jsonl_record(draw, secret: bool = True) -> str:
    rec = {"ts": "2026-11-20T21:05:00Z", "method": "GET", "url": SPOT, "status": 429,
           "response": {"code": 429, "msg": "Too many requests"}, "elapsed_ms": 41.5,
           "request": {"headers": {"ACCESS-TIMESTAMP": "1795208700000"}},
           "response_headers": {"Date": "Fri, 20 Nov 2026 21:05:00 GMT"}}
    for path in draw(st.lists(st.sampled_from(JSONL_PATHS), max_size=3)):
        set_path(rec, path, draw(ODD))
    if secret:
        plant(rec, draw(st.sampled_from(["headers", "list", "pairs", "query", "fragment", "echo", "string_json",
                                         "top"])))
    return dumps(rec)


@st.composite
def mutated(draw, line: st.SearchStrategy) -> str:
    """A secret-free line with a few characters inserted, deleted or replaced."""
    text = draw(line)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        ch = draw(st.sampled_from(['"', "{", "}", "[", ":", ",", "\\", "\r", "\n", "\ufeff", "\x00", "é", "\ud800",
                                   " ", "²"]))
        if op == "insert":
            text = text[:i] + ch + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + ch + text[i + 1:]
    return text


LOOK_ALIKES = st.sampled_from(["", "   ", "\ufeff", "\ufeff\ufeff  ", "\t\r", "interactions:", '{"log": {"x": 1}}',
                               "---", "not json", "[1, 2]", '"text"', "2026-11-20 21:05:00,123 INFO GET /api/v1/x -> 200",
                               "null", "{}", '{"ts": 1}'])

TEXT_TEMPLATES = [
    "2026-11-20 21:05:00,123 INFO GET {url} -> {status} {body}",
    "2026-11-20T21:05:00Z ERROR POST {url} status={status} {body} {latency}ms",
    "[2026-11-20 21:05:00] DEBUG {method} {url} HTTP/1.1 {status}",
    "2026-11-20 21:05:00 WARNING GET {url} failed: connection reset by peer",
    "{odd} GET {url} -> {status}",
    "2026-11-20 21:05:00,123 INFO sending POST {url}",
]
TEXT_SECRETS = [f"api_key = {KEY} signature={SIGN} passphrase: {PASS}",
                f"{{'code': 401, 'msg': 'Invalid ACCESS-KEY {KEY}', 'sign': '{SIGN}', 'passphrase': '{PASS}'}}",
                f"ACCESS-KEY: {KEY} ACCESS-SIGN: {SIGN} ACCESS-PASSPHRASE: {PASS}",
                f"https://bot:{PASS}@h/api/v1/x?apiKey={KEY}#access_token={SIGN}"]


def _text_value(value) -> str:
    return value if isinstance(value, str) else dumps(value)


@st.composite
def text_line(draw, secret: bool = True) -> str:
    template = draw(st.sampled_from(TEXT_TEMPLATES))
    body = draw(st.one_of(st.just("{'code': 0, 'msg': 'success'}"), ODD.map(_text_value)))
    line = template.format(url=draw(st.sampled_from([SPOT, "/api/v1/futures/open-api/order/create", _text_value(draw(ODD))])),
                           status=draw(st.one_of(st.sampled_from(["200", "429", "²⁰⁰", "0", "999"]),
                                                 ODD.map(_text_value))),
                           body=body, latency=draw(st.sampled_from(["41", "1e400", "", "٣"])),
                           method=draw(st.sampled_from(["GET", "PATCH", "get"])), odd=_text_value(draw(ODD)))
    if secret:
        line += " " + draw(st.sampled_from(TEXT_SECRETS))
    return line


def file_lines(record: st.SearchStrategy, plain: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(st.one_of(record, mutated(plain), LOOK_ALIKES), min_size=1, max_size=12)


# -- the independent count and the checks ------------------------------------------------------------

def nonblank_lines(data: bytes) -> int:
    """Lines that are not blank, by the documented rule: only LF ends a line, except in a file without LF,
    which is split on CR; a line of ASCII whitespace and BOMs only is blank."""
    if data.startswith(BOM):
        data = data[3:]
    sep = b"\n" if b"\n" in data or b"\r" not in data else b"\r"
    pieces = data.split(sep)
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return sum(1 for p in pieces if p.replace(BOM, b"").strip(b" \t\r\n\x0b\x0c"))


def leaks(texts) -> list:
    return [(s, t[:200]) for t in texts for s in PLANTED if s in t]


def load_checked(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(path, **kw)
    texts = [load.frame.astype(str).to_csv(), load.rejects.astype(str).to_csv()]
    texts += [str(w.message) for w in caught]
    return load, texts


def scrub_checked(path, tmp) -> list[str]:
    out = tmp / ("scrubbed-" + path.name)
    try:
        toolkit.scrub(path, out)
    except toolkit.LogFormatError:
        return []
    return [out.read_bytes().decode("utf-8", "replace")]


def write(tmp, name: str, lines: list[str], cr: bool) -> tuple:
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    if cr:
        data = data.replace(b"\n", b"\r")
    path = tmp / name
    path.write_bytes(data)
    return path, data


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


# -- the properties -------------------------------------------------------------------------------

@BUDGET
@given(lines=file_lines(jsonl_record(), jsonl_record(secret=False)), cr=st.booleans())
def test_json_lines_account_for_every_line_and_never_leak(tmp, lines, cr):
    path, data = write(tmp, "calls.jsonl", lines, cr)
    load, texts = load_checked(path, format="jsonl")
    assert load.lines == len(load.frame) + len(load.rejects) + int(load.report["skipped"].sum())
    assert load.lines == nonblank_lines(data)
    assert not leaks(texts + scrub_checked(path, tmp))


@BUDGET
@given(lines=file_lines(text_line(), text_line(secret=False)), cr=st.booleans())
def test_text_logs_account_for_every_line_and_never_leak(tmp, lines, cr):
    path, data = write(tmp, "bot.log", lines, cr)
    load, texts = load_checked(path, format="text")
    assert load.lines == len(load.frame) + len(load.rejects) + int(load.report["skipped"].sum())
    assert load.lines == nonblank_lines(data)
    assert not leaks(texts + scrub_checked(path, tmp))


@BUDGET
@given(lines=file_lines(st.one_of(jsonl_record(), text_line()), st.one_of(jsonl_record(False), text_line(False))))
def test_any_mix_loads_in_the_format_it_is_told_apart_as(tmp, lines):
    path, data = write(tmp, "mixed.log", lines, False)
    load, texts = load_checked(path)
    fmt = load.report["format"].iloc[0]
    if fmt in ("jsonl", "text"):
        assert load.lines == nonblank_lines(data)
    else:  # a whole-file format: its entries, or the file as one reject
        assert load.lines >= 1 or load.rejects.empty
    assert not leaks(texts + scrub_checked(path, tmp))


HAR_PATHS = [("startedDateTime",), ("time",), ("request",), ("request", "method"), ("request", "url"),
             ("request", "headers"), ("request", "queryString"), ("response",), ("response", "status"),
             ("response", "headers"), ("response", "content"), ("response", "content", "text"),
             ("response", "content", "encoding"), ("_error",)]


@st.composite
def har_entry(draw):
    body = dumps({"code": 0, "msg": "success", "data": {"apiKey": KEY}})
    entry = {"startedDateTime": "2026-11-20T21:05:00.000Z", "time": 40.5,
             "request": {"method": "GET", "url": SPOT,
                         "headers": [{"name": "ACCESS-TIMESTAMP", "value": "1795208700000"}], "queryString": []},
             "response": {"status": 200, "headers": [{"name": "Date", "value": "Fri, 20 Nov 2026 21:05:00 GMT"}],
                          "content": {"mimeType": "application/json", "text": body}}}
    if draw(st.booleans()):
        entry["response"]["content"].update(encoding="base64", text=base64.b64encode(body.encode()).decode())
    for path in draw(st.lists(st.sampled_from(HAR_PATHS), max_size=3)):
        set_path(entry, path, draw(ODD))
    req = entry.get("request")
    if isinstance(req, dict):
        req["cookies"] = [{"name": "a", "value": "1"}, {"name": "session", "value": SIGN}]
        if isinstance(req.get("headers"), list):
            req["headers"].append({"name": "ACCESS-PASSPHRASE", "value": PASS})
    else:
        entry["apiKey"], entry["signature"], entry["passphrase"] = KEY, SIGN, PASS
    return entry if draw(st.integers(0, 9)) else draw(ODD)


@BUDGET
@given(entries=st.lists(har_entry(), max_size=6))
def test_har_accounts_for_every_entry_and_never_leaks(tmp, entries):
    path = tmp / "calls.har"
    path.write_text(dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": entries}}))
    load, texts = load_checked(path, format="har")
    assert load.lines == len(entries)
    assert not leaks(texts + scrub_checked(path, tmp))


VCR_PATHS = [("request",), ("request", "method"), ("request", "uri"), ("request", "headers"), ("request", "body"),
             ("response",), ("response", "status"), ("response", "status", "code"), ("response", "headers"),
             ("response", "headers", "Date"), ("response", "body"), ("response", "body", "string")]


@st.composite
def interaction(draw):
    item = {"request": {"method": "GET", "uri": SPOT, "body": None,
                        "headers": {"ACCESS-TIMESTAMP": ["1795208700000"]}},
            "response": {"status": {"code": 200, "message": "OK"},
                         "headers": {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]},
                         "body": {"string": dumps({"code": 0, "msg": "success", "token": PASS})}}}
    for path in draw(st.lists(st.sampled_from(VCR_PATHS), max_size=3)):
        set_path(item, path, draw(ODD))
    req = item.get("request")
    if isinstance(req, dict) and isinstance(req.get("headers"), dict):
        req["headers"].update({"ACCESS-KEY": [KEY], "ACCESS-SIGN": [SIGN]})
    else:
        item["apiKey"], item["signature"] = KEY, SIGN
    return item


@BUDGET
@given(items=st.lists(interaction(), max_size=6))
def test_cassettes_account_for_every_interaction_and_never_leak(tmp, items):
    try:
        text = yaml.safe_dump({"interactions": items, "version": 1})
    except (yaml.YAMLError, UnicodeEncodeError):
        assume(False)
    path = tmp / "cassette.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    load, texts = load_checked(path, format="vcr")
    whole = bool((load.rejects["line"] == 0).any())  # a cassette that does not parse is one reject
    assert load.lines == (1 if whole else len(items))
    assert not leaks(texts + scrub_checked(path, tmp))


def store_texts(store) -> list[str]:
    out = [(store / ".toolkit" / "manifest.json").read_text()]
    for part in store.rglob("part-*.parquet"):
        f = pq.ParquetFile(part)
        out.append(json.dumps(f.read().to_pylist(), default=str))
        for rg in range(f.metadata.num_row_groups):
            for c in range(f.metadata.num_columns):
                stats = f.metadata.row_group(rg).column(c).statistics
                if stats is not None and stats.has_min_max:
                    out.append(f"{stats.min!r} {stats.max!r}")
    return out


@settings(BUDGET, max_examples=15)
@given(lines=file_lines(st.one_of(jsonl_record(), text_line()), st.one_of(jsonl_record(False), text_line(False))),
       cut=st.integers(0, 4))
def test_the_store_accounts_for_every_line_and_holds_no_secret(tmp_path_factory, lines, cut):
    root = tmp_path_factory.mktemp("store")
    path, data = write(root, "calls.jsonl", lines, False)
    path.write_bytes(data[: len(data) - cut] if cut < len(data) else data)  # a last line still being written
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = toolkit.store.ingest(path, root / "store")
        rep = run.report.iloc[0]
        whole = path.read_bytes()
        complete = whole[: whole.rfind(b"\n") + 1] if b"\n" in whole else b""
        assert rep["rows"] + rep["rejects"] + rep["skipped"] == nonblank_lines(complete)
        load = toolkit.read_logs(root / "store")
    assert load.lines == nonblank_lines(complete)
    texts = store_texts(root / "store") + [load.rejects.astype(str).to_csv(), load.frame.astype(str).to_csv()]
    assert not leaks(texts)
    assert toolkit.store.repair(root / "store").empty


def _nested_text(depth: int, shapes: list[str], secret: str) -> str:
    """JSON text of a secret ``depth`` levels deep, each level a list, an object or an object beside a secret
    name (built as text: json.dumps itself stops near 1,000 levels)."""
    text = f'{{"apiKey": "{secret}"}}'  # the innermost value under a secret name
    for i in range(depth):
        shape = shapes[i % len(shapes)]
        text = (f"[{text}]" if shape == "list" else f'{{"data": {text}, "n": {i}}}' if shape == "object"
                else f'{{"apiKey": {text}, "token": "{secret}"}}')
    return text


@BUDGET
@given(depth=st.integers(1, 1100), shapes=st.lists(st.sampled_from(["list", "object", "secret"]), min_size=1,
                                                   max_size=3), where=st.sampled_from(["response", "request"]))
def test_scrub_masks_data_nested_at_any_depth(tmp, depth, shapes, where):
    deep = _nested_text(depth, shapes, KEY)
    rec = json.dumps({"ts": "2026-11-20T21:05:00Z", "url": SPOT, "status": 200, "apiKey": SIGN,
                      "response": {"code": 0, "msg": "success", "data": None},
                      "request": {"headers": {"ACCESS-PASSPHRASE": PASS}, "body": None}})
    rec = rec.replace('"data": null' if where == "response" else '"body": null',
                      ('"data": ' if where == "response" else '"body": ') + deep)
    path = tmp / "deep.jsonl"
    path.write_text(rec + "\n")
    har = tmp / "deep.har"
    entry = {"startedDateTime": "2026-11-20T21:05:00.000Z", "time": 1.0,
             "request": {"method": "GET", "url": SPOT, "headers": [{"name": "ACCESS-KEY", "value": SIGN}]},
             "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": "{}"}},
             "_deep": "DEEP"}
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "x"}, "entries": [entry]}})
                   .replace('"DEEP"', deep))
    for source in (path, har):
        out = tmp / ("scrubbed-" + source.name)
        try:
            toolkit.scrub(source, out)
        except toolkit.LogFormatError:  # a document nested beyond what a parser reads: nothing was written
            continue
        assert not leaks([out.read_text()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert toolkit.read_logs(out).lines == toolkit.read_logs(source).lines
