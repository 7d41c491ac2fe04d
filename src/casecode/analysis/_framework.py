"""Coverage of a question-shaped codebook: which framework questions each case's interviews speak to.

The Local Councils' Innovation Framework (Appendix Three of the 2016 report) is a codebook of eight questions. Coded
with it, a council's transcripts either give evidence on a question or stay silent on it; these tables say which,
with the evidence quoted, so a researcher can see at a glance where a council's account has gaps.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..errors import AnalysisError
from ._crosstab import check_segments_known
from ._tables import as_case_tuple, case_ids, markdown_table, require_columns

#: Columns of `framework_coverage`, one row per (case, question).
FRAMEWORK_COVERAGE_COLUMNS = ["case_id", "group", "code", "question", "units", "evidence", "status"]
#: Columns of `framework_summary`, one row per case.
FRAMEWORK_SUMMARY_COLUMNS = ["case_id", "questions", "with_evidence", "silent", "silent_codes"]

QUOTES_PER_QUESTION = 2
QUOTE_CHARS = 140  # a sentence longer than this is cut to a window around the matched words
_SENTENCE_END = re.compile(r"[.!?…](?=[\"'”’)\]]*\s)")


def framework_coverage(codings: pd.DataFrame, segments: pd.DataFrame, codebook: Any,
                       cases: Any = None) -> pd.DataFrame:
    """One row per (case, question): `case_id, group, code, question, units, evidence, status`.

    `units` counts the case's distinct units coded with the question; `evidence` quotes up to two of them, the
    best-scoring first, each the sentence around the matched words in “curly quotes”, joined by '; '; `status`
    is 'evidence' or 'silent'. Rows follow `cases` (a cases DataFrame or ids; default: the cases of `segments` in
    order of first appearance), then codebook order. Codings of codes outside the codebook are ignored.
    """
    require_columns(codings, ["segment_id", "code"], "codings")
    require_columns(segments, ["segment_id", "cases"], "segments")
    questions = _questions(codebook)
    seg = segments.drop_duplicates("segment_id").set_index("segment_id")
    seg_cases = seg["cases"].map(as_case_tuple)
    check_segments_known(codings, seg.index)
    rows = case_ids(cases) if cases is not None else list(dict.fromkeys(c for t in seg_cases for c in t))

    hits = _ranked_hits(codings[codings["code"].isin(questions.index)], seg)
    hits["case_id"] = hits["segment_id"].map(seg_cases)
    hits = hits.explode("case_id").dropna(subset=["case_id"])
    by_cell = dict(tuple(hits.groupby(["case_id", "code"], sort=False))) if len(hits) else {}

    records = []
    for case in rows:
        for code, question in questions.iterrows():
            cell = by_cell.get((case, code))
            units = 0 if cell is None else cell["segment_id"].nunique()
            records.append({
                "case_id": case, "group": question["group"], "code": code, "question": question["question"],
                "units": units, "evidence": _evidence(cell), "status": "evidence" if units else "silent",
            })
    frame = pd.DataFrame(records, columns=FRAMEWORK_COVERAGE_COLUMNS)
    frame["units"] = frame["units"].astype(int)
    return frame


def framework_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per case: `case_id, questions, with_evidence, silent, silent_codes` (silent code ids joined by '; ')."""
    require_columns(coverage, ["case_id", "code", "status"], "coverage")
    records = []
    for case, rows in coverage.groupby("case_id", sort=False):
        silent = rows.loc[rows["status"] == "silent", "code"].tolist()
        records.append({
            "case_id": case, "questions": len(rows), "with_evidence": len(rows) - len(silent),
            "silent": len(silent), "silent_codes": "; ".join(silent),
        })
    return pd.DataFrame(records, columns=FRAMEWORK_SUMMARY_COLUMNS)


def framework_markdown(coverage: pd.DataFrame, title: str = "Innovation framework coverage",
                       names: dict[str, str] | None = None) -> str:
    """Coverage as Markdown: a summary table, then per case each group and question, ✓ with evidence or silent.

    `names` maps case ids to display names (default: the ids).
    """
    require_columns(coverage, FRAMEWORK_COVERAGE_COLUMNS, "coverage")
    names = names or {}
    summary = framework_summary(coverage)
    summary.insert(1, "case", [names.get(c, c) for c in summary["case_id"]])
    lines = [f"# {title}", "", markdown_table(summary.drop(columns=["case_id"])), ""]
    for case, rows in coverage.groupby("case_id", sort=False):
        lines += [f"## {names.get(case, case)}", ""]
        for group, questions in rows.groupby("group", sort=False):
            lines += [f"### {group}", ""]
            lines += [_markdown_item(row) for row in questions.itertuples()]
            lines.append("")
    return "\n".join(lines)


