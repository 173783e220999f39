"""Defaults the analysis functions and plots share: limits, tolerances, bucket sizes, thresholds.

One place, so a changed limit or bucket size changes every function that uses it.
The figures for limits and the clock come from the exchange's documentation.
"""

from __future__ import annotations

__all__ = ["RATE_LIMITS", "RATE_TIER", "LIMIT_SHARE", "CLOCK_TOLERANCE", "ERROR_RATE_FREQ", "INCIDENT_FREQ", "INCIDENT_MAX_BUCKETS",
           "INCIDENT_BUCKETS_PER_CALL", "INCIDENT_MERGE",
           "BASELINE_FREQ", "BASELINE_BY", "BASELINE_MIN_CALLS", "BASELINE_MAX_ENDPOINTS", "BASELINE_MAX_CELLS", "BASELINE_PRIOR_ERRORS", "CELL_MIN_DAYS", "CELL_MIN_VALUES",
           "CLOCK_SHIFT_GAIN", "CLOCK_SHIFT_DAYS", "CLOCK_SHIFT_MIN_CALLS", "MIN_ERRORS", "MIN_RATIO", "ALPHA", "SCAN_WINDOWS", "NARROW", "NARROW_FREQ",
           "NARROW_MERGE", "NARROW_MIN_ERRORS", "NARROW_RATIO", "NARROW_FLOOR", "CASCADE_MIN",
           "FOLLOW_WITHIN", "GAP_FREQ", "GAP_SHARE", "GAP_MIN", "GAP_MIN_EXPECTED", "ORDER_REPEAT_WINDOW",
           "ORDER_EVIDENCE_WINDOW", "ORDER_CLOCK_SLACK", "BEFORE",
           "REQUEST_RATE_FREQ", "RETRY_WINDOW", "MAX_LISTED", "PERCENTILES", "REPORT_PROBE_BYTES", "MAX_BUCKETS", "STEPS",
           "EXPLORER_BUCKETS", "EXPLORER_MAX_BUCKETS", "EXPLORER_TIME_STEPS", "EXPLORER_MAX_POSITIONS",
           "EXPLORER_MIN_STEPS", "EXPLORER_OVERVIEW_MIN_SHARE", "EXPLORER_ZOOM_POSITIONS", "EXPLORER_TOP_ERRORS", "EXPLORER_SAMPLE_ROWS", "EXPLORER_DEBOUNCE",
           "TIMELINE_SYMLOG_RATIO", "PLOT_FONTS", "TIMELINE_MAX_LEGEND", "MISSING", "MAX_LINE_BYTES", "MAX_GZIP_RATIO",
           "GZIP_RATIO_AFTER", "MAX_REJECTS_KEPT", "RECORD_MAX_DEPTH", "DISTRIBUTION", "PROGRESS_AFTER",
           "WS_MIN_SILENCE", "WS_PONG_WITHIN", "WS_RECONNECT_GAP", "WS_RECONNECT_MIN", "WS_DROP_WITHIN"]

#: Documented request limits, counted separately for each market: calls per window.
RATE_LIMITS: dict[str, dict[str, int]] = {
    "regular": {"1s": 10, "1min": 300},
    "market_maker": {"1s": 100, "1min": 3000},
}

#: Which of :data:`RATE_LIMITS` applies when a function is given ``limits=None``.
RATE_TIER = "regular"

#: A rate-limit incident is explained by a limit when at least this share of its 429s fell in windows in
#: which one key's calls went over that limit.
LIMIT_SHARE = 0.5

#: How far the ``ACCESS-TIMESTAMP`` may be from server time before a 401.
CLOCK_TOLERANCE = "30s"

#: Bucket size of :func:`toolkit.error_rate`.
ERROR_RATE_FREQ = "5min"

#: Bucket size of :func:`toolkit.clock_drift`, and the finest :func:`toolkit.find_incidents` picks with
#: ``freq="auto"`` (:func:`toolkit.selection.scan_freq`): the smallest of ``STEPS`` from here up that cuts the
#: calls' span into at most ``INCIDENT_MAX_BUCKETS`` buckets and at most ``INCIDENT_BUCKETS_PER_CALL``
#: buckets a call (a busy week: one minute; calls strewn over years: hours or days).
INCIDENT_FREQ = "1min"
INCIDENT_MAX_BUCKETS = 100_000
INCIDENT_BUCKETS_PER_CALL = 1

#: Flagged buckets this close together make one incident window.
INCIDENT_MERGE = "5min"

#: Size of the buckets over which a group's baseline error rate is taken (their median).
BASELINE_FREQ = "1h"

