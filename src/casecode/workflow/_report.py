"""The analyst's tables for any project: case-by-code matrix, cases per code, chart and Word report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis import case_code_matrix, cases_per_code, code_frequencies


@dataclass
class ProjectTables:
    """The tables `casecode report` draws, as DataFrames."""

    matrix: pd.DataFrame  # index case_id, one 0/1 column per code
    per_code: pd.DataFrame  # code, label, cases, case_ids, codings, segments
    codings: pd.DataFrame  # the codings counted


def project_tables(project, statuses=("accepted", "manual", "reference"), chart_only: bool = False) -> ProjectTables:
    """Count the codings with `statuses` (default: those that stand after review) by case and by code."""
    codebook = project.codebook()
    codes = codebook.chart_ids if chart_only else codebook.ids
    codings = project.codings(status=list(statuses))
    segments = project.segments()
    matrix = case_code_matrix(codings, segments, codes, cases=project.cases())
    per_code = cases_per_code(matrix, codebook).merge(
        code_frequencies(codings, codes, codebook)[["code", "codings", "segments"]], on="code", how="left")
    return ProjectTables(matrix, per_code, codings)


def project_report(project, out: str | Path, title: str | None = None,
                   statuses=("accepted", "manual", "reference")) -> list[Path]:
    """Write the case-by-code matrix (CSV), cases per code (CSV), the chart, the memos (CSV) and a Word report
    (with the memos) into `out`."""
    from ..reports import plot_cases_per_code, project_report_docx

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = project_tables(project, statuses)
    codebook = project.codebook()
    cases = project.cases()
    matrix_path = out / "case_by_code.csv"
    tables.matrix.to_csv(matrix_path)
    per_code_path = out / "cases_per_code.csv"
    tables.per_code.to_csv(per_code_path, index=False)
    chart = tables.per_code.rename(columns={"cases": "reference"})[["code", "label", "reference"]]
    png, svg = plot_cases_per_code(chart, out / "cases_per_code", title="Cases per code", reported=False,
                                   n_cases=max(len(cases), 1), unit_label="Number of cases",
                                   names={"reference": "coded cases"})
    method = (f"{len(project.documents())} documents, {len(cases)} cases and {len(tables.codings)} codings with "
              f"status {', '.join(statuses)} were counted. A case takes a code when any unit attributed to it "
              f"carries that code.")
    memos = project.memos()
    memos_path = out / "memos.csv"
    memos.to_csv(memos_path, index=False)
    memo_lines = [f"[{m.target_type}{':' + m.target_id if m.target_id else ''}] {m.author or 'anonymous'}, "
                  f"{m.created_at}: {m.text}" for m in memos.itertuples()]
    docx = project_report_docx(out / "report.docx", title or project.name, tables.matrix,
                               tables.per_code.drop(columns=["case_ids"]), png, codebook, method_text=method,
                               cases=cases, extra_sections=[("Memos", [memo_lines or ["No memos."]])])
    return [matrix_path, per_code_path, png, svg, memos_path, docx]
