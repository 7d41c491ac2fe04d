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
    sections, ticks = _outline(items, tables, codebook, groups, cases, uncoded, first_column, total="**Total**")
    lines = [f"# {title}", ""]
    for level, heading, case_items in sections:
        lines += [f"{'#' * (level + 1)} {_md(heading)}", ""]
        if case_items is not None:
            lines += [f"- {_md(text)} — {coded}" for text, coded in case_items] + [""]
    for heading, table in ticks:
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
    sections, ticks = _outline(items, tables, codebook, groups, cases, uncoded, first_column, total="Total")
    doc = Document()
    doc.add_heading(title, level=0)
    for level, heading, case_items in sections:
        doc.add_heading(heading, level=level)
        for text, coded in case_items or ():
            bullet = doc.add_paragraph(f"{text} — ", style="List Bullet")
            note = bullet.add_run(coded)
            note.italic = True
            note.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    set_orientation(doc, landscape=any(is_wide(table) for _, table in ticks))
    for heading, table in ticks:
        doc.add_heading(heading, level=1)
        add_table(doc, table)
    return save(doc, path)


def _outline(items: pd.DataFrame, tables: Tables, codebook: Codebook, groups: Groups, cases: pd.DataFrame | None,
             uncoded: str, first_column: str, total: str) -> tuple[list, list[tuple[str, pd.DataFrame]]]:
    """What both writers write, in order: (level, heading, items) for each group (level 1, items None) and each of
    its cases (level 2, its (text, coded) pairs), then the (heading, tick table) pairs."""
    names = case_names(cases)
    sections = []
    for group, case_ids in groups:
        sections.append((1, group, None))
        sections += [(2, names.get(case_id, case_id), list(_items(items, case_id, codebook, uncoded)))
                     for case_id in case_ids]
    ordered = [case_id for _, case_ids in groups for case_id in case_ids]
    ticks = [(heading, tick_table(matrix, codebook, ordered, names, first_column=first_column, total=total))
             for heading, matrix in tables]
    return sections, ticks


def _items(items: pd.DataFrame, case_id: str, codebook: Codebook, uncoded: str) -> Iterable[tuple[str, str]]:
    """(item text, "coded: <labels>" or `uncoded`) for each item of one case, in order."""
    labels = codebook.labels()
    for text, codes in items.loc[items["case_id"] == case_id, ["text", "codes"]].itertuples(index=False):
        codes = tuple(codes or ())
        yield text, ("coded: " + "; ".join(labels.get(c, c) for c in codes)) if codes else uncoded


def _md(text: str) -> str:
    """Quoted text made inert in Markdown: a `<` would otherwise open raw HTML."""
    return str(text).replace("<", "\\<")

