"""Checking coding rows and applying review decisions, inside a transaction the caller owns."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Collection, NamedTuple

from types import SimpleNamespace

from sqlalchemy import Connection, bindparam, select

from .._shared import whole_number
from ..errors import StoreError
from . import _schema as t
from ._values import as_utc, chunks, clean, known_list, text

#: Score a person's coding (an `add` or a `recode`) carries, so score thresholds never drop it.
MANUAL_SCORE = 1.0


class Span(NamedTuple):
    document_id: str
    start: int
    end: int
    text: str


def segment_spans(conn: Connection, segment_ids: Collection[str]) -> dict[str, Span]:
    """Where each of `segment_ids` that exists sits in its document."""
    s = t.segments.c
    spans: dict[str, Span] = {}
    for part in chunks(sorted(segment_ids)):
        query = select(s.segment_id, s.document_id, s.start, s.end, s.text).where(s.segment_id.in_(part))
        for row in conn.execute(query):
            spans[row.segment_id] = Span(row.document_id, row.start, row.end, row.text)
    return spans


def check_code(code: str, known: Collection[str], where: str) -> str:
    if code not in known:
        raise StoreError(
            f"{where}: unknown code {code!r}; known codes: {known_list(known)}; add it to the codebook or fix the row"
        )
    return code


def _offset(value: Any, default: int, where: str) -> int:
    value = clean(value)
    if value is None or value == "":
        return default
    # An int column with a gap arrives as floats (12.0); anything else fractional or textual is a mistake.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise StoreError(f"{where} is {value!r}, not a whole number of characters")


def _score(value: Any, where: str) -> float | None:
    value = clean(value)
    if value is None or value == "":
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        score = -1.0
    if not 0.0 <= score <= 1.0:
        raise StoreError(f"{where}: score {value!r} is not a number from 0 to 1")
    return score


def coding_values(label: Any, row: dict[str, Any], known: Collection[str], spans: dict[str, Span]) -> dict:
    """Check one coding row and return its column values (without status, created_at, run).

    Only segment_id, code and coder are required: document_id comes from the segment, a missing span covers the
    whole segment, and missing evidence is the text the span covers.
    """
    where = f"codings row {label}"
    segment_id = text(row.get("segment_id"))
    span = spans.get(segment_id)
    if span is None:
        raise StoreError(
            f"{where}: segment {segment_id!r} is not in the store; add its document first with add_document"
        )
    code = check_code(text(row.get("code")), known, where)
    document_id = text(row.get("document_id")) or span.document_id
    if document_id != span.document_id:
        raise StoreError(
            f"{where}: document_id {document_id!r} does not match segment {segment_id!r}, "
            f"which belongs to {span.document_id!r}; fix the document_id"
        )
    start = _offset(row.get("start"), span.start, f"{where} start")
    end = _offset(row.get("end"), span.end, f"{where} end")
    if not span.start <= start < end <= span.end:
        raise StoreError(
            f"{where}: offsets {start}-{end} fall outside segment {segment_id!r} ({span.start}-{span.end}); "
            "offsets count characters from the start of the document"
        )
    coder = text(row.get("coder"))
    if not coder:
        raise StoreError(f"{where}: coder is empty; name the coder ('rules', 'model', 'reference' or a person)")
    return {
        "segment_id": segment_id,
        "document_id": document_id,
        "code": code,
        "start": start,
        "end": end,
        "evidence": text(row.get("evidence")) or span.text[start - span.start : end - span.start],
        "rule": text(row.get("rule")),
        "pattern": text(row.get("pattern")),
        "score": _score(row.get("score"), where),
        "coder": coder,
    }


class DecisionProblem(StoreError):
    """A decision whose own cells break the rules of decisions: `column` names the cell, `problem` says what is wrong
    and the fix (see `check_decision`)."""

    def __init__(self, column: str, problem: str):
        super().__init__(f"column {column!r}: {problem}")
        self.column, self.problem = column, problem


def check_decision(decision: Any, coding_id: Any, new_code: Any, decided_by: Any, known: Collection[str], *,
                   codes_from: str = "the codebook", codebook: str | None = None,
                   who: str = "name the person who decided") -> dict[str, Any]:
    """The one check of a decision's own values, used by the store and by the review workbook reader alike.

    Returns `decision` (lower case, one of DECISIONS), `coding_id` (an int, or None for `add`), `new_code` and
    `decided_by`; raises DecisionProblem naming the column. `known` are the code ids (in the order to list them),
    `codes_from` where to find them, `codebook` its name, and `who` how to fill an empty decided_by.
    """
    shown = text(decision).strip()
    decision = shown.lower()
    if decision not in t.DECISIONS:
        listed = ", ".join(t.DECISIONS[:-1]) + f" or {t.DECISIONS[-1]}"
        raise DecisionProblem("decision", f"{shown!r} is not a decision; use {listed}")
    given = text(coding_id).strip() != ""
    if not given and decision != "add":
        raise DecisionProblem("coding_id", f"empty; {decision} needs the coding_id of a suggestion (use add for a code "
                                           f"of your own)")
    if given and decision == "add":
        raise DecisionProblem("decision", "'add' is for rows of your own with an empty coding_id; use recode to "
                                          "change the code of this suggestion")
    number = _whole_number(coding_id) if given else None
    if given and number is None:
        raise DecisionProblem("coding_id", f"{clean(coding_id)!r} is not a coding id; keep the id casecode wrote, or "
                                           f"empty the cell to add a code")
    new_code = text(new_code).strip()
    if decision in ("recode", "add") and not new_code:
        raise DecisionProblem("new_code", f"empty; {decision} needs a code id from {codes_from}")
    if decision in ("accept", "reject") and new_code:
        raise DecisionProblem("new_code", f"{new_code!r} given with decision {decision!r}; use recode to change the "
                                          f"code, or empty new_code")
    if new_code and new_code not in known:
        ids = list(known)
        close = difflib.get_close_matches(new_code, ids, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {known_list(ids)}"
        of = f"codebook {codebook!r}" if codebook else "the codebook"
        raise DecisionProblem("new_code", f"{new_code!r} is not a code of {of}; {hint} (see {codes_from})")
    decided_by = text(decided_by).strip()
    if not decided_by:
        raise DecisionProblem("decided_by", f"empty; {who}")
    return {"decision": decision, "coding_id": number, "new_code": new_code, "decided_by": decided_by}


def _whole_number(value: Any) -> int | None:
    """An id given as a number or as text ("12", 12.0); None when it is not a whole number."""
    return whole_number(clean(value))


def _insert_coding(conn: Connection, values: dict, status: str, stamp: dt.datetime, run: str | None) -> int:
    row = dict(values, status=status, created_at=stamp, run=run)
    return conn.execute(t.codings.insert().values(**row)).inserted_primary_key[0]


def _set_status(conn: Connection, coding_id: int, status: str) -> None:
    conn.execute(t.codings.update().where(t.codings.c.coding_id == coding_id).values(status=status))


class CodingCache:
    """The codings a batch of decisions reads and changes, kept in memory for the batch: every coding of the units
    the batch names is read in a few queries (not four statements per decision), each decision sees the statuses
    the earlier ones gave, and the status changes are written together by `flush` (one executemany). Codings the
    batch makes (recode, add) are inserted at once, as before, and kept here too."""

    _STEP = 500  # ids or units per query

    def __init__(self, conn: Connection, coding_ids: Collection[int] = (), segment_ids: Collection[str] = ()):
        self.conn = conn
        self.by_id: dict[int, dict] = {}
        self.units: dict[str, list[int]] = {}  # unit -> its codings' ids, for the units read whole
        self.pending: dict[int, str] = {}  # coding id -> status not yet written
        self._backers: dict[int, set[str]] = {}  # coding id -> the people it stands for (`backers`), read lazily
        self._changes: dict[int, list[tuple[str, bool]]] = {}  # this batch's changes to backers not yet read
        self._undone: set[int] | None = None
        c = t.codings.c
        found = set(segment_ids)
        for part in chunks(sorted(set(coding_ids)), self._STEP):
            found.update(conn.execute(select(c.segment_id).where(c.coding_id.in_(part))).scalars())
        self._read_units(found)

    def _read_units(self, segment_ids: Collection[str]) -> None:
        c = t.codings.c
        wanted = sorted(set(segment_ids) - set(self.units))
        for segment_id in wanted:
            self.units[segment_id] = []
        for part in chunks(wanted, self._STEP):
            rows = self.conn.execute(select(t.codings).where(c.segment_id.in_(part)).order_by(c.coding_id))
            for row in rows.mappings():
                coding = self.by_id.setdefault(row["coding_id"], dict(row))  # a cached one keeps its own status
                self.units[coding["segment_id"]].append(coding["coding_id"])

    def get(self, coding_id: int) -> dict | None:
        """The coding as it stands in this batch, or None when the store has no such coding."""
        coding = self.by_id.get(coding_id)
        if coding is None:
            unit = self.conn.execute(select(t.codings.c.segment_id).where(t.codings.c.coding_id == coding_id)).scalar()
            if unit is None:
                return None
            self._read_units([unit])
            coding = self.by_id.get(coding_id)
        return coding

    def on_unit(self, segment_id: str) -> list[dict]:
        """Every coding of the unit, oldest first."""
        if segment_id not in self.units:
            self._read_units([segment_id])
        return [self.by_id[i] for i in self.units[segment_id]]

    def set_status(self, coding_id: int, status: str) -> None:
        self.get(coding_id)["status"] = status
        self.pending[coding_id] = status

    def insert(self, values: dict, status: str, stamp: dt.datetime, run: str | None) -> int:
        new_id = _insert_coding(self.conn, values, status, stamp, run)
        row = dict(values, coding_id=new_id, status=status, created_at=stamp, run=run)
        row.setdefault("pattern", "")
        self.by_id[new_id] = row
        self._backers[new_id] = {values["coder"]}  # a coding made by hand in this batch: its maker's
        if values["segment_id"] in self.units:
            self.units[values["segment_id"]].append(new_id)
        return new_id

    def backers(self, coding: dict) -> set[str]:
        """The people a standing coding is the judgement of: whoever made it by hand (an add or a recode),
        whoever added the same code to the same place after them (an add that joins it), and whoever's latest
        decision on it is an accept; kept up to date through the batch (`decided`)."""
        coding_id = coding["coding_id"]
        if coding_id not in self._backers:
            d = t.decisions.c
            if self._undone is None:
                self._undone = undone_ids(self.conn.execute(select(d.decision_id, d.decided_by, d.decision)).all())
            undone = self._undone
            rows = self.conn.execute(select(d.decision_id, d.decided_by, d.decision, d.coding_id, d.new_coding_id)
                                     .where((d.coding_id == coding_id) | (d.new_coding_id == coding_id))
                                     .order_by(d.decision_id)).all()
            people: set[str] = set()
            latest: dict[str, str] = {}
            for row in rows:
                if row.decision_id in undone or row.decision in (UNDO, FOLD):
                    continue
                if row.new_coding_id == coding_id and row.decision in ("add", "recode"):
                    people.add(row.decided_by)
                elif row.coding_id == coding_id:
                    latest[row.decided_by] = row.decision
            self._backers[coding_id] = people | {who for who, decision in latest.items() if decision == "accept"}
            for person, stands in self._changes.pop(coding_id, []):
                self.decided(coding_id, person, stands)
        return self._backers[coding_id]

    def decided(self, coding_id: int, person: str, stands: bool) -> None:
        """`person` now stands behind the coding (an accept, an add) or no longer does (a reject, a recode)."""
        if coding_id not in self._backers:
            self._changes.setdefault(coding_id, []).append((person, stands))
        elif stands:
            self._backers[coding_id].add(person)
        else:
            self._backers[coding_id].discard(person)

    def flush(self) -> None:
        """Write the status changes not yet written."""
        if not self.pending:
            return
        c = t.codings.c
        update = t.codings.update().where(c.coding_id == bindparam("cid")).values(status=bindparam("new_status"))
        self.conn.execute(update, [{"cid": i, "new_status": s} for i, s in self.pending.items()])
        self.pending.clear()


def apply_decisions(conn: Connection, rows: list[tuple[Any, dict[str, Any]]], known: Collection[str]) -> list[int]:
    """`apply_decision` for each (label, row) in order, all read and written in batches (`CodingCache`); the
    decisions are appended in row order and their ids returned."""
    if not rows:
        return []
    coding_ids = {n for _, row in rows if (n := _whole_number(row.get("coding_id"))) is not None}
    cache = CodingCache(conn, coding_ids, {text(row.get("segment_id")) for _, row in rows} - {""})
    known = sorted(known)
    entries = [_decision_entry(conn, label, row, known, cache) for label, row in rows]
    cache.flush()
    insert = t.decisions.insert().returning(t.decisions.c.decision_id, sort_by_parameter_order=True)
    return list(conn.execute(insert, entries).scalars())


def apply_decision(conn: Connection, label: Any, row: dict[str, Any], known: Collection[str]) -> int:
    """Check one decision row (`check_decision`, then against the store), change the codings it concerns, append it
    to the history; return its id.

    Errors name the row as `row["where"]` says (e.g. the workbook and its sheet row), else by its label, and the
    column."""
    return apply_decisions(conn, [(label, row)], known)[0]


def _decision_entry(conn: Connection, label: Any, row: dict[str, Any], known: list[str], cache: CodingCache) -> dict:
    """`apply_decision` of one row up to the decision's history entry, which is returned (not yet inserted)."""
    where = text(row.get("where")) or f"decisions row {label}"
    new_code = text(row.get("new_code")) or (text(row.get("code")) if text(row.get("decision")).strip().lower()
                                             == "add" else "")
    try:
        checked = check_decision(row.get("decision"), row.get("coding_id"), new_code, row.get("decided_by"), known)
    except DecisionProblem as exc:
        raise StoreError(f"{where}, {exc}") from None
    decision, decided_by = checked["decision"], checked["decided_by"]
    stamp = as_utc(row.get("decided_at"), f"{where} decided_at")
    if decision == "add":
        effect = _add(conn, where, row, checked["new_code"], decided_by, stamp, cache)
    else:
        effect = _decide_on_coding(conn, where, row, decision, checked["coding_id"], checked["new_code"], decided_by,
                                   stamp, cache)
    return dict(
        effect,
        decision=decision,
        decided_by=decided_by,
        decided_at=stamp,
        comment=text(row.get("comment")),
        source=text(row.get("source")),
    )


