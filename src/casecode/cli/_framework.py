"""`casecode framework`: which Innovation Framework questions each council's interviews speak to."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._app import command, fail

COVERAGE_CSV = "framework_coverage.csv"
COVERAGE_MD = "framework_coverage.md"


@command("framework")
def framework(
    files: List[Path] = typer.Argument(None, help="Transcripts to code: .txt, .md, .docx, .vtt, .srt."),
    project: Optional[Path] = typer.Option(None, "--project", "-p", help="Code this project's units instead."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: framework, or PROJECT/framework)."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Framework codebook (default: the 2016 one)."),
    model: Optional[str] = typer.Option(None, "--model", help="An installed trained spaCy pipeline."),
):
    """Code transcripts with the Local Councils' Innovation Framework and report evidence or silence per question.

    Example: casecode framework interviews/*.txt --out framework
    """
    from ..analysis import framework_coverage
    from ..codebook import read_codebook

    if bool(files) == (project is not None):
        fail("give transcript FILES or --project PROJECT (one of the two)")
    book = read_codebook(codebook or _default_codebook())
    if project is not None:
        segments, cases, names, pipeline = _project_units(project)
        if segments.empty:
            fail(f"{project}: the project has no units to code; add transcripts with 'casecode add FILES -p {project}'")
        out = out or project / "framework"
    else:
        segments, cases, names, pipeline = _file_units(files), None, {}, None
        out = out or Path("framework")
    codings = _rule_codings(book, segments, model or pipeline, cases)
    coverage = framework_coverage(codings, segments, book, None if cases is None else _coded_cases(cases, segments))
    _write(coverage, out, names)


def _write(coverage, out: Path, names: dict) -> None:
    """Write the CSV and the Markdown, and print one line per council."""
    from ..analysis import framework_markdown, framework_summary

    out.mkdir(parents=True, exist_ok=True)
    coverage.to_csv(out / COVERAGE_CSV, index=False)
    (out / COVERAGE_MD).write_text(framework_markdown(coverage, names=names), encoding="utf-8")
    for row in framework_summary(coverage).itertuples():
        silent = f"; silent: {row.silent_codes.replace('; ', ', ')}" if row.silent else ""
        typer.echo(f"{names.get(row.case_id, row.case_id)}: {row.with_evidence} of {row.questions} questions "
                   f"with evidence{silent}")
    typer.echo(f"Wrote {out / COVERAGE_CSV} and {out / COVERAGE_MD}")


def _default_codebook() -> Path:
    from ..studies._paths import study_paths

    return study_paths().framework_codebook


def _file_units(files: List[Path]):
    """Segments of the files; a unit of a file with no `case` in its front matter belongs to the file itself."""
    import pandas as pd

    from ..corpus import read_documents, segments_frame

    documents = read_documents(list(files))
    segments = pd.concat([segments_frame(doc.segments) for doc in documents], ignore_index=True)
    return _with_cases(segments)


def _project_units(path: Path):
    """The project's codable segments, its cases (for the coder's scope checks), case names and pipeline."""
    from ..store import open_project

    with open_project(path) as proj:
        segments = proj.segments(codable=True)
        cases = proj.cases()
        pipeline = proj.pipeline
    names = dict(zip(cases["case_id"], cases["name"]))
    return _with_cases(segments), cases, names, pipeline


def _with_cases(segments):
    """Give each unit attributed to no case its document as the case, so every unit is counted somewhere."""
    from ..corpus import cases_or_document

    segments = segments.copy()
    segments["cases"] = cases_or_document(segments)
    return segments


def _coded_cases(cases, segments) -> list[str]:
    """The case ids that have units, in the cases table's order, then any others the units name."""
    named = dict.fromkeys(c for t in segments["cases"] for c in t)
    known = [c for c in cases["case_id"] if c in named]
    return known + [c for c in named if c not in known]


def _rule_codings(book, segments, nlp_name, cases):
    from ..coders import RuleCoder, load_nlp

    return RuleCoder(book, load_nlp(nlp_name), cases=cases).code(segments)
