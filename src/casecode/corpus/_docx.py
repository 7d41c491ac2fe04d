"""Word (.docx) documents through python-docx.

The document text is the non-empty body paragraphs and table rows, in order, joined with blank lines, so offsets
are into that text. A table row is one unit: its non-empty cells joined with " | " (a row of a two-column
transcript table, "Jane: | I think...", is then a turn like any other). Paragraphs styled "Heading ..." or "Title"
are headings. A paragraph opening with "Name:" is a turn whether the label is bold or not (the label rules of
`_turns` apply), so bold alone never makes a speaker of a lead-in such as "Key issues:".
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..errors import CorpusError
from ._turns import Block

CELL_SEPARATOR = " | "
UNIT_SEPARATOR = "\n\n"


def read_docx(path: Path) -> tuple[str, list[Block], dict[str, Any]]:
    """(text, blocks, metadata from the core properties) of a .docx file."""
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorpusError(f"{path}: not a Word .docx file ({exc}); open it in Word and save it as .docx") from None
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for kind, text in _units(document):
        if parts:
            pos += len(UNIT_SEPARATOR)
        parts.append(text)
        blocks.append(Block(pos, pos + len(text), kind))
        pos += len(text)
    return UNIT_SEPARATOR.join(parts), blocks, _core_metadata(document)


def _units(document) -> list[tuple[str, str]]:
    """(kind, stripped text) of each non-empty paragraph and table row."""
    units = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            units.extend(("row", text) for text in _row_texts(item))
        elif item.text.strip():
            units.append(("heading" if _is_heading(item) else "paragraph", item.text.strip()))
    return units


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style.name if paragraph.style is not None else ""
    return style.startswith("Heading") or style == "Title"


def _row_texts(table: Table) -> list[str]:
    texts = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            texts.append(CELL_SEPARATOR.join(cells))
    return texts


def _core_metadata(document) -> dict[str, Any]:
    props = document.core_properties
    values = {"title": props.title, "author": props.author, "created": props.created}
    return {key: v.isoformat() if isinstance(v, dt.datetime) else v for key, v in values.items() if v}
