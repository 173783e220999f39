"""The explorer's time sliders: their handles kept apart, and the steps that cover a window."""

from __future__ import annotations

import numpy as np

__all__ = ["apart", "covering"]


def apart(i0: int, i1: int, gap: int, last: int) -> tuple[int, int]:
    """Slider positions ``i0``, ``i1`` in order and at least ``gap`` apart, within ``0..last``."""
    lo, hi = sorted((int(i0), int(i1)))
    gap = min(gap, last)
    if hi - lo < gap:
        hi = min(lo + gap, last)
        lo = max(hi - gap, 0)
    return lo, hi


def covering(positions: np.ndarray, t0: int, t1: int) -> tuple[int, int]:
    """The positions of the slider steps that cover ``[t0, t1)`` (at least one step)."""
    last = len(positions) - 1
    i0 = int(np.clip(np.searchsorted(positions, t0, side="right") - 1, 0, last - 1))
    i1 = int(np.clip(np.searchsorted(positions, t1, side="left"), i0 + 1, last))
    return i0, i1
