"""The ``toolkit`` command (also ``python -m toolkit``)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

import pandas as pd

from . import __version__
from ._words import end_words, shown_name, time_words
from .analysis import bot_summary, failed_share, find_incidents, summary
from .errors import NoCallsError, ParameterError, ToolkitError
from .read import RejectWarning, read_logs
from .scrub import scrub
from .store import IngestWarning, ingest

__all__ = ["build_parser", "main"]


def _summarize(args) -> int:
    from .report import check_parameters, check_source, select_calls

    # the window, market, bot and bucket, and that the sources exist, are checked before anything is read
    params = check_parameters(args.source, args.start, args.end, args.market, None, args.bot, args.freq)
    check_source([os.path.expanduser(s) for s in params.source])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RejectWarning)
        load = read_logs(params.source)
    for w in caught:
        _say(f"warning: {shown_name(w.message)}")
    recorded = load.frame
    skipped = int(load.report["skipped"].sum())
    print(f"{len(recorded):,} calls from {len(load.report)} file(s); {int(load.report['rejects'].sum()):,} lines "
          f"rejected, {skipped:,} skipped")
    window = dict(start=params.start, end=params.end, market=params.market, bot=params.bot)
    df = select_calls(recorded, **window)
    if len(df) < len(recorded):
        print(f"{len(df):,} of them {_narrowed_words(params)}")
    print(f"from {df['ts'].min():%Y-%m-%d %H:%M} to {df['ts'].max():%Y-%m-%d %H:%M} UTC\n")
    table = summary(df)
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print(table.to_string())
    rates = failed_share(table)
    print("\nerror rate  " + "  ".join(f"{m} {r:.1%}" for m, r in rates.items()))
    _print_bots(df)
    # scope is judged on every call read, before the window's market and bot narrow them
    _print_incidents(find_incidents(recorded, **window, freq=params.freq))
    return 0


def _narrowed_words(params) -> str:
    """``in the window, on futures, made by spot-bot``: how the calls were narrowed."""
    words = []
    if params.start is not None or params.end is not None:
        words.append("in the window")
    if params.market is not None:
        words.append(f"on {params.market}")
    if params.bot is not None:
        words.append(f"made by {', '.join([params.bot] if isinstance(params.bot, str) else params.bot)}")
    return ", ".join(words)


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

    # Parameters, the sources, the output folder and (for recordings small enough to read at once) whether the
    # window holds any call are checked before a kernel starts.
    prepared = prepare_report(args.source, args.out, start=args.start, end=args.end, market=args.market,
                              bot=args.bot, title=args.title, freq=args.freq)
    sources = ", ".join(shown_name(s) for s in prepared.parameters.source)
    _say(f"toolkit report: running the post-mortem notebook on {sources}")
    path = run_report(prepared, progress=True)
    print(f"wrote {shown_name(path.resolve())}")
    return 0


def _ingest(args) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RejectWarning)
        warnings.simplefilter("always", IngestWarning)
        done = ingest(args.source, store=args.into, wait=pd.Timedelta(seconds=args.wait))
    for w in caught:
        _say(f"warning: {shown_name(w.message)}")
    rep = done.report
    for r in rep.itertuples():
        pending = f", {r.pending:,} bytes of an unfinished line left for next time" if r.pending else ""
        print(f"{r.status:<9} {r.rows:>12,} rows {r.rejects:>9,} rejects  {shown_name(r.source)}{pending}")
    print(f"{done.rows:,} rows and {done.rejects:,} rejects added to {shown_name(done.store)} "
          f"from {len(rep)} file(s)")
    return 1 if rep["status"].isin(["changed", "failed"]).any() else 0


def _scrub(args) -> int:
    if os.path.isdir(args.source):
        return _scrub_folder(args)
    done = scrub(args.source, args.out, format=args.format)
    if args.out is not None:
        where = f"into {shown_name(done.path)}"
    elif os.path.islink(args.source):
        where = f"in place, into {shown_name(done.path)} (the file the link points to)"
    else:
        where = "in place"
    print(f"{done.replaced:,} secret value(s) masked in {shown_name(args.source)} ({done.format}), written {where}")
    return 0


def _scrub_folder(args) -> int:
    """Every recording of a folder (and its subfolders), in place, or into ``--out`` with the same layout."""
    from .read.engine import expand

    root = Path(args.source)
    files = [Path(f) for f in expand(str(root))]
    if not files:
        raise NoCallsError(f"the folder {str(root)!r} holds no recordings (.jsonl, .har, .yaml, .log, ... or .gz)")
    out_root = None if args.out is None else Path(args.out)
    if out_root is not None and (out_root.exists() and not out_root.is_dir()):
        raise ParameterError(f"--out must be a folder when SOURCE is one, not the file {str(out_root)!r}")
    total = 0
    for f in files:
        target = None
        if out_root is not None:
            target = out_root / f.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
        done = scrub(f, target, format=args.format)
        total += done.replaced
        print(f"{done.replaced:>9,} secret value(s) masked in {shown_name(f)} ({done.format})")
    where = "in place" if out_root is None else f"into {shown_name(out_root)}"
    print(f"{total:,} secret value(s) masked in {len(files)} recording(s) of {shown_name(root)}, written {where}")
    return 0


_STATUS = """exit status:
  0    done
  1    nothing to report: the source holds no calls, or none in the window, market or bot asked for
       (ingest: a file failed or changed)
  2    an error: a bad argument, a recording or store that cannot be read, a page that cannot be written
  130  interrupted (^C); nothing was written"""


def _window_arguments() -> argparse.ArgumentParser:
    """The window, market, bot and bucket options ``summarize`` and ``report`` share."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--start", help="first moment to examine, UTC, e.g. '2026-11-18 14:00' (default: the first call)")
    parent.add_argument("--end", help="moment to stop at (excluded), UTC (default: after the last call)")
    parent.add_argument("--market", help="spot, futures or unknown (default: all)")
    parent.add_argument("--bot", action="append", metavar="NAME",
                        help="only the calls of this bot (the bot column; again for more bots; default: all)")
    parent.add_argument("--freq", default="auto", metavar="DURATION",
                        help="the incident scan's bucket, e.g. '1min' or '1h' (default: auto, picked from the "
                             "calls' span and density)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolkit", description="Post-mortems for trading bots' Spot and Futures Open API calls.",
        epilog=_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    window = _window_arguments()
    p = sub.add_parser("summarize", help="calls per market and error category, and the incidents, in the terminal",
                       parents=[window], epilog=_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Load recordings and print calls per market and error category, then the "
                                   "incidents: windows in which a market's errors rose well above its baseline.")
    p.add_argument("source", nargs="+", help="recording files, directories or globs")
    p.set_defaults(func=_summarize)
    p = sub.add_parser(
        "report", help="the post-mortem as a self-contained HTML page", parents=[window], epilog=_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Execute the post-mortem notebook bundled with the toolkit on the recordings and "
                    "write it as one HTML page with the code hidden. The page is written whole or not at all.")
    p.add_argument("source", nargs="+", help="recording files, directories or globs")
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
    p = sub.add_parser("scrub", help="mask API keys, signatures and other secrets in a recording or a folder",
                       description="Rewrite a recording (JSON Lines, HAR, VCR cassette or text log, gzip too), or "
                                   "every recording of a folder, with every secret value replaced by ***; "
                                   "everything else is kept.")
    p.add_argument("source", help="the recording, or the folder of recordings, to scrub")
    p.add_argument("--out", metavar="PATH",
                   help="write here instead of replacing SOURCE (a folder, laid out as SOURCE, when SOURCE is one)")
    p.add_argument("--format", default="auto", choices=["auto", "jsonl", "har", "vcr", "text", "wslog"],
                   help="the recording's format (default: told from its content)")
    p.set_defaults(func=_scrub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Called alone, ``toolkit`` prints its help (status 0). Nothing to report (no
    calls in the source, the window, the market or the bot: a
    :class:`toolkit.NoCallsError`) is one line with status 1; the toolkit's other
    errors (:class:`toolkit.ToolkitError`) and failures of the operating system (a
    file that cannot be opened, a full disk) one line with status 2; ^C, at any
    moment, one line with status 130; anything else is a bug and keeps its traceback.
    """
    own_process = argv is None  # the ``toolkit`` program, not a call from Python: it owns the signals
    parser = build_parser()
    command = "toolkit"
    try:
        if own_process:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # from here on ^C is a KeyboardInterrupt
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        command = f"toolkit {args.command}"
        status = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return status
    except BrokenPipeError:
        _quiet_stdout()  # the reader went away (``toolkit summarize | head``): stop without a word
        return 0
    except KeyboardInterrupt:
        if own_process:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second ^C while the first is reported: one line still
            _quiet_abandoned_tasks()
        _say(f"{command}: interrupted; nothing was written")
        return 130
    except NoCallsError as exc:
        _say(f"{command}: nothing to report: {shown_name(exc)}")
        return 1
    except (ToolkitError, OSError) as exc:
        _say(f"{command}: error: {shown_name(exc)}")
        return 2
    finally:
        if own_process:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the process is ending: a late ^C changes nothing


def _quiet_abandoned_tasks() -> None:
    """The report's notebook runner left a cell's task pending when ^C came: the process is ending, so asyncio's
    "Task was destroyed but it is pending!" and the never-awaited coroutine's warning at exit would only add
    lines after the one that says what happened."""
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)


def _say(line: str) -> None:
    """One line on stderr in one write: a ^C cannot land between the words and their newline."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (in-process use)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
