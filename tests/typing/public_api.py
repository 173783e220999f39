"""The public API as users call it, checked by mypy (tests/test_typing.py): the signatures the package ships
(``py.typed``) accept these calls, and the results have the types written beside them."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

import toolkit
import toolkit.store

load: toolkit.Load = toolkit.read_logs("data/sample", market="spot", bot={"spot-*": "spot-bot"}, errors="report")
frame: pd.DataFrame = load.frame
rejects: pd.DataFrame = load.rejects
df: pd.DataFrame = toolkit.load_logs(["data/sample"], start="2026-11-16", end=pd.Timestamp("2026-11-17", tz="UTC"))

table: pd.DataFrame = toolkit.summary(df)
bots: pd.DataFrame = toolkit.bot_summary(df, market="futures")
rate: pd.DataFrame = toolkit.error_rate(df, freq="1h", by="bot")
top: pd.DataFrame = toolkit.top_errors(df, n=5, start="2026-11-16 21:00", end="2026-11-16 22:00")
incidents: pd.DataFrame = toolkit.find_incidents(df, market=["spot"])
fault: pd.DataFrame = toolkit.explain_incidents(df, incidents)
judged: toolkit.analysis.WhoseFault = toolkit.whose_fault(df, incidents, market="spot")
first_line: str = judged.verdict
gaps: pd.DataFrame = toolkit.find_gaps(df, bot="futures-arb")
retried: pd.DataFrame = toolkit.retries(df)
per_second: pd.DataFrame = toolkit.request_rate(df, market="spot")
clock: pd.DataFrame = toolkit.clock_drift(df)
attempts: pd.DataFrame = toolkit.orders(df, within="30s", market="spot")
unsure: pd.DataFrame = toolkit.uncertain_orders(df, incidents=incidents)
described = toolkit.describe_window(df, start="2026-11-16 21:20", end="2026-11-16 21:30", market="spot")
summary_text: str = described.summary
found: pd.DataFrame = toolkit.findings(df, incidents)

ax: Axes = toolkit.plots.timeline(df, freq="1h")
ax = toolkit.plots.latency(df, market="futures")

run: toolkit.store.Ingest = toolkit.store.ingest("data/sample", "build/store")
answer: pd.DataFrame = toolkit.store.query("build/store", "SELECT count(*) FROM calls")

try:
    toolkit.load_logs("nowhere")
except (toolkit.ToolkitError, FileNotFoundError) as exc:  # a missing path is a FileNotFoundError
    message: str = str(exc)
