"""Exchange with other tools: review workbooks and CSV/XLSX tables."""

from ._workbook import (
    DECISION_COLUMNS,
    DECISIONS,
    REVIEW_COLUMNS,
    read_review_workbook,
    write_review_workbook,
    write_table,
)

__all__ = [
    "DECISION_COLUMNS",
    "DECISIONS",
    "REVIEW_COLUMNS",
    "read_review_workbook",
    "write_review_workbook",
    "write_table",
]
