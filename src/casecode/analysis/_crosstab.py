"""Cross-tabs: which case takes which code, and how often each code was applied."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import AnalysisError
from ._tables import as_case_tuple, case_ids, code_ids, label_map, require_columns


def case_code_matrix(codings: pd.DataFrame, segments: pd.DataFrame, codes: Any, cases: Any = None) -> pd.DataFrame:
    """The case-by-code matrix: index `case_id`, one 0/1 int column per code in `codes` order.

    A case takes a code when any coding of that code falls on a segment attributed to the case (`segments['cases']`);
    a coding with its own `cases` cell (a tuple of case ids, as when a passage names several cases but the code
    applies to some of them) counts for those cases instead; an empty cell falls back to the segment's.
    `cases` (a cases DataFrame or a list of ids) fixes the rows and their order, cases without codings included;
    by default the rows are the cases named in `segments`, in order of first appearance. Codes outside `codes`
    and cases outside `cases` are left out; a coding of a segment missing from `segments` is an error.
    """
    require_columns(codings, ["segment_id", "code"], "codings")
    require_columns(segments, ["segment_id", "cases"], "segments")
    ids = code_ids(codes)
    seg_cases = pd.Series([as_case_tuple(v) for v in segments["cases"]], index=segments["segment_id"], dtype=object)
    rows = case_ids(cases) if cases is not None else list(dict.fromkeys(c for t in seg_cases for c in t))

    check_segments_known(codings, seg_cases.index)
    own = "cases" in codings.columns
    hits = codings.loc[codings["code"].isin(ids), ["segment_id", "code"] + (["cases"] if own else [])].copy()
    hits["case_id"] = hits["segment_id"].map(seg_cases)
    if own:
        # An empty cell (NaN, None, ()) falls back to the segment's cases.
        own_cases = hits.pop("cases")
        hits["case_id"] = [as_case_tuple(mine) or seg for mine, seg in zip(own_cases, hits["case_id"])]
    hits = hits.explode("case_id").dropna(subset=["case_id"])
    matrix = pd.crosstab(hits["case_id"], hits["code"]).clip(upper=1) if len(hits) else pd.DataFrame()
    matrix = matrix.reindex(index=pd.Index(rows, name="case_id"), columns=ids, fill_value=0).fillna(0)
    return matrix.astype(int).rename_axis(columns=None)


def check_segments_known(codings: pd.DataFrame, segment_ids: pd.Index) -> None:
    """Refuse codings whose segment is not among `segment_ids` (an AnalysisError naming the first)."""
    unknown = codings.loc[~codings["segment_id"].isin(segment_ids), "segment_id"]
    if len(unknown):
        raise AnalysisError(
            f"coding of segment {unknown.iloc[0]!r} ({len(unknown)} codings in all) names no segment of the segments "
            f"table; pass the segments the codings were made on"
        )


def cases_per_code(matrix: pd.DataFrame, labels: Any = None) -> pd.DataFrame:
    """Per code of a case-by-code matrix: `code, label, cases, case_ids` (case ids joined by '; ').

    `labels` is a dict code → label or a Codebook; a code without a label is labelled with its id.
    """
    names = label_map(labels=labels)
    rows = []
    for code in matrix.columns:
        takers = [str(case) for case in matrix.index[matrix[code].astype(bool)]]
        rows.append({"code": code, "label": names.get(code, code), "cases": len(takers), "case_ids": "; ".join(takers)})
    return pd.DataFrame(rows, columns=["code", "label", "cases", "case_ids"])


def code_frequencies(codings: pd.DataFrame, codes: Any, labels: Any = None) -> pd.DataFrame:
    """Per code in `codes` order: `code, label, codings, segments, documents` (counts; 0 for unused codes).

    `segments` counts distinct coded segments and `documents` distinct documents, so a segment coded twice with
    the same code counts twice in `codings` and once in `segments`.
    """
    require_columns(codings, ["segment_id", "document_id", "code"], "codings")
    ids = code_ids(codes)
    names = label_map(codes, labels)
    grouped = codings[codings["code"].isin(ids)].groupby("code")
    counts = pd.DataFrame(
        {
            "codings": grouped.size(),
            "segments": grouped["segment_id"].nunique(),
            "documents": grouped["document_id"].nunique(),
        }
    )
    counts = counts.reindex(ids, fill_value=0).fillna(0).astype(int).rename_axis("code").reset_index()
    counts.insert(1, "label", [names.get(code, code) for code in ids])
    return counts
