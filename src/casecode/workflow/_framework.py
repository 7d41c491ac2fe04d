"""Which Innovation Framework questions each council's interviews speak to: from files or from a project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from .._output import write_csv, write_text
from ..codebook import Codebook
from ..errors import StoreError, warn

COVERAGE_CSV = "framework_coverage.csv"
COVERAGE_MD = "framework_coverage.md"


@dataclass
class FrameworkReport:
    """What `framework_report` found and wrote: coverage per (case, question), case names, the files written."""

    coverage: pd.DataFrame
    names: dict
    files: list[Path]


def framework_report(codebook: Codebook, out: str | Path, files: Iterable[str | Path] | None = None,
                     project=None, nlp_name: str | None = None) -> FrameworkReport:
    """Code `files` (or an open `project`'s units) with the framework codebook's rules; write the coverage table
    (CSV) and its Markdown to `out`. A unit of a file with no `case` belongs to its document."""
    from ..analysis import framework_coverage, framework_markdown
    from ..coders import RuleCoder, load_nlp
    from ..corpus import cases_or_document, read_documents, segments_frame

    if project is not None:
        segments, cases = project.segments(codable=True), project.cases()
        if segments.empty:
            raise StoreError(f"{project.path}: the project has no units to code; add transcripts with "
                             f"'casecode add FILES -p {project.path}'")
        names, pipeline = dict(zip(cases["case_id"], cases["name"])), nlp_name or project.pipeline
    else:
        from ._shards import warn_same_words

        documents = read_documents(list(files or []))
        for note in (note for doc in documents for note in doc.warnings):
            warn(note)  # as `casecode code FILES` says them: no interviewer named, read as Windows-1252 ...
        warn_same_words(documents)
        segments = pd.concat([segments_frame(doc.segments) for doc in documents], ignore_index=True)
        cases, names, pipeline = None, {}, nlp_name
    segments = segments.copy()
    segments["cases"] = cases_or_document(segments)
    codings = RuleCoder(codebook, load_nlp(pipeline), cases=cases).code(segments)
    coverage = framework_coverage(codings, segments, codebook,
                                  None if cases is None else _coded_cases(cases, segments))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(coverage, out / COVERAGE_CSV)
    write_text(out / COVERAGE_MD, framework_markdown(coverage, names=names))
    return FrameworkReport(coverage, names, [out / COVERAGE_CSV, out / COVERAGE_MD])


def _coded_cases(cases: pd.DataFrame, segments: pd.DataFrame) -> list[str]:
    """The case ids that have units, in the cases table's order, then any others the units name."""
    named = dict.fromkeys(c for t in segments["cases"] for c in t)
    known = [c for c in cases["case_id"] if c in named]
    return known + [c for c in named if c not in known]