def _passage(row: dict[str, Any], span: Span, where: str) -> tuple[int, int] | None:
    """The `start`/`end` of an `add` that codes a passage inside its segment, or None for the whole segment."""
    if clean(row.get("start")) in (None, "") and clean(row.get("end")) in (None, ""):
        return None
    start = _offset(row.get("start"), span.start, f"{where} start")
    end = _offset(row.get("end"), span.end, f"{where} end")
    if not span.start <= start < end <= span.end:
        raise StoreError(
            f"{where}: passage {start}-{end} falls outside segment {row.get('segment_id')!r} "
            f"({span.start}-{span.end}); offsets count characters from the start of the document"
        )
    return start, end


def _add(conn, where, row, code, decided_by, stamp, cache: CodingCache) -> dict:
    """`add` (checked by `check_decision`): a new manual coding spanning the whole segment, or the passage
    `start`-`end` inside it."""
    segment_id = text(row.get("segment_id"))
    span = segment_spans(conn, [segment_id]).get(segment_id)
    if span is None:
        raise StoreError(f"{where}: segment {segment_id!r} is not in the store; check the segment_id")
    passage = _passage(row, span, where)
    start, end = passage or (span.start, span.end)
    # a passage is a duplicate only of the same passage; a whole-segment add of any
    standing = [coding for coding in cache.on_unit(segment_id)
                if coding["code"] == code and coding["status"] in _STANDING
                and (passage is None or (coding["start"], coding["end"]) == (start, end))]
    # The same person's second add of it is refused, so importing the same review twice fails loudly instead of
    # doubling counts. Another person's add of a code that stands there already is their own judgement: it is
    # recorded, and joins the coding that stands (the unit still holds the code once, so no count sees it twice,
    # while agreement between the two reviewers sees both).
    mine = next((SimpleNamespace(**coding) for coding in standing if decided_by in cache.backers(coding)), None)
    if mine is not None:
        what = f"passage {start}-{end} of segment {segment_id!r}" if passage else f"segment {segment_id!r}"
        raise StoreError(
            f"{where}, column 'new_code': {what} already has code {code!r} (coding {mine.coding_id}, "
            f"{mine.status}, by {decided_by}); nothing to add"
        )
    if standing:
        joined = standing[0]["coding_id"]
        cache.decided(joined, decided_by, True)
        return {"coding_id": None, "segment_id": segment_id, "code": code, "new_code": None, "new_coding_id": joined}
    values = {
        "segment_id": segment_id,
        "document_id": span.document_id,
        "code": code,
        "start": start,
        "end": end,
        "evidence": span.text[start - span.start : end - span.start],
        "rule": "add",
        "score": MANUAL_SCORE,
        "coder": decided_by,
    }
    new_id = cache.insert(values, "manual", stamp, None)
    return {"coding_id": None, "segment_id": segment_id, "code": code, "new_code": None, "new_coding_id": new_id}


