"""Sources :func:`toolkit.read_logs` opens besides recording files, each registered by its own package.

The Parquet store registers itself from :mod:`toolkit.store` (as xarray's backends do), so
nothing in ``read/`` imports the store: the loader asks each registered source whether it
claims a path, and lets the one that does read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

__all__ = ["Source", "register_source", "source_of"]


@dataclass(frozen=True)
class Source:
    """A kind of source: ``claims(path)`` tells whether a path is one; ``calls(path, selection)`` reads its
    calls (a frame as :func:`toolkit.load_logs` returns); ``load(path, selection, errors)`` returns the
    frame, the rejects, the per-file report and the line count of a :class:`toolkit.read.Load`."""

    name: str
    claims: Callable
    calls: Callable
    load: Callable


_SOURCES: list[Source] = []


def register_source(source: Source) -> None:
    """Add ``source`` to those :func:`toolkit.read_logs` tries (once per name)."""
    _SOURCES[:] = [s for s in _SOURCES if s.name != source.name] + [source]


def source_of(item) -> Source | None:
    """The registered source that claims ``item``, or None for recordings."""
    if not isinstance(item, (str, os.PathLike)):
        return None
    return next((s for s in _SOURCES if s.claims(item)), None)
