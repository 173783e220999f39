"""A call put off until its caller rests: the explorer's time sliders redraw once they stop moving."""

from __future__ import annotations

import asyncio

__all__ = ["Debounce"]


def _running_loop_call_later():
    """The running event loop's ``call_later`` (a Jupyter kernel's), or None outside one (a script, a test)."""
    try:
        return asyncio.get_running_loop().call_later
    except RuntimeError:
        return None


class Debounce:
    """Call ``func`` once calls to this object have stopped for ``delay`` seconds.

    ``call_later(delay, callback)`` schedules the call and returns a handle with
    ``cancel()``, as :meth:`asyncio.loop.call_later` does; by default it is the
    running event loop's, and without one ``func`` runs at once.
    """

    def __init__(self, func, delay: float, *, call_later=None):
        self.func, self.delay, self.call_later, self._handle = func, delay, call_later, None

    def __call__(self) -> None:
        self.cancel()
        later = self.call_later or _running_loop_call_later()
        if later is None or self.delay <= 0:
            self.func()
        else:
            self._handle = later(self.delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self.func()

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def flush(self) -> None:
        """Call ``func`` now if a call is waiting out its delay."""
        if self._handle is not None:
            self.cancel()
            self.func()
