"""Retrieval: every coded segment with its quote, speaker, case, code, status and reviewer, and the queries a
researcher runs daily (by code, by case attribute, co-occurrence of two codes, keyword in context)."""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

from ..errors import AnalysisError

#: Columns of `coded_segments` (and of `casecode export`).
SEGMENT_EXPORT_COLUMNS = [
    "coding_id", "document_id", "unit", "time", "case_id", "case_name", "case_type", "speaker", "speaker_role",
    "code", "label", "status", "reviewer", "decided_at", "coder", "score", "quote", "unit_text", "start", "end",
]
#: Columns of `keyword_in_context`.
KWIC_COLUMNS = ["document_id", "unit", "time", "case_id", "speaker", "left", "keyword", "right", "codes"]
STANDING = ("accepted", "manual", "reference")


def coded_segments(project, statuses: Iterable[str] = STANDING) -> pd.DataFrame:
    """Every coding with `statuses` as one row of SEGMENT_EXPORT_COLUMNS, in document and unit order.

    `quote` is the coded words (the evidence span); `reviewer` is who decided on the coding last (or who added
    it), empty for an unreviewed suggestion; `speaker_role` comes from the turn's label or the interviewee's role.
    """
    from ._review import unit_times

    codings = project.codings(status=list(statuses))
    segments = project.segments().set_index("segment_id")
    documents = project.documents().set_index("document_id")
    cases = project.cases().set_index("case_id")
    labels = project.codebook().labels()
    times = unit_times(project)
    last = _last_decisions(project.decisions())
    rows = []
    for c in codings.itertuples():
        seg = segments.loc[c.segment_id]
        case_ids = list(seg.cases)
        meta = documents.metadata.get(c.document_id) or {}
        decided = last.get(int(c.coding_id))
        reviewer = decided[0] if decided else (c.coder if c.status == "manual" else "")
        rows.append({
            "coding_id": int(c.coding_id), "document_id": c.document_id, "unit": int(seg.unit),
            "time": times.get(c.segment_id, ""), "case_id": "; ".join(case_ids),
            "case_name": "; ".join(str(cases.name.get(i, i)) for i in case_ids),
            "case_type": "; ".join(dict.fromkeys(str(cases.type.get(i, "") or "") for i in case_ids)).strip("; "),
            "speaker": seg.speaker, "speaker_role": _speaker_role(seg.speaker, meta),
            "code": c.code, "label": labels.get(c.code, c.code), "status": c.status, "reviewer": reviewer,
            "decided_at": decided[1] if decided else pd.NaT, "coder": c.coder, "score": c.score,
            "quote": c.evidence, "unit_text": seg.text, "start": int(c.start), "end": int(c.end),
        })
    table = pd.DataFrame(rows, columns=SEGMENT_EXPORT_COLUMNS)
    return table.sort_values(["document_id", "unit", "start", "code"], kind="stable").reset_index(drop=True)


def query_segments(project, code: str | Iterable[str] | None = None, case_type: str | None = None,
                   role: str | None = None, case: str | None = None, statuses: Iterable[str] = STANDING) -> pd.DataFrame:
    """Coded segments filtered by code(s), case type, speaker role and case (id or name); text filters ignore case
    and match a part ("director" finds "Director of Place"). A case, case type or role that nothing in the project
    has is an error naming the ones it has (a misspelt case would otherwise look like a case with no codings)."""
    _check_filters(project, case_type=case_type, role=role, case=case)
    table = coded_segments(project, statuses)
    if code is not None:
        wanted = [code] if isinstance(code, str) else list(code)
        _check_codes(project, wanted)
        table = table[table.code.isin(wanted)]
    for column, value in (("case_type", case_type), ("speaker_role", role)):
        if value:
            table = table[table[column].str.contains(re.escape(value), case=False, na=False)]
    if case:
        table = table[table.case_id.str.contains(re.escape(case), case=False)
                      | table.case_name.str.contains(re.escape(case), case=False)]
    return table.reset_index(drop=True)


def cooccurrence(project, code_a: str, code_b: str, statuses: Iterable[str] = STANDING) -> pd.DataFrame:
    """Units that carry both codes: one row per unit with both quotes (`quote_a`, `quote_b`) and the unit's text."""
    _check_codes(project, [code_a, code_b])
    table = coded_segments(project, statuses)
    keys = ["document_id", "unit"]
    first = table[table.code == code_a].drop_duplicates(keys)
    second = table[table.code == code_b].drop_duplicates(keys)
    both = first.merge(second[keys + ["quote"]], on=keys, suffixes=("_a", "_b"))
    both = both.rename(columns={"quote_a": f"quote_{code_a}", "quote_b": f"quote_{code_b}"})
    columns = keys + ["time", "case_id", "speaker", f"quote_{code_a}", f"quote_{code_b}", "unit_text"]
    return both[columns].reset_index(drop=True)


