"""Exchange with other tools: review workbooks and CSV/XLSX tables."""

from ._workbook import (
    DECISION_COLUMNS,
    DECISIONS,
    REVIEW_COLUMNS,
    SHOWN_COLUMNS,
    read_review_rows,
    read_review_workbook,
    review_decisions,
    write_review_workbook,
    write_table,
)

__all__ = [
    "DECISION_COLUMNS",
    "SHOWN_COLUMNS",
    "read_review_rows",
    "review_decisions",
    "DECISIONS",
    "REVIEW_COLUMNS",
    "read_review_workbook",
    "write_review_workbook",
    "write_table",
]