#: Inside each group, every value of these columns (each bot's calls of each endpoint) has its own usual
#: error rate: a bucket's expected errors are those calls at their usual rates, summed. A bot's endpoints
#: with fewer calls than this in a group share one rate.
BASELINE_BY = ("bot", "endpoint")
BASELINE_MIN_CALLS = 1000

#: ... and beyond its this many busiest endpoints in a group, a bot's endpoints share one rate too; series
#: that would take more than this many cells (series times buckets) are cut to one per bot, then none.
BASELINE_MAX_ENDPOINTS = 16
BASELINE_MAX_CELLS = 2_500_000

#: A cell with few calls leans on its coarser cell (that hour on every day; the whole recording) as if it
#: held this many errors at the coarser cell's rate.
BASELINE_PRIOR_ERRORS = 5

#: What is usual at a time of the week (incidents and silences): each hour of the day (or slot) has its
#: own baseline once this many days are recorded (before that, the whole recording's) ...
CELL_MIN_DAYS = 3

#: ... and a cell (weekday or weekend, hour) uses its own values once it holds this many; with fewer, it
#: takes the coarser cell's (that hour on every day), which otherwise counts as one more value.
CELL_MIN_VALUES = 2

#: A series' own clock: a day whose traffic fits the series' usual day, moved by an hour, at least this
#: much better than unmoved (and a running median over this many days) is read an hour early or late,
#: as after a change of daylight saving time. Days with fewer calls than this decide nothing.
CLOCK_SHIFT_GAIN = 0.25
CLOCK_SHIFT_DAYS = 7
CLOCK_SHIFT_MIN_CALLS = 100

#: An incident window needs at least this many errors ...
MIN_ERRORS = 5

#: ... an error rate at least this many times the baseline ...
MIN_RATIO = 3.0

#: ... and a Poisson tail probability below this, given the baseline.
ALPHA = 1e-6

#: Lengths, in buckets, of the windows the incident scan tests (a short burst and a long
#: low-rate spell both stand out at one of them).
SCAN_WINDOWS = (1, 3, 10, 30)

#: Narrow incidents: :func:`toolkit.find_incidents` also seeks incidents per market and each of these
#: columns (one reason, one endpoint), at this bucket size, each against its own rate for that hour of
#: the day ...
NARROW = ("reason", "endpoint")
NARROW_FREQ = "15min"

#: ... flagged buckets this close together making one narrow incident ...
NARROW_MERGE = "30min"

#: ... with at least this many errors, this many times the expected ones, and a Poisson tail below
#: ``ALPHA`` divided by the number of narrow groups tested ...
NARROW_MIN_ERRORS = 20
NARROW_RATIO = 2.0

#: ... and no rate is taken below this share of the group's rate over the recording.
NARROW_FLOOR = 0.5

#: A run of incident buckets is split where the mix of its error categories changes, into pieces at
#: least this long (an outage, then the bot's retry storm).
CASCADE_MIN = "3min"

#: An incident starting this soon after another one in the same market, with the bot's repeated
#: calls rising, follows it (a retry storm after an outage).
FOLLOW_WITHIN = "15min"

#: Silences (:func:`toolkit.find_gaps`): buckets of this size whose calls fall to this share of the
#: usual calls for that time of day, for at least this long, where at least this many were expected.
GAP_FREQ = "5min"
GAP_SHARE = 0.1
GAP_MIN = "15min"
GAP_MIN_EXPECTED = 20

#: :func:`toolkit.orders`: the same order sent again this soon after the end of a call of unknown answer is a
#: repeat of it.
ORDER_REPEAT_WINDOW = "30s"
#: :func:`toolkit.orders`: how long after an order of unknown answer the bot's queries are read for its fate.
ORDER_EVIDENCE_WINDOW = "1h"
#: :func:`toolkit.orders`: how far a listed order's creation time may fall outside the call that placed it
#: (the exchange's clock against the recorder's).
ORDER_CLOCK_SLACK = "2s"

#: WebSocket feeds (:mod:`toolkit.analysis.websocket`): a stream silent this long while another of its
#: connection pushes is stale; a ping without a pong this soon is unanswered; connection attempts this close
#: together, at least this many, are a reconnect burst.
WS_MIN_SILENCE = "10s"
WS_PONG_WITHIN = "10s"
WS_RECONNECT_GAP = "30s"
WS_RECONNECT_MIN = 3
#: A feed drop with the REST API's 5xx this close to it, in its market, is the exchange's (:func:`toolkit.feed_drops`).
WS_DROP_WITHIN = "1min"

#: How far back :func:`toolkit.describe_window` looks for its "before".
BEFORE = "3h"

#: Bucket size of :func:`toolkit.request_rate` and :func:`toolkit.plots.rate`.
REQUEST_RATE_FREQ = "1s"

#: Two identical failing calls this close together count as a retry.
RETRY_WINDOW = "10s"

