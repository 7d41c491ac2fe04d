"""Shared helpers of the analysis room: checking input tables, code ids and labels, presence matrices."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import pandas as pd

from ..errors import AnalysisError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise AnalysisError when `frame` (called `name` in the message) lacks one of `columns`."""
    if not isinstance(frame, pd.DataFrame):
        raise AnalysisError(f"{name} is a {type(frame).__name__}, not a DataFrame; pass a pandas DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(
            f"{name} table lacks column {missing[0]!r}; it has {', '.join(map(str, frame.columns)) or 'no columns'}"
            f"; add the column or pass the right table"
        )


def code_ids(codes: Any) -> list[str]:
    """Code ids in order from a Codebook, a list of Code objects or a list of id strings."""
    ids = [getattr(code, "id", code) for code in codes]
    if not all(isinstance(i, str) for i in ids):
        bad = next(i for i in ids if not isinstance(i, str))
        raise AnalysisError(f"code {bad!r} is not a code id; pass a Codebook, Code objects or code id strings")
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise AnalysisError(f"code {dup!r} is listed twice in codes; list each code once")
    return ids


def label_map(codes: Any = None, labels: Any = None) -> dict[str, str]:
    """Code id → label from Code objects in `codes` and from `labels` (a dict or a Codebook); `labels` wins."""
    found: dict[str, str] = {}
    for source in (codes, labels):
        if source is None:
            continue
        if isinstance(source, Mapping):
            found.update({str(k): str(v) for k, v in source.items()})
        else:
            found.update({c.id: c.label for c in source if hasattr(c, "label")})
    return found


def case_ids(cases: Any) -> list[str]:
    """Case ids from a cases DataFrame (column `case_id`) or an iterable of ids."""
    if isinstance(cases, pd.DataFrame):
        require_columns(cases, ["case_id"], "cases")
        cases = cases["case_id"]
    ids = [str(c) for c in cases]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise AnalysisError(f"case {dup!r} is listed twice in cases; list each case once")
    return ids


def as_case_tuple(value: Any) -> tuple[str, ...]:
    """The case ids of one segment's `cases` cell: a tuple or list; a bare string is one id; None/NaN is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(v) for v in value)


def presence(codings: pd.DataFrame, units: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Units × codes 0/1 int matrix: 1 where any coding of that code falls on that unit.

    Codings of segments outside `units` and of codes outside `codes` are left out.
    """
    require_columns(codings, ["segment_id", "code"], "codings")
    unit_ids = pd.Index(units["segment_id"], name="segment_id")
    hits = codings.loc[codings["segment_id"].isin(unit_ids) & codings["code"].isin(codes), ["segment_id", "code"]]
    matrix = pd.crosstab(hits["segment_id"], hits["code"]).clip(upper=1)
    return matrix.reindex(index=unit_ids, columns=codes, fill_value=0).astype(int).rename_axis(columns=None)


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub Markdown table of `frame` (no tabulate dependency); floats rounded to `digits`."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.{digits}f}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)
