"""Parse the 2016 final report of the Solace innovation study, as exported, into a coded-ready corpus.

The export is imperfect: heading levels differ between councils (`####`, `### **...**`), some paragraphs are
broken mid-sentence, and council names are misspelt or shortened. The parser therefore finds sections by their
heading *text*, mends broken paragraphs, and attributes each unit to every case its text names (see `_cases`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CorpusError
from ..corpus import CaseMatcher, Document, Segment, read_cases, segments_frame

DOCUMENT_ID = "final-report-2016"
ACTIONS_SECTION = "KEY LEADERSHIP ACTIONS IN THE CASE STUDIES"
COMMENTS_SECTION = "COMMENTS ON THE FINDINGS"
APPENDIX_GROUPS = ("COUNTY", "METROPOLITAN", "DISTRICT")

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*$")
_BULLET = re.compile(r"^\s*[-•]\s+")
# A paragraph that ends like this is complete; anything else was broken by the export.
_COMPLETE = re.compile(r"""[.!?:;)\]"'”’*]\s*$""")


@dataclass
class Block:
    """A run of non-blank lines (or a single bullet), with offsets into the report."""

    start: int
    end: int
    text: str
    heading_level: int = 0  # 1-6 for a markdown heading, 0 otherwise

    @property
    def title(self) -> str:
        return _clean_heading(self.text) if self.heading_level else ""


def _clean_heading(text: str) -> str:
    text = re.sub(r"^#+\s*", "", text.strip())
    return text.replace("**", "").strip()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", _clean_heading(text)).strip().casefold()


