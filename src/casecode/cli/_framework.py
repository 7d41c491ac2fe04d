"""`casecode framework`: which Innovation Framework questions each council's interviews speak to."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._app import command, fail


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
    from ..analysis import framework_summary
    from ..codebook import read_codebook
    from ..store import open_project
    from ..workflow import framework_report

    if bool(files) == (project is not None):
        fail("give transcript FILES or --project PROJECT (one of the two)")
    book = read_codebook(codebook or "innovation-framework-2016")
    if project is not None:
        with open_project(project) as proj:
            report = framework_report(book, out or project / "framework", project=proj, nlp_name=model)
    else:
        report = framework_report(book, out or Path("framework"), files=files, nlp_name=model)
    for row in framework_summary(report.coverage).itertuples():
        silent = f"; silent: {row.silent_codes.replace('; ', ', ')}" if row.silent else ""
        typer.echo(f"{report.names.get(row.case_id, row.case_id)}: {row.with_evidence} of {row.questions} "
                   f"questions with evidence{silent}")
    typer.echo(f"Wrote {report.files[0]} and {report.files[1]}")
