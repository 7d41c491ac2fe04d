"""Review workbooks (suggested codings out to a reviewer, decisions back) and plain CSV/XLSX tables.

A review workbook has a `review` sheet, one row per suggestion, where the reviewer picks a decision (accept,
reject, recode, add) from a drop-down, and a `codes` sheet listing the valid code ids. A row with an empty
`coding_id` and decision `add` applies a code of the reviewer's own to the unit named by `document` and `unit`.
Rows are numbered as the spreadsheet shows them (the header is row 1), so an error points at the cell to fix.
"""

from __future__ import annotations

import math
import re
import zipfile
from xml.etree.ElementTree import iterparse
from pathlib import Path
from typing import Any, NoReturn

import openpyxl
import pandas as pd
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .._output import safe_cell, unneutralised, write_csv, write_file
from .._shared import paused_gc, rule_parts, whole_number
from ..codebook import Codebook
from ..corpus import speaker_label_end
from ..errors import ReviewError
from ..store._codings import DecisionProblem, check_decision
from ..store._schema import DECISIONS

#: Columns of the review sheet, in order; the reviewer fills the last four.
REVIEW_COLUMNS = [
    "coding_id", "document", "unit", "time", "speaker", "unit_text", "evidence", "code", "label", "score", "why",
    "decision", "new_code", "comment", "decided_by",
]
#: Columns of the table `read_review_workbook` returns; `row` is the spreadsheet row of the decision.
DECISION_COLUMNS = ["coding_id", "segment_id", "decision", "new_code", "comment", "decided_by", "row"]
#: What the row showed, returned beside DECISION_COLUMNS so a caller can compare it with the coding.
SHOWN_COLUMNS = ["document", "unit", "code"]
REVIEW_SHEET, CODES_SHEET, HELP_SHEET = "review", "codes", "how to review"
#: The workbook property naming the project a review workbook was written for.
PROJECT_PROPERTY = "casecode_project"

_READ_COLUMNS = ["coding_id", "document", "unit", "decision", "new_code", "comment", "decided_by"]
_OPTIONAL_COLUMNS = ["code", "unit_text"]
#: What to type instead of a formula, per column read back.
_FORMULA_EXAMPLE = {"decision": ", e.g. accept", "new_code": ", a code id from the 'codes' sheet",
                    "decided_by": ", your name", "comment": ", as plain text", "coding_id": " casecode wrote",
                    "document": " casecode wrote", "unit": " casecode wrote"}
_HEADER_SEARCH = 30  # rows searched for the header, so a note above the table does not hide it
_WIDTHS = {"coding_id": 10, "document": 18, "unit": 6, "time": 12, "speaker": 14, "unit_text": 60, "evidence": 30,
           "code": 16, "label": 24, "score": 7, "why": 36, "decision": 11, "new_code": 16, "comment": 30,
           "decided_by": 12}
_WRAPPED = {"unit_text", "evidence", "label", "why", "comment", "speaker"}
_LINE_HEIGHT, _MAX_HEIGHT = 15, 409  # points; 409 is Excel's largest row height
_SPARE_ROWS = 500  # rows below the suggestions where the drop-downs still work, for codes added by hand


def write_review_workbook(path: str | Path, suggestions: pd.DataFrame, segments: pd.DataFrame,
                          codebook: Codebook, project_id: str | None = None) -> Path:
    """Write suggestions for review: `suggestions` are codings with `coding_id` (CODING_COLUMNS + coding_id),
    `segments` (SEGMENT_COLUMNS, plus an optional `time` such as "00:01:02–00:01:05") give each suggestion's unit
    number, time, speaker and text. `project_id` is kept in the workbook's properties, so applying it to another
    project is refused.

    The workbook explains itself: notes on the headers the reviewer fills, a "how to review" sheet with an example
    of each decision, `why` in words, and a page set up to print landscape, fitted to the page width.
    """
    rows = _review_rows(suggestions, segments, codebook)
    book = openpyxl.Workbook()
    if project_id:
        book.custom_doc_props.append(StringProperty(name=PROJECT_PROPERTY, value=str(project_id)))
    review = book.active
    review.title = REVIEW_SHEET
    _write_sheet(review, rows, widths=_WIDTHS, wrapped=_WRAPPED)
    _fit_rows(review, rows)
    _header_notes(review)
    _print_setup(review)
    codes = book.create_sheet(CODES_SHEET)
    _write_sheet(codes, pd.DataFrame({"code": codebook.ids, "label": [c.label for c in codebook],
                                      "definition": [c.definition for c in codebook]}),
                 widths={"code": 16, "label": 36, "definition": 80}, wrapped={"label", "definition"})
    _print_setup(codes)
    _write_help(book.create_sheet(HELP_SHEET), codebook)
    _add_dropdowns(review, len(rows), len(codebook))
    return _save(book, path)


