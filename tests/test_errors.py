"""top_errors (fingerprints, masking) and retries on hand-built frames."""

import re

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import toolkit
from tests.conftest import frame
from toolkit.analysis.errors import MASKS, fingerprint, mask_messages, message_masks
from toolkit.schema import empty_frame

T = pd.Timestamp("2026-11-19 02:10", tz="UTC")
TOP_COLUMNS = ["fingerprint", "market", "category", "reason", "code", "pattern", "count", "share", "first_seen",
               "last_seen", "endpoints", "symbols", "example"]


def at(*seconds):
    return pd.DatetimeIndex([T + pd.Timedelta(seconds=s) for s in seconds])


@pytest.mark.parametrize("message,pattern", [
    ("Order 8025896254 not found", "Order <id> not found"),
    ("Order 17 not found", "Order <num> not found"),
    ("request 3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f failed", "request <uuid> failed"),
    ("bad nonce 0x1F2e", "bad nonce <hex>"),
    ("trace 5f1e9c2a7b11 rejected", "trace <id> rejected"),
    ("Below minimum trade amount for BTCUSDT: 0.001", "Below minimum trade amount for <symbol>: <num>"),
    ("ETH-USDT and SOL_USDC paused", "<symbol> and <symbol> paused"),
    ("HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: /api/v1/stock/open-api/cancelOrder",
     "HTTPSConnectionPool(host='x', port=<num>): Max retries exceeded with url: <path>"),
    ("see https://status.exchange.example/incidents/42 for details", "see <url> for details"),
    ("502 Bad Gateway", "<num> Bad Gateway"),
    ("Rate limit exceeded", "Rate limit exceeded"),
    (None, ""),
])
def test_mask_rules(message, pattern):
    assert mask_messages([message]).to_pylist() == [pattern]


def test_frame_symbols_are_masked_as_whole_words():
    rules = message_masks(["AAPL", "NVDA", "X"])
    assert rules[1:] == MASKS
    got = mask_messages(["AAPL halted", "AAPLE halted", "X halted", "nvda halted"], ["AAPL", "NVDA", "X"])
    assert got.to_pylist() == ["<symbol> halted", "AAPLE halted", "X halted", "nvda halted"]


def test_masks_are_re2_without_lookarounds():
    for pattern, _ in message_masks(["AAPL"]):
        assert not re.search(r"\(\?[=!<]", pattern), pattern
        re.compile(pattern)


def test_duckdb_regexp_replace_gives_the_same_masks():
    duckdb = pytest.importorskip("duckdb")
    messages = ["Order 8025896254 failed: BTCUSDT qty 0.5 at https://x.example/a/b",
                "Max retries exceeded with url: /api/v1/stock/open-api/cancelOrder [Errno 111]",
                "id 3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f 0xFF AAPL halted"]
    expr, params = "m", []
    for pattern, replacement in message_masks(["AAPL"]):
        expr = f"regexp_replace({expr}, ?, ?, 'g')"
        params += [pattern, replacement]
    con = duckdb.connect()
    sql = f"select {expr} from (select unnest(?) as m)"
    got = [r[0] for r in con.execute(sql, [*params, messages]).fetchall()]
    assert got == mask_messages(messages, ["AAPL"]).to_pylist()


def test_fingerprint_is_stable_and_short():
    fp = fingerprint("futures", "not_found", "pair_or_object_not_found", 3000, "Order <num> not found")
    assert re.fullmatch(r"[0-9a-f]{12}", fp)
    assert fp == fingerprint("futures", "not_found", "pair_or_object_not_found", 3000, "Order <num> not found")
    assert fp != fingerprint("spot", "not_found", "pair_or_object_not_found", 3000, "Order <num> not found")
    assert fingerprint("spot", "transport", "timeout", pd.NA, "x") == fingerprint("spot", "transport", "timeout",
                                                                                  None, "x")