def split_blocks(text: str) -> list[Block]:
    """Split text into headings, bullets and paragraphs; mend paragraphs the export broke in two."""
    raw: list[Block] = []
    pos = 0
    lines = text.split("\n")
    current: list[tuple[int, str]] = []

    def flush():
        if current:
            start = current[0][0]
            end = current[-1][0] + len(current[-1][1].rstrip())
            raw.append(Block(start, end, text[start:end]))
            current.clear()

    for line in lines:
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        heading = _HEADING.match(stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            start = pos + lead
            raw.append(Block(start, start + len(stripped), stripped, heading_level=len(heading.group(1))))
        elif _BULLET.match(line):
            flush()
            current.append((pos + lead, line[lead:]))
        else:
            current.append((pos + lead, line[lead:]) if not current else (pos, line))
        pos += len(line) + 1
    flush()
    return _mend(raw, text)


def _mend(blocks: list[Block], text: str) -> list[Block]:
    """Join a paragraph or bullet that stops mid-sentence with the paragraph that continues it."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.heading_level
            and not block.heading_level
            and not _BULLET.match(block.text)
            and not block.text.startswith(("*", "**-", "**"))
            and not _COMPLETE.search(prev.text)
        ):
            out[-1] = Block(prev.start, block.end, text[prev.start:block.end])
        else:
            out.append(block)
    return out


@dataclass
class Report2015:
    """The parsed report: its document and segments, the cases, the appendix grouping and the chart's figures."""

    document: Document
    cases: pd.DataFrame
    groups: list[tuple[str, list[str]]]
    action_headings: list[str]
    quantifiers: pd.DataFrame
    framework: list[dict] = field(default_factory=list)

    @property
    def segments(self) -> pd.DataFrame:
        return segments_frame(self.document.segments)

    @property
    def n_cases(self) -> int:
        return len(self.cases)


def _sections(blocks: list[Block], level: int = 1) -> list[tuple[Block, list[Block]]]:
    """Group blocks under headings of exactly `level` (with the blocks before the first heading dropped)."""
    out: list[tuple[Block, list[Block]]] = []
    for block in blocks:
        if block.heading_level == level:
            out.append((block, []))
        elif out:
            out[-1][1].append(block)
    return out


def _find_section(blocks: list[Block], title: str, source: str) -> list[Block]:
    """The blocks under the level-1 heading whose text is `title` (case-insensitive), up to the next level-1."""
    for heading, body in _sections(blocks, 1):
        if _norm(heading.text) == title.casefold():
            return body
    raise CorpusError(f"{source}: no '# {title}' heading found; is this the 2016 final report text?")


def _find_appendix(blocks: list[Block], number: str, source: str) -> list[Block]:
    for heading, body in _sections(blocks, 1):
        if _norm(heading.text) == f"appendix {number}":
            return body
    raise CorpusError(f"{source}: no '# APPENDIX {number.upper()}' heading found; is this the 2016 final report text?")


class _Builder:
    """Accumulates segments with stable ids."""

    def __init__(self, text: str, matcher: CaseMatcher):
        self.text = text
        self.matcher = matcher
        self.segments: list[Segment] = []
        self.counters: dict[str, int] = {}

    def add(self, prefix: str, block_start: int, block_end: int, *, kind: str, heading: str,
            cases: tuple[str, ...] | None = None, codable: bool = True, speaker: str = "") -> Segment:
        n = self.counters[prefix] = self.counters.get(prefix, 0) + 1
        text = self.text[block_start:block_end]
        if cases is None:
            cases = self.matcher.find(text)
        seg = Segment(
            segment_id=f"{prefix}-{n:02d}",
            document_id=DOCUMENT_ID,
            unit=len(self.segments) + 1,
            start=block_start,
            end=block_end,
            text=text,
            speaker=speaker,
            kind=kind,
            heading=heading,
            cases=tuple(cases),
            codable=codable,
        )
        self.segments.append(seg)
        return seg


def _is_quote(block: Block) -> bool:
    return block.text.startswith(("*\"", "*“", "*'"))


def _is_attribution(block: Block) -> bool:
    return block.text.startswith("**") and re.match(r"^\*\*\s*-", block.text) is not None


def _body_segments(builder: _Builder, blocks: list[Block], section_prefix: str, kind: str,
                   headings: list[str]) -> None:
    """Segments for the paragraphs and quotes under each level-2 heading of a section."""
    for index, (heading, body) in enumerate(_sections(blocks, 2), start=1):
        title = heading.title
        headings.append(title)
        i = 0
        while i < len(body):
            block = body[i]
            if block.heading_level:
                title_sub = block.title
                i += 1
                # A sub-heading inside a section (COMMENTS uses ###) becomes the placement of what follows.
                title = title_sub
                continue
            if _is_quote(block) and i + 1 < len(body) and _is_attribution(body[i + 1]):
                attribution = body[i + 1]
                cases = builder.matcher.find(attribution.text)
                speaker = re.sub(r"[*\s]+", " ", attribution.text).strip(" -")
                builder.add(f"{section_prefix}{index:02d}", block.start, attribution.end, kind="quote",
                            heading=title, cases=cases, speaker=speaker)
                i += 2
                continue
            builder.add(f"{section_prefix}{index:02d}", block.start, block.end, kind=kind, heading=title)
            i += 1


def _appendix_segments(builder: _Builder, blocks: list[Block], prefix: str, kind: str,
                       source: str) -> list[tuple[str, list[str]]]:
    """Segments for each bullet under each council of an appendix; returns the report's grouping of councils."""
    groups: list[tuple[str, list[str]]] = []
    case: str | None = None
    heading_title = ""
    for block in blocks:
        if block.heading_level:
            title = block.title
            upper = title.upper()
            if any(upper.startswith(g) for g in APPENDIX_GROUPS) and upper.endswith("COUNCILS"):
                groups.append((title.upper(), []))
                case = None
                continue
            found = builder.matcher.find(title)
            if len(found) == 1 and groups:
                case = found[0]
                heading_title = title
                groups[-1][1].append(case)
            continue
        if case is None:
            continue
        if _BULLET.match(block.text):
            start = block.start + _BULLET.match(block.text).end()
            builder.add(f"{prefix}-{case}", start, block.end, kind=kind, heading=heading_title, cases=(case,))
        else:
            # Lead-in lines ("In a Suffolk-wide public sector partnership developing:") give context only.
            builder.add(f"{prefix}-{case}", block.start, block.end, kind=f"{kind}_note", heading=heading_title,
                        cases=(case,), codable=False)
    if not groups:
        raise CorpusError(f"{source}: no COUNTY/METROPOLITAN/DISTRICT COUNCILS headings in an appendix")
    return groups


# ---------------------------------------------------------------- the chart's figures, recovered from the text

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
}
_QUANT = (
    r"all but one|all but two|almost all|nearly all|virtually all|all|the majority of|most|several|"
    r"a number of|a few|few|some|many|" + "|".join(_NUMBERS) + r"|\d+"
)
_QUANT_RE = re.compile(
    rf"\b(?P<q>{_QUANT})\s+(?:of\s+)?(?:the\s+)?(?:case[ -]study\s+)?(?P<noun>councils?|partnerships?|authorities)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’]?\s+(?=[A-Z\"“(])")


