"""Planted secrets never reach any output: frame, rejects, warnings, scrub output, recorder file, store.

Each case plants one unique value in a place a careless bot or tool puts
keys, signatures, passphrases, tokens, cookies and URL passwords, and every
output is searched for it.
"""

import base64
import gzip
import json
import warnings
import zlib
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
import requests

import toolkit
from tests.conftest import SPOT
from toolkit.secrets import redact

TS = "2026-11-20T21:05:00Z"


def secret(name: str) -> str:
    return f"zq{name}Q7x4k9SECRET"


def line(**rec) -> str:
    out = {"ts": TS, "method": "GET", "url": SPOT}
    out.update(rec)
    return json.dumps(out)


#: name -> a JSON Lines line holding secret(name) (some rows, some rejects)
JSONL = {
    "header_list": line(request={"method": "GET", "url": SPOT, "headers": {"ACCESS-KEY": [secret("header_list")]}},
                        status="--200"),
    "number": line(params={"apiKey": 918273645546}, status="bad"),
    "escaped_json": line(request={"body": json.dumps({"apiKey": secret("escaped_json")})}, status="bad"),
    "unicode_name": line(status="bad").replace('"status"', '"\\u0061piKey": "%s", "status"' % secret("unicode_name")),
    "long_bearer": line(request={"headers": {"Authorization": "Bearer " + secret("long_bearer") + "T" * 900}},
                        status="bad"),
    "echo_msg": line(status=401, response={"code": 401, "msg": f"Invalid ACCESS-KEY {secret('echo_msg')}"}),
    "api_key_eq": line(status=None, error=f"ValueError: api_key = {secret('api_key_eq')}"),
    "api_key_words": line(status=None, error=f"ConnectionError: invalid api key {secret('api_key_words')}"),
    "dict_repr": line(status=None, error=f"HTTPError {{'apiKey': '{secret('dict_repr')}', 'n': 1}} timeout"),
    "seen_value": line(status=400, request={"headers": {"ACCESS-SIGN": secret("seen_value")}},
                       response={"code": 400, "msg": f"signature {secret('seen_value')}!= expected"}),
    "seen_bare": line(status=400, request={"headers": {"ACCESS-KEY": secret("seen_bare")}},
                      response={"code": 400, "msg": f"{secret('seen_bare')} is disabled"}),
    "passphrase_header": line(request={"headers": {"ACCESS-PASSPHRASE": secret("passphrase_header")}}, status="x"),
    "passphrase_query": line(url=SPOT + "?passphrase=" + secret("passphrase_query"), status="x"),
    "userinfo": line(url=SPOT.replace("https://", f"https://bot:{secret('userinfo')}@"), status="x"),
    "cookies": line(request={"headers": {"Cookie": f"a=1; session={secret('cookies')}; b=2"}}, status="x"),
    "fragment": line(url=SPOT + "#access_token=" + secret("fragment"), status="x"),
    "bom_line": "\ufeff" + line(status="x", apiKey=secret("bom_line")),
}

TEXT = {
    "text_eq": f"2026-11-20 21:05:00,123 ERROR GET {SPOT} failed: api_key = {secret('text_eq')} timeout",
    "text_echo": f"2026-11-20 21:05:00,123 INFO GET {SPOT} -> 401 {{'code': 401, 'msg': 'Invalid ACCESS-KEY "
                 f"{secret('text_echo')}'}}",
    "text_cookie": f"2026-11-20 21:05:00,123 INFO Cookie: a=1; session={secret('text_cookie')}; c=3",
    "text_userinfo": f"2026-11-20 21:05:00,123 INFO GET https://bot:{secret('text_userinfo')}@h/api/v1/x -> 200",
}


def outputs(load) -> list[str]:
    texts = [load.frame.astype(str).to_csv(), load.rejects.astype(str).to_csv(), repr(load)]
    return texts


def store_text(store: Path) -> str:
    out = [(store / ".toolkit" / "manifest.json").read_text()]
    for part in store.rglob("part-*.parquet"):
        f = pq.ParquetFile(part)
        out.append(json.dumps(f.read().to_pylist(), default=str))
        meta = f.metadata
        for rg in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                stats = meta.row_group(rg).column(c).statistics
                if stats is not None and stats.has_min_max:
                    out.append(f"{stats.min!r} {stats.max!r}")
    return "\n".join(out)


