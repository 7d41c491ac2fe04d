"""Evaluation of a coding (rules, model) against a gold coding, per unit and per case.

Every unit in `units` is judged: a unit neither coding touched is a true negative. Zero division follows
scikit-learn's `zero_division=0`: precision of a code never predicted, recall of a code absent from the gold
coding, and F1 when both are 0 are 0.0, and the `note` column says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._output import write_csv
from ._agreement import cohen_kappa, percent_agreement
from ._crosstab import case_code_matrix
from ._tables import code_ids, label_map, markdown_table, presence, require_columns

SCORE_COLUMNS = ["support", "predicted", "tp", "fp", "fn", "precision", "recall", "f1", "kappa"]
CASE_CELL_COLUMNS = ["case_id", "code", "gold", "predicted"]
CASE_CODE_COLUMNS = ["code", "label", "gold_cases", "predicted_cases", "tp", "fp", "fn", "percent_agreement", "kappa",
                     "gained", "lost"]


@dataclass
class Evaluation:
    """Scores of a predicted coding against a gold coding.

    - per_code: `code, label, support, predicted, tp, fp, fn, precision, recall, f1, kappa, note` (units level).
    - averages: rows `micro` and `macro` with `average` + SCORE_COLUMNS; counts are totals over codes, micro pools
      every unit × code cell (kappa included), macro is the unweighted mean of the per-code scores.
    - case_gold, case_predicted: case-by-code matrices (None without cases); case_kappa over all case × code cells,
      with case_agreement (the share of those cells on which the codings agree) and case_gold_positive (how many
      are positive in the gold coding): where most cells are positive, kappa is low even at high agreement;
      case_per_code: CASE_CODE_COLUMNS, where `gained` names the cases (councils) the prediction credits with the
      code and the gold coding does not, and `lost` those it misses ("; "-separated); case_cells: the disagreeing
      cells, `case_id, code, gold, predicted`.
    """

    per_code: pd.DataFrame
    averages: pd.DataFrame
    n_units: int
    case_gold: pd.DataFrame | None = None
    case_predicted: pd.DataFrame | None = None
    case_per_code: pd.DataFrame | None = None
    case_kappa: float = float("nan")
    case_agreement: float = float("nan")
    case_gold_positive: int = 0
    case_cells: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_CELL_COLUMNS))

    @property
    def micro(self) -> pd.Series:
        return self.averages.set_index("average").loc["micro"]

    @property
    def macro(self) -> pd.Series:
        return self.averages.set_index("average").loc["macro"]

    def case_level(self) -> str:
        """The case-level figures in words: "case-level kappa 0.389, agreement 0.886 over 44 cells, 40 positive in
        gold" ("" without cases); the agreement and prevalence explain a low kappa beside high agreement."""
        if self.case_gold is None:
            return ""
        return (f"case-level kappa {self.case_kappa:.3f}, agreement {self.case_agreement:.3f} over "
                f"{self.case_gold.size} cells, {self.case_gold_positive} positive in gold")

    def summary(self) -> str:
        """A few printable lines: the averages, and the case-level agreement when cases were given."""
        lines = [f"{self.n_units} units, {len(self.per_code)} codes"]
        for name, row in (("micro", self.micro), ("macro", self.macro)):
            lines.append(
                f"{name}: precision {row['precision']:.3f}, recall {row['recall']:.3f}, "
                f"F1 {row['f1']:.3f}, kappa {row['kappa']:.3f}"
            )
        if self.case_gold is not None:
            cells = self.case_gold.size
            lines.append(
                f"cases: kappa {self.case_kappa:.3f}, agreement {self.case_agreement:.3f} over {cells} case × code "
                f"cells, {self.case_gold_positive} positive in gold, {len(self.case_cells)} disagreeing"
            )
            for row in self.case_per_code.itertuples(index=False):
                if row.gained or row.lost:
                    lines.append(f"  {row.code}: gained {row.gained or '-'}; lost {row.lost or '-'}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The evaluation as Markdown: averages, per-code scores and, with cases, the case-level tables."""
        parts = ["## Averages", markdown_table(self.averages), "## Per code", markdown_table(self.per_code)]
        if self.case_per_code is not None:
            parts += [f"## Cases ({self.case_level()}; per code, the cases gained and lost)",
                      markdown_table(self.case_per_code)]
            parts += ["## Disagreeing case cells", markdown_table(self.case_cells)]
        return "\n\n".join(parts) + "\n"

    def write(self, folder: str | Path) -> list[Path]:
        """Write per_code.csv, averages.csv, case_cells.csv (header only without cases) and, with cases,
        case_per_code.csv into `folder` (created if needed); return the paths written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"per_code": self.per_code, "averages": self.averages, "case_cells": self.case_cells}
        if self.case_per_code is not None:
            tables["case_per_code"] = self.case_per_code
        paths = []
        for name, table in tables.items():
            path = folder / f"{name}.csv"
            write_csv(table, path)
            paths.append(path)
        return paths


def evaluate(predicted: pd.DataFrame, gold: pd.DataFrame, units: pd.DataFrame, codes: Any,
             cases: Any = None, labels: Any = None) -> Evaluation:
    """Score `predicted` codings against `gold` codings over `units` (the segments evaluated) for `codes`.

    Codings of segments outside `units` and of codes outside `codes` are left out. With `cases` (a cases
    DataFrame or a list of ids; `units` then needs its `cases` column), also compares the case-by-code matrices.
    """
    require_columns(units, ["segment_id"], "units")
    ids = code_ids(codes)
    names = label_map(codes, labels)
    truth, guess = presence(gold, units, ids), presence(predicted, units, ids)
    per_code = pd.DataFrame([_code_scores(code, names.get(code, code), truth[code], guess[code]) for code in ids],
                            columns=["code", "label", *SCORE_COLUMNS, "note"])
    averages = _averages(per_code, truth, guess)
    evaluation = Evaluation(per_code=per_code, averages=averages, n_units=len(units))
    if cases is not None:
        _add_cases(evaluation, predicted, gold, units, ids, names, cases)
    return evaluation


def _scores(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 with zero division giving 0.0 (scikit-learn's zero_division=0)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _code_scores(code: str, label: str, truth: pd.Series, guess: pd.Series) -> dict[str, Any]:
    tp, fp, fn = _counts(truth, guess)
    precision, recall, f1 = _scores(tp, fp, fn)
    notes = []
    if not guess.any():
        notes.append("never predicted: precision 0 by convention")
    if not truth.any():
        notes.append("absent from gold: recall 0 by convention")
    return {"code": code, "label": label, "support": int(truth.sum()), "predicted": int(guess.sum()),
            "tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1,
            "kappa": cohen_kappa(truth.tolist(), guess.tolist()), "note": "; ".join(notes)}


def _counts(truth: pd.Series, guess: pd.Series) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of two 0/1 columns."""
    t, g = truth.astype(bool), guess.astype(bool)
    return int((t & g).sum()), int((g & ~t).sum()), int((t & ~g).sum())


def _averages(per_code: pd.DataFrame, truth: pd.DataFrame, guess: pd.DataFrame) -> pd.DataFrame:
    totals = {col: int(per_code[col].sum()) for col in ["support", "predicted", "tp", "fp", "fn"]}
    precision, recall, f1 = _scores(totals["tp"], totals["fp"], totals["fn"])
    pooled = cohen_kappa(truth.to_numpy().ravel().tolist(), guess.to_numpy().ravel().tolist())
    micro = {"average": "micro", **totals, "precision": precision, "recall": recall, "f1": f1, "kappa": pooled}
    macro = {"average": "macro", **totals, **per_code[["precision", "recall", "f1", "kappa"]].mean().to_dict()}
    return pd.DataFrame([micro, macro], columns=["average", *SCORE_COLUMNS])


def _add_cases(evaluation: Evaluation, predicted: pd.DataFrame, gold: pd.DataFrame, units: pd.DataFrame,
               ids: list[str], names: dict[str, str], cases: Any) -> None:
    """Fill the case-level fields of `evaluation`."""
    require_columns(units, ["segment_id", "cases"], "units")
    on_units = units["segment_id"]
    truth = case_code_matrix(gold[gold["segment_id"].isin(on_units)], units, ids, cases)
    guess = case_code_matrix(predicted[predicted["segment_id"].isin(on_units)], units, ids, cases)
    rows = []
    for code in ids:
        t, g = truth[code], guess[code]
        tp, fp, fn = _counts(t, g)
        t, g = t.astype(bool), g.astype(bool)
        rows.append({"code": code, "label": names.get(code, code), "gold_cases": int(t.sum()),
                     "predicted_cases": int(g.sum()), "tp": tp, "fp": fp, "fn": fn,
                     "percent_agreement": percent_agreement(t.tolist(), g.tolist()),
                     "kappa": cohen_kappa(t.tolist(), g.tolist()),
                     "gained": "; ".join(str(c) for c in t.index[g & ~t]),
                     "lost": "; ".join(str(c) for c in t.index[t & ~g])})
    cells = pd.DataFrame({"gold": truth.stack(), "predicted": guess.stack()}).rename_axis(["case_id", "code"])
    evaluation.case_gold, evaluation.case_predicted = truth, guess
    evaluation.case_per_code = pd.DataFrame(rows, columns=CASE_CODE_COLUMNS)
    evaluation.case_kappa = cohen_kappa(cells["gold"].tolist(), cells["predicted"].tolist())
    evaluation.case_agreement = percent_agreement(cells["gold"].astype(bool).tolist(),
                                                  cells["predicted"].astype(bool).tolist())
    evaluation.case_gold_positive = int(cells["gold"].astype(bool).sum())
    evaluation.case_cells = cells[cells["gold"] != cells["predicted"]].reset_index()[CASE_CELL_COLUMNS]
