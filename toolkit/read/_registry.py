"""The formats and sources :func:`toolkit.read_logs` reads, each registered by its own module.

Every format registers its :class:`Reader` (:mod:`toolkit.read.formats`), and
the Parquet store registers itself as a :class:`Source` from
:mod:`toolkit.store` (as xarray's backends do), so the engine loops over what
is registered and imports neither a format nor the store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from ..errors import ParameterError
from ._accounting import FileResult
from ._pool import read_lines


class Reader:
    """One input format. Subclasses set the attributes below and implement :meth:`read` and :meth:`sniff`.

    Attributes
    ----------
    name : str
        The format's name, as ``format=`` gives it.
    title : str
        What messages call it (``"JSON Lines"``).
    suffixes : tuple of str
        File name endings of the format: a directory walk picks them up, and they break sniffing ties.
    rank : int
        When telling a file's format, formats are asked in rank order, and the first of a tie wins.
    whole_file : bool
        One document per file (HAR, VCR): an opening that :meth:`sniff` finds decides the format.
    line_format : bool
        Read in pieces of whole lines (see :class:`LineReader`).
    options : dict
        ``{option: check}`` for the options of :func:`toolkit.read_logs` that only this format takes
        (``pattern``, ``fields``): ``check(value)`` gives the value the parse uses, or raises
        :class:`toolkit.errors.ParameterError` naming the option.
    """

    name = ""
    title = ""
    suffixes: tuple[str, ...] = ()
    rank = 100
    whole_file = False
    line_format = False
    parse_chunk = None
    options: dict = {}

    def read(self, stream, result: FileResult, path: str | None = None) -> None:  # pragma: no cover - interface
        """Read a whole recording from ``stream`` into ``result``; ``path`` is given for a plain file on disk."""
        raise NotImplementedError

    @staticmethod
    def sniff(lines: list[bytes], options) -> float:  # pragma: no cover - interface
        """Score in [0, 1]: how much the start of a file looks like this format.

        ``options`` are the load's :class:`toolkit.read.engine.Options` (a text ``pattern``, market rules).
        A reader with ``whole_file = True`` (one document per file) returns 1.0
        only when the file opens with its signature, which then decides the format.
        """
        raise NotImplementedError


class LineReader(Reader):
    """A line format: ``parse_chunk(data, source, options)`` parses bytes of whole lines, and the worker
    pool maps it over the file (in worker processes when it is big, in byte ranges of a plain file)."""

    line_format = True

    def read(self, stream, result: FileResult, path: str | None = None) -> None:
        read_lines(type(self).parse_chunk, stream, result, path)


_READERS: dict[str, Reader] = {}


def register_reader(reader: Reader) -> Reader:
    """Add a format (once per name; registering a name again replaces it) and return its reader."""
    _READERS[reader.name] = reader
    ordered = sorted(_READERS.values(), key=lambda r: r.rank)
    _READERS.clear()
    _READERS.update((r.name, r) for r in ordered)
    return reader


def readers() -> dict[str, Reader]:
    """The registered formats, ``{name: reader}`` in rank order."""
    return dict(_READERS)


def reader(name: str) -> Reader:
    """The reader of the format ``name``.

    Examples
    --------
    >>> reader("jsonl").title
    'JSON Lines'
    >>> reader("csv")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: format must be 'auto' or one of ['har', 'jsonl', 'text', 'vcr', 'wslog'], not 'csv'
    """
    found = _READERS.get(name)
    if found is None:
        raise ParameterError(f"format must be 'auto' or one of {sorted(_READERS)}, not {name!r}")
    return found


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
