"""Defaults the analysis functions and plots share: limits, tolerances, bucket sizes, thresholds.

One place, so a changed limit or bucket size changes every function that uses it.
The figures for limits and the clock come from the exchange's documentation.
"""

from __future__ import annotations

#: Documented request limits, counted separately for each market: calls per window.
RATE_LIMITS: dict[str, dict[str, int]] = {
    "regular": {"1s": 10, "1min": 300},
    "market_maker": {"1s": 100, "1min": 3000},
}

#: Which of :data:`RATE_LIMITS` applies when a function is given ``limits=None``.
RATE_TIER = "regular"

#: How far the ``ACCESS-TIMESTAMP`` may be from server time before a 401.
CLOCK_TOLERANCE = "30s"

#: Bucket size of :func:`toolkit.error_rate`.
ERROR_RATE_FREQ = "5min"

#: Bucket size of :func:`toolkit.find_incidents` and :func:`toolkit.clock_drift`.
INCIDENT_FREQ = "1min"

#: Flagged buckets this close together make one incident window.
INCIDENT_MERGE = "5min"

#: Size of the buckets over which a group's baseline error rate is taken (their median).
BASELINE_FREQ = "1h"

#: An incident window needs at least this many errors ...
MIN_ERRORS = 5

#: ... an error rate at least this many times the baseline ...
MIN_RATIO = 3.0

#: ... and a Poisson tail probability below this, given the baseline.
ALPHA = 1e-6

#: Lengths, in buckets, of the windows the incident scan tests (a short burst and a long
#: low-rate spell both stand out at one of them).
SCAN_WINDOWS = (1, 3, 10, 30)

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

#: More buckets than this in one result is a mistake (a tiny freq over a long recording).
MAX_BUCKETS = 20_000_000
