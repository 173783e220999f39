"""Gateway access logs and other key layouts, brought to the flat JSON Lines record.

Read by default, told apart by their keys:

- **Caddy** (``"logger": "http.log.access..."``): ``ts`` (epoch s),
  ``request {method, host, uri, headers}``, ``status``, ``duration`` (s);
- **Traefik** (``DownstreamStatus``): ``StartUTC``, ``RequestMethod``,
  ``RequestScheme``, ``RequestHost``, ``RequestPath``, ``Duration`` (ns),
  ``downstream_Date``.

Every line is a row, tagged by its status (static files, 101 upgrades, and
status 0, which these gateways write when no response was sent, included);
they record no bodies, so a 2xx is ``ok`` with reason ``unverified``.

Any other layout: ``fields={"time": "started_at", "status": "DownstreamStatus", ...}``
names the keys of the flat record (``time``, ``method``, ``url``, ``status``,
``body``, ``error``, ``latency_ms``, ``latency_s``, ``market``, ``bot``); a dotted
name reaches into nested objects (``"request.uri"``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import ParameterError, ParameterTypeError

#: The flat record's fields a ``fields=`` mapping may name, and the key each becomes.
FIELDS = {"time": "ts", "method": "method", "url": "url", "status": "status", "body": "body", "error": "error",
          "latency_ms": "elapsed_ms", "latency_s": "elapsed", "market": "market", "bot": "bot"}


def check_fields(fields) -> dict | None:
    """Validate a ``fields=`` mapping ({field: key in the record}); None when not given.

    Examples
    --------
    >>> check_fields({"time": "started_at", "status": "DownstreamStatus"})
    {'time': ('started_at',), 'status': ('DownstreamStatus',)}
    """
    if fields is None:
        return None
    if not isinstance(fields, Mapping):
        raise ParameterTypeError(f"fields must be a mapping of field to key, e.g. {{'time': 'started_at'}}, "
                        f"not {type(fields).__name__}")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ParameterError(f"fields has unknown fields {unknown}; use {sorted(FIELDS)}")
    out = {}
    for name, key in fields.items():
        if not isinstance(key, str) or not key:
            raise ParameterError(f"fields[{name!r}] must be a key name, not {key!r}")
        out[name] = tuple(key.split("."))
    return out


def _dig(rec, path):
    for k in path:
        if not isinstance(rec, dict):
            return None
        rec = rec.get(k)
    return rec


def mapped(rec: dict, fields: dict) -> dict:
    """``rec`` with the keys ``fields`` names copied to the flat record's keys."""
    out = dict(rec)
    for name, path in fields.items():
        value = _dig(rec, path)
        if value is not None:
            out[FIELDS[name]] = value
    if "elapsed_ms" not in out and "elapsed" in out:
        out["elapsed_ms"] = _number(out.pop("elapsed"), 1000.0)
    return out


def _number(value, scale):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * scale
    return None


def caddy(rec: dict) -> dict:
    """A Caddy v2 access-log record as a flat record."""
    req = rec.get("request") if isinstance(rec.get("request"), dict) else {}
    uri = req.get("uri") if isinstance(req.get("uri"), str) else None
    host = req.get("host")
    url = uri
    if uri is not None and isinstance(host, str) and host and uri.startswith("/"):
        url = f"{'https' if req.get('tls') else 'http'}://{host}{uri}"
    headers = rec.get("resp_headers")
    return {"ts": rec.get("ts"), "method": req.get("method"), "url": url, "status": rec.get("status"),
            "elapsed_ms": _number(rec.get("duration"), 1000.0),
            "response_headers": headers if isinstance(headers, dict) else None,
            "request": {"headers": req.get("headers")}}


def traefik(rec: dict) -> dict:
    """A Traefik access-log record (JSON format) as a flat record."""
    path, host = rec.get("RequestPath"), rec.get("RequestHost")
    url = path
    if isinstance(path, str) and isinstance(host, str) and host and path.startswith("/"):
        url = f"{rec.get('RequestScheme') or 'http'}://{host}{path}"
    status = rec.get("DownstreamStatus")
    date = rec.get("downstream_Date") or rec.get("origin_Date")
    return {"ts": rec.get("StartUTC") or rec.get("time"), "method": rec.get("RequestMethod"), "url": url,
            "status": status, "elapsed_ms": _number(rec.get("Duration"), 1e-6),
            "response_headers": {"Date": date} if isinstance(date, str) else None}


def adapt(rec: dict, fields: dict | None) -> dict:
    """The flat record for one parsed JSON line: a ``fields=`` mapping first, then the gateway layouts."""
    if fields is not None:
        return mapped(rec, fields)
    if "DownstreamStatus" in rec or "RequestPath" in rec:
        return traefik(rec)
    logger = rec.get("logger")
    if type(logger) is str and logger.startswith("http.log.access"):
        return caddy(rec)
    return rec


__all__ = ["FIELDS", "adapt", "caddy", "check_fields", "mapped", "traefik"]
