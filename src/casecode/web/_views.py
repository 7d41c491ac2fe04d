"""What the pages show, drawn from the project store's public API: document lists with review counts, a transcript
cut into runs with its codings, the codebook with counts, and live agreement between two reviewers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._shared import rule_parts
from ..analysis import agreement_table
from ..reports._html import code_colors, text_color

#: Statuses shown as highlights in the transcript (rejected codings are listed but not highlighted).
SHOWN = ("suggested", "accepted", "manual", "reference")
#: The names the page uses for statuses; `suggested` is what the reviewer sees as pending.
STATUS_NAMES = {"suggested": "pending", "accepted": "accepted", "rejected": "rejected", "manual": "coded by hand",
                "reference": "reference", "folded": "folded into another (codes merged)",
                "withdrawn": "withdrawn (an added code undone)"}
FILTER_STATUSES = ("pending", "accepted", "rejected", "manual")
_STORED = {"pending": "suggested", "accepted": "accepted", "rejected": "rejected", "manual": "manual"}


def code_keys(codebook) -> list[dict]:
    """Codes in codebook order with their key number (1, 2, ...), colour and readable text colour."""
    colors = code_colors(codebook)
    return [{"id": c.id, "label": c.label, "key": i + 1, "color": colors[c.id], "fg": text_color(colors[c.id])}
            for i, c in enumerate(codebook)]


def document_cases(segments: pd.DataFrame) -> dict[str, list[str]]:
    """Document id → the case ids its segments belong to, in first-seen order."""
    found: dict[str, list[str]] = {}
    for document_id, cases in zip(segments["document_id"], segments["cases"]):
        mine = found.setdefault(document_id, [])
        mine.extend(c for c in cases if c not in mine)
    return found


def last_deciders(project) -> dict[int, str]:
    """Coding id → who made the latest standing decision on it (or made it, for an add or recode)."""
    who: dict[int, str] = {}
    for row in project.decisions(standing=True).itertuples():
        for coding_id in (row.coding_id, row.new_coding_id):
            if pd.notna(coding_id):
                who[int(coding_id)] = row.decided_by
    return who


def reviewers(project) -> list[str]:
    """Everyone with a standing decision, by name."""
    return sorted(set(project.decisions(standing=True)["decided_by"]))


def _filtered_codings(project, segments, code: str, status: str, reviewer: str, case: str) -> pd.DataFrame:
    codings = project.codings()
    who = last_deciders(project)
    codings = codings.assign(reviewer=[who.get(int(i), "") for i in codings["coding_id"]])
    if code:
        codings = codings[codings["code"] == code]
    if status in _STORED:
        codings = codings[codings["status"] == _STORED[status]]
    if reviewer:
        codings = codings[codings["reviewer"] == reviewer]
    if case:
        in_case = set(segments.loc[[case in cs for cs in segments["cases"]], "segment_id"])
        codings = codings[codings["segment_id"].isin(in_case)]
    return codings


def document_list(project, case: str = "", code: str = "", status: str = "", reviewer: str = "") -> dict:
    """Rows for the documents page and the cases table, with pending/accepted/rejected/manual counts under the
    filters; a filter on code, status or reviewer hides documents with nothing matching."""
    documents = project.documents()
    segments = project.segments()
    cases_of = document_cases(segments)
    codings = _filtered_codings(project, segments, code, status, reviewer, case)
    counts = {doc: dict.fromkeys(_STORED, 0) for doc in documents["document_id"]}
    names = {v: k for k, v in _STORED.items()}
    for (doc, stat), n in codings.groupby(["document_id", "status"]).size().items():
        if stat in names and doc in counts:
            counts[doc][names[stat]] = int(n)
    narrowing = bool(code or status or reviewer)
    rows = []
    for doc in documents.itertuples():
        cases = cases_of.get(doc.document_id, [])
        if case and case not in cases:
            continue
        if narrowing and not sum(counts[doc.document_id].values()):
            continue
        speakers = segments.loc[segments["document_id"] == doc.document_id, "speaker"]
        rows.append({"document_id": doc.document_id, "path": doc.path, "cases": cases,
                     "turns": int(len(speakers)), **counts[doc.document_id]})
    case_rows = []
    stored_cases = project.cases()
    for row in stored_cases.itertuples():
        docs = [r for r in rows if row.case_id in r["cases"]]
        case_rows.append({"case_id": row.case_id, "name": row.name, "documents": len(docs),
                          **{k: sum(r[k] for r in docs) for k in _STORED}})
    return {"documents": rows, "cases": case_rows,
            "totals": {k: sum(r[k] for r in rows) for k in _STORED}}


@dataclass
class Run:
    start: int  # document offset of the run's first character
    text: str
    ids: list[int]
    style: str = ""


@dataclass
class Turn:
    segment_id: str
    unit: int
    speaker: str
    role: str
    codable: bool
    start: int
    end: int
    runs: list[Run] = field(default_factory=list)
    cards: list[dict] = field(default_factory=list)
    memos: list[dict] = field(default_factory=list)


def _explanations(codebook) -> dict[str, str]:
    """Pattern id → what the pattern matches, in words."""
    found = {}
    for code in codebook:
        for i, pattern in enumerate(code.patterns):
            shown = pattern.pattern if pattern.is_phrase else " ".join(
                str(next(iter(tok.values()), "")) for tok in pattern.pattern)
            found[code.pattern_id(i)] = pattern.note or f'the words "{shown}"'
    return found


def reason_in_words(rule: str, coder: str, explanations: dict[str, str], pattern: str = "") -> str:
    """A coding's reason as a sentence: which pattern matched (`pattern`, its own column) and its scope notes,
    what the model thought, or who coded it."""
    parts = rule_parts(rule, pattern)
    if parts.text == "add":
        return f"Coded by hand by {coder}."
    if parts.text.startswith("recode:"):
        return f"Recoded by {coder} from suggestion {parts.text.split(':', 1)[1]}."
    sentences = []
    if parts.pattern:
        what = explanations.get(parts.pattern, f"pattern {parts.pattern}")
        why = "; ".join(parts.notes)
        sentences.append(f"The rules matched {what} ({parts.pattern})" + (f"; {why}." if why else "."))
    elif parts.text:
        sentences.append(f"{parts.text}.")
    if parts.model:
        terms = f", led by the words {', '.join(parts.terms)}" if parts.terms else ""
        said = f"gives it a probability of {parts.p:.0%}" if parts.p is not None else "suggested it"
        sentences.append(f"The learned model {said}{terms}.")
    if not sentences:
        return f"Coded by {coder}." if coder else ""
    return " ".join(sentences)


def _style(cards: list[dict]) -> str:
    """Background in the colour of the first coding covering a run (stronger once it stands), and one underline
    bar per further coding."""
    first = cards[0]
    alpha = "55" if first["status"] == "suggested" else "99"
    shadows = [f"0 {3 * (i + 1)}px 0 0 {c['color']}" for i, c in enumerate(cards[1:])]
    style = f"background-color: {first['color']}{alpha};"
    if shadows:
        style += f" box-shadow: {', '.join(shadows)};"
    return style


def _runs(text: str, offset: int, cards: list[dict]) -> list[Run]:
    """The turn's text cut at every highlighted coding's boundary; each run knows its document offset."""
    shown = [c for c in cards if c["status"] in SHOWN]
    cuts = sorted({0, len(text)} | {max(0, min(len(text), c["start"] - offset)) for c in shown}
                  | {max(0, min(len(text), c["end"] - offset)) for c in shown})
    runs = []
    for left, right in zip(cuts, cuts[1:]):
        covering = [c for c in shown if c["start"] - offset <= left and right <= c["end"] - offset]
        runs.append(Run(offset + left, text[left:right], [c["coding_id"] for c in covering],
                        _style(covering) if covering else ""))
    return runs or [Run(offset, "", [])]


def transcript(project, document_id: str) -> dict:
    """The transcript page's data: turns with runs and coding cards, the document's cases and memos."""
    codebook = project.codebook()
    keys = {k["id"]: k for k in code_keys(codebook)}
    explanations = _explanations(codebook)
    text = project.document_text(document_id)
    segments = project.segments([document_id])
    codings = project.codings()
    codings = codings[codings["document_id"] == document_id]
    who = last_deciders(project)
    memos = project.memos()
    by_segment: dict[str, list[dict]] = {}
    for c in codings.sort_values(["start", "end", "coding_id"]).itertuples():
        key = keys.get(c.code, {"label": c.code, "color": "#dddddd", "fg": "#222", "key": ""})
        by_segment.setdefault(c.segment_id, []).append({
            "coding_id": int(c.coding_id), "code": c.code, "label": key["label"], "color": key["color"],
            "fg": key["fg"], "key": key["key"], "status": c.status, "status_name": STATUS_NAMES.get(c.status, c.status),
            "start": int(c.start), "end": int(c.end), "evidence": c.evidence or text[int(c.start):int(c.end)],
            "reason": reason_in_words(c.rule, c.coder, explanations, c.pattern), "coder": c.coder,
            "score": None if pd.isna(c.score) else float(c.score), "decided_by": who.get(int(c.coding_id), ""),
        })
    seg_memos: dict[str, list[dict]] = {}
    for m in memos[memos["target_type"] == "segment"].itertuples():
        seg_memos.setdefault(m.target_id, []).append(_memo(m))
    turns = []
    for seg in segments.itertuples():
        cards = by_segment.get(seg.segment_id, [])
        turn = Turn(seg.segment_id, int(seg.unit), seg.speaker, seg.role, bool(seg.codable), int(seg.start),
                    int(seg.end), cards=cards, memos=seg_memos.get(seg.segment_id, []))
        turn.runs = _runs(text[seg.start:seg.end], int(seg.start), cards)
        turns.append(turn)
    cases = document_cases(segments).get(document_id, [])
    doc_memos = [_memo(m) for m in memos.itertuples()
                 if (m.target_type == "document" and m.target_id == document_id)
                 or (m.target_type == "case" and m.target_id in cases)]
    names = dict(zip(project.cases()["case_id"], project.cases()["name"]))
    cases = [{"id": c, "name": names.get(c, c)} for c in cases]
    return {"document_id": document_id, "turns": turns, "cases": cases, "memos": doc_memos,
            "codes": list(keys.values()),
            "pending": sum(c["status"] == "suggested" for cs in by_segment.values() for c in cs)}


def _memo(m) -> dict:
    return {"memo_id": int(m.memo_id), "target_type": m.target_type, "target_id": m.target_id, "author": m.author,
            "text": m.text, "created_at": pd.Timestamp(m.created_at).strftime("%Y-%m-%d %H:%M")}


def codebook_panel(project) -> list[dict]:
    """Every code with its definition, include/exclude notes, examples, counts by status and memos."""
    codebook = project.codebook()
    codings = project.codings()
    counts = codings.groupby(["code", "status"]).size()
    memos = project.memos("code")
    panel = []
    for key, code in zip(code_keys(codebook), codebook):
        n = {s: int(counts.get((code.id, s), 0)) for s in ("suggested", "accepted", "rejected", "manual", "reference")}
        panel.append(dict(key, definition=code.definition, include=code.include, exclude=code.exclude,
                          examples=code.examples, counts=n, standing=n["accepted"] + n["manual"] + n["reference"],
                          memos=[_memo(m) for m in memos[memos["target_id"] == code.id].itertuples()]))
    return panel


def coded_passages(project, code: str) -> list[dict]:
    """The codings of `code` that stand (accepted, by hand, reference), with where they are."""
    codings = project.codings(code=code, status=("accepted", "manual", "reference"))
    segments = project.segments().set_index("segment_id")
    return [{"coding_id": int(c.coding_id), "document_id": c.document_id, "segment_id": c.segment_id,
             "speaker": segments.at[c.segment_id, "speaker"] if c.segment_id in segments.index else "",
             "evidence": c.evidence, "status": STATUS_NAMES.get(c.status, c.status), "coder": c.coder}
            for c in codings.itertuples()]


def reviewer_codings(project) -> tuple[dict[str, pd.DataFrame], dict[str, set[str]]]:
    """Each reviewer's coding from their standing decisions (the latest per coding): an accept gives the code, a
    recode the new code, an add its code, a reject nothing; and the units each judged: the codable segments of
    every document they decided on."""
    decisions = project.decisions(standing=True)
    codings = project.codings().set_index("coding_id")
    segments = project.segments(codable=True)
    doc_of = dict(zip(segments["segment_id"], segments["document_id"]))
    units_of_doc: dict[str, set[str]] = {}
    for seg, doc in doc_of.items():
        units_of_doc.setdefault(doc, set()).add(seg)
    latest: dict[tuple[str, Any], Any] = {}
    for d in decisions.itertuples():
        key = (d.decided_by, int(d.coding_id) if pd.notna(d.coding_id) else ("add", int(d.new_coding_id)))
        latest[key] = d
    rows: dict[str, list[tuple[str, str]]] = {}
    seen: dict[str, set[str]] = {}
    for (who, _), d in latest.items():
        rows.setdefault(who, [])
        if d.segment_id in doc_of:
            seen.setdefault(who, set()).update(units_of_doc[doc_of[d.segment_id]])
        if d.decision == "accept":
            rows[who].append((d.segment_id, codings.at[int(d.coding_id), "code"]))
        elif d.decision in ("recode", "add"):  # an add keeps its code in `code`, its new_code empty (NaN)
            rows[who].append((d.segment_id, d.new_code if isinstance(d.new_code, str) and d.new_code else d.code))
    frames = {who: pd.DataFrame(pairs, columns=["segment_id", "code"]).drop_duplicates() for who, pairs in rows.items()}
    return frames, seen


def agreement(project, first: str, second: str) -> dict:
    """Per-code agreement (percentage, Cohen's kappa, Krippendorff's alpha) between two reviewers, over the units
    both judged, and the disagreements with the document each sits in."""
    frames, seen = reviewer_codings(project)
    codebook = project.codebook()
    segments = project.segments(codable=True)
    both = seen.get(first, set()) & seen.get(second, set())
    units = segments[segments["segment_id"].isin(both)][["segment_id", "text", "document_id"]].reset_index(drop=True)
    if units.empty:
        return {"per_code": [], "disagreements": [], "units": 0}
    by_coder = {name: frames.get(name, pd.DataFrame(columns=["segment_id", "code"])) for name in (first, second)}
    by_coder = {name: f[f["segment_id"].isin(both)] for name, f in by_coder.items()}
    per_code, flagged = agreement_table(by_coder, units, codebook.ids, labels=codebook)
    doc_of = dict(zip(units["segment_id"], units["document_id"]))
    labels = codebook.labels()
    disagreements = [{"code": r["code"], "label": labels.get(r["code"], r["code"]), "segment_id": r["segment_id"],
                      "document_id": doc_of.get(r["segment_id"], ""), "text": r["text"],
                      "first": int(r[first]) if pd.notna(r[first]) else None,
                      "second": int(r[second]) if pd.notna(r[second]) else None}
                     for r in flagged.to_dict("records")]
    rows = json.loads(per_code.to_json(orient="records"))
    return {"per_code": rows, "disagreements": disagreements, "units": len(units)}
