"""The findings report: per code, how many cases and which, a summary line and the strongest quotations, then a
method in plain words, the case-by-code matrix, the patterns across codes, and each case's codes in its own words.

`build_findings` turns DataFrames into a `Findings` object; `findings_docx`, `findings_markdown` and
`findings_html` write the same content in three formats, so no format says more than another.
Quotations are verbatim slices of stored units (`Quotation.text == unit_text[start:end]`), reviewed codings first.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from .._output import printable, write_text
from ..analysis._patterns import speaker_role
from ..analysis._tables import as_case_tuple, markdown_table
from ..codebook import Codebook
from ..corpus import speaker_label_end

#: Statuses that a person stands behind; anything else (a suggestion) is marked unreviewed wherever it shows.
REVIEWED = ("accepted", "manual", "reference")
QUOTE_CHARS = 420  # longest quotation, in characters, before it is cut at a word
PROVISIONAL = "Provisional: includes unreviewed suggestions"


@dataclass(frozen=True)
class Quotation:
    """A verbatim slice of one stored unit: `text == unit_text[start:end]` (offsets into the unit's text)."""

    segment_id: str
    code: str
    text: str
    start: int
    end: int
    speaker: str
    role: str
    case: str
    status: str
    cut_before: bool = False
    cut_after: bool = False

    @property
    def reviewed(self) -> bool:
        return self.status in REVIEWED

    def attribution(self) -> str:
        """"Speaker, Role, Case", with "(unreviewed suggestion)" when no person has accepted the coding yet."""
        who = ", ".join(part for part in (self.speaker, self.role, self.case) if part)
        return who + ("" if self.reviewed else " (unreviewed suggestion)")

    def shown(self) -> str:
        """The quotation as printed: the verbatim text, with an ellipsis where it was cut."""
        return ("…" if self.cut_before else "") + self.text + ("…" if self.cut_after else "")


@dataclass
class CodeFindings:
    """What the report says about one code."""

    code: str
    label: str
    definition: str
    cases: list[str]
    n_total: int
    summary: str
    quotations: list[Quotation]
    memos: list[str] = field(default_factory=list)


@dataclass
class Findings:
    """Everything a findings report shows, format-free."""

    title: str
    provisional: bool
    method: list[str]
    codes: list[CodeFindings]
    matrix: pd.DataFrame  # a tick table, short code ids as headers
    matrix_key: list[str]
    by_case: list[tuple[str, list[tuple[str, Quotation | None]]]]
    cooccurrence: pd.DataFrame | None = None
    by_type: pd.DataFrame | None = None
    saturation_note: str = ""
    notes: dict[str, list[str]] = field(default_factory=dict)  # "Cases", "Documents", "Passages", "Project"
    charts: dict[str, Path] = field(default_factory=dict)  # "cases", "cooccurrence", "saturation"


def build_findings(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    cases: pd.DataFrame,
    codebook: Codebook,
    matrix: pd.DataFrame,
    title: str,
    memos: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    agreement: pd.DataFrame | None = None,
    n_quotes: int = 3,
    case_noun: str = "cases",
) -> Findings:
    """Compose the findings from the counted `codings` (with `status`), the project's `segments`, `documents`,
    `cases` and `matrix` (case-by-code, as `case_code_matrix` gives it), and optionally its memos, decision
    history and an agreement table from `casecode agree` (`code, kappa, alpha, units`)."""
    memos = memos if memos is not None else pd.DataFrame(columns=["target_type", "target_id", "author", "text",
                                                                  "created_at"])
    seg = segments.set_index("segment_id")
    names = dict(zip(cases["case_id"].astype(str), cases["name"].astype(str))) if len(cases) else {}
    metadata = {row.document_id: row.metadata or {} for row in documents.itertuples()}
    provisional = bool(len(codings)) and not codings["status"].isin(REVIEWED).all()
    memo_lines = _memo_lines(memos)

    passage_notes = memo_lines.get("segment", {})
    code_findings = []
    for code in codebook:
        if code.id not in matrix.columns:
            continue
        takers = [str(c) for c in matrix.index[matrix[code.id].astype(bool)]]
        own = codings[codings["code"] == code.id]
        quotes = _quotations(own, seg, names, metadata, n_quotes)
        notes = list(memo_lines.get("code", {}).get(code.id, []))
        notes += [f"On a quoted passage ({q.case}): {line}" for q in quotes for line in passage_notes.get(q.segment_id, [])]
        code_findings.append(CodeFindings(
            code=code.id, label=code.label, definition=code.definition,
            cases=[names.get(c, c) for c in takers], n_total=len(matrix.index),
            summary=_summary(len(takers), len(matrix.index), own, case_noun), quotations=quotes, memos=notes))

    quoted = {q.segment_id for cf in code_findings for q in cf.quotations}
    notes = {
        "Project": memo_lines.get("project", {}).get("", []),
        "Cases": [f"{names.get(k, k)}: {line}" for k, lines in memo_lines.get("case", {}).items() for line in lines],
        "Documents": [f"{k}: {line}" for k, lines in memo_lines.get("document", {}).items() for line in lines],
        "Passages": [f"{k}: {line}" for k, lines in passage_notes.items() if k not in quoted for line in lines],
    }
    table, key = _matrix_table(matrix, codebook, names)
    return Findings(
        title=title, provisional=provisional,
        method=_method(codings, segments, documents, cases, codebook, decisions, agreement, provisional, case_noun),
        codes=code_findings, matrix=table, matrix_key=key,
        by_case=_by_case(codings, seg, names, metadata, codebook, matrix), notes=notes)


# -- quotations ----------------------------------------------------------------------------------------------

# A stop, closing quotes, then white space before a capital, a digit or an opening quote (or the end of the text).
_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*(?=\s+[\"“‘(\[]?[A-Z0-9]|\s*$)")


def quote_span(text: str, start: int, end: int, floor: int = 0, limit: int = QUOTE_CHARS,
               sentence_end: re.Pattern = _SENTENCE_END) -> tuple[int, int, bool, bool]:
    """Offsets (left, right) into `text` of the sentence(s) holding text[start:end], never before `floor` (the
    speaker label), trimmed of white space and cut at a word past `limit` characters; then whether it was cut
    before and after. `sentence_end` matches where a sentence stops."""
    start, end = max(start, floor), max(end, floor, start)
    left = floor
    for stop in sentence_end.finditer(text, floor):
        if stop.end() > start:
            break
        left = stop.end()
    stop = sentence_end.search(text, max(end - 1, left))
    right = stop.end() if stop else len(text)
    cut_before = cut_after = False
    if right - left > limit:  # keep the evidence in view: start at its sentence, cut the tail at a word
        cut_after = True
        right = left + limit
        space = text.rfind(" ", left, right)
        right = space if space > left else right
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right, cut_before, cut_after


def _quotations(codings: pd.DataFrame, seg: pd.DataFrame, names: dict, metadata: dict, n: int) -> list[Quotation]:
    """The `n` strongest quotations: reviewed before unreviewed, one per case before a second from any case,
    higher score first, then document order."""
    if codings.empty or n <= 0:
        return []
    ranked = codings.assign(_rank=~codings["status"].isin(REVIEWED), _score=-codings["score"].fillna(0))
    ranked = ranked.sort_values(["_rank", "_score", "segment_id", "start"], kind="stable")
    chosen: list[Quotation] = []
    seen_cases: set[str] = set()
    seen_units: set[str] = set()
    for second_round in (False, True):
        for c in ranked.itertuples():
            if len(chosen) >= n:
                return chosen
            if c.segment_id in seen_units or c.segment_id not in seg.index:
                continue
            case = _first_case(seg.at[c.segment_id, "cases"])
            if case in seen_cases and not second_round:
                continue
            chosen.append(_quotation(c, seg, names, metadata))
            seen_cases.add(case)
            seen_units.add(c.segment_id)
    return chosen


def _quotation(c, seg: pd.DataFrame, names: dict, metadata: dict) -> Quotation:
    row = seg.loc[c.segment_id]
    text, offset = str(row["text"]), int(row["start"])
    floor = speaker_label_end(text, row["speaker"])
    whole_unit = c.start <= offset and c.end >= offset + len(text)
    # A coding of the whole unit (a model's or a person's) has no evidence span: quote the unit's opening.
    start, end = (floor, floor) if whole_unit else (c.start - offset, c.end - offset)
    left, right, cut_before, cut_after = quote_span(text, start, end, floor)
    speaker = str(row["speaker"] or "")
    return Quotation(segment_id=c.segment_id, code=c.code, text=text[left:right], start=left, end=right,
                     speaker=speaker, role=speaker_role(metadata.get(row["document_id"], {}), speaker),
                     case=names.get(_first_case(row["cases"]), _first_case(row["cases"])), status=str(c.status),
                     cut_before=cut_before, cut_after=cut_after)


def _first_case(cases) -> str:
    return next(iter(as_case_tuple(cases)), "")


def _by_case(codings, seg, names, metadata, codebook, matrix) -> list[tuple[str, list[tuple[str, Quotation | None]]]]:
    """Appendix Two style: per case, each code it takes with its one strongest quotation."""
    # One pass over the codings: each coding under every case its unit belongs to, ranked as `_quotations` ranks
    # (one sort of the whole table, stable, so ties keep the codings' order), the first of each case and code kept.
    case_of = {sid: as_case_tuple(cs) for sid, cs in seg["cases"].items()}
    shown = codings[codings["segment_id"].isin(seg.index)]
    by_case = shown.assign(quote_case=shown["segment_id"].map(lambda s: case_of.get(s, ()))).explode("quote_case")
    by_case = by_case[by_case["quote_case"].notna()]
    by_case = by_case.assign(quote_rank=~by_case["status"].isin(REVIEWED), quote_score=-by_case["score"].fillna(0),
                             quote_case=by_case["quote_case"].astype(str))
    order = ["quote_case", "code", "quote_rank", "quote_score", "segment_id", "start"]
    best = by_case.sort_values(order, kind="stable").drop_duplicates(["quote_case", "code"])
    strongest = {(c.quote_case, c.code): c for c in best.itertuples()}
    rows = []
    for case_id in matrix.index:
        items = []
        for code in codebook:
            if code.id not in matrix.columns or not matrix.at[case_id, code.id]:
                continue
            c = strongest.get((str(case_id), code.id))
            items.append((code.label, _quotation(c, seg, names, metadata) if c is not None else None))
        rows.append((names.get(str(case_id), str(case_id)), items))
    return rows


# -- words ---------------------------------------------------------------------------------------------------

def _share_words(n: int, total: int) -> str:
    if total == 0 or n == 0:
        return "no case"
    if n == total:
        return "all of them"
    if n == total - 1:
        return "all but one"
    if n * 2 > total:
        return "a majority"
    if n * 2 == total:
        return "half"
    return "a minority" if n > 1 else "one only"


def _summary(n: int, total: int, codings: pd.DataFrame, noun: str) -> str:
    units = codings["segment_id"].nunique()
    docs = codings["document_id"].nunique() if "document_id" in codings else 0
    reviewed = int(codings["status"].isin(REVIEWED).sum())
    pct = f" ({100 * n / total:.0f}%)" if total else ""
    line = f"{n} of {_counted(total, noun)}{pct}, {_share_words(n, total)}; evidence in {_plural(units, 'unit')}"
    line += f" of {_plural(docs, 'document')}"
    if len(codings) and reviewed < len(codings):
        line += f", {len(codings) - reviewed} of them unreviewed suggestions"
    return line + "."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counted(n: int, plural_noun: str) -> str:
    """"1 case", "2 cases": `plural_noun` ("cases", "councils") said of n."""
    return f"{n} {plural_noun[:-1] if n == 1 and plural_noun.endswith('s') else plural_noun}"


def _method(codings, segments, documents, cases, codebook, decisions, agreement, provisional, noun) -> list[str]:
    respondent = int(segments["codable"].sum()) if "codable" in segments else len(segments)
    paragraphs = [
        f"This report covers {_plural(len(documents), 'document')} ({_plural(len(segments), 'unit')}, "
        f"{respondent} of them codable interviewee units) from {_counted(len(cases), noun)}, coded against the "
        f"codebook “{codebook.title or codebook.name}” ({_plural(len(codebook.ids), 'code')}).",
    ]
    coders = sorted({str(c) for c in codings.get("coder", pd.Series(dtype=str)).dropna() if str(c)})
    if decisions is not None and len(decisions):
        kinds = decisions["decision"].value_counts()
        reviewers = sorted({str(r) for r in decisions["decided_by"].dropna() if str(r)})
        # A manual coding's coder is the person who added or recoded it: a reviewer, not a suggester.
        suggested = codings[codings["status"] != "manual"] if "status" in codings else codings
        suggesters = sorted({str(c) for c in suggested.get("coder", pd.Series(dtype=str)).dropna() if str(c)})
        paragraphs.append(
            f"Codes were suggested by {', '.join(suggesters) or 'no automatic coder'} and reviewed by "
            f"{', '.join(reviewers) or 'unnamed reviewers'}: {int(kinds.get('accept', 0))} accepted, "
            f"{int(kinds.get('reject', 0))} rejected, {int(kinds.get('recode', 0))} recoded and "
            f"{int(kinds.get('add', 0))} added by hand ({_plural(len(decisions), 'decision')} in all).")
    else:
        paragraphs.append(f"Codes come from {', '.join(coders) or 'no coder yet'}; no review decision is recorded.")
    counted = sorted(set(codings["status"])) if len(codings) else []
    paragraphs.append(
        f"Counted here: {_plural(len(codings), 'coding')} with status {', '.join(counted) or 'none'}. A case takes "
        f"a code when any unit attributed to it carries that code. Quotations are verbatim sentences from the "
        f"coded units, reviewed codings first and one per case before a second from the same case.")
    if provisional:
        paragraphs.append("Unreviewed suggestions are included in these counts and quotations. Each is marked "
                          "“unreviewed suggestion”, and every page says the report is provisional.")
    if agreement is not None and len(agreement) and "kappa" in agreement:
        kappas = agreement.dropna(subset=["kappa"])
        present = [c for c in kappas.columns if str(c).startswith("n_present_")]
        unused = (kappas[present].fillna(0).sum(axis=1) == 0) if present else pd.Series(False, index=kappas.index)
        kappas = kappas[~unused]  # a code nobody used agrees trivially (kappa 1.0): it would lift the mean
        left_out = f" ({_plural(int(unused.sum()), 'code')} nobody used left out)" if unused.any() else ""
        if len(kappas):
            low = kappas.loc[kappas["kappa"].idxmin()]
            paragraphs.append(f"Agreement between coders (from casecode agree): mean Cohen's kappa "
                              f"{kappas['kappa'].mean():.2f} over {len(kappas)} codes{left_out}, lowest for "
                              f"{low['code']} ({low['kappa']:.2f}).")
    else:
        paragraphs.append("Agreement between coders was not measured for this report (run casecode agree and "
                          "pass its agreement.csv with --agreement).")
    caseless = sorted({str(s.document_id) for s in segments.itertuples() if not as_case_tuple(s.cases)})
    if caseless:
        one = len(caseless) == 1
        paragraphs.append(f"{_plural(len(caseless), 'document')} without a case ({', '.join(caseless[:5])}"
                          f"{', …' if len(caseless) > 5 else ''}) count{'s' * one} in no case's row; give "
                          f"{'it' if one else 'them'} a case.")
    return paragraphs


def _memo_lines(memos: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for m in memos.itertuples():
        when = str(m.created_at)[:10] if m.created_at is not None and not pd.isna(m.created_at) else ""
        by = ", ".join(part for part in (str(m.author or ""), when) if part)
        out.setdefault(str(m.target_type), {}).setdefault(str(m.target_id or ""), []).append(
            f"{m.text}" + (f" ({by})" if by else ""))
    return out


def _matrix_table(matrix: pd.DataFrame, codebook: Codebook, names: dict) -> tuple[pd.DataFrame, list[str]]:
    from ._tables import tick_table

    table = tick_table(matrix, codebook, names=names)
    labels = codebook.labels()
    short = {labels.get(code, code): code for code in matrix.columns}
    table = table.rename(columns=short)
    key = [f"{code}: {labels.get(code, code)}" for code in matrix.columns]
    return table, key


# -- writers -------------------------------------------------------------------------------------------------

def findings_markdown(findings: Findings, path: str | Path) -> Path:
    """The findings as Markdown (charts linked by file name, so keep them beside the file)."""
    lines = [f"# {_md_escape(findings.title)}", ""]
    if findings.provisional:
        lines += [f"> **{PROVISIONAL}.** Figures and quotations marked unreviewed have not been checked by a person.",
                  ""]
    lines += ["## Method", "", *_paragraphs(findings.method)]
    lines += _md_notes("Project notes", findings.notes.get("Project", []))
    if "cases" in findings.charts:
        lines += ["## How many cases take each code", "", f"![Cases per code]({findings.charts['cases'].name})", ""]
    lines += ["## Findings by code", ""]
    for cf in findings.codes:
        lines += [f"### {_md_escape(cf.label)}", "", f"*{cf.summary}*", ""]
        if cf.cases:
            lines += [f"Cases: {_md_escape(', '.join(cf.cases))}.", ""]
        for q in cf.quotations:
            lines += [f"> {_md_escape(q.shown())}", ">", f"> — {_md_escape(q.attribution())}", ""]
        if not cf.quotations:
            lines += ["No coded passage to quote.", ""]
        lines += _md_notes("Notes", cf.memos, level=4)
    lines += ["## Cases and codes", "", markdown_table(_md_cells(findings.matrix)), "",
              *[f"- {_md_escape(k)}" for k in findings.matrix_key], ""]
    lines += _md_notes("Notes on cases", findings.notes.get("Cases", []))
    lines += _md_patterns(findings)
    lines += ["## Each case in its own words", ""]
    for case, items in findings.by_case:
        lines += [f"### {_md_escape(case)}", ""]
        for label, q in items:
            lines.append(f"- **{_md_escape(label)}**" + (f": “{_md_escape(q.shown())}” — {_md_escape(q.attribution())}" if q else ""))
        lines += ["" if items else "No code taken.", ""]
    lines += _md_notes("Notes on documents", findings.notes.get("Documents", []))
    lines += _md_notes("Notes on passages", findings.notes.get("Passages", []))
    return _write(path, "\n".join(lines).rstrip() + "\n")


def _md_patterns(findings: Findings) -> list[str]:
    lines = ["## Patterns across codes", ""]
    if findings.cooccurrence is not None:
        lines += ["Cases taking both codes (the diagonal: cases taking the code):", "",
                  markdown_table(findings.cooccurrence.reset_index()), ""]
    if "cooccurrence" in findings.charts:
        lines += [f"![Co-occurrence]({findings.charts['cooccurrence'].name})", ""]
    if findings.by_type is not None and len(findings.by_type):
        lines += ["Cases taking each code, by case type:", "", markdown_table(_md_cells(findings.by_type.reset_index())), ""]
    if findings.saturation_note:
        lines += [findings.saturation_note, ""]
    if "saturation" in findings.charts:
        lines += [f"![Saturation curve]({findings.charts['saturation'].name})", ""]
    return lines


def _md_notes(title: str, notes: Sequence[str], level: int = 2) -> list[str]:
    return [f"{'#' * level} {title}", "", *[f"- {_md_escape(n)}" for n in notes], ""] if notes else []


def _md_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A table's text cells escaped as `_md_escape` does, but for `|`, which `markdown_table` escapes itself."""
    return frame.map(lambda v: _md_escape(v).replace("\\|", "|") if isinstance(v, str) else v)


def _md_escape(text: str) -> str:
    """Keep stored text from turning into Markdown or HTML: escape the characters that start either."""
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", str(text).replace("\n", " "))


def _paragraphs(items: Iterable[str]) -> list[str]:
    out = []
    for item in items:
        out += [_md_escape(item), ""]
    return out


def findings_html(findings: Findings, path: str | Path) -> Path:
    """The findings as one HTML page (charts linked by file name); every stored text is escaped."""
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(findings.title)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}"
             "blockquote{border-left:4px solid #0072B2;margin:1em 0;padding:.2em 1em;background:#f5f8fb}"
             ".who{color:#444;font-size:.9em}.prov{background:#fff3cd;padding:.6em;border:1px solid #e0c36c}"
             "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:center}"
             "td:first-child{text-align:left}img{max-width:100%}</style></head><body>",
             f"<h1>{e(findings.title)}</h1>"]
    if findings.provisional:
        parts.append(f"<p class='prov'><strong>{e(PROVISIONAL)}.</strong> Figures and quotations marked unreviewed "
                     f"have not been checked by a person.</p>")
    parts += ["<h2>Method</h2>", *[f"<p>{e(p)}</p>" for p in findings.method]]
    parts += _html_notes("Project notes", findings.notes.get("Project", []))
    if "cases" in findings.charts:
        parts.append(f"<h2>How many cases take each code</h2><img src='{e(findings.charts['cases'].name)}' "
                     f"alt='Cases per code'>")
    parts.append("<h2>Findings by code</h2>")
    for cf in findings.codes:
        parts += [f"<h3>{e(cf.label)}</h3>", f"<p><em>{e(cf.summary)}</em></p>"]
        if cf.cases:
            parts.append(f"<p>Cases: {e(', '.join(cf.cases))}.</p>")
        for q in cf.quotations:
            parts.append(f"<blockquote>{e(q.shown())}<div class='who'>— {e(q.attribution())}</div></blockquote>")
        if not cf.quotations:
            parts.append("<p>No coded passage to quote.</p>")
        parts += _html_notes("Notes", cf.memos, level=4)
    parts += ["<h2>Cases and codes</h2>", _html_table(findings.matrix),
              "<ul>" + "".join(f"<li>{e(k)}</li>" for k in findings.matrix_key) + "</ul>"]
    parts += _html_notes("Notes on cases", findings.notes.get("Cases", []))
    parts.append("<h2>Patterns across codes</h2>")
    if findings.cooccurrence is not None:
        parts += ["<p>Cases taking both codes (the diagonal: cases taking the code):</p>",
                  _html_table(findings.cooccurrence.reset_index())]
    if "cooccurrence" in findings.charts:
        parts.append(f"<img src='{e(findings.charts['cooccurrence'].name)}' alt='Co-occurrence'>")
    if findings.by_type is not None and len(findings.by_type):
        parts += ["<p>Cases taking each code, by case type:</p>", _html_table(findings.by_type.reset_index())]
    if findings.saturation_note:
        parts.append(f"<p>{e(findings.saturation_note)}</p>")
    if "saturation" in findings.charts:
        parts.append(f"<img src='{e(findings.charts['saturation'].name)}' alt='Saturation curve'>")
    parts.append("<h2>Each case in its own words</h2>")
    for case, items in findings.by_case:
        parts.append(f"<h3>{e(case)}</h3><ul>")
        for label, q in items:
            quote = f": “{e(q.shown())}” <span class='who'>— {e(q.attribution())}</span>" if q else ""
            parts.append(f"<li><strong>{e(label)}</strong>{quote}</li>")
        parts.append("</ul>" if items else "<li>No code taken.</li></ul>")
    parts += _html_notes("Notes on documents", findings.notes.get("Documents", []))
    parts += _html_notes("Notes on passages", findings.notes.get("Passages", []))
    parts.append("</body></html>")
    return _write(path, "\n".join(parts) + "\n")


def _html_notes(title: str, notes: Sequence[str], level: int = 2) -> list[str]:
    if not notes:
        return []
    return [f"<h{level}>{html.escape(title)}</h{level}><ul>"
            + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"]


def _html_table(frame: pd.DataFrame) -> str:
    from ._tables import cell_text

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell_text(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _write(path: str | Path, text: str) -> Path:
    return write_text(path, printable(text))


def findings_docx(findings: Findings, path: str | Path) -> Path:
    """The findings as a Word file: quotations in the Quote style, the matrix on a landscape page with columns
    wide enough for their longest word, pictures scaled to fit their page, and every heading kept with what
    follows it. A provisional report says so in every page's header."""
    from ._word_findings import FindingsDocument

    return FindingsDocument(findings).save(path)