def check_everywhere(path: Path, planted: list[str], tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(path)
    texts = outputs(load) + [str(w.message) for w in caught]
    try:
        toolkit.read_logs(path, errors="raise")
    except toolkit.LogFormatError as exc:
        texts.append(str(exc))
    out = tmp_path / ("scrubbed-" + path.name)
    toolkit.scrub(path, out)
    raw = out.read_bytes()
    texts.append((gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", "replace"))
    store = tmp_path / f"store-{path.stem}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        toolkit.store.ingest(path, store)
    texts.append(store_text(store))
    texts.append(toolkit.read_logs(store).rejects.astype(str).to_csv())
    for value in planted:
        for text in texts:
            assert value not in text, (value, text[:300])


@pytest.mark.parametrize("name", sorted(JSONL))
def test_a_planted_secret_in_json_lines(tmp_path, name):
    path = tmp_path / "calls.jsonl"
    path.write_text(JSONL[name] + "\n" + line(status=200, response={"code": 0, "msg": "success"}) + "\n",
                    encoding="utf-8")
    planted = [secret(name)] if name != "number" else ["918273645546"]
    check_everywhere(path, planted, tmp_path)


@pytest.mark.parametrize("name", sorted(TEXT))
def test_a_planted_secret_in_a_text_log(tmp_path, name):
    path = tmp_path / "bot.log"
    path.write_text("2026-11-20 21:04:59,000 INFO bot starting\n" + TEXT[name] + "\n")
    check_everywhere(path, [secret(name)], tmp_path)


def _har_entry(**content):
    return {"startedDateTime": TS, "time": 12.0,
            "request": {"method": "GET", "url": SPOT, "headers": [], "queryString": [],
                        "cookies": [{"name": "a", "value": "1"}, {"name": "session", "value": secret("har_cookie")}]},
            "response": {"status": 200, "headers": [], "cookies": [],
                         "content": {"mimeType": "application/json", **content}}}


def test_base64_har_bodies_and_har_cookies(tmp_path):
    body = json.dumps({"code": 0, "msg": "success", "data": {"apiKey": secret("har_b64")}}).encode()
    entries = [_har_entry(encoding="base64", text=base64.b64encode(body).decode()),
               _har_entry(encoding="base64", text=base64.b64encode(gzip.compress(body)).decode())]
    path = tmp_path / "calls.har"
    path.write_bytes(orjson.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"},
                                           "entries": entries}}, option=orjson.OPT_INDENT_2))
    check_everywhere(path, [secret("har_b64"), secret("har_cookie")], tmp_path)
    scrubbed = toolkit.read_logs(tmp_path / "scrubbed-calls.har")
    assert scrubbed.frame["code"].tolist() == [0, 0]  # the bodies still decode


