"""Word (.docx) documents through python-docx.

The document text is the non-empty body paragraphs and table rows, in order, joined with blank lines, so offsets
are into that text. A table row is one unit: its non-empty cells joined with " | " (a row of a two-column
transcript table, "Jane: | I think...", is then a turn like any other). Paragraphs styled "Heading ..." or "Title"
are headings. A paragraph opening with "Name:" is a turn whether the label is bold or not (the label rules of
`_turns` apply), so bold alone never makes a speaker of a lead-in such as "Key issues:".
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..errors import CorpusError
from ._text import check_size
from ._turns import Block, find_label

#: Limits on a .docx package, checked before any part is inflated: total inflated bytes, and inflation ratio.
MAX_MEMBER_BYTES = 200_000_000
MAX_RATIO = 100
CELL_SEPARATOR = " | "
UNIT_SEPARATOR = "\n\n"


def read_docx(path: Path) -> tuple[str, list[Block], dict[str, Any], list[str]]:
    """(text, blocks, metadata from the core properties, warnings) of a .docx file."""
    check_size(path)
    _check_members(path)
    try:
        document = docx.Document(str(path))
        units = _units(document)
        metadata = _core_metadata(document)
        tracked = document.element.body.find(f".//{_INS}") is not None or \
            document.element.body.find(f".//{_DEL}") is not None
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
    warnings = [f"{path}: has tracked changes; read as if all were accepted (insertions kept, deletions left out) — "
                f"accept or reject them in Word to silence this"] if tracked else []
    return UNIT_SEPARATOR.join(parts), blocks, metadata, warnings


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
    """(kind, stripped text) of each non-empty paragraph and table row; a transcript's speaker labels written
    without a colon (a bold name, a speaker column) are given one (`_bold_turns`, `_table_units`)."""
    units: list[tuple[str, str]] = []
    leads: list[tuple[int, str]] = []
    for item in _body_items(document, document.element.body):
        if isinstance(item, Table):
            units.extend(_table_units(item))
        elif _text(item).strip():
            heading = _is_heading(item)
            units.append(("heading" if heading else "paragraph", _text(item).strip()))
            lead = None if heading else _bold_lead(item)
            if lead:
                leads.append((len(units) - 1, lead))
    return _bold_turns(units, leads)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_INS, _DEL, _RUN = f"{_W}ins", f"{_W}del", f"{_W}r"
# Tracked content: inserted or moved here (kept), deleted or moved away (left out).
_TRACKED = (f"{_W}ins", f"{_W}moveTo")
_STRUCK = (f"{_W}del", f"{_W}moveFrom")


def _text(paragraph: Paragraph) -> str:
    """A paragraph's text as Word shows it with every tracked change accepted. python-docx's `text` leaves out the
    runs of a tracked insertion (Track Changes on), which lost the words typed after it was turned on."""
    element = paragraph._p
    if next(element.iter(*_TRACKED), None) is None:
        return paragraph.text
    from docx.text.run import Run

    parts = []
    for run in element.iter(_RUN):
        ancestor = run.getparent()
        while ancestor is not None and ancestor is not element and ancestor.tag not in _STRUCK:
            ancestor = ancestor.getparent()
        if ancestor is element:
            parts.append(Run(run, paragraph).text)
    return "".join(parts)


def _body_items(document, parent):
    """The body's paragraphs and tables in order, also those inside a content control (w:sdt), which
    `iter_inner_content` passes over: a template's fields, or a transcript pasted into one, were lost."""
    for child in parent.iterchildren():
        if child.tag == f"{_W}p":
            yield Paragraph(child, document._body)
        elif child.tag == f"{_W}tbl":
            yield Table(child, document._body)
        elif child.tag == f"{_W}sdt":
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _body_items(document, content)


def _speaker_name(text: str) -> str | None:
    """The speaker `text` names when it is only a speaker label without its colon ("Sarah Jones", "Speaker 2",
    "Jane Smith (Chief Executive)"), else None."""
    text = " ".join(text.split())
    if not text or text.endswith(":") or len(text) > 80:
        return None
    label = find_label(f"{text}: x")
    return label.name if label is not None else None


