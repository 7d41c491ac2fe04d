"""Analysis: cross-tabs, agreement between coders, evaluation against a gold coding, comparison of studies.

DataFrames in, DataFrames out; nothing here reads the store or writes files except `Evaluation.write`.
"""

from ._agreement import agreement_table, cohen_kappa, krippendorff_alpha, percent_agreement
from ._compare import COMPARISON_COLUMNS, compare_studies
from ._crosstab import case_code_matrix, cases_per_code, code_frequencies
from ._framework import FRAMEWORK_COVERAGE_COLUMNS, FRAMEWORK_SUMMARY_COLUMNS, framework_coverage, framework_markdown, framework_summary
from ._tables import markdown_table
from ._evaluate import CASE_CELL_COLUMNS, CASE_CODE_COLUMNS, SCORE_COLUMNS, Evaluation, evaluate
from ._patterns import (
    SATURATION_COLUMNS,
    case_cooccurrence,
    codes_by_attribute,
    saturation_curve,
    segment_attributes,
    unit_cooccurrence,
)

__all__ = [
    "CASE_CELL_COLUMNS",
    "CASE_CODE_COLUMNS",
    "COMPARISON_COLUMNS",
    "FRAMEWORK_COVERAGE_COLUMNS",
    "FRAMEWORK_SUMMARY_COLUMNS",
    "SATURATION_COLUMNS",
    "SCORE_COLUMNS",
    "Evaluation",
    "agreement_table",
    "markdown_table",
    "case_code_matrix",
    "case_cooccurrence",
    "cases_per_code",
    "code_frequencies",
    "codes_by_attribute",
    "cohen_kappa",
    "compare_studies",
    "evaluate",
    "framework_coverage",
    "framework_markdown",
    "framework_summary",
    "krippendorff_alpha",
    "percent_agreement",
    "saturation_curve",
    "segment_attributes",
    "unit_cooccurrence",
]
