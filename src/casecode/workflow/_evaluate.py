"""Evaluating a coding of transcript files against a gold coding, at unit and case level."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from ..analysis import evaluate
from ..codebook import Codebook
from ..corpus import cases_or_document, read_documents, read_manifest, segments_frame
from ..errors import ReviewError, warn
from ._ingest import case_id_for


def read_file_codings(path: str | Path, segments: pd.DataFrame, coder: str) -> pd.DataFrame:
    """A coding CSV with `document, unit, code` (as `casecode code --out` writes it, or a gold file) as codings.

    Rows with an empty code are kept out (a gold file uses them for 'no code' decisions with a note).
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ReviewError(f"{path}: coding file not found") from None
    for column in ("document", "unit", "code"):
        if column not in table.columns:
            raise ReviewError(f"{path}: missing column {column!r}; a coding CSV needs document, unit and code")
    table = table[table.code.str.strip() != ""]
    known = set(segments.segment_id)
    rows = []
    for number, row in zip(table.index + 2, table.itertuples()):
        segment_id = f"{row.document}:{row.unit}"
        if segment_id not in known:
            raise ReviewError(f"{path}: row {number}: document {row.document!r} unit {row.unit!r} is not a unit of "
                              f"the files given; check the file names and the paragraph numbering")
        rows.append({"segment_id": segment_id, "code": row.code.strip(), "coder": coder})
    return pd.DataFrame(rows, columns=["segment_id", "code", "coder"])


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
    segments = pd.concat([segments_frame(d.segments) for d in documents], ignore_index=True)
    uncased = [d.document_id for d in documents if not d.case]
    if uncased:
        warn(f"{len(uncased)} document(s) have no case ({', '.join(uncased[:5])}{' ...' if len(uncased) > 5 else ''})"
             f"; at case level each counts as a case of its own: give cases with --manifest or front matter 'case:'")
    # A document without a case is its own case, so the case level still means something.
    segments["cases"] = cases_or_document(segments, case_id_for)
    units = segments[segments.codable]
    pred = read_file_codings(predicted, segments, "predicted")
    gold_codings = read_file_codings(gold, segments, "gold")
    cases = list(dict.fromkeys(c for cs in units.cases for c in cs))
    return evaluate(pred, gold_codings, units, codebook.chart_ids, cases=cases, labels=codebook)
