"""REFI-QDA exchange: a casecode project as a `.qdpx` archive and a codebook as a `.qdc`, both ways.

Export writes QDA-XML 1.0 that validates against the standard's schemas: users, the codebook (groups as parent
codes), cases with variables, every document as UTF-8 text with `\\n` line endings in `sources/<guid>.txt`, every
standing coding as a `PlainTextSelection` (code-point offsets, end exclusive) with its user and date, and memos as
notes. GUIDs are uuid5 of stable casecode ids, and the ZIP has fixed dates, so one project gives the same bytes.

What REFI-QDA cannot hold (code ids and patterns, segmentation into units, exact case and document metadata, the
project's `coder:`) goes in `casecode/project.json` inside the archive; other tools ignore it, and casecode reads it
back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
from lxml import etree

from .. import __version__
from ..codebook import Codebook, read_codebook
from ..codebook._model import Code, codebook_from_dict
from ..corpus import Document, Segment
from ..corpus._plain import plain_blocks
from ..corpus._readers import slugify
from ..corpus._turns import build_segments
from ..errors import CasecodeError, InteropError, warn
from ._archive import Archive, keep_inline_carriage_returns, parse_xml, write_atomic, write_zip, xml_bytes

NS = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
#: The archive member holding what REFI-QDA has no place for.
SIDECAR = "casecode/project.json"
SIDECAR_FORMAT = 1
#: Statuses exported by default: the codings that stand.
EXPORTED_STATUSES = ("accepted", "manual", "reference")
SUGGESTION_MARK = "casecode suggestion, not reviewed"
_SUGGESTION_RE = re.compile(rf"^{re.escape(SUGGESTION_MARK)} \(score ([0-9.]+|none)\)(?:: (.*))?$", re.S)
# Fixed namespace for uuid5: the same casecode id always gets the same GUID.
_GUID_NAMESPACE = uuid.UUID("6f1b5c1e-6a43-5d8e-9a1c-2f0e7c3b9d41")
_GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_CASE_FIELDS = ("case type", "members", "aliases")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _guid(*parts: Any) -> str:
    return str(uuid.uuid5(_GUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def _stamp(value: Any) -> str:
    """A naive UTC timestamp as xsd:dateTime, to the second."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _el(parent: etree._Element | None, tag: str, ns: str = NS, **attrs: Any) -> etree._Element:
    qname = f"{{{ns}}}{tag}"
    values = {k: str(v) for k, v in attrs.items() if v is not None and v != ""}
    if parent is None:
        return etree.Element(qname, values, nsmap={None: ns})
    return etree.SubElement(parent, qname, values)


def _text_el(parent: etree._Element, tag: str, text: str, ns: str = NS) -> None:
    if text:
        _el(parent, tag, ns).text = _xml_safe(text)


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot hold most control characters; a memo pasted from elsewhere may carry one.
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", text)


# ------------------------------------------------------------------------------------------------ codebook


def _description(code: Code) -> str:
    parts = [code.definition.strip()]
    if code.include:
        parts.append("Include:\n" + "\n".join(f"- {item}" for item in code.include))
    if code.exclude:
        parts.append("Exclude:\n" + "\n".join(f"- {item}" for item in code.exclude))
    return "\n\n".join(p for p in parts if p)


def _code_names(codebook: Codebook) -> tuple[dict[str, str], dict[str, str]]:
    """Unique names for codes and group parents: QualCoder merges codes of one name and loses their codings."""
    taken: set[str] = set()
    groups: dict[str, str] = {}
    names: dict[str, str] = {}
    for code in codebook:
        if code.group and code.group not in groups:
            groups[code.group] = code.group
            taken.add(code.group)
    for code in codebook:
        name = code.label if code.label not in taken else f"{code.label} ({code.id})"
        taken.add(name)
        names[code.id] = name
    return names, groups


def _codes_xml(parent: etree._Element, codebook: Codebook, ns: str, notes: Mapping[str, list[str]] | None = None):
    """Append `Code` elements in codebook order, each group as a non-codable parent code at its first member."""
    names, groups = _code_names(codebook)
    parents: dict[str, etree._Element] = {}
    for code in codebook:
        holder = parent
        if code.group:
            if code.group not in parents:
                parents[code.group] = _el(parent, "Code", ns, guid=_guid("group", code.group), name=groups[code.group],
                                          isCodable="false")
            holder = parents[code.group]
        element = _el(holder, "Code", ns, guid=_guid("code", code.id), name=names[code.id], isCodable="true",
                      color=code.color)
        _text_el(element, "Description", _description(code), ns)
        for note in (notes or {}).get(code.id, []):
            _el(element, "NoteRef", ns, targetGUID=note)


def write_qdc(codebook: Codebook | str | Path, out: str | Path) -> Path:
    """Write a codebook as a REFI-QDA `.qdc` (QDA-XML codebook 1.0); groups become non-codable parent codes."""
    if not isinstance(codebook, Codebook):
        codebook = read_codebook(codebook)
    if not len(codebook):
        raise InteropError(f"codebook {codebook.name!r} has no codes; a .qdc needs at least one code")
    root = _el(None, "CodeBook", NS_CODEBOOK, origin=f"casecode {__version__}")
    _codes_xml(_el(root, "Codes", NS_CODEBOOK), codebook, NS_CODEBOOK)
    return write_atomic(xml_bytes(root), Path(out))


# ------------------------------------------------------------------------------------------------ export


@dataclass
class _Selection:
    start: int
    end: int
    code: str = ""  # "" for a segment memo's selection
    user: str = ""
    date: str = ""
    description: str = ""
    name: str = ""
    guid: str = ""
    notes: list[str] = field(default_factory=list)
    segment_id: str = ""
    pattern: str = ""  # the codebook pattern that matched; travels in the sidecar, keyed by the selection's guid

    def key(self) -> tuple:
        return (self.start, self.end, self.code, self.user, self.date, self.description)


def _other_backers(decisions: pd.DataFrame) -> dict[int, list[tuple[str, Any]]]:
    """{coding id: [(person, date)]} of the people a coding stands for besides its maker, from the decisions that
    stand: a reviewer whose add joined it (the code already stood there) and one whose latest decision on it is an
    accept. The coding's own user (its maker or last accepter) is among them and is dropped by the caller."""
    backers: dict[int, dict[str, Any]] = {}
    for row in decisions.itertuples():
        if row.decision == "add" and not pd.isna(row.new_coding_id):
            backers.setdefault(int(row.new_coding_id), {}).setdefault(row.decided_by, row.decided_at)
        elif row.decision in ("accept", "reject", "recode") and not pd.isna(row.coding_id):
            people = backers.setdefault(int(row.coding_id), {})
            people.pop(row.decided_by, None)  # dict order: the latest decision of each person last
            if row.decision == "accept":
                people[row.decided_by] = row.decided_at
    return {coding_id: list(people.items()) for coding_id, people in backers.items()}