def read_review_workbook(path: str | Path, codebook: Codebook, reviewer: str | None = None,
                         segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The decisions of a review workbook (rows with a decision), checked, as DECISION_COLUMNS + SHOWN_COLUMNS.

    `reviewer` fills `decided_by` where the row leaves it empty. `segment_id` comes from the row's document and
    unit: looked up in `segments` when given, else `<document>:<unit>` (the transcript convention).
    Raises ReviewError naming the file, the row as the spreadsheet numbers it, and the column of the first bad cell.
    """
    return review_decisions(read_review_rows(path), codebook, reviewer, segments)


def read_review_rows(path: str | Path) -> pd.DataFrame:
    """Every row of a review workbook's table as text cells by column name (found by header, in any order), with
    `row` (the spreadsheet's row number) and, in `attrs["project_id"]`, the project it was written for.

    A formula in a column casecode reads is an error naming the row and column: a decision must be typed.
    """
    with paused_gc():
        return _read_review_rows(Path(path))


def _read_review_rows(path: Path) -> pd.DataFrame:
    header_row, header, body, project_id = _read_sheet(path)
    positions = _positions(header, path)
    rows = []
    for number, cells in body:
        values = {}
        for name, i in positions.items():
            cell = cells[i] if i < len(cells) else None
            value = None if cell is None else cell.value
            if cell is not None and cell.data_type == "f" and name in _READ_COLUMNS:
                _Row(path, number, {}).fail(name, f"holds a formula ({value}); type the value itself"
                                                  f"{_FORMULA_EXAMPLE.get(name, '')}")
            values[name] = unneutralised(value)
        if any(v is not None and str(v).strip() for v in values.values()):
            rows.append(dict(values, row=number))
    table = pd.DataFrame(rows, columns=[*positions, "row"], dtype=object)
    table.attrs.update(path=str(path), project_id=project_id)
    return table


def review_decisions(rows: pd.DataFrame, codebook: Codebook, reviewer: str | None = None,
                     segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows of `read_review_rows` that hold a decision, checked cell by cell (DECISION_COLUMNS +
    SHOWN_COLUMNS)."""
    path = Path(rows.attrs.get("path", "review.xlsx"))
    lookup = _unit_lookup(segments)
    decisions: list[dict[str, Any]] = []
    first_row: dict[int, int] = {}
    for values in rows.to_dict("records"):
        row = _Row(path, int(values.pop("row")), {k: (None if _missing(v) else v) for k, v in values.items()})
        if not row.text("decision"):
            continue
        decision = _decision(row, codebook, reviewer, segments, lookup)
        if decision["coding_id"] is not None:
            if decision["coding_id"] in first_row:
                row.fail("coding_id", f"{decision['coding_id']} is decided again (first on row "
                                      f"{first_row[decision['coding_id']]}); keep one decision per suggestion")
            first_row[decision["coding_id"]] = row.number
        decisions.append(decision)
    table = pd.DataFrame(decisions, columns=DECISION_COLUMNS + SHOWN_COLUMNS)
    table["coding_id"] = table["coding_id"].astype("Int64")
    table["row"] = table["row"].astype(int)
    table.attrs.update(rows.attrs)
    return table


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame (index not written) as CSV or XLSX, chosen by the file's extension; text cells that a
    spreadsheet would run as formulas are neutralised (see `casecode._output.safe_cell`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(frame, path)
    if suffix == ".xlsx":
        book = openpyxl.Workbook()
        _write_sheet(book.active, frame)
        return _save(book, path)
    raise ReviewError(f"{path}: cannot write a table as {suffix or 'a file without extension'!r}; "
                      f"name the file .csv or .xlsx")


class _Row:
    """One spreadsheet row being read: its cells by column name, and errors that point at a cell."""

    def __init__(self, path: Path, number: int, cells: dict[str, Any]):
        self.path, self.number, self.cells = path, number, cells

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        return "" if value is None else str(value).strip()

    def fail(self, column: str, problem: str) -> NoReturn:
        raise ReviewError(f"{self.path}: row {self.number}, column {column!r}: {problem}")


def _decision(row: _Row, codebook: Codebook, reviewer: str | None, segments: pd.DataFrame | None,
              lookup: dict | None = None) -> dict:
    """One row that holds a decision, as a DECISION_COLUMNS + SHOWN_COLUMNS dict. The decision's own cells are checked
    by the store's rules (`check_decision`, the one home of the decision vocabulary); this only turns cells into a
    row and finds its unit."""
    try:
        checked = check_decision(
            row.cells.get("decision"), row.cells.get("coding_id"), row.cells.get("new_code"),
            row.text("decided_by") or (reviewer or ""), codebook.ids, codes_from=f"the {CODES_SHEET!r} sheet",
            codebook=codebook.name, who="write who decided, or pass --reviewer NAME (reviewer= from Python)",
        )
    except DecisionProblem as problem:
        row.fail(problem.column, problem.problem)
    return {
        "coding_id": checked["coding_id"],
        "segment_id": _segment_id(row, segments, required=checked["decision"] == "add", lookup=lookup),
        "decision": checked["decision"],
        "new_code": checked["new_code"],
        "comment": row.text("comment"),
        "decided_by": checked["decided_by"],
        "row": row.number,
        "document": row.text("document"),
        "unit": whole_number(row.cells.get("unit")),
        "code": row.text("code"),
    }


def _unit_lookup(segments: pd.DataFrame | None) -> dict | None:
    """(document, unit) → segment_id, and the documents present: one dict lookup per row, not a scan."""
    if segments is None:
        return None
    units = dict(zip(zip(segments["document_id"], segments["unit"].astype(int)), segments["segment_id"]))
    return {"units": units, "documents": set(segments["document_id"])}


def _segment_id(row: _Row, segments: pd.DataFrame | None, required: bool, lookup: dict | None = None) -> str:
    """The segment a row names by document and unit ("" when it names none and need not)."""
    document, unit_text = row.text("document"), row.text("unit")
    if not document or not unit_text:
        if required:
            row.fail("document" if not document else "unit",
                     "empty; an added code needs the document and the unit it applies to")
        return ""
    unit = whole_number(row.cells["unit"])
    if unit is None:
        row.fail("unit", f"{row.cells['unit']!r} is not a unit number; write the number shown in the 'unit' column")
    if segments is None:
        return f"{document}:{unit}"
    lookup = lookup or _unit_lookup(segments)
    found = lookup["units"].get((document, unit))
    if found is None:
        column = "unit" if document in lookup["documents"] else "document"
        row.fail(column, f"document {document!r} has no unit {unit}; copy document and unit from a suggestion row")
    return str(found)


#: A workbook's parts may inflate to at most this much each, and this many times their compressed size (beyond 1 MB).
_MAX_PART_BYTES, _MAX_PART_RATIO = 512 * 2**20, 200


def _check_package(path: Path) -> None:
    """Refuse a workbook whose parts would inflate without bound (a ZIP bomb) before anything reads them: the sizes
    checked are the ones the ZIP declares, and Python's zipfile never inflates a part beyond its declared size."""
    try:
        with zipfile.ZipFile(path) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # not a ZIP, or not there: openpyxl's own error says so
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _MAX_PART_BYTES or (part.file_size > 2**20 and ratio > _MAX_PART_RATIO):
            raise ReviewError(f"{path}: part {part.filename!r} inflates to {part.file_size // 2**20} MB "
                              f"({ratio:.0f} times its compressed size); refused as a possible ZIP bomb — save the "
                              f"review again from Excel or LibreOffice as .xlsx")


def _read_sheet(path: Path) -> tuple[int, tuple, list[tuple[int, tuple]], str | None]:
    """The review sheet (or the first sheet, if it was renamed): header row number, header values, the rows below
    it as (spreadsheet row number, cells), and the project id the workbook was written for."""
    _check_package(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except FileNotFoundError:
        raise ReviewError(f"{path}: review workbook not found; check the path") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError):
        raise ReviewError(f"{path}: not an Excel workbook (.xlsx); save the review from Excel or LibreOffice "
                          f"as .xlsx") from None
    except Exception as exc:  # a damaged or hostile package
        raise ReviewError(f"{path}: the workbook could not be read ({type(exc).__name__}); save it again from Excel "
                          f"or LibreOffice as .xlsx") from None
    try:
        project_id = next((str(p.value) for p in book.custom_doc_props if p.name == PROJECT_PROPERTY), None)
        sheet = book[REVIEW_SHEET] if REVIEW_SHEET in book.sheetnames else book.worksheets[0]
        # Numbered from row 1 whatever the sheet's first filled row, so numbers match the spreadsheet's.
        rows = _plain_rows(book, sheet)
        if rows is None:
            rows = [(number, tuple(cells)) for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1)]
    finally:
        book.close()
    for number, cells in rows[:_HEADER_SEARCH]:
        names = {_name(cell.value) for cell in cells}
        if "decision" in names and "coding_id" in names:
            header = tuple(cell.value for cell in cells)
            return number, header, [r for r in rows if r[0] > number], project_id
    header = tuple(cell.value for cell in rows[0][1]) if rows else ()
    return 1, header, rows[1:], project_id


class _Cell:
    """A cell as reading needs it: its value and openpyxl's data type ('s', 'n', 'b', 'e', 'inlineStr')."""

    __slots__ = ("value", "data_type")

    def __init__(self, value: Any, data_type: str):
        self.value, self.data_type = value, data_type


class _NotPlain(Exception):
    """A cell `_plain_rows` leaves to openpyxl (a formula, a date, a type it does not read)."""


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE = (_MAIN + tag for tag in ("row", "c", "v", "f", "is"))
_COLUMN_OF: dict[str, int] = {}  # column letters -> number


def _plain_rows(book, sheet) -> list[tuple[int, tuple]] | None:
    """The rows `sheet.iter_rows(min_row=1)` gives, numbered from 1, read straight from the sheet's XML: openpyxl's
    read-only reader builds each cell through several layers of Python objects (most of the time of reading a
    review workbook). Only plain cells are read so (numbers, booleans, errors, text inline or shared); None when
    the sheet holds anything else (a formula, a date, a cell type not known here) or does not read, and then
    openpyxl reads it, so what comes back is what openpyxl gives. Below the header row, only the cells of the
    columns reading uses are read (the others come back empty)."""
    try:
        source, strings, dates = sheet._get_source, sheet._shared_strings, book._date_formats
        width, last = sheet.max_column, sheet.max_row
        with source() as stream:
            return list(enumerate(_sheet_rows(stream, strings, dates, width, last), start=1))
    except Exception:  # openpyxl reads it, as before, with its own errors
        return None


def _sheet_rows(stream, strings: list, dates: set, width: int | None, last: int | None) -> list[tuple]:
    """The rows of a sheet as openpyxl's read-only worksheet gives them (`_cells_by_row`: padded to the sheet's
    dimension, a missing row empty, a row out of order dropped), each a tuple of cells."""
    empty = (EMPTY_CELL,) * width if width is not None else ()
    rows: list[tuple] = []
    wanted: set[int] | None = None  # column numbers read below the header, once it is found
    number = index = 0
    for _, element in iterparse(stream):
        if element.tag != _ROW:
            continue
        given = element.get("r")
        if given is None:
            index += 1
        else:
            try:
                index = int(given)
            except ValueError:
                whole = float(given)
                if not whole.is_integer():
                    raise _NotPlain(given) from None
                index = int(whole)
        if last is not None and index > last:
            rows.extend(empty for _ in range(number + 1, last + 1))
            return rows
        if index <= number:  # out of order: openpyxl drops it
            element.clear()
            continue
        rows.extend(empty for _ in range(number + 1, index))
        number = index
        cells = _row_cells(element, strings, dates, wanted)
        element.clear()
        row = _padded(cells, width)
        rows.append(row)
        if wanted is None and number <= _HEADER_SEARCH:
            names = [_name(cell.value) for cell in row]
            if "decision" in names and "coding_id" in names:
                wanted = {names.index(c) + 1 for c in _READ_COLUMNS + _OPTIONAL_COLUMNS if c in names}
    return rows


def _row_cells(element, strings: list, dates: set, wanted: set[int] | None) -> list[tuple[int, Any]]:
    """(column, cell) for each cell of a row element, as openpyxl's WorkSheetParser reads them; cells outside
    `wanted` (when given) are skipped."""
    cells = []
    column = 0
    for cell in element:
        if cell.tag != _CELL:
            raise _NotPlain(cell.tag)
        coordinate = cell.get("r")
        column = _column(coordinate) if coordinate else column + 1
        if wanted is not None and column not in wanted:
            continue
        if cell.find(_FORMULA) is not None:
            raise _NotPlain("a formula")
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            value, kind = (None, kind) if inline is None else (_text_content(inline), "s")
        else:
            value = cell.findtext(_VALUE, None) or None
            if value is None:
                pass
            elif kind == "s":
                value = strings[int(value)]
            elif kind == "n":
                style = cell.get("s", 0)
                if (int(style) if style else 0) in dates:
                    raise _NotPlain("a date")
                value = float(value) if "." in value or "E" in value or "e" in value else int(value)
            elif kind == "b":
                value = bool(int(value))
            elif kind == "str":
                kind = "s"
            elif kind != "e":
                raise _NotPlain(kind)
        cells.append((column, EMPTY_CELL if value is None and kind == "n" else _Cell(value, kind)))
    return cells


def _padded(cells: list[tuple[int, Any]], width: int | None) -> tuple:
    if not cells and not width:
        return ()
    width = width or cells[-1][0]
    row: list = [EMPTY_CELL] * width
    for column, cell in cells:
        if 1 <= column <= width:
            row[column - 1] = cell
    return tuple(row)


def _column(coordinate: str) -> int:
    """The column number of a cell reference such as 'AB12'."""
    letters = coordinate.rstrip("0123456789")
    found = _COLUMN_OF.get(letters)
    if found is None:
        if not letters.isalpha() or not coordinate[len(letters):].isdigit():
            raise _NotPlain(coordinate)
        found = _COLUMN_OF[letters] = coordinate_to_tuple(coordinate)[1]
    return found


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text_content(node) -> str:
    """A text element's text without formatting, as openpyxl's `Text.content`: its `t`, then each run's `t`."""
    plain, runs = None, []
    for child in node:
        name = _local(child.tag)
        if name == "t":
            plain = child.text
        elif name == "r":
            run = None
            for part in child:
                if _local(part.tag) == "t":
                    run = part.text
                elif _local(part.tag) != "rPr":
                    raise _NotPlain(part.tag)
            if run is not None:
                runs.append(run)
        elif name not in ("rPh", "phoneticPr"):
            raise _NotPlain(child.tag)
    return "".join(([plain] if plain is not None else []) + runs)


def _name(value: Any) -> str:
    return str(value).strip().lower() if value is not None else ""


def _positions(header: tuple, path: Path) -> dict[str, int]:
    """Column name → position for the columns reading needs; a missing one is an error naming it."""
    names = [_name(cell) for cell in header]
    for column in _READ_COLUMNS:
        if column not in names:
            raise ReviewError(f"{path}: the {REVIEW_SHEET!r} sheet has no column {column!r} in its header row; "
                              f"restore the header casecode wrote ({', '.join(REVIEW_COLUMNS)})")
    return {column: names.index(column) for column in _READ_COLUMNS + _OPTIONAL_COLUMNS if column in names}


def _review_rows(suggestions: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The review sheet's rows, in document and unit order, decision columns empty."""
    units = segments.set_index("segment_id")
    missing = suggestions.loc[~suggestions["segment_id"].isin(units.index)]
    if len(missing):
        first = missing.iloc[0]
        raise ReviewError(f"suggestion {first['coding_id']} names segment {first['segment_id']!r}, which the segments "
                          f"given lack; pass the segments of the coded documents")
    unit = units.loc[suggestions["segment_id"]]
    labels, notes = codebook.labels(), _pattern_notes(codebook)
    patterns = suggestions["pattern"] if "pattern" in suggestions.columns else pd.Series([""] * len(suggestions))
    evidence = [_shown_evidence(str(ev), str(rule), str(text), speaker, pattern)
                for ev, rule, text, speaker, pattern in zip(suggestions["evidence"], suggestions["rule"], unit["text"],
                                                            unit["speaker"], patterns)]
    times = unit["time"] if "time" in unit.columns else pd.Series([""] * len(unit))
    rows = pd.DataFrame({
        "coding_id": suggestions["coding_id"].to_numpy(),
        "document": suggestions["document_id"].to_numpy(),
        "unit": unit["unit"].to_numpy(),
        "time": [None if _missing(t) or not t else str(t) for t in times],
        "speaker": unit["speaker"].to_numpy(),
        "unit_text": unit["text"].to_numpy(),
        "evidence": evidence,
        "code": suggestions["code"].to_numpy(),
        "label": [labels.get(code, code) for code in suggestions["code"]],
        "score": [None if _missing(s) else round(float(s), 2) for s in suggestions["score"]],
        "why": [why_in_words(rule, ev, notes, pattern)
                for rule, ev, pattern in zip(suggestions["rule"], suggestions["evidence"], patterns)],
        "start": suggestions["start"].to_numpy(),
    })
    rows = rows.sort_values(["document", "unit", "start"], kind="stable").drop(columns="start")
    for column in ("decision", "new_code", "comment", "decided_by"):
        rows[column] = None
    return rows[REVIEW_COLUMNS]


def _pattern_notes(codebook: Codebook) -> dict[str, str]:
    """Pattern id → the note its author wrote (what the pattern is for), for the `why` column."""
    return {code.pattern_id(i): pattern.note for code in codebook for i, pattern in enumerate(code.patterns)
            if pattern.note}


_SCOPE_WORDS = [  # a scope check's note (see casecode.coders) → the same in words
    (re.compile(r"^hedged: (.*)$"), "hedged by {0}"),
    (re.compile(r"^double negation, kept: (.*)$"), "kept despite a double negation ({0})"),
    (re.compile(r"^question$"), "said as a question"),
    (re.compile(r"^below min_score (.*)$"), "a weak match"),
]


def why_in_words(rule: Any, evidence: Any, notes: dict[str, str] | None = None, pattern: Any = "") -> str:
    """A coding's `rule` told in words: "matched 'ring-fenced budget'; hedged by 'a bit'", "the learned model is
    93% sure, from the words 'fund', 'budget'" — not pattern syntax. `pattern` is the coding's own column."""
    parts = rule_parts(rule, pattern)
    notes = notes or {}
    said = []
    if parts.pattern or parts.text:
        words = f"matched {str(evidence).strip()!r}" if not _missing(evidence) and str(evidence).strip() else \
            "matched a phrase of the codebook"
        if notes.get(parts.pattern):
            words += f" ({notes[parts.pattern]})"
        for note in parts.notes:
            words += "; " + _scope_words(note)
        said.append(words)
    if parts.model:
        said.append(_model_words(parts.p, parts.terms, alone=not said))
    return "; ".join(said)


def _model_words(p: float | None, terms: list[str], alone: bool) -> str:
    sure = f"{p:.0%} sure" if p is not None else "sure enough"
    if not alone:
        return f"the learned model agrees ({sure})"
    shown = ", ".join(repr(_plain_term(t)) for t in terms)
    return (f"no phrase of the codebook matched; the learned model is {sure} from the whole turn"
            + (f", most of all from the words {shown} (the evidence is the sentence holding most of them)"
               if shown else ""))


def _plain_term(term: str) -> str:
    """A model feature as a reader would say it: scope marks (neg_fund, irr_fund) and underscores dropped."""
    return re.sub(r"^(?:neg|irr)_", "", term).replace("_", " ")


def _scope_words(note: str) -> str:
    for pattern, words in _SCOPE_WORDS:
        found = pattern.match(note)
        if found:
            return words.format(*found.groups())
    return note


_SENTENCE_RE = re.compile(r"[^.!?]+(?:[.!?]+[\"'”’)]*|$)")


def _shown_evidence(evidence: str, rule: str, unit_text: str, speaker: Any, pattern: Any = "") -> str:
    """The evidence to show: a rule's span as it is; for a model-only suggestion (whose span is the whole turn),
    the sentence of the turn, without its speaker label, that holds most of the model's top words."""
    parts = rule_parts(rule, pattern)
    if parts.pattern or parts.text or not parts.model:
        return evidence
    text = unit_text[speaker_label_end(unit_text, "" if _missing(speaker) else str(speaker)):]
    sentences = [m.group().strip() for m in _SENTENCE_RE.finditer(text) if m.group().strip()]
    if not sentences:
        return evidence
    terms = [_plain_term(t).lower() for t in parts.terms]

    def weight(sentence: str) -> int:
        lowered = sentence.lower()
        return sum(1 for term in terms if term and (term in lowered or term[:5] in lowered))

    return max(sentences, key=weight)  # the first sentence on a tie


def _add_dropdowns(sheet, n_rows: int, n_codes: int) -> None:
    """Drop-downs on `decision` and `new_code`, over the suggestions and spare rows below them."""
    last = n_rows + 1 + _SPARE_ROWS
    choices = {
        "decision": f'"{",".join(DECISIONS)}"',
        "new_code": f"{CODES_SHEET}!$A$2:$A${n_codes + 1}",
    }
    for column, formula in choices.items():
        letter = get_column_letter(REVIEW_COLUMNS.index(column) + 1)
        check = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                               errorTitle=f"Not a {column}", error=f"Pick a {column} from the list.")
        check.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(check)


_HEADER_NOTES = {
    "decision": "Pick accept (the code is right), reject (it is wrong), recode (a different code: write it in "
                "new_code) or add (a code of your own: a new row with coding_id empty). Leave it empty to decide later.",
    "new_code": "For recode and add only: a code id from the 'codes' sheet.",
    "decided_by": "Your name. One workbook is one reviewer; an empty cell is read as the reviewer named when the "
                  "workbook is applied (casecode review --apply FILE --reviewer NAME).",
    "why": "Why casecode suggested the code, in words.",
    "time": "Where the unit starts and ends in the recording (subtitle files only).",
}


def _header_notes(sheet) -> None:
    """A note on each header the reviewer needs to understand, shown when the cell is hovered."""
    for i, column in enumerate(REVIEW_COLUMNS, start=1):
        if column in _HEADER_NOTES:
            note = Comment(_HEADER_NOTES[column], "casecode")
            note.width, note.height = 300, 120
            sheet.cell(row=1, column=i).comment = note


def _fit_rows(sheet, rows: pd.DataFrame) -> None:
    """Row heights that show every wrapped line, so printed and on-screen rows never overlap."""
    wrapped = [(REVIEW_COLUMNS.index(c), _WIDTHS[c]) for c in REVIEW_COLUMNS if c in _WRAPPED]
    for n, values in enumerate(rows.itertuples(index=False), start=2):
        lines = max(sum(max(1, math.ceil(len(part) / max(width - 1, 1))) for part in str(values[i] or "").split("\n"))
                    for i, width in wrapped)
        sheet.row_dimensions[n].height = min(_MAX_HEIGHT, _LINE_HEIGHT * max(1, lines))


def _print_setup(sheet) -> None:
    """Landscape, fitted to one page wide (as many pages tall as needed), header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True


def _write_help(sheet, codebook: Codebook) -> None:
    """The 'how to review' sheet: what each decision does, with an example row of each."""
    code, other = (codebook.ids + ["code", "other_code"])[:2] if len(codebook.ids) >= 2 else ("code", "other_code")
    lines = [
        "How to review these suggestions",
        "",
        "Each row of the 'review' sheet is one code that casecode suggests for one unit (a paragraph or a speaker's "
        "turn). 'evidence' is the words that carried the suggestion and 'why' says why, in words.",
        "Fill the four columns on the right: decision, new_code, comment and decided_by. Leave a row's decision empty "
        "to decide it in a later round; nothing is recorded for it.",
        "  accept: the code is right for this unit.",
        "  reject: the code is wrong for this unit.",
        "  recode: the unit needs a different code: write its id in new_code (see the 'codes' sheet).",
        "  add: a code casecode did not suggest: add a row at the bottom, leave coding_id empty, copy document and "
        "unit from the unit's rows, and write the code in new_code.",
        "Write your name in decided_by (one workbook per reviewer), then save and run: "
        "casecode review --apply THIS_FILE.xlsx --reviewer \"Your Name\" -p PROJECT",
        "Applying the same workbook again records nothing twice. Do not change coding_id, document or unit.",
        "",
        "Examples (one row of each decision):",
    ]
    for line in lines:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    header = ["coding_id", "document", "unit", "code", "decision", "new_code", "comment", "decided_by"]
    examples = [
        [101, "fenmoor-ceo", 4, code, "accept", None, None, "Ana Diaz"],
        [102, "fenmoor-ceo", 6, code, "reject", None, "talks about another council", "Ana Diaz"],
        [103, "fenmoor-ceo", 7, code, "recode", other, "this is about the other action", "Ana Diaz"],
        [None, "fenmoor-ceo", 9, None, "add", other, "missed by casecode", "Ana Diaz"],
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
    for example in examples:
        sheet.append(example)
    sheet.column_dimensions["A"].width = 14
    for letter, width in zip("BCDEFGH", (16, 6, 16, 10, 14, 32, 12)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=1, max_row=len(lines)):
        row[0].alignment = Alignment(wrap_text=False, vertical="top")
    _print_setup(sheet)


def _write_sheet(sheet, frame: pd.DataFrame, widths: dict[str, int] | None = None,
                 wrapped: set[str] = frozenset()) -> None:
    """Write `frame` to a worksheet: bold frozen header with a filter, widths (given or fitted), wrapped columns."""
    header, rows = _table_rows(frame)
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for i, column in enumerate(header, start=1):
        letter = get_column_letter(i)
        width = (widths or {}).get(column) or _fitted_width(column, frame.iloc[:, i - 1])
        sheet.column_dimensions[letter].width = width
        if column in wrapped:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _table_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows of a table as plain cell values, shared by the CSV and XLSX writers."""
    header = [safe_cell(str(column)) for column in frame.columns]
    rows = [[safe_cell(_cell(value)) for value in values] for values in frame.itertuples(index=False)]
    return header, rows


def _cell(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, (tuple, list, set)):
        return "; ".join(str(v) for v in value)
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def _fitted_width(name: str, values: pd.Series) -> int:
    longest = max([len(name)] + [len(str(v)) for v in values.head(200)])
    return min(max(longest + 2, 8), 60)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _save(book, path: str | Path) -> Path:
    return write_file(path, book.save)
