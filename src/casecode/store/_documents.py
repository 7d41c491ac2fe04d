"""Checking a Document before it is stored, and removing one, inside a transaction the caller owns."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Connection, delete, func, select

from ..corpus import Document
from ..corpus._model import document_id_problem
from ..errors import StoreError
from . import _schema as t
from ._values import chunks, from_json, to_json, utcnow


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_document(doc: Document) -> None:
    """Refuse a document whose segments do not point into its own text or repeat an id."""
    if not isinstance(doc, Document):
        raise StoreError(f"add_document takes a casecode.corpus.Document; got {type(doc).__name__}")
    if not str(doc.document_id or "").strip():
        raise StoreError(f"document from {doc.path!r} has an empty document_id; give it an id")
    problem = document_id_problem(str(doc.document_id))
    if problem:
        raise StoreError(f"document from {doc.path!r}: document_id {doc.document_id!r} {problem}; use letters, "
                         f"digits, '-' and '_'")
    seen: set[str] = set()
    for seg in doc.segments:
        where = f"document {doc.document_id!r} segment {seg.segment_id!r}"
        if seg.document_id != doc.document_id:
            raise StoreError(f"{where} names document {seg.document_id!r}; a segment must belong to its document")
        if seg.segment_id in seen:
            raise StoreError(f"{where} appears twice; segment ids must be unique")
        seen.add(seg.segment_id)
        if doc.text[seg.start : seg.end] != seg.text:
            raise StoreError(
                f"{where}: offsets {seg.start}-{seg.end} do not point at its text; the reader that made it drifted"
            )


def check_segment_ids_free(conn: Connection, doc: Document) -> None:
    """Segment ids are unique in a project; refuse ids another document already uses."""
    s = t.segments.c
    ids = [seg.segment_id for seg in doc.segments]
    for part in chunks(ids):
        clash = conn.execute(select(s.segment_id, s.document_id).where(s.segment_id.in_(part))).first()
        if clash is not None:
            raise StoreError(
                f"segment id {clash.segment_id!r} of document {doc.document_id!r} is already used by document "
                f"{clash.document_id!r}; give the documents distinct ids"
            )


def insert_document(conn: Connection, doc: Document, digest: str, added_at=None) -> None:
    insert_documents(conn, [(doc, digest, added_at)])


_SEGMENT_FIELDS = ("segment_id", "document_id", "unit", "start", "end", "text", "speaker", "role", "kind", "heading")


def insert_documents(conn: Connection, batch: list[tuple[Document, str, Any]]) -> None:
    """Insert (document, sha256 digest, added_at or None for now) with their segments and case links, in a few
    statements for the whole batch; rows go in the order one document after the other would give them."""
    if not batch:
        return
    stamps, last = [], None
    for _, _, added_at in batch:
        stamp = added_at or utcnow()
        if not added_at and last is not None and stamp <= last:
            stamp = last + dt.timedelta(microseconds=1)  # documents list in the order they were added
        stamps.append(stamp)
        last = stamp if not added_at else last
    conn.execute(t.documents.insert(), [
        {
            "document_id": doc.document_id,
            "path": str(doc.path or ""),
            "format": str(doc.format or ""),
            "sha256": digest,
            "text": doc.text,
            "metadata": to_json(doc.metadata, f"document {doc.document_id!r} metadata"),
            "encoding": str(doc.metadata.get("encoding", "") or ""),
            "added_at": stamp,
        }
        for (doc, digest, _), stamp in zip(batch, stamps)
    ])
    rows = [dict({c: getattr(seg, c) for c in _SEGMENT_FIELDS}, codable=bool(seg.codable))
            for doc, _, _ in batch for seg in doc.segments]
    if rows:
        conn.execute(t.segments.insert(), rows)
    links = [
        {"segment_id": seg.segment_id, "case_id": str(case_id), "position": i}
        for doc, _, _ in batch
        for seg in doc.segments
        for i, case_id in enumerate(dict.fromkeys(seg.cases))  # a case listed twice is linked once
    ]
    if links:
        conn.execute(t.segment_cases.insert(), links)


#: project_info key of the documents the automatic coders have coded (a JSON list of ids).
CODED_KEY = "auto_coded_documents"


def remove_document(conn: Connection, document_id: str) -> None:
    """Delete a document, its segments and its suggested codings; refuse if a person has reviewed any coding."""
    c = t.codings.c
    # Every decision leaves its coding (or the coding it created) in a status other than 'suggested', so this
    # count also covers the decision history.
    reviewed = conn.execute(
        select(func.count()).where(c.document_id == document_id, c.status != "suggested")
    ).scalar_one()
    if reviewed:
        raise StoreError(
            f"document {document_id!r} has {reviewed} reviewed or reference coding(s) that removing it would lose; "
            "add the new version under a new id"
        )
    segment_ids = select(t.segments.c.segment_id).where(t.segments.c.document_id == document_id)
    conn.execute(delete(t.codings).where(c.document_id == document_id))
    conn.execute(delete(t.segment_cases).where(t.segment_cases.c.segment_id.in_(segment_ids)))
    conn.execute(delete(t.segments).where(t.segments.c.document_id == document_id))
    conn.execute(delete(t.documents).where(t.documents.c.document_id == document_id))
    info = t.project_info.c
    coded = conn.execute(select(info.value).where(info.key == CODED_KEY)).scalar_one_or_none()
    if coded is not None:  # a document added again under this id is new to the coders
        kept = [d for d in from_json(coded) if d != document_id]
        conn.execute(t.project_info.update().where(info.key == CODED_KEY).values(value=to_json(kept, CODED_KEY)))
