"""The corpus manifest: a CSV naming each document file and its metadata (case, interviewee, date ...)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..errors import CorpusError, warn
from ._text import read_text_file

#: Columns a manifest may have; `file` is required. `council` is read as `case` too.
MANIFEST_COLUMNS = ["file", "case", "council", "interviewee", "role", "date", "interviewer", "document_id", "title",
                    "case_type"]


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    """One dict per row: the non-empty cells by column, plus `path`, the file resolved from the manifest's folder.

    Rows are numbered as in a spreadsheet (the header is row 1); blank rows are skipped. The file is decoded as a
    transcript is (UTF-8, UTF-16 with a BOM, Windows-1252 with a warning naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: manifest not found; give the path of a CSV with a 'file' column")
    # Excel saves CSV as Windows-1252 or UTF-8 with a BOM
    text, _, notes = read_text_file(path, "the manifest is empty; give it a header row (file, case, ...) and a row a "
                                          "document")
    for note in notes:
        warn(note)
    lines = text.splitlines()
    first = lines[0] if lines else ""
    # Excel in much of Europe saves CSV with ';' between cells, and some tools write tabs.
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(lines, delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    _check_header(path, header)
    rows = []
    named: dict[Path, int] = {}  # each file's first row
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise CorpusError(
                f"{path}: row {number}: {len(cells)} cells but the header has {len(header)} columns; "
                "quote cells that contain commas"
            )
        row = {col: cell.strip() for col, cell in zip(header, cells) if cell.strip()}
        if "" in row:
            raise CorpusError(f"{path}: row {number}: a value {row['']!r} sits in a column with no header; name it")
        row = _resolved(path, number, row)
        first = named.setdefault(row["path"].resolve(), number)
        if first != number:
            raise CorpusError(f"{path}: rows {first} and {number} both name {row['file']!r}; name each file once "
                              f"(delete one of the rows)")
        rows.append(row)
    if not rows:
        raise CorpusError(f"{path}: no rows below the header; add a row for each document (its file, case, ...)")
    return rows


def _check_header(path: Path, header: list[str]) -> None:
    for col in header:
        if not col:
            continue  # a trailing comma from a spreadsheet; a value under it is caught row by row
        if col not in MANIFEST_COLUMNS:
            raise CorpusError(
                f"{path}: unknown column '{col}' in the header; allowed: {', '.join(MANIFEST_COLUMNS)}"
            )
        if header.count(col) > 1:
            raise CorpusError(f"{path}: column '{col}' appears twice in the header; keep one")
    if "file" not in header:
        raise CorpusError(f"{path}: no 'file' column in the header; add one naming each document's file")


def _resolved(path: Path, number: int, row: dict[str, Any]) -> dict[str, Any]:
    name = row.get("file")
    if not name:
        raise CorpusError(f"{path}: row {number}: the 'file' cell is empty; name the document's file")
    file = Path(name) if Path(name).is_absolute() else path.parent / name
    if not file.is_file() and "\\" in name and "/" not in name:  # a manifest written on Windows: folder\file.txt
        alternative = path.parent / name.replace("\\", "/")
        file = alternative if alternative.is_file() else file
    if not file.is_file():
        raise CorpusError(
            f"{path}: row {number}: file '{name}' not found (relative paths are read from the manifest's folder)"
        )
    if "council" in row:
        row.setdefault("case", row["council"])
    row["path"] = file
    return row