def _markdown_item(row) -> str:
    if row.status == "silent":
        return f"- {row.question} — *silent*"
    units = f"{row.units} unit{'s' if row.units != 1 else ''}"
    return f"- ✓ {row.question} ({units}): {row.evidence}"


def _questions(codebook: Any) -> pd.DataFrame:
    """Code id → group and question (the label), in codebook order."""
    codes = list(codebook)
    if not codes or not all(hasattr(c, "id") and hasattr(c, "label") for c in codes):
        raise AnalysisError("codebook has no codes with id and label; pass a Codebook such as "
                            "read_codebook('codebooks/innovation-framework-2016.yaml')")
    return pd.DataFrame({"group": [c.group or "" for c in codes], "question": [c.label for c in codes]},
                        index=pd.Index([c.id for c in codes], name="code"))


def _ranked_hits(codings: pd.DataFrame, seg: pd.DataFrame) -> pd.DataFrame:
    """The codings with a `quote` each, best first: highest score, then document order."""
    hits = codings.copy()
    if "score" not in hits:
        hits["score"] = 1.0
    hits["quote"] = [_coding_quote(row, seg.loc[row["segment_id"]]) for _, row in hits.iterrows()]
    order = [c for c in ("document_id", "start") if c in hits.columns]
    hits = hits.sort_values(order, kind="stable") if order else hits
    return hits.sort_values("score", ascending=False, kind="stable")


def _evidence(cell: pd.DataFrame | None) -> str:
    """Up to QUOTES_PER_QUESTION quotes from distinct units, each in “curly quotes”, joined by '; '."""
    if cell is None:
        return ""
    quotes = cell.drop_duplicates("segment_id")["quote"]
    quotes = [q for q in dict.fromkeys(quotes) if q][:QUOTES_PER_QUESTION]
    return "; ".join(f"“{q}”" for q in quotes)


def _coding_quote(coding: pd.Series, segment: pd.Series) -> str:
    """The sentence of the segment around a coding's match, or its evidence text when offsets are unknown."""
    text = segment.get("text")
    evidence = str(coding.get("evidence") or "")
    try:
        start = int(coding["start"]) - int(segment["start"])
        end = int(coding["end"]) - int(segment["start"])
    except (KeyError, TypeError, ValueError):
        return _clean(evidence)
    if not isinstance(text, str) or not 0 <= start < end <= len(text):
        return _clean(evidence)
    floor = _speech_start(text, str(segment.get("speaker") or ""))
    return _quote_around(text, start, end, floor if start >= floor else 0)


def _quote_around(text: str, start: int, end: int, floor: int = 0, limit: int = QUOTE_CHARS) -> str:
    """The sentence of `text` holding text[start:end] (not before `floor`), cut at word boundaries to about
    `limit` characters around the match, with '…' where it was cut."""
    left = floor
    for m in _SENTENCE_END.finditer(text, floor, start):
        left = m.end()
    m = _SENTENCE_END.search(text, end)
    right = m.end() if m else len(text)
    lo, hi = left, right
    if hi - lo > limit:
        spare = max(limit - (end - start), 0)
        lo = max(left, start - spare // 2)
        hi = min(right, end + spare - (start - lo))
        if lo > left:  # start at a whole word
            space = text.find(" ", lo, start)
            lo = space + 1 if space != -1 else start
        if hi < right:  # end at a whole word
            space = text.rfind(" ", end, hi)
            hi = space if space != -1 else end
    quote = _clean(text[lo:hi])
    return ("…" if lo > left else "") + quote + ("…" if hi < right else "")


def _speech_start(text: str, speaker: str) -> int:
    """Where the words begin after a speaker label such as 'Name (Role): '."""
    if speaker and text.startswith(speaker):
        colon = text.find(":", len(speaker))
        if colon != -1:
            return colon + 1
    return 0


def _clean(text: str) -> str:
    return " ".join(text.split())
