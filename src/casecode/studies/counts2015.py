"""The 2015 counts as the report counts them: every count statement, the recovered ranges, the councils under each
construct, and a reconciliation whose every claim is computed here.

Two constructs per action: `counted` (the passages that meet the report's counting sentence, the codebook's
`counted_as`) and `any` (all reference evidence of the action). Both honour the reference coding's attribution
(a code on a passage naming several councils applies to the councils its `councils` column lists).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis import case_code_matrix
from ._report2015 import ACTIONS_SECTION, _QUANT_RE, _sentences, quantifier_range, split_blocks
from ..errors import CorpusError

#: The hypotheses the reconciliation tests for each action, in the order of its table.
HYPOTHESES = {
    "counted": "the report's counting sentence only",
    "appendix2": "Appendix Two only",
    "exclusions": "every council the report does not exclude",
    "any": "any evidence",
}
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


# ---------------------------------------------------------------- where a sentence is in the report

def _pattern(quote: str) -> re.Pattern:
    """A regex for a quote that tolerates the export's line breaks and curly quotes."""
    words = quote.translate(_QUOTES).split()
    return re.compile(r"\s+".join(re.escape(w).replace("'", "['’‘]").replace('"', '["“”]') for w in words))


class _Report:
    """The report's text with its headings, to place a sentence: `line` and `where` (heading › sub-heading)."""

    def __init__(self, text: str):
        self.text = text
        headings = [(b.start, b.heading_level, b.title) for b in split_blocks(text) if b.heading_level]
        # A top-level heading the report's Contents does not list (the chart's caption, the summary's
        # "Conclusions") belongs to the listed section before it, one level down.
        contents = next((i for i, (_, level, title) in enumerate(headings) if level == 1
                         and title.casefold() == "contents"), None)
        if contents is not None and contents + 1 < len(headings):
            listed = text[headings[contents][0]:headings[contents + 1][0]].casefold()
            demoted, inside = [], False
            for start, level, title in headings:
                if level == 1:
                    inside = start > headings[contents][0] and _norm(title).casefold() not in listed
                demoted.append((start, level + 1 if inside else level, title))
            headings = demoted
        self.headings = headings

    def find(self, quote: str, after: int = 0, within: int | None = None) -> int | None:
        end = None if within is None else after + within
        match = _pattern(quote).search(self.text, after, end if end is not None else len(self.text))
        return match.start() if match else None

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def where(self, offset: int) -> str:
        path: list[tuple[int, str]] = []
        for start, level, title in self.headings:
            if start > offset:
                break
            path = [p for p in path if p[0] < level] + [(level, re.sub(r"\s+", " ", title))]
        return " › ".join(title for _, title in path)


# ---------------------------------------------------------------- the count statements and the recovered ranges

STATEMENT_COLUMNS = ["action", "role", "combined", "where", "line", "sentence", "item", "phrase", "reported_min",
                     "reported_max", "reading"]


