"""Word documents written with python-docx: real headings, real tables with a repeated header row, pictures.

`word_report` is the building block: a title, then sections of blocks. A block is a `str` (a paragraph), a
list of `str` (a bulleted list), a `pathlib.Path` (a picture) or a DataFrame (a table, index not written).
A section holding a table wider than `PORTRAIT_COLUMNS` columns is set on landscape pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence, Union

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from ..codebook import Codebook
from ._tables import TICK, case_names, cell_text, tick_table

Block = Union[str, Sequence[str], Path, pd.DataFrame]
Section = tuple[str, Iterable[Block]]

PORTRAIT_COLUMNS = 6  # a table with more columns goes on a landscape page
TABLE_STYLE = "Table Grid"


def word_report(path: str | Path, title: str, sections: Iterable[Section]) -> Path:
    """Write a .docx: `title` as the document title, then each (heading, blocks) section under a level-1 heading."""
    doc = Document()
    doc.add_heading(title, level=0)
    for heading, blocks in sections:
        blocks = list(blocks)
        set_orientation(doc, landscape=any(is_wide(block) for block in blocks))
        doc.add_heading(heading, level=1)
        for block in blocks:
            add_block(doc, block)
    return save(doc, path)


def project_report_docx(
    path: str | Path,
    title: str,
    matrix: pd.DataFrame,
    per_code_table: pd.DataFrame,
    chart_png: str | Path | None,
    codebook: Codebook,
    method_text: str | None = None,
    extra_sections: Iterable[Section] = (),
    cases: pd.DataFrame | None = None,
) -> Path:
    """A report for any project: method, codebook (label and definition per code), chart, case-by-code ticks
    (case names from `cases` when given) and the per-code table, then `extra_sections`."""
    sections: list[Section] = []
    if method_text:
        sections.append(("Method", [method_text]))
    codes = pd.DataFrame({"Code": [c.label for c in codebook], "Definition": [c.definition for c in codebook]})
    sections.append(("Codebook", [codes]))
    if chart_png:
        sections.append(("Chart", [Path(chart_png)]))
    sections.append(("Cases and codes", [tick_table(matrix, codebook, names=case_names(cases))]))
    sections.append(("Per code", [per_code_table]))
    sections.extend(extra_sections)
    return word_report(path, title, sections)


def add_block(doc, block: Block) -> None:
    """Append one block (paragraph, bulleted list, picture or table) to `doc`."""
    if isinstance(block, pd.DataFrame):
        add_table(doc, block)
    elif isinstance(block, Path):
        section = doc.sections[-1]
        doc.add_picture(str(block), width=section.page_width - section.left_margin - section.right_margin)
    elif isinstance(block, str):
        doc.add_paragraph(block)
    else:
        for item in block:
            doc.add_paragraph(str(item), style="List Bullet")


def add_table(doc, frame: pd.DataFrame):
    """A Word table of `frame` (columns as a bold header row repeated on each page; index not written).

    Ticks are centred; a frame whose `attrs["total_row"]` is set gets its last row in bold; wide tables use a
    smaller font.
    """
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = TABLE_STYLE
    size = Pt(8) if is_wide(frame) else Pt(10)
    _fill_row(table.rows[0], [str(c) for c in frame.columns], size, bold=True)
    _repeat_as_header(table.rows[0])
    last = len(frame) - 1
    for i, values in enumerate(frame.itertuples(index=False)):
        bold = i == last and frame.attrs.get("total_row", False)
        _fill_row(table.add_row(), [cell_text(v) for v in values], size, bold=bold)
    return table


def set_orientation(doc, landscape: bool) -> None:
    """Start a new section on a new page when the orientation changes (the first section is portrait)."""
    section = doc.sections[-1]
    if (section.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    width, height = section.page_width, section.page_height
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = height, width


def save(doc, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _fill_row(row, texts: list[str], size, bold: bool = False) -> None:
    for cell, text in zip(row.cells, texts):
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(text)
        run.bold = bold
        run.font.size = size
        if text == TICK:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _repeat_as_header(row) -> None:
    """Mark a row as the table's header row, which Word repeats at the top of every page the table spans."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def is_wide(block: Block) -> bool:
    """True for a table with more columns than fit a portrait page."""
    return isinstance(block, pd.DataFrame) and len(block.columns) > PORTRAIT_COLUMNS
