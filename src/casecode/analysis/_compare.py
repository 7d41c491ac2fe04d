"""Comparison of two studies (say the 2015 report and a replication): share of cases taking each code."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ._tables import code_ids, label_map

COMPARISON_COLUMNS = [
    "code", "label", "baseline_cases", "baseline_n", "baseline_share", "new_cases", "new_n", "new_share",
    "difference", "p_value", "significant",
]
SMALL_SAMPLE = 30  # below this many cases in a study the note warns about the test's low power


def compare_studies(baseline_matrix: Any, new_matrix: Any, labels: Any = None, codes: Any = None,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Per code, the share of cases taking it in each study and a two-sided Fisher's exact test of the difference.

    Each study is a case-by-code matrix or counts `{code: (cases, n)}` (the 2015 baseline may survive only as
    counts). Rows follow `codes`, by default the baseline's codes then codes only the new study has; a code one
    study lacks gets <NA> counts, NaN shares and p-value, and `significant` False. Columns: COMPARISON_COLUMNS.
    `result.attrs["note"]` is a sentence on multiple tests and small samples to print under the table.
    """
    base, new = _counts(baseline_matrix, "baseline"), _counts(new_matrix, "new")
    ids = code_ids(codes) if codes is not None else list(dict.fromkeys([*base, *new]))
    names = label_map(codes, labels)
    rows = [_row(code, names.get(code, code), base.get(code), new.get(code), alpha) for code in ids]
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    for col in ["baseline_cases", "baseline_n", "new_cases", "new_n"]:
        table[col] = table[col].astype("Int64")
    table["significant"] = table["significant"].astype(bool)
    table.attrs["note"] = _note(base, new, len(ids), alpha)
    return table


def _counts(study: Any, name: str) -> dict[str, tuple[int, int]]:
    """Code → (cases taking it, cases in the study) from a matrix or from counts."""
    if isinstance(study, pd.DataFrame):
        return {str(code): (int(study[code].astype(bool).sum()), len(study)) for code in study.columns}
    if not isinstance(study, Mapping):
        raise AnalysisError(
            f"{name} study is a {type(study).__name__}; pass a case-by-code matrix or {{code: (cases, n)}}"
        )
    counts = {}
    for code, pair in study.items():
        try:
            cases, n = (int(v) for v in pair)
        except (TypeError, ValueError):
            raise AnalysisError(
                f"{name} count for code {code!r} is {pair!r}; give (cases taking the code, cases)"
            ) from None
        if not 0 <= cases <= n:
            raise AnalysisError(f"{name} count for code {code!r} is {cases} of {n} cases; cases must lie in 0..n")
        counts[str(code)] = (cases, n)
    return counts


def _row(code: str, label: str, base: tuple[int, int] | None, new: tuple[int, int] | None, alpha: float) -> dict:
    row = {"code": code, "label": label}
    for prefix, pair in (("baseline", base), ("new", new)):
        cases, n = pair if pair else (pd.NA, pd.NA)
        row.update({f"{prefix}_cases": cases, f"{prefix}_n": n, f"{prefix}_share": _share(pair)})
    row["difference"] = row["new_share"] - row["baseline_share"]
    row["p_value"] = _fisher(base, new)
    row["significant"] = bool(row["p_value"] < alpha)  # NaN compares False
    return row


def _share(pair: tuple[int, int] | None) -> float:
    return pair[0] / pair[1] if pair and pair[1] else float("nan")


def _fisher(base: tuple[int, int] | None, new: tuple[int, int] | None) -> float:
    """Two-sided Fisher's exact p on [[takes, does not take] per study]; NaN when a study lacks the code."""
    from scipy.stats import fisher_exact  # imported here: scipy.stats adds a second to every CLI start

    if base is None or new is None or not (base[1] and new[1]):
        return float("nan")
    table = np.array([[base[0], base[1] - base[0]], [new[0], new[1] - new[0]]])
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def _note(base: dict, new: dict, tests: int, alpha: float) -> str:
    sizes = {name: sorted({n for _, n in study.values()}) for name, study in (("baseline", base), ("new", new))}
    described = [f"{name} n = {ns[0]}" + (f"–{ns[-1]}" if len(ns) > 1 else "") for name, ns in sizes.items() if ns]
    note = (f"Two-sided Fisher's exact test per code ({', '.join(described)}); {tests} tests at alpha = {alpha} "
            f"are not corrected for multiple comparisons.")
    smallest = min((ns[0] for ns in sizes.values() if ns), default=0)
    if smallest < SMALL_SAMPLE:
        note += (f" With samples this small (fewer than {SMALL_SAMPLE} cases) only large differences can reach "
                 f"significance: a non-significant difference is not evidence that nothing changed.")
    return note
