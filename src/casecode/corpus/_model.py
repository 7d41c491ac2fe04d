"""Documents, segments and cases: what every reader produces and every coder consumes.

Offsets are character (code point) offsets into `Document.text`, end exclusive, like a Python slice, so that
`doc.text[seg.start:seg.end] == seg.text` always holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

#: Columns of a segments DataFrame, in order. `cases` is a tuple of case ids the segment is attributed to.
SEGMENT_COLUMNS = [
    "segment_id",  # unique in a project: "<document_id>:<unit>" for transcripts
    "document_id",
    "unit",  # 1-based position of the unit in its document
    "start",
    "end",
    "text",
    "speaker",  # speaker label of a turn, or "" for a plain paragraph
    "role",  # "interviewer", "respondent" or ""
    "kind",  # paragraph, turn, quote, body, appendix1, appendix2, comment, cue, note (a service line) ...
    "heading",  # nearest heading above the unit (the author's placement in a report)
    "cases",  # tuple of case ids
    "codable",  # False for interviewer turns and headings: coders skip them
]

#: The longest document id; ids name output files (HTML pages), whose names have limits too.
MAX_ID_LENGTH = 200
_BAD_ID_RE = re.compile(r"[/\\:\x00-\x1f\x7f]")


def document_id_problem(document_id: str) -> str | None:
    """What is wrong with `document_id` as an id that also names files (None when nothing is): a path separator
    or `..` would let a manifest write outside the output folder, and ':' separates document and unit."""
    if not document_id.strip():
        return "is empty"
    bad = _BAD_ID_RE.search(document_id)
    if bad:
        return f"contains {bad.group()!r}"
    if document_id.startswith(".") or document_id != document_id.strip():
        return "starts with '.' or with or ends in a space"
    if len(document_id) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    return None


#: Columns of a cases DataFrame.
CASE_COLUMNS = ["case_id", "name", "type", "members", "aliases"]


@dataclass
class Segment:
    """One codable unit of a document: a paragraph, a speaker turn, a quote or a list item."""

    segment_id: str
    document_id: str
    unit: int
    start: int
    end: int
    text: str
    speaker: str = ""
    role: str = ""
    kind: str = "paragraph"
    heading: str = ""
    cases: tuple[str, ...] = ()
    codable: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {col: getattr(self, col) for col in SEGMENT_COLUMNS}


@dataclass
class Document:
    """A source text with its metadata and its segments."""

    document_id: str
    text: str
    path: str = ""
    format: str = "txt"
    metadata: dict[str, Any] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def case(self) -> str:
        return str(self.metadata.get("case", "") or "")

    def segments_frame(self) -> pd.DataFrame:
        return segments_frame(self.segments)


def segments_frame(segments: Iterable[Segment]) -> pd.DataFrame:
    """Segments as a DataFrame with SEGMENT_COLUMNS (built column by column: the same frame as from one dict per
    segment, in a fraction of the time)."""
    segments = list(segments)
    if not segments:
        return pd.DataFrame([], columns=SEGMENT_COLUMNS)
    columns = {col: [getattr(s, col) for s in segments] for col in SEGMENT_COLUMNS}
    return pd.DataFrame(columns, columns=SEGMENT_COLUMNS)


def check_offsets(document: Document) -> None:
    """Assert that every segment's offsets point at its text (a cheap guard used by readers and tests)."""
    for seg in document.segments:
        if document.text[seg.start:seg.end] != seg.text:
            raise AssertionError(f"{document.document_id}: segment {seg.segment_id} offsets {seg.start}-{seg.end} drifted")
