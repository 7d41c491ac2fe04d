"""The 2015 Solace study reproduced from the report text: corpus, reference and automatic coding, store, outputs.

`reproduce(out)` is what `casecode reproduce` runs. The automatic coding is honest about the gold data: the rule
coder never reads the reference coding, and the learned coder is cross-fitted by council, so the suggestions for
a council come from a model trained on the *other* councils' reference coding only.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis import case_code_matrix, evaluate
from ..codebook import Codebook, read_codebook
from ..coders import CODING_COLUMNS
from ..corpus import first_case
from ._report2015 import Report2015, parse_report
from .._output import publish
from ..errors import CorpusError
from ._paths import StudyPaths, study_paths
from .counts2015 import council_sets, count_statements, councils_per_action, reconciliation_markdown, recovered_ranges

#: Segment kinds the reference coding covers (when attributed to at least one council).
SCOPE_KINDS = ("body", "quote", "comment", "appendix2")
BODY_KINDS = ("body", "quote")
#: The chart's title and the legend names of its series (the reported range drawn behind them).
CHART_TITLE = "Key leadership actions identified in case studies"
CHART_SERIES = {"counted": "Councils meeting the report's counting sentence", "reference": "Councils with any evidence",
                "reported": "Reported in the 2016 report"}


@dataclass
class Study2015:
    """The study record, parsed and checked: the report, codebook, heading → code map, scope and reference."""

    paths: StudyPaths
    report: Report2015
    codebook: Codebook
    heading_codes: dict[str, str]
    scope: pd.DataFrame
    reference: pd.DataFrame

    @property
    def cases(self) -> pd.DataFrame:
        return self.report.cases

    @property
    def chart_codes(self) -> list[str]:
        return self.codebook.chart_ids


def _norm_label(text: str) -> str:
    return re.sub(r"[^a-z]+", " ", text.lower().replace("’", "'")).strip()


def map_headings(headings: list[str], codebook: Codebook) -> dict[str, str]:
    """Match each action heading of the report to the chart code with the same label."""
    by_label = {_norm_label(c.label): c.id for c in codebook if c.in_chart}
    out = {}
    for heading in headings:
        code = by_label.get(_norm_label(heading))
        if code is None:
            raise CorpusError(
                f"report heading {heading!r} matches no code label in codebook {codebook.name!r}; "
                f"give one code that label"
            )
        out[heading] = code
    return out


#: Values of the reference coding's `construct` column: the passage meets the report's counting sentence for the
#: action (`counted`), or is evidence of the action outside the sub-scope that sentence names (`any`).
CONSTRUCTS = ("counted", "any")
REFERENCE_COLUMNS = [*CODING_COLUMNS, "cases", "construct"]


def read_reference_coding(path: str | Path, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Read the reference coding CSV (`segment_id, code, rationale`, optionally `councils, construct`) as codings
    spanning whole segments, each with the councils it applies to (`cases`) and the construct it meets.

    `councils` (case ids separated by `;`) limits a code to some of the councils its segment names; empty means
    all of them. `construct` is `counted` or `any` for a code whose codebook entry has `counted_as`, and empty
    otherwise. A row with an empty code records a decision that the segment shows none of the codes; it yields
    no coding.
    """
    path = Path(path)
    by_id = segments.set_index("segment_id")
    rows = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"segment_id", "code", "rationale"} - set(reader.fieldnames or [])
            if missing:
                raise CorpusError(f"{path}: missing column {sorted(missing)[0]!r}; the header is "
                                  f"segment_id,code,councils,construct,rationale")
            for rownum, row in enumerate(reader, start=2):
                seg_id, code = (row["segment_id"] or "").strip(), (row["code"] or "").strip()
                where = f"{path}: row {rownum}"
                if seg_id not in by_id.index:
                    raise CorpusError(f"{where}, column 'segment_id': unknown segment {seg_id!r}; "
                                      f"the report parser's ids look like 'a2-wigan-01'")
                if code and code not in codebook:
                    raise CorpusError(f"{where}, column 'code': {code!r} is not in the codebook; "
                                      f"use one of {', '.join(codebook.ids)} or leave it empty")
                seg = by_id.loc[seg_id]
                named = tuple(seg.cases)
                cases = _row_councils(row.get("councils") or "", named, seg_id, code, where)
                construct = _row_construct(row.get("construct") or "", code, codebook, where)
                if not code:
                    continue
                rows.append({
                    "segment_id": seg_id, "document_id": seg.document_id, "code": code,
                    "start": int(seg.start), "end": int(seg.end), "evidence": seg.text,
                    "rule": "reference: " + (row["rationale"] or "").strip(), "pattern": "", "score": 1.0,
                    "coder": "reference",
                    "cases": cases, "construct": construct,
                })
    except FileNotFoundError:
        raise CorpusError(f"{path}: reference coding not found") from None
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS)


