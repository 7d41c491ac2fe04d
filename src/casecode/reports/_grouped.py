"""Items grouped by case, with their codes, and case-by-code tick tables: a report appendix in Markdown and Word.

A study passes its own words (title, the phrase for an item with no code, each table's heading, the first
column's name); nothing here knows any study. Inputs shared by both writers:
- `items`: DataFrame `case_id, text, codes` (codes: a tuple of code ids), one row per item, in order.
- `tables`: (heading, case-by-code matrix) pairs, written in order after the items.
- `groups`: ordered (group title, [case_id, ...]) pairs, e.g. ("COUNTY COUNCILS", ["monmouthshire", "surrey"]).
- `cases`: DataFrame `case_id, name` for the case names (ids stand in when it is not given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
from docx import Document
from docx.shared import RGBColor

from .._output import write_text
from ..analysis import markdown_table
from ..codebook import Codebook
from ._tables import case_names, tick_table
from ._word import add_table, is_wide, save, set_orientation

Groups = Sequence[tuple[str, Sequence[str]]]
Tables = Sequence[tuple[str, pd.DataFrame]]


def grouped_items_markdown(
    items: pd.DataFrame,
    tables: Tables,
    codebook: Codebook,
    groups: Groups,
    path: str | Path,
    *,
    title: str,
    uncoded: str = "not coded",
    cases: pd.DataFrame | None = None,
    first_column: str = "Case",
) -> Path:
    """Write the items as Markdown: groups (##), cases (###), their items with codes, then each tick table."""
    names = case_names(cases)
    lines = [f"# {title}", ""]
    for group, case_ids in groups:
        lines += [f"## {group}", ""]
        for case_id in case_ids:
            lines += [f"### {names.get(case_id, case_id)}", ""]
            lines += [f"- {_md(text)} — {coded}" for text, coded in _items(items, case_id, codebook, uncoded)]
            lines.append("")
    for heading, ticks in tables:
        table = tick_table(ticks, codebook, _ordered(groups), names, first_column=first_column, total="**Total**")
        lines += [f"## {heading}", "", markdown_table(table), ""]
    return write_text(path, "\n".join(lines))


def grouped_items_docx(
    items: pd.DataFrame,
    tables: Tables,
    codebook: Codebook,
    groups: Groups,
    path: str | Path,
    *,
    title: str,
    uncoded: str = "not coded",
    cases: pd.DataFrame | None = None,
    first_column: str = "Case",
) -> Path:
    """Write the items as Word: group and case headings, bulleted items with their codes in grey italics, and the
    tick tables on a landscape page when one is wide."""
    names = case_names(cases)
    doc = Document()
    doc.add_heading(title, level=0)
    for group, case_ids in groups:
        doc.add_heading(group, level=1)
        for case_id in case_ids:
            doc.add_heading(names.get(case_id, case_id), level=2)
            for text, coded in _items(items, case_id, codebook, uncoded):
                bullet = doc.add_paragraph(f"{text} — ", style="List Bullet")
                note = bullet.add_run(coded)
                note.italic = True
                note.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    ticks = [(heading, tick_table(matrix, codebook, _ordered(groups), names, first_column=first_column))
             for heading, matrix in tables]
    set_orientation(doc, landscape=any(is_wide(table) for _, table in ticks))
    for heading, table in ticks:
        doc.add_heading(heading, level=1)
        add_table(doc, table)
    return save(doc, path)


def _items(items: pd.DataFrame, case_id: str, codebook: Codebook, uncoded: str) -> Iterable[tuple[str, str]]:
    """(item text, "coded: <labels>" or `uncoded`) for each item of one case, in order."""
    labels = codebook.labels()
    for text, codes in items.loc[items["case_id"] == case_id, ["text", "codes"]].itertuples(index=False):
        codes = tuple(codes or ())
        yield text, ("coded: " + "; ".join(labels.get(c, c) for c in codes)) if codes else uncoded


def _md(text: str) -> str:
    """Quoted text made inert in Markdown: a `<` would otherwise open raw HTML."""
    return str(text).replace("<", "\\<")


def _ordered(groups: Groups) -> list[str]:
    return [case_id for _, case_ids in groups for case_id in case_ids]
