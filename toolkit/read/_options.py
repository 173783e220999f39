"""How recordings are parsed: the parameters of :func:`toolkit.read_logs`, checked once into :class:`Options`."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..classify import compile_market_rules
from ..errors import ParameterError
from ._bots import check_bot
from ._registry import reader, readers


@dataclasses.dataclass(frozen=True)
class Options:
    """How recordings are parsed, checked once by :func:`read_options`; picklable, so tasks can carry it.

    Attributes
    ----------
    format : str
        ``"auto"`` or the name of a registered format.
    errors : {"report", "raise"}
    market_rules : dict or None
        As the user gave them (None: the default rules); :attr:`rules` is their compiled form.
    rules : list of (re.Pattern, str)
        Compiled market rules, tried in order.
    pattern : re.Pattern or None
        The compiled layout of text logs.
    fields : dict or None
        JSON Lines key names, ``{field: (key, ...)}`` (a dotted key split).
    bot : None, tuple of (glob, name), callable or str
        The bot ``bot=`` names each recording's calls after (see :mod:`toolkit.read._bots`); a str is one
        recording's name fixed (:meth:`with_bot`). Applied once per file by
        :class:`toolkit.read.engine.FileResult`, whose pieces parse without it.
    """

    format: str = "auto"
    errors: str = "report"
    market_rules: dict | None = None
    rules: list = dataclasses.field(default_factory=lambda: compile_market_rules(None))
    pattern: Any = None
    fields: dict | None = None
    bot: Any = None

    def with_format(self, fmt: str) -> "Options":
        """The same options with the format fixed (a file's, once told)."""
        return dataclasses.replace(self, format=_check_format(fmt))

    def with_bot(self, name: str | None) -> "Options":
        """The same options with every recording's bot fixed to ``name`` (None: each record's, or its file's)."""
        return dataclasses.replace(self, bot=name)


def _check_format(format) -> str:
    if format != "auto":
        reader(format)
    return format


def read_options(*, format: str = "auto", errors: str = "report", market_rules=None, pattern=None,
                 fields=None, bot=None) -> Options:
    """Check the parsing parameters of :func:`toolkit.read_logs` and compile them into :class:`Options`.

    Raises :class:`toolkit.errors.ParameterError` (a ``ValueError``) for a bad
    value and :class:`toolkit.errors.ParameterTypeError` (a ``TypeError``) for a
    value of the wrong kind, with the same words whichever function was given it.
    ``pattern`` and ``fields`` are checked by the format that takes them; ``bot`` as
    :func:`toolkit.read._bots.check_bot` checks it.

    Examples
    --------
    >>> read_options(format="text", pattern=r"(?P<ts>\\S+) (?P<url>\\S+)").pattern.groupindex
    mappingproxy({'ts': 1, 'url': 2})
    >>> read_options(format="har", pattern=r"(?P<ts>\\S+) (?P<url>\\S+)")
    Traceback (most recent call last):
    ...
    toolkit.errors.ParameterError: pattern applies to text logs; it cannot be used with format='har'
    """
    if errors not in ("report", "raise"):
        raise ParameterError(f"errors must be 'report' or 'raise', not {errors!r}")
    _check_format(format)
    given = {"pattern": pattern, "fields": fields}
    owners = {option: next(r for r in readers().values() if option in r.options) for option in given}
    for option, value in given.items():
        owner = owners[option]
        if value is not None and format not in ("auto", owner.name):
            raise ParameterError(f"{option} applies to {owner.title}; it cannot be used with format={format!r}")
    try:
        compiled = compile_market_rules(market_rules)
    except ParameterError:
        raise
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    rules = None if market_rules is None else dict(market_rules)
    checked = {option: owners[option].options[option](value) for option, value in given.items()}
    return Options(format, errors, rules, compiled, checked["pattern"], checked["fields"], check_bot(bot))