def _row_councils(cell: str, named: tuple[str, ...], seg_id: str, code: str, where: str) -> tuple[str, ...]:
    """The councils a reference row's code applies to: those listed (each one its segment names), else all."""
    listed = [c.strip() for c in cell.split(";") if c.strip()]
    if not listed:
        return named
    if not code:
        raise CorpusError(f"{where}, column 'councils': a row with no code applies to no council; "
                          f"leave 'councils' empty")
    for case in listed:
        if case not in named:
            raise CorpusError(f"{where}, column 'councils': segment {seg_id!r} does not name {case!r} (it names "
                              f"{', '.join(named) or 'no council'}); list only councils the passage names, "
                              f"or leave the column empty for all of them")
    return tuple(c for c in named if c in listed)


def _row_construct(cell: str, code: str, codebook: Codebook, where: str) -> str:
    cell = cell.strip()
    counted = bool(code) and codebook[code].counted_as is not None
    if counted and cell not in CONSTRUCTS:
        raise CorpusError(f"{where}, column 'construct': {cell or 'empty'!r} for {code!r}; write 'counted' if the "
                          f"passage meets the codebook's counted_as for {code!r}, else 'any'")
    if not counted and cell:
        raise CorpusError(f"{where}, column 'construct': {cell!r} but "
                          f"{'the row has no code' if not code else repr(code) + ' has no counted_as'}; "
                          f"leave 'construct' empty")
    return cell


def load_study(paths: StudyPaths | None = None) -> Study2015:
    """Parse the report and read the codebook and the reference coding."""
    paths = paths or study_paths()
    report = parse_report(paths.report, paths.councils)
    codebook = read_codebook(paths.codebook)
    heading_codes = map_headings(report.action_headings, codebook)
    segments = report.segments
    scope = segments[segments.kind.isin(SCOPE_KINDS) & (segments.cases.map(len) > 0)].reset_index(drop=True)
    reference = read_reference_coding(paths.reference, scope, codebook)
    return Study2015(paths, report, codebook, heading_codes, scope, reference)


# ---------------------------------------------------------------- automatic coding

def label_matrix(segments: pd.DataFrame, codings: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """0/1 matrix, one row per segment (in `segments` order), one column per code."""
    present = codings[codings.code.isin(codes)][["segment_id", "code"]].drop_duplicates()
    matrix = pd.crosstab(present.segment_id, present.code)
    return matrix.reindex(index=segments.segment_id, columns=codes, fill_value=0).clip(upper=1).astype(int)


def cross_fit(segments: pd.DataFrame, labels: pd.DataFrame, fit_and_code) -> pd.DataFrame:
    """Leave-one-council-out: code each council's segments with a coder fitted on the other councils only.

    `labels` is a segment × code 0/1 matrix for `segments`. A segment naming several councils is held out of
    training for each of them and coded in the fold of the first council it names. `fit_and_code(texts, y,
    test_segments)` returns codings.
    """
    groups = segments.cases.map(first_case)
    out = []
    for case in dict.fromkeys(groups):
        held_out = segments.cases.map(lambda c, case=case: case in c)
        train = segments[~held_out.to_numpy()]
        test = segments[(groups == case).to_numpy()]
        y = labels.loc[train.segment_id]
        out.append(fit_and_code(list(train.text), y, test))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=CODING_COLUMNS)


