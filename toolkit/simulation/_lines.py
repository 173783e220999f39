"""The recorded lines of the simulated calls, and the files they are written to.

The spot bot logs flat JSON Lines (ISO times, the envelope under ``response``); the futures gateway the
nested form (epoch-ms ``time``, ``request`` with its headers, ``response`` with its ``Date`` header).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from .. import _shapes
from .._io import atomic_file
from ._exchange import CO_TYPE, CODE_200_HOURS, ENDPOINTS, HOST, LEGACY_SYMBOL, OUTCOME_NAMES, OUTCOMES, SYMBOLS


def _iso(ns: np.ndarray) -> list[str]:
    s = np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s]


def _http_date(ns: np.ndarray) -> list[str]:
    return pd.DatetimeIndex(ns, tz="UTC").strftime("%a, %d %b %Y %H:%M:%S GMT").tolist()


def lines(market: str, calls: pd.DataFrame, seed: int, t0: pd.Timestamp):
    """The recorded line (JSON bytes) of every call of :func:`~toolkit.simulation._traffic.market_calls`."""
    eps, syms = ENDPOINTS[market], SYMBOLS[market]
    iso = _iso(calls["t"].to_numpy()) if market == "spot" else None
    dates = _http_date(calls["t"].to_numpy()) if market == "futures" else None
    key = f"ak-{seed:04d}-5f1e9c2a7b"
    code_200_until = (t0 + pd.Timedelta(hours=CODE_200_HOURS)).value if market == "futures" else 0
    for i, (t, e, o, lat, s, u, oid, off, zh, fails) in enumerate(calls.itertuples(index=False, name=None)):
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
            payload = _shapes.data(tmpl, symbol, co_type, legacy, u, oid, failed)
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
        if market == "spot":
            rec = {"ts": iso[i], "method": method, "url": url}
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
            rec = {"time": int(t // 1_000_000), "request": req}
            if status is None:
                rec["response"] = None
                rec["error"] = error
            else:
                rec["response"] = {"status": status, "headers": {"Date": dates[i]}, "body": body}
            rec["duration_ms"] = lat
        yield orjson.dumps(rec)


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
