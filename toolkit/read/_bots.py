"""Which bot made a recording's calls: the name its file tells (:func:`bot_from_path`), and the ``bot=`` of
:func:`toolkit.read_logs` that overrides it (:func:`check_bot`, :func:`bot_given`).

A call's ``bot`` is its record's own ``bot`` field; else the name ``bot=`` gives its
recording; else the recording's file name (:func:`bot_from_path`); else ``unknown``.
Both names are worked out once per file (:class:`toolkit.read.engine.FileResult`),
never per line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath

from ..errors import ParameterError, ParameterTypeError

#: File names that say nothing of the bot: such a file takes its folder's name (``spot-mm/calls.jsonl``).
#: ``calls`` is the recorder's usual file name.
GENERIC = frozenset({"calls", "requests", "api", "http", "access", "traffic", "recording", "recordings", "log", "logs"})

# endings taken off a file name, last first, until none is left: compression, rotation numbers (bot.log.2),
# the formats' extensions, and the dates and times rotating loggers add (the recorder's
# .20270301T000000.123Z and its -1 when that name was taken, logrotate's -20270201, Python's .2027-03-01_12-00)
_GZ = re.compile(r"\.gz$", re.I)
_ROTATED = re.compile(r"\.\d+$")
_EXTENSION = re.compile(r"\.(?:jsonl|ndjson|json|log|txt|har|yaml|yml)$", re.I)
_STAMP = re.compile(
    r"(?:^|[._-])(?:\d{8}(?:T?\d{4,6}(?:\.\d{1,9})?Z?)?"  # 20270301, 20270301T000000.123Z
    r"|\d{4}-\d{2}-\d{2}(?:[T_ ]\d{2}(?:[:-]?\d{2}){0,2}(?:\.\d{1,9})?Z?)?)"  # 2027-03-01, 2027-03-01_12-00-00
    r"(?:-\d+)?$")
_ENDINGS = (_GZ, _ROTATED, _EXTENSION, _STAMP)


def _stem(name: str) -> str:
    """``name`` without its compression, rotation, extension and date endings (perhaps nothing left)."""
    while True:
        for ending in _ENDINGS:
            cut = ending.sub("", name, count=1)
            if cut != name:
                name = cut
                break
        else:
            return name


def bot_from_path(path) -> str | None:
    """The bot a recording's path names, or None when it names none (an open file, bytes).

    The file's name without rotation and date endings and extensions; a file
    named only ``calls`` (the recorder's usual name) or another word that says
    nothing of the bot (:data:`GENERIC`), or only by its date, takes its folder's
    name, unless that says nothing either (``logs/``).

    Examples
    --------
    >>> bot_from_path("logs/spot-mm.20270301T000000.123Z.jsonl.gz")
    'spot-mm'
    >>> bot_from_path("gateway-20270201.jsonl.gz"), bot_from_path("/var/log/bot.log.2.gz")
    ('gateway', 'bot')
    >>> bot_from_path("recordings/spot-mm/calls.jsonl"), bot_from_path("spot-mm/2027-03-01.jsonl")
    ('spot-mm', 'spot-mm')
    >>> bot_from_path("calls.jsonl"), bot_from_path("logs/calls.jsonl"), bot_from_path("<stream>")
    ('calls', 'calls', None)
    """
    text = str(path)
    if not text or (text.startswith("<") and text.endswith(">")):  # an open file without a name, bytes
        return None
    p = PurePath(text)
    stem = _stem(p.name)
    if stem and stem.lower() not in GENERIC:
        return stem
    for folder in p.parents:
        name = _stem(folder.name)
        if name:  # a folder named by a date only: the one above it
            if name.lower() not in GENERIC:
                return name
            break
    return stem or None


def check_bot(bot):
    """The ``bot=`` of :func:`toolkit.read_logs`, checked once: None, ``{glob: name}`` as a tuple of pairs
    (in the mapping's order), or a callable ``path -> name`` (or None).

    A plain name is refused: everywhere else ``bot="spot-mm"`` keeps that bot's
    calls, so here it would read as a filter; ``{"*": "spot-mm"}`` names every file.

    Examples
    --------
    >>> check_bot({"*/futures/*": "futures-arb", "spot-*": "spot-mm"})
    (('*/futures/*', 'futures-arb'), ('spot-*', 'spot-mm'))
    >>> check_bot({"spot-*": ""})
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: bot must map globs to bot names (non-empty strings), not {'spot-*': ''}
    """
    if bot is None or (callable(bot) and not isinstance(bot, type)):
        return bot
    if isinstance(bot, Mapping):
        pairs = tuple(bot.items())
        if not pairs or not all(isinstance(g, str) and g and isinstance(n, str) and n.strip() for g, n in pairs):
            raise ParameterError(f"bot must map globs to bot names (non-empty strings), not {bot!r}")
        return pairs
    hint = f" such as {{'*': {bot!r}}}" if isinstance(bot, str) else " such as {'logs/spot/*': 'spot-mm'}"
    raise ParameterTypeError(f"bot names the bots of recordings: a mapping of glob to name{hint} or a function "
                             f"of the path, not {type(bot).__name__} {bot!r}; to keep only some bots' calls, "
                             "pass bot= to the analysis functions or filter with toolkit.selection.select")


def bot_given(rule, source: str) -> str | None:
    """The name the checked ``bot=`` gives the recording ``source``, or None when it gives none (a name
    fixed for one recording, as a store's ingest keeps it, is a str).

    A glob is matched against the path from the right, as :meth:`pathlib.PurePath.match`
    does (``"spot-*"`` any file named so, ``"futures/*.jsonl.gz"`` the files of a folder
    ``futures``); the first that matches wins.

    Examples
    --------
    >>> rule = check_bot({"futures/*": "futures-arb", "*.har": "browser"})
    >>> bot_given(rule, "/logs/futures/calls.jsonl"), bot_given(rule, "/logs/spot/calls.jsonl")
    ('futures-arb', None)
    >>> bot_given(lambda path: "mm" if "mm" in path else None, "logs/mm.jsonl")
    'mm'
    """
    if rule is None:
        return None
    if isinstance(rule, str):
        return rule
    if isinstance(rule, tuple):
        path = PurePath(source)
        return next((name for glob, name in rule if path.match(glob)), None)
    name = rule(source)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ParameterTypeError(f"bot: the function given must return a bot's name or None, not {name!r} "
                                 f"(for {source})")
    return name


__all__ = ["GENERIC", "bot_from_path", "bot_given", "check_bot"]
