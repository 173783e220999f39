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
