"""toolkit.dask: the loader's parser mapped over files and byte ranges, locally and on a cluster."""

import gzip
import subprocess
import sys
import warnings

import orjson
import pandas as pd
import pytest

import toolkit
from tests.conftest import FUTURES, ROOT, SAMPLE, SPOT, call, jsonl

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")


def computed(ddf) -> pd.DataFrame:
    return ddf.compute(scheduler="sync").reset_index(drop=True)


def assert_frames(a, b):
    """The same calls: Dask keeps one partition per file in file order, read_logs puts several files in time
    order, so both are compared in time order (a stable sort keeps each file's order for equal times)."""
    if "ts" in a and "ts" in b:
        a, b = (f.sort_values("ts", kind="stable", ignore_index=True) for f in (a, b))
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_categorical=False)


def loaded(paths, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", toolkit.RejectWarning)
        return toolkit.read_logs(paths, **kw)


@pytest.fixture(scope="module")
def plain_sample(tmp_path_factory):
    """The sample, uncompressed, so big files can be split in byte ranges."""
    d = tmp_path_factory.mktemp("plain")
    for f in sorted(SAMPLE.glob("*.jsonl.gz")):
        (d / f.name.removesuffix(".gz")).write_bytes(gzip.decompress(f.read_bytes()))
    return d


@pytest.fixture
def messy(tmp_path):
    """A file with a BOM, CRLF endings, blank lines, rejects and no final newline."""
    recs = []
    for i in range(300):
        if i % 37 == 5:
            recs.append(b"{not json")
        elif i % 41 == 7:
            recs.append(b"")
        else:
            ts = pd.Timestamp("2026-11-20") + pd.Timedelta(minutes=i)
            recs.append(call(SPOT if i % 3 else FUTURES, 200, ts=ts.isoformat() + "Z"))
    path = jsonl(tmp_path / "messy.jsonl", *recs)
    data = b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n", 40).rstrip(b"\r\n")
    path.write_bytes(data)
    return path


def test_one_partition_per_file_equals_load_logs(sample_load):
    ddf = toolkit.dask.read_logs(SAMPLE, blocksize=None)
    assert ddf.npartitions == 3 and list(ddf.columns) == toolkit.COLUMNS
    assert_frames(computed(ddf), sample_load.frame)


@pytest.mark.parametrize("blocksize", [997, 4096, "8 kiB", None])
def test_byte_ranges_equal_load_logs_lines_and_rejects(messy, blocksize):
    ddf = toolkit.dask.read_logs(messy, blocksize=blocksize)
    if blocksize is not None:
        assert ddf.npartitions > 2
    load = loaded(messy)
    got = computed(ddf)
    assert_frames(got, load.frame)
    assert got["line"].is_monotonic_increasing and len(load.rejects) == 8
    pd.testing.assert_frame_equal(computed(toolkit.dask.read_rejects(messy, blocksize=blocksize)), load.rejects)


def test_the_schema_comes_from_the_loader(messy):
    ddf = toolkit.dask.read_logs(messy, blocksize=2000)
    empty = toolkit.schema.empty_frame()
    assert ddf.dtypes.astype(str).tolist() == empty.dtypes.astype(str).tolist()
    assert ddf["market"].cat.known and list(ddf["category"].cat.categories) == toolkit.CATEGORIES
    assert not ddf["endpoint"].cat.known  # known once computed: they depend on the data
    got = computed(ddf)
    assert got.dtypes.astype(str).tolist() == empty.dtypes.astype(str).tolist()
    assert got["endpoint"].cat.categories.dtype == "string"


def test_calls_and_rejects_share_their_parsing_tasks(messy):
    calls = toolkit.dask.read_logs(messy, blocksize=3000)
    rejects = toolkit.dask.read_rejects(messy, blocksize=3000)
    graph = dict(dask.base.collections_to_expr([calls, rejects]).__dask_graph__())
    parses = [k for k in graph if "_parse_range" in str(k)]
    assert len(parses) == calls.npartitions  # one parse per range for both collections


def test_errors_raise_fails_the_computation(messy):
    ddf = toolkit.dask.read_logs(messy, blocksize=4000, errors="raise")
    with pytest.raises(toolkit.LogFormatError, match=r"messy.jsonl, line (6|43|80|117|154|191|228|265): invalid JSON"):
        ddf.compute(scheduler="sync")


def test_compressed_files_are_one_partition_each(tmp_path):
    jsonl(tmp_path / "a.jsonl.gz", *[call() for _ in range(50)], gz=True)
    ddf = toolkit.dask.read_logs(tmp_path, blocksize=100)
    assert ddf.npartitions == 1
    assert_frames(computed(ddf), toolkit.load_logs(tmp_path))


def test_json_lines_key_names_in_byte_ranges(tmp_path):
    fields = {"time": "started_at", "url": "request.uri", "status": "http_code"}
    recs = [{"started_at": f"2026-11-20T21:{i // 60:02}:{i % 60:02}Z", "request": {"uri": SPOT if i % 2 else FUTURES},
             "http_code": 429 if i % 7 == 0 else 200} for i in range(200)]
    path = jsonl(tmp_path / "renamed.jsonl", *recs)
    ddf = toolkit.dask.read_logs(path, blocksize=2_000, fields=fields)
    assert ddf.npartitions > 3
    got = computed(ddf)
    assert_frames(got, toolkit.load_logs(path, fields=fields))
    assert int((got["http_status"] == 429).sum()) == 29


def test_bots_and_keys_in_byte_ranges(tmp_path):
    key = {"request": {"headers": {"ACCESS-KEY": "ak-shared-9c2a7b", "ACCESS-TIMESTAMP": "1795208700000"}}}
    jsonl(tmp_path / "spot-mm" / "calls.jsonl", *[call(**key) for _ in range(100)])
    jsonl(tmp_path / "gateway.jsonl", *[call(FUTURES, bot="futures-arb" if i % 3 else None) for i in range(100)])
    for bot in (None, {"spot-mm/*": "market-maker"}, lambda path: "gw" if "gateway" in path else None):
        ddf = toolkit.dask.read_logs(tmp_path, blocksize=2_000, bot=bot)
        assert ddf.npartitions > 4 and not ddf["bot"].cat.known
        got = computed(ddf)
        assert_frames(got, toolkit.load_logs(tmp_path, bot=bot))
        assert got["key_id"].notna().sum() == 100


def test_lines_ending_in_cr_alone_are_one_partition(tmp_path):
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b"\r".join(orjson.dumps(call(status=200 if i % 5 else 503)) for i in range(300)) + b"\r")
    ddf = toolkit.dask.read_logs(path, blocksize=2_000)
    assert ddf.npartitions == 1
    assert_frames(computed(ddf), toolkit.load_logs(path))
    assert len(computed(toolkit.dask.read_rejects(path, blocksize=2_000))) == 0


