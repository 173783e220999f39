"""Recording WebSockets: the ``websockets`` client (``toolkit.record.connect``) and ``aiohttp``'s ``ws_connect``
(``attach_recorder``), against a local MSX-like feed on 127.0.0.1 (the ``websockets`` library's server) that
pushes, then drops the connection, restarts with 1012, stops answering pings, or refuses the upgrade."""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus

import pytest

import toolkit
import toolkit.record

websockets = pytest.importorskip("websockets")
aiohttp = pytest.importorskip("aiohttp")
from websockets.asyncio.server import serve  # noqa: E402

SECRET = "ak-5f0e9c2b7d"


async def _feed(ws):
    """The exchange's side (endpoints.md §5): acks a subscribe, answers app pings, pushes three tickers, then
    does what the URL's ``then`` says."""
    then = ws.request.path.split("then=", 1)[-1].split("&")[0] if "then=" in ws.request.path else "stay"
    async for text in ws:
        msg = json.loads(text)
        if msg.get("action") == "ping":
            await ws.send(json.dumps({"event": "pong", "time": 1772439302417}))
        elif msg.get("action") == "subscribe":
            stream = msg["streams"][0]
            await ws.send(json.dumps({"event": "subscribed", "channel": "ticker", "message": f"订阅成功: {stream}",
                                      "time": 1772439302417}, ensure_ascii=False))
            for i in range(3):
                await ws.send(json.dumps({"action": "ticker", "result": {"s": "BTCUSDT", "c": "67321.5",
                                                                         "E": 1772439302417 + i}}))
            if then == "drop":
                ws.transport.abort()  # the network goes: no close frame either way
                return
            if then == "restart":
                await ws.close(1012, "service restart")
                return
            if then == "mute":
                ws.transport.pause_reading()  # stops reading, so stops answering pings
                await asyncio.sleep(5)
                return


def _refuse(connection, request):
    if request.path.startswith("/refuse"):
        return connection.respond(HTTPStatus.BAD_GATEWAY, "502 Bad Gateway\n")
    return None


async def _serve(client):
    async with serve(_feed, "127.0.0.1", 0, process_request=_refuse) as server:
        port = server.sockets[0].getsockname()[1]
        await client(f"ws://127.0.0.1:{port}")


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


SUBSCRIBE = json.dumps({"action": "subscribe", "streams": ["BTCUSDT@ticker"]})
LOGIN = json.dumps({"action": "login", "apiKey": SECRET, "signature": "c2lnbmF0dXJlLXNlY3JldA"})


def test_the_websockets_client_records_every_frame_and_each_way_a_connection_ends(tmp_path):
    path = tmp_path / "feed.jsonl"

    async def client(base):
        url = base + "/api/v1/spot/ws?then="
        async with toolkit.record.connect(url + f"restart&api_key={SECRET}", path, bot="spot-mm") as ws:
            await ws.send(LOGIN)
            await ws.send(json.dumps({"action": "ping"}))
            await ws.send(SUBSCRIBE)
            assert json.loads(_lines(path)[-1]["data"])["action"] == "subscribe"  # written at once
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
        async with toolkit.record.connect(url + "drop", path, bot="spot-mm") as ws:
            await ws.send(SUBSCRIBE)
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
        async with toolkit.record.connect(url + "mute", path, bot="spot-mm", ping_interval=0.05, ping_timeout=0.1,
                                          close_timeout=0.2) as ws:
            await ws.send(SUBSCRIBE)
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
        with pytest.raises(websockets.InvalidStatus):
            await toolkit.record.connect(base + "/refuse/api/v1/spot/ws", path, bot="spot-mm")

    asyncio.run(_serve(client))
    text = path.read_text()
    assert SECRET not in text and "c2lnbmF0dXJlLXNlY3JldA" not in text  # the URL's key and the login masked
    load = toolkit.read_logs(path)
    ws = load.websocket
    assert load.rejects.empty and load.report["frames"].tolist() == [len(ws)] == [len(text.splitlines())]
    assert set(ws["bot"]) == {"spot-mm"} and set(ws["market"]) == {"spot"}
    sessions = toolkit.ws_sessions(ws)
    assert sessions["close_code"].tolist() == [1012, 1006, 1006]
    assert sessions["closed_by"].tolist() == ["server", "network", "client"]
    mute = ws[ws["connection"] == sessions["connection"][2]]
    assert (mute["kind"] == "ping").sum() >= 1 and not (mute["kind"] == "pong").any()  # pings left unanswered
    assert mute[mute["kind"] == "close"]["close_code"].tolist()[0] == 1011  # the client gave up: keepalive timeout
    first = ws[ws["connection"] == sessions["connection"][0]]
    assert first[first["kind"] == "data"]["stream"].tolist() == ["BTCUSDT@ticker"] * 3
    assert first["kind"].tolist().count("pong") == 1 and first["kind"].tolist().count("ack") == 1
    failed = ws[ws["kind"] == "handshake_failed"]
    assert failed["status"].tolist() == [502]
    assert toolkit.ws_streams(ws)["acked"].tolist() == [True, True, True]


def test_aiohttp_ws_connect_is_recorded_with_the_session(tmp_path):
    path = tmp_path / "feed.jsonl"

    async def client(base):
        url = base + "/api/v1/futures/ws?then="
        async with toolkit.attach_recorder(aiohttp.ClientSession(), path, bot="futures-mm") as session:
            async with session.ws_connect(url + "restart") as ws:
                await ws.send_json({"action": "ping"})
                await ws.send_str(SUBSCRIBE)
                async for _ in ws:
                    pass
            async with session.ws_connect(url + "drop") as ws:
                await ws.send_str(SUBSCRIBE)
                async for _ in ws:
                    pass
            async with session.ws_connect(url + "stay") as ws:
                await ws.send_str(SUBSCRIBE)
                for _ in range(4):
                    await ws.receive()
                await ws.close(code=1000)
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(base + "/refuse/api/v1/futures/ws")

    asyncio.run(_serve(client))
    load = toolkit.read_logs(path)
    ws = load.websocket
    assert load.rejects.empty and set(ws["bot"]) == {"futures-mm"} and set(ws["market"]) == {"futures"}
    sessions = toolkit.ws_sessions(ws)
    assert sessions["close_code"].tolist() == [1012, 1006, 1000]
    assert sessions["closed_by"].tolist() == ["server", "network", "client"]
    assert sessions["received"].tolist()[0] == 1 + 1 + 3 + 1  # pong, ack, three pushes, the close frame
    assert (ws["kind"] == "handshake_failed").sum() == 1 and ws["status"].dropna().tolist() == [502]
    # the refused upgrade is a REST row too, as every other call of the session
    assert 502 in load.frame["http_status"].dropna().tolist()
