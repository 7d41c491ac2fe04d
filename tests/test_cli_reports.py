"""The analyst's commands through typer's test runner: `evaluate` on files, `report` and `compare` on a project,
with the outputs they promise and their exact one-line errors; and `evaluate_files`' scores worked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casecode.codebook import read_codebook
from casecode.errors import CasecodeWarning, ReviewError
from casecode.cli import app
from casecode.store import init_project, open_project
from casecode.studies.replication import BASELINE
from casecode.workflow import add_files, code_project
from casecode.workflow._evaluate import evaluate_files

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"

FENMOOR = """\
---
case: Fenmoor District Council
---

Interviewer: What helped?

Jane Smith (Chief Executive): We ring-fenced a budget and set up a small innovation team.

Jane Smith (Chief Executive): We get the housing association and the health trust round one table every month.
"""

ASHBY = """\
---
case: Ashby Borough Council
---

Interviewer: How do you learn from others?

Priya Shah (Director): We went to see how Wigan do it and borrowed their approach.

Priya Shah (Director): We listened to residents and co-designed the service with them.
"""

# units: 1 interviewer, 2 and 3 the interviewee's turns
GOLD = ("document,unit,code\nfenmoor,2,resources\nfenmoor,3,partnerships\nashby,2,learn\nashby,3,residents\n")
PREDICTED = "document,unit,code\nfenmoor,2,resources\nfenmoor,3,partnerships\nashby,2,learn\nashby,2,bold\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "fenmoor.txt").write_text(FENMOOR, encoding="utf-8")
    (tmp_path / "ashby.txt").write_text(ASHBY, encoding="utf-8")
    (tmp_path / "gold.csv").write_text(GOLD, encoding="utf-8")
    (tmp_path / "predicted.csv").write_text(PREDICTED, encoding="utf-8")
    return tmp_path


def test_evaluate_files_scores_worked_by_hand(files):
    result = evaluate_files(files / "predicted.csv", files / "gold.csv", [files / "fenmoor.txt", files / "ashby.txt"],
                            read_codebook(CODEBOOK))
    micro = result.micro
    # 3 true positives, 1 false positive (bold), 1 false negative (residents)
    assert (micro["tp"], micro["fp"], micro["fn"]) == (3, 1, 1)
    assert micro["precision"] == pytest.approx(0.75) and micro["recall"] == pytest.approx(0.75)
    cells = result.case_cells.set_index(["case_id", "code"])
    assert set(cells.index) == {("ashby_borough_council", "bold"), ("ashby_borough_council", "residents")}


def test_evaluate_files_warns_of_a_transcript_given_twice(files):
    """Reported: a transcript given twice to `evaluate` (a copy under another name) changed kappa without a word:
    its units counted twice as negatives."""
    (files / "fenmoor-copy.txt").write_bytes((files / "fenmoor.txt").read_bytes())
    with pytest.warns(CasecodeWarning) as said:
        evaluate_files(files / "predicted.csv", files / "gold.csv",
                       [files / "fenmoor.txt", files / "ashby.txt", files / "fenmoor-copy.txt"], read_codebook(CODEBOOK))
    assert [str(w.message) for w in said] == [
        f"{files / 'fenmoor-copy.txt'}: the same words as {files / 'fenmoor.txt'}; if it is the same transcript, leave "
        f"one of them out, or its units count twice in every figure"]


def test_evaluate_files_says_which_codings_it_leaves_out_of_the_scores(files):
    """Found in an outside-in audit: codings of a code kept out of the chart (the 2015 codebook's recruiting) were
    dropped from every score without a word, so 'predicted' disagreed with the file's rows."""
    (files / "predicted.csv").write_text(PREDICTED + "ashby,3,recruiting\nfenmoor,3,recruiting\n", encoding="utf-8")
    with pytest.warns(CasecodeWarning) as said:
        result = evaluate_files(files / "predicted.csv", files / "gold.csv", [files / "fenmoor.txt",
                                files / "ashby.txt"], read_codebook(CODEBOOK))
    assert [str(w.message) for w in said] == [
        f"{files / 'predicted.csv'}: 2 coding(s) of recruiting left out of the scores: the codebook keeps that code "
        f"out of its chart (in_chart: false); set in_chart: true in a copy of the codebook to score them"]
    assert (result.micro["tp"], result.micro["fp"], result.micro["fn"]) == (3, 1, 1)


def test_a_coding_csv_over_the_size_limit_is_refused_before_it_is_read(files, monkeypatch):
    """Found in an outside-in audit: a coding CSV was read whole into memory whatever its size."""
    import casecode.workflow._evaluate as evaluating

    monkeypatch.setattr(evaluating, "MAX_CODING_BYTES", 40)
    size = (files / "predicted.csv").stat().st_size
    with pytest.raises(ReviewError) as err:
        evaluate_files(files / "predicted.csv", files / "gold.csv", [files / "fenmoor.txt"], read_codebook(CODEBOOK))
    assert str(err.value) == (f"{files / 'predicted.csv'}: {size:,} bytes is over casecode's limit of 40 bytes for a "
                              f"coding CSV; split it by document")


def test_cli_evaluate_prints_scores_and_writes_tables(files, tmp_path):
    result = CliRunner().invoke(app, ["evaluate", str(files / "predicted.csv"), str(files / "gold.csv"),
                                      str(files / "fenmoor.txt"), str(files / "ashby.txt"), "--codebook",
                                      str(CODEBOOK), "--out", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    assert "## Averages" in result.output and "0.75" in result.output
    # 2 councils x 11 codes; the 2 disagreeing cells (ashby's bold and residents) leave 20 of 22 agreeing
    assert ("## Cases (case-level kappa 0.694, agreement 0.909 over 22 cells, 4 positive in gold; per code, the cases "
            "gained and lost)") in result.output.splitlines()
    assert (tmp_path / "eval").is_dir() and any((tmp_path / "eval").iterdir())


@pytest.mark.parametrize("row, message", [
    ("fenmoor,9,bold", "document 'fenmoor' has units 1-{last}, not '9'; number units as casecode does (paragraphs "
                       "and turns from 1, as 'casecode code' writes them)"),
    # Reported: a gold file naming documents by their file names only said the unit was not found.
    ("fenmoor.txt,2,bold", "document 'fenmoor.txt' is not one of the files given; a document is named by its file "
                           "name without the extension, in lower case (write 'fenmoor')"),
    ("Fenmoor,2,bold", "document 'Fenmoor' is not one of the files given; a document is named by its file name "
                       "without the extension, in lower case (write 'fenmoor')"),
    ("dunmore,2,bold", "document 'dunmore' is not one of the files given; a document is named by its file name "
                       "without the extension, in lower case (use one of: ashby, fenmoor)"),
])
def test_cli_evaluate_names_a_row_outside_the_files(files, row, message):
    from casecode.corpus import read_document

    (files / "bad.csv").write_text(f"document,unit,code\n{row}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(files / "bad.csv"), str(files / "gold.csv"),
                                      str(files / "fenmoor.txt"), str(files / "ashby.txt"), "--codebook",
                                      str(CODEBOOK)])
    assert result.exit_code == 1
    last = read_document(files / "fenmoor.txt").segments[-1].unit
    assert result.output.strip().splitlines()[-1] == f"Error: {files / 'bad.csv'}: row 2: {message.format(last=last)}"


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", b"", "the file is empty; a coding CSV needs a header row 'document,unit,code'"),
    ("typo.csv", b"document,unit,code\nfenmoor,2,pace-risk\n",
     "row 2: code 'pace-risk' is not in the codebook; use one of: bold, partnerships,"),
    ("comma.csv", b"document,unit,code,note\nfenmoor,2,bold,note\nashby,2,learn,a note, with a comma\n",
     "row 3: 5 cells but the header has 4 columns; quote cells that contain commas"),
    ("nul.csv", "document,unit,code\nashby,2,learn\n".encode("utf-16-le"), "contains NUL bytes"),
], ids=["empty", "unknown-code", "unquoted-comma", "utf16-without-bom"])
def test_cli_evaluate_bad_coding_csv_is_one_line(files, name, data, message):
    """Reported: an empty gold.csv, a UTF-16 one without a byte-order mark and a row with an unquoted comma were
    internal errors, and a misspelt code was silently left out of the support."""
    (files / name).write_bytes(data)
    result = CliRunner().invoke(app, ["evaluate", str(files / "predicted.csv"), str(files / name),
                                      str(files / "fenmoor.txt"), str(files / "ashby.txt"), "--codebook",
                                      str(CODEBOOK)])
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: {files / name}: ") and message in last and "internal error" not in last