def _coding_selections(project, include_suggested: bool) -> dict[str, list[_Selection]]:
    """Per document, the codings to export with the user and date that made each one stand; a coding that stands
    for several people (a second reviewer's add joined it, or two reviewers accepted it) is one selection per
    person, each with their user and date, as each coder's coding of a passage is in NVivo or QualCoder."""
    statuses = EXPORTED_STATUSES + (("suggested",) if include_suggested else ())
    codings = project.codings(status=statuses)
    decisions = project.decisions(standing=True)  # an accept taken back by `undo` made nothing stand
    accepted = decisions[decisions.decision == "accept"].drop_duplicates("coding_id", keep="last")
    by_accept = {int(r.coding_id): (r.decided_by, r.decided_at) for r in accepted.itertuples()}
    others = _other_backers(decisions)
    out: dict[str, list[_Selection]] = {}
    for row in codings.itertuples():
        user, date = row.coder, row.created_at
        if row.status == "accepted" and int(row.coding_id) in by_accept:
            user, date = by_accept[int(row.coding_id)]
        if row.status != "suggested":
            for person, when in others.get(int(row.coding_id), []):
                if person not in (user, row.coder):
                    out.setdefault(row.document_id, []).append(
                        _Selection(int(row.start), int(row.end), row.code, str(person), _stamp(when),
                                   segment_id=row.segment_id))
        rule = row.rule or ""
        if row.status == "suggested":
            score = "none" if pd.isna(row.score) else f"{row.score:.4f}"
            description, name = f"{SUGGESTION_MARK} (score {score})" + (f": {rule}" if rule else ""), "suggestion"
        else:
            # `add` and `recode:N` only repeat what the coding already says; anything else is why it was coded.
            description = "" if rule == "add" or re.fullmatch(r"recode:\d+", rule) else rule
            name = ""
        out.setdefault(row.document_id, []).append(
            _Selection(int(row.start), int(row.end), row.code, str(user), _stamp(date), description, name,
                       segment_id=row.segment_id, pattern=str(row.pattern or ""))
        )
    return out


@dataclass
class _Memo:
    guid: str
    target_type: str
    target_id: str
    author: str
    date: str
    text: str


def _memos(project) -> list[_Memo]:
    rows = project.memos()
    memos = []
    seen: dict[tuple, int] = {}
    order = rows.sort_values(["target_type", "target_id", "created_at", "author", "text"], kind="stable")
    for row in order.itertuples():
        key = (row.target_type, row.target_id, row.author, _stamp(row.created_at),
               hashlib.sha256(row.text.encode()).hexdigest())
        seen[key] = seen.get(key, 0) + 1
        memos.append(_Memo(_guid("memo", *key, seen[key]), row.target_type, row.target_id, row.author,
                           _stamp(row.created_at), row.text))
    return memos


def _variable_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "Boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "Float"
    if all(isinstance(v, str) and _DATE_RE.match(v) for v in values):
        return "Date"
    return "Text"


def _variable_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _value_xml(parent: etree._Element, variable_guid: str, kind: str, value: Any) -> None:
    holder = _el(parent, "VariableValue")
    _el(holder, "VariableRef", targetGUID=variable_guid)
    tag = {"Boolean": "BooleanValue", "Integer": "IntegerValue", "Float": "FloatValue", "Date": "DateValue"}.get(
        kind, "TextValue")
    text = ("true" if value else "false") if kind == "Boolean" else _variable_text(value)
    _el(holder, tag).text = _xml_safe(text)


