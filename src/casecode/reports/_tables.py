"""Tables shared by the Word and Markdown writers: a case-by-code matrix as ticks, and cell text."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import pandas as pd

from ..codebook import Codebook

TICK = "✓"


def tick_table(
    matrix: pd.DataFrame,
    codebook: Codebook,
    case_ids: Iterable[str] | None = None,
    names: Mapping[str, str] | None = None,
    first_column: str = "Case",
    total: str = "Total",
) -> pd.DataFrame:
    """The case-by-code matrix as text: one row per case (its name), one column per code (its label), a tick
    where the case takes the code, and a last row counting the ticks of each column.

    Codes follow the codebook order (matrix columns the codebook lacks come last, headed by their id); rows
    follow `case_ids` (default: the matrix index), a case missing from the matrix gets no ticks.
    `attrs["total_row"]` is set so the Word writer sets that row in bold.
    """
    codes = [c for c in codebook.ids if c in matrix.columns] + [c for c in matrix.columns if c not in codebook]
    labels = codebook.labels()
    rows = list(case_ids) if case_ids is not None else [str(c) for c in matrix.index]
    present = matrix.reindex(index=rows, columns=codes, fill_value=0).fillna(0).astype(int).astype(bool)
    names = names or {}
    table = pd.DataFrame({first_column: [names.get(case, case) for case in rows]})
    for code in codes:
        table[labels.get(code, code)] = [TICK if hit else "" for hit in present[code]]
    totals = pd.DataFrame([[total] + [int(present[code].sum()) for code in codes]], columns=table.columns)
    table = pd.concat([table, totals.astype(str)], ignore_index=True)
    table.attrs["total_row"] = True
    return table


def case_names(cases: pd.DataFrame | None) -> dict[str, str]:
    """case_id → name from a cases DataFrame (empty when there is none, so ids stand for themselves)."""
    if cases is None:
        return {}
    return dict(zip(cases["case_id"].astype(str), cases["name"].astype(str)))


def cell_text(value: Any) -> str:
    """A table cell as text: nothing for missing values, two decimals for fractional numbers, lists joined."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"
    if isinstance(value, (tuple, list)):
        return "; ".join(str(v) for v in value)
    return str(value)
