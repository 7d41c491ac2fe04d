"""Managing a project after `init`: what it holds (status, lists of documents, cases and codes), removing a
document, renaming a case, and changing the codebook (replace it, edit a code, rename or merge codes) with the
codings following."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..codebook import Codebook, codebook_from_dict, read_codebook, write_codebook
from ..errors import CodebookError, StoreError
from ._ingest import case_ids

#: Columns of `list_documents`.
DOCUMENT_LIST_COLUMNS = ["document_id", "case_id", "format", "units", "suggested", "accepted", "rejected", "manual",
                         "coded", "path"]
#: Columns of `list_cases`.
CASE_LIST_COLUMNS = ["case_id", "name", "type", "documents", "units", "codings"]
#: Columns of `list_codes`.
CODE_LIST_COLUMNS = ["code", "label", "definition", "color", "in_chart", "suggested", "standing", "cases"]
_STATUSES = ("suggested", "accepted", "rejected", "manual", "reference", "folded", "withdrawn")


def project_status(project) -> dict:
    """What a project holds, as plain values: documents, cases, units, codings by status, reviewers, codebook,
    the coder that `casecode code` uses, documents not coded yet and documents without a case."""
    from ._report import uncased_documents

    documents = project.documents()
    segments = project.segments()
    codings = project.codings()
    decisions = project.decisions()
    decisions = decisions[decisions.decision != "fold"]  # casecode's own, when merged codes met on a unit
    codebook = project.codebook()
    models = project.models()
    model = models.set_index("name").meta.get("combined") if "combined" in set(models.name) else None
    named = project.config.get("coder")
    if model is None:
        from ..studies.coders import named_coder

        built_in = named_coder(named) if named else None  # what `casecode code` codes with before any train
        coder = (f"{built_in.description}; casecode train adds the project's own model after review" if built_in
                 else "rules (no learned model: casecode train adds one after review)")
    else:
        trained = (model or {}).get("trained_on") or f"{(model or {}).get('units', '?')} reviewed units"
        coder = f"rules + learned model (trained on {trained})"
    reviewers = decisions.groupby("decided_by").size().sort_values(ascending=False) if len(decisions) else {}
    coded = project.coded_documents()
    return {
        "project": project.name,
        "documents": len(documents),
        "cases": len(project.cases()),
        "units": int(segments.codable.sum()) if len(segments) else 0,
        "codings": {status: n for status in _STATUSES if (n := int((codings.status == status).sum()))
                    or status not in ("folded", "withdrawn")},  # (codes merged, adds undone) only where there are some
        "decisions": len(decisions),
        "reviewers": {str(k): int(v) for k, v in dict(reviewers).items()},
        "codebook": f"{codebook.name} ({len(codebook)} codes)",
        "coder": f"{named}: {coder}" if named else coder,
        "not_coded": [d for d in documents.document_id if d not in coded],
        "without_case": list(uncased_documents(segments, codings).document_id),
    }


def status_lines(status: dict) -> list[str]:
    """`project_status` as the lines `casecode status` prints."""
    codings = status["codings"]
    reviewers = ", ".join(f"{name} ({n})" for name, n in status["reviewers"].items()) or "none yet"
    lines = [
        f"project    {status['project']}",
        f"documents  {status['documents']}" + (f" ({len(status['not_coded'])} not coded yet: "
                                               f"{first_names(status['not_coded'])})" if status["not_coded"] else ""),
        f"cases      {status['cases']}" + (f" ({len(status['without_case'])} document(s) without a case: "
                                           f"{first_names(status['without_case'])})" if status["without_case"] else ""),
        f"units      {status['units']} codable",
        "codings    " + ", ".join(f"{k} {v}" for k, v in codings.items()),
        f"reviewers  {reviewers}; {status['decisions']} decisions",
        f"codebook   {status['codebook']}",
        f"coder      {status['coder']}",
    ]
    return lines


def first_names(names: list[str], shown: int = 5) -> str:
    """The first names, saying how many more there are."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def list_documents(project) -> pd.DataFrame:
    """One row per document: its case, format, codable units, codings by status, whether it has been coded."""
    documents = project.documents()
    segments = project.segments()
    codings = project.codings()
    coded = project.coded_documents()
    rows = []
    for doc in documents.itertuples():
        own = segments[segments.document_id == doc.document_id]
        mine = codings[codings.document_id == doc.document_id]
        cases = list(dict.fromkeys(c for cs in own.cases for c in cs))
        rows.append({"document_id": doc.document_id, "case_id": "; ".join(cases), "format": doc.format,
                     "units": int(own.codable.sum()),
                     **{status: int((mine.status == status).sum()) for status in ("suggested", "accepted",
                                                                                  "rejected", "manual")},
                     "coded": doc.document_id in coded, "path": doc.path})
    return pd.DataFrame(rows, columns=DOCUMENT_LIST_COLUMNS)


def list_cases(project) -> pd.DataFrame:
    """One row per case: name, type, its documents, units and standing codings (accepted, manual, reference)."""
    segments = project.segments()
    standing = project.current_codings()
    rows = []
    for case in project.cases().itertuples():
        own = segments[[case.case_id in cs for cs in segments.cases]]
        rows.append({"case_id": case.case_id, "name": case.name, "type": case.type,
                     "documents": own.document_id.nunique(), "units": int(own.codable.sum()),
                     "codings": int(standing.segment_id.isin(set(own.segment_id)).sum())})
    return pd.DataFrame(rows, columns=CASE_LIST_COLUMNS)