def _refuse_second(cache: CodingCache, where: str, segment_id: str, code: str, coding_id: int, fix: str,
                   column: str = "new_code") -> None:
    """Refuse a decision that would give a unit a second standing (accepted or manual) coding of `code`."""
    standing = next((c for c in cache.on_unit(segment_id) if c["code"] == code and c["status"] in _STANDING
                     and c["coding_id"] != coding_id), None)
    if standing is not None:
        raise StoreError(f"{where}, column {column!r}: segment {segment_id!r} already has code {code!r} (coding "
                         f"{standing['coding_id']}, {standing['status']}); {fix}")


def _decide_on_coding(conn, where, row, decision, coding_id, new_code, decided_by, stamp, cache: CodingCache) -> dict:
    """`accept`, `reject` or `recode` (checked by `check_decision`) an existing coding."""
    coding = cache.get(coding_id)
    if coding is None:
        raise StoreError(f"{where}: coding {coding_id} is not in the store; copy the coding_id from the codings table")
    segment_id = text(row.get("segment_id"))
    if segment_id and segment_id != coding["segment_id"]:
        raise StoreError(
            f"{where}: coding {coding_id} belongs to segment {coding['segment_id']!r}, not {segment_id!r}; "
            "fix the segment_id or the coding_id"
        )
    if coding["status"] == "folded":
        into = conn.execute(select(t.decisions.c.new_coding_id).where(
            t.decisions.c.coding_id == coding_id, t.decisions.c.decision == FOLD)
            .order_by(t.decisions.c.decision_id.desc())).scalar()
        raise StoreError(f"{where}: coding {coding_id} was folded into coding {into} when two codes were merged; "
                         f"decide on coding {into} instead (write a new review workbook)")
    effect = {"coding_id": coding_id, "segment_id": coding["segment_id"], "code": coding["code"], "new_coding_id": None}
    if decision == "recode" and new_code == coding["code"]:
        raise StoreError(f"{where}, column 'new_code': coding {coding_id} already has code {new_code!r}; use 'accept' "
                         f"instead of 'recode'")
    if decision == "recode":
        _refuse_second(cache, where, coding["segment_id"], new_code, coding_id,
                       "reject this suggestion instead of recoding it")
    elif decision == "accept":
        _refuse_second(cache, where, coding["segment_id"], coding["code"], coding_id,
                       "reject this suggestion instead: the unit is coded already", column="decision")
    cache.decided(coding_id, decided_by, decision == "accept")
    if decision != "recode":
        cache.set_status(coding_id, "accepted" if decision == "accept" else "rejected")
        return dict(effect, new_code=None)
    cache.set_status(coding_id, "rejected")
    values = {k: coding[k] for k in ("segment_id", "document_id", "start", "end", "evidence")}
    values.update(code=new_code, rule=f"recode:{coding_id}", score=MANUAL_SCORE, coder=decided_by)
    new_id = cache.insert(values, "manual", stamp, None)
    return dict(effect, new_code=new_code, new_coding_id=new_id)


