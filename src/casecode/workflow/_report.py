"""The analyst's tables for any project: case-by-code matrix, cases per code, chart and Word report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._output import write_csv
from ..analysis import case_code_matrix, cases_per_code, code_frequencies
from ..errors import warn

REVIEWED = ("accepted", "manual", "reference")


@dataclass
class ProjectTables:
    """The tables `casecode report` draws, as DataFrames."""

    matrix: pd.DataFrame  # index case_id, one 0/1 column per code
    per_code: pd.DataFrame  # code, label, cases, case_ids, codings, segments
    codings: pd.DataFrame  # the codings counted
    uncased: pd.DataFrame  # documents with no case: document_id, units, codings (their codings count nowhere)


def uncased_documents(segments: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """Documents none of whose units belongs to a case, with their codable units and the codings on them, which
    the case-by-code matrix cannot count."""
    cased = pd.Series([bool(cases) for cases in segments.cases], index=segments.index, dtype=bool)
    no_case = segments[~cased]  # a Series, not a list: an empty list would select no columns of an empty store
    with_case = set(segments.loc[cased, "document_id"])
    no_case = no_case[~no_case.document_id.isin(with_case)]
    rows = [{"document_id": doc, "units": int(group.codable.sum()),
             "codings": int(codings.segment_id.isin(set(group.segment_id)).sum())}
            for doc, group in no_case.groupby("document_id", sort=True)]
    return pd.DataFrame(rows, columns=["document_id", "units", "codings"])


def uncased_notice(uncased: pd.DataFrame) -> str:
    """One sentence naming the documents without a case and what that does to the counts ("" when none)."""
    if uncased.empty:
        return ""
    shown = ", ".join(uncased.document_id.head(5)) + (" ..." if len(uncased) > 5 else "")
    return (f"{len(uncased)} document(s) have no case and are left out of the case-by-code matrix, with their "
            f"{int(uncased.codings.sum())} coding(s): {shown}; give them a case (casecode add --case, a manifest, or "
            f"front matter 'case:')")


def project_tables(project, statuses=("accepted", "manual", "reference"), chart_only: bool = False) -> ProjectTables:
    """Count the codings with `statuses` (default: those that stand after review) by case and by code."""
    codebook = project.codebook()
    codes = codebook.chart_ids if chart_only else codebook.ids
    codings = project.codings(status=list(statuses))
    segments = project.segments()
    matrix = case_code_matrix(codings, segments, codes, cases=project.cases())
    per_code = cases_per_code(matrix, codebook).merge(
        code_frequencies(codings, codes, codebook)[["code", "codings", "segments"]], on="code", how="left")
    return ProjectTables(matrix, per_code, codings, uncased_documents(segments, codings))


def project_report(project, out: str | Path, title: str | None = None,
                   statuses=("accepted", "manual", "reference"), agreement: pd.DataFrame | None = None,
                   n_quotes: int = 3) -> list[Path]:
    """Write the findings report (Word, Markdown, HTML) with its charts, and its tables as CSV: case-by-code
    matrix, cases per code, co-occurrence across cases and units, codes by case type and by speaker role, the
    saturation curve, and the memos. `agreement` is `casecode agree`'s per-code table, quoted in the method."""
    from ..analysis import (case_cooccurrence, codes_by_attribute, saturation_curve, segment_attributes,
                            unit_cooccurrence)
    from ..reports import (build_findings, findings_docx, findings_html, findings_markdown, plot_cases_per_code,
                           plot_cooccurrence, plot_saturation)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = project_tables(project, statuses)
    notices = report_notices(project, tables, statuses)
    for notice in notices:
        warn(notice)
    codebook = project.codebook()
    cases, documents, segments = project.cases(), project.documents(), project.segments()
    codes = list(tables.matrix.columns)
    written = []

    def csv(frame: pd.DataFrame, name: str, index: bool = False) -> None:
        write_csv(frame, out / name, index=index)
        written.append(out / name)

    csv(tables.matrix, "case_by_code.csv", index=True)
    csv(tables.per_code, "cases_per_code.csv")
    by_case = case_cooccurrence(tables.matrix)
    csv(by_case, "cooccurrence_cases.csv", index=True)
    csv(unit_cooccurrence(tables.codings, codes), "cooccurrence_units.csv", index=True)
    attributes = segment_attributes(segments, documents, cases)
    by_type = codes_by_attribute(tables.codings, attributes, codes, "case_type")
    csv(by_type, "codes_by_case_type.csv", index=True)
    csv(codes_by_attribute(tables.codings, attributes, codes, "role"), "codes_by_role.csv", index=True)
    curve = saturation_curve(tables.codings, segments, documents["document_id"], codes)
    csv(curve, "saturation.csv")
    memos = project.memos()
    csv(memos, "memos.csv")

    chart = tables.per_code.rename(columns={"cases": "reference"})[["code", "label", "reference"]]
    charts = {"cases": plot_cases_per_code(chart, out / "cases_per_code", title="Cases per code", reported=False,
                                           n_cases=max(len(cases), 1), unit_label="Number of cases",
                                           names={"reference": "coded cases"})[0],
              "cooccurrence": plot_cooccurrence(by_case, out / "cooccurrence", title="Codes taken by the same cases",
                                                labels=codebook.labels(), unit="cases")[0]}
    if len(curve):
        charts["saturation"] = plot_saturation(curve, out / "saturation")[0]
    written += [p.with_suffix(ext) for p in charts.values() for ext in (".png", ".svg")]

    findings = build_findings(tables.codings, segments, documents, cases, codebook, tables.matrix,
                              title or project.name, memos=memos, decisions=project.decisions(),
                              agreement=agreement, n_quotes=n_quotes)
    findings.cooccurrence, findings.by_type, findings.charts = by_case, by_type, charts
    findings.saturation_note = saturation_note(curve)
    findings.method = [f"Read this first: {notice}" for notice in notices] + findings.method  # the first page
    written += [findings_docx(findings, out / "report.docx"), findings_markdown(findings, out / "report.md"),
                findings_html(findings, out / "report.html")]
    return written


