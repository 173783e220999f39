"""The worker processes that parse big inputs, and the pieces they are cut in.

The pool alone decides whether a parse runs in the workers (:func:`in_parallel`):
not with one worker (``TOOLKIT_WORKERS=1``), not inside a worker of any pool
(this one's, a Dask worker's, any daemon or child process), and not off the main
thread (a Dask task, a server's handler), where forking is not safe. Callers never say.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import multiprocessing
import os
import threading
from concurrent.futures import Future

from .._gc import paused
from ._accounting import DEFERRED, Chunk, FileResult
from ._files import Replay, iter_chunks, read_range

CHUNK = 16 << 20  # bytes of whole lines parsed at a time
WORKERS = int(os.environ.get("TOOLKIT_WORKERS") or min(os.cpu_count() or 1, 8))  # processes for big inputs
_pool = None


def _executor():
    global _pool
    if _pool is None:
        import concurrent.futures

        _pool = concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"),
                                                       initializer=_leave_interrupts_to_the_parent)
        atexit.register(_pool.shutdown)
    return _pool


def _leave_interrupts_to_the_parent() -> None:
    """A worker ignores ^C: the terminal sends it to the whole group, and the parent alone reports it, in one line."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def in_parallel() -> bool:
    """Whether big inputs may be parsed in the worker processes from here.

    Not with a single worker, not off the main thread, and not in a process
    that is itself a worker (a daemon, or a child of :mod:`multiprocessing`, as
    this pool's workers and Dask's are): there every piece is parsed in place; nor
    while small recordings are parsed together (their rows stay here to be finished).
    """
    if WORKERS < 2 or threading.current_thread() is not threading.main_thread() or DEFERRED.get():
        return False  # (rows left to finish with other recordings' stay in this process)
    return not multiprocessing.current_process().daemon and multiprocessing.parent_process() is None


def submit(fn, *args, **kwargs) -> Future:
    """``fn(*args, **kwargs)`` run in a worker process: a future of its result (see :func:`result`). Only where
    :func:`in_parallel` says the workers may be used."""
    return _executor().submit(fn, *args, **kwargs)


def result(job):
    """What :func:`submit` gave, once done (waiting for it; its error raised here), or ``job`` itself."""
    return job.result() if isinstance(job, Future) else job


def _parse(parse_chunk, data: bytes, source, options, long=None) -> Chunk:
    """``parse_chunk`` with the cycle collector paused: a piece allocates a few objects a line and frees none
    of them until it is done, so collections during it find nothing and only cost time (some 10%).
    ``long``, a line too long to be read that ends the piece, is its last line, a reject."""
    with paused():
        chunk = parse_chunk(data, source, options) if data else Chunk()
    if long is not None:
        chunk.long_line(long)
    return chunk


def _parse_range(parse_chunk, path, start, end, source, options):
    pieces = read_range(path, start, end)
    data, long = pieces[0]
    chunk = _parse(parse_chunk, data, source, options, long)
    for data, long in pieces[1:]:
        chunk.extend(_parse(parse_chunk, data, source, options, long))
    return chunk


