"""Word documents written with python-docx: real headings, real tables with a repeated header row, pictures.

`word_report` is the building block: a title, then sections of blocks. A block is a `str` (a paragraph), a
list of `str` (a bulleted list), a `pathlib.Path` (a picture) or a DataFrame (a table, index not written).

Layout rules every Word file of casecode follows, so it reads well printed: a table's columns are at least as wide
as their longest word (headers become numbers with a key rather than break a word), a picture fits its page, a
heading stays with what follows it, and a section holding a wide table is set on landscape pages.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Iterable, Sequence, Union

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt

from .._output import printable, write_file
from ._tables import TICK, cell_text

Block = Union[str, Sequence[str], Path, pd.DataFrame]
Section = tuple[str, Iterable[Block]]

PORTRAIT_COLUMNS = 6  # a table with more columns goes on a landscape page
TABLE_STYLE = "Table Grid"
# Generous glyph widths, in ems, so a column sized by them never breaks its longest word, whatever the font
# (Word's Calibri, LibreOffice's Carlito or a fallback): wide letters and capitals, then everything else.
WIDE_EM, NARROW_EM = 0.82, 0.62
CELL_PADDING_PT = 16  # left + right cell margins of the default table style (2 x 5.4 pt), borders and slack
FONT_SIZES = (9, 8, 7)  # a wide table tries these in turn until its columns fit the page
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every member's date in a written Word file


def word_report(path: str | Path, title: str, sections: Iterable[Section]) -> Path:
    """Write a .docx: `title` as the document title, then each (heading, blocks) section under a level-1 heading."""
    doc = Document()
    doc.add_heading(printable(title), level=0)
    for title_, blocks in sections:
        blocks = list(blocks)
        set_orientation(doc, landscape=any(is_wide(block) for block in blocks))
        heading(doc, title_, 1)
        for block in blocks:
            add_block(doc, block)
    return save(doc, path)


def add_block(doc, block: Block) -> None:
    """Append one block (paragraph, bulleted list, picture or table) to `doc`."""
    if isinstance(block, pd.DataFrame):
        add_table(doc, block)
    elif isinstance(block, Path):
        fit_picture(doc, block)
    elif isinstance(block, str):
        doc.add_paragraph(printable(block))
    else:
        for item in block:
            doc.add_paragraph(printable(str(item)), style="List Bullet")


def add_table(doc, frame: pd.DataFrame):
    """A Word table of `frame` (index not written), its columns fitted to their words; a frame whose
    `attrs["total_row"]` is set gets its last row in bold."""
    return fitted_table(doc, frame, bold_last=bool(frame.attrs.get("total_row", False)), number_from=1)


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
    """Write `doc` whole or not at all. Its ZIP members carry a fixed date (as `casecode export qdpx` does), so
    writing the same report again, in `casecode report` or `reproduce`, gives the same bytes."""

    def write(temp: Path) -> None:
        doc.save(str(temp))
        temp.write_bytes(_dated(temp.read_bytes()))

    return write_file(path, write)


def _dated(packed: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(packed)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            member.compress_type, member.external_attr = info.compress_type, info.external_attr
            target.writestr(member, source.read(info))
    return out.getvalue()


def is_wide(block: Block) -> bool:
    """True for a table with more columns than fit a portrait page."""
    return isinstance(block, pd.DataFrame) and len(block.columns) > PORTRAIT_COLUMNS


def heading(doc, text: str, level: int):
    """A heading kept on the page of what follows it (a chart, a table, a quotation)."""
    paragraph = doc.add_heading(printable(text), level=level)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def fit_picture(doc, path: str | Path, fraction_of_height: float = 0.8):
    """Add a picture as wide as the text column, or smaller so it is no taller than `fraction_of_height` of it."""
    from PIL import Image

    section = doc.sections[-1]
    width = section.page_width - section.left_margin - section.right_margin
    height = section.page_height - section.top_margin - section.bottom_margin
    with Image.open(path) as image:
        px_w, px_h = image.size
    if width * px_h / px_w > height * fraction_of_height:
        width = int(height * fraction_of_height * px_w / px_h)
    doc.add_picture(str(path), width=Emu(int(width)))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def column_widths_pt(frame: pd.DataFrame, font_pt: float) -> list[float]:
    """The narrowest width of each column that holds its longest word (header included) on one line."""
    widths = []
    for i, column in enumerate(frame.columns):
        texts = [str(column)] + [cell_text(v) for v in frame.iloc[:, i]]
        longest = max((_word_em(word) for text in texts for word in text.split()), default=NARROW_EM)
        widths.append(longest * font_pt + CELL_PADDING_PT)
    return widths


def _word_em(word: str) -> float:
    return sum(WIDE_EM if ch.isupper() or ch in "mwMW@%" else NARROW_EM for ch in word)


def fitted_table(doc, frame: pd.DataFrame, bold_last: bool = False, number_from: int | None = None):
    """A table with fixed column widths: each column at least as wide as its longest word at the largest font
    of FONT_SIZES that fits the page; spare width goes to the first column (names wrap between words only).

    When even the smallest font does not fit and `number_from` is given, the headers from that column on become
    numbers (1, 2, ...) and a paragraph under the table keys them, rather than breaking words in narrow columns.
    """
    section = doc.sections[-1]
    usable = (section.page_width - section.left_margin - section.right_margin) / 12700  # EMU per point
    key = []
    for attempt in ("names", "numbers"):
        for font_pt in FONT_SIZES:
            widths = column_widths_pt(frame, font_pt)
            if sum(widths) <= usable:
                break
        if sum(widths) <= usable or number_from is None or attempt == "numbers":
            break
        columns = list(frame.columns)
        key = [f"{i} = {name}" for i, name in enumerate(columns[number_from:], 1)]
        frame = frame.set_axis(columns[:number_from] + [str(i) for i in range(1, len(key) + 1)], axis=1)
    spare = max(usable - sum(widths), 0)
    widths[0] += spare
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = TABLE_STYLE
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths):
        column.width = Pt(width)
    _fill(table.rows[0], [str(c) for c in frame.columns], widths, font_pt, bold=True)
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    last = len(frame) - 1
    for i, values in enumerate(frame.itertuples(index=False)):
        _fill(table.add_row(), [cell_text(v) for v in values], widths, font_pt, bold=bold_last and i == last)
    if key:
        doc.add_paragraph("Column numbers: " + "; ".join(key) + ".")
    return table


def _fill(row, texts, widths, font_pt, bold=False) -> None:
    for cell, text, width in zip(row.cells, texts, widths):
        cell.width = Pt(width)
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(printable(text))
        run.bold = bold
        run.font.size = Pt(font_pt)
        if text == TICK or text.isdigit():
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
