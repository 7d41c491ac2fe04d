"""The 2015 counts as the report counts them: attribution, the two constructs, every count statement, and the
reconciliation that computes its claims."""

import re
import shutil

import pandas as pd
import pytest

from casecode.analysis import case_code_matrix
from casecode.errors import AnalysisError, CorpusError
from casecode.studies import load_study
from casecode.studies.counts2015 import (
    AUDIT_COLUMNS, audit_effects, council_sets, count_statements, councils_per_action, deciding_passages,
    exception_councils, read_construct_audit, reconciliation_markdown, recovered_ranges,
)
from casecode.studies.solace2015 import read_reference_coding

from conftest import ROOT

ACTIONS = ["bold", "partnerships", "culture", "leaders", "residents", "pace_risk", "resources", "employees",
           "disciplined", "learn", "agile"]
#: The report's stated figure per action, every count statement combined.
REPORTED = {"bold": (9, 9), "partnerships": (9, 9), "culture": (8, 8), "leaders": (7, 8), "residents": (6, 6),
            "pace_risk": (6, 6), "resources": (5, 5), "employees": (5, 5), "disciplined": (5, 5), "learn": (5, 5),
            "agile": (3, 5)}

#: Per action and construct: each council counted, with the passages that decide it, as `council: passages`.
EXPECTED = {
    "bold": {
        "counted": """
            monmouthshire: a2-*-03
            bristol: a2-*-03
            oldham: body-01-04 a2-*-02
            south_tyneside: body-01-02 body-09-08
            wigan: body-08-08
            east_hampshire_havant: body-01-07 body-08-09
            mid_suffolk_babergh: body-04-11
            staffordshire_moorlands_high_peak: body-01-05 a2-*-01
        """,
        "any": """
            monmouthshire: a2-*-03
            surrey: body-01-01 a2-*-02
            bristol: a2-*-03
            oldham: body-01-04 body-01-10 a2-*-02
            south_tyneside: body-01-02 body-01-09 body-09-08 a2-*-01 a2-*-02
            wigan: body-08-08 a2-*-01 a2-*-02
            east_hampshire_havant: body-01-07 body-01-09 body-08-09 a2-*-01
            mid_suffolk_babergh: body-04-11 a2-*-01
            staffordshire_moorlands_high_peak: body-01-05 a2-*-01
        """,
    },
    "partnerships": {
        "counted": """
            monmouthshire: body-02-04 body-11-07
            surrey: body-02-06 body-02-08 a2-*-04
            bristol: body-02-01 body-02-06 body-10-07 a2-*-05
            oldham: a2-*-03
            south_tyneside: body-02-02 body-02-06 a2-*-06
            wigan: body-06-05 a2-*-05
            east_hampshire_havant: body-02-07 body-08-09
            mid_suffolk_babergh: body-02-05
            staffordshire_moorlands_high_peak: body-02-06 body-02-09 a2-*-06
        """,
        "any": """
            monmouthshire: body-02-04 body-11-07
            surrey: body-02-06 body-02-08 a2-*-04
            bristol: body-02-01 body-02-06 body-10-07 a2-*-05
            oldham: a2-*-03
            south_tyneside: body-02-02 body-02-06 a2-*-06
            wigan: body-06-05 a2-*-05
            east_hampshire_havant: body-02-07 body-08-09
            mid_suffolk_babergh: body-02-05
            staffordshire_moorlands_high_peak: body-02-06 body-02-09 a2-*-06
        """,
    },
    "culture": {
        "counted": """
            monmouthshire: body-03-01 a2-*-01
            surrey: body-03-05 body-03-06 a2-*-01 a2-*-03
            bristol: a2-*-01
            oldham: body-03-07 a2-*-01
            south_tyneside: body-03-02 a2-*-04
            wigan: body-06-05
            east_hampshire_havant: body-03-08 body-04-08 a2-*-02
            mid_suffolk_babergh: a2-*-03 a2-*-04
        """,
        "any": """
            monmouthshire: body-03-01 a2-*-01
            surrey: body-03-05 body-03-06 a2-*-01 a2-*-03
            bristol: a2-*-01
            oldham: body-03-07 a2-*-01
            south_tyneside: body-03-02 a2-*-04
            wigan: body-06-05
            east_hampshire_havant: body-03-08 body-04-08 a2-*-02
            mid_suffolk_babergh: a2-*-03 a2-*-04
        """,
    },
    "leaders": {
        "counted": """
            monmouthshire: a2-*-02
            surrey: body-02-08 body-04-07
            bristol: body-04-06
            oldham: body-07-05
            south_tyneside: body-04-10
            wigan: body-06-05
            east_hampshire_havant: body-04-01 body-04-08
            mid_suffolk_babergh: body-04-11
        """,
        "any": """
            monmouthshire: a2-*-02
            surrey: body-02-08 body-04-07
            bristol: body-04-06
            oldham: body-07-05
            south_tyneside: body-04-10
            wigan: body-06-05
            east_hampshire_havant: body-04-01 body-04-08
            mid_suffolk_babergh: body-04-11
        """,
    },
    "residents": {
        "counted": """
            monmouthshire: body-05-02 a2-*-04
            bristol: body-05-06
            oldham: body-05-01 body-05-07
            wigan: body-05-05 a2-*-07
            mid_suffolk_babergh: a2-*-04
        """,
        "any": """
            monmouthshire: body-05-02 body-05-08 a2-*-04
            bristol: body-05-06
            oldham: body-05-01 body-05-07 body-05-08
            wigan: body-05-05 body-05-08 a2-*-07
            east_hampshire_havant: body-05-08
            mid_suffolk_babergh: a2-*-04
            staffordshire_moorlands_high_peak: a2-*-06
        """,
    },
    "pace_risk": {
        "counted": """
            surrey: body-06-03
            bristol: a2-*-04
            south_tyneside: body-06-04 a2-*-07
            wigan: body-06-05 a2-*-03
            east_hampshire_havant: a2-*-06
            mid_suffolk_babergh: a2-*-05
            staffordshire_moorlands_high_peak: body-01-05 body-09-01
        """,
        "any": """
            monmouthshire: body-06-06 a2-*-07
            surrey: body-06-03
            bristol: a2-*-04
            oldham: body-06-02 body-06-08 a2-*-05
            south_tyneside: body-06-04 a2-*-07
            wigan: body-06-05 a2-*-03
            east_hampshire_havant: a2-*-03 a2-*-06
            mid_suffolk_babergh: body-06-01 a2-*-05
            staffordshire_moorlands_high_peak: body-01-05 body-09-01 a2-*-05
        """,
    },
    "resources": {
        "counted": """
            surrey: body-07-07
            bristol: body-07-08 a2-*-01
            oldham: body-07-05 a2-*-04
            wigan: body-07-02 a2-*-06
            east_hampshire_havant: body-07-01 body-07-06 a2-*-04
        """,
        "any": """
            surrey: body-07-07 comments-01-10
            bristol: body-07-08 a2-*-01
            oldham: body-07-05 a2-*-04
            wigan: body-07-02 a2-*-06
            east_hampshire_havant: body-07-01 body-07-06 a2-*-04
        """,
    },
    "employees": {
        "counted": """
            monmouthshire: body-08-02 a2-*-06
            surrey: body-08-06 a2-*-06
            wigan: body-08-08 a2-*-04
            east_hampshire_havant: body-08-09 a2-*-05
            staffordshire_moorlands_high_peak: body-08-07 a2-*-04
        """,
        "any": """
            monmouthshire: body-08-02 a2-*-06
            surrey: body-08-06 a2-*-06
            south_tyneside: body-04-10
            wigan: body-08-08 a2-*-04
            east_hampshire_havant: body-08-09 a2-*-05
            staffordshire_moorlands_high_peak: body-08-07 a2-*-04
        """,
    },
    "disciplined": {
        "counted": """
            bristol: body-09-07 a2-*-03
            oldham: body-09-06
            south_tyneside: body-09-08
            mid_suffolk_babergh: body-09-02
            staffordshire_moorlands_high_peak: body-09-01 a2-*-03
        """,
        "any": """
            surrey: body-01-11
            bristol: body-09-07 a2-*-03
            oldham: body-06-02 body-09-06 a2-*-06
            south_tyneside: body-01-02 body-09-08 a2-*-01 a2-*-02
            wigan: a2-*-01
            east_hampshire_havant: a2-*-01
            mid_suffolk_babergh: body-09-02
            staffordshire_moorlands_high_peak: body-09-01 a2-*-03 a2-*-05
        """,
    },
    "learn": {
        "counted": """
            monmouthshire: body-10-08 comments-01-10 a2-*-05
            bristol: body-05-06 body-10-02 body-10-06 body-10-07 a2-*-02 a2-*-06
            wigan: body-05-05 comments-01-10
            east_hampshire_havant: body-10-01
            mid_suffolk_babergh: a2-*-06
        """,
        "any": """
            monmouthshire: body-10-08 comments-01-10 a2-*-05
            bristol: body-05-06 body-10-02 body-10-06 body-10-07 a2-*-02 a2-*-06
            wigan: body-05-05 comments-01-10
            east_hampshire_havant: body-10-01
            mid_suffolk_babergh: a2-*-06
        """,
    },
    "agile": {
        "counted": """
            monmouthshire: body-11-07
            bristol: body-11-02 body-11-08
            mid_suffolk_babergh: body-11-01
            staffordshire_moorlands_high_peak: body-02-09 body-11-09 a2-*-02
        """,
        "any": """
            monmouthshire: body-11-07
            bristol: body-11-02 body-11-08
            oldham: body-01-10
            mid_suffolk_babergh: body-11-01
            staffordshire_moorlands_high_peak: body-02-09 body-11-09 a2-*-02
        """,
    },
}


