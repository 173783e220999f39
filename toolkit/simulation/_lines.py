"""The recorded lines of the simulated calls, and the files they are written to.

The spot bot logs flat JSON Lines (ISO times, the envelope under ``response``); the futures gateway the
nested form (epoch-ms ``time``, ``request`` with its headers, ``response`` with its ``Date`` header); the
second futures bot records with :func:`toolkit.attach_recorder` (its lines as ``Recorder.line`` in
``toolkit/record/_core.py`` writes them: ``ACCESS-KEY`` and ``ACCESS-SIGN`` masked, ``key_id``, ``bot``,
``response_headers``). Every line names its bot, and its key's fingerprint (``key_id``): the spot bot's
logger on every line (the bot knows the key it runs with), the gateway and the recorder on the signed calls
(those that carry an ``ACCESS-KEY``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from .. import _shapes, classify
from .._io import atomic_file
from ..schema import MARKETS
from ..secrets import MASK, key_id
from ._exchange import CO_TYPE, CODE_200_HOURS, ENDPOINTS, HOST, LEGACY_SYMBOL, OUTCOME_NAMES, OUTCOMES, SYMBOLS

#: The bots of the sample and how each records: the spot bot its own log, the futures bot behind a gateway
#: that logs its calls, and a second futures bot (arbitrage) on the same key with the toolkit's recorder.
BOTS = {"spot-bot": "own", "futures-gateway": "gateway", "futures-arb": "recorder"}
#: Share of the futures calls the second futures bot makes (told by each call's order id, so that a retried
#: call stays with the bot that made it).
ARB_EVERY = 3
_RULES = classify.compile_market_rules(None)


def api_key(market: str, seed: int) -> str:
    """The (fake) API key a market's bots sign with: one for the spot bot, one the two futures bots share."""
    return f"ak-{seed:04d}-5f1e9c2a7b" if market == "futures" else f"ak-{seed:04d}-3c8d0b6e41"


def arb_calls(calls: pd.DataFrame) -> np.ndarray:
    """Which futures calls the second futures bot makes: one in :data:`ARB_EVERY`, by order id."""
    return (calls["oid"].to_numpy() % ARB_EVERY) == 0


def _iso(ns: np.ndarray) -> list[str]:
    s = np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s]


def _http_date(ns: np.ndarray) -> list[str]:
    return pd.DatetimeIndex(ns, tz="UTC").strftime("%a, %d %b %Y %H:%M:%S GMT").tolist()


