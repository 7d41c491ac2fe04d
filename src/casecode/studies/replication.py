"""Replicating the 2015 study with new councils, and comparing the new results with the 2015 baseline."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .._output import write_csv
from ..analysis import compare_studies
from ..corpus import speaker_label_end
from ..errors import StoreError, warn

BASELINE = "solace-2015"
#: The named coder (casecode.studies.coders) a replication codes with; its model is also saved in the project.
TRANSCRIPT_CODER = "solace2015-transcripts"
CAUTION = (
    "Fisher's exact test asks whether the share of councils taking an action differs between the studies by more "
    "than chance would explain. With nine councils in 2015 and a handful now, only very large differences can "
    "reach significance, eleven actions are tested without correction for multiple tests, and the councils were "
    "chosen for their reputation, not sampled: read a p-value as a pointer for discussion, not as a finding."
)


def check_study(study: str) -> None:
    """Refuse a study a replication cannot start from (StoreError naming the ones it can: catalogue.REPLICABLE)."""
    from .catalogue import REPLICABLE

    if str(study) not in REPLICABLE:
        raise StoreError(f"unknown study {study!r}; choose a study casecode can start a replication from: "
                         f"{', '.join(repr(name) for name in REPLICABLE)}")


def start_replication(path: str | Path, study: str = "2015", name: str | None = None,
                      database_url: str | None = None):
    """Create a project with the 2015 codebook, the 2015 results as baseline, and the transcript coder's model
    (fitted on the 2015 reference and the shipped training transcripts) with its tuned combination.

    Returns the project open, ready for `add_files` and `code_project`; close it (or use `with`) when done.
    """
    from ..store import init_project
    from .solace2015 import baseline_payload, load_study
    from .transcripts import transcript_coder

    check_study(study)
    record = load_study()
    # Fit before creating anything, so a failure here leaves no half-made project folder behind.
    coder = transcript_coder()
    project = init_project(path, record.codebook, name=name or "Replication of the 2015 Solace study",
                           database_url=database_url, coder=TRANSCRIPT_CODER)
    try:
        with project.transaction():
            project.set_baseline(BASELINE, baseline_payload(record))
            project.save_model("combined", coder.to_bytes(), kind="CombinedCoder",
                               meta={"trained_on": "2015 reference coding and the training transcripts",
                                     "coder": TRANSCRIPT_CODER,
                                     "combination": coder.settings()})
    except BaseException:
        project.close()
        raise
    return project


def baseline_matrix(payload: dict) -> pd.DataFrame:
    """The 2015 case-by-code matrix stored as a baseline."""
    matrix = pd.DataFrame.from_dict(payload["matrix"], orient="index")[payload["codes"]].astype(int)
    matrix.index.name = "case_id"
    return matrix


def _groups(cases: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Councils grouped by type, as the 2016 report groups them (county, metropolitan, district)."""
    order = {"county": 0, "metropolitan": 1, "district": 2, "district partnership": 2}
    groups: dict[str, list[str]] = {}
    for row in sorted(cases.itertuples(), key=lambda r: (order.get((r.type or "").lower(), 3), r.name)):
        kind = (row.type or "other").lower()
        title = {"district partnership": "DISTRICT COUNCILS"}.get(kind, f"{kind.upper()} COUNCILS")
        groups.setdefault(title, []).append(row.case_id)
    return list(groups.items())