def _expected(code: str, construct: str) -> dict[str, list[str]]:
    out = {}
    for line in EXPECTED[code][construct].strip().splitlines():
        council, passages = line.strip().split(": ")
        out[council] = [p.replace("a2-*-", f"a2-{council}-") for p in passages.split()]
    return out


@pytest.fixture(scope="module")
def study():
    return load_study()


@pytest.fixture(scope="module")
def sets(study):
    return council_sets(study, study.reference.iloc[:0])


@pytest.fixture(scope="module")
def statements(study):
    return count_statements(study)


@pytest.mark.parametrize("code", ACTIONS)
@pytest.mark.parametrize("construct", ["counted", "any"])
def test_each_action_pins_its_councils_and_deciding_passages(study, sets, code, construct):
    expected = _expected(code, construct)
    assert sets[code][construct] == list(expected)  # the councils, in the report's order, hence the count
    assert deciding_passages(study.reference, code, construct) == expected


def test_counting_sentence_counts_fall_inside_the_report_for_eight_actions(sets, statements):
    ranges = recovered_ranges(statements)
    assert {c: (int(r.reported_min), int(r.reported_max)) for c, r in ranges.iterrows()} == REPORTED
    inside = [c for c in ACTIONS if REPORTED[c][0] <= len(sets[c]["counted"]) <= REPORTED[c][1]]
    # After the construct audit (corpus/2015-solace/construct-audit.md): bold 8 of "all" (Surrey has no passage
    # with political and managerial leaders working together), residents 5 of "six" (community investment is
    # counted apart), pace_risk 7 of "six" (Staffordshire Moorlands and High Peak's "keep our foot on the pedal").
    assert [c for c in ACTIONS if c not in inside] == ["bold", "residents", "pace_risk"]
    assert {c: len(sets[c]["counted"]) for c in ACTIONS} == {
        "bold": 8, "partnerships": 9, "culture": 8, "leaders": 8, "residents": 5, "pace_risk": 7, "resources": 5,
        "employees": 5, "disciplined": 5, "learn": 5, "agile": 4}