#: The decision that takes back a reviewer's latest decision; it is appended, never deleting the one it undoes.
UNDO = "undo"
#: The decision casecode records when it folds a second coding of one code on one unit into the first (codes merged):
#: `coding_id` is the folded coding, `new_coding_id` the one that stands for both. Like any decision it can be undone.
FOLD = "fold"
#: Who a fold is recorded as decided by.
FOLDED_BY = "casecode"
#: The status a coding stands with after each reviewer decision (or a fold).
DECISION_RESULT = {"accept": "accepted", "reject": "rejected", "recode": "rejected", FOLD: "folded"}
_STANDING = ("accepted", "manual")  # the statuses a reviewer's coding stands with


def fold_key(row: Any) -> tuple:
    """What makes two codings the same coding twice: unit, code and status, and the coder unless the coding was
    accepted (two people's codings, or two coders' suggestions, are separate judgements; an accepted coding is the
    reviewer's, whoever suggested it)."""
    return (row.segment_id, row.code, row.status, "" if row.status == "accepted" else row.coder)


def fold_duplicates(conn: Connection, code: str, touched: Collection[int], stamp: dt.datetime, source: str) -> int:
    """Fold every second coding of `code` on a unit (`fold_key`) where one of the codings is in `touched`: the
    best-scored suggestion, or else the oldest coding, stays; each other one gets status `folded` and a `fold`
    decision naming the coding it was folded into. A suggestion of a code the unit already has standing (accepted
    or by hand) is folded into that coding too. Returns the number folded."""
    c = t.codings.c
    rows = conn.execute(select(c.coding_id, c.segment_id, c.code, c.status, c.coder, c.score, c.start, c.end)
                        .where(c.code == code, c.status != "folded").order_by(c.coding_id)).all()
    touched = set(touched)
    units = {r.segment_id for r in rows if r.coding_id in touched}
    groups: dict[tuple, list[Any]] = {}
    for row in rows:
        if row.segment_id in units:
            groups.setdefault(fold_key(row), []).append(row)
    pairs = []
    standing: dict[str, Any] = {}
    for key, group in groups.items():
        if group[0].status == "suggested":
            group = sorted(group, key=lambda r: (-(r.score if r.score is not None else -1.0), r.coding_id))
        pairs += [(other, group[0]) for other in group[1:]]
        if key[2] in ("accepted", "manual"):
            standing.setdefault(key[0], group[0])
            standing[key[0]] = min(standing[key[0]], group[0], key=lambda r: r.coding_id)
    for key, group in groups.items():
        if key[2] == "suggested" and key[0] in standing:
            pairs.append((sorted(group, key=lambda r: (-(r.score if r.score is not None else -1.0),
                                                        r.coding_id))[0], standing[key[0]]))
    for other, keep in sorted(pairs, key=lambda pair: pair[0].coding_id):
        _set_status(conn, other.coding_id, "folded")
        conn.execute(t.decisions.insert().values(
            coding_id=other.coding_id, segment_id=other.segment_id, decision=FOLD, code=code, new_code=None,
            new_coding_id=keep.coding_id, decided_by=FOLDED_BY, decided_at=stamp, source=source,
            comment=f"coding {other.coding_id} ({other.status}, {other.start}-{other.end}) folded into coding "
                    f"{keep.coding_id} ({keep.status}, {keep.start}-{keep.end}): one unit held code {code!r} twice"))
    return len(pairs)


