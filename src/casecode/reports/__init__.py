"""Reports drawn from DataFrames and codebooks (never from the store): charts, Word, Markdown and HTML."""

from ._findings import Findings, Quotation, build_findings, findings_docx, findings_html, findings_markdown
from ._grouped import grouped_items_docx, grouped_items_markdown
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
    "grouped_items_docx",
    "grouped_items_markdown",
    "plot_cases_per_code",
    "plot_cooccurrence",
    "plot_saturation",
    "plot_share_comparison",
    "tick_table",
    "transcript_html",
    "word_report",
    "write_transcript_html",
]


def __getattr__(name: str):
    # Appendix Two is the 2015 study's, now under casecode.studies; the old names keep working from here.
    if name in ("appendix_two_docx", "appendix_two_markdown"):
        import warnings

        from ..studies import appendix2015

        warnings.warn(f"casecode.reports.{name} moved to casecode.studies.{name}", DeprecationWarning, stacklevel=2)
        return getattr(appendix2015, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
