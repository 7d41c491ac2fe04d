"""Reading text: documents, segments, cases and the 2015 report. Knows nothing of coding."""

from ._cases import CaseMatcher, cases_frame, read_cases
from ._manifest import MANIFEST_COLUMNS, read_manifest
from ._model import CASE_COLUMNS, SEGMENT_COLUMNS, Document, Segment, check_offsets, segments_frame
from ._readers import SUPPORTED_EXTENSIONS, read_document, read_documents
from ._report2015 import Report2015, parse_report, quantifier_range
from ._turns import paragraph_units, speaker_label_end

__all__ = [
    "CASE_COLUMNS", "MANIFEST_COLUMNS", "SEGMENT_COLUMNS", "SUPPORTED_EXTENSIONS",
    "CaseMatcher", "Document", "Report2015", "Segment",
    "cases_frame", "check_offsets", "paragraph_units", "parse_report", "quantifier_range", "read_cases",
    "read_document", "read_documents", "read_manifest", "segments_frame", "speaker_label_end",
]