def undone_ids(history: list[Any]) -> set[int]:
    """Ids of the decisions taken back: replaying each reviewer's decisions in order, an `undo` cancels that
    reviewer's latest decision not yet cancelled. `history` rows need decision_id, decided_by and decision."""
    stacks: dict[str, list[int]] = {}
    undone: set[int] = set()
    for row in sorted(history, key=lambda r: r.decision_id):
        stack = stacks.setdefault(row.decided_by, [])
        if row.decision == UNDO:
            if stack:
                undone.add(stack.pop())
        else:
            stack.append(row.decision_id)
    return undone


def latest_standing(conn: Connection, decided_by: str | None = None) -> dict | None:
    """The latest decision not taken back (a `fold` too), of `decided_by` or of anyone; None when there is none."""
    d = t.decisions.c
    history = conn.execute(select(d.decision_id, d.decided_by, d.decision)).all()
    undone = undone_ids(history)
    left = [r.decision_id for r in history if r.decision != UNDO and r.decision_id not in undone
            and (decided_by is None or r.decided_by == decided_by)]
    if not left:
        return None
    return dict(conn.execute(select(t.decisions).where(d.decision_id == max(left))).mappings().one())


def undo_last(conn: Connection, decided_by: str, stamp: dt.datetime, source: str = "") -> int:
    """Append an `undo` of `decided_by`'s latest standing decision and restore the codings it changed; refused (with
    the reason and the fix) where a later decision builds on it (`_check_later`) or a coding would stand twice
    (`_check_standing`)."""
    decided_by = str(decided_by or "").strip()
    if not decided_by:
        raise StoreError("undo needs the reviewer's name (decided_by); name the person whose decision to undo")
    target = latest_standing(conn, decided_by)
    if target is None:
        raise StoreError(f"{decided_by!r} has no decision left to undo")
    _check_later(conn, target)
    entry = {key: target[key] for key in ("coding_id", "segment_id", "code", "new_code", "new_coding_id")}
    entry.update(decision=UNDO, decided_by=decided_by, decided_at=stamp, source=str(source or ""),
                 comment=f"undoes decision {target['decision_id']} ({target['decision']})")
    new_id = conn.execute(t.decisions.insert().values(**entry)).inserted_primary_key[0]
    c = t.codings.c
    ids = [i for i in (target["coding_id"], target["new_coding_id"]) if i is not None]
    before = dict(conn.execute(select(c.coding_id, c.status).where(c.coding_id.in_(ids))).all())
    after = {coding_id: _replayed_status(conn, coding_id) for coding_id in ids}
    for coding_id, status in after.items():
        _set_status(conn, coding_id, status)
    if target["decision"] != FOLD:  # a fold's undo brings back exactly the doubled coding the merge left
        _check_standing(conn, target, {i: s for i, s in after.items() if s in _STANDING and before[i] not in _STANDING})
    return new_id


