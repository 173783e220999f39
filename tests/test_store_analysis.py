"""toolkit.store.error_rate and top_errors (DuckDB) give what the pandas functions give on the same calls."""

import json
import warnings

import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, SAMPLE, SPOT, call, jsonl


def same(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The bundled sample in a store, and the frame load_logs reads back from it."""
    path = tmp_path_factory.mktemp("sample") / "store"
    toolkit.store.ingest(SAMPLE, path)
    return path, toolkit.load_logs(path)


@pytest.mark.parametrize("by", [
    "market", None, "category", ["market", "category"], ["market", "reason"], "endpoint",
    ["endpoint", "http_status"], ["market", "code"], "retryable", ["method", "message"], "source",
])
@pytest.mark.parametrize("freq", ["5min", "1h"])
def test_error_rate_equals_pandas(store, by, freq):
    path, df = store
    same(toolkit.store.error_rate(path, freq=freq, by=by), toolkit.error_rate(df, freq=freq, by=by))


@pytest.mark.parametrize("window", [
    {"start": "2026-11-18 14:00", "end": "2026-11-18 16:30"},
    {"market": "futures", "start": "2026-11-20"},
    {"market": ["spot"], "end": pd.Timestamp("2026-11-17 03:00:00.000000001", tz="UTC")},
])
def test_error_rate_over_a_window_equals_pandas(store, window):
    path, _ = store
    got = toolkit.store.error_rate(path, freq="10min", by=["market", "category"], **window)
    same(got, toolkit.error_rate(toolkit.load_logs(path, **window), freq="10min", by=["market", "category"]))


def test_error_rate_of_nothing(store):
    path, df = store
    got = toolkit.store.error_rate(path, start="2030-01-01")
    want = toolkit.error_rate(df.iloc[:0])
    assert got.empty and list(got.columns) == list(want.columns)
    assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist()


def test_error_rate_needs_less_memory_than_the_frame(store):
    """DuckDB streams the parts: 8 MB is well below the ~15 MB the sample takes as a frame."""
    path, df = store
    assert df.memory_usage(deep=True).sum() > 14e6
    got = toolkit.store.error_rate(path, by=["market", "category"], memory_limit="8MB", threads=1)
    same(got, toolkit.error_rate(df, by=["market", "category"]))


@pytest.mark.parametrize("n", [None, 1, 5, 10])
def test_top_errors_equals_pandas(store, n):
    path, df = store
    same(toolkit.store.top_errors(path, n=n), toolkit.top_errors(df, n=n))


def test_top_errors_over_a_window_equals_pandas(store):
    path, _ = store
    window = {"start": "2026-11-19 02:00", "end": "2026-11-19 04:00", "market": "futures"}
    same(toolkit.store.top_errors(path, n=None, **window), toolkit.top_errors(toolkit.load_logs(path, **window), n=None))
    assert toolkit.store.top_errors(path, start="2030-01-01").empty


MESSAGES = [
    "Order 8025896254 failed: BTCUSDT qty 0.5",
    "Order 8025896999 failed: ETH-USDT qty 12",
    "Max retries exceeded with url: /api/v1/stock/open-api/cancelOrder (Caused by ConnectTimeout)",
    "see https://api9528mystks.mystonks.org/docs?id=4 and HTTP://X.Y/z",
    "request 3f9a2c7d-1e2b-4c5d-8e9f-0a1b2c3d4e5f rejected at 0xdeadBEEF",
    "trace deadbeefcafe1234 for AAPL and TSLA, not AAPLX",
    "prix dépassé: 12,5 € — réessayez " + "très long message " * 12,
    "",
    None,
]


def test_top_errors_masks_messages_as_pandas_does(tmp_path):
    """Every masking rule, unicode, long and missing messages: DuckDB's regexp_replace agrees with pyarrow."""
    recs = []
    for i, msg in enumerate(MESSAGES * 3):
        body = {"code": 400} if msg is None else {"code": 400, "msg": msg}
        t = pd.Timestamp("2026-11-20") + pd.Timedelta(seconds=i)
        recs.append(call(SPOT if i % 2 else FUTURES, 400, body, ts=t.isoformat() + "Z",
                         params={"symbol": ["AAPL", "TSLA", "BTCUSDT"][i % 3]}))
    recs.append(call(SPOT, 200, ts="2026-11-20T01:00:00Z"))
    path = tmp_path / "store"
    toolkit.store.ingest(jsonl(tmp_path / "calls.jsonl", *recs), path)
    df = toolkit.load_logs(path)
    got = toolkit.store.top_errors(path, n=None)
    same(got, toolkit.top_errors(df, n=None))
    assert got["pattern"].str.contains("<symbol>").any() and got["pattern"].str.endswith("…").any()
    assert got["pattern"].str.contains("<uuid>").any() and got["pattern"].str.contains("<url>").any()


def test_same_checks_as_pandas(store):
    path, df = store
    for kwargs in ({"n": 0}, {"n": "5"}):
        with pytest.raises(ValueError) as pandas_error:
            toolkit.top_errors(df, **kwargs)
        with pytest.raises(ValueError, match=str(pandas_error.value).replace("(", r"\(").replace(")", r"\)")):
            toolkit.store.top_errors(path, **kwargs)
    with pytest.raises(ValueError, match=r"error_rate\(\): freq must be a positive duration"):
        toolkit.store.error_rate(path, freq="often")
    with pytest.raises(ValueError, match=r"error_rate\(\): by=.*names no column"):
        toolkit.store.error_rate(path, by="colour")
    with pytest.raises(ValueError, match="market must be one of"):
        toolkit.store.error_rate(path, market="options")


def test_a_damaged_part_is_named(tmp_path):
    path = tmp_path / "store"
    toolkit.store.ingest(jsonl(tmp_path / "calls.jsonl", call(), call(ts="2026-11-21T00:00:00Z")), path)
    part = next(path.glob("calls/date=2026-11-21/**/*.parquet"))
    part.write_bytes(b"garbage")
    with pytest.raises(toolkit.store.StoreError, match="date=2026-11-21/market=spot/part-.*is unreadable"):
        toolkit.store.error_rate(path)
    with pytest.raises(toolkit.store.StoreError, match="is unreadable"):
        toolkit.store.top_errors(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(toolkit.store.error_rate(path, end="2026-11-21")) == 1  # the damaged day is not read
    json.loads((path / ".toolkit" / "manifest.json").read_text())  # untouched