def keyword_in_context(project, keyword: str, width: int = 40, codable_only: bool = True) -> pd.DataFrame:
    """Every occurrence of `keyword` (a word or phrase, any case) in the project's units, with `width` characters
    either side and the standing codes of the unit (KWIC_COLUMNS)."""
    from ._review import unit_times

    if not keyword.strip():
        raise AnalysisError("empty keyword; give a word or phrase to look for")
    pattern = re.compile(rf"(?<!\w){re.escape(keyword.strip())}(?!\w)", re.IGNORECASE)
    segments = project.segments(codable=True if codable_only else None)
    standing = project.current_codings()
    codes = standing.groupby("segment_id").code.agg(lambda cs: "; ".join(dict.fromkeys(cs))).to_dict()
    times = unit_times(project)
    rows = []
    for seg in segments.itertuples():
        for found in pattern.finditer(seg.text):
            left = seg.text[max(0, found.start() - width):found.start()]
            right = seg.text[found.end():found.end() + width]
            rows.append({"document_id": seg.document_id, "unit": int(seg.unit), "time": times.get(seg.segment_id, ""),
                         "case_id": "; ".join(seg.cases), "speaker": seg.speaker,
                         "left": " ".join(left.split()), "keyword": found.group(), "right": " ".join(right.split()),
                         "codes": codes.get(seg.segment_id, "")})
    return pd.DataFrame(rows, columns=KWIC_COLUMNS)


def _last_decisions(decisions: pd.DataFrame) -> dict[int, tuple[str, object]]:
    """Coding id → (decided_by, decided_at) of the latest decision on it (or that created it)."""
    last: dict[int, tuple[str, object]] = {}
    for d in decisions[decisions.decision != "fold"].itertuples():  # casecode's folds decide nothing
        for key in (d.coding_id, d.new_coding_id):
            if pd.notna(key):
                last[int(key)] = (d.decided_by, d.decided_at)
    return last


def _speaker_role(speaker: str, metadata: dict) -> str:
    roles = metadata.get("speaker_roles") or {}
    if speaker in roles:
        return str(roles[speaker])
    if speaker and speaker == metadata.get("interviewee"):
        return str(metadata.get("role") or "")
    return ""


def _contains(values: Iterable[str], part: str) -> bool:
    part = part.casefold()
    return any(part in str(value).casefold() for value in values if value)


def _listed(values: Iterable[str], most: int = 12, sep: str = ", ") -> str:
    values = sorted({str(v) for v in values if v and str(v).strip()})
    if not values:
        return "none"
    return sep.join(values[:most]) + (f" and {len(values) - most} more" if len(values) > most else "")


def _check_filters(project, case_type: str | None, role: str | None, case: str | None) -> None:
    """Refuse a --case, --case-type or --role that matches nothing the project has (not even uncoded)."""
    if not (case or case_type or role):
        return
    cases = project.cases()
    if case and not (_contains(cases.case_id, case) or _contains(cases.name, case)):
        shown = _listed(f"{i} ({n})" if n and n != i else i for i, n in zip(cases.case_id, cases.name))
        raise AnalysisError(f"--case {case!r}: no case of this project has it in its id or name; cases: {shown}; "
                            f"give a case id or part of its name (casecode list cases)")
    if case_type and not _contains(cases.type, case_type):
        raise AnalysisError(f"--case-type {case_type!r}: no case of this project has that type; types: "
                            f"{_listed(cases.type)}; set types with a manifest's case_type column")
    if role:
        roles = []
        for meta in project.documents().metadata:
            meta = meta or {}
            roles += [*(meta.get("speaker_roles") or {}).values(), meta.get("role") or ""]
        if not _contains(roles, role):
            raise AnalysisError(f"--role {role!r}: no speaker of this project has a role containing it; roles: "
                                f"{_listed(roles, sep='; ')}; roles come from turn labels (\"Name (Role):\") and the "
                                f"file's role")


def _check_codes(project, codes: list[str]) -> None:
    known = project.codebook().ids
    for code in codes:
        if code not in known:
            raise AnalysisError(f"no code {code!r} in the project's codebook; codes: {', '.join(known)}")