def _what(target: dict) -> str:
    return f"decision {target['decision_id']} ({target['decision']} by {target['decided_by']})"


def _check_later(conn: Connection, target: dict) -> None:
    """Refuse to undo `target` while a later decision that stands builds on a coding it changed: another reviewer's
    decision on a coding it made, or a merge's fold into a coding it made or decided on."""
    d = t.decisions.c
    history = conn.execute(select(d.decision_id, d.decided_by, d.decision)).all()
    undone = undone_ids(history)
    made = target["new_coding_id"]
    touched = [i for i in (target["coding_id"], made) if i is not None]
    later = conn.execute(select(t.decisions).where(d.decision_id > target["decision_id"], d.decision != UNDO)
                         .order_by(d.decision_id)).mappings().all()
    for row in later:
        if row["decision_id"] in undone:
            continue
        if row["decision"] == FOLD and row["new_coding_id"] in touched:
            raise StoreError(
                f"{_what(target)} cannot be undone: coding {row['coding_id']} was folded into coding "
                f"{row['new_coding_id']} when codes were merged (decision {row['decision_id']}) and would stay folded "
                f"into a coding that no longer stands; take the merge's folds back first (casecode undo --reviewer "
                f"{FOLDED_BY})")
        if made is not None and row["coding_id"] == made and row["decision"] != FOLD:  # folded, it stays folded
            raise StoreError(
                f"{_what(target)} cannot be undone: coding {made}, which it made, has since been decided on by "
                f"{row['decided_by']} (decision {row['decision_id']}, {row['decision']}); {row['decided_by']} must undo "
                f"that first (casecode undo --reviewer {row['decided_by']!r})")


