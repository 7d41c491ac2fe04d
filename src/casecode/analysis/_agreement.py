"""Agreement between coders: percent agreement, Cohen's kappa, Krippendorff's alpha, and the per-code table.

Edge cases, decided once for the whole package:

- A missing judgement (None, NaN, pd.NA) drops the pair from kappa and the unit's value from alpha.
- No pairs (kappa) or no unit with two values (alpha, percent agreement): NaN.
- Only one category in play (kappa's expected agreement pe = 1, alpha's expected disagreement De = 0), as for a
  code nobody used, where every coder says 0 everywhere: the coders cannot have disagreed, and kappa and alpha are
  1.0 by convention (the formulas give 0/0; sklearn returns NaN, the `krippendorff` package raises). Agreement on
  a code nobody used is perfect but says nothing, so `agreement_table` says so in its `note` column.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ._tables import code_ids, label_map, presence, require_columns

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _is_missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _pairs(a: Sequence[Any], b: Sequence[Any]) -> list[tuple[Any, Any]]:
    floats = _floats(a), _floats(b)
    if floats[0] is not None and floats[1] is not None and len(floats[0]) == len(floats[1]):
        # numbers (judgements are 0/1 or NaN): the missing ones found at once, not value by value
        x, y = floats
        kept = ~(np.isnan(x) | np.isnan(y))
        return list(zip(x[kept].tolist(), y[kept].tolist()))
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise AnalysisError(f"label sequences differ in length ({len(a)} and {len(b)}); pass one label per unit each")
    return [(x, y) for x, y in zip(a, b) if not (_is_missing(x) or _is_missing(y))]


def _floats(values: Any) -> np.ndarray | None:
    """A one-dimensional float Series or array as a float64 array (NaN: missing), else None (read value by value)."""
    if isinstance(values, (pd.Series, np.ndarray)) and values.ndim == 1 and values.dtype.kind == "f":
        return np.asarray(values, dtype=np.float64)
    return None


def _float_matrix(data: Any) -> np.ndarray | None:
    """A units × coders matrix of floats (a DataFrame whose columns are all float, or a float array) as a float64
    array (NaN: not judged), else None."""
    if isinstance(data, pd.DataFrame):
        if data.shape[1] and all(dtype.kind == "f" for dtype in data.dtypes):
            return data.to_numpy(dtype=np.float64)
        return None
    if isinstance(data, np.ndarray) and data.ndim == 2 and data.dtype.kind == "f":
        return data.astype(np.float64, copy=False)
    return None


def _pairable(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the rows with at least two values, which of their cells hold a value) of a float matrix."""
    rows = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
    return rows, ~np.isnan(rows)


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa of two coders' labels for the same units: (po - pe) / (1 - pe).

    Pairs with a missing label are dropped. pe = 1 (both coders used one and the same category) gives 1.0.
    """
    pairs = _pairs(a, b)
    if not pairs:
        return float("nan")
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    left = pd.Series([x for x, _ in pairs]).value_counts() / n
    right = pd.Series([y for _, y in pairs]).value_counts() / n
    expected = float((left * right.reindex(left.index, fill_value=0)).sum())
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else float("nan")
    return (observed - expected) / (1.0 - expected)


def _unit_values(data: Any) -> list[list[Any]]:
    """Non-missing values of each unit of a units × coders matrix."""
    table = data.to_numpy(dtype=object) if isinstance(data, pd.DataFrame) else np.asarray(data, dtype=object)
    if table.ndim != 2:
        raise AnalysisError(f"reliability data has {table.ndim} dimensions; pass a units × coders matrix")
    return [[v for v in row if not _is_missing(v)] for row in table]


def percent_agreement(a: Any, b: Sequence[Any] | None = None) -> float:
    """Share of units on which the coders agree: two label sequences `a`, `b`, or one units × coders matrix `a`.

    With a matrix, a unit counts when at least two coders judged it, and agrees when all of them gave one value.
    """
    if b is not None:
        pairs = _pairs(a, b)
        return sum(x == y for x, y in pairs) / len(pairs) if pairs else float("nan")
    matrix = _float_matrix(a)
    if matrix is not None:  # numbers: a unit agrees when its smallest and largest values are the same
        rows, held = _pairable(matrix)
        if not len(rows):
            return float("nan")
        same = np.where(held, rows, np.inf).min(axis=1) == np.where(held, rows, -np.inf).max(axis=1)
        return int(same.sum()) / len(rows)
    units = [vals for vals in _unit_values(a) if len(vals) >= 2]
    if not units:
        return float("nan")
    return sum(all(v == vals[0] for v in vals) for vals in units) / len(units)


def krippendorff_alpha(data: Any, level: str = "nominal") -> float:
    """Krippendorff's alpha of a units × coders matrix (rows units, columns coders; None/NaN = not judged).

    Coincidence-matrix form (Krippendorff 2011): units with fewer than two values are not pairable;
    alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck). `level` is nominal, ordinal, interval or
    ratio (the last three need numbers). No pairable unit gives NaN; a single value in play gives 1.0.
    """
    if level not in LEVELS:
        raise AnalysisError(f"level of measurement {level!r} is unknown; use one of {', '.join(LEVELS)}")
    matrix = _float_matrix(data)
    if matrix is not None:  # numbers: the coincidences counted with arrays, not unit by unit
        rows, held = _pairable(matrix)
        if not len(rows):
            return float("nan")
        values = rows[held]  # row by row, as the units list them
        _, first = np.unique(values, return_index=True)
        domain = values[np.sort(first)].tolist()  # in order of first appearance
        if level != "nominal":
            domain.sort()
        counts = np.column_stack([(rows == v).sum(axis=1) for v in domain]).astype(float)
        observed = _coincidence_matrix(counts)
    else:
        units = [vals for vals in _unit_values(data) if len(vals) >= 2]
        if not units:
            return float("nan")
        if level != "nominal":
            units = _as_numbers(units, level)
        domain = list(dict.fromkeys(v for vals in units for v in vals))
        if level != "nominal":
            domain.sort()
        observed = _coincidences(units, domain)
    totals = observed.sum(axis=0)
    distance = _distances(domain, totals, level)
    expected = float((np.outer(totals, totals) * distance).sum())
    disagreement = float((observed * distance).sum())
    if expected == 0.0:
        return 1.0 if disagreement == 0.0 else float("nan")
    return 1.0 - (totals.sum() - 1.0) * disagreement / expected


def _as_numbers(units: list[list[Any]], level: str) -> list[list[float]]:
    try:
        return [[float(v) for v in vals] for vals in units]
    except (TypeError, ValueError):
        raise AnalysisError(
            f"{level} alpha needs numbers, got {units[0]!r}; code the values as numbers or use level='nominal'"
        ) from None


def _coincidences(units: list[list[Any]], domain: list[Any]) -> np.ndarray:
    """The coincidence matrix o_ck: each unit's ordered pairs of values from different coders, weighted 1/(m_u - 1)."""
    index = {v: i for i, v in enumerate(domain)}
    counts = np.zeros((len(units), len(domain)))
    for row, vals in enumerate(units):
        for v in vals:
            counts[row, index[v]] += 1
    return _coincidence_matrix(counts)


