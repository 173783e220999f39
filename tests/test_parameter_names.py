"""One name per concept: recordings are ``source`` and a store directory is ``store``, in every function."""

import inspect

import pytest

import toolkit
import toolkit.dask
from tests.conftest import SPOT, call, jsonl

STORE_FUNCTIONS = ["connect", "query", "error_rate", "top_errors", "read_rejects", "repair", "read_calls"]
SOURCE_FUNCTIONS = [toolkit.read_logs, toolkit.load_logs, toolkit.scrub, toolkit.store.ingest,
                    toolkit.dask.read_logs, toolkit.dask.read_rejects]


@pytest.mark.parametrize("name", STORE_FUNCTIONS)
def test_the_store_is_called_store(name):
    first = next(iter(inspect.signature(getattr(toolkit.store, name)).parameters))
    assert first == "store"


@pytest.mark.parametrize("fn", SOURCE_FUNCTIONS, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_recordings_are_called_source(fn):
    assert next(iter(inspect.signature(fn).parameters)) == "source"
    assert list(inspect.signature(toolkit.store.ingest).parameters)[:2] == ["source", "store"]


def test_by_position_and_by_name_alike(tmp_path):
    log = jsonl(tmp_path / "bot.jsonl", call(SPOT), call(SPOT, status=503))
    by_position = toolkit.store.ingest(log, tmp_path / "a")
    by_name = toolkit.store.ingest(source=log, store=tmp_path / "b")
    assert by_position.rows == by_name.rows == 2
    sql = "SELECT http_status FROM calls ORDER BY line"
    assert (toolkit.store.query(tmp_path / "a", sql)["http_status"].tolist()
            == toolkit.store.query(store=tmp_path / "b", sql=sql)["http_status"].tolist() == [200, 503])
    assert len(toolkit.store.read_rejects(store=tmp_path / "a")) == 0
    assert toolkit.store.repair(store=tmp_path / "a").empty
    assert toolkit.dask.read_logs(source=log, blocksize=None).compute()["http_status"].tolist() == [200, 503]
    assert toolkit.scrub(source=log, out=tmp_path / "copy.jsonl").replaced == 0


@pytest.mark.parametrize("fn", [toolkit.read_logs, toolkit.load_logs, toolkit.store.ingest, toolkit.dask.read_logs,
                                toolkit.dask.read_rejects, toolkit.attach_recorder],
                         ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_the_bot_is_called_bot_where_recordings_are_named(fn, tmp_path):
    params = inspect.signature(fn).parameters
    if fn is toolkit.load_logs:  # its keywords go on to read_logs
        params = inspect.signature(toolkit.read_logs).parameters
    assert params["bot"].kind is inspect.Parameter.KEYWORD_ONLY and params["bot"].default is None
    assert "bots" not in params and "bot_name" not in params


def test_the_key_column_is_named_as_the_recorder_writes_it(tmp_path):
    import orjson
    import requests

    from tests.local_exchange import LocalExchange

    with LocalExchange() as ex:
        path = tmp_path / "calls.jsonl"
        with toolkit.attach_recorder(requests.Session(), path, bot="spot-mm") as s:
            s.get(ex.url + "/api/v1/stock/open-api/depth", headers={"ACCESS-KEY": "ak-live-3f9a2c7d1e"})
    line = orjson.loads(path.read_bytes())
    df = toolkit.load_logs(path)
    assert {"bot", "key_id"} <= set(line) and {"bot", "key_id"} <= set(df.columns)
    assert (line["bot"], line["key_id"]) == (df.loc[0, "bot"], df.loc[0, "key_id"])
