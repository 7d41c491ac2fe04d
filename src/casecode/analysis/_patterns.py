"""Patterns across codes and cases: co-occurrence, codes by a case attribute, and the saturation curve.

DataFrames in, DataFrames out. A *case-code pair* is a case taking a code (one cell of the case-by-code matrix).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ._tables import as_case_tuple, code_ids, require_columns

#: Columns of `saturation_curve`.
SATURATION_COLUMNS = [
    "documents",  # how many documents have been added (1..N)
    "document_id",  # the document added at this step, in the order given
    "new_codes",  # codes seen for the first time with this document
    "new_case_codes",  # case-code pairs seen for the first time with this document
    "codes",  # codes seen so far
    "case_codes",  # case-code pairs seen so far
    "random_codes",  # mean of `codes` at this step over random orders of the documents
    "random_case_codes",  # likewise for `case_codes`
    "random_new_case_codes",  # mean number of new case-code pairs the step adds, over random orders
]


def unit_cooccurrence(codings: pd.DataFrame, codes: Any) -> pd.DataFrame:
    """Code × code counts of units (segments) that carry both codes; the diagonal counts units with the code."""
    require_columns(codings, ["segment_id", "code"], "codings")
    ids = code_ids(codes)
    hits = codings.loc[codings["code"].isin(ids), ["segment_id", "code"]].drop_duplicates()
    if hits.empty:
        return _square(pd.DataFrame(0, index=ids, columns=ids), ids)
    units = pd.crosstab(hits["segment_id"], hits["code"]).reindex(columns=ids, fill_value=0)
    return _square(units.T @ units, ids)


def case_cooccurrence(matrix: pd.DataFrame) -> pd.DataFrame:
    """Code × code counts of cases that take both codes, from a case-by-code 0/1 matrix; the diagonal counts
    the cases taking each code."""
    ids = [str(c) for c in matrix.columns]
    present = matrix.fillna(0).astype(int).clip(upper=1)
    return _square(present.T @ present, ids)


def _square(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    out = frame.reindex(index=ids, columns=ids, fill_value=0).fillna(0).astype(int)
    out.index.name, out.columns.name = "code", None
    return out


def segment_attributes(segments: pd.DataFrame, documents: pd.DataFrame | None = None,
                       cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per segment: `segment_id, case_id, case_type, role, codable`, for `codes_by_attribute`.

    `case_id` is the segment's first case, `case_type` that case's `type`, and `role` the speaker's job role:
    from the document's `speaker_roles` metadata (written by the transcript readers from `Name (Role):` labels),
    else the document's `role` when it names one interviewee. Missing values are "". `codable` is the segment's
    own (True where `segments` has no such column): interviewer turns and notes are never coded.
    """
    require_columns(segments, ["segment_id", "document_id", "speaker", "cases"], "segments")
    meta = {}
    if documents is not None and len(documents):
        meta = dict(zip(documents["document_id"], documents["metadata"]))
    types = {}
    if cases is not None and len(cases):
        types = {str(k): ("" if v is None or v is pd.NA else str(v)) for k, v in zip(cases["case_id"], cases["type"])}
    rows = []
    for seg in segments.itertuples():
        first = next(iter(as_case_tuple(seg.cases)), "")
        rows.append({"segment_id": seg.segment_id, "case_id": first, "case_type": types.get(first, ""),
                     "role": speaker_role(meta.get(seg.document_id) or {}, seg.speaker),
                     "codable": bool(getattr(seg, "codable", True))})
    return pd.DataFrame(rows, columns=["segment_id", "case_id", "case_type", "role", "codable"])


def speaker_role(metadata: Mapping, speaker: Any) -> str:
    """A speaker's job role: from the document's `speaker_roles` (its `Name (Role):` labels), else the document's
    `role` when the speaker is its one interviewee (front matter or a manifest row); "" when neither says."""
    roles = metadata.get("speaker_roles") or {}
    if isinstance(speaker, str) and speaker in roles:
        return str(roles[speaker])
    role = metadata.get("role")
    if isinstance(role, str) and role and ";" not in role and isinstance(speaker, str) and speaker \
            and speaker == str(metadata.get("interviewee", "")).strip():
        return role
    return ""


