"""The store keeps ``bot`` and ``key_id``; a store written before them still loads, queries and takes new calls."""

import shutil
import warnings

import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, ROOT, SPOT, call, jsonl
from toolkit.secrets import key_id

#: A store that ``toolkit.store.ingest`` wrote at the commit before ``bot`` and ``key_id`` (2b1b0d7) from six calls
#: of ``spot-mm.jsonl`` (three spot, one of them a 429, three futures) and one line that is not JSON: its parts
#: have no such columns, its manifest lists the columns of then and names no part's ``schema``.
BEFORE = ROOT / "tests" / "data" / "store-before-bots"


def ingest(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.store.ingest(*args, **kw)


def two_bots(folder):
    """A folder per bot, the recorder's usual file name in each; both bots sign with one key."""
    headers = {"request": {"headers": {"ACCESS-KEY": "ak-shared-9c2a7b", "ACCESS-TIMESTAMP": "1795208700000"}}}
    jsonl(folder / "spot-mm" / "calls.jsonl", call(**headers), call(status=429, **headers))
    jsonl(folder / "futures-arb" / "calls.jsonl", call(FUTURES, **headers), call(FUTURES, bot="futures-hedge"))
    return folder


def test_the_store_keeps_both_columns(tmp_path):
    logs = two_bots(tmp_path / "logs")
    ingest(logs, tmp_path / "store")
    stored = toolkit.load_logs(tmp_path / "store")
    parsed = toolkit.load_logs(logs)
    for c in ("bot", "key_id"):
        assert sorted(stored[c].astype("string").fillna("-")) == sorted(parsed[c].astype("string").fillna("-"))
        assert stored[c].cat.categories.tolist() == sorted(stored[c].cat.categories)  # sorted, as endpoint's
    sql = "SELECT bot, key_id, count(*) AS n FROM calls GROUP BY ALL ORDER BY bot"
    got = toolkit.store.query(tmp_path / "store", sql).astype(object)
    fingerprint = key_id("ak-shared-9c2a7b")
    assert got.where(got.notna(), None).values.tolist() == [
        ["futures-arb", fingerprint, 1], ["futures-hedge", None, 1], ["spot-mm", fingerprint, 2]]


def test_a_recording_keeps_the_bot_it_was_first_ingested_with(tmp_path):
    path = jsonl(tmp_path / "logs" / "calls.jsonl", call())
    ingest(tmp_path / "logs", tmp_path / "store", bot={"*/logs/*": "spot-mm"})
    with open(path, "ab") as f:
        f.write(b'{"ts": "2026-11-20T21:06:00Z", "url": "' + SPOT.encode() + b'", "status": 503}\n')
    ingest(tmp_path / "logs", tmp_path / "store")  # a cron job that does not repeat bot=: the name stays
    assert toolkit.load_logs(tmp_path / "store")["bot"].astype(str).tolist() == ["spot-mm", "spot-mm"]
    with pytest.raises(toolkit.ParameterError, match="bot must stay as .* was first ingested with .'spot-mm'., "
                                                     "not 'market-maker'"):
        ingest(tmp_path / "logs", tmp_path / "store", bot={"*.jsonl": "market-maker"})


@pytest.fixture
def before(tmp_path):
    store = tmp_path / "before"
    shutil.copytree(BEFORE, store)
    return store


def test_a_store_written_before_bots_still_loads(before):
    df = toolkit.load_logs(before)
    assert list(df.columns) == toolkit.COLUMNS and len(df) == 6
    assert df["bot"].astype(str).unique().tolist() == ["unknown"] and df["key_id"].isna().all()
    assert df["category"].astype(str).tolist().count("rate_limit") == 1
    assert len(toolkit.read_logs(before).rejects) == 1
    sql = "SELECT bot, count(key_id) AS keys, count(*) AS n FROM calls GROUP BY ALL"
    assert toolkit.store.query(before, sql).values.tolist() == [["unknown", 0, 6]]
    assert toolkit.store.repair(before).empty  # its parts are whole: nothing set aside
    rate = toolkit.store.error_rate(before, freq="1h", by="bot")
    pd.testing.assert_frame_equal(rate, toolkit.error_rate(df, freq="1h", by="bot"))


def test_a_store_written_before_bots_takes_new_calls_with_them(before, tmp_path):
    logs = two_bots(tmp_path / "logs")
    ingest(logs, before)
    df = toolkit.load_logs(before)
    assert df.groupby("bot", observed=True).size().to_dict() == {
        "futures-arb": 1, "futures-hedge": 1, "spot-mm": 2, "unknown": 6}
    sql = "SELECT bot, count(*) AS n FROM calls WHERE key_id IS NOT NULL GROUP BY ALL ORDER BY bot"
    assert toolkit.store.query(before, sql).values.tolist() == [["futures-arb", 1], ["spot-mm", 2]]
    assert toolkit.store.error_rate(before, freq="1D", by="bot")["calls"].sum() == 10
    assert toolkit.store.repair(before).empty
