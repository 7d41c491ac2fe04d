"""Agreement between coders: codings from review workbooks, CSV files or projects, compared per code."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from .._shared import paused_gc
from ..analysis import agreement_table
from ..codebook import Codebook
from ..errors import ReviewError, warn
from ..interop import read_review_rows, review_decisions
from ._manage import first_names

_UNIT_COLUMNS = ["segment_id", "text"]


def _segment_ids(table: pd.DataFrame) -> list[str]:
    """`<document>:<unit>` for each row (a list, so that an empty table works too)."""
    return [f"{document}:{int(float(unit))}" for document, unit in zip(table["document"], table["unit"])]


_UNNAMED = "\x00unnamed"  # stands for an empty decided_by cell while a workbook is read for agreement


def _from_workbook(path: Path, codebook: Codebook, segments: pd.DataFrame | None, by_reviewer: bool = False,
                   stored: tuple[str, dict[int, str]] | None = None):
    """A reviewer's codings: accepted suggestions, recodes and additions; units are the workbook's units.

    An accepted suggestion counts under the code its coding has now in `stored` (the project's id and its codings'
    codes) when the workbook came from that project, so a code renamed or merged since follows.

    One workbook is one coder: the one name its `decided_by` cells give (rows left empty are that reviewer's
    too), or the file's name, with a warning, when no row names anyone. Two names in one workbook are an error
    unless `by_reviewer`, which counts each name as a coder of its own.
    """
    rows = read_review_rows(path)  # read once: the same rows give the units and the checked decisions
    decisions = review_decisions(rows, codebook, reviewer=_UNNAMED, segments=segments)  # checks every row
    if decisions.empty:  # it names no coder: counted as none, leaving the others one short without naming it
        raise ReviewError(f"{path}: no row has a decision (an unfilled review workbook); fill its decision column, "
                          f"or leave the file out")
    codes_now = stored[1] if stored is not None and rows.attrs.get("project_id") == stored[0] else {}
    coders = _workbook_coders(path, decisions, by_reviewer)
    rows = rows.loc[pd.Series([_filled(d) and _filled(u) for d, u in zip(rows["document"], rows["unit"])],
                              index=rows.index, dtype=bool)]
    sheet = pd.DataFrame({"segment_id": _segment_ids(rows),
                          "text": list(rows["unit_text"]) if "unit_text" in rows else [""] * len(rows)})
    codings = []
    uncoded = set() if segments is None or "codable" not in segments else set(
        segments.segment_id[~segments.codable.astype(bool)])
    left_out = []
    for d, coder in zip(decisions.itertuples(), coders):
        if d.segment_id in uncoded:
            left_out.append(d.row)
        elif d.decision == "accept":
            codings.append((coder, d.segment_id, _accepted_code(path, d, codebook, codes_now)))
        elif d.decision in ("recode", "add"):
            codings.append((coder, d.segment_id, d.new_code))
    if left_out:
        more, them = (f" and {len(left_out) - 1} more", "them") if len(left_out) > 1 else ("", "it")
        warn(f"{path}: row {left_out[0]}{more} code(s) an interviewer's turn, which casecode does not code, so "
             f"agreement leaves {them} out; code the answer's unit instead to have it compared")
    units = sheet.drop_duplicates("segment_id")[_UNIT_COLUMNS]
    # A reviewer who rejected every suggestion still judged the units: every code absent.
    return pd.DataFrame(codings, columns=["coder", "segment_id", "code"]), units, set(coders)


def _accepted_code(path: Path, d, codebook: Codebook, codes_now: dict[int, str]) -> str:
    """The code an accepted row counts under: its coding's code now, in the project the workbook came from, else the
    row's `code` cell, which must be a code of the codebook: agreement counts the codebook's codes only, so a code
    renamed or merged since the workbook was written would drop out of every figure without a word."""
    if not pd.isna(d.coding_id) and int(d.coding_id) in codes_now:
        return codes_now[int(d.coding_id)]
    if d.code not in codebook.ids:
        raise ReviewError(f"{path}: row {d.row}, column 'code': {d.code!r} is not a code of the codebook (renamed or "
                          f"merged since the workbook was written?); pass -p with the project the workbook came "
                          f"from, so its codes follow, or write a new workbook with 'casecode review'")
    return d.code


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and str(value).strip() != ""


def _workbook_coders(path: Path, decisions: pd.DataFrame, by_reviewer: bool) -> list[str]:
    """The coder of each decision row (see `_from_workbook`)."""
    named = decisions[decisions.decided_by != _UNNAMED]
    first_row = named.drop_duplicates("decided_by").set_index("decided_by").row.to_dict()
    unnamed = int((decisions.decided_by == _UNNAMED).sum())
    if len(first_row) > 1 and not by_reviewer:
        shown = ", ".join(f"{name!r} (first on row {row})" for name, row in list(first_row.items())[:3])
        raise ReviewError(f"{path}: column 'decided_by' names {len(first_row)} reviewers: {shown}; one workbook is "
                          f"one coder, so give each reviewer a workbook of their own, or pass --by-reviewer to count "
                          f"each name as a coder")
    if not first_row:
        if len(decisions):
            warn(f"{path}: no row names a reviewer in 'decided_by'; its {len(decisions)} decisions are counted "
                 f"as coder {path.stem!r} (the file's name); write the reviewer's name in 'decided_by' to name them")
        return [path.stem] * len(decisions)
    if len(first_row) == 1:
        return [next(iter(first_row))] * len(decisions)
    if unnamed:
        warn(f"{path}: {unnamed} row(s) leave 'decided_by' empty; with --by-reviewer they are counted as coder "
             f"{path.stem!r} (the file's name)")
    return [path.stem if name == _UNNAMED else name for name in decisions.decided_by]


def _from_csv(path: Path, codebook: Codebook, segments: pd.DataFrame | None):
    from ._evaluate import read_coding_table

    table = read_coding_table(path)
    derived = "segment_id" not in table.columns
    if derived:
        missing = {"document", "unit"} - set(table.columns)
        if missing:
            raise ReviewError(f"{path}: missing column {sorted(missing)[0]!r}; a coding CSV needs segment_id, or "
                              f"document and unit, and code")
        bad = table[~table.unit.str.fullmatch(r"\d+")]
        if len(bad):
            raise ReviewError(f"{path}: row {bad['_row'].iloc[0]}, column 'unit': {bad.unit.iloc[0]!r} is not a unit "
                              f"number; write the unit's number as 'casecode code' or the review workbook gives it")
        table["segment_id"] = _segment_ids(table)
    if "code" not in table.columns:
        raise ReviewError(f"{path}: missing column 'code'; a coding CSV needs a code column")
    coded = table[table.code != ""]
    for column, known, problem in (
            ("code", set(codebook.ids), f"is not a code of the codebook; use one of: {', '.join(codebook.ids)}"),
            ("segment_id", None if segments is None else set(segments.segment_id),
             "is not a unit the project codes (no such document or unit, or an interviewer's turn); check the "
             "document names and unit numbers")):
        stray = coded[~coded[column].isin(known)] if known is not None else coded.iloc[:0]
        if len(stray) and column == "segment_id" and derived:  # name the columns the file has
            first = stray.iloc[0]
            raise ReviewError(f"{path}: row {first['_row']}, columns 'document' and 'unit': {first['document']!r} "
                              f"unit {first['unit']} {problem}")
        if len(stray):
            raise ReviewError(f"{path}: row {stray['_row'].iloc[0]}, column {column!r}: {stray[column].iloc[0]!r} "
                              f"{problem}")
    if "coder" not in table.columns:
        table["coder"] = path.stem
    table["coder"] = table.coder.where(table.coder != "", path.stem)
    units = table.drop_duplicates("segment_id").assign(text=lambda d: d.get("evidence", ""))[_UNIT_COLUMNS]
    return table[table.code != ""][["coder", "segment_id", "code"]], units, set(table.coder)


def _warn_documents_unnamed(path: Path, units: pd.DataFrame, codable: pd.DataFrame | None, coders) -> None:
    """Warn when a coding CSV names no unit of some of the project's documents: they count as coded with no code
    by its coder, which lowers agreement if that coder never read them."""
    if codable is None or codable.empty or units.empty:
        return
    named = {str(s).rsplit(":", 1)[0] for s in units.segment_id}
    missing = [d for d in dict.fromkeys(codable.document_id) if d not in named]
    if missing:
        who = ", ".join(sorted(map(str, coders)))
        warn(f"{path}: names no unit of {len(missing)} of the project's {codable.document_id.nunique()} documents "
             f"({first_names(missing)}); agreement counts every code absent there for {who}: if they did not code those documents, "
             f"the figures understate agreement")


def _from_project(path: Path):
    """A project is one coder, named by its folder: the codings that stand after review, whoever made them
    (an accepted suggestion keeps the coder "rules", which two projects would otherwise share)."""
    from ..store import open_project

    coder = path.resolve().name
    with open_project(path) as project:
        current = project.current_codings()
        units = project.segments(codable=True)[_UNIT_COLUMNS]
    return current[["segment_id", "code"]].assign(coder=coder), units, {coder}


def _warn_same_codings(path: Path, codings: pd.DataFrame, earlier: list[pd.DataFrame],
                       source_of: dict[str, Path]) -> None:
    """Warn when a source holds exactly the codings of an earlier one (a copy of one coder's file under another
    name): their agreement is perfect by construction."""
    if codings.empty or codings.coder.nunique() != 1:
        return
    mine = set(zip(codings.segment_id, codings.code))
    for frame in earlier:
        if not frame.empty and frame.coder.nunique() == 1 and set(zip(frame.segment_id, frame.code)) == mine:
            warn(f"{path}: the same {len(mine)} coding(s) as {source_of[str(frame.coder.iloc[0])]}; if it is a copy "
                 f"of one coder's file, their agreement is 1 by construction: give each coder's own file")
            return


def read_coder_codings(sources: Iterable[str | Path], codebook: Codebook, segments: pd.DataFrame | None = None,
                       by_reviewer: bool = False, project=None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Codings by coder from review workbooks (.xlsx), coding CSVs or project folders, and the units seen.

    Two sources that name the same coder are an error: agreement would silently pool them into one. With `project`
    (its segments are the default `segments`), a workbook it wrote counts each accepted suggestion under the code
    its coding has now.
    """
    stored = None
    if project is not None:
        if segments is None:
            segments = project.segments()
        codings = project.codings()
        stored = (project.project_id(), dict(zip(codings.coding_id.astype(int), codings.code)))
    frames, unit_frames, coders = [], [], set()
    source_of: dict[str, Path] = {}
    # With a `codable` column, `segments` may hold interviewers' turns: a workbook row that names one is found
    # (and left out, with a warning), while only the codable units count as seen.
    codable = segments
    if segments is not None and "codable" in segments:
        codable = segments[segments.codable.astype(bool)]
    seen: dict[Path, Path] = {}
    for source in sources:
        path = Path(source)
        if path.exists() and path.resolve() in seen:
            other = seen[path.resolve()]
            raise ReviewError(f"{path}: named twice" + (f" (also as {other})" if str(other) != str(path) else "")
                              + "; name each coder's file or project once")
        if path.exists():
            seen[path.resolve()] = path
        if path.is_dir():
            codings, units, names = _from_project(path)
        elif path.suffix.lower() == ".xlsx":
            codings, units, names = _from_workbook(path, codebook, segments, by_reviewer, stored)
        elif path.suffix.lower() == ".csv":
            codings, units, names = _from_csv(path, codebook, codable)
            _warn_documents_unnamed(path, units, codable, names)
        elif not path.exists():
            raise ReviewError(f"{path}: no such file or project folder")
        else:
            raise ReviewError(f"{path}: cannot read codings from a {path.suffix or 'plain'} file; give review "
                              f"workbooks (.xlsx), coding CSVs or project folders")
        for name in map(str, names):
            if name in source_of:
                raise ReviewError(f"{path}: coder {name!r} is also the coder of {source_of[name]}; agreement needs "
                                  f"each coder once: write a different name in 'decided_by' (or the 'coder' "
                                  f"column), or rename the file")
            source_of[name] = path
        _warn_same_codings(path, codings, frames, source_of)
        frames.append(codings)
        unit_frames.append(units)
        coders |= {str(name) for name in names}
    codings = pd.concat(frames, ignore_index=True)
    units = pd.concat(unit_frames, ignore_index=True).drop_duplicates("segment_id")
    if codable is not None:
        units = codable[_UNIT_COLUMNS]
    codings = codings.astype({"coder": str})
    by_coder = {name: codings[codings.coder == name].reset_index(drop=True) for name in sorted(coders)}
    return by_coder, units.reset_index(drop=True)


def agree(sources: Iterable[str | Path], codebook: Codebook, segments: pd.DataFrame | None = None,
          by_reviewer: bool = False, project=None):
    """Per-code agreement (percentage, Cohen's kappa for two coders, Krippendorff's alpha) and disagreements.

    Every unit in `segments` (or, without it, every unit any source mentions) counts as seen by every coder;
    a coder who did not give a unit a code said it was absent. A workbook is one coder unless `by_reviewer`.
    With `project`, its segments are the default and a workbook it wrote follows its codes renamed or merged since.
    """
    with paused_gc():  # every workbook row read stays alive until the codings are made
        by_coder, units = read_coder_codings(sources, codebook, segments, by_reviewer, project)
    if len(by_coder) < 2:
        raise ReviewError(f"found codings by {len(by_coder)} coder(s) ({', '.join(by_coder) or 'none'}); "
                          f"agreement needs two or more — give each coder's workbook or CSV")
    return agreement_table(by_coder, units, codebook.ids, labels=codebook)