def test_bad_arguments(tmp_path, messy):
    with pytest.raises(ValueError, match="blocksize must be a positive number of bytes"):
        toolkit.dask.read_logs(messy, blocksize=0)
    with pytest.raises(ValueError, match="blocksize must be"):
        toolkit.dask.read_logs(messy, blocksize="lots")
    with pytest.raises(FileNotFoundError, match="no such recording"):
        toolkit.dask.read_logs(tmp_path / "missing.jsonl")
    with open(messy, "rb") as f, pytest.raises(TypeError, match="by path"):
        toolkit.dask.read_logs(f)
    with pytest.raises(ValueError, match="errors must be"):
        toolkit.dask.read_logs(messy, errors="skip")


def test_import_toolkit_does_not_import_dask():
    code = "import sys, toolkit; assert 'dask' not in sys.modules; toolkit.dask; assert 'dask' in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


def test_on_a_local_cluster_equals_load_logs(client, plain_sample, sample_load):
    ddf = toolkit.dask.read_logs(plain_sample, blocksize="6MiB")
    assert ddf.npartitions > 6
    got = client.compute(ddf).result().sort_values("ts", kind="stable", ignore_index=True)  # as read_logs
    # the sample's calls, line numbers included; only the file names differ (uncompressed copies)
    assert_frames(got.drop(columns="source"), sample_load.frame.drop(columns="source"))
    names = {str(plain_sample / f"{bot}.jsonl") for bot in ("futures-arb", "futures-gateway", "spot-bot")}
    assert set(got["source"].cat.categories) == names
    assert (got["source"].astype(str).str.replace(".jsonl", ".jsonl.gz").str.replace(str(plain_sample), str(SAMPLE))
            == sample_load.frame["source"].astype(str)).all()


def test_the_cluster_parses_on_every_worker(client, plain_sample):
    ddf = toolkit.dask.read_logs(plain_sample, blocksize="2MiB")
    with distributed.get_task_stream(client) as stream:
        n = ddf.map_partitions(len).compute().sum()
    assert n == 126_804
    workers = {t["worker"] for t in stream.data if "_parse_range" in str(t["key"])}
    assert len(workers) == 2


def test_an_analysis_on_the_cluster(client, plain_sample, sample_load):
    ddf = toolkit.dask.read_logs(plain_sample, blocksize="8MiB")
    errors = ddf[ddf["is_error"]].groupby(["market", "category"], observed=True).size().compute()
    df = sample_load.frame
    want = df[df["is_error"]].groupby(["market", "category"], observed=True).size()
    pd.testing.assert_series_equal(errors.sort_index(), want.sort_index(), check_names=False)


def test_every_format_the_loader_reads():
    data = ROOT / "tests" / "data"
    files = [data / "devtools.har", data / "cassette.yaml", data / "bot.log"]
    load = loaded(files)
    assert_frames(computed(toolkit.dask.read_logs(files, blocksize=500)), load.frame)
    pd.testing.assert_frame_equal(computed(toolkit.dask.read_rejects(files, blocksize=500)), load.rejects)
    pattern = (r"^(?P<ts>\d+\.\d+) \| (?P<method>[A-Z]+) (?P<url>\S+) \| (?:-|(?P<status>\S+)) \| "
               r"(?P<latency_ms>\d+) \| (?:(?P<body>\{.*\})|(?P<error>.*))$")
    gateway = data / "gateway.log"
    assert_frames(computed(toolkit.dask.read_logs(gateway, pattern=pattern, blocksize=100)),
                  loaded(gateway, pattern=pattern).frame)
