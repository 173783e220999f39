"""Every public recording of ../shared/realworld/corpus/ (made by other tools) reads right.

For each file: no exception; every line or entry is a row, a reject or a
counted skip, checked against a count made here without the toolkit; HAR
skips are only the preflights, static assets and WebSockets the user guide
defines (counted here by that definition); time, method, path and status
match a hand-checked sample; no request-header secret reaches any output.
"""

import gzip
import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "realworld" / "corpus"
FILES = sorted(p.name for p in CORPUS.iterdir()) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/realworld/corpus is not here")

SECRET_HEADERS = re.compile(r"authorization|cookie|api[-_]?key|auth[-_]?token|access[-_]key|access[-_]sign"
                            r"|secret|signature|passphrase|token", re.I)
STATIC_TYPES = {"image", "stylesheet", "script", "font", "media", "manifest", "texttrack"}
STATIC_ENDINGS = (".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".avif",
                  ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp4", ".webm", ".mp3", ".map")

#: hand-checked against the files: (line or entry, UTC time, method, path, HTTP status or None)
SAMPLE = {
    "harto-request-generator-all-status-and-method.har.gz": [
        (1, "2022-08-07 16:56:53.913", "DELETE", "/api/methods/delete", 200),
        (100, "2022-08-07 16:56:58.710", "DELETE", "/api/status/208methods/delete", 208)],
    "mitmproxy-error_log.har": [(1, "2023-07-25 11:03:15.216374", "GET", "/", None),
                                (2, "2023-07-25 11:07:56.330959", "POST", "/get", 405)],
    "playwright-har-unstable-network.har": [(1, "2022-06-16 21:41:23.951", "GET", "/api", None),
                                            (2, "2023-04-11 06:05:46.243", "GET", "/api", 200)],
    "haralyzer-cnn.har": [(1, "2015-02-22 03:15:37.909", "GET", "/", 301)],  # -08:00 in the file
    "rvcr-binancer-usdm_v1_premium_index_btcusdt.yml": [(1, "2021-12-18 17:03:14", "GET", "/fapi/v1/premiumIndex",
                                                         200)],
    "github3py-betamax-Repository_releases.json": [(2, "2018-01-05 16:13:31", "GET",
                                                    "/repos/sigmavirus24/github3.py/releases", 200)],
    "vcrpy-old_cassette.yaml": [(1, "2014-04-21 23:06:09", "GET", "/ip", 200)],
    "vcrpy-gzip_httpx_old_format.yaml": [(1, "2022-06-12 18:03:57", "GET", "/gzip", 200)],
    "vcrpy-tornado_exception.yaml": [(1, "2015-07-30 17:32:39", "GET", "/status/500", 500)],
    "caddy-json-access.log.gz": [(3, "2024-02-27 14:16:46.417526", "GET",
                                  "/code/stable-76e6f757580b6c776526ba208fe39d7c86fb3e11", 502)],
    "traefik-json-access.log": [(3, "2024-06-06 09:16:52.885579220", "GET", "/vercel.svg", 200)],
    "gozero-json-access.log": [(3, "2025-03-11 11:36:33.479", "POST", "/api/v1/tags/import/tag", 400)],
    "yashnaj-requests-http.jsonl": [(1, "2026-09-02 21:14:31.934832", "GET", "/s1", 401)],
    "bdns-fetch-verbose-urllib3.log": [(4, "2026-10-04 20:02:24.125", "GET",
                                        "/bdnstrans/api/planesestrategicos/documentos", 400)],
    "ccxt-verbose-multilang.log": [(5, "2022-11-28 22:42:30", "GET", "/api/v3/time", 200),   # ccxt.js, one line
                                   (7, "2022-11-28 22:42:31", "GET", "/api/v3/time", 200)],  # ccxt python
}


def _raw(name: str) -> bytes:
    data = (CORPUS / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _har_entries(data: bytes) -> list:
    return json.loads(data.decode("utf-8-sig"))["log"]["entries"]  # the stdlib accepts lone surrogates


def _expected_har_skips(entries) -> int:
    """Preflights and static assets, by the user guide's definition (WebSocket entries are WebSocket rows)."""
    n = 0
    for e in entries:
        req, resp = e["request"], e.get("response") or {}
        kind = (e.get("_resourceType") or "").lower()
        mime = ((resp.get("content") or {}).get("mimeType") or "").lower()
        path = req["url"].split("#")[0].split("?")[0].lower()
        if kind == "websocket" or "_webSocketMessages" in e:
            continue
        n += (req["method"] == "OPTIONS" or kind == "preflight"
              or kind in STATIC_TYPES or mime.split("/")[0] in ("image", "font", "audio", "video")
              or "css" in mime or "javascript" in mime or path.endswith(STATIC_ENDINGS))
    return n


def _websocket_units(entries) -> int:
    """The WebSocket rows a HAR's WebSocket entries give: an open row and one row per frame each."""
    return sum(1 + len(e.get("_webSocketMessages") or []) for e in entries
               if (e.get("_resourceType") or "").lower() == "websocket" or "_webSocketMessages" in e)


def _count(name: str, data: bytes):
    """(units in the file, expected skips or None when any skip is allowed, request-header secrets); a HAR's
    units are its entries, and its WebSocket entries' frames besides."""
    secrets = set()
    if name.endswith((".har", ".har.gz")):
        entries = _har_entries(data)
        for e in entries:
            for h in e["request"].get("headers") or []:
                if SECRET_HEADERS.search(h["name"]) and len(h["value"]) >= 8:
                    secrets.add(h["value"])
        sockets = [e for e in entries
                   if "_webSocketMessages" in e or (e.get("_resourceType") or "").lower() == "websocket"]
        return len(entries) - len(sockets) + _websocket_units(sockets), _expected_har_skips(entries), secrets
    text = data.decode("utf-8", "replace")
    if name.endswith((".yaml", ".yml")):
        return len(re.findall(r"^- request:", text, re.M)), 0, secrets
    if name.endswith(".json"):
        doc = json.loads(text)
        items = doc.get("interactions") or doc.get("http_interactions")
        for item in items:
            for k, v in (item["request"].get("headers") or {}).items():
                for value in v if isinstance(v, list) else [v]:
                    if SECRET_HEADERS.search(k) and len(value) >= 8:
                        secrets.add(value)
        return len(items), 0, secrets
    return sum(1 for line in text.splitlines() if line.strip()), None, secrets


@pytest.mark.parametrize("name", FILES)
def test_every_corpus_file_reads_right(name):
    data = _raw(name)
    units, skips, secrets = _count(name, data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load = toolkit.read_logs(CORPUS / name)
    report = load.report.iloc[0]
    assert load.lines == units == report["rows"] + report["rejects"] + report["skipped"] + report["frames"]
    assert len(load.frame) == report["rows"] and len(load.rejects) == report["rejects"]
    if skips is not None:
        assert report["skipped"] == skips
        assert set(load.skips["reason"]) <= {"preflight", "static"}
    if name.endswith((".har", ".har.gz", ".yaml", ".yml")) or report["format"] == "vcr":
        # every exchange accounted for (a WebSocket entry by its rows in load.websocket)
        assert report["rows"] + report["rejects"] + report["skipped"] + report["frames"] == units
    df = load.frame
    assert not df["ts"].isna().any() and (df["ts"] > pd.Timestamp("2000-01-01", tz="UTC")).all()
    for line, ts, method, path, status in SAMPLE.get(name, []):
        row = df[df["line"] == line]
        assert len(row) == 1, (name, line)
        row = row.iloc[0]
        assert row["ts"] == pd.Timestamp(ts, tz="UTC"), (name, line)
        assert (row["method"], row["path"]) == (method, path), (name, line)
        assert (None if pd.isna(row["http_status"]) else int(row["http_status"])) == status, (name, line)
    everything = (df.astype(str).to_csv() + load.rejects.to_csv() + load.websocket.astype(str).to_csv()
                  + "".join(str(w.message) for w in caught))
    for secret in secrets:
        assert secret not in everything, (name, secret[:6])


def test_the_corpus_together():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load = toolkit.read_logs(CORPUS)
    assert len(load.report) == len(FILES)
    assert load.lines == (len(load.frame) + len(load.rejects) + int(load.report["skipped"].sum())
                          + len(load.websocket))
    # the tools' own exports of real API calls are rows, not skips
    harto = load.report[load.report["source"].str.endswith("all-status-and-method.har.gz")].iloc[0]
    assert (harto["rows"], harto["rejects"], harto["skipped"]) == (604, 1, 60)
    # mitmproxy's WebSocket flows: three sockets opened, five frames, in load.websocket
    websocket = load.websocket[load.websocket["source"].astype(str).str.endswith("mitmproxy-websocket.har")]
    assert websocket["kind"].astype(str).value_counts().to_dict() == {"other": 5, "open": 3}
    assert Path(CORPUS).is_dir()