def _coincidence_matrix(counts: np.ndarray) -> np.ndarray:
    """o_ck from the units × values counts of each value in each unit."""
    weighted = counts / (counts.sum(axis=1, keepdims=True) - 1.0)
    return weighted.T @ counts - np.diag(weighted.sum(axis=0))


def _distances(domain: list[Any], totals: np.ndarray, level: str) -> np.ndarray:
    """The distance d_ck between domain values for the level of measurement (squared, as Krippendorff defines)."""
    if level == "nominal":
        return 1.0 - np.eye(len(domain))
    c, k = np.meshgrid(np.asarray(domain), np.asarray(domain), indexing="ij")
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        total = c + k
        return np.divide((c - k) ** 2, total**2, out=np.zeros_like(total), where=total != 0)
    # ordinal: the pairable values from rank c to rank k, less half of the two ends
    position = np.arange(len(domain))
    lo, hi = np.minimum.outer(position, position), np.maximum.outer(position, position)
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    return (cumulative[hi + 1] - cumulative[lo] - (totals[lo] + totals[hi]) / 2.0) ** 2


def agreement_table(
    codings_by_coder: Mapping[str, pd.DataFrame],
    units: pd.DataFrame,
    codes: Any,
    coded_units: Mapping[str, Iterable[str]] | None = None,
    labels: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agreement per code between two or more coders who judged the same units (segments).

    Each coder's judgement of a unit is 1 when one of their codings of the code falls on it, else 0; a unit outside
    `coded_units[coder]` (when given for that coder) is missing for that coder. Returns `(per_code, disagreements)`:

    - per_code: `code, label, coders, units, percent_agreement, kappa, alpha, n_present_<coder>..., note`, where
      `units` counts units judged by at least two coders, `kappa` is NaN unless there are exactly two coders, and
      `n_present_<coder>` counts units the coder judged present.
    - disagreements: `code, segment_id, text, <coder>...` (0/1, <NA> when not judged), one row per unit on which
      the coders differ.
    """
    coders = _check_coders(codings_by_coder, units, coded_units)
    ids = code_ids(codes)
    names = label_map(codes, labels)
    judgements = {coder: _judgements(codings_by_coder[coder], units, ids, (coded_units or {}).get(coder))
                  for coder in coders}
    rows, flagged = [], []
    for code in ids:
        table = pd.DataFrame({coder: judgements[coder][code] for coder in coders})
        rows.append(_code_row(code, names.get(code, code), table))
        flagged.append(_disagreements(code, table, units))
    per_code = pd.DataFrame(rows)
    disagreements = pd.concat(flagged, ignore_index=True)
    return per_code, disagreements


def _check_coders(codings_by_coder: Mapping[str, pd.DataFrame], units: pd.DataFrame,
                  coded_units: Mapping[str, Iterable[str]] | None) -> list[str]:
    require_columns(units, ["segment_id"], "units")
    coders = [str(c) for c in codings_by_coder]
    if len(coders) < 2:
        raise AnalysisError(f"agreement needs at least two coders, got {coders}; pass one codings table per coder")
    clash = {"code", "segment_id", "text"} & set(coders)
    if clash:
        raise AnalysisError(f"coder name {sorted(clash)[0]!r} clashes with a column name; rename the coder")
    unknown = set(coded_units or {}) - set(coders)
    if unknown:
        raise AnalysisError(f"coded_units names coder {sorted(unknown)[0]!r}, not one of {', '.join(coders)}")
    for coder, codings in codings_by_coder.items():
        require_columns(codings, ["segment_id", "code"], f"codings of {coder!r}")
        if len(codings) and not codings["segment_id"].isin(units["segment_id"]).any():
            raise AnalysisError(
                f"no coding of coder {coder!r} falls on a unit (first segment {codings['segment_id'].iloc[0]!r}); "
                f"pass the segments the coders coded as units"
            )
    return coders


def _judgements(codings: pd.DataFrame, units: pd.DataFrame, codes: list[str],
                seen: Iterable[str] | None) -> pd.DataFrame:
    """Units × codes 0/1 as floats, NaN on units the coder did not see."""
    matrix = presence(codings, units, codes).astype(float)
    if seen is not None:
        matrix.loc[~matrix.index.isin(list(seen))] = np.nan
    return matrix


def _code_row(code: str, label: str, table: pd.DataFrame) -> dict[str, Any]:
    two = table.shape[1] == 2
    row: dict[str, Any] = {
        "code": code,
        "label": label,
        "coders": table.shape[1],
        "units": int((table.notna().sum(axis=1) >= 2).sum()),
        "percent_agreement": percent_agreement(table),
        "kappa": cohen_kappa(table.iloc[:, 0], table.iloc[:, 1]) if two else float("nan"),
        "alpha": krippendorff_alpha(table),
    }
    row.update({f"n_present_{coder}": int((table[coder] == 1).sum()) for coder in table.columns})
    row["note"] = _note(table, row["units"])
    return row


def _note(table: pd.DataFrame, pairable: int) -> str:
    if pairable == 0:
        return "no unit was judged by two coders"
    values = pd.unique(table.stack().to_numpy())
    if len(values) == 1:
        who = "no coder used this code" if values[0] == 0 else "every coder applied this code to every unit"
        return f"{who}: agreement is trivially perfect (kappa, alpha 1.0 by convention)"
    silent = [str(coder) for coder in table.columns if not (table[coder] == 1).any()]
    return f"never used by {', '.join(silent)}" if silent else ""


def _disagreements(code: str, table: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    # judgements are 0/1 or NaN: two coders differ where the row's largest and smallest values differ (a row-wise
    # nunique calls pandas once per unit, most of `agree`'s time on a large project)
    differs = (table.notna().sum(axis=1) >= 2) & (table.max(axis=1) != table.min(axis=1))
    all_texts = units["text"] if "text" in units.columns else pd.Series("", index=units.index)
    text_by_unit = pd.Series(all_texts.to_numpy(), index=units["segment_id"].to_numpy())
    flagged = table.loc[differs].astype("Int64")
    texts = text_by_unit.reindex(flagged.index).to_numpy()
    out = pd.DataFrame({"code": code, "segment_id": flagged.index, "text": texts})
    for coder in table.columns:
        out[coder] = flagged[coder].to_numpy()
    return out
