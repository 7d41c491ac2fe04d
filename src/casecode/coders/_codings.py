"""The codings table every coder returns, and the segments table every coder reads."""

from __future__ import annotations

import pandas as pd

from .._shared import CODING_COLUMNS
from ..corpus import first_case, segment_cases, speaker_label_end  # noqa: F401 (their home is corpus)
from ..errors import CoderError

_NEEDED = ("segment_id", "document_id", "start", "text")


def codable_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """The rows a coder codes: every row whose `codable` is not False, with a fresh 0..n-1 index."""
    if not isinstance(segments, pd.DataFrame):
        raise CoderError(f"segments must be a DataFrame with columns {', '.join(_NEEDED)}; got {type(segments).__name__}")
    missing = [c for c in _NEEDED if c not in segments.columns]
    if missing:
        raise CoderError(
            f"segments table has no {missing[0]!r} column; pass a segments DataFrame "
            f"(casecode.corpus.SEGMENT_COLUMNS) with at least {', '.join(_NEEDED)}"
        )
    rows = segments
    if "codable" in rows.columns:
        rows = rows[rows["codable"].map(lambda v: v is None or pd.isna(v) or bool(v))]  # a missing flag codes
    return rows.reset_index(drop=True)


def unit_texts(segments: pd.DataFrame) -> list[str]:
    """Each segment's text as a learned model should read it: without the speaker label that opens a turn
    ("Helen Ashdown (Chief Executive): ..."), whose names and job titles say nothing about the codes."""
    speakers = segments["speaker"] if "speaker" in segments.columns else [None] * len(segments)
    return [str(t)[speaker_label_end(str(t), s):].strip() for t, s in zip(segments["text"], speakers)]


def codings_frame(records: list[dict]) -> pd.DataFrame:
    """Records as a codings DataFrame with CODING_COLUMNS and plain dtypes."""
    frame = pd.DataFrame(records, columns=CODING_COLUMNS)
    frame["pattern"] = frame["pattern"].fillna("").astype(str)  # no pattern: a model's or a person's coding
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    frame["score"] = frame["score"].astype("float64")
    return frame