def quantifier_range(phrase: str, n_cases: int) -> tuple[int, int, str]:
    """Turn a quantifier into a (min, max) count of cases and the reason, for a study of `n_cases`.

    "several" and "a number of" are read as 3-5: more than a couple, and fewer than the report's explicit
    "five"/"six" counts, which the author states as numbers whenever she has them.
    """
    q = phrase.lower().strip()
    if q.isdigit():
        return int(q), int(q), "stated number"
    if q in _NUMBERS:
        return _NUMBERS[q], _NUMBERS[q], "stated number"
    table = {
        "all": (n_cases, n_cases, "every case"),
        "all but one": (n_cases - 1, n_cases - 1, "every case but one"),
        "all but two": (n_cases - 2, n_cases - 2, "every case but two"),
        "almost all": (n_cases - 2, n_cases - 1, "short of all by one or two"),
        "nearly all": (n_cases - 2, n_cases - 1, "short of all by one or two"),
        "virtually all": (n_cases - 2, n_cases - 1, "short of all by one or two"),
        "the majority of": (n_cases // 2 + 1, n_cases - 1, "more than half, not all"),
        "most": (n_cases // 2 + 1, n_cases - 1, "more than half, not all"),
        "several": (3, min(5, n_cases), "more than a couple, below the explicit counts of five and six"),
        "a number of": (3, min(5, n_cases), "read as 'several'"),
        "many": (4, n_cases - 1, "a large share, not all"),
        "some": (2, 4, "more than one, a minority"),
        "a few": (2, 3, "two or three"),
        "few": (1, 2, "one or two"),
    }
    if q not in table:
        raise CorpusError(f"quantifier {phrase!r} has no count rule; add it to quantifier_range")
    return table[q]


def recover_quantifiers(text: str, segments: list[Segment], headings: list[str], n_cases: int) -> pd.DataFrame:
    """For each action heading, the first sentence of its body stating how many councils take the action."""
    rows = []
    for heading in headings:
        found = None
        for seg in segments:
            if seg.heading != heading or seg.kind != "body":
                continue
            for sentence_start, sentence in _sentences(seg.text):
                match = _QUANT_RE.search(sentence)
                if match:
                    found = (seg, sentence_start, sentence, match)
                    break
            if found:
                break
        if found is None:
            raise CorpusError(f"report: no sentence under '{heading}' states how many councils take the action")
        seg, sentence_start, sentence, match = found
        low, high, reason = quantifier_range(match.group("q"), n_cases)
        rows.append({
            "heading": heading,
            "reported_phrase": match.group(0),
            "quantifier": match.group("q").lower(),
            "reported_min": low,
            "reported_max": high,
            "reading": reason,
            "sentence": re.sub(r"\s+", " ", sentence).strip(),
            "segment_id": seg.segment_id,
            "start": seg.start + sentence_start,
            "end": seg.start + sentence_start + len(sentence),
        })
    return pd.DataFrame(rows)


def _sentences(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        out.append((start, text[start:match.start()]))
        start = match.end()
    out.append((start, text[start:]))
    return out


def _framework(blocks: list[Block]) -> list[dict]:
    """Appendix Three's questions with their prompt bullets, grouped as its overview groups them.

    The overview lists each question under Central Focus / Key Drivers / Key Enablers; the detail repeats each
    question (sometimes reworded: "Are the council's employees..." for "Are employees...") above its prompts, as
    a bold line or a heading. A detailed question joins the overview question it shares most words with.
    """
    overview: list[tuple[str, str]] = []  # (group, question)
    detail: dict[str, list[str]] = {}
    group = None
    question = None
    for block in blocks:
        text = re.sub(r"\s+", " ", (block.title if block.heading_level else block.text).replace("**", "")).strip()
        if block.heading_level >= 4:
            break  # "Sources of additional information"
        is_bold = block.text.startswith("**") or block.heading_level
        if block.heading_level and not text.endswith("?"):
            group = text
        elif text.endswith("?") and not _BULLET.match(block.text):
            if is_bold:
                question = text
                detail[question] = []
            elif group is not None:
                overview.append((group, text))
        elif _BULLET.match(block.text) and question:
            detail[question].append(_BULLET.sub("", text))

    def words(t: str) -> set[str]:
        return set(re.findall(r"[a-z]+", t.lower())) - {"the", "are", "is", "council", "s", "and", "for", "its"}

    out = []
    for grp, summary in overview:
        best = max(detail, key=lambda q: len(words(q) & words(summary)) / len(words(q) | words(summary)),
                   default=None)
        out.append({"group": grp, "question": summary, "detail_question": best or summary,
                    "prompts": detail.get(best, [])})
    return out


def parse_report(report_path: str | Path, cases_path: str | Path) -> Report2015:
    """Parse the report text at `report_path`, attributing units to the cases in `cases_path`."""
    report_path = Path(report_path)
    try:
        text = report_path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise CorpusError(f"{report_path}: report not found; pass the path of the 2016 report text") from None
    cases = read_cases(cases_path)
    matcher = CaseMatcher(cases)
    blocks = split_blocks(text)
    source = str(report_path)
    builder = _Builder(text, matcher)

    headings: list[str] = []
    _body_segments(builder, _find_section(blocks, ACTIONS_SECTION, source), "body-", "body", headings)
    if len(headings) != 11:
        raise CorpusError(f"{source}: expected 11 action headings under '{ACTIONS_SECTION}', found {len(headings)}")
    _body_segments(builder, _find_section(blocks, COMMENTS_SECTION, source), "comments-", "comment", [])
    _appendix_segments(builder, _find_appendix(blocks, "one", source), "a1", "appendix1", source)
    groups = _appendix_segments(builder, _find_appendix(blocks, "two", source), "a2", "appendix2", source)
    framework = _framework(_find_appendix(blocks, "three", source))

    document = Document(DOCUMENT_ID, text, path=str(report_path), format="txt",
                        metadata={"title": "Final report of the Solace Innovation Research Project",
                                  "author": "Joan Munro", "date": "2016-04"},
                        segments=builder.segments)
    quantifiers = recover_quantifiers(text, builder.segments, headings, len(cases))
    return Report2015(document, cases, groups, headings, quantifiers, framework)
