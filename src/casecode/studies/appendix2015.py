"""Appendix Two of the 2016 report, regenerated: each council's leadership actions in its own words, the codes
each was given, and a council-by-action table of ticks (the items' own, and optionally one from all evidence).

The 2015 study's words over the generic `casecode.reports.grouped_items_markdown` / `grouped_items_docx`.
`items`, `groups` and `cases` are as those writers take them; `matrix` and `all_evidence` are case-by-code matrices.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..codebook import Codebook
from ..reports import grouped_items_docx, grouped_items_markdown

TITLE = "Appendix Two: leadership actions being taken by the case study councils"
TABLE_HEADING = "Leadership actions by council (Appendix Two items only)"
EVIDENCE_HEADING = "Leadership actions by council, all evidence in the report (not Appendix Two alone)"
UNCODED = "not coded to the eleven"


def appendix_two_markdown(items: pd.DataFrame, matrix: pd.DataFrame, codebook: Codebook, groups, path: str | Path,
                          cases: pd.DataFrame | None = None, title: str = TITLE, uncoded: str = UNCODED,
                          all_evidence: pd.DataFrame | None = None) -> Path:
    """Write Appendix Two as Markdown: groups (##), councils (###), their actions with codes, the tick tables."""
    return grouped_items_markdown(items, _tables(matrix, all_evidence), codebook, groups, path, title=title,
                                  uncoded=uncoded, cases=cases, first_column="Council")


def appendix_two_docx(items: pd.DataFrame, matrix: pd.DataFrame, codebook: Codebook, groups, path: str | Path,
                      cases: pd.DataFrame | None = None, title: str = TITLE, uncoded: str = UNCODED,
                      all_evidence: pd.DataFrame | None = None) -> Path:
    """Write Appendix Two as Word: group and council headings, bulleted actions with their codes in grey italics,
    and the tick tables on a landscape page when wide."""
    return grouped_items_docx(items, _tables(matrix, all_evidence), codebook, groups, path, title=title,
                              uncoded=uncoded, cases=cases, first_column="Council")


def _tables(matrix: pd.DataFrame, all_evidence: pd.DataFrame | None) -> list[tuple[str, pd.DataFrame]]:
    """The tick tables to write: the items' own, then, when given, the all-evidence one."""
    return [(TABLE_HEADING, matrix)] + ([(EVIDENCE_HEADING, all_evidence)] if all_evidence is not None else [])
