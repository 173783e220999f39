"""The cycle collector paused while a step builds many objects and frees none of them until it is done."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Pause Python's cycle collector for the ``with`` block, then restore it as it was.

    A step that allocates a few objects per row or item (a parse, a matching of listings) and keeps them
    until it ends gives the collector nothing to free: its collections, over every object the process
    holds (a loaded frame's included), only cost time.

    Examples
    --------
    >>> import gc
    >>> with paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
