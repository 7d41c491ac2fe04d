"""Review: suggestions out to a workbook and HTML views, decisions back into the store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ReviewError
from .._output import confined
from ..interop import read_review_workbook, write_review_workbook
from ..reports import write_transcript_html

_SOMEONE = "(not named)"  # stands for an empty decided_by while a workbook is only checked


def clock(seconds: float) -> str:
    """Seconds as hh:mm:ss, the way a media player shows a position."""
    whole = int(float(seconds))  # floor, as a player shows the second a moment falls in
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def unit_times(project) -> dict[str, str]:
    """Segment id → "hh:mm:ss–hh:mm:ss" for units read from .vtt/.srt subtitles (the cue timings kept on add)."""
    times = {}
    for metadata in project.documents().metadata:
        for entry in (metadata or {}).get("timings") or []:
            segment_id, start, end = entry
            times[str(segment_id)] = f"{clock(start)}–{clock(end)}"
    return times


def with_times(project, segments: pd.DataFrame) -> pd.DataFrame:
    """`segments` with a `time` column: the unit's place in the recording, or "" for units of text files."""
    times = unit_times(project)
    return segments.assign(time=[times.get(s, "") for s in segments.segment_id])


def unapplied_decisions(project, workbook: str | Path) -> pd.DataFrame:
    """The decisions in an existing review workbook that the project has not recorded (DECISION_COLUMNS).

    A decision counts as applied when the history holds the same decision on the same suggestion (with the same
    new code for a recode), or, for an added code, an `add` of that code to that unit.
    """
    decisions = read_review_workbook(workbook, project.codebook(), reviewer=_SOMEONE, segments=project.segments())
    history = project.decisions()
    done = {(int(h.coding_id) if pd.notna(h.coding_id) else None, h.segment_id if pd.isna(h.coding_id) else "",
             h.decision, (h.new_code or "") if h.decision in ("recode", "add") else "")
            for h in history.itertuples()}
    for h in history[history.decision == "add"].itertuples():  # an add stores its code in `code`
        done.add((None, h.segment_id, "add", h.code))
    keys = [(None if pd.isna(d.coding_id) else int(d.coding_id), d.segment_id if pd.isna(d.coding_id) else "",
             d.decision, d.new_code if d.decision in ("recode", "add") else "") for d in decisions.itertuples()]
    return decisions[[key not in done for key in keys]].reset_index(drop=True)


def _check_overwrite(project, workbook: Path) -> None:
    """Refuse to replace a workbook that holds decisions the project has not recorded yet."""
    if not workbook.exists():
        return
    try:
        pending = unapplied_decisions(project, workbook)
    except ReviewError as exc:
        raise ReviewError(f"{workbook} already exists and does not read as an applied review ({exc}); move it, "
                          f"write the new workbook elsewhere with --out, or pass --force to replace it") from None
    if len(pending):
        raise ReviewError(f"{workbook} holds {len(pending)} decision(s) not yet applied (first on row "
                          f"{int(pending.row.iloc[0])}); apply them first (casecode review --apply {workbook}), "
                          f"write the new workbook elsewhere with --out, or pass --force to replace it")


def write_review(project, workbook: str | Path, html_dir: str | Path | None = None, force: bool = False) -> dict:
    """Write the pending suggestions to `workbook` (XLSX) and one highlighted HTML page per coded document.

    An existing workbook holding decisions not yet applied is never replaced, unless `force`.
    """
    if not force:
        _check_overwrite(project, Path(workbook))
    suggestions = project.codings(status="suggested")
    segments = with_times(project, project.segments())
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
                confined(html_dir, document_id, ".html"),
                title=document_id,
            ))
    return {"workbook": path, "suggestions": len(suggestions), "pages": pages}


def apply_review(project, workbook: str | Path, reviewer: str | None = None) -> pd.DataFrame:
    """Read the decisions in `workbook` and record them, all or nothing; returns the decisions recorded.

    Applying a workbook again records nothing twice: a row whose decision is already the latest one recorded for
    its suggestion (or an `add` already recorded on its unit) is skipped.
    """
    decisions = read_review_workbook(workbook, project.codebook(), reviewer=reviewer, segments=project.segments())
    decisions = _not_recorded(project, decisions)
    if decisions.empty:
        return decisions
    decisions = decisions.assign(source=str(workbook), decided_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    project.record_decisions(decisions.drop(columns=["row"]))
    return decisions


def _not_recorded(project, decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions that are not already the latest recorded ones (see `apply_review`)."""
    if decisions.empty:
        return decisions
    history = project.decisions()
    latest = history.dropna(subset=["coding_id"]).drop_duplicates("coding_id", keep="last")
    def text(value) -> str:
        return "" if value is None or pd.isna(value) else str(value)

    last = {int(h.coding_id): (h.decision, text(h.new_code)) for h in latest.itertuples()}
    added = {(h.segment_id, h.code) for h in history.itertuples() if h.decision == "add"}
    keep = [(d.segment_id, d.new_code) not in added if pd.isna(d.coding_id)
            else last.get(int(d.coding_id)) != (d.decision, text(d.new_code)) for d in decisions.itertuples()]
    return decisions[keep].reset_index(drop=True)
