"""The ``toolkit`` command (also ``python -m toolkit``)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import pandas as pd

from . import __version__
from ._words import end_words, shown_name, time_words
from .analysis import bot_summary, failed_share, find_incidents, summary
from .errors import ToolkitError
from .read import RejectWarning, read_logs
from .scrub import scrub
from .store import IngestWarning, ingest

__all__ = ["build_parser", "main"]


def _summarize(args) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RejectWarning)
        load = read_logs(args.source)
    for w in caught:
        print(f"warning: {shown_name(w.message)}", file=sys.stderr)
    df = load.frame
    skipped = int(load.report["skipped"].sum())
    print(f"{len(df):,} calls from {len(load.report)} file(s); {int(load.report['rejects'].sum()):,} lines rejected, "
          f"{skipped:,} skipped")
    if df.empty:
        print("no calls to summarise")
        return 1
    if args.bot:
        from .report import select_calls

        df = select_calls(df, bot=args.bot)
        print(f"{len(df):,} of them made by {', '.join(args.bot)}")
    print(f"from {df['ts'].min():%Y-%m-%d %H:%M} to {df['ts'].max():%Y-%m-%d %H:%M} UTC\n")
    table = summary(df)
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print(table.to_string())
    rates = failed_share(table)
    print("\nerror rate  " + "  ".join(f"{m} {r:.1%}" for m, r in rates.items()))
    _print_bots(df)
    _print_incidents(find_incidents(df))
    return 0


def _print_bots(df: pd.DataFrame) -> None:
    """Calls and failures of each bot, when the calls are several bots'."""
    bots = bot_summary(df)
    if len(bots) < 2:
        return
    print(f"\n{len(bots)} bots\n")
    width = max(len("bot"), *(len(b) for b in bots["bot"]))
    print(f"{'bot':<{width}}  {'calls':>9}  {'failed':>7}  markets         key_id")
    for r in bots.itertuples():
        print(f"{r.bot:<{width}}  {r.calls:>9,}  {r.error_rate:>7.1%}  {r.markets:<14}  {r.key_id}".rstrip())


def _print_incidents(incidents: pd.DataFrame) -> None:
    if incidents.empty:
        print("\nno incidents: errors stayed near each market's baseline")
        return
    print(f"\n{len(incidents)} incident(s): windows in which a market's errors rose well above its baseline\n")
    columns = {  # name: (cells, alignment)
        "start": (pd.Series([time_words(s, short=True) for s in incidents["start"]]), "<"),
        "end": (pd.Series([end_words(s, e, short=True) for s, e in zip(incidents["start"], incidents["end"])]), "<"),
        "market": (incidents["market"].astype(str), "<"),
        "category": (incidents["category"].astype(str), "<"),
        "cause": (incidents["cause"].astype(str), "<"),
        "calls": (incidents["calls"].map("{:,}".format), ">"),
        "errors": (incidents["errors"].map("{:,}".format), ">"),
        "error_rate": (incidents["error_rate"].map("{:.0%}".format), ">"),
        "top_reason": (incidents["top_reason"].astype(str), "<"),
    }
    width = {name: max(len(name), *(len(v) for v in cells)) for name, (cells, _) in columns.items()}
    print("  ".join(f"{name:{a}{width[name]}}" for name, (_, a) in columns.items()).rstrip())
    for i in range(len(incidents)):
        print("  ".join(f"{cells.iloc[i]:{a}{width[name]}}" for name, (cells, a) in columns.items()).rstrip())


def _report(args) -> int:
    from .report import prepare_report, run_report

    # Parameters, the sources and the output folder are checked once, before a kernel starts.
    prepared = prepare_report(args.source, args.out, start=args.start, end=args.end, market=args.market,
                              bot=args.bot, title=args.title)
    sources = ", ".join(shown_name(s) for s in prepared.parameters.source)
    print(f"toolkit report: running the post-mortem notebook on {sources}",
          file=sys.stderr)
    path = run_report(prepared, progress=True)
    print(f"wrote {shown_name(path.resolve())}")
    return 0


