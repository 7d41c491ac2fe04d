"""Review: suggestions out to a workbook and HTML views, decisions back into the store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..interop import read_review_workbook, write_review_workbook
from ..reports import write_transcript_html


def write_review(project, workbook: str | Path, html_dir: str | Path | None = None) -> dict:
    """Write the pending suggestions to `workbook` (XLSX) and one highlighted HTML page per coded document."""
    suggestions = project.codings(status="suggested")
    segments = project.segments()
    codebook = project.codebook()
    path = write_review_workbook(workbook, suggestions, segments, codebook)
    pages = []
    if html_dir is not None:
        shown = project.codings(status=["suggested", "accepted", "manual"])
        for document_id in sorted(set(shown.document_id)):
            pages.append(write_transcript_html(
                project.document_text(document_id),
                segments[segments.document_id == document_id],
                shown[shown.document_id == document_id],
                codebook,
                Path(html_dir) / f"{document_id}.html",
                title=document_id,
            ))
    return {"workbook": path, "suggestions": len(suggestions), "pages": pages}


def apply_review(project, workbook: str | Path, reviewer: str | None = None) -> pd.DataFrame:
    """Read the decisions in `workbook` and record them, all or nothing; returns the decisions recorded."""
    decisions = read_review_workbook(workbook, project.codebook(), reviewer=reviewer, segments=project.segments())
    if decisions.empty:
        return decisions
    decisions = decisions.assign(source=str(workbook), decided_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    project.record_decisions(decisions.drop(columns=["row"]))
    return decisions
