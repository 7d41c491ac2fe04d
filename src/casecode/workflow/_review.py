"""Review: suggestions out to a workbook and HTML views, decisions back into the store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._output import confined
from .._shared import cell_text, paused_gc
from ..errors import CasecodeError, ReviewError, warn
from ..interop import SHOWN_COLUMNS, read_review_rows, review_decisions, write_review_workbook
from ..reports import write_transcript_html

_SOMEONE = "(not named)"  # stands for an empty decided_by while a workbook is only checked


def clock(seconds: float) -> str:
    """Seconds as hh:mm:ss, the way a media player shows a position."""
    whole = int(float(seconds))  # floor, as a player shows the second a moment falls in
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def unit_times(project) -> dict[str, str]:
    """Segment id → "hh:mm:ss–hh:mm:ss" for units read from .vtt/.srt subtitles or a transcript with times in its
    labels (the timings kept on add)."""
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
    """The decisions in an existing review workbook that the project has not recorded (DECISION_COLUMNS): the rows
    `apply_review` would record now, by the same rule (`recorded`).

    A row that leaves decided_by empty was recorded under the name given when the workbook was applied, so it counts
    as recorded for any reviewer who applied this workbook before (the history's `source` names it).
    """
    path = Path(workbook)
    decisions = review_decisions(read_review_rows(path), project.codebook(), reviewer=_SOMEONE,
                                 segments=project.segments())
    history = project.decisions()
    appliers = {by for by, source in zip(history.decided_by, history.source) if source and _same_file(source, path)}
    done = recorded(project, decisions, stand_ins={_SOMEONE: appliers})
    return decisions[[not d for d in done]].reset_index(drop=True)


def _same_file(source: str, path: Path) -> bool:
    try:
        return Path(source).resolve() == path.resolve()
    except (OSError, ValueError):
        return False


def recorded(project, decisions: pd.DataFrame, stand_ins: dict[str, set[str]] | None = None) -> list[bool]:
    """Which of `decisions` (workbook rows) the project already holds: the one rule both `apply_review` (which
    skips them) and the overwrite check (which lets a workbook of only such rows be replaced) use.

    A decision on a suggestion is recorded when the same reviewer's latest standing decision on that coding is the
    same (with the same new code for a recode): another reviewer who decided the same made their own decision, and
    an undone decision may be applied again. An `add` is recorded when the same reviewer's standing add of that code
    to that unit is (another reviewer who added the same code made their own judgement, recorded beside theirs).
    `stand_ins` maps a decided_by value to the reviewers it may stand for (an unnamed row)."""
    if decisions.empty:
        return []
    history = project.decisions(standing=True)
    decided = history.dropna(subset=["coding_id"]).drop_duplicates(["coding_id", "decided_by"], keep="last")
    last = {(int(row["coding_id"]), row["decided_by"]): (row["decision"], cell_text(row["new_code"]))
            for row in decided.to_dict("records")}
    added = {(row.segment_id, row.code, row.decided_by) for row in history.itertuples() if row.decision == "add"}
    stand_ins = stand_ins or {}
    done = []
    for d in decisions.itertuples():
        names = stand_ins.get(d.decided_by, {d.decided_by})
        if pd.isna(d.coding_id):
            done.append(any((d.segment_id, d.new_code, name) in added for name in names))
            continue
        done.append(any(last.get((int(d.coding_id), name)) == (d.decision, cell_text(d.new_code)) for name in names))
    return done


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
    workbook = Path(workbook)
    if workbook.suffix.lower() != ".xlsx":  # an .xlsx under another name opens as garbage and is refused by --apply
        raise ReviewError(f"{workbook}: a review workbook is an Excel file; name it {workbook.stem or 'review'}.xlsx")
    if not force:
        _check_overwrite(project, workbook)
    suggestions = project.codings(status="suggested")
    segments = with_times(project, project.segments())
    codebook = project.codebook()
    path = write_review_workbook(workbook, suggestions, segments, codebook, project_id=project.project_id())
    pages = []
    if html_dir is not None:
        shown = project.codings(status=["suggested", "accepted", "manual"])
        # each document's units and codings by one grouping, not a scan of every row per document
        units_of = dict(tuple(segments.groupby("document_id", sort=False)))
        shown_of = dict(tuple(shown.groupby("document_id", sort=False)))
        for document_id in sorted(shown_of):
            pages.append(write_transcript_html(
                project.document_text(document_id),
                units_of.get(document_id, segments.iloc[:0]),
                shown_of[document_id],
                codebook,
                confined(html_dir, document_id, ".html"),
                title=document_id,
            ))
    return {"workbook": path, "suggestions": len(suggestions), "pages": pages}


def apply_review(project, workbook: str | Path, reviewer: str | None = None) -> pd.DataFrame:
    """Record the decisions in `workbook`, all or nothing; returns the decisions recorded now.

    Applying is idempotent: a row whose decision is the same reviewer's latest standing one on its coding (the
    workbook applied before, or a partly filled workbook applied again), or an `add` already recorded on its unit,
    is skipped, and `attrs["skipped"]` counts those rows. Each row must show the coding it names (code, and
    document and unit where filled in), and a workbook written for another project is refused. Errors name the
    file, the row as the spreadsheet numbers it, and the column. The whole apply runs under the project's write
    lock, in one transaction.
    """
    with paused_gc():  # the rows, decisions and codings read all stay alive until recorded
        return _apply_review(project, workbook, reviewer)


def _apply_review(project, workbook: str | Path, reviewer: str | None) -> pd.DataFrame:
    path = Path(workbook)
    rows = read_review_rows(path)
    # Before any row is checked against this project's units: a row of another project's workbook would be blamed.
    _check_project(rows.attrs.get("project_id"), project, path)
    segments = project.segments()
    decisions = review_decisions(rows, project.codebook(), reviewer=reviewer, segments=segments)
    _refuse_uncoded_adds(path, decisions, segments)
    _warn_named_in_cells(path, decisions, reviewer)
    with project.transaction():  # the write lock: a second run of the same workbook waits, then skips every row
        fresh = _unrecorded(project, decisions, path, segments)
        if not fresh.empty:
            now = pd.Timestamp.now(tz="UTC").tz_localize(None)
            fresh = fresh.assign(source=str(workbook), decided_at=now,
                                 where=[f"{path}: row {number}" for number in fresh.row])
            project.record_decisions(fresh.drop(columns=["row", *SHOWN_COLUMNS]))
    fresh = fresh.drop(columns=["where"], errors="ignore").reset_index(drop=True)
    fresh.attrs["skipped"] = len(decisions) - len(fresh)
    return fresh


def _refuse_uncoded_adds(path: Path, decisions: pd.DataFrame, segments: pd.DataFrame) -> None:
    """Refuse a code added to a unit casecode does not code (an interviewer's turn, a heading): the case-by-code
    matrix and the report would count it while agreement, status and the report's method leave that unit out.
    (`agree` still reads such a row of an older workbook, and says it leaves it out.)"""
    adds = decisions[decisions.decision == "add"]
    if adds.empty:
        return
    uncoded = segments[~segments.codable.astype(bool)].set_index("segment_id")
    for d in adds[adds.segment_id.isin(uncoded.index)].itertuples():
        unit = uncoded.loc[d.segment_id]
        speaker = f" ({unit.speaker})" if unit.speaker else ""
        what = f"the interviewer's turn{speaker}" if unit.role == "interviewer" else f"a {unit.kind or 'unit'}{speaker}"
        _fail(path, d.row, "unit", f"unit {int(unit.unit)} of {unit.document_id!r} is {what}, which casecode does not "
                                   f"code; add the code to an answer's unit")


def _warn_named_in_cells(path: Path, decisions: pd.DataFrame, reviewer: str | None) -> None:
    """Say so when `reviewer` (--reviewer) is not who rows are recorded under. A row's own `decided_by` cell is
    the record of who decided it (a workbook two people filled keeps both), so it wins over --reviewer, which fills
    only the empty cells; but a reviewer who typed "Ana" where the command said "Ana Diaz" would otherwise become a
    second person in agreement and undo without a word."""
    if not reviewer or decisions.empty:
        return
    others = decisions[decisions.decided_by != reviewer.strip()]
    if others.empty:
        return
    names = others.decided_by.value_counts()
    shown = ", ".join(f"{name!r} ({n} row(s), first row {int(others.row[others.decided_by == name].iloc[0])})"
                      for name, n in names.items())
    warn(f"{path}: {len(others)} of {len(decisions)} decision(s) are recorded under the name in their 'decided_by' "
         f"cell, not --reviewer {reviewer!r}: {shown}; --reviewer fills only empty 'decided_by' cells, so to record "
         f"them under {reviewer!r}, empty those cells or write {reviewer!r} in them and apply again")


def _check_project(project_id: str | None, project, path: Path) -> None:
    if project_id and project_id != project.project_id():
        raise ReviewError(f"{path}: this workbook was written for another project (id {project_id}), not "
                          f"{project.name!r}; apply it to the project it came from, or write a new one with "
                          f"'casecode review'")


def _fail(path: Path, row: int, column: str, problem: str) -> None:
    raise ReviewError(f"{path}: row {row}, column {column!r}: {problem}")


def _unrecorded(project, decisions: pd.DataFrame, path: Path, segments: pd.DataFrame) -> pd.DataFrame:
    """The decisions not yet recorded, after checking that each row shows the coding it names."""
    if decisions.empty:
        return decisions
    stored = project.codings()
    # coding id -> (code, segment): the two columns checked, not a dict of every column per coding
    codings = dict(zip(stored.coding_id.tolist(), zip(stored.code.tolist(), stored.segment_id.tolist())))
    units = dict(zip(segments.segment_id, zip(segments.document_id, segments.unit)))
    for d in decisions.itertuples():
        if pd.isna(d.coding_id):
            continue
        found = codings.get(int(d.coding_id))
        if found is None:
            _fail(path, d.row, "coding_id", f"coding {d.coding_id} is not in this project; apply the workbook to the "
                                            f"project it came from, or write a new one with 'casecode review'")
        code, segment_id = found
        _check_shown(path, d, code, units.get(segment_id, ("", None)))
    # The same decision as the reviewer's latest one recorded: the workbook was applied before, so skip it. A
    # different one is a reviewer changing their mind: history grows.
    return decisions[[not done for done in recorded(project, decisions)]]


def _check_shown(path: Path, d, code: str, unit: tuple) -> None:
    """The row's code, document and unit cells must show the coding its coding_id names (its `code`, and its
    `unit` as (document, unit number))."""
    if not d.code:
        _fail(path, d.row, "code", f"empty; keep the code casecode wrote ({code!r}) and use recode with "
                                   f"new_code to change it")
    if d.code != code:
        _fail(path, d.row, "code", f"the row shows {d.code!r} but coding {d.coding_id} has code {code!r}; "
                                   f"put {code!r} back, and to change the code write recode with new_code "
                                   f"{d.code!r}")
    document, number = unit
    if d.document and d.document != document:
        _fail(path, d.row, "document", f"the row shows {d.document!r} but coding {d.coding_id} is in document "
                                       f"{document!r}; this row does not belong to that coding")
    if d.unit is not None and not pd.isna(d.unit) and number is not None and int(d.unit) != int(number):
        _fail(path, d.row, "unit", f"the row shows unit {int(d.unit)} but coding {d.coding_id} is in unit "
                                   f"{int(number)}; this row does not belong to that coding")


#: The source an undo from the command line records.
UNDO_SOURCE = "casecode undo"


def undo_decisions(project, last: int = 1, reviewer: str | None = None) -> pd.DataFrame:
    """Take back the project's `last` latest decisions that stand (only `reviewer`'s, when named), newest first, all
    or none; returns the decisions taken back (DECISION_COLUMNS), newest first.

    Each undo is appended to the history as an `undo` decision (source "casecode undo") beside the decision it takes
    back, and the codings get the status the remaining decisions give them (`Project.undo_decision`). A merge's
    `fold` is taken back only when `reviewer` is "casecode": alone it brings back a doubled coding, it does not
    unmerge the codes."""
    if last < 1:
        raise ReviewError(f"--last is {last}; give how many decisions to undo, 1 or more")
    ids = []
    with project.transaction():  # the write lock, and all or none
        for done in range(last):
            target = project.last_decision(reviewer)
            if target is None:
                raise ReviewError(_nothing_to_undo(project, reviewer, last, done))
            try:
                _refuse_fold(target, reviewer)
                project.undo_decision(target["decided_by"], source=UNDO_SOURCE)
            except CasecodeError as exc:
                if not done:
                    raise
                raise type(exc)(f"{exc} (nothing was undone: --last {done} takes back only the newer ones)") from None
            ids.append(target["decision_id"])
    return project.decisions().set_index("decision_id").loc[ids].reset_index()


def _refuse_fold(target: dict, reviewer: str | None) -> None:
    from ..store._codings import FOLD, FOLDED_BY

    if target["decision"] == FOLD and reviewer != FOLDED_BY:
        raise ReviewError(
            f"decision {target['decision_id']} is a fold casecode recorded when merging codes ({target['source']}); "
            f"undoing it brings back coding {target['coding_id']} beside coding {target['new_coding_id']} but does "
            f"not unmerge the codes, which casecode cannot do; take the folds back with --reviewer {FOLDED_BY}, or "
            f"restore a copy of the project made before the merge")


def _nothing_to_undo(project, reviewer: str | None, last: int, done: int) -> str:
    of = f" of {reviewer!r}" if reviewer else ""
    if done:
        return (f"--last {last}: only {done} decision(s){of} stand in project {project.name!r}, so nothing was "
                f"undone; pass --last {done} or less")
    history = project.decisions()
    if reviewer is None:
        told = "none recorded yet" if history.empty else "each one recorded was taken back"
        return f"nothing to undo in project {project.name!r}: no decision stands ({told})"
    names = [name for name in sorted(set(history.decided_by)) if project.last_decision(name) is not None]
    fix = (f"name a reviewer whose decisions stand: {', '.join(names)}" if names
           else "no decision stands in this project")
    return f"{reviewer!r} has no decision left to undo in project {project.name!r}; {fix}"
