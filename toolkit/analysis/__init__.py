"""Failure analysis over a loaded frame: each function takes the frame and returns a new one.

One module per concern: :mod:`.rates` (error and request rates), :mod:`.errors`
(grouped errors, retries), :mod:`.retry` (what a retry is), :mod:`.incidents` (finding incidents),
:mod:`.describe` (explaining a window), :mod:`.clock` (clock drift), :mod:`.causes`
(the cause-rule table and the evidence of each cause), :mod:`.explain` (whose fault each
incident was), :mod:`.gaps` (silences), :mod:`.orders` (every order attempt, its answer and fate; orders of unknown outcome),
:mod:`.websocket` (WebSocket sessions, streams, stale streams, sequence gaps, reconnects), :mod:`.feeds` (whose fault a
feed drop was),
:mod:`.findings` (a post-mortem's closing table: one row per incident, with its evidence),
:mod:`.verdict` (the post-mortem's first line: how many incidents were whose fault, and the worst),
:mod:`.fault` (the verdict, the count by side and cause and each incident explained, as one notebook object).
"""

from .causes import CAUSES, SIDES, cause_rules
from .clock import clock_drift, clock_offsets
from .describe import WindowDescription, describe_window
from .errors import retries, top_errors
from .explain import explain_incidents
from .findings import FINDINGS, findings
from .gaps import find_gaps
from .incidents import find_incidents
from .orders import ANSWERS, FATES, ORDER_COLUMNS, UNCERTAIN_COLUMNS, orders, uncertain_orders
from .rates import error_rate, request_rate
from .summary import BOT_SUMMARY, bot_summary, failed_share, summary
from .feeds import feed_drops
from .websocket import reconnects, sequence_gaps, stale_streams, ws_sessions, ws_streams
from .verdict import verdict, worst_incident
from .fault import WhoseFault, whose_fault

__all__ = [
    "ANSWERS",
    "BOT_SUMMARY",
    "CAUSES",
    "FATES",
    "FINDINGS",
    "ORDER_COLUMNS",
    "SIDES",
    "UNCERTAIN_COLUMNS",
    "cause_rules",
    "WindowDescription",
    "WhoseFault",
    "bot_summary",
    "clock_drift",
    "clock_offsets",
    "describe_window",
    "error_rate",
    "failed_share",
    "explain_incidents",
    "find_gaps",
    "findings",
    "find_incidents",
    "orders",
    "request_rate",
    "retries",
    "summary",
    "top_errors",
    "uncertain_orders",
    "feed_drops",
    "reconnects",
    "sequence_gaps",
    "stale_streams",
    "ws_sessions",
    "ws_streams",
    "verdict",
    "whose_fault",
    "worst_incident",
]