def lines(market: str, calls: pd.DataFrame, seed: int, t0: pd.Timestamp, bot: str):
    """The recorded line (JSON bytes) of every call of :func:`~toolkit.simulation._traffic.market_calls` that
    ``bot`` made, as it records them (:data:`BOTS`)."""
    eps, syms = ENDPOINTS[market], SYMBOLS[market]
    form = BOTS[bot]
    iso = _iso(calls["t"].to_numpy()) if form != "gateway" else None
    dates = _http_date(calls["t"].to_numpy()) if market == "futures" else None
    key = api_key(market, seed)
    fingerprint = key_id(key)
    code_200_until = (t0 + pd.Timedelta(hours=CODE_200_HOURS)).value if market == "futures" else 0
    if "listed" not in calls:  # (no reconciliation: no call lists the orders of an earlier one)
        calls = calls.assign(listed=None)
    for i, (t, e, o, lat, s, u, oid, off, zh, fails, listed) in enumerate(calls.itertuples(index=False, name=None)):
        method, tmpl, _, signed, role = eps[e]
        symbol = syms[s]
        co_type, legacy = CO_TYPE.get(symbol, 1), LEGACY_SYMBOL.get(symbol, "BTC-USD-PERP")
        path = tmpl.replace("{symbol}", symbol)
        status, body, body_en, error = OUTCOMES[OUTCOME_NAMES[o]]
        if body_en is not None and not zh:
            body = body_en
        query, sent = _shapes.request(tmpl, symbol, co_type, legacy, u, oid)
        if OUTCOME_NAMES[o] == "legacy_invalid_symbol":  # the bot sent the futures symbol form
            legacy = legacy.replace("-USD-PERP", "-USDT")
            query = {**(query or {}), "symbol": legacy}
        if isinstance(body, dict) and "error" in body:
            body = {"error": body["error"].replace("{legacy}", legacy)}
        if status == 200 and body is None:
            failed = {j for j in range(5) if fails >> j & 1} if role == "batch" else ()
            payload = (_shapes.data(tmpl, symbol, co_type, legacy, u, oid, failed) if listed is None
                       else _shapes.listing(tmpl, symbol, co_type, u, listed))
            if role == "legacy":
                body = payload
            elif t < code_200_until and role != "data":  # the older build: private success is code 200
                body = ({"code": 200, "message": "订单创建成功", "data": payload} if tmpl.endswith("order/create")
                        else {"code": 200, "msg": "success", "data": payload})
            else:
                body = {"code": 0, "msg": "success", "data": payload}
        if error is not None:
            error = error.replace("{path}", path)
        url = HOST + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        headers = None
        if signed:
            headers = {"ACCESS-KEY": key, "ACCESS-SIGN": f"{oid * 7919:x}=",
                       "ACCESS-TIMESTAMP": str(int(t // 1_000_000 + off))}
        if form == "recorder":
            yield orjson.dumps(_recorded(iso[i][:-1] + "000Z", method, url, status, lat, bot, headers, sent, body,
                                         error, dates[i], fingerprint))
            continue
        if form == "own":  # the bot's own logger names the key it runs with on every line, signed or not
            rec = {"ts": iso[i], "method": method, "url": url, "bot": bot, "key_id": fingerprint}
            req = {}
            if headers:
                req["headers"] = headers
            if sent is not None:
                req["body"] = sent
            if req:
                rec["request"] = req
            rec["status"] = status
            if body is not None:
                rec["response"] = body
            if error is not None:
                rec["error"] = error
            rec["elapsed_ms"] = lat
        else:
            req = {"method": method, "url": url}
            if headers:
                req["headers"] = {**headers, "Content-Type": "application/json"} if sent is not None else headers
            if sent is not None:
                req["body"] = sent
            rec = {"time": int(t // 1_000_000), "bot": bot, "request": req}
            if headers:
                rec["key_id"] = fingerprint
            if status is None:
                rec["response"] = None
                rec["error"] = error
            else:
                rec["response"] = {"status": status, "headers": {"Date": dates[i]}, "body": body}
            rec["duration_ms"] = lat
        yield orjson.dumps(rec)


def _recorded(ts, method, url, status, latency, bot, headers, sent, body, error, date, fingerprint) -> dict:
    """A call as the toolkit's recorder writes it (``Recorder.line``): secrets masked, the key's fingerprint."""
    rec = {"ts": ts, "method": method, "url": url, "status": status, "elapsed_ms": latency}
    market = MARKETS[classify.url_market(url.split("?", 1)[0].split("://", 1)[-1], _RULES)]
    if market != "unknown":  # the recorder leaves out a market its URL rules do not tell
        rec["market"] = market
    rec["bot"] = bot
    if headers:
        rec["key_id"] = fingerprint
    if error is not None:
        rec["error"] = error
    elif body is not None:
        rec["body"] = body
    sent_headers = {**headers, "ACCESS-KEY": MASK, "ACCESS-SIGN": MASK} if headers else {}
    if sent is not None:
        sent_headers["Content-Type"] = "application/json"
    rec["request"] = {"headers": sent_headers, **({"body": sent} if sent is not None else {})}
    if status is not None:
        rec["response_headers"] = {"Date": date, "Content-Type": "application/json"}
    return rec


def _gzip_opener(name: str):
    """Gzip streams that name ``name`` in their header whatever the temporary file is called (the sample is
    byte for byte what the simulator writes)."""
    def opener(tmp):
        raw = open(tmp, "wb")
        gz = gzip.GzipFile(filename=name, mode="wb", fileobj=raw, compresslevel=9, mtime=0)
        gz.myfileobj = raw  # closing the gzip stream closes the file, as gzip.open's streams do
        return gz
    return opener


def write(path: Path, records) -> None:
    """Write lines to ``path`` (gzipped when it ends in ``.gz``), atomically."""
    opener = _gzip_opener(path.name + ".part") if path.name.endswith(".gz") else None
    with atomic_file(path, opener=opener) as f:
        buf = []
        for line in records:
            buf.append(line)
            if len(buf) >= 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            f.write(b"\n".join(buf) + b"\n")