#: The counts under the counting sentences before the construct audit, as the reference coding stood.
BEFORE_AUDIT = {"bold": 6, "partnerships": 9, "culture": 7, "leaders": 7, "residents": 6, "pace_risk": 6,
                "resources": 5, "employees": 5, "disciplined": 5, "learn": 5, "agile": 4}


def test_the_construct_audit_records_the_reference_coding_and_undoes_to_the_counts_before_it(study):
    audit = read_construct_audit(study)
    changes = audit[audit.kind == "change"]
    assert len(changes) == 9 and len(audit[audit.kind == "judgement"]) == 12
    effects = audit_effects(study, audit)
    assert {c: len(v) for c, v in effects["before"].items()} == BEFORE_AUDIT
    assert "east_hampshire_havant" in effects["before"]["residents"]
    flips = dict(zip(zip(audit.segment_id, audit.code, audit.kind), effects["flips"]))
    # Surrey's "Leading for innovation at the top" read as the top team working together would make bold 9.
    assert len(flips[("a2-surrey-02", "bold", "judgement")]) == 9
    # Staffordshire Moorlands and High Peak's pace rests on two passages; undoing one alone leaves it counted.
    assert "staffordshire_moorlands_high_peak" in flips[("body-09-01", "pace_risk", "change")]
    assert flips[("body-05-08", "resources", "judgement")][0] == "monmouthshire"