def _scalar_fields(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Front-matter fields a QDA tool can show as variables (not casecode's own bookkeeping)."""
    skip = {"speaker_roles", "timings", "encoding"}
    return {k: v for k, v in sorted(metadata.items()) if k not in skip and v not in (None, "", [], {})}


def write_qdpx(project, out: str | Path, include_suggested: bool = False) -> dict[str, int]:
    """Export `project` as a REFI-QDA `.qdpx`; returns counts of what was written.

    Suggestions not yet reviewed go in only with `include_suggested`, each marked in its description.
    """
    codebook = project.codebook()
    documents = project.documents().sort_values("document_id", kind="stable")
    segments = project.segments()
    cases = project.cases()
    memos = _memos(project)
    selections = _coding_selections(project, include_suggested)
    decisions = project.decisions()

    users = set(decisions[decisions.decision != "fold"].decided_by) | {m.author for m in memos if m.author}
    users |= {s.user for sels in selections.values() for s in sels} | set(project.kept_users())
    user_guid = {name: _guid("user", name) for name in sorted(users)}

    notes_on: dict[tuple[str, str], list[str]] = {}
    for memo in memos:
        notes_on.setdefault((memo.target_type, memo.target_id), []).append(memo.guid)

    seg_by_doc = {doc_id: group for doc_id, group in segments.groupby("document_id", sort=False)}
    seg_rows = {row.segment_id: row for row in segments.itertuples()}
    for (kind, target), guids in notes_on.items():
        if kind == "segment" and target in seg_rows:
            seg = seg_rows[target]
            selections.setdefault(seg.document_id, []).append(
                _Selection(int(seg.start), int(seg.end), guid=_guid("segment", target), notes=guids,
                           segment_id=target))
    for doc_id, sels in selections.items():
        sels.sort(key=_Selection.key)
        seen: dict[tuple, int] = {}
        for sel in sels:
            if not sel.guid:
                seen[sel.key()] = seen.get(sel.key(), 0) + 1
                sel.guid = _guid("selection", doc_id, *sel.key(), seen[sel.key()])

    # Variables: the cases' own fields and every document's front matter, one declaration per name.
    doc_meta = {row.document_id: _scalar_fields(row.metadata or {}) for row in documents.itertuples()}
    case_vars: dict[str, dict[str, Any]] = {}
    whole_docs: dict[str, list[str]] = {}
    for case in cases.itertuples():
        values: dict[str, Any] = {"case type": case.type, "members": list(case.members),
                                  "aliases": list(case.aliases)}
        values.update(_scalar_fields(case.metadata or {}))
        docs = [d for d, group in seg_by_doc.items()
                if len(group) and all(case.case_id in cs for cs in group.cases)]
        whole_docs[case.case_id] = sorted(docs)
        # A case's interviewee, role and date are its documents' front matter, where they agree.
        for name in sorted({k for d in docs for k in doc_meta.get(d, {})}):
            found = {json.dumps(doc_meta[d].get(name), sort_keys=True, default=str) for d in docs}
            if len(found) == 1 and name not in values and name != "case":
                values[name] = doc_meta[docs[0]][name]
        case_vars[case.case_id] = {k: v for k, v in values.items() if v not in (None, "", [], {})}
    all_values: dict[str, list[Any]] = {}
    for values in [*case_vars.values(), *doc_meta.values()]:
        for name, value in values.items():
            all_values.setdefault(name, []).append(value)
    var_order = [n for n in _CASE_FIELDS if n in all_values] + sorted(n for n in all_values if n not in _CASE_FIELDS)
    var_kind = {name: _variable_type(all_values[name]) for name in var_order}

    root = _el(None, "Project", name=project.name or "casecode project", origin=f"casecode {__version__}")
    if user_guid:
        holder = _el(root, "Users")
        for name, guid in user_guid.items():
            _el(holder, "User", guid=guid, name=name)
    code_notes = {target: guids for (kind, target), guids in notes_on.items() if kind == "code"}
    if len(codebook):
        _codes_xml(_el(_el(root, "CodeBook"), "Codes"), codebook, NS, code_notes)
    if var_order:
        holder = _el(root, "Variables")
        for name in var_order:
            _el(holder, "Variable", guid=_guid("variable", name), name=name, typeOfVariable=var_kind[name])
    if len(cases):
        holder = _el(root, "Cases")
        for case in cases.itertuples():
            element = _el(holder, "Case", guid=_guid("case", case.case_id), name=case.name)
            for name in var_order:
                if name in case_vars[case.case_id]:
                    _value_xml(element, _guid("variable", name), var_kind[name], case_vars[case.case_id][name])
            for doc_id in whole_docs[case.case_id]:
                _el(element, "SourceRef", targetGUID=_guid("source", doc_id))
            # Passages attributed to the case in a document that is not wholly the case's (the 2015 report).
            for doc_id in sorted(selections):
                if doc_id in whole_docs[case.case_id]:
                    continue
                for sel in selections[doc_id]:
                    seg = seg_rows.get(sel.segment_id)
                    if seg is not None and case.case_id in seg.cases:
                        _el(element, "SelectionRef", targetGUID=sel.guid)

    members: list[tuple[str, bytes]] = []
    sidecar_docs: dict[str, Any] = {}
    counts = {"documents": 0, "codings": 0, "suggestions": 0, "memos": len(memos), "cases": len(cases),
              "codes": len(codebook), "users": len(user_guid)}
    if len(documents):
        holder = _el(root, "Sources")
        for doc in documents.itertuples():
            guid = _guid("source", doc.document_id)
            text = project.document_text(doc.document_id)
            members.append((f"sources/{guid}.txt", text.encode("utf-8")))
            source = _el(holder, "TextSource", guid=guid, name=doc.document_id,
                         plainTextPath=f"internal://{guid}.txt", creationDateTime=_stamp(doc.added_at))
            for sel in selections.get(doc.document_id, []):
                element = _el(source, "PlainTextSelection", guid=sel.guid, name=sel.name, startPosition=sel.start,
                              endPosition=sel.end, creatingUser=user_guid.get(sel.user),
                              creationDateTime=sel.date or None)
                _text_el(element, "Description", sel.description)
                if sel.code:
                    coding = _el(element, "Coding", guid=_guid("coding", sel.guid))
                    _el(coding, "CodeRef", targetGUID=_guid("code", sel.code))
                    counts["suggestions" if sel.name else "codings"] += 1
                for note in sel.notes:
                    _el(element, "NoteRef", targetGUID=note)
            for note in notes_on.get(("document", doc.document_id), []):
                _el(source, "NoteRef", targetGUID=note)
            for name, value in doc_meta[doc.document_id].items():
                _value_xml(source, _guid("variable", name), var_kind[name], value)
            group = seg_by_doc.get(doc.document_id)
            rows = [] if group is None else [
                [r.segment_id, int(r.unit), int(r.start), int(r.end), r.speaker, r.role, r.kind, r.heading,
                 bool(r.codable), list(r.cases)] for r in group.itertuples()]
            sidecar_docs[guid] = {"document_id": doc.document_id, "path": doc.path, "format": doc.format,
                                  "metadata": doc.metadata, "sha256": doc.sha256, "segments": rows}
            counts["documents"] += 1
    if memos:
        holder = _el(root, "Notes")
        for memo in memos:
            label = "project memo" if memo.target_type == "project" else f"memo on {memo.target_type} {memo.target_id}"
            # The text goes in a file, not inline: QualCoder reads a journal only from its plainTextPath.
            _el(holder, "Note", guid=memo.guid, name=label, plainTextPath=f"internal://{memo.guid}.txt",
                creatingUser=user_guid.get(memo.author), creationDateTime=memo.date)
            members.append((f"sources/{memo.guid}.txt", memo.text.encode("utf-8")))
    case_memos = [m for m in memos if m.target_type == "case"]
    if case_memos:
        # A Case has no NoteRef in QDA-XML 1.0; a Link from the note to the case says what it is about.
        holder = _el(root, "Links")
        for memo in case_memos:
            _el(holder, "Link", guid=_guid("link", memo.guid), name="memo", direction="OneWay",
                originGUID=memo.guid, targetGUID=_guid("case", memo.target_id))
    for guid in notes_on.get(("project", ""), []):
        _el(root, "NoteRef", targetGUID=guid)

    sidecar = {
        "format": SIDECAR_FORMAT,
        "codebook": codebook.model_dump(exclude_none=True),
        "codes": {_guid("code", c.id): c.id for c in codebook},
        "documents": sidecar_docs,
        "patterns": {sel.guid: sel.pattern for sels in selections.values() for sel in sels if sel.pattern},
        "cases": [{"case_id": c.case_id, "name": c.name, "type": c.type, "members": list(c.members),
                   "aliases": list(c.aliases), "metadata": c.metadata or {}} for c in cases.itertuples()],
    }
    if project.coder:  # casecode.yaml's `coder:`; REFI-QDA has no place for it (a project without one stays as it was)
        sidecar["coder"] = project.coder
    side = json.dumps(sidecar, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    write_zip([("project.qde", xml_bytes(root)), *sorted(members), (SIDECAR, side)], Path(out))
    return counts


# ------------------------------------------------------------------------------------------------ import

# Attributes that point at another element by GUID; every one must resolve.
_REFERENCES = ("targetGUID", "originGUID", "creatingUser", "modifyingUser", "creatingUserGUID", "modifyingUserGUID",
               "sourceVertex", "targetVertex", "representedGUID", "fromSyncPoint", "toSyncPoint")
_NON_TEXT_SOURCES = ("PDFSource", "PictureSource", "AudioSource", "VideoSource")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


def _kid_text(el: etree._Element, name: str) -> str:
    found = _kids(el, name)
    return (found[0].text or "") if found else ""


def _slug_id(name: str, taken: set[str]) -> str:
    """A casecode code id from a code name: 'Staff engagement' → 'staff_engagement', unique among `taken`."""
    ascii_name = slugify(name).replace("-", "_")
    base = ascii_name[:40].rstrip("_") or "code"
    base = base if base[0].isalpha() else f"code_{base}"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug)
    return slug


def _colour(value: str | None) -> str | None:
    value = (value or "").strip()
    if re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        return value.upper()
    if re.fullmatch(r"#[0-9A-Fa-f]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:]).upper()
    return None


def _decode_text(data: bytes, where: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark is an encoding marker, not character 0
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InteropError(f"{where}: not UTF-8 at byte {exc.start}; REFI-QDA text sources are UTF-8 — export "
                           "the project again") from None


@dataclass
class _Coding:
    document_id: str
    start: int
    end: int
    code_guid: str
    user: str
    date: Any
    description: str
    where: str


@dataclass
class _Plan:
    """Everything an import will store, checked before the project is touched."""

    name: str
    codebook: Codebook
    codebook_changed: bool
    documents: list[tuple[Document, Any]]
    cases: list[dict]
    manual: list[dict]
    suggested: list[dict]
    memos: list[tuple[str, str, str, str, Any]]
    summary: dict[str, int]
    users: list[str]
    joins: list[dict] = field(default_factory=list)  # `add` decisions of a second user of a manual coding
    coder: str = ""  # the exporting project's `coder:` (casecode.yaml), from the sidecar


class _Reader:
    """Reads one `.qdpx` into a `_Plan` for a target codebook, refusing anything unsafe or dangling."""

    def __init__(self, archive: Archive, base: Codebook | None, code_map: Mapping[str, str]):
        self.archive = archive
        self.where = str(archive.path)
        self.base = base
        self.code_map = dict(code_map)
        self.summary = dict.fromkeys(
            ["documents", "cases", "codes_added", "codings", "suggestions", "memos", "users",
             "skipped_non_text", "split_selections", "folded_selections", "joined_selections", "outside_units",
             "empty_selections"], 0)

    # -- helpers ---------------------------------------------------------------------------------------

    def _at(self, el: etree._Element) -> str:
        return f"{self.where}: project.qde line {el.sourceline}, {_local(el)}"

    def _guid(self, el: etree._Element, attr: str = "guid") -> str:
        value = el.get(attr)
        match = _GUID_RE.match((value or "").strip())
        if not match:
            raise InteropError(f"{self._at(el)}: {attr} {value!r} is not a GUID such as "
                               "'1b0e5a44-5c5e-4d5c-9a1e-0123456789ab'; fix or export again")
        return match.group(1).lower()

    def _date(self, el: etree._Element) -> Any:
        value = el.get("creationDateTime") or el.get("modifiedDateTime")
        if not value:
            return None
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise InteropError(f"{self._at(el)}: date {value!r} is not an xsd:dateTime such as "
                               "2024-05-31T14:00:00Z") from None
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.to_pydatetime()

    def _user(self, el: etree._Element) -> str:
        for attr in ("creatingUser", "modifyingUser"):
            if el.get(attr):
                return self.users[self._guid(el, attr)]
        return self.default_user

    def _member_text(self, el: etree._Element, what: str) -> str:
        """A text from `plainTextPath` (internal://NAME in the sources folder) or inline `PlainTextContent`."""
        path = (el.get("plainTextPath") or "").strip()
        if not path:
            inline = _kids(el, "PlainTextContent")
            if inline:
                return inline[0].text or ""
            raise InteropError(f"{self._at(el)}: {what} has neither plainTextPath nor PlainTextContent; "
                               "export it again with its text")
        if not path.startswith("internal://"):
            raise InteropError(f"{self._at(el)}: {what} is linked to {path!r} outside the archive; export the "
                               "project with its sources embedded")
        name = path[len("internal://"):].lstrip("/")
        if ".." in name.replace("\\", "/").split("/"):
            raise InteropError(f"{self._at(el)}: {what} path {path!r} points outside the archive folder; refused")
        member = self.archive.find(f"sources/{name}") or self.archive.find(name)
        if member is None:
            raise InteropError(f"{self._at(el)}: {what} names {path!r}, which the archive lacks; export the "
                               "project again with its sources")
        return _decode_text(self.archive.read(member), f"{self.where}: {member}")

    # -- reading ---------------------------------------------------------------------------------------

    def read(self) -> _Plan:
        qde = self.archive.find("project.qde")
        if qde is None:
            found = [n for n in self.archive.names() if n.lower().endswith(".qde") and "/" not in n]
            if len(found) != 1:
                raise InteropError(f"{self.where}: holds no project.qde; is it a .qdpx exported by a QDA tool?")
            qde = found[0]
        root = parse_xml(keep_inline_carriage_returns(self.archive.read(qde)), f"{self.where}: {qde}")
        if _local(root) != "Project":
            raise InteropError(f"{self.where}: {qde} has root <{_local(root)}>, not <Project>; is it a REFI-QDA "
                               "project?")
        self.side = self._sidecar()
        self._check_references(root)
        self.users = {self._guid(u): (u.get("name") or u.get("id") or self._guid(u))
                      for holder in _kids(root, "Users") for u in _kids(holder, "User")}
        self.summary["users"] = len(self.users)
        self.default_user = self.users.get((root.get("creatingUserGUID") or "").strip("{}").lower(), "imported")
        self.note_refs: list[tuple[str, str, str]] = []  # (note guid, target kind, target guid or id)
        self._codes(root)
        self._variables(root)
        self._sources(root)
        cases = self._cases(root)
        memos = self._notes(root)
        codebook, changed, code_ids = self._codebook()
        documents = self._documents()
        manual, suggested = self._codings(code_ids)
        manual, joins = _joined(manual)
        self.summary["joined_selections"] = len(joins)
        self.summary["codings"] = len(manual)
        memos = self._resolve_memos(memos, code_ids)
        self.summary["cases"] = len(cases)
        return _Plan(root.get("name") or self.archive.path.stem, codebook, changed, documents, cases, manual,
                     suggested, memos, self.summary, sorted(set(self.users.values())), joins,
                     str(self.side.get("coder") or ""))

    def _sidecar(self) -> dict:
        member = self.archive.find(SIDECAR)
        if member is None:
            return {}
        try:
            side = json.loads(self.archive.read(member).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InteropError(f"{self.where}: {SIDECAR} is not valid JSON ({exc}); delete it from the archive to "
                               "import the REFI-QDA part alone") from None
        ok = (isinstance(side, dict) and side.get("format") == SIDECAR_FORMAT
              and isinstance(side.get("documents"), dict) and isinstance(side.get("cases"), list)
              and isinstance(side.get("codes"), dict) and isinstance(side.get("codebook"), dict)
              and isinstance(side.get("coder", ""), str))
        if not ok:
            raise InteropError(f"{self.where}: {SIDECAR} is not casecode's format {SIDECAR_FORMAT}; delete it from the "
                               "archive to import the REFI-QDA part alone")
        return side

    def _check_references(self, root: etree._Element) -> None:
        self.guids: set[str] = set()
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("guid") is not None:
                guid = self._guid(el)
                if guid in self.guids:
                    raise InteropError(f"{self._at(el)}: GUID {guid} is used twice; every element needs its own")
                self.guids.add(guid)
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in _REFERENCES:
                if el.get(attr) is not None and self._guid(el, attr) not in self.guids:
                    raise InteropError(f"{self._at(el)}: {attr} {el.get(attr)} points to nothing in the archive; "
                                       "the export is incomplete — export it again")

    def _codes(self, root: etree._Element) -> None:
        self.codes: dict[str, dict] = {}

        def walk(el: etree._Element, path: list[str]) -> None:
            for code in _kids(el, "Code"):
                guid, name = self._guid(code), (code.get("name") or "").strip()
                if not name:
                    raise InteropError(f"{self._at(code)}: code {guid} has no name; name it in the tool that wrote it")
                codable = (code.get("isCodable") or "true").strip().lower() in ("true", "1")
                self.codes[guid] = {"name": name, "description": _kid_text(code, "Description").strip(),
                                    "color": _colour(code.get("color")), "group": " / ".join(path) or None,
                                    "codable": codable, "parent": bool(_kids(code, "Code"))}
                for ref in _kids(code, "NoteRef"):
                    self.note_refs.append((self._guid(ref, "targetGUID"), "code", guid))
                walk(code, [*path, name])

        for book in _kids(root, "CodeBook"):
            for codes in _kids(book, "Codes"):
                walk(codes, [])

    def _variables(self, root: etree._Element) -> None:
        self.variables = {self._guid(v): v.get("name") or self._guid(v)
                          for holder in _kids(root, "Variables") for v in _kids(holder, "Variable")}

    def _values(self, el: etree._Element) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for holder in _kids(el, "VariableValue"):
            refs = _kids(holder, "VariableRef")
            if not refs:
                raise InteropError(f"{self._at(holder)}: has no VariableRef; export the project again")
            name = self.variables.get(self._guid(refs[0], "targetGUID"))
            if name is None:
                raise InteropError(f"{self._at(refs[0])}: points to something that is not a Variable; export again")
            for child in holder:
                kind, raw = _local(child), (child.text or "").strip()
                if kind == "VariableRef" or not kind:
                    continue
                if kind == "BooleanValue":
                    values[name] = raw.lower() in ("true", "1")
                elif kind in ("IntegerValue", "FloatValue"):
                    try:
                        values[name] = int(raw) if kind == "IntegerValue" else float(raw)
                    except ValueError:
                        raise InteropError(f"{self._at(child)}: {raw!r} is not a number; fix the value") from None
                else:
                    values[name] = raw
        return values

    def _sources(self, root: etree._Element) -> None:
        self.sources: dict[str, dict] = {}  # text sources by GUID
        self.selections: dict[str, tuple[str, int, int]] = {}  # selection GUID -> (source GUID, start, end)
        self.other_guids: set[str] = set()  # sources and selections of other kinds: skipped, not dangling
        self.raw_codings: list[tuple[str, int, int, etree._Element, etree._Element]] = []
        taken: set[str] = set()
        side_docs = self.side.get("documents", {})
        for holder in _kids(root, "Sources"):
            for source in holder:
                kind = _local(source)
                if kind in _NON_TEXT_SOURCES:
                    self.other_guids.update(self._guid(e) for e in source.iter()
                                            if isinstance(e.tag, str) and e.get("guid"))
                    self.summary["skipped_non_text"] += sum(1 for e in source.iter() if _local(e) == "Coding")
                    continue
                if kind != "TextSource":
                    continue
                guid = self._guid(source)
                name = (source.get("name") or "").strip() or guid
                raw = self._member_text(source, f"source {name!r}")
                removed = [m.start() for m in re.finditer("\r\n", raw)]
                text = raw.replace("\r\n", "\n").replace("\r", "\n")
                side = side_docs.get(guid) if isinstance(side_docs.get(guid), dict) else None
                doc_id = str(side["document_id"]) if side else slugify(name)
                if doc_id in taken:
                    doc_id = next(f"{doc_id}-{n}" for n in range(2, 10**6) if f"{doc_id}-{n}" not in taken)
                taken.add(doc_id)
                self.sources[guid] = {"name": name, "document_id": doc_id, "text": text, "side": side,
                                      "values": self._values(source), "cases": [], "date": self._date(source)}

                def to_text(pos: int) -> int:
                    return pos - bisect_left(removed, pos)

                for sel in _kids(source, "PlainTextSelection"):
                    sel_guid = self._guid(sel)
                    try:
                        start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                    except (TypeError, ValueError):
                        raise InteropError(f"{self._at(sel)}: startPosition/endPosition are not whole numbers; "
                                           "export again") from None
                    if not 0 <= start <= end <= len(raw):
                        raise InteropError(
                            f"{self._at(sel)} {sel_guid}: offsets {start}-{end} fall outside the {len(raw)} "
                            f"characters of source {name!r}; the archive does not match its sources — export again")
                    start, end = to_text(start), to_text(end)
                    self.selections[sel_guid] = (guid, start, end)
                    for ref in _kids(sel, "NoteRef"):
                        self.note_refs.append((self._guid(ref, "targetGUID"), "selection", sel_guid))
                    for coding in _kids(sel, "Coding"):
                        self.raw_codings.append((guid, start, end, sel, coding))
                for coding in _kids(source, "Coding"):  # the whole source coded
                    self.raw_codings.append((guid, 0, len(text), source, coding))
                for ref in _kids(source, "NoteRef"):
                    self.note_refs.append((self._guid(ref, "targetGUID"), "source", guid))
        self.summary["documents"] = len(self.sources)

    def _cases(self, root: etree._Element) -> list[dict]:
        self.case_ids: dict[str, str] = {}
        side_cases = {_guid("case", c.get("case_id")): c for c in self.side.get("cases", []) if isinstance(c, dict)}
        cases: list[dict] = []
        taken: set[str] = set()
        for holder in _kids(root, "Cases"):
            for case in _kids(holder, "Case"):
                guid, name = self._guid(case), (case.get("name") or "").strip()
                values = self._values(case)
                refs = [self._guid(r, "targetGUID") for r in _kids(case, "SourceRef")]
                sel_refs = [self._guid(r, "targetGUID") for r in _kids(case, "SelectionRef")]
                if not name:  # MAXQDA and Quirkos keep a source's variables in a nameless case
                    for ref in refs:
                        if ref in self.sources:
                            self.sources[ref]["values"].update(values)
                    continue
                if guid in side_cases:
                    row = dict(side_cases[guid])
                else:
                    case_id = _slug_id(name, taken).lower()
                    members = values.pop("members", "")
                    aliases = values.pop("aliases", "")
                    row = {"case_id": case_id, "name": name, "type": str(values.pop("case type", "") or ""),
                           "members": [m.strip() for m in str(members).split(";") if m.strip()],
                           "aliases": [a.strip() for a in str(aliases).split(";") if a.strip()],
                           "metadata": values}
                taken.add(row["case_id"])
                self.case_ids[guid] = row["case_id"]
                for ref in refs:
                    if ref in self.sources:
                        self.sources[ref]["cases"].append((row["case_id"], None))
                for ref in sel_refs:
                    if ref in self.selections:
                        source, start, end = self.selections[ref]
                        self.sources[source]["cases"].append((row["case_id"], (start, end)))
                cases.append(row)
        return cases

    def _notes(self, root: etree._Element) -> dict[str, tuple[str, str, Any]]:
        notes: dict[str, tuple[str, str, Any]] = {}
        for holder in _kids(root, "Notes"):
            for note in _kids(holder, "Note"):
                text = self._member_text(note, f"note {note.get('name') or self._guid(note)!r}")
                notes[self._guid(note)] = (text, self._user(note) if note.get("creatingUser") or note.get(
                    "modifyingUser") else "", self._date(note))
        for ref in _kids(root, "NoteRef"):
            self.note_refs.append((self._guid(ref, "targetGUID"), "project", ""))
        for holder in _kids(root, "Links"):
            for link in _kids(holder, "Link"):
                ends = [self._guid(link, a) for a in ("originGUID", "targetGUID") if link.get(a)]
                if len(ends) == 2 and (ends[0] in notes) != (ends[1] in notes):
                    note, other = ends if ends[0] in notes else ends[::-1]
                    kind = ("case" if other in self.case_ids else "selection" if other in self.selections
                            else "source" if other in self.sources else "code" if other in self.codes else None)
                    if kind:
                        self.note_refs.append((note, kind, other))
        return notes

    # -- building the plan -----------------------------------------------------------------------------

    def _codebook(self) -> tuple[Codebook, bool, dict[str, str]]:
        """The target codebook with every code the archive codes with, and the archive GUID → code id map."""
        side_ids = {k.lower(): v for k, v in self.side.get("codes", {}).items()}
        if self.base is not None:
            base = self.base
        elif self.side:
            try:
                base = codebook_from_dict(self.side["codebook"], f"{self.where}: {SIDECAR} codebook")
            except CasecodeError as exc:
                raise InteropError(str(exc)) from None
        else:
            base = None
        codes = list(base.codes) if base is not None else []
        known = {c.id: c for c in codes}
        by_label = {c.label.casefold(): c.id for c in codes}
        taken = set(known)
        used = {self._guid(_kids(coding, "CodeRef")[0], "targetGUID")
                for *_, coding in self.raw_codings if _kids(coding, "CodeRef")}
        # Non-codable parents are groups; a code is anything codable, a leaf, or coded with all the same.
        wanted = [g for g, c in self.codes.items() if c["codable"] or not c["parent"] or g in used]
        names = {c["name"].casefold(): g for g, c in self.codes.items()}
        mapping: dict[str, str] = {}
        for old, new in self.code_map.items():
            guid = names.get(old.casefold()) or next((g for g, i in side_ids.items() if i == old), None)
            if guid is None:
                raise InteropError(f"--map {old}={new}: the archive has no code named {old!r}; its codes: "
                                   + ", ".join(sorted(c["name"] for c in self.codes.values())[:20]))
            mapping[guid] = new
        ids: dict[str, str] = {}
        added = 0
        for guid in wanted:
            info = self.codes[guid]
            if guid in mapping:
                continue
            code_id = side_ids.get(guid)
            if code_id in known:
                ids[guid] = code_id
                continue
            match = by_label.get(info["name"].casefold()) or (info["name"] if info["name"] in known else None)
            if match:
                ids[guid] = match
                continue
            code_id = _slug_id(info["name"], taken)
            new = {"id": code_id, "label": info["name"], "definition": info["description"], "group": info["group"],
                   "color": info["color"]}
            try:
                code = Code.model_validate({k: v for k, v in new.items() if v is not None})
            except ValueError as exc:
                raise InteropError(f"{self.where}: code {info['name']!r} cannot become a casecode code ({exc})") from None
            codes.append(code)
            known[code_id] = code
            by_label[code.label.casefold()] = code_id
            ids[guid] = code_id
            added += 1
        for guid, new in mapping.items():
            target = new if new in known else by_label.get(new.casefold())
            if target is None:
                raise InteropError(f"--map {self.codes[guid]['name']}={new}: {new!r} is not a code of the target "
                                   f"codebook; known: {', '.join(list(known)[:20])}")
            ids[guid] = target
        self.summary["codes_added"] = added
        if base is None:
            name = slugify(self.archive.path.stem) or "imported"
            codebook = Codebook(name=name, title=f"Codes imported from {self.archive.path.name}", codes=codes)
        else:
            codebook = base.model_copy(update={"codes": codes})
        return codebook, base is None or added > 0, ids

    def _documents(self) -> list[tuple[Document, Any]]:
        out = []
        self.segments: dict[str, list[Segment]] = {}
        self._starts: dict[str, list[int]] = {}
        for guid, src in self.sources.items():
            doc_id, text, side = src["document_id"], src["text"], src["side"]
            segments = self._side_segments(doc_id, text, side) if side else None
            if segments is None:
                doc_cases = tuple(dict.fromkeys(c for c, span in src["cases"] if span is None))
                blocks = plain_blocks(text) if text.strip() else []
                segments, _ = build_segments(doc_id, text, blocks, (), doc_cases)
                for case_id, span in src["cases"]:
                    if span is None:
                        continue
                    for seg in segments:
                        if seg.start < span[1] and seg.end > span[0] and case_id not in seg.cases:
                            seg.cases = (*seg.cases, case_id)
            if side:
                metadata, path, fmt = dict(side.get("metadata") or {}), str(side.get("path") or ""), str(
                    side.get("format") or "txt")
            else:
                metadata, path, fmt = dict(src["values"]), src["name"], "txt"
            self.segments[doc_id] = sorted(segments, key=lambda s: s.start)
            out.append((Document(doc_id, text, path=path, format=fmt, metadata=metadata, segments=segments),
                        src["date"]))
        return out

    def _side_segments(self, doc_id: str, text: str, side: dict) -> list[Segment] | None:
        """casecode's own units, if the text is the one they were made for; else None (segment afresh)."""
        if side.get("sha256") != hashlib.sha256(text.encode("utf-8")).hexdigest():
            return None
        segments = []
        try:
            for seg_id, unit, start, end, speaker, role, kind, heading, codable, cases in side.get("segments", []):
                if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
                    return None
                segments.append(Segment(str(seg_id), doc_id, int(unit), start, end, text[start:end], str(speaker),
                                        str(role), str(kind), str(heading), tuple(str(c) for c in cases),
                                        bool(codable)))
        except (TypeError, ValueError):
            return None
        return segments

    def _place(self, document_id: str, start: int, end: int) -> list[Segment]:
        """The units a selection overlaps, in order."""
        segments = self.segments[document_id]
        starts = self._starts.get(document_id)
        if starts is None:
            starts = self._starts[document_id] = [s.start for s in segments]
        i = max(bisect_right(starts, start) - 1, 0)
        found = []
        while i < len(segments) and segments[i].start < end:
            if segments[i].end > start:
                found.append(segments[i])
            i += 1
        return found

    def _codings(self, code_ids: dict[str, str]) -> tuple[list[dict], list[dict]]:
        manual, suggested = [], []
        patterns = self.side.get("patterns") if isinstance(self.side.get("patterns"), dict) else {}
        patterns = {str(guid).strip("{}").lower(): value for guid, value in patterns.items()}
        for source, start, end, sel, coding in self.raw_codings:
            refs = _kids(coding, "CodeRef")
            if not refs:
                raise InteropError(f"{self._at(coding)}: has no CodeRef; export the project again")
            code_guid = self._guid(refs[0], "targetGUID")
            if code_guid not in self.codes:
                raise InteropError(f"{self._at(refs[0])}: points to {code_guid}, which is not a Code; export again")
            if start == end:
                self.summary["empty_selections"] += 1
                continue
            doc_id = self.sources[source]["document_id"]
            user = self._user(sel) if (sel.get("creatingUser") or sel.get("modifyingUser")) else self._user(coding)
            date = self._date(sel) or self._date(coding)
            description = _kid_text(sel, "Description").strip() if sel is not coding else ""
            mark = _SUGGESTION_RE.match(description)
            segments = self._place(doc_id, start, end)
            if not segments:
                self.summary["outside_units"] += 1
                continue
            if len(segments) > 1:
                self.summary["split_selections"] += 1
            for seg in segments:
                row = {"segment_id": seg.segment_id, "document_id": doc_id, "code": code_ids[code_guid],
                       "start": max(start, seg.start), "end": min(end, seg.end), "coder": user, "created_at": date,
                       "pattern": str(patterns.get(self._guid(sel), ""))}
                if mark:
                    score = None if mark.group(1) == "none" else float(mark.group(1))
                    suggested.append(dict(row, rule=mark.group(2) or "", score=score))
                else:
                    manual.append(dict(row, rule=description, score=1.0))
        manual, suggested = _folded(manual), _folded(suggested)
        self.summary["folded_selections"] = sum(len(row.pop("_folded")) for row in manual + suggested)
        self.summary["codings"] = len(manual)
        self.summary["suggestions"] = len(suggested)
        return manual, suggested

    def _resolve_memos(self, notes: dict, code_ids: dict[str, str]) -> list[tuple[str, str, str, str, Any]]:
        memos = []
        attached: set[str] = set()
        for note, kind, target in self.note_refs:
            if note not in notes:
                raise InteropError(f"{self.where}: a NoteRef points to {note}, which is not a Note; export again")
            text, author, date = notes[note]
            if kind == "selection" and target in self.other_guids or kind == "source" and target not in self.sources:
                continue
            if kind == "project":
                memo = ("project", "")
            elif kind == "source":
                memo = ("document", self.sources[target]["document_id"])
            elif kind == "code":
                if target not in code_ids:
                    continue  # a note on a group parent: casecode's groups hold no memos
                memo = ("code", code_ids[target])
            elif kind == "case":
                memo = ("case", self.case_ids[target])
            else:
                source, start, end = self.selections[target]
                doc_id = self.sources[source]["document_id"]
                placed = self._place(doc_id, start, max(end, start + 1))
                memo = ("segment", placed[0].segment_id) if placed else ("document", doc_id)
            attached.add(note)
            if text.strip():
                memos.append((*memo, text, author, date))
        for note, (text, author, date) in notes.items():
            if note not in attached and text.strip():
                memos.append(("project", "", text, author, date))
        self.summary["memos"] = len(memos)
        return memos


def _folded(rows: list[dict]) -> list[dict]:
    """One coding per unit, code and user: selections of one code by one user that fall in one unit (two passages
    of a paragraph, or two archive codes sent to one code by --map) become one coding spanning them all, so no unit
    is counted twice for a code. Each row gets `_folded`: the rows folded into it."""
    kept: dict[tuple, dict] = {}
    for row in rows:
        key = (row["segment_id"], row["code"], row["coder"])
        first = kept.get(key)
        if first is None:
            kept[key] = dict(row, _folded=[])
            continue
        first["start"], first["end"] = min(first["start"], row["start"]), max(first["end"], row["end"])
        if row.get("score") is not None and (first.get("score") is None or row["score"] > first["score"]):
            first["score"] = row["score"]
        first["_folded"].append(row)
    return list(kept.values())


def _joined(manual: list[dict]) -> tuple[list[dict], list[dict]]:
    """(codings, joins): of the manual codings of one code on one passage by several users, one is stored and
    each other user's becomes an `add` decision that joins it, as a second reviewer's add of a code that already
    stands does in casecode, so the unit holds the code once and stands for each of them. The one stored is the
    one with a description (the rule or reason casecode exports with the coding itself), else the earliest."""
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(manual):
        groups.setdefault((row["segment_id"], row["code"], row["start"], row["end"]), []).append(i)
    joined: dict[int, list[int]] = {}
    for members in groups.values():
        if len(members) > 1:
            kept = min(members, key=lambda i: (not manual[i]["rule"], pd.Timestamp(manual[i]["created_at"] or
                                                                                    pd.Timestamp.max), i))
            joined[kept] = [i for i in members if i != kept]
    skipped = {i for members in joined.values() for i in members}
    joins = [{"segment_id": manual[i]["segment_id"], "decision": "add", "new_code": manual[i]["code"],
              "start": manual[i]["start"], "end": manual[i]["end"], "decided_by": manual[i]["coder"],
              "decided_at": manual[i]["created_at"], "source": "refi-import"}
             for kept in sorted(joined) for i in joined[kept]]
    return [row for i, row in enumerate(manual) if i not in skipped], joins


def _parse_map(code_map: Mapping[str, str] | Iterable[str] | None) -> dict[str, str]:
    if code_map is None:
        return {}
    if isinstance(code_map, Mapping):
        return dict(code_map)
    out = {}
    for item in code_map:
        old, sep, new = str(item).partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InteropError(f"--map {item!r} is not OLD=NEW; write e.g. --map 'Staff voice=employees'")
        out[old.strip()] = new.strip()
    return out


def read_qdpx(path: str | Path, project, code_map: Mapping[str, str] | Iterable[str] | None = None) -> dict[str, int]:
    """Import a REFI-QDA `.qdpx` into `project` (a Project, or a folder: created if it holds no project).

    The project must hold no documents yet. Codings become `manual` codings of their original users (marked
    casecode suggestions come back as suggestions); a project it creates takes the archive's `coder:` (a project
    that exists keeps its own, with a warning when they differ); codes the codebook lacks are added, or mapped by
    `code_map` ({archive code name: code id}, or 'OLD=NEW' strings). Everything is checked before anything is
    stored, and it is stored in one transaction. Returns the counts of what was imported and skipped.
    """
    from ..store import Project, init_project, open_project
    from ..store._folder import CONFIG_FILE

    mapping = _parse_map(code_map)
    created: Path | None = None
    if isinstance(project, Project):
        target = project
    else:
        folder = Path(project).expanduser()
        target = open_project(folder) if (folder / CONFIG_FILE).is_file() else None
        if target is None:
            created = folder
    try:
        base = None
        where = f"{project}" if not isinstance(project, Project) else f"project {getattr(target, 'name', '')!r}"
        if target is not None:
            _check_empty(target, where, path)
            try:
                base = target.codebook()
            except CasecodeError:
                base = None
        with Archive(path) as archive:
            plan = _Reader(archive, base, mapping).read()
        if created is not None:
            existed = created.exists()
            target = init_project(created, plan.codebook, name=plan.name, coder=plan.coder or None)
            try:
                _store(target, plan, set_codebook=False)
            except BaseException:
                target.close()
                _remove_new_project(created, existed)
                raise
        else:
            _store(target, plan, set_codebook=plan.codebook_changed, empty=(where, path))
            if plan.coder and plan.coder != target.coder:
                warn(f"{path}: the archive's project codes with coder {plan.coder!r}; {where} keeps its own "
                     f"({target.coder or 'rules'}); to use the archive's, set 'coder: {plan.coder}' in its "
                     f"{CONFIG_FILE}")
            if plan.codebook_changed and target.codebook_path is not None and target.codebook_path.exists():
                from ..codebook import write_codebook

                write_codebook(plan.codebook, target.codebook_path)
    finally:
        if target is not None and target is not project:
            target.close()
    return plan.summary


def _check_empty(project, where: str, path: str | Path) -> None:
    if len(project.documents()) or len(project.codings()):
        raise InteropError(f"{where}: the project already holds documents (imported or added before); import "
                           f"{Path(path).name} into a new folder (casecode import qdpx FILE -p NEW-FOLDER)")


def _store(project, plan: _Plan, set_codebook: bool, empty: tuple[str, str | Path] | None = None) -> None:
    with project.transaction():
        if empty is not None:  # again under the write lock: an `add` may have run while the archive was read
            _check_empty(project, *empty)
        if set_codebook:
            project.set_codebook(plan.codebook)
        if plan.cases:
            project.add_cases(plan.cases)
        for document, added_at in plan.documents:
            project.add_document(document, added_at=added_at)
        project.add_codings(plan.manual, status="manual", run="refi-import")
        project.add_codings(plan.suggested, status="suggested", run="refi-import")
        if plan.joins:
            project.record_decisions(plan.joins)
        for target_type, target_id, text, author, date in plan.memos:
            project.add_memo(target_type, target_id, text, author=author, created_at=date)
        project.keep_users(plan.users)  # a user with nothing to import (a reviewer who only rejected) stays named


def _remove_new_project(folder: Path, existed: bool) -> None:
    """Undo a project this import created, so a failed import leaves nothing behind."""
    import shutil

    from ..store._folder import CODEBOOK_FILE, CONFIG_FILE, DEFAULT_DATABASE

    if not existed:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for name in (CONFIG_FILE, CODEBOOK_FILE, DEFAULT_DATABASE):
        (folder / name).unlink(missing_ok=True)


def read_qdc(path: str | Path) -> Codebook:
    """Read a REFI-QDA `.qdc` codebook: every codable code becomes a code; parents' names become groups."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InteropError(f"{path}: no such file; check the path") from None
    if len(data) > 50 * 2**20:
        raise InteropError(f"{path}: larger than 50 MB, too large for a codebook; refused")
    if data.startswith(b"PK\x03\x04"):  # a ZIP: most likely a whole project
        raise InteropError(f"{path}: a ZIP archive (a .qdpx project?), not a .qdc codebook; import a project with "
                           f"'casecode import qdpx {path} -p FOLDER', or export the codebook alone as .qdc")
    root = parse_xml(data, str(path))
    if _local(root) not in ("CodeBook", "Project"):
        raise InteropError(f"{path}: root <{_local(root)}> is not a REFI-QDA <CodeBook>; is it a .qdc file?")
    if _local(root) == "Project":
        books = _kids(root, "CodeBook")
        root = books[0] if books else root
    codes: list[Code] = []
    taken: set[str] = set()
    seen: set[str] = set()

    def walk(el: etree._Element, path_names: list[str]) -> None:
        for code in _kids(el, "Code"):
            name = (code.get("name") or "").strip()
            guid = code.get("guid") or ""
            where = f"{path}: line {code.sourceline}, Code"
            if not name:
                raise InteropError(f"{where}: has no name; name every code")
            if not _GUID_RE.match(guid.strip()):
                raise InteropError(f"{where} {name!r}: guid {guid!r} is not a GUID; fix or export again")
            if guid.strip("{} ").lower() in seen:
                raise InteropError(f"{where} {name!r}: GUID {guid} is used twice; every code needs its own")
            seen.add(guid.strip("{} ").lower())
            children = _kids(code, "Code")
            codable = (code.get("isCodable") or "true").strip().lower() in ("true", "1")
            if codable or not children:
                raw = {"id": _slug_id(name, taken), "label": name, "definition": _kid_text(code, "Description").strip(),
                       "group": " / ".join(path_names) or None, "color": _colour(code.get("color"))}
                codes.append(Code.model_validate({k: v for k, v in raw.items() if v is not None}))
            walk(code, [*path_names, name])

    for holder in _kids(root, "Codes"):
        walk(holder, [])
    if not codes:
        raise InteropError(f"{path}: holds no codes; export the codebook again with its codes")
    return Codebook(name=slugify(path.stem) or "imported", title=f"Codes imported from {path.name}",
                    source=root.get("origin") or "", codes=codes)
