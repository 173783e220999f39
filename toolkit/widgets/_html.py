"""The explorer's HTML: its tables (top errors, sample rows), the explanation of an incident, the status line.

The content of ipywidgets' ``HTML`` widgets is not styled by JupyterLab or Notebook, so
the tables carry their own style (:data:`CSS`). Each table ends with its long text (the
pattern, the message), which wraps inside its cell (``overflow-wrap: anywhere``) instead
of widening the table past the page; the other cells stay on one line. A missing value
reads :data:`toolkit.defaults.MISSING`, as in the report.
"""

from __future__ import annotations

import html

import pandas as pd

from .. import defaults
from .._words import time_words
from ..classify import CAUSE_WORDS, SIDE_WORDS
from ._view import Snapshot

TOP_COLUMNS = ["count", "share", "market", "category", "code", "pattern"]

#: Styles of the tables and the explanation.
CSS = """<style>
.toolkit-table { border-collapse: collapse; font-size: 12px; line-height: 1.3; max-width: 100%; }
.toolkit-table th, .toolkit-table td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #e0e0e0;
  vertical-align: top; white-space: nowrap; }
.toolkit-table td:last-child { white-space: normal; overflow-wrap: anywhere; min-width: 12em; max-width: 46em; }
.toolkit-table th { border-bottom: 1px solid #888; }
.toolkit-scroll { max-height: 320px; overflow: auto; }
.toolkit-explanation, .toolkit-cause { font-size: 13px; line-height: 1.4; }
</style>"""


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every missing value as :data:`toolkit.defaults.MISSING` (pandas would print ``<NA>``)."""
    out = table.astype(object)
    return out.where(table.notna().to_numpy(), defaults.MISSING)


def _table(table: pd.DataFrame) -> str:
    return ("<div class='toolkit-scroll'>"
            + shown(table).to_html(index=False, classes="toolkit-table", border=0) + "</div>")


def top_table(top: pd.DataFrame) -> str:
    """The top errors as :func:`toolkit.top_errors` gives them, share as a percentage."""
    if top.empty:
        return "<p>No errors in view.</p>"
    return _table(top[TOP_COLUMNS].assign(share=top["share"].map("{:.0%}".format)))


def sessions_table(sessions: pd.DataFrame | None) -> str:
    """The WebSocket sessions in view (:func:`toolkit.ws_sessions`), the streams last (they wrap)."""
    if sessions is None:
        return ""
    if sessions.empty:
        return "<p>No WebSocket session in view.</p>"
    stamp = lambda s: s.dt.strftime("%Y-%m-%d %H:%M:%S")
    table = sessions.assign(opened=stamp(sessions["opened"]), closed=stamp(sessions["closed"]),
                            duration=sessions["duration"].astype(str).str.replace("0 days ", "", regex=False))
    return _table(table[["bot", "market", "opened", "closed", "duration", "close_code", "closed_by", "received",
                         "unanswered_pings", "streams"]])


def rows_table(sample: pd.DataFrame, total: int) -> str:
    """The sample of raw rows, with how many rows are in view."""
    if sample.empty:
        return "<p>No rows in view.</p>"
    table = sample.assign(ts=sample["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                          message=sample["message"].str.slice(0, 120))
    note = (f"{len(sample)} of {total:,} rows in view (a random sample; the export button writes them all)"
            if total > len(sample) else f"{total:,} rows in view")
    return f"<p>{note}</p>" + _table(table)


#: The columns of the explorer's orders list.
ORDER_LIST = ["ts", "bot", "endpoint", "symbol", "client_oid", "order_id", "side", "price", "quantity", "reason",
              "fate", "evidence", "duplicate_of"]


def orders_table(orders: pd.DataFrame, rows: int = 50) -> str:
    """The orders of unknown outcome in view, what became of each, the duplicates first."""
    if orders.empty:
        return "<p>No order of unknown outcome in view.</p>"
    first = orders.assign(d=orders["duplicate_of"].isna()).sort_values(["d", "ts"], kind="stable")
    table = first[ORDER_LIST].head(rows).assign(ts=first["ts"].head(rows).dt.strftime("%Y-%m-%d %H:%M:%S"),
                                                endpoint=first["endpoint"].head(rows).astype(str).str.rsplit(
                                                    "/open-api/", n=1).str[-1])
    fates = ", ".join(f"{n:,} {f}" for f, n in orders["fate"].value_counts(sort=False).items() if n)
    return f"<p>{len(orders):,} orders of unknown outcome in view ({fates})</p>" + _table(table)


def explanation(window) -> str:
    """Whose fault an incident was and what :func:`toolkit.describe_window` said about it."""
    whose = SIDE_WORDS.get(window.side, window.side).removesuffix("'s").removeprefix("of ")
    cause = (f"<p class='toolkit-cause'><b>Whose fault: {html.escape(whose)}</b> "
             f"({html.escape(CAUSE_WORDS.get(window.cause, window.cause))}): {html.escape(window.evidence)}</p>"
             if window.errors else "")
    return cause + f"<p class='toolkit-explanation'>{html.escape(window.summary)}</p>"


def window_label(window: tuple[int, int]) -> str:
    """``Mon 16 Nov 21:00 to Tue 17 Nov 09:00``."""
    return f"{time_words(window[0])} to {time_words(window[1])}"


def status(snap: Snapshot, market: str, seconds: float, bot: str = "") -> str:
    """The status line after a redraw: the view, its size, the bucket and how long the redraw took; with two
    bots or more, the calls and failures of each in the window, market and endpoint (the one in view in bold)."""
    where = html.escape(f"{market or 'all markets'}{' · ' + bot if bot else ''}")
    line = (f"<span>{window_label(snap.window)} UTC · {where} · "
            f"{snap.calls:,} calls, {snap.rows:,} rows in view · {snap.counts.freq} buckets · "
            f"redrawn in {seconds * 1000:.0f} ms</span>")
    if len(snap.bots) < 2:
        return line
    each = [f"{'<b>' if name == bot else ''}{html.escape(name)}: {calls:,} calls, {errors:,} failed"
            f"{'</b>' if name == bot else ''}" for name, (calls, errors) in snap.bots.items()]
    return line + "<br><span>per bot: " + " · ".join(each) + "</span>"


def message(text: str) -> str:
    """A line for the status (an export written, a failure), escaped."""
    return f"<span>{html.escape(text)}</span>"
