"""Which bot and which key made each call: the ``bot`` and ``key_id`` columns, read from every format.

A call's ``bot`` is its record's ``bot`` field, else the name ``read_logs(bot=)`` gives its file, else
the file's own name (rotation, dates and extensions taken off), else ``unknown``. Its ``key_id`` is the
record's ``key_id`` (as the recorder writes it), else the fingerprint of its ``ACCESS-KEY`` request
header; the key itself never reaches the frame.
"""

import gzip
import io
import warnings

import orjson
import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, ROOT, SPOT, call, jsonl
from toolkit.read.engine import bot_from_path
from toolkit.secrets import key_id

DATA = ROOT / "tests" / "data"
KEY = "ak-live-3f9a2c7d1e"


def read(source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(source, **kw)


def signed(key=KEY, **extra):
    """A flat record with the exchange's auth headers (ACCESS-KEY, ACCESS-SIGN, ACCESS-TIMESTAMP)."""
    return call(request={"headers": {"ACCESS-KEY": key, "ACCESS-SIGN": "c2ln", "ACCESS-TIMESTAMP": "1795208700000"}},
                **extra)


def gateway(key=KEY, **extra):
    """The nested form a gateway writes (as the sample's futures gateway does)."""
    rec = {"time": 1795208700000,
           "request": {"method": "POST", "url": FUTURES, "headers": {"ACCESS-KEY": key, "ACCESS-TIMESTAMP": "1"}},
           "response": {"status": 200, "headers": {"Date": "Fri, 20 Nov 2026 21:05:00 GMT"},
                        "body": {"code": 0, "msg": "success"}}, "duration_ms": 30.0}
    rec.update(extra)
    return rec


@pytest.mark.parametrize("name, bot", [
    ("spot-mm.20270301T000000.123Z.jsonl.gz", "spot-mm"),  # the recorder's rotated file
    ("gateway-20270201.jsonl.gz", "gateway"),  # logrotate's dateext
    ("bot.log.2.gz", "bot"),  # RotatingFileHandler's backups, gzipped
    ("spot-mm/calls.jsonl", "spot-mm"),  # the recorder's usual name in a folder per bot
    ("calls.jsonl", "calls"),  # the usual name with no folder to name it: a name like any other
    ("logs/calls.jsonl", "calls"),  # ... nor one that says nothing either
    ("spot-mm/2027-03-01.jsonl", "spot-mm"),  # a file named by its date
])
def test_the_file_name_tells_the_bot(tmp_path, name, bot):
    path = tmp_path / "recordings" / name
    jsonl(path, call(), call(status=429), gz=name.endswith(".gz")) if ".log" not in name else None
    if ".log" in name:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(f"2026-11-20 21:05:00,123 INFO GET {SPOT} -> 200\n".encode()))
    df = read(tmp_path / "recordings").frame
    assert df["bot"].astype(str).unique().tolist() == [bot]
    assert bot_from_path(path) == bot


def test_a_record_that_names_its_bot_wins_over_the_file_name(tmp_path):
    path = jsonl(tmp_path / "gateway.jsonl", call(bot="spot-mm"), call(), gateway(bot="futures-arb"), gateway())
    df = read(path).frame
    assert df["bot"].astype(str).tolist() == ["spot-mm", "gateway", "futures-arb", "gateway"]
    assert isinstance(df["bot"].dtype, pd.CategoricalDtype)
    assert sorted(df["bot"].cat.categories) == ["futures-arb", "gateway", "spot-mm"]  # the values present


def test_bot_names_files_by_glob_or_function(tmp_path):
    jsonl(tmp_path / "logs" / "spot" / "calls.jsonl", call(), call(bot="spot-mm"))
    jsonl(tmp_path / "logs" / "futures" / "calls.jsonl", gateway(), gateway())
    jsonl(tmp_path / "logs" / "other.jsonl", call())

    by_glob = read(tmp_path / "logs", bot={"futures/*": "futures-arb", "*/calls.jsonl": "never-reached"}).frame
    got = by_glob.groupby("bot", observed=True).size().to_dict()
    # futures/ by the first glob, spot/ by the second (over the record's own "spot-mm"), the rest by its name
    assert got == {"futures-arb": 2, "never-reached": 2, "other": 1}

    by_function = read(tmp_path / "logs", bot=lambda path: "mm" if "/spot/" in path else None).frame
    assert by_function.groupby("bot", observed=True).size().to_dict() == {"futures": 2, "mm": 2, "other": 1}