@pytest.mark.parametrize("row, message", [
    ("body-05-08,residents,,change,counted,any,x\n",
     "row 2, column 'audit': 'counted', but reference_coding.csv has 'any' for body-05-08 residents; record the "
     "reference coding as it stands"),
    ("body-05-08,resources,oldham; bristol,judgement,none,counted,x\n",
     "row 2, column 'councils': segment 'body-05-08' does not name 'bristol'"),
    ("body-05-08,residents,,maybe,any,counted,x\n", "row 2, column 'kind': 'maybe'; write one of change, judgement"),
    ("body-05-08,digital,,change,any,counted,x\n", "row 2, column 'code': 'digital' is not a charted action"),
    ("body-05-08,residents,,change,any,any,x\n", "row 2, column 'other': the same as 'audit'"),
    ("body-99-01,residents,,change,any,counted,x\n", "row 2, column 'segment_id': unknown segment 'body-99-01'"),
])
def test_the_construct_audit_refuses_a_row_that_does_not_hold(tmp_path, row, message):
    from casecode.studies import study_paths

    _copy_study(tmp_path)
    path = tmp_path / "corpus" / "2015-solace" / "construct_audit.csv"
    path.write_text(",".join(AUDIT_COLUMNS) + "\n" + row, encoding="utf-8")
    study = load_study(study_paths(tmp_path))
    with pytest.raises(CorpusError) as err:
        read_construct_audit(study)
    assert str(err.value).startswith(f"{path}: {message}")
    path.write_text("segment_id,code\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="row 1: the header is 'segment_id,code'; write segment_id,code,councils"):
        read_construct_audit(study)
    path.unlink()
    assert read_construct_audit(study) is None


def test_attribution_limits_a_code_to_the_councils_its_row_names(study):
    ref = study.reference
    row = ref[(ref.segment_id == "comments-01-10") & (ref.code == "resources")].iloc[0]
    assert row.cases == ("surrey",)
    with_ = case_code_matrix(ref, study.scope, ACTIONS, cases=study.cases)
    without = case_code_matrix(ref.drop(columns="cases"), study.scope, ACTIONS, cases=study.cases)
    assert (with_.resources.sum(), without.resources.sum()) == (5, 6)
    assert (with_.learn.sum(), without.learn.sum()) == (5, 6)
    assert without.at["surrey", "learn"] == 1 and with_.at["surrey", "learn"] == 0


def _write(tmp_path, rows: str):
    path = tmp_path / "ref.csv"
    path.write_text("segment_id,code,councils,construct,rationale\n" + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize("row, message", [
    ("comments-01-10,learn,oldham,counted,x\n",
     "row 2, column 'councils': segment 'comments-01-10' does not name 'oldham' (it names wigan, monmouthshire, "
     "surrey); list only councils the passage names"),
    ("a2-wigan-01,,wigan,,x\n", "row 2, column 'councils': a row with no code applies to no council"),
    ("a2-wigan-01,bold,,,x\n", "row 2, column 'construct': 'empty' for 'bold'; write 'counted'"),
    ("a2-wigan-01,bold,,maybe,x\n", "row 2, column 'construct': 'maybe' for 'bold'"),
    ("a2-surrey-05,cross_council,,counted,x\n",
     "row 2, column 'construct': 'counted' but 'cross_council' has no counted_as; leave 'construct' empty"),
])
def test_reference_coding_refuses_bad_attribution_and_construct(study, tmp_path, row, message):
    path = _write(tmp_path, row)
    with pytest.raises(CorpusError) as err:
        read_reference_coding(path, study.scope, study.codebook)
    assert str(err.value).startswith(f"{path}: {message}")


def test_reference_coding_without_the_new_columns_still_reads_with_segment_councils(study, tmp_path):
    path = tmp_path / "ref.csv"
    path.write_text("segment_id,code,rationale\ncomments-02-03,digital,x\n", encoding="utf-8")
    coded = read_reference_coding(path, study.scope, study.codebook)
    assert coded.cases.tolist() == [("bristol", "surrey")]


def test_every_statement_is_quoted_with_its_place(statements):
    learn = statements[statements.action == "learn"]
    combined = learn[learn.combined]
    assert combined.role.tolist() == ["counting sentence", "statement", "statement"]
    assert combined["where"].str.contains("COMMENTS ON THE FINDINGS").sum() == 1
    assert combined.item.tolist()[1:] == ["Learning from other organisations more widely"] * 2
    culture = statements[statements.action == "culture"]
    assert culture.role.tolist() == ["counting sentence", "exception"]
    assert culture.sentence.iloc[1].startswith("(In the one that did not")
    assert (statements.line > 0).all() and (statements.sentence.str.len() > 0).all()
    assert (statements.role == "general").sum() > 5  # the counts that bound no chart figure are listed too


def test_the_exception_sentence_identifies_staffordshire_moorlands_and_high_peak(study, sets):
    found = exception_councils(study, "culture")
    assert found == {"candidates": ["monmouthshire", "east_hampshire_havant", "staffordshire_moorlands_high_peak"],
                     "identified": ["staffordshire_moorlands_high_peak"]}
    assert "staffordshire_moorlands_high_peak" not in sets["culture"]["exclusions"]
    assert len(sets["culture"]["exclusions"]) == 8


def _copy_study(tmp_path):
    for folder in ("corpus/2015-solace", "codebooks", "corpus/demo-replication"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path / "codebooks" / "leadership-actions-2015.yaml"


def test_a_counted_as_sentence_that_misquotes_the_report_is_refused(tmp_path):
    from casecode.studies import study_paths

    codebook = _copy_study(tmp_path)
    text = codebook.read_text(encoding="utf-8")
    codebook.write_text(text.replace("Six councils emphasised the importance of moving forward with pace.",
                                     "Six councils emphasised pace."), encoding="utf-8")
    study = load_study(study_paths(tmp_path))
    with pytest.raises(CorpusError, match="code 'pace_risk' field 'counted_as.sentence' does not quote the report's "
                                          "counting sentence; it should read 'Six councils emphasised"):
        count_statements(study)


def test_a_statement_item_not_in_the_report_is_refused(tmp_path):
    from casecode.studies import study_paths

    codebook = _copy_study(tmp_path)
    text = codebook.read_text(encoding="utf-8")
    codebook.write_text(text.replace('item: "Learning from other organisations more widely"',
                                     'item: "Learning from abroad"', 1), encoding="utf-8")
    study = load_study(study_paths(tmp_path))
    with pytest.raises(CorpusError, match=r"code 'learn' field 'counted_as.statements\[0\].item' 'Learning from "
                                          r"abroad' is not among what follows its quote"):
        count_statements(study)


def test_councils_per_action_table_and_reconciliation_agree(study, sets, statements):
    ranges = recovered_ranges(statements)
    ref = study.reference
    # An automatic coding that adds Surrey to agile and drops Oldham from it, to show both kinds of disagreement.
    automatic = pd.concat([ref[(ref.code == "agile") & (ref.segment_id != "body-01-10")],
                           ref[ref.segment_id == "body-01-01"].assign(code="agile", rule="rule:agile-test")])
    automatic = automatic.drop(columns=["cases", "construct"])
    sets = council_sets(study, automatic)
    table = councils_per_action(study, sets, ranges)
    assert table.counted.tolist() == [len(sets[c]["counted"]) for c in ACTIONS]
    assert table.reference.tolist() == [len(sets[c]["any"]) for c in ACTIONS]
    text = reconciliation_markdown(study, statements, ranges, sets, automatic)
    summary = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[0] in ACTIONS:
            summary[cells[0]] = cells
    for row in table.itertuples():
        cells = summary[row.action]
        assert cells[2].split()[0] == str(row.counted) and cells[5].split()[0] == str(row.reference)
        assert cells[6].split()[0] == str(row.automatic)
    n_inside = sum(REPORTED[c][0] <= len(sets[c]["counted"]) <= REPORTED[c][1] for c in ACTIONS)
    assert f"- the report's counting sentence only: **{n_inside} of 11**; outside: bold, residents, pace_risk" in text
    audit = text[text.index("## The construct audit"):text.index("(`bold`)")]
    assert "before the audit **9 of 11**, after **8 of 11**; outside after: bold, residents, pace_risk." in audit
    assert "| residents | 6 | 6 ✓ | 5 ✗ | none | East Hampshire and Havant |" in audit
    assert "| culture | 8 | 7 ✗ | 8 ✓ | Wigan | none |" in audit
    bold = text[text.index("(`bold`)"):text.index("(`partnerships`)")]
    assert "Under the counting sentence the count, 8, is 1 below the reported range." in bold
    assert re.search(r"- \*\*Surrey\*\*\n  - `body-01-01`", bold)
    agile = text[text.index("(`agile`)"):]
    assert "it disagrees with the reference (any evidence) on 2 council(s)" in agile
    assert re.search(r"\*\*Surrey\*\*: coded automatically, not in the reference:\n  - `body-01-01`", agile)
    assert re.search(r"\*\*Oldham\*\*: in the reference, missed automatically:\n  - `body-01-10`", agile)
    culture = text[text.index("(`culture`)"):text.index("(`leaders`)")]
    assert "Under the counting sentence the count, 8, lies inside the reported range." in culture
    assert "with no evidence of this action: **Staffordshire Moorlands and High Peak** (1)" in culture


def test_chart_draws_the_series_it_is_given(tmp_path):
    from casecode.reports import plot_cases_per_code

    table = pd.DataFrame({"code": ["a", "b"], "label": ["A", "B"], "counted": [1, 2], "reference": [2, 3],
                          "reported_min": [1, 2], "reported_max": [2, 3], "reported_phrase": ["x", "y"]})
    png, svg = plot_cases_per_code(table, tmp_path / "chart", series=["counted", "reference"],
                                   names={"counted": "Meets the sentence"})
    assert png.stat().st_size > 0 and "Meets the sentence" in svg.read_text(encoding="utf-8")
    with pytest.raises(AnalysisError, match="chart series 'automatic' is not a column of the table"):
        plot_cases_per_code(table, tmp_path / "chart", series=["automatic"])


def test_a_count_above_the_range_lists_the_passages_that_count_each_council(study, sets, statements):
    ranges = recovered_ranges(statements).copy()
    ranges.loc["agile", ["reported_min", "reported_max"]] = 3
    automatic = study.reference.iloc[:0].drop(columns=["cases", "construct"])
    text = reconciliation_markdown(study, statements, ranges, sets, automatic)
    agile = text[text.index("(`agile`)"):]
    assert "Under the counting sentence the count, 4, is 1 above the reported range." in agile
    assert "- **Staffordshire Moorlands and High Peak**\n  - `body-02-09`" in agile
