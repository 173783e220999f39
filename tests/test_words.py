"""One way to write a window: the end's day is shown when it is not the start's, everywhere a window is printed."""

import pandas as pd

import toolkit
from toolkit._words import duration_words, end_words, time_words, window_words
from toolkit.cli import _print_incidents

LATE, PAST_MIDNIGHT = pd.Timestamp("2026-11-16 23:50", tz="UTC"), pd.Timestamp("2026-11-17 00:10", tz="UTC")


def test_a_window_across_midnight_names_both_days():
    assert window_words(LATE, PAST_MIDNIGHT) == "Mon 16 Nov 23:50 – Tue 17 Nov 00:10"
    assert window_words(LATE, LATE + pd.Timedelta("5min")) == "Mon 16 Nov 23:50–23:55"
    assert end_words(LATE, PAST_MIDNIGHT, short=True) == "Tue 17 00:10"
    assert time_words(LATE.tz_convert("Asia/Tokyo")) == "Mon 16 Nov 23:50"  # UTC, whatever the zone given


def test_durations_in_words():
    assert [duration_words(pd.Timedelta(d).value, long=True) for d in ("1h", "3h", "1min", "10s")] == [
        "1 hour", "3 hours", "1 minute", "10 seconds"]


def test_the_command_line_and_the_explorer_show_the_end_day(capsys):
    inc = pd.DataFrame({"id": [1], "start": [LATE], "end": [PAST_MIDNIGHT], "market": ["spot"],
                        "category": ["rate_limit"], "cause": ["client_rate"], "calls": [100], "errors": [60],
                        "error_rate": [0.6], "top_reason": ["rate_limited"]})
    _print_incidents(inc)
    assert "Mon 16 23:50  Tue 17 00:10  spot" in capsys.readouterr().out
    df = toolkit.load_logs("data/sample")
    view = toolkit.widgets.View(df, incidents=inc)
    assert view.incident_options()[0][0].startswith("Mon 16 Nov 23:50 – Tue 17 Nov 00:10  spot  rate_limit")