@pytest.mark.parametrize("bad, error, words", [
    ("spot-mm", toolkit.errors.ParameterTypeError, "{'*': 'spot-mm'}"),
    (["a"], toolkit.errors.ParameterTypeError, "mapping of glob to name"),
    ({"*.jsonl": ""}, toolkit.ParameterError, "non-empty strings"),
    ({}, toolkit.ParameterError, "non-empty strings"),
    ({"*.jsonl": 5}, toolkit.ParameterError, "non-empty strings"),
])
def test_a_bad_bot_mapping_is_refused_before_anything_is_read(tmp_path, bad, error, words):
    with pytest.raises(error, match="bot ") as caught:
        read(tmp_path / "missing.jsonl", bot=bad)
    assert words in str(caught.value)


def test_a_function_that_returns_no_name_is_refused(tmp_path):
    path = jsonl(tmp_path / "calls.jsonl", call())
    with pytest.raises(toolkit.errors.ParameterTypeError, match="must return a bot's name or None, not 5"):
        read(path, bot=lambda p: 5)


def test_an_open_file_has_no_name_to_tell(tmp_path):
    df = read(io.StringIO(orjson.dumps(call()).decode() + "\n")).frame
    assert df["bot"].astype(str).tolist() == ["unknown"]
    named = read(io.StringIO(orjson.dumps(call()).decode() + "\n"), bot={"*": "spot-mm"}).frame
    assert named["bot"].astype(str).tolist() == ["spot-mm"]


def test_the_key_id_is_a_fingerprint_of_the_access_key(tmp_path):
    path = jsonl(tmp_path / "calls.jsonl", signed(), signed(key="ak-other-1"), call(), gateway(),
                 gateway(key="***"), call(key_id="k-0a1b2c3d"), signed(key_id="k-0a1b2c3d"))
    df = read(path).frame
    fingerprint = key_id(KEY)
    assert fingerprint.startswith("k-") and len(fingerprint) == 10
    want = [fingerprint, key_id("ak-other-1"), None, fingerprint, None, "k-0a1b2c3d", "k-0a1b2c3d"]
    assert df["key_id"].astype(object).where(df["key_id"].notna(), None).tolist() == want
    assert KEY not in df.astype(str).to_csv()


@pytest.mark.parametrize("spelled", ["access-key", "Access-Key"])
def test_a_header_in_another_case_gives_the_same_key_id(tmp_path, spelled):
    rec = signed()
    rec["request"]["headers"][spelled] = rec["request"]["headers"].pop("ACCESS-KEY")
    df = read(jsonl(tmp_path / "calls.jsonl", rec, gateway())).frame
    assert df["key_id"].astype(str).tolist() == [key_id(KEY)] * 2


def test_har_files_and_cassettes_give_the_key_id_and_their_file_name():
    har = read(DATA / "devtools.har").frame
    assert set(har["key_id"].dropna().astype(str)) == {key_id("ak-FIXTURE-0001")}
    assert set(har["bot"].astype(str)) == {"devtools"}
    cassette = read(DATA / "cassette.yaml").frame
    assert set(cassette["key_id"].dropna().astype(str)) == {key_id("ak-FIXTURE-0002")}
    assert set(cassette["bot"].astype(str)) == {"cassette"}
    text = read(DATA / "bot.log").frame
    assert set(text["bot"].astype(str)) == {"bot"} and text["key_id"].isna().all()


def test_a_fields_mapping_can_name_the_bot(tmp_path):
    rec = {"started_at": "2026-11-20T21:05:00Z", "uri": SPOT, "code": 200, "service": "spot-mm"}
    df = read(jsonl(tmp_path / "proxy.jsonl", rec),
              fields={"time": "started_at", "url": "uri", "status": "code", "bot": "service"}).frame
    assert df["bot"].astype(str).tolist() == ["spot-mm"]


def test_a_bot_field_that_is_not_text_is_left_to_the_file_name(tmp_path):
    df = read(jsonl(tmp_path / "spot-mm.jsonl", call(bot=5), call(bot=None), call(bot="x"))).frame
    assert df["bot"].astype(str).tolist() == ["spot-mm", "spot-mm", "x"]


def test_the_sample_names_its_bots_and_their_keys(sample_load):
    df = sample_load.frame
    per_bot = df.groupby("bot", observed=True)["market"].agg(lambda m: sorted(set(m.astype(str))))
    assert per_bot.to_dict() == {"futures-arb": ["futures"], "futures-gateway": ["futures"], "spot-bot": ["spot"]}
    keys = df.dropna(subset=["key_id"]).groupby("bot", observed=True)["key_id"].agg(lambda k: set(k.astype(str)))
    assert keys["futures-arb"] == keys["futures-gateway"] and len(keys["futures-arb"]) == 1  # one key, two bots
    assert keys["spot-bot"].isdisjoint(keys["futures-arb"])
