"""The packaged tables, and the one loader that reads and checks them.

The toolkit's data lives in CSV files in this folder: ``catalog.csv`` (the
error catalog, :func:`toolkit.catalog`), ``reason_scopes.csv`` (where a
reason applies, :func:`toolkit.classify.reason_scopes`), ``endpoints.csv`` (the endpoint
catalog, :func:`toolkit.endpoints`), ``causes.csv`` (the cause rules,
:func:`toolkit.cause_rules`), ``cause_words.csv`` (each cause and side in words) and ``masks.csv`` (how messages are masked before
errors are grouped, :func:`masks`). Each is read by :func:`read_table`, through
:mod:`importlib.resources` (so it works from an installed wheel), and checked
against a :class:`Spec` its module declares: the header, then every cell (the
values it may hold, a regex it must match, a regex it must be), then the rules
of a whole row. A typo in a table is a :class:`~toolkit.errors.CatalogError`
naming the file and the line, never a silent mismatch.

Examples
--------
>>> spec = Spec((Column("category", values=("ok", "auth")), Column("n", pattern=r"\\d+", what="a count"),
...              Column("done", dtype="bool")))
>>> check_table(pd.DataFrame({"category": ["ok"], "n": ["3"], "done": ["true"]}), "t.csv", spec).dtypes.tolist()
[<StringDtype(na_value=nan)>, <StringDtype(na_value=nan)>, dtype('bool')]
>>> check_table(pd.DataFrame({"category": ["ok", "oops"], "n": ["3", "4"], "done": ["true", "false"]}), "t.csv", spec)
Traceback (most recent call last):
...
toolkit.errors.CatalogError: toolkit/data/t.csv line 3: category 'oops' is not one of ['ok', 'auth']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from importlib import resources
from typing import NamedTuple

import pandas as pd

from ..errors import CatalogError
from ..schema import STRING

__all__ = ["Column", "Spec", "check_table", "masks", "read_table"]

#: The cells a ``bool`` or a nullable ``boolean`` column may hold.
_BOOLEANS = {"bool": ("true", "false"), "boolean": ("true", "false", "")}
_FOLDER = __name__.replace(".", "/")  # how messages name the files: toolkit/data/catalog.csv


class Column(NamedTuple):
    """One column of a packaged table: what its cells may hold and what they become.

    Parameters
    ----------
    name : str
        The column's name in the header.
    values : sequence of str, optional
        The values a cell may hold (empty included only when listed).
    pattern : str, optional
        A regex every cell must match whole; ``what`` says in words what it means.
    what : str
        The words for ``pattern`` in a message: "reason 'X' is not *snake_case*".
    regex : bool, default False
        Each non-empty cell is a regex that must compile.
    dtype : str or list of str, optional
        What the column becomes: ``"string"`` (Arrow-backed strings), ``"bool"``
        (``true`` / ``false``), ``"boolean"`` (``true`` / ``false`` / empty for
        missing), a list of categories (a categorical), or None to stay as read.
        ``bool`` and ``boolean`` columns refuse other values.
    """

    name: str
    values: Sequence[str] | None = None
    pattern: str | None = None
    what: str = ""
    regex: bool = False
    dtype: str | list[str] | None = None


class Spec(NamedTuple):
    """What a packaged table holds: its columns, in order, and the rules of a whole row.

    Parameters
    ----------
    columns : tuple of Column
        The header, in order, and each column's rules.
    check : callable, optional
        ``check(row)`` for a rule across cells: the problem in words, or None.
    key : callable, optional
        ``key(row)``: the row's identity in words; two rows with the same key
        are a duplicate.
    """

    columns: tuple[Column, ...]
    check: Callable[[tuple], str | None] | None = None
    key: Callable[[tuple], str] | None = None


def read_table(name: str, spec: Spec) -> pd.DataFrame:
    """Read the packaged table ``name`` (a CSV file in this folder), checked against ``spec``.

    Cells are read as strings, empty cells as empty strings; then
    :func:`check_table` checks them and converts the columns.

    Raises
    ------
    CatalogError
        The header or a row breaks ``spec``: the message names the file and line.

    Examples
    --------
    >>> spec = Spec((Column("pattern", regex=True), Column("replacement"), Column("what")))
    >>> read_table("masks.csv", spec)["replacement"].tolist()[:3]
    ['<url>', '<path>', '<uuid>']
    """
    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as f:
        table = pd.read_csv(f, dtype=str, keep_default_na=False)
    return check_table(table, name, spec)


def check_table(table: pd.DataFrame, name: str, spec: Spec) -> pd.DataFrame:
    """Check a table read as strings against ``spec`` and convert its columns (a new frame).

    Raises :class:`~toolkit.errors.CatalogError` naming ``name`` and the line
    (the header is line 1) of the first problem.
    """
    columns = [c.name for c in spec.columns]
    if list(table.columns) != columns:
        raise CatalogError(f"{_FOLDER}/{name}: columns must be {columns}, not {list(table.columns)}")
    cells = [(i, c, _allowed(c)) for i, c in enumerate(spec.columns)]
    seen: dict[str, int] = {}
    for line, row in enumerate(table.itertuples(index=False, name="Row"), start=2):
        for i, column, values in cells:
            problem = _cell_problem(row[i], column, values)
            if problem:
                raise CatalogError(f"{_FOLDER}/{name} line {line}: {problem}")
        problem = spec.check(row) if spec.check else None
        if problem:
            raise CatalogError(f"{_FOLDER}/{name} line {line}: {problem}")
        if spec.key:
            key = spec.key(row)
            if key in seen:
                raise CatalogError(f"{_FOLDER}/{name} line {line}: duplicate of line {seen[key]} ({key})")
            seen[key] = line
    table = table.copy()
    for column in spec.columns:
        if column.dtype is not None:
            table[column.name] = _convert(table[column.name], column.dtype)
    return table


def _allowed(column: Column) -> Sequence[str] | None:
    if column.values is not None:
        return column.values
    return _BOOLEANS.get(column.dtype) if isinstance(column.dtype, str) else None


def _cell_problem(value: str, column: Column, values) -> str | None:
    if values is not None and value not in values:
        return f"{column.name} {value!r} is not one of {list(values)}"
    if column.pattern is not None and not re.fullmatch(column.pattern, value):
        return f"{column.name} {value!r} is not {column.what or f'a match of {column.pattern!r}'}"
    if column.regex and value:
        try:
            re.compile(value)
        except re.error as exc:
            return f"{column.name} {value!r} is not a valid regex ({exc})"
    return None


def _convert(cells: pd.Series, dtype) -> pd.Series:
    if dtype == "string":
        return cells.astype(STRING)
    if dtype == "bool":
        return cells.map({"true": True, "false": False}).astype(bool)
    if dtype == "boolean":
        return cells.map({"true": True, "false": False, "": pd.NA}).astype("boolean")
    return pd.Series(pd.Categorical(cells, categories=dtype), index=cells.index, name=cells.name)


#: ``masks.csv``: how a message is masked before errors are grouped, one rule a line, applied in order.
_MASKS = Spec((
    Column("pattern", pattern=r".+", what="a regex (RE2 syntax, no lookarounds)", regex=True),
    Column("replacement", pattern=r"<[a-z]+>", what="a placeholder such as '<num>'"),
    Column("what"),
))


@functools.cache
def _masks() -> tuple[tuple[str, str], ...]:
    t = read_table("masks.csv", _MASKS)
    return tuple(zip(t["pattern"], t["replacement"]))


def masks() -> list[tuple[str, str]]:
    """How a message is masked before errors are grouped: (pattern, replacement) pairs, applied in order.

    Each pattern is applied to every match. RE2 syntax without lookarounds, so
    that pyarrow's ``replace_substring_regex`` and DuckDB's
    ``regexp_replace(s, p, r, 'g')`` compute the same masks.

    Examples
    --------
    >>> masks()[-1]
    ('\\\\d+(?:\\\\.\\\\d+)?', '<num>')
    """
    return list(_masks())
