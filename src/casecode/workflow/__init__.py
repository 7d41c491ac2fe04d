"""A researcher's project workflow, composed from the rooms upstream: add files, code, review, agree, report.

Each function takes an open `casecode.store.Project` (or paths) and is what one CLI command calls.
"""

from ._agree import agree, read_coder_codings
from ._framework import FrameworkReport, framework_report
from ._coding import code_files, code_project, documents_to_code, make_coder, project_coder, train_model
from ._ingest import add_files, case_id_for
from ._manage import (
    edit_code, list_cases, list_codes, list_documents, merge_codes, project_status, remove_document, rename_case,
    rename_code, set_codebook,
)
from ._report import project_report, project_tables, read_agreement
from ._retrieve import coded_segments, cooccurrence, keyword_in_context, query_segments
from ._review import apply_review, write_review

__all__ = [
    "FrameworkReport",
    "add_files",
    "agree",
    "apply_review",
    "case_id_for",
    "code_files",
    "coded_segments",
    "cooccurrence",
    "code_project",
    "documents_to_code",
    "edit_code",
    "keyword_in_context",
    "list_cases",
    "list_codes",
    "list_documents",
    "merge_codes",
    "project_status",
    "remove_document",
    "rename_case",
    "rename_code",
    "set_codebook",
    "framework_report",
    "make_coder",
    "project_coder",
    "project_report",
    "read_agreement",
    "project_tables",
    "query_segments",
    "read_coder_codings",
    "train_model",
    "write_review",
]
