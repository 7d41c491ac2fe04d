"""A segment's cases: one meaning everywhere (readers, store, coders, studies)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd


def segment_cases(value: Any) -> tuple[str, ...]:
    """A segment's `cases` cell as a tuple of case ids (a tuple, list, single string or empty)."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, Iterable):
        return tuple(str(v) for v in value if v)
    return ()


def first_case(value: Any) -> str:
    """The first case id of a segment's `cases` cell, or "" when it names none: the case a segment is grouped
    under for cross-validation."""
    cases = segment_cases(value)
    return cases[0] if cases else ""


def cases_or_document(segments: pd.DataFrame, case_id: Callable[[str], str] | None = None) -> list[tuple[str, ...]]:
    """Each segment's cases, or its document as its own case when it names none, so every unit counts somewhere;
    `case_id` turns each name into an id (e.g. `casecode.workflow.case_id_for`)."""
    make = case_id or (lambda name: name)
    return [tuple(make(c) for c in segment_cases(cs)) or (make(str(doc)),)
            for cs, doc in zip(segments["cases"], segments["document_id"])]
