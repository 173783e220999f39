"""Recordings as a Dask DataFrame, for loading across a cluster: :func:`read_logs`.

The loader's own parser is mapped over the inputs: one partition per file,
or per byte range of a large uncompressed file in a line format (JSON Lines,
text logs). A range holds the whole lines that start in it, and its line
numbers go on from the ranges before it: :func:`read_logs` counts the lines
of split files when called (a quick pass over their bytes, run on the
cluster), so the rows are exactly those :func:`toolkit.load_logs` gives,
partition after partition, and the parsing tasks depend on nothing.

With a ``distributed.Client`` created first, computations run on its
cluster; the recordings must be readable at the same paths from the client
(which tells formats and sizes) and from every worker (which parse).
"""

from __future__ import annotations

import operator
import warnings

import pandas as pd

try:
    import dask
    import dask.dataframe as dd
    from dask.dataframe.utils import clear_known_categories
    from dask.utils import parse_bytes
except ImportError as exc:  # the optional extra is not installed
    from .defaults import DISTRIBUTION

    raise ImportError(f"toolkit.dask needs Dask, which is not installed ({exc}); "
                      f"install it with: pip install '{DISTRIBUTION}[dask]'", name=exc.name) from exc

from ._words import shown_name
from .errors import ParameterError, ParameterTypeError
from .read import concat_frames
from .read.engine import (FileResult, bot_given, count_lines, expand, open_recording, parse, parse_range,
                          plan_pieces, read_options, rejects_frame)
from .schema import empty_frame

_META = clear_known_categories(empty_frame(), cols=["endpoint", "source", "bot", "key_id"])
_REJECTS_META = rejects_frame()


def read_logs(source, *, blocksize="64MiB", market_rules=None, pattern=None, format: str = "auto",
              errors: str = "report", fields=None, bot=None) -> dd.DataFrame:
    """Read recordings into a Dask DataFrame with the loader's columns and dtypes.

    Parameters
    ----------
    source : path, directory, glob, or a list of these
        As for :func:`toolkit.read_logs` (open files are not accepted: workers
        open the files themselves). A second path to a file (a link to it) is
        skipped, with a warning.
    blocksize : int, str or None
        Split uncompressed line-format files larger than this into byte ranges
        of about this size (``"64MiB"``, ``128_000_000``); ``None``: one
        partition per file. Compressed files are always one partition.
    market_rules, pattern, format, fields, bot :
        As for :func:`toolkit.read_logs` (``bot`` is applied here, once per file, not on the workers).
    errors : {"report", "raise"}
        ``"report"`` leaves bad lines to :func:`read_rejects`; ``"raise"``
        fails the computation with :class:`toolkit.LogFormatError` naming a bad
        line (the first of the piece that fails first).

    Returns
    -------
    dask.dataframe.DataFrame
        Partitions in file order, rows in line order, each partition with its
        own RangeIndex. ``endpoint``, ``source``, ``bot`` and ``key_id`` are
        categoricals whose categories are known once computed; the other
        categoricals have the loader's fixed categories.

    Examples
    --------
    >>> import toolkit
    >>> ddf = toolkit.dask.read_logs("data/sample/", blocksize=None)
    >>> ddf.npartitions, list(ddf.columns) == toolkit.COLUMNS
    (3, True)
    >>> ddf.groupby("market", observed=True)["is_error"].mean().compute().sort_index().round(3).to_dict()
    {'spot': 0.213, 'futures': 0.095}

    On a cluster (any ``distributed.Client``; a local one here):

    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> ddf.category.value_counts().compute()  # doctest: +SKIP
    """
    options = read_options(format=format, errors=errors, market_rules=market_rules, pattern=pattern, fields=fields,
                           bot=bot)
    frames, _ = _partitions(source, blocksize, options)
    return dd.from_delayed(frames, meta=_META, verify_meta=False)


def read_rejects(source, *, blocksize="64MiB", market_rules=None, pattern=None, format: str = "auto",
                 fields=None, bot=None) -> dd.DataFrame:
    """The lines of :func:`read_logs` that could not become rows: ``source``, ``line``, ``reason``, ``excerpt``.

    Built on the same parsing tasks as :func:`read_logs` (same arguments, same
    tasks), so computing both together parses each piece once::

        calls, rejects = dask.compute(read_logs(p), read_rejects(p))

    Examples
    --------
    >>> import toolkit
    >>> len(toolkit.dask.read_rejects("data/sample/", blocksize=None))
    0
    """
    options = read_options(format=format, market_rules=market_rules, pattern=pattern, fields=fields, bot=bot)
    _, rejects = _partitions(source, blocksize, options)
    return dd.from_delayed(rejects, meta=_REJECTS_META, verify_meta=False)


def _partitions(source, blocksize, options):
    if blocksize is not None:
        try:
            size = parse_bytes(blocksize) if isinstance(blocksize, str) else blocksize
        except ValueError:
            size = None
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ParameterError(f"blocksize must be a positive number of bytes, a size such as '64MiB', or None, "
                                 f"not {blocksize!r}")
        blocksize = size
    duplicates: list = []
    files = expand(source, duplicates)
    if any(hasattr(f, "read") for f in files):
        raise ParameterTypeError("toolkit.dask.read_logs reads files by path (workers open them), not open files")
    if duplicates:
        path, first = duplicates[0]
        more = f" (and {len(duplicates) - 1:,} more)" if len(duplicates) > 1 else ""
        warnings.warn(f"{len(duplicates):,} path(s) skipped as the same file as one read: {shown_name(path)} is "
                      f"{shown_name(first)}{more}", UserWarning, stacklevel=3)
    if not files:
        raise FileNotFoundError(f"no recordings in {source!r}")
    plan = []  # (path, options with the file's format, byte ranges or None)
    for path in files:
        with open_recording(path, options) as rec:  # lines ending in CR alone, or compressed: one partition
            split = rec.cut_at_lf and blocksize and rec.size > blocksize
            opts = options.with_format(rec.format).with_bot(bot_given(options.bot, path))  # the file's, told here
            plan.append((path, opts, plan_pieces(0, rec.size, blocksize) if split else None))
    # lines before each range: counted now, in one pass over the bytes (on the cluster when there is
    # one), so the parsing tasks depend on nothing and spread over every worker
    counts = iter(dask.compute(*[dask.delayed(count_lines, pure=True)(path, a, b)
                                 for path, _, ranges in plan if ranges for a, b in ranges]))
    pieces = []
    for path, opts, ranges in plan:
        if ranges is None:
            pieces.append(dask.delayed(_parse_file, pure=True)(path, opts))
            continue
        first = 0
        for a, b in ranges:
            pieces.append(dask.delayed(_parse_range, pure=True)(path, a, b, opts, first))
            first += next(counts)
    frames = [dask.delayed(operator.getitem, pure=True)(p, 0) for p in pieces]
    rejects = [dask.delayed(operator.getitem, pure=True)(p, 1) for p in pieces]
    return frames, rejects


def _done(result: FileResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    return concat_frames(result.frames), rejects_frame([result])


def _parse_range(path, start, end, options, first_line):
    """Parse the whole lines starting in bytes [start, end), numbering them after ``first_line`` lines (in the
    task: the engine's worker pool is not used inside a Dask worker or thread)."""
    return _done(parse_range(path, options, (start, end), start_line=first_line))


def _parse_file(path, options):
    """Parse a whole file in the task."""
    return _done(parse(path, options))


__all__ = ["read_logs", "read_rejects"]