def _ingest(args) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RejectWarning)
        warnings.simplefilter("always", IngestWarning)
        done = ingest(args.source, store=args.into, wait=pd.Timedelta(seconds=args.wait))
    for w in caught:
        print(f"warning: {shown_name(w.message)}", file=sys.stderr)
    rep = done.report
    for r in rep.itertuples():
        pending = f", {r.pending:,} bytes of an unfinished line left for next time" if r.pending else ""
        print(f"{r.status:<9} {r.rows:>12,} rows {r.rejects:>9,} rejects  {shown_name(r.source)}{pending}")
    print(f"{done.rows:,} rows and {done.rejects:,} rejects added to {shown_name(done.store)} "
          f"from {len(rep)} file(s)")
    return 1 if rep["status"].isin(["changed", "failed"]).any() else 0


def _scrub(args) -> int:
    done = scrub(args.source, args.out, format=args.format)
    if args.out is not None:
        where = f"into {shown_name(done.path)}"
    elif os.path.islink(args.source):
        where = f"in place, into {shown_name(done.path)} (the file the link points to)"
    else:
        where = "in place"
    print(f"{done.replaced:,} secret value(s) masked in {shown_name(args.source)} ({done.format}), written {where}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolkit", description="Post-mortems for trading bots' Spot and Futures Open API calls.")
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("summarize", help="calls per market and error category, and the incidents, in the terminal",
                       description="Load recordings and print calls per market and error category, then the "
                                   "incidents: windows in which a market's errors rose well above its baseline.")
    p.add_argument("source", nargs="+", help="recording files, directories or globs")
    p.add_argument("--bot", action="append", metavar="NAME",
                   help="only the calls of this bot (the bot column; again for more bots)")
    p.set_defaults(func=_summarize)
    p = sub.add_parser(
        "report", help="the post-mortem as a self-contained HTML page",
        description="Execute the post-mortem notebook bundled with the toolkit on the recordings and "
                    "write it as one HTML page with the code hidden. The page is written whole or not at all.")
    p.add_argument("source", nargs="+", help="recording files, directories or globs")
    p.add_argument("--start", help="first moment to examine, UTC, e.g. '2026-11-18 14:00' (default: the first call)")
    p.add_argument("--end", help="moment to stop at (excluded), UTC (default: after the last call)")
    p.add_argument("--market", help="spot, futures or unknown (default: all)")
    p.add_argument("--bot", action="append", metavar="NAME",
                   help="only the calls of this bot (the bot column; again for more bots; default: all)")
    p.add_argument("--title", help="the report's heading (default: made from the market and the window)")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the HTML file to write; its folder must exist")
    p.set_defaults(func=_report)
    p = sub.add_parser("ingest", help="add recordings to a Parquet store (only what is new)",
                       description="Parse recordings into a Parquet store partitioned by date and market. "
                                   "Run it again to add new files and what was appended to growing logs; "
                                   "nothing is added twice. Exits 1 when a file failed or changed.")
    p.add_argument("source", nargs="+", help="recording files, directories or globs")
    p.add_argument("--into", required=True, metavar="STORE", help="the store directory (created when missing)")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait this long when another ingest is writing to the store (default: fail at once)")
    p.set_defaults(func=_ingest)
    p = sub.add_parser("scrub", help="mask API keys, signatures and other secrets in a recording",
                       description="Rewrite a recording (JSON Lines, HAR, VCR cassette or text log, gzip too) "
                                   "with every secret value replaced by ***; everything else is kept.")
    p.add_argument("source", help="the recording to scrub")
    p.add_argument("--out", metavar="FILE", help="write here instead of replacing SOURCE")
    p.add_argument("--format", default="auto", choices=["auto", "jsonl", "har", "vcr", "text", "wslog"],
                   help="the recording's format (default: told from its content)")
    p.set_defaults(func=_scrub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    The toolkit's own errors (:class:`toolkit.ToolkitError`) and failures of the
    operating system (a file that cannot be opened, a full disk) are printed as
    one line with status 2; ^C is one line with status 130; anything else is a
    bug and keeps its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return status
    except BrokenPipeError:
        _quiet_stdout()  # the reader went away (``toolkit summarize | head``): stop without a word
        return 0
    except KeyboardInterrupt:
        print(f"toolkit {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except (ToolkitError, OSError) as exc:
        print(f"toolkit {args.command}: error: {shown_name(exc)}", file=sys.stderr)
        return 2


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (in-process use)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
