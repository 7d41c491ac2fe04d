"""Reading text: documents, segments, cases and the 2015 report. Knows nothing of coding."""

from ._model import CASE_COLUMNS, SEGMENT_COLUMNS, Document, Segment, check_offsets, segments_frame

__all__ = ["CASE_COLUMNS", "SEGMENT_COLUMNS", "Document", "Segment", "check_offsets", "segments_frame"]
