"""Reading text: documents, segments, cases and the 2015 report. Knows nothing of coding."""

from ._cases import CaseMatcher, cases_frame, read_cases
from ._manifest import MANIFEST_COLUMNS, read_manifest
from ._model import CASE_COLUMNS, SEGMENT_COLUMNS, Document, Segment, check_offsets, segments_frame
from ._readers import SUPPORTED_EXTENSIONS, read_document, read_documents
from ._report2015 import Report2015, parse_report, quantifier_range
from ._turns import paragraph_units

__all__ = [
    "CaseMatcher", "cases_frame", "read_cases", "Report2015", "parse_report", "quantifier_range","CASE_COLUMNS", "SEGMENT_COLUMNS", "Document", "Segment", "check_offsets", "segments_frame",
    "MANIFEST_COLUMNS", "SUPPORTED_EXTENSIONS", "paragraph_units", "read_document", "read_documents", "read_manifest",
]
