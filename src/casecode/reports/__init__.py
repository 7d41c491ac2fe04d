"""Reports drawn from DataFrames and codebooks (never from the store): charts, Word, Markdown and HTML."""

from ._appendix import appendix_two_docx, appendix_two_markdown
from ._chart import plot_cases_per_code, plot_cooccurrence, plot_saturation, plot_share_comparison
from ._html import transcript_html, write_transcript_html
from ._tables import tick_table
from ._word import project_report_docx, word_report

__all__ = [
    "appendix_two_docx",
    "appendix_two_markdown",
    "plot_cases_per_code",
    "plot_cooccurrence",
    "plot_saturation",
    "plot_share_comparison",
    "project_report_docx",
    "tick_table",
    "transcript_html",
    "word_report",
    "write_transcript_html",
]
