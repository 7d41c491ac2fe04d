"""Reading text: documents, segments and cases. Knows nothing of coding (a study's own report parsers live under
casecode.studies)."""

from ._cases import CaseMatcher, cases_frame, read_cases
from ._manifest import MANIFEST_COLUMNS, read_manifest
from ._model import CASE_COLUMNS, SEGMENT_COLUMNS, Document, Segment, check_offsets, segments_frame
from ._readers import SUPPORTED_EXTENSIONS, read_document, read_documents
from ._segcases import cases_or_document, first_case, segment_cases
from ._turns import paragraph_units, speaker_label_end

__all__ = [
    "CASE_COLUMNS", "MANIFEST_COLUMNS", "SEGMENT_COLUMNS", "SUPPORTED_EXTENSIONS",
    "CaseMatcher", "Document", "Segment",
    "cases_frame", "cases_or_document", "check_offsets", "first_case", "segment_cases", "paragraph_units", "read_cases",
    "read_document", "read_documents", "read_manifest", "segments_frame", "speaker_label_end",
]