def test_evaluate_reads_a_spreadsheet_saved_gold_and_warns_of_interviewer_rows(files):
    """Windows-1252 or UTF-16 with a BOM, a unit saved as 6.0 and cells padded with spaces read as the plain file
    does; a gold row on the interviewer's unit is warned about by row, not silently dropped from the support."""
    plain = evaluate_files(files / "predicted.csv", files / "gold.csv", [files / "fenmoor.txt", files / "ashby.txt"],
                           read_codebook(CODEBOOK))
    saved = GOLD.replace("fenmoor,2,", "fenmoor, 2.0 ,").replace("\n", "\r\n") + "ashby,1,bold,caf\u00e9\r\n"
    saved = saved.replace("document,unit,code", "document,unit,code,note")
    (files / "excel.csv").write_bytes(saved.encode("utf-16"))
    with pytest.warns(CasecodeWarning, match=r"excel\.csv: 1 row\(s\) code a unit casecode does not code .*row 6"):
        result = evaluate_files(files / "predicted.csv", files / "excel.csv",
                                [files / "fenmoor.txt", files / "ashby.txt"], read_codebook(CODEBOOK))
    assert result.micro.equals(plain.micro)


@pytest.fixture
def project(files, tmp_path):
    """Both transcripts coded by the rules, every suggestion accepted, and a small 2015 baseline stored."""
    folder = tmp_path / "project"
    proj = init_project(folder, read_codebook(CODEBOOK), name="CLI reports")
    add_files(proj, [files / "fenmoor.txt", files / "ashby.txt"])
    code_project(proj, use_model=False)
    suggested = proj.codings(status="suggested")
    proj.record_decisions([{"coding_id": c, "segment_id": s, "decision": "accept", "decided_by": "Ana"}
                           for c, s in zip(suggested.coding_id, suggested.segment_id)])
    proj.close()
    return folder