def _check_standing(conn: Connection, target: dict, risen: dict[int, str]) -> None:
    """Refuse an undo that makes a coding stand again (`risen`: id -> its new status) beside another standing coding
    of its code on its unit (the second coding `_refuse_second` and `_add` keep out)."""
    c = t.codings.c
    for coding_id, status in risen.items():
        mine = conn.execute(select(t.codings).where(c.coding_id == coding_id)).mappings().one()
        others = conn.execute(select(c.coding_id, c.status, c.start, c.end).where(
            c.segment_id == mine["segment_id"], c.code == mine["code"], c.status.in_(_STANDING),
            c.coding_id.not_in(list(risen))).order_by(c.coding_id)).all()
        for other in others:
            if "accepted" in (status, other.status) or (other.start, other.end) == (mine["start"], mine["end"]):
                raise StoreError(
                    f"{_what(target)} cannot be undone: coding {coding_id} would stand again ({status}) while "
                    f"segment {mine['segment_id']!r} already has code {mine['code']!r} (coding {other.coding_id}, "
                    f"{other.status}); take coding {other.coding_id} back first (undo or reject it), then undo again")


def _replayed_status(conn: Connection, coding_id: int) -> str:
    """A coding's status from the decisions that stand: the latest accept/reject/recode on it; else `manual` for a
    coding a standing add or recode made, `withdrawn` for one whose making was undone (no reviewer rejected it: a
    `rejected` would count as one more rejected suggestion), `suggested` otherwise
    (`reference` for the reference coder's)."""
    d = t.decisions.c
    history = conn.execute(select(d.decision_id, d.decided_by, d.decision)).all()
    undone = undone_ids(history)
    on_it = conn.execute(
        select(d.decision_id, d.decision).where(d.coding_id == coding_id, d.decision.in_(tuple(DECISION_RESULT)))
        .order_by(d.decision_id)
    ).all()
    standing = [r for r in on_it if r.decision_id not in undone]
    if standing:
        return DECISION_RESULT[standing[-1].decision]
    made_by = conn.execute(select(d.decision_id).where(d.new_coding_id == coding_id,
                                                       d.decision.in_(("add", "recode")))).scalars().all()
    if made_by:  # made by hand, or joined by another reviewer's add: it stands while any of those stands
        return "manual" if any(i not in undone for i in made_by) else "withdrawn"
    coder = conn.execute(select(t.codings.c.coder).where(t.codings.c.coding_id == coding_id)).scalar_one()
    return "reference" if coder == "reference" else "suggested"
