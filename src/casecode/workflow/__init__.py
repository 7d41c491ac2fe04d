"""A researcher's project workflow, composed from the rooms upstream: add files, code, review, agree, report.

Each function takes an open `casecode.store.Project` (or paths) and is what one CLI command calls.
"""

from .._shared import lazy_exports

# Names are imported when first used (`casecode._shared.lazy_exports`): `casecode code` needs the coding functions,
# not the review workbook's openpyxl or the report's charts.
_EXPORTS = {
    "agree": "._agree", "read_coder_codings": "._agree",
    "FrameworkReport": "._framework", "framework_report": "._framework",
    **dict.fromkeys(["code_files", "code_project", "documents_to_code", "make_coder", "project_coder", "train_model"],
                    "._coding"),
    "add_files": "._ingest", "case_id_for": "._ingest",
    **dict.fromkeys(["edit_code", "list_cases", "list_codes", "list_documents", "merge_codes", "project_status",
                     "remove_document", "rename_case", "rename_code", "set_codebook"], "._manage"),
    "project_report": "._report", "project_tables": "._report", "read_agreement": "._report",
    **dict.fromkeys(["coded_segments", "cooccurrence", "keyword_in_context", "query_segments"], "._retrieve"),
    "apply_review": "._review", "undo_decisions": "._review", "write_review": "._review",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
    "undo_decisions",
    "write_review",
]
