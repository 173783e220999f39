"""Objects shown in Jupyter as a card: a title, a few facts as label and value, then tables that open on a click.

One look for every card (:class:`toolkit.Load`, the description of a window), every text escaped, so a
file name or a message never becomes markup.

Examples
--------
>>> from toolkit._cards import card
>>> print(card("Load", [("rows", "3"), ("from", "<a>.jsonl")]))  # doctest: +NORMALIZE_WHITESPACE
<div class="toolkit-card" style="border:1px solid #ccc;border-radius:6px;padding:8px 12px;max-width:60em">
<b>Load</b><table style="margin:4px 0"><tr><th style="text-align:left;padding-right:1em">rows</th><td style="text-align:left">3</td></tr>
<tr><th style="text-align:left;padding-right:1em">from</th><td style="text-align:left">&lt;a&gt;.jsonl</td></tr></table></div>
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["card", "table_html"]

_MAX_ROWS = 10


def table_html(table: pd.DataFrame, *, rows: int = _MAX_ROWS) -> str:
    """The first ``rows`` rows of ``table`` as escaped HTML (numbers to 3 significant figures), or ``(none)``."""
    if not len(table):
        return "<p>(none)</p>"
    more = f"<p>… and {len(table) - rows:,} more rows</p>" if len(table) > rows else ""
    return table.head(rows).to_html(index=False, escape=True, float_format=lambda x: f"{x:.3g}", na_rep="–") + more


def card(title: str, facts: list[tuple[str, str]], *, note: str = "", tables: dict[str, pd.DataFrame] | None = None,
         open_first: bool = False) -> str:
    """A card: ``title``, the ``facts`` (label, value) as a two-column table, ``note`` as a paragraph, and each
    of ``tables`` in a ``<details>`` block (the first open when ``open_first``)."""
    rows = "\n".join(f'<tr><th style="text-align:left;padding-right:1em">{html.escape(k)}</th>'
                     f'<td style="text-align:left">{html.escape(v)}</td></tr>' for k, v in facts)
    parts = [f"<b>{html.escape(title)}</b>"]
    if rows:
        parts.append(f'<table style="margin:4px 0">{rows}</table>')
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    for i, (name, table) in enumerate((tables or {}).items()):
        shown = " open" if open_first and i == 0 else ""
        parts.append(f"<details{shown}><summary>{html.escape(name)} ({len(table):,})</summary>"
                     f"{table_html(table)}</details>")
    return ('<div class="toolkit-card" style="border:1px solid #ccc;border-radius:6px;padding:8px 12px;'
            'max-width:60em">\n' + "".join(parts) + "</div>")
