"""Evaluating a coding of transcript files against a gold coding, at unit and case level."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..analysis import evaluate
from ..codebook import Codebook
from ..corpus import cases_or_document, read_documents, read_manifest, segments_frame
from ..corpus._text import decode_bytes
from ..errors import CasecodeError, ReviewError, warn
from ._ingest import case_ids


#: A coding CSV larger than this is refused before it is read.
MAX_CODING_BYTES = 200_000_000


def read_coding_table(path: str | Path) -> pd.DataFrame:
    """A coding CSV as strings: headers in lower case, cells stripped, `unit` 6.0 read as 6 (a spreadsheet's
    saving), and `_row`, each row's number as a spreadsheet shows it (the header is row 1). Decoded as casecode reads
    text (UTF-8, UTF-16 with a BOM, Windows-1252 with a warning); an empty file, an undecodable one and a row with
    more cells than the header are one-line errors."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_CODING_BYTES:  # bounded, as every reader is
            raise ReviewError(f"{path}: {path.stat().st_size:,} bytes is over casecode's limit of "
                              f"{MAX_CODING_BYTES:,} bytes for a coding CSV; split it by document")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReviewError(f"{path}: coding file not found") from None
    except OSError as exc:
        raise ReviewError(f"{path}: the coding file could not be read ({exc.strerror or exc}); check the path") from None
    if not data.strip():
        raise ReviewError(f"{path}: the file is empty; a coding CSV needs a header row 'document,unit,code' and a row "
                          f"per coding")
    try:
        text, _, notes = decode_bytes(data, str(path))
    except CasecodeError as exc:
        raise ReviewError(str(exc)) from None
    for note in notes:
        warn(note)
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader)]
    rows = []
    for number, cells in enumerate(reader, start=2):
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            raise ReviewError(f"{path}: row {number}: {len(cells)} cells but the header has {len(header)} columns; "
                              f"quote cells that contain commas")
        if any(cell.strip() for cell in cells):
            rows.append([number] + [cell.strip() for cell in cells[:len(header)]]
                        + [""] * (len(header) - len(cells)))
    table = pd.DataFrame(rows, columns=["_row", *header]).loc[:, lambda t: ~t.columns.duplicated()]
    if "unit" in table:
        table["unit"] = table["unit"].str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return table


def read_file_codings(path: str | Path, segments: pd.DataFrame, coder: str,
                      codes: Iterable[str] | None = None) -> pd.DataFrame:
    """A coding CSV with `document, unit, code` (as `casecode code --out` writes it, or a gold file) as codings.

    Rows with an empty code are kept out (a gold file uses them for 'no code' decisions with a note). With `codes`
    (the codebook's ids), a code outside them is an error naming its row. Rows are numbered as in a spreadsheet
    (the header is row 1); rows on units casecode does not code (an interviewer's turn) are warned about and left
    out.
    """
    table = read_coding_table(path)
    for column in ("document", "unit", "code"):
        if column not in table.columns:
            raise ReviewError(f"{path}: missing column {column!r}; a coding CSV needs document, unit and code")
    known = set(segments.segment_id)
    units_of = segments.groupby("document_id").unit.agg(["min", "max"])
    codable = set(segments.segment_id[segments.codable]) if "codable" in segments else known
    allowed = list(codes) if codes is not None else None
    rows, uncoded = [], []
    for number, document, unit, code in zip(table["_row"], table.document, table.unit, table.code):
        if not code:
            continue
        segment_id = f"{document}:{unit}"
        if segment_id not in known:
            raise ReviewError(f"{path}: row {number}: {_unknown_unit(document, unit, units_of)}")
        if allowed is not None and code not in allowed:
            raise ReviewError(f"{path}: row {number}: code {code!r} is not in the codebook; use one of: "
                              f"{', '.join(allowed)}")
        if segment_id not in codable:
            uncoded.append(number)
            continue
        rows.append({"segment_id": segment_id, "code": code, "coder": coder})
    if uncoded:
        shown = ", ".join(map(str, uncoded[:5])) + (" ..." if len(uncoded) > 5 else "")
        warn(f"{path}: {len(uncoded)} row(s) code a unit casecode does not code (an interviewer's turn or a "
             f"heading): row {shown}; they are left out of the scores")
    return pd.DataFrame(rows, columns=["segment_id", "code", "coder"])


def _unknown_unit(document: str, unit: str, units_of: pd.DataFrame) -> str:
    """Why `document`:`unit` is not a unit of the files given, and the fix."""
    from ..corpus._readers import slugify

    if document in units_of.index:
        first, last = units_of.loc[document]
        return (f"document {document!r} has units {first}-{last}, not {unit!r}; number units as casecode does "
                f"(paragraphs and turns from 1, as 'casecode code' writes them)")
    ids = list(units_of.index)
    guess = slugify(Path(document).stem if Path(document).suffix.lower() in (".txt", ".md", ".docx", ".vtt", ".srt")
                    else document)
    hint = f"write {guess!r}" if guess in ids else f"use one of: {', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}"
    return (f"document {document!r} is not one of the files given; a document is named by its file name without "
            f"the extension, in lower case ({hint})")


def evaluate_files(predicted: str | Path, gold: str | Path, files: Iterable[str | Path], codebook: Codebook,
                   manifest: str | Path | None = None):
    """Compare two coding CSVs over the codable units of `files` (and of `manifest`'s rows, as `add` reads them);
    cases come from each file's front-matter `case` or its manifest row."""
    items: list = list(files)
    if manifest is not None:
        items += read_manifest(manifest)
    if not items:
        raise ReviewError("no transcripts given; name the files both codings cover, or pass --manifest FILE")
    documents = read_documents(items)
    from ._shards import warn_same_words

    warn_same_words(documents, effect="its units count twice in every figure")
    segments = pd.concat([segments_frame(d.segments) for d in documents], ignore_index=True)
    uncased = [d.document_id for d in documents if not d.case]
    if uncased:
        warn(f"{len(uncased)} document(s) have no case ({', '.join(uncased[:5])}{' ...' if len(uncased) > 5 else ''})"
             f"; at case level each counts as a case of its own: give cases with --manifest or front matter 'case:'")
    # A document without a case is its own case, so the case level still means something.
    segments["cases"] = cases_or_document(segments, case_ids())  # 'Môn' and 'Mön' stay two cases
    units = segments[segments.codable]
    pred = read_file_codings(predicted, segments, "predicted", codebook.ids)
    gold_codings = read_file_codings(gold, segments, "gold", codebook.ids)
    for path, codings in ((predicted, pred), (gold, gold_codings)):
        unscored = list(dict.fromkeys(c for c in codings.code if c not in codebook.chart_ids))
        if unscored:  # scored per charted code only: say so rather than drop codings without a word
            n = int(codings.code.isin(unscored).sum())
            warn(f"{path}: {n} coding(s) of {', '.join(unscored)} left out of the scores: the codebook keeps "
                 f"{'that code' if len(unscored) == 1 else 'those codes'} out of its chart (in_chart: false); set "
                 f"in_chart: true in a copy of the codebook to score them")
    cases = list(dict.fromkeys(c for cs in units.cases for c in cs))
    return evaluate(pred, gold_codings, units, codebook.chart_ids, cases=cases, labels=codebook)
