"""Small recordings parsed together: their rows typed and classified in one pass.

Typing and classifying rows (:func:`._frame.finish`) costs a few milliseconds a call, whatever the number
of rows, and that is most of the cost of a recording of a few lines: a folder of 20,000 one-line files
took 113 s. :func:`parse_together` parses each recording as the engine's ``parse`` does, but with
:data:`._accounting.DEFERRED` set, so that the rows each reader read are kept as they are; then it
finishes the rows of all of them in one call and hands each recording its rows and rejects.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
import pandas as pd

from ..schema import STRING
from ._accounting import DEFERRED, FileResult, bots_of
from ._excerpt import excerpt, no_surrogates
from ._frame import finish
from ._rows import LINE, Batch


def parse_together(parse, jobs: list, rules) -> list[FileResult]:
    """``[parse(*args, **kwargs) for args, kwargs in jobs]``, the rows of them all typed and classified in one
    pass (with the compiled market ``rules``); the workers are never used meanwhile."""
    token = DEFERRED.set(True)
    try:
        results = [parse(*args, **kwargs) for args, kwargs in jobs]
    finally:
        DEFERRED.reset(token)
    finish_deferred(results, rules)
    return results


def finish_deferred(results: list[FileResult], rules) -> None:
    """Finish the rows the ``results`` keep (their ``deferred`` batches) in one call of :func:`._frame.finish`,
    then give each result its rejects and its counts (:attr:`FileResult.counted`); the frame of all their rows,
    in order, goes to the last of them."""
    items = [(r, before, batch, source) for r in results for before, batch, source in r.deferred]
    for r in results:
        r.deferred = []
    if not items:
        return
    rows, bases, base = [], [], 0
    for _, _, batch, _ in items:  # every row numbered apart: its line plus the lines of the batches before
        bases.append(base)
        top = 0
        for row in batch.rows:
            fields = list(row)
            fields[LINE] += base
            rows.append(tuple(fields))
            top = max(top, row[LINE])
        base += top + 1

    def raw_of(line):
        k = bisect_right(bases, line) - 1
        return items[k][2].raw_of(line - bases[k])

    combined = Batch(raw_of)
    combined.rows = rows
    try:
        frame, rejects = finish(combined, "", rules)
    except UnicodeEncodeError:  # lone surrogates from escapes: U+FFFD instead
        combined.rows = [tuple(no_surrogates(v) if type(v) is str else v for v in row) for row in rows]
        frame, rejects = finish(combined, "", rules)
    starts = np.array(bases, np.int64)
    lines = frame["line"].to_numpy(dtype="int64")
    k = np.searchsorted(starts, lines, side="right") - 1  # the batch each row came from, in order
    names = list(dict.fromkeys(source for _, _, _, source in items))
    code_of = {name: i for i, name in enumerate(names)}
    codes = np.array([code_of[source] for _, _, _, source in items])
    before = np.array([b for _, b, _, _ in items], np.int64)
    frame["line"] = pd.array(lines - starts[k] + before[k], dtype=frame["line"].dtype)
    frame["source"] = pd.Categorical.from_codes(codes[k], categories=pd.Index(names, dtype=STRING))
    index = {id(r): i for i, r in enumerate(results)}
    of_result = np.array([index[id(r)] for r, _, _, _ in items])[k]  # the result each row belongs to
    frame["bot"] = bots_of(frame["bot"].array, results, of_result)
    rows = np.bincount(of_result, minlength=len(results))
    unverified = np.bincount(of_result, weights=(frame["reason"] == "unverified").to_numpy(dtype=bool),
                             minlength=len(results))
    for r, n, u in zip(results, rows.tolist(), unverified.tolist()):
        r.counted = (n, int(u))
    if len(frame):  # one frame for them all, held by the last: the frames of the results, joined, are in order
        results[-1].frames.append(frame)
    for line, reason, raw in sorted(rejects):
        j = bisect_right(bases, line) - 1
        items[j][0].reject(line - bases[j] + items[j][1], reason, excerpt(raw))
