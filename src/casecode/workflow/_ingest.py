"""Adding transcripts to a project: read, attach them to cases, store without duplicates."""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from .._shared import paused_gc
from ..corpus import Document, Segment, read_documents, read_manifest
from ..errors import CorpusError, warn


def case_id_for(name: str) -> str:
    """A stable case id from a case name: 'Fenmoor District Council' → 'fenmoor_district_council'.

    A name in another script, with no ASCII letter or digit, gets a short digest of the name ('Αθήνα' →
    'case_3b9d2e'), so two such names keep distinct ids. Names that differ only in letters an id drops ('Cyngor Môn',
    'Cyngor Mön') share an id here; `case_ids` keeps them apart within a project."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        key = _case_key(name)
        if not key:
            raise CorpusError(f"case name {name!r} has no letters or digits; give the case a name")
        return f"case_{_digest(key)}"
    return slug if slug[0].isalpha() else f"case_{slug}"


def _case_key(name: str) -> str:
    """What makes two case names one case: letter case, spacing and punctuation do not count; every letter does,
    accented or in any script ('Cyngor Môn' ≠ 'Cyngor Mön', though both have the id 'cyngor_m_n')."""
    return re.sub(r"[\W_]+", "_", unicodedata.normalize("NFKC", name).casefold()).strip("_")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]


def case_ids(cases: pd.DataFrame | None = None) -> Callable[[str], str]:
    """Case name → case id, for names given together (one `add`, one evaluation) beside the stored `cases`.

    A name one of `cases` has (up to letter case, spacing and punctuation) gets that case's id. A name whose
    `case_id_for` id a case of another name already holds, the two differing only in letters the id drops
    ('Cyngor Mön' after 'Cyngor Môn'), gets that id with a digest of its name, so two councils stay two cases; the
    first keeps its plain id, and so every id stored before."""
    by_key: dict[str, str] = {}
    held: dict[str, str] = {}  # an id made from a name -> that name's key
    for row in (cases if cases is not None else pd.DataFrame(columns=["case_id", "name"])).itertuples():
        key = _case_key(str(row.name))
        if key and _plain_id(str(row.name)) == row.case_id:  # a case whose id is not made from its name is found by id
            by_key.setdefault(key, row.case_id)
            held.setdefault(row.case_id, key)

    def case_id(name: str) -> str:
        key = _case_key(name)
        if key not in by_key:
            plain = case_id_for(name)
            by_key[key] = plain if held.get(plain, key) == key else f"{plain}_{_digest(key)}"
            held.setdefault(by_key[key], key)
        return by_key[key]
    return case_id


def _plain_id(name: str) -> str:
    try:
        return case_id_for(name)
    except CorpusError:
        return ""


def _with_case_ids(doc: Document, case_id: Callable[[str], str]) -> tuple[Document, dict | None]:
    """Point the document's segments at a case id (not the name the file gives) and describe the case. A type
    given with no case is refused: it would be dropped without a word."""
    name = str(doc.metadata.get("case") or "").strip()
    if not name:
        kind = " ".join(str(doc.metadata.get("case_type") or "").split())
        if kind:
            raise CorpusError(f"{doc.path}: case_type {kind!r} but no case; give its case (a manifest's 'case' cell, "
                              f"--case or front matter 'case:'), or leave case_type empty")
        return doc, None
    try:
        case = case_id(name)
    except CorpusError as error:
        raise CorpusError(f"{doc.path}: {error}") from None
    doc.segments = [_with_cases(seg, (case,)) for seg in doc.segments]
    return doc, {"case_id": case, "name": name, "type": str(doc.metadata.get("case_type") or "")}


def _with_cases(segment: Segment, cases: tuple[str, ...]) -> Segment:
    """A copy of `segment` with `cases` (as dataclasses.replace, at a fifth of its cost per segment)."""
    copied = copy.copy(segment)
    copied.cases = cases
    return copied


def _cases_to_store(stored: pd.DataFrame, prepared: list[tuple[Document, dict | None]]) -> dict[str, dict]:
    """The cases the documents name that the project lacks, and those whose stored type is empty and a document
    gives one. A case given two types (by two files, or by a file and the project) is an error naming the file:
    the codes-by-case-type table would otherwise count it under whichever came first, without a word."""
    known = {row.case_id: row for row in stored.itertuples()}
    to_store: dict[str, dict] = {}
    typed: dict[str, tuple[str, str]] = {}  # case_id -> (type, where it was given)
    for doc, info in prepared:
        if not info:
            continue
        case_id, kind = info["case_id"], " ".join(info["type"].split())
        if case_id in known and known[case_id].type:
            typed.setdefault(case_id, (known[case_id].type, "the project"))
        if kind:
            first, where = typed.setdefault(case_id, (kind, str(doc.path)))
            if first.lower() != kind.lower():
                raise CorpusError(f"{doc.path}: case {info['name']!r} has case_type {kind!r}, but {where} has "
                                  f"{first!r}; give a case one type (or leave the other case_type cells empty)")
        if case_id not in known:
            to_store.setdefault(case_id, dict(info))
    for case_id, (kind, where) in typed.items():
        if case_id in to_store:
            to_store[case_id]["type"] = kind
        elif where != "the project":  # a stored case without a type gets the one a document gives
            row = known[case_id]
            to_store[case_id] = {"case_id": case_id, "name": row.name, "type": kind, "members": row.members,
                                 "aliases": row.aliases, "metadata": row.metadata}
    return to_store


def add_files(project, paths: Iterable[str | Path] = (), case: str | None = None,
              manifest: str | Path | None = None, interviewer_names: Iterable[str] = (),
              override_case: bool = False, allow_duplicate: bool = False) -> pd.DataFrame:
    """Read files (or a manifest's rows) and add them to `project`.

    Returns one row per file: `document_id, path, case_id, status` ('added' or 'unchanged'), `warnings`.

    All files are read before anything is stored, so a bad file stops the whole batch with the store untouched.
    `case` (or a manifest's case) contradicting a file's own `case:` is an error unless `override_case`.
    A document already stored with the same text is 'unchanged'; a changed one is an error (see the store).
    A new document whose text (or, in another format, whose words) a document of the project or an earlier file
    of the batch has is refused, since its codings would count twice; `allow_duplicate` stores it with a warning.
    """
    items: list = list(paths)
    if manifest is not None:
        items += read_manifest(manifest)
    if not items:
        raise CorpusError("no files given; name transcripts to add or pass --manifest FILE")
    # Every document read stays alive until stored and checked, so a collection pass would only walk them all again
    # (full passes grew faster than the files); they are freed as usual when the call ends.
    with paused_gc():
        return _add_read(project, items, case, interviewer_names, override_case, allow_duplicate)


def _add_read(project, items: list, case: str | None, interviewer_names: Iterable[str],
              override_case: bool, allow_duplicate: bool) -> pd.DataFrame:
    """`add_files` once its arguments are checked."""
    documents = read_documents(items, case=case, interviewer_names=interviewer_names, override_case=override_case)
    stored_cases = project.cases()
    case_id = case_ids(stored_cases)
    prepared = [_with_case_ids(doc, case_id) for doc in documents]
    new_cases = _cases_to_store(stored_cases, prepared)
    _check_readded(project, prepared)
    rows = []
    with project.transaction():  # checked under the write lock, so a second `add` running at once is seen
        if not allow_duplicate:
            _refuse_duplicates(project, [doc for doc, _ in prepared])
        if new_cases:
            project.add_cases(list(new_cases.values()))
        statuses = project.add_documents([doc for doc, _ in prepared])
        for (doc, info), status in zip(prepared, statuses):
            rows.append({"document_id": doc.document_id, "path": doc.path,
                         "case_id": info["case_id"] if info else "", "status": status,
                         "warnings": "; ".join(doc.warnings)})
    if allow_duplicate:  # stored, but said: its codings count twice
        _warn_same_text(project, [r["document_id"] for r in rows if r["status"] == "added"])
        _warn_same_words(project, [doc for doc, _ in prepared], [r["status"] for r in rows])
    uncased = [r["document_id"] for r in rows if not r["case_id"] and r["status"] == "added"]
    if uncased:
        warn(f"{len(uncased)} document(s) added without a case ({', '.join(uncased[:5])}"
             f"{' ...' if len(uncased) > 5 else ''}); the case-by-code matrix cannot count them: give a case with "
             f"--case, a manifest's 'case' column or front matter 'case:'")
    return pd.DataFrame(rows, columns=["document_id", "path", "case_id", "status", "warnings"])


def _check_readded(project, prepared: list[tuple[Document, dict | None]]) -> None:
    """Refuse a file already in the project, unchanged, that is now given another case or read with other roles
    (`--interviewer` named now): it would be left as it was, 'unchanged', while the command line says otherwise
    (an empty case made, the interviewer's questions still coded)."""
    from ..store._documents import sha256

    stored = project.documents()
    if not len(stored):
        return
    known = {row.document_id: row for row in stored.itertuples()}
    again = [(doc, info) for doc, info in prepared
             if doc.document_id in known and known[doc.document_id].sha256 == sha256(doc.text)]
    if not again:
        return
    segments = project.segments([doc.document_id for doc, _ in again])
    roles = {doc_id: rows.role.tolist() for doc_id, rows in segments.groupby("document_id", sort=False)}
    for doc, info in again:
        old = str((known[doc.document_id].metadata or {}).get("case") or "").strip()
        if info and (_case_key(old) if old else "") != _case_key(info["name"]):
            fix = (f"change its case with casecode rename-case (or casecode remove {doc.document_id}, then add it "
                   f"again)" if old else f"casecode remove {doc.document_id}, then add it again with its case")
            raise CorpusError(f"{doc.path}: already in the project as {doc.document_id!r} "
                              + (f"under case {old!r}" if old else "without a case")
                              + f", not {info['name']!r}; leave the file out, or {fix}")
        was = roles.get(doc.document_id, [])
        asked = [seg.unit for seg, role in zip(doc.segments, was) if seg.role == "interviewer" != role]
        if asked:
            raise CorpusError(
                f"{doc.path}: already in the project as {doc.document_id!r}, where {len(asked)} turn(s) the "
                f"interviewer named now asks are coded (unit {asked[0]} the first); to leave them out, casecode remove "
                f"{doc.document_id}, then add it again with the interviewer named")


_DUPLICATE_FIX = "pass --allow-duplicate to keep both (its codings then count twice)"


def _refuse_duplicates(project, documents: list[Document]) -> None:
    """Refuse a new document whose text a document of the project, or an earlier file of this batch, has word for
    word (a copy under another name), or whose words one in another format has (the .txt and the .docx of one
    transcript): stored twice, its codings would count twice in every table, chart and matrix."""
    from ..corpus._readers import same_words, words_digest
    from ..store._documents import sha256

    stored = project.documents()
    known = set(stored.document_id)
    new = [doc for doc in documents if doc.document_id not in known]  # the others are 'unchanged' or refused
    if not new:
        return
    text_of = dict(zip(stored.sha256, stored.document_id))
    for doc in new:
        first = text_of.setdefault(sha256(doc.text), doc)
        if first is not doc:
            _refuse(doc, first, "text")
    formats = {doc.format for doc in new}
    others = stored[stored.format.map(lambda fmt: bool(formats - {fmt}))]
    earlier = []
    if len(others):
        rows_of = project.segments(list(others.document_id)).groupby("document_id", sort=False)
        fmt_of = dict(zip(others.document_id, others.format))
        earlier = [(words_digest(rows.itertuples()), fmt_of[doc_id], doc_id) for doc_id, rows in rows_of]
    if earlier or len(formats) > 1:
        said = ((words_digest(doc.segments), doc.format, doc) for doc in new)
        for doc, first, fmt in same_words(chain(earlier, said), other_format=True):
            _refuse(doc, first, "words", fmt)


def _refuse(doc: Document, first: Document | str, what: str, fmt: str | None = None) -> None:
    """The one-line refusal of `doc`, a duplicate of `first` (a stored document's id, or a file of the batch)."""
    if isinstance(first, str):
        where = f"document {first!r} of the project" + (f" (its .{fmt})" if fmt else "")
        fix = f"leave the file out, or casecode remove {first} first to keep this one instead, or {_DUPLICATE_FIX}"
    else:
        where = f"{first.path}, added with it"
        fix = f"leave one of them out, or {_DUPLICATE_FIX}"
    raise CorpusError(f"{doc.path}: the same {what} as {where}; if it is the same transcript, {fix}")


def _warn_same_text(project, added: list[str]) -> None:
    """Warn of a document just added whose text another document of the project has word for word (a copy
    under another name): both would be counted, doubling its codings in every table."""
    if not added:
        return
    documents = project.documents()
    ids_of = documents.groupby("sha256").document_id.agg(list)
    for ids in ids_of[ids_of.map(len) > 1]:
        new = [d for d in ids if d in set(added)]
        if new:
            others = [d for d in ids if d != new[0]]
            shown = ", ".join(map(repr, others[:3])) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            warn(f"document {new[0]!r} has the same text as {shown}; if it is the same "
                 f"transcript, remove one (casecode remove {new[0]}), or its codings count twice")


def _warn_same_words(project, documents: list[Document], statuses: list[str]) -> None:
    """Warn of a document just added whose words another document of the project in another format has (the
    .txt and the .docx of one transcript): their texts differ (layout, front matter), so `_warn_same_text` misses
    them. Only documents of the project in other formats than the new one are read."""
    from itertools import chain

    from ..corpus._readers import same_words, words_digest

    added = [doc for doc, status in zip(documents, statuses) if status == "added"]
    if not added:
        return
    formats = {doc.format for doc in added}
    stored = project.documents()
    kept = stored[~stored.document_id.isin({doc.document_id for doc in added})
                  & stored.format.map(lambda fmt: bool(formats - {fmt}))]
    if not len(kept) and len(formats) < 2:
        return
    fmt_of = dict(zip(kept.document_id, kept.format))
    rows_of = project.segments(list(fmt_of)).groupby("document_id", sort=False) if len(kept) else ()
    earlier = ((words_digest(rows.itertuples()), fmt_of[doc_id], (doc_id, None)) for doc_id, rows in rows_of)
    new = ((words_digest(doc.segments), doc.format, (doc.document_id, doc.path)) for doc in added)
    for (doc_id, path), (first, _), fmt in same_words(chain(earlier, new), other_format=True):
        if path is not None:  # a document just added (two stored ones were told when they were added)
            warn(f"{path}: the same words as document {first!r} (its .{fmt}); if it is the same transcript, "
                 f"remove one (casecode remove {doc_id}), or its codings count twice")