def automatic_coding(study: Study2015, nlp_name: str | None = None):
    """Code the study's scope with the rule coder and the cross-fitted combined coder.

    Returns (rule codings, combined codings, the CombinedCoder whose model is fitted on all reference codings).
    """
    from ..coders import CombinedCoder, LearnedCoder, RuleCoder, load_nlp

    nlp = load_nlp(nlp_name)
    rules = RuleCoder(study.codebook, nlp, cases=study.cases)
    rule_codings = rules.code(study.scope)
    codes = study.codebook.ids
    labels = label_matrix(study.scope, study.reference, codes)

    def fit_and_code(texts, y, test):
        # The combination reads the fold models' probabilities only at its 0.9 gate, where calibration changed no
        # decision here (measured: identical codings) while costing most of the run time; the saved model is
        # calibrated.
        model = LearnedCoder(calibration=None).fit(texts, y)
        return CombinedCoder(rules, model).code(test, rule_codings=rule_codings)

    combined = cross_fit(study.scope, labels, fit_and_code)
    final = CombinedCoder(rules, LearnedCoder().fit(list(study.scope.text), labels))
    return rule_codings, combined, final


# ---------------------------------------------------------------- the whole run

@dataclass
class Reproduction:
    """What `reproduce` wrote, with the headline figures."""

    out: Path
    project: Path
    files: list[Path]
    table: pd.DataFrame
    evaluation: dict[str, object]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [f"Project store: {self.project / 'project.sqlite'}"]
        lines += [f"Wrote {path}" for path in self.files]
        for name, ev in self.evaluation.items():
            lines.append(f"{name}: micro-F1 {ev.micro['f1']:.3f}, "
                         f"{ev.case_level() or f'case-level kappa {ev.case_kappa:.3f}'}")
        lines.append(f"Done in {self.seconds:.1f} s.")
        return lines


def appendix_items(study: Study2015) -> pd.DataFrame:
    """Appendix Two's items with the reference codes each was given (`segment_id, case_id, text, codes`)."""
    items = study.scope[study.scope.kind == "appendix2"]
    codes = study.reference.groupby("segment_id").code.agg(tuple)
    return pd.DataFrame({
        "segment_id": items.segment_id,
        "case_id": items.cases.map(first_case),
        "text": items.text.str.replace(r"\s+", " ", regex=True),
        "codes": items.segment_id.map(lambda s: codes.get(s, ())),
    }).reset_index(drop=True)


def _write_store(folder: Path, study: Study2015, rule_codings, combined, coder) -> Path:
    from ..store import init_project

    project = init_project(folder, study.codebook, name="Solace innovation study 2015 (reproduction)")
    with project:
        project.add_cases(study.cases)
        project.add_document(study.report.document)
        project.add_codings(study.reference, status="reference", run="reference")
        project.add_codings(rule_codings, status="suggested", run="rules")
        project.add_codings(combined, status="suggested", run="combined-crossfit")
        project.save_model("combined", coder.to_bytes(), kind="CombinedCoder",
                           meta={"trained_on": "2015 reference coding", "segments": len(study.scope)})
        project.set_baseline("solace-2015", baseline_payload(study))
    return folder


def baseline_payload(study: Study2015) -> dict:
    """The 2015 results a replication compares against: reported ranges and the reference matrix."""
    matrix = case_code_matrix(study.reference, study.scope, study.chart_codes, cases=study.cases)
    figures = recovered_ranges(count_statements(study)).reset_index()
    return {
        "study": "Solace Innovation Research Project 2015",
        "n_cases": len(study.cases),
        "codes": study.chart_codes,
        "matrix": {case: {code: int(v) for code, v in row.items()} for case, row in matrix.iterrows()},
        "reported": {r.action: {"phrase": r.reported_phrase, "min": int(r.reported_min), "max": int(r.reported_max)}
                     for r in figures.itertuples()},
    }