def test_deflate_cassette_bodies(tmp_path):
    import yaml

    body = json.dumps({"code": 0, "msg": "success", "token": secret("deflate")}).encode()
    items = []
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        packer = zlib.compressobj(wbits=wbits)
        items.append({"request": {"method": "GET", "uri": SPOT, "body": None, "headers": {}},
                      "response": {"status": {"code": 200, "message": "OK"},
                                   "headers": {"Content-Encoding": ["deflate"],
                                               "Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]},
                                   "body": {"string": packer.compress(body) + packer.flush()}}})
    path = tmp_path / "cassette.yaml"
    path.write_text(yaml.safe_dump({"interactions": items, "version": 1}))
    check_everywhere(path, [secret("deflate")], tmp_path)
    assert len(toolkit.read_logs(tmp_path / "scrubbed-cassette.yaml").frame) == 2


def _recording_with_a_key(fmt: str, path: Path, key: str) -> Path:
    """One call in ``fmt`` whose request carries ``key`` as its ACCESS-KEY header, in the shape each tool writes."""
    headers = {"ACCESS-KEY": key, "ACCESS-SIGN": "c2ln", "ACCESS-TIMESTAMP": "1795208700000"}
    if fmt == "flat":  # a bot's own JSON logger
        path.write_text(line(status=200, request={"headers": headers}, response={"code": 0, "msg": "ok"}) + "\n")
    elif fmt == "nested":  # a gateway's nested form
        path.write_text(json.dumps({"time": 1795208700000, "request": {"method": "GET", "url": SPOT, "headers": headers},
                                    "response": {"status": 200, "body": {"code": 0, "msg": "ok"}}}) + "\n")
    elif fmt == "caddy":  # Caddy v2's access log keeps request headers as lists
        path.write_text(json.dumps({"level": "info", "ts": 1795208700.1, "logger": "http.log.access.log0",
                                    "msg": "handled request", "status": 200, "duration": 0.01,
                                    "request": {"method": "GET", "host": "api9528mystks.mystonks.org",
                                                "uri": "/api/v1/stock/open-api/ticker",
                                                "headers": {k: [v] for k, v in headers.items()}}}) + "\n")
    elif fmt == "har":  # DevTools: headers as name/value objects
        entry = _har_entry(text='{"code": 0, "msg": "ok"}')
        entry["request"]["headers"] = [{"name": k, "value": v} for k, v in headers.items()]
        entry["request"]["cookies"] = []
        path.write_bytes(orjson.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"},
                                               "entries": [entry]}}))
    else:  # vcrpy: headers as lists of values
        import yaml

        path.write_text(yaml.safe_dump({"version": 1, "interactions": [{
            "request": {"method": "GET", "uri": SPOT, "body": None, "headers": {k: [v] for k, v in headers.items()}},
            "response": {"status": {"code": 200, "message": "OK"},
                         "headers": {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]},
                         "body": {"string": '{"code": 0, "msg": "ok"}'}}}]}))
    return path


@pytest.mark.parametrize("fmt, name", [("flat", "calls.jsonl"), ("nested", "gateway.jsonl"),
                                       ("caddy", "access.jsonl"), ("har", "calls.har"), ("vcr", "cassette.yaml")])
def test_a_planted_key_leaves_only_its_fingerprint(tmp_path, fmt, name):
    key = secret("key_" + fmt)
    path = _recording_with_a_key(fmt, tmp_path / name, key)
    assert toolkit.read_logs(path).frame["key_id"].astype(str).tolist() == [toolkit.secrets.key_id(key)]
    check_everywhere(path, [key], tmp_path)
    store = tmp_path / f"store-{path.stem}"
    assert toolkit.store.query(store, "SELECT key_id FROM calls")["key_id"].tolist() == [toolkit.secrets.key_id(key)]