@pytest.fixture
def errors():
    return frame(at(0, 1, 2, 3, 4, 5, 6),
                 market=["futures"] * 4 + ["spot"] * 3,
                 category=["not_found"] * 3 + ["ok"] + ["rate_limit"] * 2 + ["transport"],
                 reason=["pair_or_object_not_found"] * 3 + ["ok", "rate_limited", "rate_limited", "timeout"],
                 code=[3000, 3000, 3000, 0, 429, 429, None],
                 message=["Order 1764 not found", "Order 1799 not found", "Order 1802 not found", "success",
                          "Rate limit exceeded", "Rate limit exceeded", "Read timed out. (read timeout=10)"],
                 endpoint=["/f/order/{id}", "/f/order/{id}", "/f/cancel", "/f/order", "/s/depth", "/s/depth",
                           "/s/ticker"],
                 symbol=["BTCUSDT", "ETHUSDT", "BTCUSDT", "BTCUSDT", "AAPL", "TSLA", None])


def test_top_errors_groups_by_masked_message(errors):
    got = toolkit.top_errors(errors)
    assert list(got.columns) == TOP_COLUMNS
    assert isinstance(got.index, pd.RangeIndex)
    assert got["pattern"].tolist() == ["Order <num> not found", "Rate limit exceeded",
                                       "Read timed out. (read timeout=<num>)"]
    assert got["count"].tolist() == [3, 2, 1]
    assert got["share"].tolist() == [0.5, 2 / 6, 1 / 6]
    first = got.iloc[0]
    assert (first["market"], first["category"], first["reason"], first["code"]) == (
        "futures", "not_found", "pair_or_object_not_found", 3000)
    assert first["first_seen"] == T and first["last_seen"] == T + pd.Timedelta("2s")
    assert first["endpoints"] == "/f/cancel, /f/order/{id}" and first["symbols"] == "BTCUSDT, ETHUSDT"
    assert first["example"] == "Order 1764 not found"
    assert first["fingerprint"] == fingerprint("futures", "not_found", "pair_or_object_not_found", 3000,
                                               "Order <num> not found")
    assert pd.isna(got.iloc[2]["code"]) and got.iloc[2]["symbols"] == ""
    assert got.dtypes.astype(str).tolist() == [
        "string", "category", "category", "string", "Int64", "string", "int64", "float64",
        "datetime64[ns, UTC]", "datetime64[ns, UTC]", "string", "string", "string"]


def test_top_errors_n_and_many_values(errors):
    assert len(toolkit.top_errors(errors, n=1)) == 1
    assert len(toolkit.top_errors(errors, n=None)) == 3
    many = frame(at(*range(7)), category="bad_request", symbol=[f"SYM{i}" for i in range(7)])
    assert toolkit.top_errors(many)["symbols"].tolist() == ["7 symbols"]
    with pytest.raises(ValueError, match=r"top_errors\(\): n must be an integer >= 1, not 0"):
        toolkit.top_errors(errors, n=0)


def test_top_errors_separates_markets_and_reasons_with_the_same_message():
    df = frame(at(0, 1, 2), market=["spot", "futures", "futures"], category="server_error",
               reason=["internal_error", "internal_error", "gateway_error"], message="Internal error")
    got = toolkit.top_errors(df)
    assert len(got) == 3 and got["fingerprint"].nunique() == 3


@pytest.mark.parametrize("df", [empty_frame(), frame(at(0, 1))], ids=["empty", "only-successes"])
def test_top_errors_without_errors_is_empty_and_typed(df):
    got = toolkit.top_errors(df)
    assert got.empty and list(got.columns) == TOP_COLUMNS
    assert str(got["first_seen"].dtype) == "datetime64[ns, UTC]" and got["count"].dtype == "int64"


def test_top_errors_needs_its_columns(errors):
    with pytest.raises(ValueError, match=r"top_errors\(\) needs the column\(s\) message"):
        toolkit.top_errors(errors.drop(columns="message"))


def test_top_errors_does_not_change_its_input(errors):
    before = errors.copy()
    toolkit.top_errors(errors)
    assert_frame_equal(errors, before)


