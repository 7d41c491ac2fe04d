"""Reading text: documents, segments, cases and the 2015 report. Knows nothing of coding."""

from ._cases import CaseMatcher, cases_frame, read_cases
from ._model import CASE_COLUMNS, SEGMENT_COLUMNS, Document, Segment, check_offsets, segments_frame
from ._report2015 import Report2015, parse_report, quantifier_range

__all__ = [
    "CaseMatcher", "cases_frame", "read_cases", "Report2015", "parse_report", "quantifier_range","CASE_COLUMNS", "SEGMENT_COLUMNS", "Document", "Segment", "check_offsets", "segments_frame"]