def count_statements(study) -> pd.DataFrame:
    """Every sentence of the report that says how many councils take something, per charted action.

    `role` is `counting sentence` (the first such sentence of the action's section, which the codebook's
    `counted_as.sentence` must quote), `statement` (another section's count of the same action, from
    `counted_as.statements`), `exception` (a sentence describing the councils an "all but" count leaves out), `other in
    the section` (another quantified sentence in the action's section, counting part of it or something else) or
    `general`
    (a count elsewhere in the report that names no single charted action). `combined` marks the rows whose
    ranges are intersected into the action's recovered range.
    """
    report = _Report(study.report.document.text)
    figures = study.report.quantifiers.assign(action=lambda d: d.heading.map(study.heading_codes)).set_index("action")
    n = len(study.cases)
    rows, used = [], set()
    for code in study.chart_codes:
        counted_as = study.codebook[code].counted_as
        fig = figures.loc[code]
        if counted_as is None:
            raise CorpusError(f"{study.paths.codebook}: code {code!r} has no 'counted_as'; quote the report's "
                              f"counting sentence for it: {fig.sentence!r}")
        if _norm(counted_as.sentence) != _norm(fig.sentence):
            raise CorpusError(f"{study.paths.codebook}: code {code!r} field 'counted_as.sentence' does not quote the "
                              f"report's counting sentence; it should read {fig.sentence!r}")
        used.add(int(fig.start))
        rows.append(_row(report, code, "counting sentence", True, int(fig.start), fig.sentence, "",
                         fig.reported_phrase, fig.reported_min, fig.reported_max, fig.reading))
        for number, statement in enumerate(counted_as.statements):
            field = f"counted_as.statements[{number}]"
            at = _locate(report, statement.quote, study, code, f"{field}.quote")
            match = _QUANT_RE.search(statement.quote)
            if match is None:
                raise CorpusError(f"{study.paths.codebook}: code {code!r} field '{field}.quote' says no number of "
                                  f"councils; quote the sentence that does")
            low, high, reading = quantifier_range(match.group("q"), n)
            item_at = at
            if statement.item:
                item_at = report.find(statement.item, at, within=4000)
                if item_at is None:
                    raise CorpusError(f"{study.paths.codebook}: code {code!r} field '{field}.item' "
                                      f"{statement.item!r} is not among what follows its quote in the report; "
                                      f"copy the list item as the report writes it")
            used.add(at)
            rows.append(_row(report, code, "statement", True, item_at, statement.quote, statement.item or "",
                             match.group(0), low, high, reading))
        if counted_as.exception is not None:
            at = _locate(report, counted_as.exception.sentence, study, code, "counted_as.exception.sentence")
            rows.append(_row(report, code, "exception", False, at, counted_as.exception.sentence, "", "", pd.NA,
                             pd.NA, "describes the council(s) the count leaves out"))
        heading = fig.heading
        for seg in study.report.document.segments:
            if seg.heading != heading or seg.kind != "body":
                continue
            for offset, sentence in _sentences(seg.text):
                match = _QUANT_RE.search(sentence)
                if match and seg.start + offset not in used:
                    low, high, reading = quantifier_range(match.group("q"), n)
                    used.add(seg.start + offset)
                    rows.append(_row(report, code, "other in the section", False, seg.start + offset, sentence, "",
                                     match.group(0), low, high,
                                     "another count in the action's section (of part of it, or of something "
                                     "else); not combined"))
    rows += _general_statements(report, study, used)
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def _general_statements(report: _Report, study, used: set[int]) -> list[dict]:
    """Quantified sentences outside the action sections, appendices and references that no action's
    `counted_as` claims."""
    skipped = []  # (start, end) of the level-1 sections left out
    tops = [(start, title) for start, level, title in report.headings if level == 1] + [(len(report.text), "")]
    for (start, title), (end, _) in zip(tops, tops[1:]):
        upper = title.upper()
        if upper.startswith(("APPENDIX", "REFERENCES")):
            skipped.append((start, end))
        elif upper == ACTIONS_SECTION:  # from its first action heading on; its lead-in is general
            first = next((s for s, level, _ in report.headings if start < s < end and level == 2), end)
            skipped.append((first, end))
    out = []
    for block in split_blocks(report.text):
        if block.heading_level or any(s <= block.start < e for s, e in skipped):
            continue
        text, skip = block.text, 0
        if text.startswith(("- ", "• ")) and "\n\n" in text:
            # The export's mending joins a list item without a full stop to the paragraph after it; read the
            # paragraph on its own.
            skip = text.index("\n\n") + 2
            skip += len(text[skip:]) - len(text[skip:].lstrip())
        for offset, sentence in _sentences(text[skip:]):
            offset += skip
            match = _QUANT_RE.search(sentence)
            if match and block.start + offset not in used:
                low, high, reading = quantifier_range(match.group("q"), len(study.cases))
                out.append(_row(report, "", "general", False, block.start + offset, sentence, "", match.group(0),
                                low, high, "names no single charted action"))
    return out


