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
from ..coders._codings import first_case
from ..corpus import Report2015, parse_report
from ..errors import CorpusError
from ._paths import StudyPaths, study_paths

#: Segment kinds the reference coding covers (when attributed to at least one council).
SCOPE_KINDS = ("body", "quote", "comment", "appendix2")
BODY_KINDS = ("body", "quote")


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


def read_reference_coding(path: str | Path, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Read the reference coding CSV (segment_id, code, rationale) as codings spanning whole segments.

    A row with an empty code records a decision that the segment shows none of the codes; it yields no coding.
    """
    path = Path(path)
    by_id = segments.set_index("segment_id")
    rows = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"segment_id", "code", "rationale"} - set(reader.fieldnames or [])
            if missing:
                raise CorpusError(f"{path}: missing column {sorted(missing)[0]!r}; the header is segment_id,code,rationale")
            for rownum, row in enumerate(reader, start=2):
                seg_id, code = row["segment_id"].strip(), (row["code"] or "").strip()
                if seg_id not in by_id.index:
                    raise CorpusError(f"{path}: row {rownum}, column 'segment_id': unknown segment {seg_id!r}; "
                                      f"the report parser's ids look like 'a2-wigan-01'")
                if code and code not in codebook:
                    raise CorpusError(f"{path}: row {rownum}, column 'code': {code!r} is not in the codebook; "
                                      f"use one of {', '.join(codebook.ids)} or leave it empty")
                if not code:
                    continue
                seg = by_id.loc[seg_id]
                rows.append({
                    "segment_id": seg_id, "document_id": seg.document_id, "code": code,
                    "start": int(seg.start), "end": int(seg.end), "evidence": seg.text,
                    "rule": "reference: " + (row["rationale"] or "").strip(), "score": 1.0, "coder": "reference",
                })
    except FileNotFoundError:
        raise CorpusError(f"{path}: reference coding not found") from None
    return pd.DataFrame(rows, columns=CODING_COLUMNS)


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

    Returns (rule codings, combined codings, the learned coder fitted on all reference codings).
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
    final_model = LearnedCoder().fit(list(study.scope.text), labels)
    return rule_codings, combined, final_model


# ---------------------------------------------------------------- the chart, the matrix and the reconciliation

def councils_per_action(study: Study2015, reference: pd.DataFrame, automatic: pd.DataFrame) -> pd.DataFrame:
    """The chart's table: per action the reported phrase and range, and the reference and automatic counts."""
    figures = study.report.quantifiers.assign(action=lambda d: d.heading.map(study.heading_codes)).set_index("action")
    names = study.cases.set_index("case_id").name
    rows = []
    for code in study.chart_codes:
        ref_cases = [c for c in reference.index if reference.at[c, code]]
        auto_cases = [c for c in automatic.index if automatic.at[c, code]]
        fig = figures.loc[code] if code in figures.index else None
        rows.append({
            "action": code,
            "label": study.codebook[code].label,
            "reported_phrase": fig.reported_phrase if fig is not None else "",
            "reported_min": int(fig.reported_min) if fig is not None else pd.NA,
            "reported_max": int(fig.reported_max) if fig is not None else pd.NA,
            "reference": len(ref_cases),
            "automatic": len(auto_cases),
            "councils_reference": "; ".join(names[c] for c in ref_cases),
            "councils_automatic": "; ".join(names[c] for c in auto_cases),
        })
    return pd.DataFrame(rows)


def _evidence_lines(study: Study2015, codings: pd.DataFrame, case_id: str, code: str, limit: int = 3) -> list[str]:
    texts = dict(zip(study.scope.segment_id, study.scope.text))
    cases = dict(zip(study.scope.segment_id, study.scope.cases))
    hits = codings[(codings.code == code) & codings.segment_id.map(lambda s: case_id in cases.get(s, ()))]
    out = []
    for row in hits.head(limit).itertuples():
        text = _one_line(texts[row.segment_id])
        why = row.rule if row.coder != "reference" else row.rule.removeprefix("reference: ")
        out.append(f"`{row.segment_id}` “{_clip(text)}” — {why}")
    return out


def _clip(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _placed_under(study: Study2015, case_id: str, code: str) -> list[str]:
    """Body segments the author placed under this action's heading that name this council."""
    heading = next(h for h, c in study.heading_codes.items() if c == code)
    segs = study.scope[(study.scope.heading == heading) & study.scope.kind.isin(BODY_KINDS)]
    segs = segs[segs.cases.map(lambda c: case_id in c)]
    return [f"`{s.segment_id}` “{_clip(_one_line(s.text))}”" for s in segs.itertuples()]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def reconciliation_markdown(study: Study2015, table: pd.DataFrame, reference: pd.DataFrame,
                            automatic: pd.DataFrame, ref_matrix: pd.DataFrame, auto_matrix: pd.DataFrame) -> str:
    """Explain every count outside the reported range, with the councils and the evidence involved."""
    names = study.cases.set_index("case_id").name
    lines = [
        "# Reconciliation with the 2016 report's chart",
        "",
        "The report's chart was an image and is lost; its figures survive as phrases (\"In all the councils\", "
        "\"Six councils\", \"Several councils\"), which casecode turned into ranges. This file explains every action "
        "whose reproduced count falls outside the reported range. The reference coding was not adjusted to meet the "
        "published figures: each decision stands on the text (see `corpus/2015-solace/REFERENCE_CODING.md`).",
        "",
        "The report's case studies were richer than its text: the author counted from nine case-study documents and "
        "interviews that were never published, while we code only what the final report says. A council the "
        "report counts but whose action the report never describes cannot be recovered from the text.",
        "",
    ]
    outside = 0
    for row in table.itertuples():
        for column, codings, matrix, who in (
            ("reference", reference, ref_matrix, "reference coding"),
            ("automatic", automatic, auto_matrix, "automatic coding"),
        ):
            count = getattr(row, column)
            low, high = row.reported_min, row.reported_max
            if pd.isna(low) or low <= count <= high:
                continue
            outside += 1
            span = f"{low}" if low == high else f"{low}–{high}"
            lines += [f"## {row.label} — {who}: {count}, reported {span} (“{row.reported_phrase}”)", ""]
            coded = [c for c in matrix.index if matrix.at[c, row.action]]
            if count > high:
                lines.append(f"{count - high} more council(s) than the report states. The coded councils and the "
                             "first evidence for each:")
                lines.append("")
                for case_id in coded:
                    lines.append(f"- **{names[case_id]}**")
                    lines += [f"  - {e}" for e in _evidence_lines(study, codings, case_id, row.action)]
                lines += ["", "The report's count is lower than the text supports: the author may have counted "
                          "only councils whose managers named this action as among the most important (Appendix "
                          "Two), while the text also describes it elsewhere. Councils coded only from body text, "
                          "not from their own Appendix Two list:", ""]
                a2 = codings[codings.segment_id.str.startswith("a2-") & (codings.code == row.action)]
                seg_cases = dict(zip(study.scope.segment_id, study.scope.cases))
                a2_cases = {c for s in a2.segment_id for c in seg_cases[s]}
                only_body = [names[c] for c in coded if c not in a2_cases]
                lines.append("- " + ("; ".join(only_body) if only_body else "none: every coded council lists it"))
            else:
                missing = [c for c in matrix.index if not matrix.at[c, row.action]]
                lines.append(f"{low - count} fewer council(s) than the report states. Councils not coded, with the "
                             "passages the author placed under this heading that name them:")
                lines.append("")
                for case_id in missing:
                    placed = _placed_under(study, case_id, row.action)
                    lines.append(f"- **{names[case_id]}**: " + ("no passage under this heading names it; the "
                                 "report's count must rest on the unpublished case study" if not placed else ""))
                    lines += [f"  - {p}" for p in placed]
            lines.append("")
    if not outside:
        lines.append("Every reproduced count lies inside the range the report states.")
    return "\n".join(lines) + "\n"


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
            lines.append(f"{name}: micro-F1 {ev.micro['f1']:.3f}, case-level kappa {ev.case_kappa:.3f}")
        lines.append(f"Done in {self.seconds:.1f} s.")
        return lines


def appendix_items(study: Study2015) -> pd.DataFrame:
    """Appendix Two's items with the reference codes each was given (`case_id, text, codes`)."""
    items = study.scope[study.scope.kind == "appendix2"]
    codes = study.reference.groupby("segment_id").code.agg(tuple)
    return pd.DataFrame({
        "case_id": items.cases.map(first_case),
        "text": items.text.str.replace(r"\s+", " ", regex=True),
        "codes": items.segment_id.map(lambda s: codes.get(s, ())),
    }).reset_index(drop=True)


def _write_store(folder: Path, study: Study2015, rule_codings, combined, model) -> Path:
    from ..store import init_project

    project = init_project(folder, study.codebook, name="Solace innovation study 2015 (reproduction)")
    with project:
        project.add_cases(study.cases)
        project.add_document(study.report.document)
        project.add_codings(study.reference, status="reference", run="reference")
        project.add_codings(rule_codings, status="suggested", run="rules")
        project.add_codings(combined, status="suggested", run="combined-crossfit")
        project.save_model("combined", model.to_bytes(), kind="LearnedCoder",
                           meta={"trained_on": "2015 reference coding", "segments": len(study.scope)})
        project.set_baseline("solace-2015", baseline_payload(study))
    return folder


def baseline_payload(study: Study2015) -> dict:
    """The 2015 results a replication compares against: reported ranges and the reference matrix."""
    matrix = case_code_matrix(study.reference, study.scope, study.chart_codes, cases=study.cases)
    figures = study.report.quantifiers.assign(action=lambda d: d.heading.map(study.heading_codes))
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
    rule_codings, combined, model = automatic_coding(study, nlp_name)

    codes = study.chart_codes
    ref_matrix = case_code_matrix(study.reference, study.scope, codes, cases=study.cases)
    auto_matrix = case_code_matrix(combined, study.scope, codes, cases=study.cases)
    table = councils_per_action(study, ref_matrix, auto_matrix)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Build in a fresh sibling folder and move into place at the end, so a failure never leaves half an output.
    staging = Path(tempfile.mkdtemp(prefix=".reproduce-", dir=out))
    try:
        files = _write_outputs(staging, study, table, ref_matrix, auto_matrix, combined)
        files += [staging / "project"]
        _write_store(staging / "project", study, rule_codings, combined, model)
        evaluation = _evaluations(study, rule_codings, combined)
        for name, ev in evaluation.items():
            ev.write(staging / "evaluation" / name)
        files.append(staging / "evaluation")
        final = []
        for path in files:
            target = out / path.name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            shutil.move(str(path), target)
            final.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Reproduction(out, out / "project", final, table, evaluation, time.perf_counter() - started)


def _write_outputs(folder: Path, study: Study2015, table, ref_matrix, auto_matrix, combined) -> list[Path]:
    from ..reports import appendix_two_docx, appendix_two_markdown, plot_cases_per_code

    files = []
    for name, matrix in (("reference", ref_matrix), ("automatic", auto_matrix)):
        path = folder / f"actions_by_council_{name}.csv"
        matrix.to_csv(path)
        files.append(path)
    path = folder / "councils_per_action.csv"
    table.to_csv(path, index=False)
    files.append(path)
    chart = table.rename(columns={"action": "code"})
    files += list(plot_cases_per_code(chart, folder / "councils_per_action", n_cases=len(study.cases)))
    items = appendix_items(study)
    files.append(appendix_two_docx(items, ref_matrix, study.codebook, study.report.groups,
                                   folder / "appendix_two.docx", cases=study.cases))
    files.append(appendix_two_markdown(items, ref_matrix, study.codebook, study.report.groups,
                                       folder / "appendix_two.md", cases=study.cases))
    path = folder / "reconciliation.md"
    path.write_text(reconciliation_markdown(study, table, study.reference, combined, ref_matrix, auto_matrix),
                    encoding="utf-8")
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
