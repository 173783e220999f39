"""Cascades: a window of errors split where the mix of error categories changes (an outage, then the bot's retry storm).

A window is cut at the bucket that best explains its error counts as two mixes of categories
instead of one (the greatest likelihood ratio ``G`` of the two multinomials against one), when
the two sides' dominant categories differ, each side lasts at least
:data:`~toolkit.defaults.CASCADE_MIN` and stands out against the baseline on its own, and ``G``
is beyond chance (``G / 2`` above ``-log(alpha)``); each side is then cut again the same way.
The cut is sought over every bucket of the window at once, not over a rolling count, so a
five-minute outage of a few dozen errors stays its own piece before a storm of thousands of
429s instead of being drowned in the storm's counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._grid import Grid, codes, window_of
from ._scan import Significance

__all__ = ["split_cascades"]


def split_cascades(category: pd.Series, g: Grid, group, lo, hi, expected, test: Significance, min_len: int):
    """Split each window ``(group, lo, hi)`` of ``g`` where its errors' categories change; returns the pieces."""
    nb = g.calls.shape[1]
    k = len(category.dtype.categories) + 1 if isinstance(category.dtype, pd.CategoricalDtype) else None
    c = category.cat.codes.to_numpy(np.int64) if k else codes(category)[0]
    k = k or int(c.max(initial=0)) + 2
    c = np.where(c < 0, k - 1, c)
    index = window_of(g.calls.shape, group, lo, hi)
    rows = np.flatnonzero(g.row_group >= 0)
    w = index[g.row_group[rows] * nb + g.row_bucket[rows]]
    rows, w = rows[w >= 0], w[w >= 0]
    length = hi - lo
    offset = np.concatenate([[0], np.cumsum(length)[:-1]])
    pos = offset[w] + g.row_bucket[rows] - lo[w]
    counts = np.bincount(pos * k + c[rows], minlength=int(length.sum()) * k).reshape(-1, k)
    out_g, out_lo, out_hi = [], [], []
    for i, (gi, a, b) in enumerate(zip(group, lo, hi)):
        cut = _Cuts(counts[offset[i]:offset[i] + length[i]], g.errors[gi, a:b], expected[gi, a:b], test, min_len)
        for s, t in cut.pieces(0, b - a):
            out_g.append(gi)
            out_lo.append(a + s)
            out_hi.append(a + t)
    return np.asarray(out_g, np.int64), np.asarray(out_lo, np.int64), np.asarray(out_hi, np.int64)


class _Cuts:
    """Binary segmentation of one window's per-bucket category counts."""

    def __init__(self, counts, errors, expected, test: Significance, min_len: int):
        self.mix = np.concatenate([np.zeros((1, counts.shape[1])), np.cumsum(counts, axis=0)]).astype(np.float64)
        self.errors = np.concatenate([[0], np.cumsum(errors)])
        self.expected = np.concatenate([[0.0], np.cumsum(expected)])
        self.test, self.min_len = test, max(1, min_len)

    def _stands_out(self, s: int, t: int) -> bool:
        e = np.array([self.errors[t] - self.errors[s]])
        return bool(self.test.significant(e, np.array([self.expected[t] - self.expected[s]]))[0])

    def pieces(self, s: int, t: int) -> list[tuple[int, int]]:
        m = self.min_len
        if t - s < 2 * m:
            return [(s, t)]
        j = np.arange(s + m, t - m + 1)
        left = self.mix[j] - self.mix[s]
        right = self.mix[t] - self.mix[j]
        whole = (self.mix[t] - self.mix[s])[None, :]
        n_l, n_r = left.sum(axis=1, keepdims=True), right.sum(axis=1, keepdims=True)
        p = whole / max(whole.sum(), 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            g2 = (np.where(left > 0, left * np.log(left / (n_l * p)), 0.0).sum(axis=1)
                  + np.where(right > 0, right * np.log(right / (n_r * p)), 0.0).sum(axis=1))
        g2 = np.where((n_l[:, 0] > 0) & (n_r[:, 0] > 0) & (left.argmax(axis=1) != right.argmax(axis=1)), g2, -np.inf)
        best = int(np.argmax(g2))
        cut = int(j[best])
        if not g2[best] > -self.test.log_alpha or not (self._stands_out(s, cut) and self._stands_out(cut, t)):
            return [(s, t)]
        return self.pieces(s, cut) + self.pieces(cut, t)