def test_cli_report_writes_the_findings_report(project, tmp_path):
    result = CliRunner().invoke(app, ["report", "-p", str(project), "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    for name in ("report.docx", "report.md", "report.html", "case_by_code.csv", "saturation.csv"):
        assert (tmp_path / "report" / name).exists(), name
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "accepted" in text and "reviewed by Ana" in text


def test_cli_report_refuses_a_table_that_is_not_agreement(project, tmp_path):
    bad = tmp_path / "agreement.csv"
    bad.write_text("code,alpha\nbold,0.5\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "-p", str(project), "--out", str(tmp_path / "r"),
                                      "--agreement", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {bad}: column 'kappa' is missing; pass the agreement.csv that 'casecode agree --out DIR' wrote")


@pytest.mark.parametrize("table, where, shown, what", [
    ("code,kappa\nbold,abc\n", "row 2, column 'kappa'", "abc", "a kappa (from -1 to 1)"),
    ("code,kappa\nbold,0.5\nlearn,\nagile,1.5\n", "row 4, column 'kappa'", "1.5", "a kappa (from -1 to 1)"),
    ("code,kappa,n_present_ana\nbold,0.5,2\nlearn,0.2,–\n", "row 3, column 'n_present_ana'", "–",
     "a count (0 or more)"),
])
def test_cli_report_refuses_a_cell_of_agreement_that_is_not_a_number_before_writing(project, tmp_path, table, where,
                                                                                    shown, what):
    """Found in an outside-in audit: a hand-edited agreement.csv with a word in kappa ended in 'internal error
    (TypeError ...)' after the report's other files were written."""
    bad = tmp_path / "agreement.csv"
    bad.write_text(table, encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "-p", str(project), "--out", str(tmp_path / "r"),
                                      "--agreement", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {bad}: {where}: '{shown}' is not {what}; leave the cell empty where it is undefined, or pass the "
        f"agreement.csv that 'casecode agree --out DIR' wrote")
    assert not (tmp_path / "r").exists()


def test_cli_report_quotes_agreement_with_an_empty_kappa_left_out(project, tmp_path):
    table = tmp_path / "agreement.csv"
    table.write_text("code,kappa,n_present_ana\nbold,0.5,2\nlearn,,0\nagile,0.2,1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "-p", str(project), "--out", str(tmp_path / "r"),
                                      "--agreement", str(table)])
    assert result.exit_code == 0, result.output
    assert "mean Cohen's kappa 0.35 over 2 codes" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


def test_cli_compare_writes_the_comparison_against_the_baseline(project):
    with open_project(project) as proj:
        codes = proj.codebook().chart_ids
        proj.set_baseline(BASELINE, {"n_cases": 3, "codes": codes,
                                     "matrix": {f"c{i}": {c: int(i <= k % 3) for k, c in enumerate(codes)}
                                                for i in range(3)},
                                     "reported": {}})
    result = CliRunner().invoke(app, ["compare", str(project)])
    assert result.exit_code == 0, result.output
    folder = project / "comparison"
    comparison = pd.read_csv(folder / "comparison.csv")
    assert list(comparison.code) == codes
    assert comparison.set_index("code").loc["learn", "new_cases"] == 1  # Ashby borrowed Wigan's approach
    assert (folder / "comparison_report.docx").exists() and (folder / "appendix_two.md").exists()


def test_cli_compare_without_a_baseline_says_how_to_make_one(project):
    result = CliRunner().invoke(app, ["compare", str(project)])
    assert result.exit_code == 1
    assert "has no 2015 baseline; create it with 'casecode init PROJECT --from-study 2015'" in result.output