def _locate(report: _Report, quote: str, study, code: str, field: str) -> int:
    at = report.find(quote)
    if at is None:
        raise CorpusError(f"{study.paths.codebook}: code {code!r} field '{field}' {quote!r} is not in the report; "
                          f"copy the sentence as the report writes it")
    return at


def _row(report: _Report, code, role, combined, offset, sentence, item, phrase, low, high, reading) -> dict:
    return {"action": code, "role": role, "combined": combined, "where": report.where(offset),
            "line": report.line(offset), "sentence": _one_line(sentence), "item": item, "phrase": phrase,
            "reported_min": low, "reported_max": high, "reading": reading}


def recovered_ranges(statements: pd.DataFrame) -> pd.DataFrame:
    """Per action, the range all its combined statements allow: the largest minimum to the smallest maximum."""
    rows = []
    for code, group in statements[statements.combined & (statements.action != "")].groupby("action", sort=False):
        low, high = int(group.reported_min.max()), int(group.reported_max.min())
        if low > high:
            quoted = "; ".join(f"{r.phrase!r} (line {r.line})" for r in group.itertuples())
            raise CorpusError(f"report: the count statements for {code!r} contradict each other ({quoted}); "
                              f"drop the one that counts something else from its codebook 'counted_as.statements'")
        counting = group[group.role == "counting sentence"].iloc[0]
        rows.append({"action": code, "reported_phrase": counting.phrase, "reported_min": low, "reported_max": high,
                     "statements": len(group),
                     "other_phrases": "; ".join(group[group.role != "counting sentence"].phrase)})
    return pd.DataFrame(rows).set_index("action")


# ---------------------------------------------------------------- councils under each construct

def _ordered(cases, ids) -> list[str]:
    ids = set(ids)
    return [c for c in cases if c in ids]