def test_top_errors_on_the_sample(sample_load):
    got = toolkit.top_errors(sample_load.frame, n=None)
    assert got["share"].sum() == pytest.approx(1.0)
    assert got["count"].is_monotonic_decreasing
    # connection refused on different paths is one issue, not one per order id
    refused = got[got["pattern"].str.contains("Max retries exceeded")]
    assert len(refused) == 1 and refused["count"].iloc[0] >= 5


# retries ------------------------------------------------------------------------------------

def margin(seconds, **kw):
    n = len(seconds)
    cols = dict(market="futures", method="POST", endpoint="/api/v1/futures/open-api/order/create", symbol="BTCUSDT",
                category="insufficient_funds", reason="insufficient_margin", code=8018, retryable=False)
    cols.update(kw)
    return frame(at(*seconds), **{k: v if not isinstance(v, list) else v[:n] for k, v in cols.items()})


def test_retries_counts_chains_and_repeats():
    df = margin([0, 2, 4, 30, 33])
    got = toolkit.retries(df)
    assert got[["market", "category", "reason"]].astype(str).values.tolist() == [
        ["futures", "insufficient_funds", "insufficient_margin"]]
    row = got.iloc[0]
    assert (row["chains"], row["repeats"], row["failed_calls"], row["longest"]) == (2, 3, 5, 3)
    assert row["retryable"] is False or row["retryable"] == False  # noqa: E712 (nullable boolean)
    assert row["first_seen"] == T + pd.Timedelta("2s") and row["last_seen"] == T + pd.Timedelta("33s")
    assert row["endpoints"] == "/api/v1/futures/open-api/order/create" and row["symbols"] == "BTCUSDT"
    assert int(got.loc[got["retryable"].eq(False), "repeats"].sum()) == 3


def test_retries_window_success_symbol_and_error_break_chains():
    assert toolkit.retries(margin([0, 11])).empty  # 11 s apart: not a retry
    assert len(toolkit.retries(margin([0, 11]), within="15s")) == 1
    ok_between = margin([0, 1, 2], category=["insufficient_funds", "ok", "insufficient_funds"],
                        reason=["insufficient_margin", "ok", "insufficient_margin"])
    assert toolkit.retries(ok_between).empty
    assert toolkit.retries(margin([0, 1], symbol=["BTCUSDT", "ETHUSDT"])).empty
    assert toolkit.retries(margin([0, 1], reason=["insufficient_margin", "insufficient_balance_to_close"],
                                  code=[8018, 8003])).empty
    assert toolkit.retries(margin([0, 1], method=["POST", "GET"])).empty


def test_retries_sorted_by_repeats_with_retryable_flags():
    storm = margin([0, 1, 2, 3], category="rate_limit", reason="rate_limited", code=429, retryable=True)
    df = pd.concat([margin([100, 101]), storm], ignore_index=True)
    got = toolkit.retries(df)
    assert got["reason"].tolist() == ["rate_limited", "insufficient_margin"]
    assert got["repeats"].tolist() == [3, 1]
    assert got["retryable"].tolist() == [True, False]
    assert isinstance(got.index, pd.RangeIndex)


@pytest.mark.parametrize("df", [empty_frame(), frame(at(0, 1, 2))], ids=["empty", "only-successes"])
def test_retries_without_repeats_is_empty_and_typed(df):
    got = toolkit.retries(df)
    assert got.empty and got.columns.tolist()[:4] == ["market", "category", "reason", "retryable"]
    assert got["repeats"].dtype == "int64" and str(got["retryable"].dtype) == "boolean"


def test_retries_bad_window():
    with pytest.raises(ValueError, match=r"retries\(\): within must be a positive duration .* not 'often'"):
        toolkit.retries(margin([0, 1]), within="often")


def test_retries_on_the_sample_flags_futile_margin_retries(sample_load):
    got = toolkit.retries(sample_load.frame)
    assert got.iloc[0]["category"] == "rate_limit"
    futile = got[got["retryable"].eq(False)]
    assert "insufficient_margin" in set(futile["reason"])