def reproduce(out: str | Path = "outputs/2015", nlp_name: str | None = None,
              paths: StudyPaths | None = None) -> Reproduction:
    """Rebuild the study from the report text into `out`: store, tables, chart, Appendix Two, reconciliation."""
    started = time.perf_counter()
    study = load_study(paths)
    rule_codings, combined, coder = automatic_coding(study, nlp_name)

    codes = study.chart_codes
    ref_matrix = case_code_matrix(study.reference, study.scope, codes, cases=study.cases)
    auto_matrix = case_code_matrix(combined, study.scope, codes, cases=study.cases)
    statements = count_statements(study)
    ranges = recovered_ranges(statements)
    sets = council_sets(study, combined)
    table = councils_per_action(study, sets, ranges)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Build in a fresh sibling folder and move into place at the end, so a failure never leaves half an output.
    staging = Path(tempfile.mkdtemp(prefix=".reproduce-", dir=out))
    try:
        files = _write_outputs(staging, study, table, ref_matrix, auto_matrix, combined, statements, ranges, sets)
        files += [staging / "project"]
        _write_store(staging / "project", study, rule_codings, combined, coder)
        evaluation = _evaluations(study, rule_codings, combined)
        for name, ev in evaluation.items():
            ev.write(staging / "evaluation" / name)
        files.append(staging / "evaluation")
        final = publish(files, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Reproduction(out, out / "project", final, table, evaluation, time.perf_counter() - started)


def _write_outputs(folder: Path, study: Study2015, table, ref_matrix, auto_matrix, combined, statements, ranges,
                   sets) -> list[Path]:
    from ..reports import plot_cases_per_code
    from .appendix2015 import appendix_two_docx, appendix_two_markdown
    from .._output import write_csv, write_text

    files = []
    for name, matrix in (("reference", ref_matrix), ("automatic", auto_matrix)):
        path = folder / f"actions_by_council_{name}.csv"
        write_csv(matrix, path, index=True)
        files.append(path)
    path = folder / "councils_per_action.csv"
    write_csv(table, path)
    files.append(path)
    path = folder / "count_statements.csv"
    write_csv(statements, path)
    files.append(path)
    chart = table.rename(columns={"action": "code"}).assign(reported_phrase=[
        phrase + (f" + {others.count(';') + 1} more" if others else "")
        for phrase, others in zip(table.reported_phrase, table.other_statements.fillna(""))])
    files += list(plot_cases_per_code(chart, folder / "councils_per_action", n_cases=len(study.cases),
                                      series=("counted", "reference"), names=CHART_SERIES, title=CHART_TITLE,
                                      unit_label="Number of councils"))
    items = appendix_items(study)
    a2 = study.reference[study.reference.segment_id.isin(set(items.segment_id))]
    a2_matrix = case_code_matrix(a2, study.scope, study.chart_codes, cases=study.cases)
    files.append(appendix_two_docx(items, a2_matrix, study.codebook, study.report.groups,
                                   folder / "appendix_two.docx", cases=study.cases, all_evidence=ref_matrix))
    files.append(appendix_two_markdown(items, a2_matrix, study.codebook, study.report.groups,
                                       folder / "appendix_two.md", cases=study.cases, all_evidence=ref_matrix))
    path = folder / "reconciliation.md"
    write_text(path, reconciliation_markdown(study, statements, ranges, sets, combined))
    files.append(path)
    return files


def _evaluations(study: Study2015, rule_codings, combined) -> dict:
    """Automatic coders against the reference coding: on Appendix Two items, and on the whole scope."""
    out = {}
    a2 = study.scope[study.scope.kind == "appendix2"]
    codes = study.chart_codes
    for coder, codings in (("rules", rule_codings), ("combined", combined)):
        out[f"{coder}-appendix2"] = evaluate(codings, study.reference, a2, codes, cases=study.cases,
                                             labels=study.codebook)
        out[f"{coder}-all"] = evaluate(codings, study.reference, study.scope, codes, cases=study.cases,
                                       labels=study.codebook)
    return out