def council_sets(study, automatic: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """Per action: the councils under each hypothesis (`counted`, `appendix2`, `exclusions`, `any`) and the
    automatic coding's (`automatic`), each in the report's council order."""
    ref, scope = study.reference, study.scope
    seg_cases = dict(zip(scope.segment_id, scope.cases))
    a2_ids = set(scope.segment_id[scope.kind == "appendix2"])
    taken: dict[tuple[str, str], set[str]] = {}
    for seg, code, cases, construct in zip(ref.segment_id, ref.code, ref.cases, ref.construct):
        kinds = ["any"] + (["counted"] if construct == "counted" else []) + (["appendix2"] if seg in a2_ids else [])
        for kind in kinds:
            taken.setdefault((code, kind), set()).update(cases)
    for seg, code in zip(automatic.segment_id, automatic.code):
        taken.setdefault((code, "automatic"), set()).update(seg_cases.get(seg, ()))
    order = list(study.cases.case_id)
    out = {}
    for code in study.chart_codes:
        sets = {kind: [c for c in order if c in taken.get((code, kind), ())]
                for kind in ("counted", "appendix2", "any", "automatic")}
        excluded = exception_councils(study, code)["identified"]
        sets["exclusions"] = [c for c in order if c not in excluded] if excluded else list(sets["any"])
        out[code] = sets
    return out


def exception_councils(study, code: str) -> dict[str, list[str]]:
    """The councils an "all but one" count leaves out, found from the report's own description of them.

    `candidates`: councils whose own Appendix Two list shows everything `counted_as.exception.shows` names (an
    item with the code, containing the words); `identified`: those of them with no reference evidence of the
    action.
    """
    counted_as = study.codebook[code].counted_as
    if counted_as is None or counted_as.exception is None:
        return {"candidates": [], "identified": []}
    ref, scope = study.reference, study.scope
    a2 = ref[ref.segment_id.isin(set(scope.segment_id[scope.kind == "appendix2"]))]
    texts = dict(zip(scope.segment_id, scope.text))
    order = list(study.cases.case_id)

    def shows(case: str, mark) -> bool:
        return any(case in cases and c == mark.code and (not mark.words or mark.words.lower() in texts[s].lower())
                   for s, c, cases in zip(a2.segment_id, a2.code, a2.cases))

    candidates = [c for c in order if all(shows(c, mark) for mark in counted_as.exception.shows)]
    evidence = {c for cases in ref.cases[ref.code == code] for c in cases}
    return {"candidates": candidates, "identified": [c for c in candidates if c not in evidence]}


def deciding_passages(reference: pd.DataFrame, code: str, construct: str = "any") -> dict[str, list[str]]:
    """Per council, the reference passages (segment ids) that put it among the councils taking `code` under
    `construct` (`counted`: only passages meeting the counting sentence; `any`: every passage)."""
    rows = reference[(reference.code == code) & ((reference.construct == "counted") if construct == "counted"
                                                 else True)]
    out: dict[str, list[str]] = {}
    for seg_id, cases in zip(rows.segment_id, rows.cases):
        for case in cases:
            out.setdefault(case, [])
            if seg_id not in out[case]:
                out[case].append(seg_id)
    return out


# ---------------------------------------------------------------- the construct audit

#: Columns of `construct_audit.csv`, next to the reference coding: one decision of the audit of its `construct`
#: column a row. `audit` is the reference coding's state now (`counted`, `any`, or `none` for not coded); `other` is
#: the state before the audit (`kind` `change`) or the reading a careful coder could take instead (`judgement`).
AUDIT_COLUMNS = ["segment_id", "code", "councils", "kind", "audit", "other", "note"]
AUDIT_KINDS = ("change", "judgement")
AUDIT_STATES = ("counted", "any", "none")
_MAX_AUDIT_BYTES = 1_000_000


def read_construct_audit(study) -> pd.DataFrame | None:
    """The audit's decisions (`construct_audit.csv` beside the reference coding), checked against the reference
    coding as it stands; None when the study has no audit file."""
    path = Path(study.paths.reference).with_name("construct_audit.csv")
    if not path.is_file():
        return None
    if path.stat().st_size > _MAX_AUDIT_BYTES:
        raise CorpusError(f"{path}: larger than {_MAX_AUDIT_BYTES:,} bytes; the audit lists decisions, one a row")
    ref = study.reference
    state = {(s, c): k for s, c, k in zip(ref.segment_id, ref.code, ref.construct)}
    named = dict(zip(study.scope.segment_id, study.scope.cases))
    counted_codes = [c for c in study.chart_codes if study.codebook[c].counted_as is not None]
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != AUDIT_COLUMNS:
            raise CorpusError(f"{path}: row 1: the header is {','.join(reader.fieldnames or [])!r}; "
                              f"write {','.join(AUDIT_COLUMNS)}")
        for rownum, row in enumerate(reader, start=2):
            where = f"{path}: row {rownum}"
            cell = {k: (row.get(k) or "").strip() for k in AUDIT_COLUMNS}
            seg, code = cell["segment_id"], cell["code"]
            if seg not in named:
                raise CorpusError(f"{where}, column 'segment_id': unknown segment {seg!r}; use an id of the "
                                  f"reference coding, like 'a2-wigan-01'")
            if code not in counted_codes:
                raise CorpusError(f"{where}, column 'code': {code!r} is not a charted action with a counting "
                                  f"sentence; use one of {', '.join(counted_codes)}")
            for column, allowed in (("kind", AUDIT_KINDS), ("audit", AUDIT_STATES), ("other", AUDIT_STATES)):
                if cell[column] not in allowed:
                    raise CorpusError(f"{where}, column {column!r}: {cell[column]!r}; write one of "
                                      f"{', '.join(allowed)}")
            if cell["audit"] == cell["other"]:
                raise CorpusError(f"{where}, column 'other': the same as 'audit' ({cell['other']!r}); write the "
                                  f"state before the audit, or the other reading")
            now = state.get((seg, code), "none")
            if cell["audit"] != now:
                raise CorpusError(f"{where}, column 'audit': {cell['audit']!r}, but reference_coding.csv has "
                                  f"{now!r} for {seg} {code}; record the reference coding as it stands")
            listed = [c.strip() for c in cell["councils"].split(";") if c.strip()]
            for case in listed:
                if case not in named[seg]:
                    raise CorpusError(f"{where}, column 'councils': segment {seg!r} does not name {case!r} (it "
                                      f"names {', '.join(named[seg])}); list only councils the passage names")
            cases = tuple(c for c in named[seg] if c in listed) if listed else None
            rows.append({**cell, "cases": cases, "row": rownum})
    return pd.DataFrame(rows, columns=[*AUDIT_COLUMNS, "cases", "row"])


def counted_under(study, code: str, decisions=()) -> list[str]:
    """The councils meeting `code`'s counting sentence if each decision (segment_id, state, cases or None) replaced
    the reference coding's state of that segment for `code`, in the report's council order."""
    ref = study.reference[study.reference.code == code]
    rows = dict(zip(ref.segment_id, zip(ref.construct, ref.cases)))
    named = dict(zip(study.scope.segment_id, study.scope.cases))
    for seg, state, cases in decisions:
        old = rows.pop(seg, None)
        if state != "none":
            rows[seg] = (state, cases or (old[1] if old else named[seg]))
    taken = {c for construct, cases in rows.values() if construct == "counted" for c in cases}
    return [c for c in study.cases.case_id if c in taken]


def audit_effects(study, audit: pd.DataFrame) -> dict:
    """Counts under the counting sentences before the audit (every `change` undone) and, per decision, if it alone
    were read the other way."""
    before = {}
    for code in study.chart_codes:
        undo = [(r.segment_id, r.other, r.cases) for r in audit.itertuples() if r.kind == "change" and r.code == code]
        before[code] = counted_under(study, code, undo)
    flips = [counted_under(study, r.code, [(r.segment_id, r.other, r.cases)]) for r in audit.itertuples()]
    return {"before": before, "flips": flips}


# ---------------------------------------------------------------- the chart's table

def councils_per_action(study, sets: dict, ranges: pd.DataFrame) -> pd.DataFrame:
    """Per action: the reported range, and the councils meeting the counting sentence, with any evidence and
    in the automatic coding, with their counts."""
    names = study.cases.set_index("case_id").name
    rows = []
    for code in study.chart_codes:
        rng, s = ranges.loc[code], sets[code]
        rows.append({
            "action": code, "label": study.codebook[code].label,
            "reported_phrase": rng.reported_phrase, "reported_min": int(rng.reported_min),
            "reported_max": int(rng.reported_max), "other_statements": rng.other_phrases,
            "counted": len(s["counted"]), "reference": len(s["any"]), "automatic": len(s["automatic"]),
            "councils_counted": "; ".join(names[c] for c in s["counted"]),
            "councils_reference": "; ".join(names[c] for c in s["any"]),
            "councils_automatic": "; ".join(names[c] for c in s["automatic"]),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the reconciliation

@dataclass
class _Ctx:
    study: object
    names: pd.Series
    texts: dict
    kinds: dict
    why: dict  # (segment_id, code) → "construct: rationale" of the reference row

    def name(self, case: str) -> str:
        return str(self.names[case])

    def names_of(self, cases) -> str:
        return ", ".join(self.name(c) for c in cases) or "none"

    def passage(self, seg_id: str, why: str = "") -> str:
        text = _clip(_one_line(self.texts[seg_id]))
        return f"`{seg_id}` ({self.kinds[seg_id]}) “{text}”" + (f" — {why}" if why else "")


def reconciliation_markdown(study, statements: pd.DataFrame, ranges: pd.DataFrame, sets: dict,
                            automatic: pd.DataFrame) -> str:
    """The reconciliation: per action, the statements and range, the hypotheses with their counts, the passages
    behind every remaining difference, and every council where the automatic coding disagrees with the reference."""
    scope = study.scope
    ref = study.reference
    why = {(s, c): f"{k}: {r.removeprefix('reference: ')}" for s, c, k, r in zip(ref.segment_id, ref.code,
                                                                              ref.construct, ref.rule)}
    ctx = _Ctx(study, study.cases.set_index("case_id").name, dict(zip(scope.segment_id, scope.text)),
               dict(zip(scope.segment_id, scope.kind)), why)
    codes = study.chart_codes
    inside = {h: [c for c in codes if _in(len(sets[c][h]), ranges.loc[c])] for h in [*HYPOTHESES, "automatic"]}
    lines = [
        "# Reconciliation with the 2016 report's chart",
        "",
        "Every number below is computed by `casecode reproduce` in the run that wrote this file, from the report "
        "text, the codebook's `counted_as` rules and the reference coding (`corpus/2015-solace/reference_coding.csv`). "
        "The reported range of an action combines every statement the report makes about how many councils take it.",
        "",
        "## Summary",
        "",
        "| action | reported | " + " | ".join(HYPOTHESES.values()) + " | automatic coding |",
        "|---|---|" + "---:|" * (len(HYPOTHESES) + 1),
    ]
    for code in codes:
        rng = ranges.loc[code]
        cells = [_mark(len(sets[code][h]), rng) for h in [*HYPOTHESES, "automatic"]]
        lines.append(f"| {code} | {_span(rng)} | " + " | ".join(cells) + " |")
    lines += ["", "Counts inside the report's range (✓), out of the eleven actions:", ""]
    for h, label in [*HYPOTHESES.items(), ("automatic", "the automatic coding (any evidence)")]:
        outside = [c for c in codes if c not in inside[h]]
        lines.append(f"- {label}: **{len(inside[h])} of {len(codes)}**"
                     + (f"; outside: {', '.join(outside)}" if outside else ""))
    with_exception = [c for c in codes if exception_councils(study, c)["identified"]]
    lines += ["", f"The report excludes councils by name for {len(with_exception)} action(s) "
              f"({', '.join(with_exception) or 'none'}): there the third hypothesis is every other council; for the "
              "rest it equals any evidence.", "", *_attribution_section(ctx, sets), "",
              *_audit_section(ctx, ranges, sets)]
    for code in codes:
        lines += _action_section(ctx, code, statements[statements.action == code], ranges.loc[code], sets[code],
                                 automatic)
    general = statements[statements.role == "general"]
    lines += ["## Count statements that name no single charted action", "",
              f"{len(general)} more sentences of the report say how many councils do something; none counts one of "
              "the eleven actions, so none bounds a chart figure:", ""]
    lines += [f"- line {r.line}, {r.where}: “{r.sentence}”" for r in general.itertuples()]
    return "\n".join(lines) + "\n"


def _attribution_section(ctx: _Ctx, sets: dict) -> list[str]:
    ref = ctx.study.reference
    limited = ref[[tuple(c) != tuple(s) for c, s in zip(ref.cases, ref.segment_id.map(_seg_cases(ctx)))]]
    if not len(limited):
        return []
    unlimited = ref.drop(columns="cases")
    m = case_code_matrix(unlimited, ctx.study.scope, ctx.study.chart_codes, cases=ctx.study.cases)
    lines = ["## Attribution: codes that apply to only some of the councils a passage names", "",
             "| passage | code | councils named | councils coded | count with attribution | count without |",
             "|---|---|---|---|---:|---:|"]
    for row in limited.itertuples():
        named = _seg_cases(ctx)[row.segment_id]
        if row.code in sets:
            with_, without = len(sets[row.code]["any"]), int(m[row.code].sum())
        else:
            with_ = without = "(not charted)"
        lines.append(f"| `{row.segment_id}` | {row.code} | {ctx.names_of(named)} | {ctx.names_of(row.cases)} | "
                     f"{with_} | {without} |")
    return lines


def _audit_section(ctx: _Ctx, ranges: pd.DataFrame, sets: dict) -> list[str]:
    study = ctx.study
    audit = read_construct_audit(study)
    if audit is None:
        return []
    effects = audit_effects(study, audit)
    codes = study.chart_codes
    before, after = effects["before"], {c: sets[c]["counted"] for c in codes}
    inside = {k: [c for c in codes if _in(len(v[c]), ranges.loc[c])] for k, v in (("before", before),
                                                                                  ("after", after))}
    lines = ["## The construct audit", "",
             "The reference coding's `construct` column was audited against a protocol committed before the audit "
             "(`corpus/2015-solace/construct-audit.md`); every decision is a row of "
             "`corpus/2015-solace/construct_audit.csv`, checked against the reference coding as it stands. "
             "“Before” is the reference coding with every change of the audit undone, computed in this run.", "",
             f"Counts under the counting sentences inside the report's range: before the audit "
             f"**{len(inside['before'])} of {len(codes)}**, after **{len(inside['after'])} of {len(codes)}**"
             + (f"; outside after: {', '.join(c for c in codes if c not in inside['after'])}."
                if len(inside["after"]) < len(codes) else "."), "",
             "| action | reported | before the audit | after the audit | councils added | councils dropped |",
             "|---|---|---:|---:|---|---|"]
    for code in codes:
        rng = ranges.loc[code]
        adds = [c for c in after[code] if c not in before[code]]
        drops = [c for c in before[code] if c not in after[code]]
        lines.append(f"| {code} | {_span(rng)} | {_mark(len(before[code]), rng)} | {_mark(len(after[code]), rng)} "
                     f"| {ctx.names_of(adds)} | {ctx.names_of(drops)} |")
    lines += ["", "Each decision, and the count if it alone were read the other way (`change`: as before the audit; "
              "`judgement`: a kept decision a careful coder could take the other way):", "",
              "| passage | code | decision | now | other reading | count now | count other way | councils that "
              "would move | why |", "|---|---|---|---|---|---:|---:|---|---|"]
    for r, flipped in zip(audit.itertuples(), effects["flips"]):
        now = after[r.code]
        moved = [f"+{ctx.name(c)}" for c in flipped if c not in now] + \
                [f"−{ctx.name(c)}" for c in now if c not in flipped]
        lines.append(f"| `{r.segment_id}` | {r.code} | {r.kind} | {r.audit} | {r.other} | "
                     f"{_mark(len(now), ranges.loc[r.code])} | {_mark(len(flipped), ranges.loc[r.code])} | "
                     f"{', '.join(moved) or 'none (other passages decide)'} | {r.note} |")
    return lines + [""]


def _seg_cases(ctx: _Ctx) -> dict:
    return dict(zip(ctx.study.scope.segment_id, ctx.study.scope.cases))


def _action_section(ctx: _Ctx, code: str, statements: pd.DataFrame, rng, sets: dict, automatic) -> list[str]:
    study = ctx.study
    counted_as = study.codebook[code].counted_as
    lines = [f"## {study.codebook[code].label} (`{code}`)", "", "Statements:", ""]
    for r in statements.itertuples():
        reading = "" if r.role == "exception" else f" → {_span_of(r.reported_min, r.reported_max)}"
        item = f" — item: “{r.item}”" if r.item else ""
        lines.append(f"- {r.role}{' (combined)' if r.combined else ''}, line {r.line}, {r.where}: "
                     f"“{r.sentence}”{item}{reading}")
    lines += ["", f"Recovered range: **{_span(rng)}** from {int(rng.statements)} combined statement(s). "
              f"What the counting sentence counts: {counted_as.scope}", ""]
    if counted_as.outside:
        lines += [f"Outside it: {counted_as.outside}", ""]
    exc = exception_councils(study, code)
    if counted_as.exception is not None:
        marks = " and ".join(m.code + (f" (with “{m.words}”)" if m.words else "") for m in counted_as.exception.shows)
        lines += [f"The report's exception, “{counted_as.exception.sentence}”, read against Appendix Two: councils "
                  f"whose own list has items coded {marks}: "
                  f"{ctx.names_of(exc['candidates'])} ({len(exc['candidates'])}); of these, with no evidence of this "
                  f"action: **{ctx.names_of(exc['identified'])}** ({len(exc['identified'])}). "
                  f"The report's own list is therefore every other council "
                  f"({len(sets['exclusions'])}).", ""]
    base = sets["counted"]
    lines += ["| hypothesis | count | in range | councils | adds (vs counting sentence) | drops |",
              "|---|---:|---|---|---|---|"]
    for h, label in HYPOTHESES.items():
        s = sets[h]
        adds, drops = [c for c in s if c not in base], [c for c in base if c not in s]
        lines.append(f"| {label} | {len(s)} | {'yes' if _in(len(s), rng) else 'no'} | {ctx.names_of(s)} | "
                     f"{ctx.names_of(adds) if h != 'counted' else '—'} | "
                     f"{ctx.names_of(drops) if h != 'counted' else '—'} |")
    lines.append("")
    lines += _difference(ctx, code, rng, sets)
    lines += _automatic(ctx, code, rng, sets, automatic)
    return lines


def _difference(ctx: _Ctx, code: str, rng, sets: dict) -> list[str]:
    count = len(sets["counted"])
    if _in(count, rng):
        return [f"Under the counting sentence the count, {count}, lies inside the reported range.", ""]
    ref = ctx.study.reference
    lines = []
    if count > rng.reported_max:
        lines += [f"Under the counting sentence the count, {count}, is {count - int(rng.reported_max)} above the "
                  f"reported range. The passages that count each council:", ""]
        passages = deciding_passages(ref, code, "counted")
        for case in sets["counted"]:
            lines.append(f"- **{ctx.name(case)}**")
            lines += [f"  - {ctx.passage(s, ctx.why.get((s, code), ''))}" for s in passages[case]]
    else:
        lines += [f"Under the counting sentence the count, {count}, is {int(rng.reported_min) - count} below the "
                  f"reported range. Each council not counted, with the passages that show the action outside the "
                  f"counting sentence, or none:", ""]
        wider = deciding_passages(ref, code, "any")
        excluded = exception_councils(ctx.study, code)["identified"]
        for case in ctx.study.cases.case_id:
            if case in sets["counted"]:
                continue
            note = " (the council the report's exception describes: its count leaves it out too)" \
                if case in excluded else ""
            lines.append(f"- **{ctx.name(case)}**" + ("" if case in wider else ": no passage of the report shows "
                                                       "this action for it") + note)
            lines += [f"  - {ctx.passage(s, ctx.why.get((s, code), ''))}" for s in wider.get(case, [])]
    return lines + [""]


def _automatic(ctx: _Ctx, code: str, rng, sets: dict, automatic: pd.DataFrame) -> list[str]:
    ref_set, auto_set = sets["any"], sets["automatic"]
    adds = [c for c in auto_set if c not in ref_set]
    misses = [c for c in ref_set if c not in auto_set]
    state = "inside" if _in(len(auto_set), rng) else "outside"
    lines = [f"Automatic coding: {len(auto_set)} councils ({state} the reported range); it disagrees with the "
             f"reference (any evidence) on {len(adds) + len(misses)} council(s)."]
    if not adds and not misses:
        return lines + [""]
    lines.append("")
    seg_cases = _seg_cases(ctx)
    hits = automatic[automatic.code == code]
    for case in adds:
        lines.append(f"- **{ctx.name(case)}**: coded automatically, not in the reference:")
        for row in hits[hits.segment_id.map(lambda s, case=case: case in seg_cases.get(s, ()))].itertuples():
            lines.append(f"  - {ctx.passage(row.segment_id, f'fired: {row.rule}')}")
    ref = ctx.study.reference
    passages = deciding_passages(ref, code, "any")
    for case in misses:
        lines.append(f"- **{ctx.name(case)}**: in the reference, missed automatically:")
        lines += [f"  - {ctx.passage(s, ctx.why.get((s, code), ''))}" for s in passages[case]]
    return lines + [""]


def _in(count: int, rng) -> bool:
    return int(rng.reported_min) <= count <= int(rng.reported_max)


def _mark(count: int, rng) -> str:
    return f"{count} {'✓' if _in(count, rng) else '✗'}"


def _span(rng) -> str:
    return _span_of(rng.reported_min, rng.reported_max)


def _span_of(low, high) -> str:
    if pd.isna(low):
        return "—"
    return f"{int(low)}" if int(low) == int(high) else f"{int(low)}–{int(high)}"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _clip(text: str, width: int = 180) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