#: A comma-joined list in a result (endpoints, symbols) becomes a count past this many values.
MAX_LISTED = 5

#: Latency percentiles reported and plotted.
PERCENTILES = (50, 90, 99)

#: ``toolkit report`` and :func:`toolkit.report.build_report` read recordings of at most this many bytes (on disk)
#: once before the notebook's kernel starts, to say at once when the window holds no call (reading 32 MB of
#: gzipped JSON Lines takes a few seconds; starting the kernel 6 to 10).
REPORT_PROBE_BYTES = 32 << 20

#: More buckets than this in one result is a mistake (a tiny freq over a long recording).
MAX_BUCKETS = 20_000_000

#: The bucket sizes a plot or the explorer picks from when none is given: the smallest that keeps
#: the time span under a number of buckets (:func:`toolkit.selection.step_for`).
STEPS = ("1s", "10s", "1min", "5min", "15min", "1h", "3h", "6h", "1D", "7D")

#: The explorer (:func:`toolkit.widgets.explore`): the bucket sizes it offers, a part of ``STEPS``
#: ("auto" picks the smallest that keeps the timeline under ``EXPLORER_MAX_BUCKETS``) ...
EXPLORER_BUCKETS = ("auto", "1min", "5min", "15min", "1h", "6h", "1D")
EXPLORER_MAX_BUCKETS = 600

#: ... the steps of its time slider (the smallest that keeps it under this many positions) ...
EXPLORER_TIME_STEPS = ("1min", "5min", "15min", "1h", "6h", "1D", "7D")
EXPLORER_MAX_POSITIONS = 1000
#: The fewest slider steps between the explorer's two time handles (they never meet or cross) ...
EXPLORER_MIN_STEPS = 1
#: ... and the overview slider's handles at least this share of its length apart (about 17 px of 700: never
#: on one pixel), while the zoom slider below it spans the overview's selection in the finest steps (1min, ...)
#: that keep it under this many positions: a window of minutes stays easy to drag after a week's overview.
EXPLORER_OVERVIEW_MIN_SHARE = 1 / 40
EXPLORER_ZOOM_POSITIONS = 400

#: ... the rows it shows of the top errors and of the raw calls ...
EXPLORER_TOP_ERRORS = 8
EXPLORER_SAMPLE_ROWS = 12

#: ... and how long its time slider must rest before the app redraws.
EXPLORER_DEBOUNCE = "250ms"

#: ``plots.timeline(yscale="auto")`` uses a symmetric log scale when the busiest bucket holds more
#: than this many times the errors of a typical (median) failing bucket.
TIMELINE_SYMLOG_RATIO = 20

#: The fonts plots are drawn in, in order, those installed: matplotlib takes each glyph from the first that has
#: it, so the exchange's Chinese messages read in a plot wherever a CJK font is installed (Debian:
#: ``fonts-noto-cjk``; ``.ci/run`` installs it) instead of showing boxes.
PLOT_FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "Microsoft YaHei", "PingFang SC", "Arial Unicode MS")

#: ... and names at most this many things in its legend (the categories with most errors, "other errors",
#: the calls and the incidents), so that a trader reads it at a glance.
TIMELINE_MAX_LEGEND = 8

#: How a missing value (no HTTP status for a timeout, no symbol, ...) is shown in the explorer's and the
#: report's tables: one rendering everywhere, never ``<NA>``, ``nan`` or a blank cell.
MISSING = "–"

# -- what reading and recording hold at most: a hostile input costs bounded memory and time -----------------

#: A line longer than this (uncompressed bytes) is a reject, "line longer than 64 MB", read past in bounded
#: memory without being parsed.
MAX_LINE_BYTES = 64 << 20

#: Gzip that undoes to more than this many times its compressed size is refused as a bomb (a
#: :class:`toolkit.LogFormatError` naming the file), once it has given :data:`GZIP_RATIO_AFTER` bytes.
#: Logs compress 5 to 30 times; a gzip bomb 1,000.
MAX_GZIP_RATIO = 200
GZIP_RATIO_AFTER = 1 << 20

#: Rejects kept one by one per file (source, line, reason, excerpt); beyond them, rejects are counted (in the
#: load report and the warning) but not kept.
MAX_REJECTS_KEPT = 10_000

#: The recorder writes a body nested deeper than this many levels cut there, with a marker.
RECORD_MAX_DEPTH = 200

#: The project's name on the package index (``pip install bot-postmortem``, extras ``[record]``, ``[dask]``);
#: the import name and the command are ``toolkit``.
DISTRIBUTION = "bot-postmortem"

#: Seconds a load or an ingest runs before its progress bar appears (quick work shows none).
PROGRESS_AFTER = 2.0
