"""How the report's tables look on the page: :func:`styled`."""

from __future__ import annotations

import html
import re

import pandas as pd

from .. import defaults
from .._words import time_words

__all__ = ["styled"]

#: Text columns whose values are all this short never wrap in the report's tables; longer ones do.
_SHORT_TEXT = 12
_break_after = re.compile(r"(?<=.)([_/])(?=.)")


def styled(df: pd.DataFrame, *, rows: int | None = None, drop_empty: bool = True):
    """``df`` for display in the report: no index, times as 'Mon 16 Nov 21:20', rates and shares as percentages.

    Columns with no value in any row shown (a ``client_oid`` that is "–" throughout) are left
    out, unless ``drop_empty`` is False.

    Text is HTML-escaped (messages come from the exchange and gateways) and left-aligned.
    Times, numbers and short words do not wrap; long text (messages, patterns, paths)
    wraps and breaks anywhere it must, so that the table fits the page. Returns a
    pandas ``Styler``; ``rows`` keeps only the first rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from toolkit.report import styled
    >>> t = pd.DataFrame({"start": [pd.Timestamp("2026-11-16 21:20", tz="UTC")], "error_rate": [0.727]})
    >>> t["pattern"] = ["port=<num>"]
    >>> page = styled(t).to_html()
    >>> "Mon 16 Nov 21:20" in page and "72.7%" in page and "port=&lt;num&gt;" in page
    True
    >>> "client_oid" in styled(t.assign(client_oid=None)).to_html()
    False
    """
    df = df if rows is None else df.head(rows)
    if drop_empty and len(df):
        df = df[[c for c in df.columns if df[c].notna().any()]]
    formats, times, text = {}, [], []
    for c in df.columns:
        dtype = df[c].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            formats[c] = lambda v: defaults.MISSING if pd.isna(v) else time_words(v)
            times.append(c)
        elif pd.api.types.is_float_dtype(dtype) and str(c).endswith(("rate", "share")):
            formats[c] = lambda v: defaults.MISSING if pd.isna(v) else f"{v:.1%}"
        elif pd.api.types.is_float_dtype(dtype):
            formats[c] = lambda v: defaults.MISSING if pd.isna(v) else f"{v:,.1f}"
        elif not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            text.append(c)
    long = [c for c in text if df[c].astype(str).str.len().max() > _SHORT_TEXT] if len(df) else []
    # names and paths (no spaces: categories, reasons, endpoints) break only after "_" and "/"
    names = [c for c in long if not df[c].astype(str).str.contains(r"\s").any()]
    for c in names:
        formats[c] = lambda v: defaults.MISSING if pd.isna(v) else _break_after.sub(r"\1<wbr>", str(v))
    return (df.style.format(formats, na_rep=defaults.MISSING, escape="html").hide(axis="index")
            .set_properties(subset=text + times, **{"text-align": "left"})
            .set_properties(subset=[c for c in df.columns if c not in long],
                            **{"white-space": "nowrap", "overflow-wrap": "normal"})
            .set_properties(subset=long, **{"min-width": "6em"})
            .set_properties(subset=names, **{"overflow-wrap": "normal"})
            .format_index(lambda c: html.escape(str(c)).replace("_", "_<wbr>"), axis="columns")  # error_<wbr>rate
            .set_table_styles([{"selector": "th", "props": "text-align: left"}]))