def saturation_note(curve: pd.DataFrame) -> str:
    """One sentence on whether more documents would still change the picture."""
    if curve.empty:
        return "No document is coded yet, so there is no saturation curve."
    last = curve.tail(3)
    new_pairs = float(last["random_new_case_codes"].mean())
    new_codes = int(curve["new_codes"].tail(3).sum())
    verdict = ("the picture was still changing" if new_codes or new_pairs >= 1
               else "the last documents added little that was new")
    return (f"Over the last {len(last)} documents added, {new_codes} new code{'s' * (new_codes != 1)} appeared and "
            f"each document added {new_pairs:.1f} new case-code pairs on average over random orders: {verdict}. "
            f"A new case always brings new pairs; codes that stop appearing are the sign of saturation.")


def read_agreement(path: str | Path) -> pd.DataFrame:
    """Read the per-code agreement table that `casecode agree --out` writes (needs `code` and `kappa`)."""
    from ..errors import AnalysisError

    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise AnalysisError(f"{path}: cannot read it as CSV ({exc}); pass the agreement.csv that "
                            f"'casecode agree --out DIR' wrote") from None
    missing = [c for c in ("code", "kappa") if c not in table.columns]
    if missing:
        raise AnalysisError(f"{path}: column {missing[0]!r} is missing; pass the agreement.csv that "
                            f"'casecode agree --out DIR' wrote")
    for column in ["kappa"] + [c for c in table.columns if str(c).startswith("n_present_")]:
        table[column] = _numbers(table[column], path, column, (-1.0, 1.0) if column == "kappa" else (0.0, None))
    return table


def _numbers(cells: pd.Series, path: Path, column: str, bounds: tuple[float | None, float | None]) -> pd.Series:
    """A column of the agreement table as numbers (an empty cell stays empty: kappa is undefined for a code no coder
    used), or an error naming the first bad cell: a hand-edited table with 'n/a' would end in a TypeError."""
    from ..errors import AnalysisError

    numbers = pd.to_numeric(cells, errors="coerce")
    low, high = bounds
    bad = (numbers.isna() & cells.notna() & (cells.astype(str).str.strip() != "")) | (numbers < low)
    if high is not None:
        bad |= numbers > high
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        what = "a kappa (from -1 to 1)" if column == "kappa" else "a count (0 or more)"
        raise AnalysisError(f"{path}: row {row + 2}, column {column!r}: '{cells.iloc[row]}' is not {what}; leave the "
                            f"cell empty where it is undefined, or pass the agreement.csv that 'casecode agree --out "
                            f"DIR' wrote")
    return numbers


def report_notices(project, tables: ProjectTables, statuses) -> list[str]:
    """What a reader must know before trusting the counts: nothing reviewed, suggestions counted, no case."""
    notices = []
    counted = tables.codings
    if counted.empty:
        pending = len(project.codings(status="suggested"))
        notices.append(f"No codings with status {', '.join(statuses)} were found, so every count below is 0"
                       + (f"; {pending} suggestion(s) await review (casecode review)" if pending else ""))
    elif "suggested" in statuses:
        share = float((counted.status == "suggested").mean())
        notices.append(f"{share:.0%} of the codings counted are unreviewed suggestions, so the counts are "
                       f"provisional")
    if (notice := uncased_notice(tables.uncased)):
        notices.append(notice)
    return notices
