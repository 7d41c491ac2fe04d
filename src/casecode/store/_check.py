"""The store's integrity check: what `casecode check` reports. Every rule here is one the store's writes keep, so a
problem means the database was damaged or written by something else."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, func, select, text

from . import _schema as t
from ._codings import DECISION_RESULT, FOLD, UNDO, undone_ids

#: The automatic coders whose suggestion of one code on one span must be stored once.
_AUTOMATIC = ("rules", "model", "combined")
_LIMIT = 5  # examples named per kind of problem


def integrity_problems(conn: Connection) -> list[str]:
    """One line per kind of problem found (empty when the store is consistent)."""
    problems: list[str] = []
    if conn.dialect.name == "sqlite":
        result = [row[0] for row in conn.execute(text("PRAGMA integrity_check"))]
        if result != ["ok"]:
            problems.append(f"SQLite integrity check: {'; '.join(result[:_LIMIT])}")
        broken = list(conn.execute(text("PRAGMA foreign_key_check")))
        if broken:
            problems.append(f"{len(broken)} row(s) point at rows that do not exist (first in table {broken[0][0]!r})")
    problems += _segments(conn)
    problems += _codings(conn)
    problems += _decisions(conn)
    return problems


def counts(conn: Connection) -> dict[str, int]:
    tables = {"documents": t.documents, "segments": t.segments, "codings": t.codings, "decisions": t.decisions,
              "memos": t.memos}
    return {name: conn.execute(select(func.count()).select_from(table)).scalar_one() for name, table in tables.items()}


def _found(what: str, items) -> list[str]:
    """One problem line for the rows found (their count, what they are, the first few), or none."""
    items = list(items)
    if not items:
        return []
    more = f" (and {len(items) - _LIMIT} more)" if len(items) > _LIMIT else ""
    return [f"{len(items)} {what}: {', '.join(str(i) for i in items[:_LIMIT])}{more}"]


def _segments(conn: Connection) -> list[str]:
    texts = dict(conn.execute(select(t.documents.c.document_id, t.documents.c.text)).all())
    s = t.segments.c
    drifted, orphans = [], []
    for row in conn.execute(select(s.segment_id, s.document_id, s.start, s.end, s.text)):
        document = texts.get(row.document_id)
        if document is None:
            orphans.append(row.segment_id)
        elif document[row.start:row.end] != row.text:
            drifted.append(row.segment_id)
    return (_found("segment(s) of documents that are not stored", orphans)
            + _found("segment(s) whose offsets do not point at their text", drifted))


def _codings(conn: Connection) -> list[str]:
    c, s = t.codings.c, t.segments.c
    spans = {row.segment_id: row for row in conn.execute(select(s.segment_id, s.document_id, s.start, s.end))}
    codes = set(conn.execute(select(t.codes.c.code_id)).scalars())
    outside, unknown_code, bad_status, twice, standing = [], [], [], Counter(), {}
    query = select(c.coding_id, c.segment_id, c.document_id, c.code, c.start, c.end, c.coder, c.status)
    for row in conn.execute(query):
        span = spans.get(row.segment_id)
        if span is None or span.document_id != row.document_id or not span.start <= row.start < row.end <= span.end:
            outside.append(row.coding_id)
        if codes and row.code not in codes:
            unknown_code.append(row.coding_id)
        if row.status not in t.STATUSES:
            bad_status.append(row.coding_id)
        if row.coder in _AUTOMATIC and row.status != "folded":
            twice[(row.segment_id, row.code, row.coder, row.start, row.end)] += 1
        if row.status in ("accepted", "manual"):
            standing.setdefault((row.segment_id, row.code), []).append(row.status)
    doubled = [f"{seg} {code} by {coder}" for (seg, code, coder, _, _), n in twice.items() if n > 1]
    # An accepted coding beside another accepted or added one of its code: counted twice (two people's own codings,
    # or one person's passages, are not doubles).
    standing_twice = [f"{seg} {code}" for (seg, code), statuses in standing.items()
                      if len(statuses) > 1 and "accepted" in statuses]
    return (_found("coding(s) outside their segment", outside)
            + _found("coding(s) of codes not in the codebook", unknown_code)
            + _found("coding(s) with an unknown status", bad_status)
            + _found("suggestion(s) stored more than once", doubled)
            + _found("unit(s) holding one code twice (accepted, and accepted or added again), so counts and "
                     "agreement see it twice; reject one of each on the page (casecode serve)", standing_twice))


def _decisions(conn: Connection) -> list[str]:
    """Decisions name a known decision and existing codings, and each coding's status is what its latest standing
    decision (one not taken back by an undo) made it."""
    d, c = t.decisions.c, t.codings.c
    status = dict(conn.execute(select(c.coding_id, c.status)).all())
    history = conn.execute(select(d.decision_id, d.coding_id, d.decision, d.new_coding_id, d.decided_by)
                           .order_by(d.decision_id)).all()
    undone = undone_ids(history)
    latest: dict[int, str] = {}
    unknown = []
    for row in history:
        if row.decision not in (*t.DECISIONS, UNDO, FOLD):
            unknown.append(row.decision_id)
        if row.new_coding_id is not None and status.get(row.new_coding_id) is None:
            unknown.append(row.decision_id)
        if row.coding_id is not None and row.decision in DECISION_RESULT and row.decision_id not in undone:
            latest[row.coding_id] = row.decision
    wrong = [cid for cid, decision in latest.items() if status.get(cid) != DECISION_RESULT[decision]]
    return (_found("decision(s) with an unknown decision or coding", unknown)
            + _found("coding(s) whose status disagrees with their latest decision", wrong))