def _balanced(size: int, workers: int | None = None) -> list[int]:
    """Byte offsets that cut ``size`` bytes into pieces of at most ``CHUNK``, as many as a multiple of
    ``workers`` (default :data:`WORKERS`) so that every worker gets the same share and none waits idle for the last one.

    Examples
    --------
    >>> b = _balanced(5 * CHUNK + 1)
    >>> (len(b) - 1) % WORKERS, max(y - x for x, y in zip(b, b[1:])) <= CHUNK, b[0], b[-1] == 5 * CHUNK + 1
    (0, True, 0, True)
    """
    pieces = -(-size // CHUNK)
    workers = workers or WORKERS
    pieces = -(-pieces // workers) * workers
    step = -(-size // pieces)
    return list(range(0, size, step)) + [size]


def plan_pieces(start: int, end: int, size: int | None = None) -> list[tuple[int, int]]:
    """Byte ranges cutting bytes ``[start, end)`` of a file: of ``size`` bytes each when given (the last
    shorter), else the pieces this pool parses it in (at most ``CHUNK`` each, balanced over the workers
    when it parses in parallel).

    Examples
    --------
    >>> plan_pieces(0, 10), plan_pieces(5, 5), plan_pieces(0, 10, 4)
    ([(0, 10)], [], [(0, 4), (4, 8), (8, 10)])
    """
    if end <= start:
        return []
    if size is not None:
        bounds = list(range(start, end, size)) + [end]
    else:
        workers = WORKERS if end - start > CHUNK and in_parallel() else 1
        bounds = [start + b for b in _balanced(end - start, workers)]
    return list(itertools.pairwise(bounds))


def merge_pieces(jobs, result: FileResult, ahead: int | None = None) -> None:
    """Merge into ``result``, in order, the :class:`Chunk` each job ``(fn, *args)`` gives; in the worker
    processes when there is more than one job and the pool may run them (:func:`in_parallel`), else here.

    At most ``ahead`` jobs are in flight (jobs that carry their bytes pass ``WORKERS + 1``); by default,
    for jobs that read their own byte range and so carry almost nothing, all are handed out at once and
    no worker waits for the next while this process merges the last."""
    jobs = iter(jobs)
    first = list(itertools.islice(jobs, 2))
    jobs = itertools.chain(first, jobs)
    if len(first) < 2 or not in_parallel():
        for fn, *args in jobs:
            result.merge(fn(*args))
        return
    pool = _executor()
    ahead = float("inf") if ahead is None else ahead
    pending = collections.deque()
    try:
        for fn, *args in jobs:
            pending.append(pool.submit(fn, *args))
            if len(pending) > ahead:
                result.merge(pending.popleft().result())
        while pending:
            result.merge(pending.popleft().result())
    finally:  # after an error (errors="raise", an unreadable file), the pieces not started are dropped
        for future in pending:
            future.cancel()


def read_lines(parse_chunk, stream, result: FileResult, path: str | None = None) -> None:
    """Parse a line format piece by piece, in worker processes when the input is big.

    Only LF ends a line (a CR before it is dropped by the parsers; a CR
    inside a line is data), except in a file without any LF, which is split
    on CR. A line longer than :data:`toolkit.defaults.MAX_LINE_BYTES` is a reject, read past in bounded
    memory. ``parse_chunk(data, source, options)`` parses bytes of whole lines. A plain
    file (``path`` given) is split into byte ranges that the workers read
    themselves; other streams are cut into pieces here.
    """
    args = (result.source, result.options)
    first = stream.read(CHUNK)
    if b"\n" not in first and b"\r" in first:  # no LF in the file: classic Mac line ends, CR alone
        rest = stream.read()
        if b"\n" not in rest:
            result.merge(_parse(parse_chunk, (first + rest).replace(b"\r", b"\n"), *args))
            return
        first += rest
    stream = Replay(first, stream)
    size = os.path.getsize(path) if path else -1
    if path and size > CHUNK and in_parallel():  # the workers read their byte ranges themselves
        merge_pieces(((_parse_range, parse_chunk, path, a, b, *args) for a, b in plan_pieces(0, size)), result)
        return
    pieces = iter_chunks(stream, CHUNK)
    merge_pieces(((_parse, parse_chunk, data, *args, long) for data, long in pieces), result, ahead=WORKERS + 1)


def parse_range(parse_chunk, path: str, start: int, end: int, result: FileResult) -> None:
    """Merge into ``result`` the whole lines starting in bytes ``[start, end)`` of the plain file at ``path``,
    in the pieces :func:`plan_pieces` cuts them in."""
    args = (result.source, result.options)
    merge_pieces(((_parse_range, parse_chunk, path, a, b, *args) for a, b in plan_pieces(start, end)), result)


def count_lines(source: str, start: int, end: int) -> int:
    """Lines that start in bytes ``[start, end)`` of the plain file at path ``source``: what a parse of the
    range numbers."""
    return sum(data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0) + (long is not None)
               for data, long in read_range(source, start, end))
