"""Reports drawn from DataFrames and codebooks (never from the store): charts, Word, Markdown and HTML."""

from ._appendix import appendix_two_docx, appendix_two_markdown
from ._findings import Findings, Quotation, build_findings, findings_docx, findings_html, findings_markdown
from ._chart import plot_cases_per_code, plot_cooccurrence, plot_saturation, plot_share_comparison
from ._html import transcript_html, write_transcript_html
from ._tables import tick_table
from ._word import word_report
from ._word_findings import comparison_docx

__all__ = [
    "Findings",
    "Quotation",
    "build_findings",
    "comparison_docx",
    "findings_docx",
    "findings_html",
    "findings_markdown",
    "appendix_two_docx",
    "appendix_two_markdown",
    "plot_cases_per_code",
    "plot_cooccurrence",
    "plot_saturation",
    "plot_share_comparison",
    "tick_table",
    "transcript_html",
    "word_report",
    "write_transcript_html",
]
