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
from ._text import check_size
from ._turns import Block

#: Limits on a .docx package, checked before any part is inflated: total inflated bytes, and inflation ratio.
MAX_MEMBER_BYTES = 200_000_000
MAX_RATIO = 100
CELL_SEPARATOR = " | "
UNIT_SEPARATOR = "\n\n"


def read_docx(path: Path) -> tuple[str, list[Block], dict[str, Any]]:
    """(text, blocks, metadata from the core properties) of a .docx file."""
    check_size(path)
    _check_members(path)
    try:
        document = docx.Document(str(path))
        units = _units(document)
        metadata = _core_metadata(document)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorpusError(f"{path}: not a Word .docx file ({exc}); open it in Word and save it as .docx") from None
    except Exception as exc:  # a hostile or broken package: lxml limits, missing parts, odd XML
        raise CorpusError(f"{path}: the Word file could not be read ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); open it in Word and save it "
                          f"again as .docx") from None
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for kind, text in units:
        if parts:
            pos += len(UNIT_SEPARATOR)
        parts.append(text)
        blocks.append(Block(pos, pos + len(text), kind))
        pos += len(text)
    return UNIT_SEPARATOR.join(parts), blocks, metadata


def _check_members(path: Path) -> None:
    """Refuse a package whose parts would inflate past MAX_MEMBER_BYTES, or by more than MAX_RATIO, before any is
    read (a "zip bomb": a few MB on disk, gigabytes once inflated)."""
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorpusError(f"{path}: not a Word .docx file ({exc}); open it in Word and save it as .docx") from None
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > MAX_MEMBER_BYTES or total > MAX_MEMBER_BYTES or (
                member.file_size > 1_000_000 and ratio > MAX_RATIO):
            raise CorpusError(
                f"{path}: part '{member.filename}' inflates to {member.file_size:,} bytes ({ratio:.0f} times its "
                f"packed size), over casecode's limit of {MAX_MEMBER_BYTES:,} bytes and {MAX_RATIO} times; the file "
                f"is damaged or hostile — save the transcript again from Word"
            )


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
