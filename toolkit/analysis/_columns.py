"""The order analysis' columns as categoricals of text, and their values as arrays: converted once per category,
or only where taken."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schema import STRING

__all__ = ["codes", "column", "join", "key", "numbers", "objects", "strings", "text"]


def strings(col: pd.Series) -> pd.Categorical:
    """A column as a categorical of text (categoricals as they are; text and numbers factorized)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.array
    codes, uniques = pd.factorize(col.astype(STRING))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=STRING))


def column(df: pd.DataFrame, c: str, rows: np.ndarray) -> pd.Categorical:
    """Column ``c`` at ``rows`` as a categorical of text (a categorical column's own categories); all missing
    without the column."""
    if c not in df:
        return pd.Categorical.from_codes(np.full(len(rows), -1, np.int8), categories=pd.Index([], dtype=STRING))
    col = df[c]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.array.take(rows)
    return strings(col.take(rows))


def text(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An object array of str or None as ``string[pyarrow]``, built by Arrow."""
    return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()))


def objects(cat: pd.Categorical) -> np.ndarray:
    """A categorical's values as an object array of str or None (only the values taken converted, when fewer
    than its categories)."""
    codes = cat.codes
    if len(codes) < len(cat.categories):
        out = cat.categories.take(np.where(codes < 0, 0, codes)).to_numpy(dtype=object)
        out[codes < 0] = None
        return out
    cats = np.append(cat.categories.astype(object).to_numpy(), None)
    return cats[np.where(codes < 0, len(cats) - 1, codes)]


def numbers(cat: pd.Categorical) -> np.ndarray:
    """A categorical of numbers written as text, as floats (NaN where not a number): parsed once per category."""
    per = np.append(pd.to_numeric(pd.Series(cat.categories, dtype=object), errors="coerce")
                    .to_numpy(dtype=np.float64), np.nan)
    return per[np.where(cat.codes < 0, len(per) - 1, cat.codes)]


def join(cat: pd.Categorical, values: np.ndarray) -> pd.Categorical:
    """``cat`` followed by ``values`` (str or None) as one categorical of text."""
    if not len(values):
        return cat
    vcodes, uniques = pd.factorize(values.astype(object))
    cats = cat.categories
    at = cats.get_indexer(pd.Index(uniques, dtype=STRING)) if len(cats) else np.full(len(uniques), -1)
    new = at < 0
    at[new] = len(cats) + np.arange(int(new.sum()))
    codes = np.concatenate([cat.codes.astype(np.int64), np.append(at, -1)[vcodes]])  # (-1, missing, stays -1)
    categories = cats.append(pd.Index(uniques[new], dtype=STRING)) if new.any() else cats
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=STRING))


def codes(cat: pd.Categorical) -> np.ndarray:
    return cat.codes.astype(np.int64)


def key(*arrays) -> np.ndarray:
    """One int64 group number per row for the rows' values of ``arrays`` (NaN a value like any other)."""
    frame = pd.DataFrame({i: a for i, a in enumerate(arrays)})
    return frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy(np.int64)