def _appendix_items(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Each council's actions in its own words: the sentence of each coded evidence span, with its codes."""
    seg = segments.set_index("segment_id")
    rows: dict[tuple[str, str], list[str]] = {}
    for c in codings.itertuples():
        text = seg.at[c.segment_id, "text"]
        offset = int(seg.at[c.segment_id, "start"])
        floor = speaker_label_end(text, seg.at[c.segment_id, "speaker"])
        sentence = _sentence_around(text, max(c.start - offset, floor), max(c.end - offset, floor), floor)
        for case_id in seg.at[c.segment_id, "cases"]:
            rows.setdefault((case_id, sentence), [])
            if c.code not in rows[(case_id, sentence)]:
                rows[(case_id, sentence)].append(c.code)
    return pd.DataFrame([{"case_id": k[0], "text": k[1], "codes": tuple(v)} for k, v in rows.items()],
                        columns=["case_id", "text", "codes"])


# A stop, closing quotes, then a capital (or the end): keeps 'asks "what if?" rather than' in one sentence.
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?:\s+(?=[\"“‘(]?[A-Z0-9])|\s*$)")


def _sentence_around(text: str, start: int, end: int, floor: int = 0) -> str:
    """The sentence(s) holding text[start:end], never reaching back before `floor` (the speaker label): the
    report's quotation span, uncut, with this module's sentence ends (no '…' or brackets, unlike the report's)."""
    from ..reports._findings import quote_span

    left, right, _, _ = quote_span(text, start, end, floor, limit=len(text), sentence_end=_SENTENCE_END)
    return re.sub(r"\s+", " ", text[left:right]).strip().strip('"“”')


def compare(project, out: str | Path, include_suggested: bool = False) -> list[Path]:
    """Write the new study's chart and Appendix Two, the share comparison with 2015, and a Word report."""
    from ..reports import plot_cases_per_code, plot_share_comparison
    from .appendix2015 import appendix_two_docx, appendix_two_markdown
    from ..workflow import project_tables

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    statuses = ("accepted", "manual", "reference") + (("suggested",) if include_suggested else ())
    codebook = project.codebook()
    try:
        payload = project.baseline(BASELINE)
    except StoreError:
        raise StoreError(f"project {project.path} has no 2015 baseline; create it with "
                         f"'casecode init PROJECT --from-study 2015'") from None
    tables = project_tables(project, statuses, chart_only=True)
    notices = _compare_notices(project, tables, include_suggested)
    for notice in notices:
        warn(notice)
    cases = project.cases()
    segments = project.segments()
    comparison = compare_studies(baseline_matrix(payload), tables.matrix, labels=codebook)
    files = []
    comparison_path = out / "comparison.csv"
    write_csv(comparison, comparison_path)
    write_csv(tables.matrix, out / "actions_by_council.csv", index=True)
    files += [comparison_path, out / "actions_by_council.csv"]
    own = tables.per_code.rename(columns={"cases": "reference"})[["code", "label", "reference"]]
    own_png, own_svg = plot_cases_per_code(own, out / "councils_per_action", title="Key leadership actions: new study",
                                           reported=False, n_cases=max(len(cases), 1),
                                           names={"reference": "councils coded"}, unit_label="Number of councils")
    share_png, share_svg = plot_share_comparison(comparison, out / "comparison_2015", labels=("2015", "new study"),
                                                 title="Share of councils taking each action: 2015 and now")
    files += [own_png, own_svg, share_png, share_svg]
    items = _appendix_items(tables.codings[tables.codings.code.isin(codebook.chart_ids)], segments)
    groups = _groups(cases)
    title = "Appendix Two (new study): leadership actions being taken by the councils"
    files.append(appendix_two_markdown(items, tables.matrix, codebook, groups, out / "appendix_two.md",
                                       cases=cases, title=title))
    files.append(appendix_two_docx(items, tables.matrix, codebook, groups, out / "appendix_two.docx",
                                   cases=cases, title=title))
    files.append(_word(out / "comparison_report.docx", project, codebook, cases, segments, statuses, own_png,
                       share_png, tables, comparison, payload, notices))
    return files


def _compare_notices(project, tables, include_suggested: bool) -> list[str]:
    """Refuse a comparison with nothing counted; otherwise the cautions that open the report (and are warned)."""
    from ..workflow._report import uncased_notice

    where = project.path or project.name
    reviewed = tables.codings[tables.codings.status != "suggested"]
    if tables.codings.empty:
        pending = len(project.codings(status="suggested"))
        if pending and not include_suggested:
            raise StoreError(f"project {where} has no reviewed codings of the chart actions ({pending} suggestions "
                             f"await review), so every action would count 0 and every difference would look "
                             f"significant; review first (casecode review -p {where}, then review --apply), or pass "
                             f"--include-suggested to count the suggestions as provisional")
        raise StoreError(f"project {where} has no codings of the chart actions to compare; add transcripts and run "
                         f"casecode code -p {where} first")
    notices = []
    if include_suggested and reviewed.empty:
        notices.append("Provisional: no suggestion has been reviewed yet; every count below is an unreviewed "
                       "automatic suggestion, and the differences from 2015 are not findings until a person has "
                       "reviewed them.")
    elif include_suggested:
        share = float((tables.codings.status == "suggested").mean())
        notices.append(f"Provisional: {share:.0%} of the codings counted are unreviewed suggestions.")
    if (notice := uncased_notice(tables.uncased)):
        notices.append(notice)
    return notices


def _word(path, project, codebook, cases, segments, statuses, own_png, share_png, tables, comparison, payload,
          notices=()):
    from ..reports import build_findings, comparison_docx

    provisional = "suggested" in statuses
    n_new = len(cases)
    first_page = [*notices,
        f"“2015” means two things, shown side by side below. The report's own figures: the 2016 final report states "
        f"how many of its {payload.get('n_cases', 9)} case-study councils took each action only in words (“Six "
        f"councils…”), recovered here as a range. The reference coding: casecode's coding of the report's passages "
        f"and Appendix Two, council by council, which is what the charts and Fisher's tests compare with, because "
        f"a test needs a count, not a range.",
        f"“New study” means the {_counted(len(project.documents()), 'transcript')} from "
        f"{_counted(n_new, 'council')} in this project, coded "
        f"against the 2015 codebook; a council takes an action when any of its units carries that code, counting "
        f"codings with status {', '.join(statuses)}."
        + (" Unreviewed suggestions are included, so every new figure is provisional (marked * below and on "
           "every page)." if provisional else ""),
    ]
    reported = payload.get("reported", {})
    mark = "*" if provisional else ""
    figures = pd.DataFrame({
        "Action": comparison["label"],
        "2015 report says": [reported.get(c, {}).get("phrase", "") for c in comparison["code"]],
        "2015 range": [_range(reported.get(c)) for c in comparison["code"]],
        "2015 reference": [_fraction(a, b) for a, b in zip(comparison["baseline_cases"], comparison["baseline_n"])],
        f"New study{mark}": [_fraction(a, b) + mark for a, b in zip(comparison["new_cases"], comparison["new_n"])],
    })
    method = (
        f"casecode suggested codes with explainable rules and a model trained on the 2015 reference coding and "
        f"fictional training transcripts. A council takes an action when any of its transcript units carries that "
        f"code. Shares are compared with a two-sided Fisher's exact test per action."
    )
    table = comparison[["label", "baseline_cases", "baseline_n", "new_cases", "new_n", "difference", "p_value"]].copy()
    table["difference"] = (table["difference"] * 100).round(0).astype("Int64").astype(str) + " pts"
    table["p_value"] = table["p_value"].map(lambda p: "" if pd.isna(p) else f"{p:.3f}")
    table = table.rename(columns={"label": "action", "baseline_cases": "2015", "baseline_n": "of",
                                  "new_cases": f"new{mark}", "new_n": "of ", "p_value": "p"})
    findings = build_findings(tables.codings[tables.codings.code.isin(codebook.chart_ids)], segments,
                              project.documents(), cases, codebook, tables.matrix, project.name, n_quotes=1,
                              case_noun="councils")
    sections = [
        ("Method", [method, "The codebook:", [f"{c.label}: {c.definition}" for c in codebook if c.in_chart]]),
        ("Actions in the new study", [Path(own_png)]),
        ("Comparison with 2015", [Path(share_png), table, CAUTION]),
    ]
    return comparison_docx(path, project.name, first_page, figures, sections, findings.by_case, provisional,
                           first_heading="What “2015” means here",
                           cases_heading="Appendix Two (new study): each council's actions in its own words")


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _range(reported: dict | None) -> str:
    if not reported:
        return ""
    low, high = int(reported["min"]), int(reported["max"])
    return str(low) if low == high else f"{low}–{high}"


def _fraction(count, total) -> str:
    return "n/a" if pd.isna(count) or pd.isna(total) else f"{int(count)}/{int(total)}"
