"""Recording httpx (sync and async), aiohttp and ccxt exchanges against servers on 127.0.0.1."""

import asyncio
import threading
import warnings

import orjson
import pytest

import toolkit
from tests.local_exchange import CUT, SLOW, LocalExchange, refused_url
from tests.test_record import CALLS, HEADERS, SECRET_KEY, SECRET_PASS, SECRET_SIGN

httpx = pytest.importorskip("httpx")
aiohttp = pytest.importorskip("aiohttp")
from aiohttp import web  # noqa: E402

PARAMS = {"symbol": "AAPL", "apiKey": SECRET_KEY, "signature": SECRET_SIGN}
BODY = {"symbol": "AAPL", "qty": 1, "password": SECRET_PASS}


@pytest.fixture(scope="module")
def exchange():
    with LocalExchange() as ex:
        yield ex


def lines(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def check_loads_back(path, expected):
    load = toolkit.read_logs(path)
    assert load.rejects.empty and len(load.frame) == len(expected)
    got = load.frame[["path", "category", "reason"]].astype(str).values.tolist()
    assert got == [[p, c, r] for _, p, c, r in expected]
    raw = path.read_bytes()
    for secret in (SECRET_KEY, SECRET_SIGN, SECRET_PASS):
        assert secret.encode() not in raw
    return load


def test_httpx_client(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    client = toolkit.attach_recorder(httpx.Client(base_url=exchange.url, headers=HEADERS, timeout=5), path)
    for method, p, _, _ in CALLS:
        r = client.request(method, p, params=PARAMS, json=BODY if method == "POST" else None)
        assert r.status_code in (200, 400, 401, 404, 429, 502)
    # the caller's own reading and streaming still work, gzip included
    assert client.post("/api/v1/futures/open-api/order/create", json=BODY).json() == {"code": 8018,
                                                                         "message": "Insufficient margin"}
    with client.stream("GET", "/api/v1/stock/open-api/depth") as r:
        assert orjson.loads(b"".join(r.iter_bytes(7)))["code"] == 0
    client.close()
    check_loads_back(path, CALLS + [("POST", "/api/v1/futures/open-api/order/create", "insufficient_funds",
                                     "insufficient_margin"), ("GET", "/api/v1/stock/open-api/depth", "ok", "ok")])
    recs = lines(path)
    assert recs[0]["request"]["headers"]["ACCESS-KEY"] == "***" and "apiKey=***" in recs[0]["url"]
    assert recs[-2]["body"] == {"code": 8018, "message": "Insufficient margin"}  # decoded from gzip
    assert recs[-1]["body"]["code"] == 0  # streamed, and copied as it went by
    assert recs[1]["request"]["body"]["password"] == "***"


@pytest.mark.parametrize("target, exc_type, reason", [
    ("slow", httpx.ReadTimeout, "timeout"),
    ("refused", httpx.ConnectError, "connection_error"),
    ("cut", httpx.RemoteProtocolError, "transport_error"),
])
def test_httpx_failures_are_recorded_and_reraised_unchanged(tmp_path, exchange, target, exc_type, reason):
    base, p = {"slow": (exchange.url, SLOW), "refused": (refused_url(), "/api/v1/futures/open-api/position/current"),
               "cut": (exchange.url, CUT)}[target]
    with httpx.Client(timeout=0.3) as plain, pytest.raises(exc_type) as bare:
        plain.get(base + p)
    path = tmp_path / "calls.jsonl"
    with toolkit.attach_recorder(httpx.Client(timeout=0.3), path) as client, pytest.raises(exc_type) as recorded:
        client.get(base + p)
    assert type(recorded.value) is type(bare.value) and str(recorded.value) == str(bare.value)
    [rec] = lines(path)
    assert rec["status"] is None and rec["error"].startswith(exc_type.__name__)
    df = toolkit.load_logs(path)
    assert (df.loc[0, "category"], df.loc[0, "reason"]) == ("transport", reason)


def test_httpx_client_under_many_threads(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    # timeouts long enough for a busy machine: a slow answer is not what is tested
    client = toolkit.attach_recorder(httpx.Client(base_url=exchange.url, timeout=60), path)
    errors = []

    def work(i):
        try:
            client.get(CALLS[i % len(CALLS)][1], params=PARAMS)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(120)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    assert not errors
    assert len(lines(path)) == 120 and toolkit.read_logs(path).rejects.empty


def test_httpx_async_client_200_concurrent_tasks(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"

    async def main():
        client = toolkit.attach_recorder(httpx.AsyncClient(base_url=exchange.url, timeout=60,
                                                           limits=httpx.Limits(max_connections=50)), path)
        async with client:
            got = await asyncio.gather(*(client.get(CALLS[i % len(CALLS)][1], params=PARAMS) for i in range(200)))
            refused = refused_url()
            with pytest.raises(httpx.ConnectError):
                await client.get(refused + "/api/v1/futures/open-api/position/current")
            async with client.stream("GET", "/api/v1/stock/open-api/depth") as r:
                body = b"".join([c async for c in r.aiter_bytes()])
        return got, body

    got, body = asyncio.run(main())
    assert orjson.loads(body)["code"] == 0
    from tests.local_exchange import ROUTES
    assert [r.status_code for r in got[:len(CALLS)]] == [ROUTES[p][0] for _, p, _, _ in CALLS]
    assert got[0].json()["data"]["bids"] == [["189.1", "5"]]
    load = toolkit.read_logs(path)
    assert load.rejects.empty and len(load.frame) == 202
    assert (load.frame["category"] == "transport").sum() == 1


# an aiohttp server, for the aiohttp client's 200 concurrent tasks
async def _handler(request):
    path = request.path
    if request.can_read_body:
        await request.read()
    if path == SLOW:
        await asyncio.sleep(1.0)
    from tests.local_exchange import ROUTES
    status, body = ROUTES.get(path, (404, {"code": 404, "msg": "no such endpoint"}))
    if isinstance(body, str):
        return web.Response(status=status, text=body, content_type="text/html")
    return web.json_response(body, status=status)


async def _serve():
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


def test_aiohttp_session_200_concurrent_tasks_and_failures(tmp_path):
    path = tmp_path / "calls.jsonl"

    async def one(session, base, i):
        method, p, _, _ = CALLS[i % len(CALLS)]
        async with session.request(method, base + p, params=PARAMS, headers=HEADERS,
                                   json=BODY if method == "POST" else None) as r:
            return r.status, (await r.json() if r.content_type == "application/json" else await r.text())

    async def main():
        runner, base = await _serve()
        try:
            session = toolkit.attach_recorder(aiohttp.ClientSession(), path)
            async with session:
                got = await asyncio.gather(*(one(session, base, i) for i in range(200)))
                with pytest.raises(aiohttp.ClientConnectorError):
                    await session.get(refused_url() + "/api/v1/futures/open-api/position/current")
                with pytest.raises(asyncio.TimeoutError):
                    await session.get(base + SLOW, timeout=aiohttp.ClientTimeout(total=0.2))
                async with session.get(base + "/api/v1/stock/open-api/depth") as r:  # streamed by the caller
                    streamed = b"".join([c async for c in r.content.iter_chunked(5)])
                async with session.get(base + "/api/v1/futures/open-api/position/current"):  # released unread
                    pass
        finally:
            await runner.cleanup()
        return got, streamed

    got, streamed = asyncio.run(main())
    assert got[0] == (200, {"code": 0, "msg": "success", "data": {"bids": [["189.1", "5"]], "asks": []}})
    assert orjson.loads(streamed)["code"] == 0
    load = toolkit.read_logs(path)
    assert load.rejects.empty and len(load.frame) == 204
    df = load.frame
    assert df["reason"].astype(str).value_counts()[["timeout", "connection_error"]].tolist() == [1, 1]
    assert df["reason"].tolist()[-1] == "auth_failed"  # released unread: recorded from its status alone
    ordinary = df[df["http_status"].notna()]
    by_path = ordinary.groupby("path")["category"].agg(lambda c: set(c.astype(str)))
    for _, p, category, _ in CALLS:
        assert category in by_path[p]
    recs = lines(path)
    assert all(SECRET_KEY not in orjson.dumps(r).decode() for r in recs)
    assert any(r.get("request", {}).get("body", {}).get("password") == "***" for r in recs)


# Stand-ins with the attributes of ccxt's Exchange that the recorder uses (id, has, session, fetch, open),
# fetching as ccxt/base/exchange.py and ccxt/async_support/base/exchange.py do: the sync one through
# self.session.request(method, url, data=body, headers=..., timeout=...), the async one through
# getattr(self.session, method.lower())(url, data=..., headers=..., timeout=...) on the aiohttp
# session that open() creates when own_session is set and self.session is None.
class SyncExchange:
    id = "msx"
    has = {"fetchTicker": True}

    def __init__(self, base):
        import requests

        self.base = base
        self.session = requests.Session()

    def fetch(self, url, method="GET", headers=None, body=None):
        response = self.session.request(method, url, data=body, headers=headers, timeout=5)
        return response.status_code, response.text


class AsyncExchange:
    id = "msx"
    has = {"fetchTicker": True}

    def __init__(self):
        self.session = None
        self.own_session = True

    def open(self):
        if self.own_session and self.session is None:
            self.session = aiohttp.ClientSession()

    async def fetch(self, url, method="GET", headers=None, body=None):
        self.open()
        session_method = getattr(self.session, method.lower())
        async with session_method(url, data=body.encode() if body else None, headers=headers,
                                  timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status, await response.text()

    async def close(self):
        if self.session is not None:
            if self.own_session:
                await self.session.close()
            self.session = None


def test_a_sync_ccxt_exchange_records_through_its_requests_session(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    ex = toolkit.attach_recorder(SyncExchange(exchange.url), path)
    status, text = ex.fetch(exchange.url + "/api/v1/futures/open-api/order/create", "POST", HEADERS, orjson.dumps(BODY).decode())
    assert status == 200 and orjson.loads(text)["code"] == 8018
    ex.session.close()
    [rec] = lines(path)
    assert rec["body"]["code"] == 8018 and rec["request"]["headers"]["ACCESS-SIGN"] == "***"


def test_an_async_ccxt_exchange_records_the_session_it_opens(tmp_path):
    path = tmp_path / "calls.jsonl"

    async def main():
        runner, base = await _serve()
        try:
            ex = toolkit.attach_recorder(AsyncExchange(), path)  # no session yet: ccxt makes it in open()
            got = await asyncio.gather(*(ex.fetch(base + "/api/v1/futures/open-api/ticker/BTCUSDT", "GET", HEADERS)
                                         for _ in range(20)))
            await ex.close()
            again = await ex.fetch(base + "/api/v1/stock/open-api/depth")  # a new session, recorded too
            await ex.close()
        finally:
            await runner.cleanup()
        return got, again

    got, again = asyncio.run(main())
    assert {s for s, _ in got} == {429} and again[0] == 200
    df = toolkit.load_logs(path)
    assert df["category"].astype(str).value_counts().to_dict() == {"rate_limit": 20, "ok": 1}


def test_other_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="httpx.Client or AsyncClient, an aiohttp.ClientSession or a ccxt exchange"):
        toolkit.attach_recorder(object(), tmp_path / "x.jsonl")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = toolkit.attach_recorder(httpx.Client(), tmp_path / "x.jsonl")
        with pytest.raises(ValueError, match="already records to"):
            toolkit.attach_recorder(client, tmp_path / "y.jsonl")
        client.close()


def test_each_call_is_on_disk_when_it_returns_and_files_rotate(tmp_path, exchange):
    path = tmp_path / "calls.jsonl"
    client = toolkit.attach_recorder(httpx.Client(base_url=exchange.url, timeout=5), path, max_bytes=4_000)
    for i in range(1, 13):
        client.get("/api/v1/stock/open-api/depth", params=PARAMS)
        on_disk = sum(len(p.read_bytes().splitlines()) for p in tmp_path.glob("calls*.jsonl"))
        assert on_disk == i  # written and flushed before the call returned
    client.close()
    files = sorted(tmp_path.glob("calls*.jsonl"))
    assert len(files) > 1 and all(p.stat().st_size <= 4_000 for p in files)
    assert len(toolkit.load_logs(tmp_path)) == 12

    async def main():
        async with toolkit.attach_recorder(aiohttp.ClientSession(), tmp_path / "aio.jsonl") as session:
            for i in range(1, 4):
                async with session.get(exchange.url + "/api/v1/stock/open-api/depth") as r:
                    await r.json()
                assert len((tmp_path / "aio.jsonl").read_bytes().splitlines()) == i

    asyncio.run(main())


def test_every_client_writes_its_bot_and_the_key_fingerprint(tmp_path, exchange):
    from toolkit.secrets import key_id

    path = tmp_path / "calls.jsonl"  # four bots recording to one file
    url = exchange.url + "/api/v1/futures/open-api/order/create"
    s = toolkit.attach_recorder(__import__("requests").Session(), path, bot="requests-bot")
    s.post(url, headers=HEADERS, json=BODY)
    with toolkit.attach_recorder(httpx.Client(), path, bot="httpx-bot") as client:
        client.post(url, headers=HEADERS, json=BODY)
    ex = toolkit.attach_recorder(SyncExchange(exchange.url), path, bot="ccxt-bot")
    ex.fetch(url, "POST", {**HEADERS, "ACCESS-KEY": "ak-other-0002"}, orjson.dumps(BODY).decode())

    async def main():
        async with toolkit.attach_recorder(aiohttp.ClientSession(), path, bot="aiohttp-bot") as session:
            async with session.post(url, headers=HEADERS, json=BODY) as r:
                await r.json()
            async with session.get(exchange.url + "/api/v1/stock/open-api/depth") as r:  # unsigned
                await r.json()

    asyncio.run(main())
    recs = lines(path)
    assert [r["bot"] for r in recs] == ["requests-bot", "httpx-bot", "ccxt-bot", "aiohttp-bot", "aiohttp-bot"]
    assert [r.get("key_id") for r in recs] == [key_id(SECRET_KEY)] * 2 + [key_id("ak-other-0002"),
                                                                          key_id(SECRET_KEY), None]
    assert all(r["request"]["headers"].get("ACCESS-KEY", "***") == "***" for r in recs)
    assert SECRET_KEY.encode() not in path.read_bytes() and b"ak-other-0002" not in path.read_bytes()
    df = toolkit.load_logs(path)
    assert df["bot"].astype(str).tolist() == [r["bot"] for r in recs]
    assert df["key_id"].astype(object).where(df["key_id"].notna(), None).tolist() == [r.get("key_id") for r in recs]


def test_without_bot_no_bot_is_written_and_the_reader_takes_the_file_name(tmp_path, exchange):
    path = tmp_path / "spot-mm" / "calls.jsonl"
    with toolkit.attach_recorder(httpx.Client(), path, rotate="daily") as client:
        client.get(exchange.url + "/api/v1/stock/open-api/depth", headers=HEADERS)
    [rec] = lines(path)
    assert "bot" not in rec and rec["key_id"].startswith("k-")
    assert toolkit.load_logs(tmp_path)["bot"].astype(str).tolist() == ["spot-mm"]
    for bad, error in (("", toolkit.ParameterError), (" mm", toolkit.ParameterError), (5, TypeError)):
        with pytest.raises(error, match=r"attach_recorder\(\): bot must"):
            toolkit.attach_recorder(httpx.Client(), tmp_path / "x.jsonl", bot=bad)