def list_codes(project) -> pd.DataFrame:
    """One row per code of the codebook: label, definition, colour, codings suggested and standing, cases."""
    codebook = project.codebook()
    codings = project.codings()
    segments = project.segments().set_index("segment_id")
    standing = codings[codings.status.isin(("accepted", "manual", "reference"))]
    rows = []
    for code in codebook:
        mine = standing[standing.code == code.id]
        cases = {c for s in mine.segment_id for c in segments.cases.get(s, ())}
        rows.append({"code": code.id, "label": code.label, "definition": code.definition, "color": code.color or "",
                     "in_chart": code.in_chart, "suggested": int(((codings.code == code.id)
                                                                  & (codings.status == "suggested")).sum()),
                     "standing": len(mine), "cases": len(cases)})
    return pd.DataFrame(rows, columns=CODE_LIST_COLUMNS)


def remove_document(project, document_id: str) -> None:
    """Remove a document with its units and suggestions; refused once any of its codings has been reviewed."""
    project.remove_document(document_id)


def rename_case(project, old: str, new_name: str) -> str:
    """Rename case `old` (an id or a name) to `new_name`; its id follows the name. Returns the new case id."""
    cases = project.cases()
    match = cases[(cases.case_id == old) | (cases.name == old)]
    if match.empty:
        known = ", ".join(cases.case_id) or "none"
        raise StoreError(f"no case {old!r} in this project; known: {known} (see casecode list cases)")
    old_id = match.case_id.iloc[0]
    new_id = case_ids(cases[cases.case_id != old_id])(new_name)  # kept apart from a case whose name differs in accents
    project.rename_case(old_id, new_id, name=new_name)
    return new_id


# -- the codebook ------------------------------------------------------------------------------------------------


def _store_codebook(project, codebook: Codebook) -> None:
    """Store a changed codebook and keep the project folder's codebook file the same."""
    project.set_codebook(codebook)
    _write_file(project, codebook)


def _write_file(project, codebook: Codebook) -> None:
    if project.codebook_path is not None:
        write_codebook(codebook, project.codebook_path)


def set_codebook(project, path: str | Path) -> Codebook:
    """Set or replace the project's codebook from a YAML file; refused when it drops a code that codings use."""
    codebook = read_codebook(path)
    _store_codebook(project, codebook)
    return codebook


def edit_code(project, code: str, label: str | None = None, definition: str | None = None,
              color: str | None = None) -> Codebook:
    """Change a code's label, definition or colour (#RRGGBB); its codings are untouched."""
    changes = {k: v for k, v in (("label", label), ("definition", definition), ("color", color)) if v is not None}
    with project.transaction():  # read, change and write under the write lock: a codebook command meanwhile waits
        codebook = project.codebook()
        target = _code(codebook, code)
        if not changes:
            raise CodebookError(f"nothing to change for code {code!r}; give --label, --definition or --colour")
        edited = _rebuilt(codebook, [target.model_copy(update=changes) if c.id == code else c for c in codebook])
        _store_codebook(project, edited)
    return edited


def rename_code(project, old: str, new: str) -> int:
    """Give code `old` the id `new`; its codings, decisions and memos follow. Returns the codings moved."""
    with project.transaction():  # read, change and write under the write lock (see edit_code)
        codebook = project.codebook()
        source = _code(codebook, old)
        if new == old:
            raise CodebookError(f"code {old!r} already has the id {new!r}; name a different new id")
        if new in codebook:
            raise CodebookError(f"code {new!r} already exists; merge into it with 'casecode codebook merge {old} "
                                f"{new}'")
        renamed = _rebuilt(codebook, [source.model_copy(update={"id": new}) if c.id == old else c for c in codebook])
        moved = project.rename_code(old, new, renamed)
        _write_file(project, renamed)
    return moved


def merge_codes(project, source: str, into: str) -> dict:
    """Merge code `source` into code `into`: its codings, decisions and memos move to `into`, its patterns and
    examples join `into`'s, and `source` leaves the codebook. A unit that so holds `into` twice keeps one coding
    per status (and coder, unless accepted): the others are folded into it, each by a `fold` decision in the
    history. Returns {"moved": codings moved, "folded": codings folded}."""
    with project.transaction():  # read, change and write under the write lock (see edit_code)
        codebook = project.codebook()
        merged_from, target = _code(codebook, source), _code(codebook, into)
        if source == into:
            raise CodebookError(f"cannot merge code {source!r} into itself; name two different codes")
        joined = target.model_copy(update={
            field: getattr(target, field) + getattr(merged_from, field)
            for field in ("include", "exclude", "patterns", "exclusions", "examples")})
        merged = _rebuilt(codebook, [joined if c.id == into else c for c in codebook if c.id != source])
        moved, folded = project.merge_code(source, into, merged)
        _write_file(project, merged)
    return {"moved": moved, "folded": folded}


def _code(codebook: Codebook, code: str):
    if code not in codebook:
        raise CodebookError(f"no code {code!r} in codebook {codebook.name!r}; codes: {', '.join(codebook.ids)}")
    return codebook[code]


def _rebuilt(codebook: Codebook, codes: list) -> Codebook:
    """The codebook with `codes`, validated again (ids, colours) as a file would be."""
    data = codebook.model_dump(exclude_none=True)
    data["codes"] = [c.model_dump(exclude_none=True) for c in codes]
    return codebook_from_dict(data, source=f"codebook {codebook.name!r}")
