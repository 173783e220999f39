"""The cassette layouts other than vcrpy's current one, brought to that layout for :mod:`.vcr`.

- vcrpy's older httpx stubs: ``response: {status_code: 200, content: "..."}``;
- vcrpy before 1.0: a bare list of interactions whose request is a
  ``!!python/object:vcr.request.Request`` (``protocol``, ``host``, ``port``,
  ``path``) and whose response headers are ``"name: value\\r\\n"`` strings;
- betamax (JSON) and Ruby/R VCR (YAML): ``http_interactions``, each with a
  ``recorded_at`` time, ``status: {code | status_code, message}`` and bodies
  as ``{encoding, string}`` or ``{base64_string}``.

An interaction's ``recorded_at`` is its time; otherwise :mod:`.vcr` takes
the response's ``Date`` header.
"""

from __future__ import annotations

import base64
import binascii

from .._frame import _http_date

RECORDED = "_recorded_ns"  # the key a normalised interaction carries its recorded time under


def interactions_of(doc):
    """The list of interactions of a parsed cassette, whatever its layout; None when it is not one.

    Examples
    --------
    >>> items = interactions_of({"http_interactions": [{"request": {"method": "get", "uri": "https://x/a"},
    ...     "response": {"status": {"status_code": 200}, "body": {"string": "{}"}},
    ...     "recorded_at": "2021-12-18 17:03:14 GMT"}]})
    >>> items[0]["request"]["method"], items[0]["response"]["status"], items[0][RECORDED]
    ('GET', 200, 1639846994000000000)
    """
    if isinstance(doc, dict):
        if isinstance(doc.get("interactions"), list):
            return [normalise(i) for i in doc["interactions"]]
        if isinstance(doc.get("http_interactions"), list):
            return [normalise(i) for i in doc["http_interactions"]]
        return None
    if isinstance(doc, list) and all(isinstance(i, dict) and "request" in i for i in doc):
        return [normalise(i) for i in doc]  # vcrpy before 1.0
    return None


def normalise(item):
    """One interaction in vcrpy's current layout (a copy); anything else is left for :mod:`.vcr` to reject."""
    if not isinstance(item, dict):
        return item
    out = dict(item)
    request, response = item.get("request"), item.get("response")
    if isinstance(request, dict):
        request = dict(request)
        if "uri" not in request and "url" not in request and "host" in request and "path" in request:
            scheme = request.get("protocol") or "http"
            port = request.get("port")
            default = {"http": 80, "https": 443}.get(scheme)
            host = request["host"] if port in (None, default) else f"{request['host']}:{port}"
            request["uri"] = f"{scheme}://{host}{request['path']}"
        if isinstance(request.get("method"), str):
            request["method"] = request["method"].upper()
        if isinstance(request.get("headers"), list):
            request["headers"] = _pairs(request["headers"])
        if isinstance(request.get("body"), dict):
            request["body"] = _body(request["body"])
        out["request"] = request
    if isinstance(response, dict):
        response = dict(response)
        status = response.get("status")
        if status is None and "status_code" in response:  # vcrpy's old httpx layout
            status = response["status_code"]
        if isinstance(status, dict):
            status = status.get("code", status.get("status_code"))
        response["status"] = status
        if "body" not in response and "content" in response:
            response["body"] = {"string": response["content"]}
        elif isinstance(response.get("body"), dict) and "base64_string" in response["body"]:
            response["body"] = {"string": _body(response["body"])}
        if isinstance(response.get("headers"), list):
            response["headers"] = _pairs(response["headers"])
        out["response"] = response
    recorded = item.get("recorded_at")
    if isinstance(recorded, str):
        out[RECORDED] = _http_date(recorded.strip())
    elif hasattr(recorded, "timestamp"):  # YAML reads an unquoted ISO time as a datetime
        out[RECORDED] = _http_date(recorded.isoformat())
    return out


def _pairs(headers: list) -> dict:
    """Headers as a list of ``(name, value)`` pairs or ``"name: value"`` lines, as ``{name: [values]}``."""
    out: dict[str, list] = {}
    for h in headers:
        if isinstance(h, str) and ":" in h:
            name, value = h.split(":", 1)
            out.setdefault(name.strip(), []).append(value.strip())
        elif isinstance(h, (list, tuple)) and len(h) == 2 and isinstance(h[0], str):
            values = out.setdefault(h[0], [])
            values.extend(h[1]) if isinstance(h[1], list) else values.append(h[1])
    return out


def _body(body: dict):
    """A betamax / Ruby VCR body: ``{encoding, string}`` or ``{base64_string}``."""
    if "base64_string" in body:
        try:
            return base64.b64decode(body.get("base64_string") or "", validate=False)
        except (binascii.Error, ValueError, TypeError):
            return body.get("base64_string")
    return body.get("string")


__all__ = ["RECORDED", "interactions_of", "normalise"]