@pytest.mark.parametrize("headers", [
    "      ACCESS-KEY: [{}\n",
    "      ACCESS-KEY:\n      - {}\n",  # vcrpy's block style
])
def test_a_cassette_that_fails_to_parse_never_quotes_its_key(tmp_path, headers):
    path = tmp_path / "broken.yaml"
    path.write_text("interactions:\n- request:\n    headers:\n" + headers.format(secret("broken"))
                    + "    uri: : : [\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(path)
    assert len(load.rejects) == 1
    for text in outputs(load) + [str(w.message) for w in caught]:
        assert secret("broken") not in text


class _CannedAdapter(requests.adapters.BaseAdapter):
    """A transport answering every call with one canned response, as the exchange would."""

    def __init__(self, status, body: bytes, content_type="application/json"):
        super().__init__()
        self.status, self.body, self.content_type = status, body, content_type

    def send(self, request, **kw):
        r = requests.models.Response()
        r.status_code, r._content, r.url, r.request = self.status, self.body, request.url, request
        r.headers["Content-Type"] = self.content_type
        return r

    def close(self):
        pass


def test_the_recorder_masks_multipart_fields_urls_cookies_and_echoed_keys(tmp_path):
    key = secret("rec_key")
    echo = json.dumps({"code": 401, "msg": f"Invalid ACCESS-KEY {key}", "detail": f"{key} unknown"}).encode()
    path = tmp_path / "calls.jsonl"
    with toolkit.recording_session(path) as s:
        s.mount("https://", _CannedAdapter(401, echo))
        s.post(SPOT.replace("https://", f"https://bot:{secret('rec_userinfo')}@") + "#access_token="
               + secret("rec_fragment"),
               headers={"ACCESS-KEY": key, "ACCESS-PASSPHRASE": secret("rec_pass"),
                        "Cookie": f"a=1; session={secret('rec_cookie')}"},
               files={"file": ("a.txt", b"data")}, data={"password": secret("rec_multipart"), "symbol": "AAPL"})
        s.get(SPOT, headers={"ACCESS-KEY": key}, params={"passphrase": secret("rec_query")})
        big = ("x" * 50 + " apikey ") * 1300  # 64 KB of secret-like words
        s.post(SPOT, data=big.encode(), headers={"Content-Type": "text/plain"})
    text = path.read_text()
    for name in ("rec_key", "rec_userinfo", "rec_fragment", "rec_pass", "rec_cookie", "rec_multipart", "rec_query"):
        assert secret(name) not in text, name
    load = toolkit.read_logs(path)
    assert len(load.frame) == 3 and load.rejects.empty


def test_masking_is_the_same_after_any_cut():
    token = "Bearer " + "A" * 5000
    assert "AAAA" not in toolkit.read._frame.excerpt(json.dumps({"headers": {"Authorization": token}}))
    assert redact(f'{{"Authorization": "{token}"}}') == '{"Authorization": "***"}'


def _fragment_files(tmp_path: Path, token: str) -> dict:
    """The same two calls, one URL with a fragment after the path, one after a query, in every format."""
    import yaml

    urls = [SPOT + "#access_token=" + token, SPOT + "?symbol=BTCUSDT#access_token=" + token]
    files = {}
    fast = [line(url=u, status=200, response={"code": 0, "msg": "success"}) for u in urls]
    files["fast.jsonl"] = "\n".join(fast) + "\n"  # the msgspec path
    general = [line(url=u, status=200, response='{"code": 0, "msg": "success"}') for u in urls]  # body as text
    files["general.jsonl"] = "\n".join(general) + "\n"
    files["bot.log"] = "".join(f"2026-11-20 21:05:00,123 INFO GET {u} -> 200 {{'code': 0, 'msg': 'success'}}\n"
                               for u in urls)
    # vcrpy's YAML: request/response, headers as {name: [values]}, body {string: ...}
    files["cassette.yaml"] = yaml.safe_dump({"version": 1, "interactions": [
        {"request": {"method": "GET", "uri": u, "body": None, "headers": {}},
         "response": {"status": {"code": 200, "message": "OK"}, "headers": {"Date": ["Fri, 20 Nov 2026 21:05:00 GMT"]},
                      "body": {"string": '{"code": 0, "msg": "success"}'}}} for u in urls]})
    entries = [_har_entry(text='{"code": 0, "msg": "success"}') for _ in urls]
    for e, u in zip(entries, urls):
        e["request"]["url"] = u
    files["calls.har"] = json.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"},
                                             "entries": entries}})
    out = {}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        out[name] = tmp_path / name
    return out


@pytest.mark.parametrize("name", ["fast.jsonl", "general.jsonl", "bot.log", "cassette.yaml", "calls.har"])
def test_a_url_fragment_is_no_part_of_the_path_or_the_symbol(tmp_path, name):
    token = secret("fragment_row")
    path = _fragment_files(tmp_path, token)[name]
    load = toolkit.read_logs(path)
    assert len(load.frame) == 2, load.rejects
    assert load.frame["path"].astype(str).tolist() == ["/api/v1/stock/open-api/order"] * 2
    assert load.frame["symbol"].tolist()[1] == "BTCUSDT"
    check_everywhere(path, [token], tmp_path)  # the frame, the scrubbed copy and the store's files


def test_a_cookie_one_har_entry_sends_is_masked_in_another_entrys_url(tmp_path):
    cookie = secret("session_cookie")
    login = _har_entry(text='{"code": 0, "msg": "success"}')
    login["request"]["cookies"] = [{"name": "session", "value": cookie}]
    login["request"]["headers"] = [{"name": "Cookie", "value": f"session={cookie}"}]
    later = _har_entry(text=json.dumps({"code": 401, "msg": f"session {cookie} expired"}))
    later["request"]["cookies"] = []
    later["request"]["url"] = SPOT.replace("/order", f"/order/{cookie}/cancel") + f"?sid={cookie}"
    path = tmp_path / "calls.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "Firefox"}, "entries": [login, later]}}))
    load = toolkit.read_logs(path)
    assert load.frame["path"].astype(str).tolist()[1] == "/api/v1/stock/open-api/order/***/cancel"
    check_everywhere(path, [cookie], tmp_path)