def _bold_lead(paragraph: Paragraph) -> str | None:
    """The bold words opening a paragraph, when they are all that is bold there and a name without a colon
    follows them ("**Sarah Jones**<tab>Thanks ...", "**Sarah Jones**" alone, the words in the next paragraph)."""
    bold = []
    for run in paragraph.runs:
        if not run.text:
            continue
        if not run.bold:
            break
        bold.append(run.text)
    lead = "".join(bold).strip()
    text = _text(paragraph).strip()
    if not lead or not text.startswith(lead):
        return None
    rest = text[len(lead):]
    if rest and not rest[0].isspace():
        return None
    return lead if _speaker_name(lead) else None


def _bold_turns(units: list[tuple[str, str]], leads: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Bold names without a colon as `Name: words` turns, in a document with two of them and a name used twice
    (a bold heading or lead-in alone is left as it is)."""
    names = [_speaker_name(lead) for _, lead in leads]
    if len(leads) < 2 or max(names.count(name) for name in names) < 2:
        return units
    units = list(units)
    dropped = set()
    for i, lead in leads:
        rest = units[i][1][len(lead):].strip()
        if rest:
            units[i] = ("paragraph", f"{lead}: {rest}")
        elif i + 1 < len(units) and units[i + 1][0] == "paragraph" and i + 1 not in dict(leads):
            units[i + 1] = ("paragraph", f"{lead}: {units[i + 1][1]}")
            dropped.add(i)
    return [unit for i, unit in enumerate(units) if i not in dropped]


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style.name if paragraph.style is not None else ""
    return style.startswith("Heading") or style == "Title"


def _row_cells(table: Table) -> list[list[str]]:
    """Each row's cells' text, a merged cell once, empty cells kept."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join("\n".join(_text(p) for p in cell.paragraphs).split()))
        rows.append(cells)
    return rows


def _row_texts(table: Table) -> list[str]:
    texts = []
    for cells in _row_cells(table):
        cells = [text for text in cells if text]
        if cells:
            texts.append(CELL_SEPARATOR.join(cells))
    return texts


def _transcript_column(rows: list[list[str]], column: int, named: list, names: list[str]) -> bool:
    """Whether `column` names the speakers of a transcript: every filled cell of it below the first row is a name,
    one name comes twice, and the words beside the names are sentences (most of four words or more), which keeps
    out a table of figures ("Budget | £3m")."""
    if len(names) < 2 or max(names.count(name) for name in names) < 2:
        return False
    if any(name is None for i, name in named if i > 0):
        return False
    long = sum(len(" ".join(rows[i][column + 1:]).split()) >= 4 for i, name in named if name)
    return long * 2 >= len(names)


_TIME_CELL = re.compile(r"[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[\])]?")


def _table_units(table: Table) -> list[tuple[str, str]]:
    """A table's rows as units. A transcript table, whose first column (or second, after a column of times) names
    the speaker without a colon in two rows or more with one name twice, gives `Name: words` turns (a row with an
    empty name cell goes on with the speaker before; a first row naming no one again is a header, kept as a row);
    any other table gives one `row` unit per row, its cells joined with " | "."""
    rows = _row_cells(table)
    for column in (0, 1):
        named = [(i, _speaker_name(cells[column])) for i, cells in enumerate(rows)
                 if len(cells) > column + 1 and cells[column] and any(cells[column + 1:])
                 and (column == 0 or _TIME_CELL.fullmatch(cells[0] or ""))]
        names = [name for _, name in named if name]
        if _transcript_column(rows, column, named, names):
            break
    else:
        return [("row", text) for text in _row_texts(table)]
    speaker_of = dict(named)
    first_name = speaker_of.get(0)
    header = first_name is not None and names.count(first_name) == 1
    units = []
    for i, cells in enumerate(rows):
        words = CELL_SEPARATOR.join(text for text in cells[column + 1:] if text)
        name = None if header and i == 0 else speaker_of.get(i)
        if name and words:
            time = f"{cells[0]} " if column == 1 and cells[0] else ""
            units.append(("paragraph", f"{time}{cells[column]}: {words}"))
        elif words and not any(cells[:column + 1]) and units:
            units.append(("paragraph", words))  # the speaker above goes on
        elif any(cells):
            units.append(("row", CELL_SEPARATOR.join(text for text in cells if text)))
    return units


def _core_metadata(document) -> dict[str, Any]:
    props = document.core_properties
    values = {"title": props.title, "author": props.author, "created": props.created}
    return {key: v.isoformat() if isinstance(v, dt.datetime) else v for key, v in values.items() if v}
