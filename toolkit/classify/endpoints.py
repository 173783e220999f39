"""The endpoint catalog: every documented REST endpoint of the exchange, as data.

The table is ``toolkit/data/endpoints.csv``, one row per
endpoint: its ``market``, ``method``, full ``path`` template (a path symbol
is written ``{symbol}``), whether it needs ``auth``, its ``kind``
(``trading``, ``account`` or ``market_data``), its ``action`` on orders
(``place``, ``cancel``, ``query`` for the calls that show orders or positions,
``other``), its ``envelope`` (``code``
for the ``{"code", "msg", "data"}`` envelope, ``bare`` for the legacy market
data's plain JSON), a ``description``, ``documented`` and a ``note``.

A loaded call whose path matches a row gets the row's template as its
``endpoint``, the row's ``kind`` and market, and the path's symbol. The match
runs once per distinct path, as a handful of vectorised Arrow passes.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data import Column, Spec, read_table
from ..schema import ACTIONS, KINDS, MARKETS, METHODS

__all__ = ["endpoints", "matcher"]

_PARAM = re.compile(r"\{([A-Za-z_]+)\}")
_PARAMS = {"symbol"}  # the only path parameter the exchange has


def _path_parameters(row) -> str | None:
    for name in _PARAM.findall(row.path):
        if name not in _PARAMS:
            return f"path parameter {{{name}}} is not one of {sorted(_PARAMS)}"
    return None


#: ``endpoints.csv``: what each column may hold and becomes; a path is listed once (``{symbol}`` being the only
#: parameter, two paths that differ only in a parameter's name cannot both pass).
_SPEC = Spec(
    columns=(
        Column("market", values=MARKETS[:2], dtype="string"),
        Column("method", values=METHODS, dtype="string"),
        Column("path", pattern=r"/[^?]*", what="a path starting with '/' without a query", dtype="string"),
        Column("auth", dtype="bool"),
        Column("kind", values=KINDS[:-1], dtype=KINDS),
        Column("action", values=ACTIONS, dtype=ACTIONS),
        Column("envelope", values=("code", "bare"), dtype="string"),
        Column("description", dtype="string"),
        Column("documented", dtype="bool"),
        Column("note", dtype="string"),
    ),
    check=_path_parameters,
    key=lambda row: row.path,
)


@functools.cache
def _table() -> pd.DataFrame:
    return read_table("endpoints.csv", _SPEC)


def endpoints() -> pd.DataFrame:
    """Return the endpoint catalog as a DataFrame.

    Columns: ``market`` (``spot`` or ``futures``), ``method``, ``path`` (the
    full path template, ``{symbol}`` for a path symbol), ``auth`` (private
    endpoint), ``kind`` (``trading``, ``account``, ``market_data``),
    ``action`` (``place``, ``cancel``, ``query``: shows orders or positions,
    ``other``), ``envelope`` (``code``: the ``{"code", "msg", "data"}`` envelope;
    ``bare``: plain JSON, the legacy ``/api/v1/fdata`` market data),
    ``description``, ``documented`` and ``note``.

    Examples
    --------
    >>> import toolkit
    >>> eps = toolkit.endpoints()
    >>> eps.loc[eps["path"] == "/api/v1/futures/open-api/order/create", ["method", "kind"]].iloc[0].tolist()
    ['POST', 'trading']
    >>> eps.loc[eps["path"].str.endswith("/batchCancelOrder"), "action"].iloc[0]
    'cancel'
    >>> eps.groupby("market", observed=True).size().to_dict()
    {'futures': 18, 'spot': 13}
    """
    return _table().copy()


class _Matcher:
    """The catalog compiled for matching arrays of paths."""

    def __init__(self, table: pd.DataFrame):
        paths = table["path"].tolist()
        self.templates = pa.array(paths, pa.string())
        self.market = np.array([MARKETS.index(m) for m in table["market"]], dtype=np.int8)
        self.kind = table["kind"].cat.codes.to_numpy().astype(np.int8)
        self.bare = (table["envelope"] == "bare").to_numpy()
        literal = [i for i, p in enumerate(paths) if "{" not in p]
        self.literal_rows = np.array(literal, dtype=np.int64)
        self.literal_set = pa.array([paths[i] for i in literal], pa.string())
        self.patterns = [
            (i, "^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(p).replace(r"\{", "{")
                                 .replace(r"\}", "}")) + "/?$")
            for i, p in enumerate(paths) if "{" in p
        ]
        # the legacy base: the directory every bare-envelope endpoint shares
        bare = [p for p, b in zip(paths, self.bare) if b]
        self.legacy_base = _common_dir(bare) if bare else None
        # the exchange's API folders: the common folder of each market's endpoints of one envelope
        groups: dict[tuple, list[str]] = {}
        for p, m, b in zip(paths, self.market, self.bare):
            groups.setdefault((int(m), bool(b)), []).append(p)
        self.roots = sorted({_common_dir(ps) for ps in groups.values()} - {"/"})

    def on_exchange(self, paths: pa.Array, row: np.ndarray) -> np.ndarray:
        """Whether each path is one of the exchange's endpoints: listed (``row >= 0``) or in one of its API folders."""
        inside = row >= 0
        for root in self.roots:
            inside |= pc.fill_null(pc.starts_with(paths, root), False).to_numpy(zero_copy_only=False)
        return inside

    def match(self, paths: pa.Array) -> tuple[np.ndarray, pa.Array]:
        """Catalog row per path (``-1``: none) and the path's symbol (null where none)."""
        trimmed = pc.if_else(pc.and_(pc.ends_with(paths, "/"), pc.greater(pc.utf8_length(paths), 1)),
                             pc.utf8_slice_codeunits(paths, 0, -1), paths)
        pos = pc.index_in(trimmed, value_set=self.literal_set)
        pos = pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        row = np.where(pos >= 0, self.literal_rows[np.maximum(pos, 0)] if len(self.literal_rows) else -1, -1)
        symbol = pa.nulls(len(paths), pa.string())
        for i, pattern in self.patterns:
            hit = pc.fill_null(pc.match_substring_regex(paths, pattern), False)
            hit_np = hit.to_numpy(zero_copy_only=False) & (row < 0)
            if not hit_np.any():
                continue
            row = np.where(hit_np, i, row)
            found = pc.extract_regex(pc.if_else(pa.array(hit_np), paths, pa.scalar(None, pa.string())), pattern)
            value = found.field("symbol") if found.type.get_field_index("symbol") >= 0 else None
            if value is not None:
                value = pa.array([None if v is None else unquote(v) for v in value.to_pylist()], pa.string())
                symbol = pc.if_else(pa.array(hit_np), value, symbol)
        return row, symbol


def _common_dir(paths: list[str]) -> str:
    parts = [p.split("/") for p in paths]
    common = []
    for segs in zip(*(p[:-1] for p in parts)):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    return "/".join(common) + "/"


@functools.cache
def matcher() -> _Matcher:
    """The endpoint catalog compiled for matching arrays of paths (cached).

    Returns
    -------
    _Matcher
        ``match(paths)`` gives each path's catalog row (``-1``: none) and its
        symbol; ``market``, ``kind`` and ``bare`` hold each row's codes;
        ``roots`` are the exchange's API folders and ``on_exchange(paths, row)``
        tells the exchange's endpoints from other URLs.

    Examples
    --------
    >>> import pyarrow as pa
    >>> row, symbol = matcher().match(pa.array(["/api/v1/stock/open-api/order/", "/nowhere"]))
    >>> [endpoints()["path"][i] if i >= 0 else None for i in row]
    ['/api/v1/stock/open-api/order', None]
    >>> matcher().roots
    ['/api/v1/fdata/', '/api/v1/futures/open-api/', '/api/v1/stock/open-api/']
    """
    return _Matcher(_table())


matcher()  # a broken data file fails when the toolkit is imported, not on the first load
