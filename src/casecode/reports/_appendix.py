"""Appendix Two of the 2016 report, regenerated: each council's leadership actions in its own words, the codes
each was given, and a council-by-action table of ticks.

Inputs shared by both writers:
- `items`: DataFrame `case_id, text, codes` (codes: a tuple of code ids), one row per named action, in order.
- `matrix`: the case-by-code matrix of the items (index `case_id`, one 0/1 column per code).
- `all_evidence` (optional): a second such matrix from all evidence, written as a second, labelled table.
- `groups`: ordered (group title, [case_id, ...]) pairs, e.g. ("COUNTY COUNCILS", ["monmouthshire", "surrey"]).
- `cases`: DataFrame `case_id, name` for the council names (ids stand in when it is not given).
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

TITLE = "Appendix Two: leadership actions being taken by the case study councils"
TABLE_HEADING = "Leadership actions by council (Appendix Two items only)"
EVIDENCE_HEADING = "Leadership actions by council, all evidence in the report (not Appendix Two alone)"
UNCODED = "not coded to the eleven"


def appendix_two_markdown(
    items: pd.DataFrame,
    matrix: pd.DataFrame,
    codebook: Codebook,
    groups: Groups,
    path: str | Path,
    cases: pd.DataFrame | None = None,
    title: str = TITLE,
    uncoded: str = UNCODED,
    all_evidence: pd.DataFrame | None = None,
) -> Path:
    """Write Appendix Two as Markdown: groups (##), councils (###), their actions with codes, the tick table."""
    names = case_names(cases)
    lines = [f"# {title}", ""]
    for group, case_ids in groups:
        lines += [f"## {group}", ""]
        for case_id in case_ids:
            lines += [f"### {names.get(case_id, case_id)}", ""]
            lines += [f"- {_md(text)} — {coded}" for text, coded in _actions(items, case_id, codebook, uncoded)]
            lines.append("")
    for heading, ticks in _tables(matrix, all_evidence):
        table = tick_table(ticks, codebook, _ordered(groups), names, first_column="Council", total="**Total**")
        lines += [f"## {heading}", "", markdown_table(table), ""]
    return write_text(path, "\n".join(lines))


def appendix_two_docx(
    items: pd.DataFrame,
    matrix: pd.DataFrame,
    codebook: Codebook,
    groups: Groups,
    path: str | Path,
    cases: pd.DataFrame | None = None,
    title: str = TITLE,
    uncoded: str = UNCODED,
    all_evidence: pd.DataFrame | None = None,
) -> Path:
    """Write Appendix Two as Word: group and council headings, bulleted actions with their codes in grey
    italics, and the tick table on a landscape page when it is wide."""
    names = case_names(cases)
    doc = Document()
    doc.add_heading(title, level=0)
    for group, case_ids in groups:
        doc.add_heading(group, level=1)
        for case_id in case_ids:
            doc.add_heading(names.get(case_id, case_id), level=2)
            for text, coded in _actions(items, case_id, codebook, uncoded):
                bullet = doc.add_paragraph(f"{text} — ", style="List Bullet")
                note = bullet.add_run(coded)
                note.italic = True
                note.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    tables = [(heading, tick_table(ticks, codebook, _ordered(groups), names, first_column="Council"))
              for heading, ticks in _tables(matrix, all_evidence)]
    set_orientation(doc, landscape=any(is_wide(table) for _, table in tables))
    for heading, table in tables:
        doc.add_heading(heading, level=1)
        add_table(doc, table)
    return save(doc, path)


def _tables(matrix: pd.DataFrame, all_evidence: pd.DataFrame | None) -> list[tuple[str, pd.DataFrame]]:
    """The tick tables to write: the items' own, then, when given, the all-evidence one."""
    return [(TABLE_HEADING, matrix)] + ([(EVIDENCE_HEADING, all_evidence)] if all_evidence is not None else [])


def _actions(items: pd.DataFrame, case_id: str, codebook: Codebook, uncoded: str) -> Iterable[tuple[str, str]]:
    """(action text, "coded: <labels>" or `uncoded`) for each action of one council, in order."""
    labels = codebook.labels()
    for text, codes in items.loc[items["case_id"] == case_id, ["text", "codes"]].itertuples(index=False):
        codes = tuple(codes or ())
        yield text, ("coded: " + "; ".join(labels.get(c, c) for c in codes)) if codes else uncoded


def _md(text: str) -> str:
    """Quoted text made inert in Markdown: a `<` would otherwise open raw HTML."""
    return str(text).replace("<", "\\<")


def _ordered(groups: Groups) -> list[str]:
    return [case_id for _, case_ids in groups for case_id in case_ids]
