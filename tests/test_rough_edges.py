"""What a new user hits first: rotated logs in a folder, several files in time order, files closed, plot titles."""

import gc
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import toolkit  # noqa: E402
from tests.conftest import FUTURES, SPOT, call, jsonl  # noqa: E402


def test_a_folder_of_rotated_logs_is_read(tmp_path):
    # logrotate and logging.handlers.RotatingFileHandler name old files bot.log.1, bot.log.2(.gz)
    jsonl(tmp_path / "bot.log", call(SPOT, ts="2026-11-20T21:07:00Z"))
    jsonl(tmp_path / "bot.log.1", call(SPOT, ts="2026-11-20T21:06:00Z"))
    jsonl(tmp_path / "bot.log.2.gz", call(SPOT, ts="2026-11-20T21:05:00Z"), gz=True)
    (tmp_path / "notes.txt.orig").write_text("not a recording")
    load = toolkit.read_logs(tmp_path)
    assert sorted(p.rsplit("/", 1)[1] for p in load.report["source"]) == ["bot.log", "bot.log.1", "bot.log.2.gz"]
    assert len(load.frame) == 3


def test_several_files_load_in_time_order(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", call(SPOT, ts="2026-11-20T21:05:00Z"), call(SPOT, ts="2026-11-20T21:09:00Z"))
    b = jsonl(tmp_path / "b.jsonl", call(FUTURES, ts="2026-11-20T21:06:00Z"), call(FUTURES, ts="2026-11-20T21:07:00Z"))
    df = toolkit.load_logs([a, b])
    assert df["ts"].is_monotonic_increasing
    assert df["market"].tolist() == ["spot", "futures", "futures", "spot"]
    assert df.index.tolist() == [0, 1, 2, 3]


def test_every_gz_input_is_closed(tmp_path):
    path = jsonl(tmp_path / "calls.jsonl.gz", call(SPOT), gz=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        toolkit.load_logs(path)
        toolkit.read_logs(tmp_path)
        gc.collect()  # an unclosed file warns when it is collected


def test_plot_titles_name_the_market_of_a_filtered_frame(tmp_path):
    df = toolkit.load_logs(jsonl(tmp_path / "f.jsonl", call(FUTURES), call(FUTURES, ts="2026-11-20T21:06:00Z")))
    fig, ax = plt.subplots()
    try:
        assert "futures" in toolkit.plots.timeline(df, incidents=False, ax=ax).get_title()
    finally:
        plt.close(fig)