def codes_by_attribute(codings: pd.DataFrame, attributes: pd.DataFrame, codes: Any, attribute: str) -> pd.DataFrame:
    """How many cases take each code, by a segment attribute such as `case_type` or `role`.

    `attributes` is `segment_attributes(...)`. One row per value of `attribute` (blank values as "(none)"), sorted:
    `cases` counts the cases with any codable segment of that value, then one column per code counts the cases
    whose segments of that value carry the code. For `case_type` this is the cases-per-code table split by type;
    for `role` it says, for instance, in how many councils a chief executive spoke of each action. Segments that
    are not codable (where `attributes` has a `codable` column) count nowhere: an interviewer's turns would add a
    "(none)" role to every case.
    """
    require_columns(codings, ["segment_id", "code"], "codings")
    require_columns(attributes, ["segment_id", "case_id", attribute], "attributes")
    ids = code_ids(codes)
    if "codable" in attributes:
        attributes = attributes[attributes["codable"].fillna(True).astype(bool)]
    attrs = attributes[["segment_id", "case_id", attribute]].copy()
    attrs[attribute] = attrs[attribute].fillna("").astype(str).replace("", "(none)")
    attrs = attrs[attrs["case_id"].astype(str) != ""]
    totals = attrs.groupby(attribute)["case_id"].nunique()
    hits = codings.loc[codings["code"].isin(ids), ["segment_id", "code"]].merge(attrs, on="segment_id")
    counts = hits.groupby([attribute, "code"])["case_id"].nunique().unstack(fill_value=0)
    table = counts.reindex(index=totals.index, columns=ids, fill_value=0).fillna(0).astype(int)
    table.insert(0, "cases", totals.astype(int))
    table.index.name = attribute
    return table.sort_index()


def saturation_curve(codings: pd.DataFrame, segments: pd.DataFrame, document_order: Iterable[str],
                     codes: Any = None, n_orders: int | None = 200, seed: int = 0) -> pd.DataFrame:
    """New codes and new case-code pairs as documents are added, in `document_order` and over random orders.

    Returns SATURATION_COLUMNS, one row per document. The `random_*` columns average over `n_orders` random
    orders (seeded, so reruns agree); `n_orders=None` averages over every order exactly (eight documents at most).
    A curve still rising at its end says more interviews would still change the picture.
    """
    require_columns(codings, ["segment_id", "code"], "codings")
    require_columns(segments, ["segment_id", "document_id", "cases"], "segments")
    order = [str(d) for d in document_order]
    if len(set(order)) != len(order):
        raise AnalysisError("document_order names a document twice; give each document once")
    ids = set(code_ids(codes)) if codes is not None else None
    seg = segments.set_index("segment_id")
    unknown = set(codings["segment_id"]) - set(seg.index)
    if unknown:
        raise AnalysisError(f"coding of segment {sorted(unknown)[0]!r} names no segment of the segments table; "
                            f"pass the segments the codings were made on")
    per_doc_codes: dict[str, set] = {d: set() for d in order}
    per_doc_pairs: dict[str, set] = {d: set() for d in order}
    for c in codings.itertuples():
        if ids is not None and c.code not in ids:
            continue
        doc = str(seg.at[c.segment_id, "document_id"])
        if doc not in per_doc_codes:
            continue
        per_doc_codes[doc].add(c.code)
        per_doc_pairs[doc].update((case, c.code) for case in as_case_tuple(seg.at[c.segment_id, "cases"]))

    new_codes, n_codes = _growth([per_doc_codes[d] for d in order])
    new_pairs, n_pairs = _growth([per_doc_pairs[d] for d in order])
    rand_codes, rand_pairs, rand_new_pairs = _random_means(order, per_doc_codes, per_doc_pairs, n_orders, seed)
    return pd.DataFrame({
        "documents": range(1, len(order) + 1), "document_id": order, "new_codes": new_codes,
        "new_case_codes": new_pairs, "codes": n_codes, "case_codes": n_pairs, "random_codes": rand_codes,
        "random_case_codes": rand_pairs, "random_new_case_codes": rand_new_pairs,
    }, columns=SATURATION_COLUMNS)


def _growth(sets: list[set]) -> tuple[list[int], list[int]]:
    seen: set = set()
    new, total = [], []
    for items in sets:
        fresh = items - seen
        seen |= fresh
        new.append(len(fresh))
        total.append(len(seen))
    return new, total


def _random_means(order, per_doc_codes, per_doc_pairs, n_orders, seed):
    n = len(order)
    if n == 0:
        return [], [], []
    if n_orders is None:
        if n > 8:
            raise AnalysisError(f"exact averaging over every order needs at most 8 documents, not {n}; "
                                f"pass n_orders (for example 200)")
        orders = list(itertools.permutations(order))
    else:
        if n_orders < 1:
            raise AnalysisError(f"n_orders must be at least 1, not {n_orders}")
        rng = np.random.default_rng(seed)
        orders = [[order[i] for i in rng.permutation(n)] for _ in range(n_orders)]
    codes_sum = np.zeros(n)
    pairs_sum = np.zeros(n)
    new_pairs_sum = np.zeros(n)
    for perm in orders:
        _, totals = _growth([per_doc_codes[d] for d in perm])
        new, pair_totals = _growth([per_doc_pairs[d] for d in perm])
        codes_sum += totals
        pairs_sum += pair_totals
        new_pairs_sum += new
    k = len(orders)
    return list(codes_sum / k), list(pairs_sum / k), list(new_pairs_sum / k)


def is_saturating(curve: pd.DataFrame, last: int = 3) -> bool:
    """True when the last `last` documents of the random-order mean add less than one new case-code pair each."""
    tail = curve["random_new_case_codes"].tail(last)
    return bool(len(tail)) and not math.isnan(tail.max()) and float(tail.max()) < 1
