"""Progress bars for work that takes more than a moment: loads, ingests (``tqdm.auto``: a widget in Jupyter,
text in a terminal).

A bar appears only after :data:`toolkit.defaults.PROGRESS_AFTER` seconds, so quick work shows none, and only
where someone watches: a terminal (stderr is a TTY) or a Jupyter kernel. The environment variable
``TOOLKIT_PROGRESS`` decides otherwise: ``0`` never, ``1`` always. ``toolkit report`` runs its notebook with
``TOOLKIT_PROGRESS=0``, so a report holds no bars; set it in the environment of a papermill run of your own.

Examples
--------
>>> import os
>>> from toolkit._progress import progress
>>> os.environ["TOOLKIT_PROGRESS"] = "0"
>>> list(progress([1, 2, 3], desc="reading"))
[1, 2, 3]
>>> del os.environ["TOOLKIT_PROGRESS"]
"""

from __future__ import annotations

import os
import sys

from .defaults import PROGRESS_AFTER

__all__ = ["ENVIRONMENT", "progress", "progress_enabled"]

#: The environment variable that turns the bars on (``1``) or off (``0``); unset or ``auto``: where watched.
ENVIRONMENT = "TOOLKIT_PROGRESS"


def progress_enabled() -> bool:
    """Whether bars are shown: as :data:`ENVIRONMENT` says, else when stderr is a terminal or in a Jupyter kernel."""
    setting = os.environ.get(ENVIRONMENT, "auto").strip().lower()
    if setting in ("0", "off", "false", "no"):
        return False
    if setting in ("1", "on", "true", "yes"):
        return True
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):  # a replaced or closed stderr
        pass
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"  # a Jupyter kernel, not plain IPython in a pipe


def progress(iterable, *, desc: str, total: int | None = None, unit: str = "file"):
    """``iterable``, with a bar counting its items when :func:`progress_enabled` (after
    :data:`~toolkit.defaults.PROGRESS_AFTER` seconds; gone when done); else ``iterable`` itself."""
    if not progress_enabled():
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return iterable
    return tqdm(iterable, desc=desc, total=total, unit=unit, delay=PROGRESS_AFTER, leave=False, dynamic_ncols=True)
