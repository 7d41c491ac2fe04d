"""The researcher's workflow without silent wrong numbers (issue #13): agreement per workbook, compare and report
on unreviewed projects, review workbooks never overwritten, recoding without doubles, cases kept honest."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from casecode.errors import CasecodeWarning, ReviewError
from casecode.workflow import agree, write_review

from test_workflow import built, edit_workbook, project, read_sheet  # noqa: F401  (fixtures)


# -- agree: one workbook is one coder -------------------------------------------------------------------------


def _two_reviewers(project, tmp_path, ana_add_named: bool):
    """Ana accepts everything and appends an 'add' row (named or not); Ben accepts the first suggestion only."""
    written = write_review(project, tmp_path / "review.xlsx")
    ids = [int(i) for i in read_sheet(written["workbook"]).coding_id]
    extra = project.segments("fenmoor-policy", codable=True).iloc[-1]
    add = {"document": extra.document_id, "unit": int(extra.unit), "decision": "add", "new_code": "culture"}
    if ana_add_named:
        add["decided_by"] = "Ana"
    ana = edit_workbook(written["workbook"], tmp_path / "review-ana.xlsx",
                        {i: {"decision": "accept", "decided_by": "Ana"} for i in ids}, [add])
    ben = edit_workbook(written["workbook"], tmp_path / "review-ben.xlsx",
                        {i: {"decision": "accept" if n == 0 else "reject", "decided_by": "Ben"}
                         for n, i in enumerate(ids)})
    return ana, ben


def test_agree_credits_an_unnamed_added_row_to_the_workbooks_reviewer(project, tmp_path):
    """Reported: the appended 'add' row without decided_by became a third coder named after the file."""
    ana, ben = _two_reviewers(project, tmp_path, ana_add_named=False)
    segments = project.segments(codable=True)
    per_code, disagreements = agree([ana, ben], project.codebook(), segments)
    assert per_code.coders.eq(2).all()
    assert {"Ana", "Ben"} <= set(disagreements.columns) and "review-ana" not in disagreements.columns
    named = _two_reviewers(project, tmp_path / "named", ana_add_named=True)
    expected, expected_disagreements = agree(list(named), project.codebook(), segments)
    pd.testing.assert_frame_equal(per_code, expected)
    assert len(disagreements) == len(expected_disagreements)
    assert per_code.set_index("code").loc["culture", "n_present_Ana"] == 1


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty; a coding CSV needs a header row"),
    ("document,unit,code\n{doc},{unit},pace-risk\n", "row 2, column 'code': 'pace-risk' is not a code of the "
                                                      "codebook; use one of: bold,"),
    ("document,unit,code\n{doc},{unit},bold\n{doc},six,bold\n", "row 3, column 'unit': 'six' is not a unit "
                                                                 "number"),
    ("document,unit,code\n{doc}x,{unit},bold\n", "row 2, columns 'document' and 'unit': '{doc}x' unit {unit} is "
                                                  "not a unit the project codes"),
    ("document,unit,code,note\n{doc},{unit},bold,a note, with a comma\n", "row 2: 5 cells but the header has 4 "
                                                                          "columns; quote cells that contain commas"),
], ids=["empty", "unknown-code", "unit-not-a-number", "unknown-unit", "unquoted-comma"])
def test_agree_names_the_row_of_a_bad_coding_csv(project, tmp_path, content, message):
    """Reported: an empty CSV, a unit 'six' and a row with an unquoted comma were internal errors; a misspelt code
    or document was silently left out, which changed every kappa without a word."""
    unit = project.segments(codable=True).iloc[0]
    good = tmp_path / "ana.csv"
    good.write_text(f"document,unit,code\n{unit.document_id},{unit.unit},bold\n", encoding="utf-8")
    bad = tmp_path / "ben.csv"
    bad.write_text(content.format(doc=unit.document_id, unit=unit.unit), encoding="utf-8")
    with pytest.raises(ReviewError) as err:
        agree([good, bad], project.codebook(), project.segments(codable=True))
    assert str(err.value).startswith(f"{bad}: ") and message.format(doc=unit.document_id, unit=unit.unit) in str(err.value)


def test_agree_reads_a_spreadsheet_saved_coding_csv(project, tmp_path):
    """UTF-16 with a byte-order mark (Excel's 'Unicode text'), units saved as 6.0 and padded cells read as written."""
    units = project.segments(codable=True).iloc[:2]
    rows = "".join(f"{u.document_id},{u.unit},bold\n" for u in units.itertuples())
    (tmp_path / "ana.csv").write_text("document,unit,code\n" + rows, encoding="utf-8")
    saved = "document,unit,code\r\n" + "".join(f" {u.document_id} ,{u.unit}.0,bold\r\n" for u in units.itertuples())
    (tmp_path / "ben.csv").write_bytes(saved.encode("utf-16"))
    per_code, disagreements = agree([tmp_path / "ana.csv", tmp_path / "ben.csv"], project.codebook(),
                                    project.segments(codable=True))
    bold = per_code.set_index("code").loc["bold"]
    assert (bold.n_present_ana, bold.n_present_ben, bold.kappa) == (2, 2, 1.0) and disagreements.empty


def test_agree_warns_of_a_coding_csv_that_names_no_unit_of_some_documents(project, tmp_path):
    """Found in an outside-in audit: a coder's CSV covering half the documents counted the other half as coded 'no
    code' by them, lowering kappa without a word."""
    units = project.segments(codable=True)
    first = units.drop_duplicates("document_id")
    (tmp_path / "ana.csv").write_text("document,unit,code\n" + "".join(
        f"{u.document_id},{u.unit},bold\n" for u in first.itertuples()), encoding="utf-8")
    one = first.iloc[0]
    (tmp_path / "ben.csv").write_text(f"document,unit,code\n{one.document_id},{one.unit},bold\n", encoding="utf-8")
    with pytest.warns(CasecodeWarning) as said:
        agree([tmp_path / "ana.csv", tmp_path / "ben.csv"], project.codebook(), units)
    others = list(first.document_id[1:])
    assert [str(w.message) for w in said] == [
        f"{tmp_path / 'ben.csv'}: names no unit of {len(others)} of the project's {len(first)} documents "
        f"({', '.join(others[:5])}{f' and {len(others) - 5} more' if len(others) > 5 else ''}); agreement counts every "
        f"code absent there for ben: if they did not code those documents, the figures understate agreement"]


def test_agree_refuses_a_workbook_naming_two_reviewers(project, tmp_path):
    written = write_review(project, tmp_path / "review.xlsx")
    ids = [int(i) for i in read_sheet(written["workbook"]).coding_id]
    mixed = edit_workbook(written["workbook"], tmp_path / "mixed.xlsx",
                          {ids[0]: {"decision": "accept", "decided_by": "Ana"},
                           ids[1]: {"decision": "reject", "decided_by": "Ben"}})
    other = edit_workbook(written["workbook"], tmp_path / "cara.xlsx",
                          {i: {"decision": "accept", "decided_by": "Cara"} for i in ids})
    with pytest.raises(ReviewError, match=r"mixed.xlsx: column 'decided_by' names 2 reviewers: 'Ana' \(first on row "
                                          r"\d+\), 'Ben' \(first on row \d+\); one workbook is one coder"):
        agree([mixed, other], project.codebook(), project.segments(codable=True))
    per_code, _ = agree([mixed, other], project.codebook(), project.segments(codable=True), by_reviewer=True)
    assert per_code.coders.eq(3).all()


def test_agree_warns_when_no_row_names_a_reviewer(project, tmp_path):
    written = write_review(project, tmp_path / "review.xlsx")
    ids = [int(i) for i in read_sheet(written["workbook"]).coding_id]
    ana = edit_workbook(written["workbook"], tmp_path / "ana.xlsx", {i: {"decision": "accept"} for i in ids})
    ben = edit_workbook(written["workbook"], tmp_path / "ben.xlsx",
                        {i: {"decision": "reject", "decided_by": "Ben"} for i in ids})
    with pytest.warns(CasecodeWarning, match=r"ana.xlsx: no row names a reviewer in 'decided_by'; its \d+ decisions "
                                             r"are counted as coder 'ana'"):
        per_code, _ = agree([ana, ben], project.codebook(), project.segments(codable=True))
    assert per_code.coders.eq(2).all()


def test_agree_refuses_two_workbooks_of_one_reviewer(project, tmp_path):
    written = write_review(project, tmp_path / "review.xlsx")
    ids = [int(i) for i in read_sheet(written["workbook"]).coding_id]
    one = edit_workbook(written["workbook"], tmp_path / "one.xlsx", {ids[0]: {"decision": "accept",
                                                                             "decided_by": "Ana"}})
    two = edit_workbook(written["workbook"], tmp_path / "two.xlsx", {ids[0]: {"decision": "reject",
                                                                             "decided_by": "Ana"}})
    with pytest.raises(ReviewError, match=r"two.xlsx: coder 'Ana' is also the coder of .*one.xlsx"):
        agree([one, two], project.codebook(), project.segments(codable=True))


def test_agree_refuses_a_file_named_twice_and_warns_of_a_copy(project, tmp_path):
    """Reported: `casecode agree ana.xlsx ana.xlsx` said coder 'ana' "is also the coder of" ana.xlsx, and a copy of
    one coder's file under another name gave agreement 1 without a word."""
    written = write_review(project, tmp_path / "review.xlsx")
    ids = [int(i) for i in read_sheet(written["workbook"]).coding_id]
    ana = edit_workbook(written["workbook"], tmp_path / "ana.xlsx",
                        {i: {"decision": "accept" if k % 2 else "reject", "decided_by": "Ana"} for k, i in enumerate(ids)})
    with pytest.raises(ReviewError) as twice:
        agree([ana, ana], project.codebook(), project.segments(codable=True))
    assert str(twice.value) == f"{ana}: named twice; name each coder's file or project once"
    codings = tmp_path / "ana.csv"
    rows = [{"document": sid.split(":")[0], "unit": int(sid.split(":")[1]), "code": code}
            for sid, code in project.codings()[["segment_id", "code"]].head(3).itertuples(index=False)]
    pd.DataFrame(rows).to_csv(codings, index=False)
    copy = tmp_path / "ben.csv"
    copy.write_bytes(codings.read_bytes())
    with pytest.warns(CasecodeWarning) as said:
        per_code, _ = agree([codings, copy], project.codebook(), project.segments(codable=True))
    assert [str(w.message) for w in said if "names no unit" not in str(w.message)] == [  # 3 codings: few documents
        f"{copy}: the same 3 coding(s) as {codings}; if it is a copy of one coder's file, their agreement is 1 by "
        f"construction: give each coder's own file"]
    assert per_code.kappa.eq(1).all() or per_code.percent_agreement.eq(1).all()


def test_agree_follows_a_code_renamed_since_the_workbooks_were_written(project, tmp_path):
    """Found in an outside-in audit: after 'codebook rename', agree counted an accepted row under the workbook's old
    code, which the codebook no longer has, so its rows vanished from every figure ('no coder used this code')."""
    from casecode.workflow import rename_code

    ana, ben = _two_reviewers(project, tmp_path, ana_add_named=True)
    old = str(read_sheet(ana).code.iloc[0])
    before, before_disagreements = agree([ana, ben], project.codebook(), project=project)
    rename_code(project, old, "renamed")
    after, after_disagreements = agree([ana, ben], project.codebook(), project=project)
    was, now = before.set_index("code").loc[old], after.set_index("code").loc["renamed"]
    assert (now.n_present_Ana, now.n_present_Ben, now.kappa) == (was.n_present_Ana, was.n_present_Ben, was.kappa)
    assert now.n_present_Ana >= 1 and len(after_disagreements) == len(before_disagreements)
    with pytest.raises(ReviewError) as err:  # without the project, the old code cannot be followed
        agree([ana, ben], project.codebook(), project.segments())
    assert str(err.value) == (
        f"{ana}: row 2, column 'code': {old!r} is not a code of the codebook (renamed or merged since the workbook "
        f"was written?); pass -p with the project the workbook came from, so its codes follow, or write a new "
        f"workbook with 'casecode review'")


# -- compare and report on an unreviewed project --------------------------------------------------------------


@pytest.fixture
def replication(project):
    """The acceptance project with the 2015 baseline attached, as `init --from-study 2015` would."""
    from casecode.studies.replication import BASELINE
    from casecode.studies.solace2015 import baseline_payload, load_study

    project.set_baseline(BASELINE, baseline_payload(load_study()))
    return project


def _first_page(path) -> str:
    import docx

    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    return "\n".join(paragraphs[:4])


def test_compare_refuses_an_unreviewed_project(replication, tmp_path):
    """Reported: every action at 0 of 5 and ten 'significant' differences, presented as findings."""
    from casecode.errors import StoreError
    from casecode.studies.replication import compare

    with pytest.raises(StoreError, match=r"has no reviewed codings of the chart actions \(\d+ suggestions await "
                                         r"review\), so every action would count 0"):
        compare(replication, tmp_path / "cmp")
    assert not (tmp_path / "cmp" / "comparison.csv").exists()


def test_compare_with_suggestions_only_says_so_on_screen_and_first_page(replication, tmp_path):
    from casecode.studies.replication import compare

    with pytest.warns(CasecodeWarning, match="Provisional: no suggestion has been reviewed yet"):
        compare(replication, tmp_path / "cmp", include_suggested=True)
    first = _first_page(tmp_path / "cmp" / "comparison_report.docx")
    assert "Provisional: no suggestion has been reviewed yet" in first


def test_report_warns_about_documents_without_a_case(project, tmp_path):
    """Reported: documents without a case vanished from the matrix and the report without a word."""
    from casecode.workflow import add_files, project_report, project_tables

    loose = tmp_path / "loose.txt"
    loose.write_text("Kim Park: We ring-fenced a budget for the innovation team.\n", encoding="utf-8")
    add_files(project, [loose])
    project.record_decisions([{"segment_id": "loose:1", "decision": "add", "new_code": "resources",
                               "decided_by": "Ana"}])
    tables = project_tables(project)
    assert list(tables.uncased.document_id) == ["loose"] and tables.uncased.codings.sum() == 1
    with pytest.warns(CasecodeWarning, match=r"1 document\(s\) have no case and are left out of the case-by-code "
                                             r"matrix, with their 1 coding\(s\): loose"):
        project_report(project, tmp_path / "report")
    assert "have no case" in _first_page(tmp_path / "report" / "report.docx")


def test_report_on_an_unreviewed_project_says_every_count_is_zero(project, tmp_path):
    from casecode.workflow import project_report

    with pytest.warns(CasecodeWarning, match=r"No codings with status accepted, manual, reference were found"):
        project_report(project, tmp_path / "report")
    assert "every count below is 0" in _first_page(tmp_path / "report" / "report.docx")


# -- review never overwrites a filled-in workbook -------------------------------------------------------------


def test_review_refuses_to_overwrite_a_workbook_with_unapplied_decisions(project, tmp_path):
    """Reported: running `review` again replaced a workbook holding decisions with a blank one."""
    from casecode.workflow import apply_review

    path = tmp_path / "review.xlsx"
    write_review(project, path)
    write_review(project, path)  # a blank workbook may be replaced
    ids = [int(i) for i in read_sheet(path).coding_id]
    extra = project.segments("fenmoor-policy", codable=True).iloc[-1]
    edit_workbook(path, path, {ids[0]: {"decision": "accept"}, ids[1]: {"decision": "recode", "new_code": "bold"}},
                  [{"document": extra.document_id, "unit": int(extra.unit), "decision": "add",
                    "new_code": "culture"}])
    filled = path.read_bytes()
    with pytest.raises(ReviewError, match=r"review.xlsx holds 3 decision\(s\) not yet applied \(first on row 2\); "
                                          r"apply them first"):
        write_review(project, path)
    assert path.read_bytes() == filled
    apply_review(project, path, reviewer="Ana")
    written = write_review(project, path)  # everything applied: the workbook may now be replaced
    assert written["suggestions"] == len(read_sheet(path)) == len(ids) - 2
    write_review(project, tmp_path / "other.xlsx")
    edit_workbook(tmp_path / "other.xlsx", path, {int(read_sheet(path).coding_id.iloc[0]): {"decision": "reject"}})
    write_review(project, path, force=True)
    assert read_sheet(path).decision.isna().all()


def test_overwrite_check_and_apply_agree_on_what_is_recorded(project, tmp_path):
    """Reported: the overwrite check called a row applied when ANY reviewer had made that decision, or when the
    decision had been undone, while apply would still record it; replacing the workbook then lost the row."""
    from casecode.workflow import apply_review
    from casecode.workflow._review import unapplied_decisions

    path = tmp_path / "review.xlsx"
    write_review(project, path)
    ids = [int(i) for i in read_sheet(path).coding_id]
    edit_workbook(path, path, {ids[0]: {"decision": "accept", "decided_by": "Ana"},
                               ids[1]: {"decision": "reject", "decided_by": "Ana"},
                               ids[2]: {"decision": "recode", "new_code": "bold", "decided_by": "Ana"}})
    # Ben decides the first two alike on the page; Ana applied the recode before and then undid it.
    project.record_decisions([{"coding_id": ids[0], "decision": "accept", "decided_by": "Ben"},
                              {"coding_id": ids[1], "decision": "reject", "decided_by": "Ben"},
                              {"coding_id": ids[2], "decision": "recode", "new_code": "bold", "decided_by": "Ana"}])
    project.undo_decision("Ana")
    assert unapplied_decisions(project, path).row.tolist() == [2, 3, 4]
    with pytest.raises(ReviewError, match=r"holds 3 decision\(s\) not yet applied"):
        write_review(project, path)
    recorded = apply_review(project, path)
    assert sorted(int(i) for i in recorded.coding_id) == ids[:3]  # apply records exactly what the check protected
    assert unapplied_decisions(project, path).empty
    assert apply_review(project, path).empty
    write_review(project, path)  # every row recorded now: the workbook may be replaced


def test_review_cli_refuses_to_overwrite_in_one_line(built, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from casecode.cli import app

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    out = tmp_path / "review.xlsx"
    runner = CliRunner()
    assert runner.invoke(app, ["review", "-p", str(folder), "--out", str(out)]).exit_code == 0
    edit_workbook(out, out, {int(read_sheet(out).coding_id.iloc[0]): {"decision": "accept"}})
    result = runner.invoke(app, ["review", "-p", str(folder), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {out} holds 1 decision(s) not yet applied (first on row 2); apply them first (casecode review "
        f"--apply {out}), write the new workbook elsewhere with --out, or pass --force to replace it"]


# -- code: which units, and never a code a unit already carries -----------------------------------------------


def test_code_never_suggests_a_code_a_reviewer_added_by_hand(built, tmp_path):
    """Reported: --recode re-suggested a code the reviewer had already added by hand on the same unit."""
    from casecode.codebook import read_codebook
    from casecode.store import init_project
    from casecode.workflow import add_files, code_project

    from test_workflow import CODEBOOK

    files = built["files"]
    project = init_project(tmp_path / "p", read_codebook(CODEBOOK))
    try:
        add_files(project, [files["front"]])
        suggested = built["suggested"]
        unit = suggested[(suggested.document_id == "fenmoor-ceo") & (suggested.code == "partnerships")].iloc[0]
        project.record_decisions([{"segment_id": unit.segment_id, "decision": "add", "new_code": "partnerships",
                                   "decided_by": "Ana"}])
        for recode in (False, True):
            new = code_project(project, recode=recode)
            assert (unit.segment_id, "partnerships") not in set(zip(new.segment_id, new.code))
        codings = project.codings()
        assert len(codings[(codings.segment_id == unit.segment_id) & (codings.code == "partnerships")]) == 1
    finally:
        project.close()


class _EveryUnit:
    """A stand-in for a newly trained model: it suggests `bold` on every unit it is given."""

    def code(self, segments):
        from casecode.coders._codings import codings_frame

        return codings_frame([{"segment_id": s.segment_id, "document_id": s.document_id, "code": "bold",
                               "start": s.start, "end": s.end, "evidence": s.text, "rule": "model p=0.9",
                               "score": 0.9, "coder": "combined"} for s in segments.itertuples()])


def test_code_after_train_leaves_coded_documents_alone(project, monkeypatch, tmp_path):
    """Reported: after `train`, plain `code -p` added suggestions to units coded before."""
    import casecode.workflow._coding as coding
    from casecode.workflow import add_files, code_project, documents_to_code

    before = project.codings()
    monkeypatch.setattr(coding, "make_coder", lambda *a, **k: _EveryUnit())
    assert documents_to_code(project) == []
    assert code_project(project).empty
    pd.testing.assert_frame_equal(project.codings(), before)
    late = tmp_path / "late.txt"
    late.write_text("---\ncase: Fenmoor District Council\n---\n\nKim Park: We took a bold risk.\n", encoding="utf-8")
    add_files(project, [late])
    assert documents_to_code(project) == ["late"]
    new = code_project(project)
    assert set(new.document_id) == {"late"} and len(new) == 1
    again = code_project(project, recode=True)
    units = project.segments(codable=True)
    had_bold = set(before[before.code == "bold"].segment_id) | {"late:1"}
    assert set(again.segment_id) == set(units.segment_id) - had_bold


def test_code_cli_says_which_documents_it_codes(built, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from casecode.cli import app

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    result = CliRunner().invoke(app, ["code", "-p", str(folder)])
    assert result.exit_code == 0
    assert result.output.startswith("Nothing to code: all 8 documents were coded before; 'casecode code --recode'")


# -- cases: --case against front matter, documents without a case, evaluate with a manifest --------------------


def test_add_case_conflicting_with_front_matter_is_an_error(project, built):
    """Reported: `add --case` silently moved a council whose front matter names another case."""
    from casecode.errors import CorpusError
    from casecode.workflow import add_files

    files = built["files"]
    before = project.documents()
    with pytest.raises(CorpusError, match=r"fenmoor-ceo.txt: the file's own metadata says case 'Fenmoor District "
                                          r"Council', but --case says 'Ashby Borough Council'; correct one of them, "
                                          r"or pass --override-case"):
        add_files(project, [files["front"]], case="Ashby Borough Council")
    pd.testing.assert_frame_equal(project.documents(), before)
    assert add_files(project, [files["front"]], case="fenmoor  district council").status.tolist() == ["unchanged"]


def test_add_override_case_moves_the_file(project, built, tmp_path):
    from casecode.workflow import add_files

    moved = tmp_path / "moved.txt"  # its own words: a word-for-word copy of a project's document is refused
    moved.write_text(built["files"]["front"].read_text(encoding="utf-8") + "\nKim Park: And we moved.\n",
                     encoding="utf-8")
    added = add_files(project, [moved], case="Ashby Borough Council", override_case=True)
    assert added.case_id.tolist() == ["ashby_borough_council"]
    assert set(project.segments("moved").cases.map(tuple)) == {("ashby_borough_council",)}


def test_add_manifest_case_conflicting_with_front_matter_is_an_error(project, built, tmp_path):
    from casecode.errors import CorpusError
    from casecode.workflow import add_files

    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"file,case\n{built['files']['front']},Carlow City Council\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="but its manifest row says 'Carlow City Council'"):
        add_files(project, manifest=manifest)


def test_add_warns_about_a_document_without_a_case(project, tmp_path):
    from casecode.workflow import add_files

    loose = tmp_path / "loose.txt"
    loose.write_text("Kim Park: We took a bold risk.\n", encoding="utf-8")
    with pytest.warns(CasecodeWarning, match=r"1 document\(s\) added without a case \(loose\)"):
        add_files(project, [loose])


def test_evaluate_takes_cases_from_a_manifest(tmp_path):
    """Reported: without front matter, two files of one council were scored as two cases."""
    from casecode.codebook import read_codebook
    from casecode.workflow._evaluate import evaluate_files

    from test_workflow import CODEBOOK

    (tmp_path / "a.txt").write_text("Kim Park: We took a bold risk on the new service.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Lee Wong: We listen to our staff every week.\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("---\ncase: Ashby\n---\n\nAl Roe: We co-design with residents.\n",
                                    encoding="utf-8")
    gold = tmp_path / "gold.csv"
    gold.write_text("document,unit,code\na,1,bold\nb,1,employees\nc,1,residents\n", encoding="utf-8")
    predicted = tmp_path / "predicted.csv"
    predicted.write_text("document,unit,code\na,1,bold\nb,1,bold\nc,1,residents\n", encoding="utf-8")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,case\na.txt,Fenmoor\nb.txt,Fenmoor\n", encoding="utf-8")
    book = read_codebook(CODEBOOK)
    result = evaluate_files(predicted, gold, [tmp_path / "c.txt"], book, manifest=manifest)
    assert sorted(result.case_gold.index) == ["ashby", "fenmoor"]
    assert result.case_gold.loc["fenmoor", "employees"] == 1 and result.case_predicted.loc["fenmoor", "bold"] == 1
    with pytest.warns(CasecodeWarning, match=r"2 document\(s\) have no case \(a, b\)"):
        alone = evaluate_files(predicted, gold, [tmp_path / n for n in ("a.txt", "b.txt", "c.txt")], book)
    assert len(alone.case_gold) == 3


# -- the review workbook explains itself ----------------------------------------------------------------------


def test_review_workbook_explains_itself_and_prints(project, tmp_path):
    import openpyxl

    path = write_review(project, tmp_path / "review.xlsx")["workbook"]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["review", "codes", "how to review"] and book.active.title == "review"
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    notes = {name: sheet.cell(row=1, column=i + 1).comment for i, name in enumerate(header)}
    assert "accept" in notes["decision"].text and "recode" in notes["decision"].text
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0 and sheet.print_title_rows == "$1:$1"
    text_col = header.index("unit_text") + 1
    for row in range(2, sheet.max_row + 1):  # wrapped and tall enough for every line: rows never overlap
        text = sheet.cell(row=row, column=text_col).value
        assert sheet.cell(row=row, column=text_col).alignment.wrap_text
        assert sheet.row_dimensions[row].height >= 15 * -(-len(text) // 59)
    help_rows = [r for r in book["how to review"].iter_rows(values_only=True)]
    words = " ".join(str(v) for r in help_rows for v in r if v)
    for decision in ("accept:", "reject:", "recode:", "add:"):
        assert decision in words
    examples = [r for r in help_rows if r[4] in ("accept", "reject", "recode", "add")]
    assert [r[4] for r in examples] == ["accept", "reject", "recode", "add"]
    assert examples[-1][0] is None and examples[-1][5]  # add: no coding_id, a new_code


def test_review_why_is_in_words_not_pattern_syntax(project, tmp_path):
    path = write_review(project, tmp_path / "review.xlsx")["workbook"]
    sheet = read_sheet(path)
    for row in sheet.itertuples():
        assert row.why.startswith(f"matched {row.evidence!r}") or row.why.startswith("no phrase"), row.why
        assert ":" not in row.why.split(";")[0].replace(row.evidence, "")  # no pattern ids such as bold:one-team


@pytest.mark.parametrize("rule, pattern, evidence, why", [
    ("resources-ring-fence (hedged: 'a bit')", "resources-ring-fence", "ring-fenced budget",
     "matched 'ring-fenced budget'; hedged by 'a bit'"),
    ("rule:bold-radical (question) + model p=0.74", "bold-radical", "radically different",
     "matched 'radically different'; said as a question; the learned model agrees (74% sure)"),
    ("model p=0.93 (top terms: fund, neg_budget, set_aside)", "", "Jo: We set aside a fund.",
     "no phrase of the codebook matched; the learned model is 93% sure from the whole turn, most of all from the "
     "words 'fund', 'budget', 'set aside' (the evidence is the sentence holding most of them)"),
    # the pattern id is the coding's own column: one holding " (" or "+ model" is not misread as notes or a model
    ("bold:plus (model) (question)", "bold:plus (model)", "a plus model", "matched 'a plus model' (Plus); said as "
                                                                          "a question"),
    ("rule:learn+model p (hedged: 'a bit (sort of)') + model p=0.6", "learn+model p", "we learn",
     "matched 'we learn'; hedged by 'a bit (sort of)'; the learned model agrees (60% sure)"),
])
def test_why_in_words(rule, pattern, evidence, why):
    from casecode.interop._workbook import why_in_words

    assert why_in_words(rule, evidence, {"bold:plus (model)": "Plus"}, pattern) == why


def test_review_points_a_model_only_suggestion_at_its_sentence(tmp_path):
    from casecode.codebook._model import codebook_from_dict
    from casecode.interop import write_review_workbook

    text = "Jo Bell (Director of Finance): We meet every week. We set aside a fund for new ideas! It worked."
    segments = pd.DataFrame({"segment_id": ["d:1"], "document_id": ["d"], "unit": [1], "start": [0],
                             "end": [len(text)], "text": [text], "speaker": ["Jo Bell"],
                             "time": ["00:01:02–00:01:09"]})
    suggestion = pd.DataFrame([{"coding_id": 1, "segment_id": "d:1", "document_id": "d", "code": "resources",
                                "start": 0, "end": len(text), "evidence": text, "score": 0.93, "coder": "combined",
                                "rule": "model p=0.93 (top terms: fund, neg_idea, aside)"}])
    book = codebook_from_dict({"name": "t", "codes": [{"id": "resources", "label": "Resources"}]})
    sheet = read_sheet(write_review_workbook(tmp_path / "r.xlsx", suggestion, segments, book))
    assert sheet.evidence.tolist() == ["We set aside a fund for new ideas!"]
    assert sheet.time.tolist() == ["00:01:02–00:01:09"]


def test_review_shows_subtitle_timestamps(project, tmp_path):
    written = write_review(project, tmp_path / "review.xlsx", html_dir=tmp_path / "html")
    sheet = read_sheet(written["workbook"])
    panel = sheet[sheet.document == "carlow-panel"]
    assert len(panel) and set(panel.time) == {"00:00:04–00:00:09"}
    assert sheet[sheet.document == "fenmoor-ceo"].time.isna().all()
    html = (tmp_path / "html" / "carlow-panel.html").read_text(encoding="utf-8")
    assert '<span class="cc-time">00:00:04–00:00:09</span>' in html


# -- seeing and managing what a project holds ------------------------------------------------------------------


def test_project_status_and_lists(project, tmp_path):
    from casecode.workflow import list_cases, list_codes, list_documents, project_status
    from casecode.workflow._manage import status_lines

    suggested = len(project.codings(status="suggested"))
    first = int(project.codings(status="suggested").coding_id.iloc[0])
    project.record_decisions([{"coding_id": first, "decision": "accept", "decided_by": "Ana"}])
    status = project_status(project)
    assert (status["documents"], status["cases"], status["decisions"]) == (8, 3, 1)
    assert status["units"] == int(project.segments().codable.sum())
    assert status["codings"] == {"suggested": suggested - 1, "accepted": 1, "rejected": 0, "manual": 0,
                                 "reference": 0}
    assert status["reviewers"] == {"Ana": 1} and status["not_coded"] == [] and status["without_case"] == []
    assert status["codebook"].endswith(f"({len(project.codebook())} codes)")
    assert status["coder"].startswith("rules (no learned model")
    lines = status_lines(status)
    assert lines[0].startswith("project") and any(line.startswith("reviewers  Ana (1)") for line in lines)
    documents = list_documents(project)
    assert sorted(documents.document_id) == sorted(project.documents().document_id)
    assert documents.suggested.sum() == suggested - 1 and documents.accepted.sum() == 1 and documents.coded.all()
    cases = list_cases(project).set_index("case_id")
    assert cases.loc["carlow_city_council", "documents"] == 3 and cases.codings.sum() == 1
    codes = list_codes(project)
    assert list(codes.code) == project.codebook().ids and codes.standing.sum() == 1


def test_status_says_how_many_more_documents_it_does_not_name():
    """Found in an outside-in audit: '8 not coded yet: a, b, c, d, e' named five and left three out unsaid."""
    from casecode.workflow._manage import status_lines

    status = {"project": "p", "documents": 8, "not_coded": [f"d{i}" for i in range(1, 9)], "cases": 1,
              "without_case": ["d1", "d2"], "units": 8, "codings": {}, "reviewers": {}, "decisions": 0,
              "codebook": "c (1 codes)", "coder": "rules"}
    lines = status_lines(status)
    assert lines[1] == "documents  8 (8 not coded yet: d1, d2, d3, d4, d5 and 3 more)"
    assert lines[2] == "cases      1 (2 document(s) without a case: d1, d2)"


def test_status_cli_prints_the_project(built, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from casecode.cli import app

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    runner = CliRunner()
    result = runner.invoke(app, ["status", "-p", str(folder)])
    assert result.exit_code == 0 and "documents  8" in result.output and "codebook   " in result.output
    listed = runner.invoke(app, ["list", "cases", "-p", str(folder)])
    assert "carlow_city_council" in listed.output
    wrong = runner.invoke(app, ["list", "people", "-p", str(folder)])
    assert wrong.exit_code == 1 and wrong.output.strip() == (
        "Error: cannot list 'people'; list one of documents, cases, codes")
    out = tmp_path / "docs.xlsx"
    assert runner.invoke(app, ["list", "documents", "-p", str(folder), "--out", str(out)]).exit_code == 0
    assert len(pd.read_excel(out)) == 8


def test_remove_document_and_refuse_a_reviewed_one(project):
    from casecode.errors import StoreError
    from casecode.workflow import remove_document

    remove_document(project, "carlow-panel")
    assert "carlow-panel" not in set(project.documents().document_id)
    assert "carlow-panel" not in set(project.codings().document_id)
    assert "carlow-panel" not in project.coded_documents()
    coding = project.codings()[project.codings().document_id == "fenmoor-ceo"].coding_id.iloc[0]
    project.record_decisions([{"coding_id": int(coding), "decision": "accept", "decided_by": "Ana"}])
    with pytest.raises(StoreError, match="document 'fenmoor-ceo' has 1 reviewed"):
        remove_document(project, "fenmoor-ceo")


def test_rename_case_moves_units_memos_and_counts(project, tmp_path):
    from casecode.workflow import project_tables, rename_case

    project.add_memo("case", "carlow_city_council", "Unitary since 2009.")
    accepted = project.codings()[project.codings().document_id == "carlow-leader"].coding_id.iloc[0]
    project.record_decisions([{"coding_id": int(accepted), "decision": "accept", "decided_by": "Ana"}])
    new_id = rename_case(project, "Carlow City Council", "Carlow Council")
    assert new_id == "carlow_council"
    cases = project.cases().set_index("case_id")
    assert "carlow_city_council" not in cases.index and cases.loc["carlow_council", "name"] == "Carlow Council"
    assert set(project.segments("carlow-leader").cases.map(tuple)) == {("carlow_council",)}
    assert project.memos("case", "carlow_council").text.tolist() == ["Unitary since 2009."]
    assert project.documents().set_index("document_id").metadata["carlow-leader"]["case"] == "Carlow Council"
    assert project_tables(project).matrix.loc["carlow_council"].sum() == 1


# -- changing the codebook --------------------------------------------------------------------------------------


def test_edit_rename_and_merge_codes_with_codings_following(project):
    from casecode.codebook import read_codebook
    from casecode.errors import CodebookError
    from casecode.workflow import edit_code, merge_codes, project_tables, rename_code

    codings = project.codings()
    learn = int((codings.code == "learn").sum())
    partnerships = int((codings.code == "partnerships").sum())
    first = int(codings[codings.code == "learn"].coding_id.iloc[0])
    project.record_decisions([{"coding_id": first, "decision": "accept", "decided_by": "Ana"}])
    project.add_memo("code", "learn", "Visits count.")
    edit_code(project, "bold", label="Be bold", color="#ff9561")
    assert project.codebook()["bold"].label == "Be bold" and project.codebook()["bold"].color == "#ff9561"
    with pytest.raises(CodebookError, match="colour 'red' is not #RRGGBB"):
        edit_code(project, "bold", color="red")

    assert rename_code(project, "learn", "learning") == learn
    book = project.codebook()
    assert "learn" not in book and book.ids.index("learning") == read_codebook(
        project.codebook_path).ids.index("learning")
    after = project.codings()
    assert int((after.code == "learning").sum()) == learn and "learn" not in set(after.code)
    assert project.decisions().code.tolist() == ["learning"]
    assert project.memos("code", "learning").text.tolist() == ["Visits count."]
    assert project_tables(project).per_code.set_index("code").loc["learning", "codings"] == 1
    with pytest.raises(CodebookError, match="code 'partnerships' already exists; merge into it"):
        rename_code(project, "learning", "partnerships")
    with pytest.raises(CodebookError, match="code 'learning' already has the id 'learning'; name a different new id"):
        rename_code(project, "learning", "learning")  # it said: merge 'learning' into itself, which merge refuses

    patterns = len(book["learning"].patterns) + len(book["partnerships"].patterns)
    assert merge_codes(project, "learning", "partnerships")["moved"] == learn
    book = project.codebook()
    assert "learning" not in book and len(book["partnerships"].patterns) == patterns
    assert int((project.codings().code == "partnerships").sum()) == learn + partnerships
    assert project.code_map() == {"learn": "partnerships", "learning": "partnerships"}


def _units_with_agile_and_learn(project):
    """Four units, each coded both 'agile' and 'learn' in a different way (see the merge test)."""
    units = list(project.segments(codable=True).segment_id[:4])
    ids = project.add_codings([
        {"segment_id": units[0], "code": "agile", "coder": "rules", "score": 0.6},
        {"segment_id": units[0], "code": "learn", "coder": "rules", "score": 0.8},
        {"segment_id": units[1], "code": "agile", "coder": "rules", "score": 0.9},
        {"segment_id": units[1], "code": "learn", "coder": "combined", "score": 0.7},
        {"segment_id": units[3], "code": "agile", "coder": "rules", "score": 0.9},
        {"segment_id": units[3], "code": "learn", "coder": "rules", "score": 0.9},
    ], run="merge-test", skip_coded_by=())
    project.record_decisions([
        {"coding_id": ids[2], "decision": "accept", "decided_by": "Ana"},
        {"coding_id": ids[3], "decision": "accept", "decided_by": "Ben"},
        {"segment_id": units[2], "decision": "add", "new_code": "agile", "decided_by": "Cara"},
        {"segment_id": units[2], "decision": "add", "new_code": "learn", "decided_by": "Dan"},
        {"coding_id": ids[4], "decision": "accept", "decided_by": "Ana"},
    ])
    return units, ids


def test_merge_codes_folds_a_second_coding_of_one_code_on_a_unit(project):
    """Merging used to leave a unit coded 'learn' twice: counts and kappa then saw a duplicate."""
    from casecode.errors import StoreError
    from casecode.workflow import merge_codes, project_tables

    project.record_decisions([{"coding_id": int(i), "decision": "reject", "decided_by": "Eve"}
                              for i in project.codings(code=["agile", "learn"]).coding_id])
    units, ids = _units_with_agile_and_learn(project)
    agile = int((project.codings().code == "agile").sum())
    merged = merge_codes(project, "agile", "learn")
    assert merged == {"moved": agile, "folded": 3}
    status = project.codings().set_index("coding_id").status
    # unit 0: two suggestions of learn by one coder: the better-scored one stays, the other is folded into it
    assert status[ids[1]] == "suggested" and status[ids[0]] == "folded"
    # unit 1: accepted by Ana and by Ben: one accepted coding stands for both
    assert status[ids[2]] == "accepted" and status[ids[3]] == "folded"
    # unit 2: two people's codings by hand are two judgements, both kept
    standing = project.current_codings()
    assert standing[standing.segment_id == units[2]].code.tolist() == ["learn", "learn"]
    # unit 3: a suggestion of a code the unit now has accepted asks nothing: folded into the accepted coding
    assert status[ids[4]] == "accepted" and status[ids[5]] == "folded"
    for unit in (units[0], units[1], units[3]):
        live = project.codings()[(project.codings().segment_id == unit) & (project.codings().status != "folded")]
        assert not live.duplicated(["code", "status"]).any(), unit
    folds = project.decisions().query("decision == 'fold'")
    assert sorted(zip(folds.coding_id, folds.new_coding_id)) == [(ids[0], ids[1]), (ids[3], ids[2]),
                                                                 (ids[5], ids[4])]
    assert set(folds.decided_by) == {"casecode"} and "agile into learn" in folds.source.iloc[0]
    assert "fold" not in set(project.decisions(standing=True).decision)
    assert project.check()["problems"] == []
    counted = project_tables(project).per_code.set_index("code").loc["learn", "codings"]
    assert counted == len(project.current_codings()) == 4  # unit 1 once, unit 2 twice (two people), unit 3 once
    with pytest.raises(StoreError, match=rf"coding {ids[3]} was folded into coding {ids[2]} when two codes were "
                                         rf"merged; decide on coding {ids[2]} instead"):
        project.record_decisions([{"coding_id": ids[3], "decision": "accept", "decided_by": "Ben"}])
    project.undo_decision("casecode")  # a fold is a decision like any other: undoing it brings the coding back
    project.undo_decision("casecode")
    assert project.codings().set_index("coding_id").status[[ids[3], ids[5]]].tolist() == ["accepted", "suggested"]
    problems = project.check()["problems"]  # the doubles are back, and named
    assert problems[0] == f"1 suggestion(s) stored more than once: {units[3]} learn by rules"
    assert problems[1].startswith("1 unit(s) holding one code twice") and problems[1].endswith(f"{units[1]} learn")


def test_merge_cli_says_how_many_codings_were_folded(built, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from casecode.cli import app
    from casecode.store import open_project

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    with open_project(folder) as project:
        _units_with_agile_and_learn(project)
    result = CliRunner().invoke(app, ["codebook", "merge", "agile", "learn", "-p", str(folder)])
    assert result.exit_code == 0, result.output
    assert "3 folded into a coding of learn on the same unit" in result.output


def test_recode_or_accept_onto_a_code_the_unit_has_is_refused(project):
    from casecode.errors import StoreError

    unit = project.segments(codable=True).segment_id.iloc[0]
    first, second = project.add_codings([{"segment_id": unit, "code": "bold", "coder": "rules"},
                                         {"segment_id": unit, "code": "culture", "coder": "rules"}],
                                        skip_coded_by=())
    project.record_decisions([{"coding_id": first, "decision": "accept", "decided_by": "Ana"}])
    before = len(project.decisions())
    with pytest.raises(StoreError, match=rf"decisions row 0, column 'new_code': segment '{unit}' already has code "
                                         rf"'bold' \(coding {first}, accepted\); reject this suggestion instead"):
        project.record_decisions([{"coding_id": second, "decision": "recode", "new_code": "bold",
                                   "decided_by": "Ben"}])
    project.record_decisions([{"coding_id": second, "decision": "recode", "new_code": "residents",
                               "decided_by": "Ben"}])
    third = project.add_codings([{"segment_id": unit, "code": "residents", "coder": "model"}], skip_coded_by=())[0]
    with pytest.raises(StoreError, match=rf"column 'decision': segment '{unit}' already has code 'residents' "
                                         rf"\(coding \d+, manual\); reject this suggestion instead"):
        project.record_decisions([{"coding_id": third, "decision": "accept", "decided_by": "Ana"}])
    assert len(project.decisions()) == before + 1
    standing = project.current_codings()
    assert not standing[standing.segment_id == unit].duplicated("code").any()


def test_check_names_a_unit_holding_an_accepted_code_twice(project):
    """A project merged by an older casecode holds such units; `casecode check` now says so."""
    from sqlalchemy import text

    units = list(project.segments(codable=True).segment_id[:2])
    ids = project.add_codings([{"segment_id": units[0], "code": "bold", "coder": "rules"},
                               {"segment_id": units[0], "code": "bold", "coder": "combined"},
                               {"segment_id": units[1], "code": "bold", "coder": "rules"}], skip_coded_by=())
    project.record_decisions([{"coding_id": ids[0], "decision": "accept", "decided_by": "Ana"},
                              {"segment_id": units[1], "decision": "add", "new_code": "bold", "decided_by": "Ben",
                               "start": int(project.segments().set_index("segment_id").start[units[1]]),
                               "end": int(project.segments().set_index("segment_id").start[units[1]]) + 3}])
    assert project.check()["problems"] == []  # an accepted coding and a passage added by hand: two judgements
    with project._begin(write=True) as conn:  # as an older merge left it: both accepted
        conn.execute(text(f"UPDATE codings SET status = 'accepted' WHERE coding_id IN ({ids[1]}, {ids[2]})"))
    problems = [p for p in project.check()["problems"] if "twice" in p]
    assert problems == [f"2 unit(s) holding one code twice (accepted, and accepted or added again), so counts and "
                        f"agreement see it twice; reject one of each on the page (casecode serve): {units[0]} bold, "
                        f"{units[1]} bold"]


def test_apply_refuses_a_recode_onto_a_code_the_unit_has_naming_the_row(project, tmp_path):
    from casecode.errors import CasecodeError
    from casecode.workflow import apply_review

    unit = project.segments(codable=True).segment_id.iloc[0]
    first, second = project.add_codings([{"segment_id": unit, "code": "bold", "coder": "rules"},
                                         {"segment_id": unit, "code": "culture", "coder": "rules"}],
                                        skip_coded_by=())
    path = write_review(project, tmp_path / "review.xlsx")["workbook"]
    rows = read_sheet(path)
    edit_workbook(path, path, {first: {"decision": "accept", "decided_by": "Ana"},
                               second: {"decision": "recode", "new_code": "bold", "decided_by": "Ana"}})
    row = int(rows.index[rows.coding_id == second][0]) + 2
    with pytest.raises(CasecodeError, match=rf"review.xlsx: row {row}, column 'new_code': segment '{unit}' already "
                                            rf"has code 'bold' \(coding {first}, accepted\); reject this suggestion"):
        apply_review(project, path)
    assert project.decisions().empty


def test_set_codebook_replaces_it_and_refuses_dropping_used_codes(project, tmp_path):
    from casecode.codebook import read_codebook, write_codebook
    from casecode.errors import StoreError
    from casecode.workflow import set_codebook

    book = project.codebook()
    bigger = book.model_copy(update={"codes": [*book.codes, book["bold"].model_copy(
        update={"id": "digital_first", "label": "Digital first", "patterns": []})]})
    write_codebook(bigger, tmp_path / "bigger.yaml")
    set_codebook(project, tmp_path / "bigger.yaml")
    assert "digital_first" in project.codebook() and "digital_first" in read_codebook(project.codebook_path)
    used = project.codings().code.iloc[0]
    smaller = book.model_copy(update={"codes": [c for c in book.codes if c.id != used]})
    write_codebook(smaller, tmp_path / "smaller.yaml")
    with pytest.raises(StoreError, match=f"drops code '{used}'"):
        set_codebook(project, tmp_path / "smaller.yaml")
    assert used in project.codebook()


def test_code_after_a_rename_uses_the_new_id(project, monkeypatch):
    """A model trained before a rename still suggests under the old id; the suggestion lands on the new one."""
    import casecode.workflow._coding as coding
    from casecode.workflow import code_project, rename_code

    rename_code(project, "bold", "brave")
    monkeypatch.setattr(coding, "make_coder", lambda *a, **k: _EveryUnit())  # suggests 'bold' everywhere
    new = code_project(project, recode=True)
    assert set(new.code) == {"brave"}


def test_a_code_renamed_while_code_runs_moves_with_the_codings_not_yet_stored(project, monkeypatch):
    """Found in an outside-in audit: `codebook rename bold brave` while `code -p` ran failed the run at its next
    store with 'codings row 0: unknown code 'bold'': batches coded before the rename were stored after it."""
    import casecode.workflow._coding as coding
    import casecode.workflow._shards as shards
    from casecode.workflow import code_project, rename_code

    coded = shards.iter_segment_codings

    def renamed_after_the_first_batch(*args, **kwargs):
        for n, batch in enumerate(coded(*args, **kwargs)):
            yield batch  # coded, waiting to be stored
            if n == 0:
                rename_code(project, "bold", "brave")  # another command, meanwhile

    monkeypatch.setattr(coding, "make_coder", lambda *a, **k: _EveryUnit())
    monkeypatch.setattr(shards, "iter_segment_codings", renamed_after_the_first_batch)
    new = code_project(project, recode=True)
    assert len(new) and set(new.code) == {"brave"}
    assert "bold" not in set(project.codings().code)


def test_two_codebook_edits_at_once_keep_both_changes(built, tmp_path, monkeypatch):
    """Found in an outside-in audit: codebook edits read the codebook before taking the write lock, so a second
    `casecode codebook edit` meanwhile was lost when the first stored the codebook it had read."""
    import shutil
    import threading

    import casecode.workflow._manage as manage
    from casecode.codebook import read_codebook
    from casecode.store import open_project
    from casecode.workflow import edit_code

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    rebuilt, other = manage._rebuilt, []

    def meanwhile(codebook, codes):
        if not other:  # the first edit has read the codebook: another command edits another code now
            def second():
                with open_project(folder) as project:
                    edit_code(project, "agile", label="Nimble")

            other.append(threading.Thread(target=second))
            other[0].start()
            other[0].join(timeout=2)  # it finishes now if nothing holds it back, else waits for the lock
        return rebuilt(codebook, codes)

    monkeypatch.setattr(manage, "_rebuilt", meanwhile)
    with open_project(folder) as project:
        edit_code(project, "bold", label="Brave")
    other[0].join(timeout=60)
    assert not other[0].is_alive()
    with open_project(folder) as project:
        labels = {c.id: c.label for c in project.codebook()}
    assert (labels["bold"], labels["agile"]) == ("Brave", "Nimble")
    assert {c.id: c.label for c in read_codebook(folder / "codebook.yaml")} == labels


# -- retrieval --------------------------------------------------------------------------------------------------


@pytest.fixture
def decided(project):
    """Accept every suggestion (Ana), reject one (Ben), add 'culture' by hand to a unit coded 'partnerships'."""
    suggested = project.codings(status="suggested")
    rejected = int(suggested[suggested.document_id == "carlow-panel"].coding_id.iloc[0])
    project.record_decisions([{"coding_id": int(i), "decision": "accept", "decided_by": "Ana"}
                              for i in suggested.coding_id if i != rejected]
                             + [{"coding_id": rejected, "decision": "reject", "decided_by": "Ben"}])
    unit = suggested[(suggested.document_id == "fenmoor-ceo") & (suggested.code == "partnerships")].iloc[0]
    project.record_decisions([{"segment_id": unit.segment_id, "decision": "add", "new_code": "culture",
                               "decided_by": "Cara"}])
    project.add_cases([{"case_id": c, "name": n, "type": t} for c, n, t in [
        ("fenmoor_district_council", "Fenmoor District Council", "district"),
        ("ashby_borough_council", "Ashby Borough Council", "district"),
        ("carlow_city_council", "Carlow City Council", "unitary")]])
    return {"suggested": suggested, "rejected": rejected, "unit": unit}


def test_coded_segments_hold_quote_speaker_case_code_status_reviewer(project, decided, tmp_path):
    from casecode.interop import write_table
    from casecode.workflow import coded_segments
    from casecode.workflow._retrieve import SEGMENT_EXPORT_COLUMNS

    table = coded_segments(project)
    assert list(table.columns) == SEGMENT_EXPORT_COLUMNS
    assert len(table) == len(decided["suggested"])  # all accepted but one, plus one added
    assert decided["rejected"] not in set(table.coding_id)
    added = table[table.code == "culture"].iloc[0]
    assert (added.reviewer, added.status, added.case_type, added.speaker) == ("Cara", "manual", "district",
                                                                             "Jane Smith")
    assert added.speaker_role == "Chief Executive" and added.case_name == "Fenmoor District Council"
    accepted = table[table.status == "accepted"]
    assert set(accepted.reviewer) == {"Ana"}
    texts = {d: project.document_text(d) for d in table.document_id.unique()}
    assert all(texts[r.document_id][r.start:r.end] == r.quote for r in table.itertuples())
    assert set(table[table.document_id == "carlow-partners"].time) == {"00:00:03–00:00:08"}
    for name in ("segments.csv", "segments.xlsx"):
        back = pd.read_csv(write_table(table, tmp_path / name)) if name.endswith("csv") else \
            pd.read_excel(write_table(table, tmp_path / name))
        assert list(back.columns) == SEGMENT_EXPORT_COLUMNS and len(back) == len(table)
    with_suggestions = coded_segments(project, ("accepted", "manual", "rejected"))
    assert decided["rejected"] in set(with_suggestions.coding_id)


def test_queries_by_code_case_type_role_cooccurrence_and_keyword(project, decided):
    from casecode.errors import AnalysisError
    from casecode.workflow import cooccurrence, keyword_in_context, query_segments

    by_code = query_segments(project, code="partnerships")
    assert len(by_code) and set(by_code.code) == {"partnerships"}
    unitary = query_segments(project, case_type="unitary")
    assert len(unitary) and set(unitary.case_id) == {"carlow_city_council"}
    directors = query_segments(project, role="director")
    assert len(directors) and all("director" in r.lower() for r in directors.speaker_role)
    both = cooccurrence(project, "partnerships", "culture")
    assert both[["document_id", "unit"]].values.tolist() == [["fenmoor-ceo", int(decided["unit"].segment_id
                                                                                   .split(":")[1])]]
    assert both.iloc[0]["quote_partnerships"] == decided["unit"].evidence
    assert both.iloc[0]["quote_culture"] == both.iloc[0]["unit_text"]  # added by hand: the whole unit
    kwic = keyword_in_context(project, "housing association")
    assert len(kwic) == 3 and set(kwic.keyword.str.lower()) == {"housing association"}
    assert all(r.left.endswith("the") for r in kwic.itertuples())
    assert "partnerships" in kwic.codes.iloc[0]
    with pytest.raises(AnalysisError, match="no code 'partners' in the project's codebook"):
        query_segments(project, code="partners")


def test_query_by_a_case_type_or_role_the_project_lacks_is_an_error_naming_the_known_ones(project, decided):
    """Reported: `query --case` with a misspelt case printed "No segments match", as if the case had no codings."""
    from casecode.errors import AnalysisError
    from casecode.workflow import query_segments

    assert len(query_segments(project, case="Carlow")) and len(query_segments(project, case="carlow_city_council"))
    with pytest.raises(AnalysisError, match=r"^--case 'Carlo City': no case of this project has it in its id or "
                                            r"name; cases: ashby_borough_council \(Ashby Borough Council\), "
                                            r"carlow_city_council \(Carlow City Council\), .*; give a case id"):
        query_segments(project, case="Carlo City")
    with pytest.raises(AnalysisError, match=r"^--case-type 'unitry': no case of this project has that type; "
                                            r"types: .*unitary"):
        query_segments(project, case_type="unitry")
    with pytest.raises(AnalysisError, match=r"^--role 'drector': no speaker of this project has a role containing "
                                            r"it; roles: .*Finance Director"):
        query_segments(project, role="drector")


def test_query_and_export_cli(built, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from casecode.cli import app

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    runner = CliRunner()
    result = runner.invoke(app, ["export", "segments", "-p", str(folder), "--out", str(tmp_path / "s.csv"),
                                 "--include-suggested"])
    assert result.exit_code == 0 and result.output.startswith("Wrote ")
    assert len(pd.read_csv(tmp_path / "s.csv")) == len(built["suggested"])
    kwic = runner.invoke(app, ["query", "-p", str(folder), "--kwic", "Wigan"])
    assert kwic.exit_code == 0 and "[Wigan]" in kwic.output and kwic.output.endswith("3 rows\n")
    wrong = runner.invoke(app, ["query", "-p", str(folder), "--with", "culture"])
    assert wrong.output.strip() == "Error: --with needs exactly one --code: the two codes to find together"
    unknown = runner.invoke(app, ["query", "-p", str(folder), "--case", "Nowhere"])
    assert unknown.exit_code == 1 and unknown.output.startswith("Error: --case 'Nowhere': no case of this project")
    assert "carlow_city_council (Carlow City Council)" in unknown.output and "Traceback" not in unknown.output
    ignored = runner.invoke(app, ["query", "-p", str(folder), "--kwic", "Wigan", "--case", "Carlow"])
    assert ignored.output.strip() == ("Error: --kwic does not filter by --case; leave it out, or query without "
                                      "--kwic (e.g. casecode query --case NAME --code CODE)")


# -- undo ------------------------------------------------------------------------------------------------------


def _undo(folder, *args):
    from typer.testing import CliRunner

    from casecode.cli import app

    return CliRunner().invoke(app, ["undo", "-p", str(folder), *args])


def test_undo_cli_takes_back_the_last_decisions_newest_first_and_keeps_them_in_the_history(project):
    first, second, third = (int(i) for i in project.codings(status="suggested").coding_id[:3])
    code = project.codings().set_index("coding_id").code
    other = next(c for c in project.codebook().ids if c not in (code[third],))
    project.record_decisions([{"coding_id": first, "decision": "accept", "decided_by": "Ana"},
                              {"coding_id": second, "decision": "reject", "decided_by": "Ben"},
                              {"coding_id": third, "decision": "recode", "new_code": other, "decided_by": "Ana"}])
    recoded = int(project.decisions().new_coding_id.iloc[2])
    unit = project.codings().set_index("coding_id").segment_id
    result = _undo(project.path, "--last", "2")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Undid decision 3 by Ana: recode of coding {third} from {code[third]} to {other} on unit {unit[third]} "
        f"(coding {recoded} no longer stands)",
        f"Undid decision 2 by Ben: reject of coding {second} ({code[second]} on unit {unit[second]})"]
    status = project.codings().set_index("coding_id").status
    assert status[[first, second, third, recoded]].tolist() == ["accepted", "suggested", "suggested", "withdrawn"]
    history = project.decisions()
    assert history.decision.tolist() == ["accept", "reject", "recode", "undo", "undo"]
    assert history.source.tolist()[3:] == ["casecode undo"] * 2
    assert history.comment.tolist()[3:] == ["undoes decision 3 (recode)", "undoes decision 2 (reject)"]
    refused = _undo(project.path, "--reviewer", "Ben")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.output.strip() == (f"Error: 'Ben' has no decision left to undo in project {project.name!r}; name "
                                      f"a reviewer whose decisions stand: Ana")
    assert _undo(project.path).exit_code == 0
    assert project.codings().set_index("coding_id").status[first] == "suggested"
    nothing = _undo(project.path)
    assert nothing.exit_code == 1
    assert nothing.output.strip() == (f"Error: nothing to undo in project {project.name!r}: no decision stands (each "
                                      f"one recorded was taken back)")
    assert project.check()["problems"] == []


def test_undo_cli_of_an_add_another_reviewer_joined_says_the_coding_still_stands(project):
    unit = project.segments(codable=True).segment_id.iloc[0]
    add = {"segment_id": unit, "decision": "add", "new_code": "culture"}
    project.record_decisions([dict(add, decided_by="Ana"), dict(add, decided_by="Ben")])
    made = int(project.decisions().new_coding_id.iloc[0])
    result = _undo(project.path, "--reviewer", "Ana")
    assert result.output.splitlines() == [f"Undid decision 1 by Ana: add of culture on unit {unit} (coding {made} "
                                          f"still stands: another reviewer coded it too)"]
    assert _undo(project.path).output.splitlines() == [f"Undid decision 2 by Ben: add of culture on unit {unit} "
                                                       f"(coding {made} no longer stands)"]
    assert project.codings().set_index("coding_id").status[made] == "withdrawn"
    assert project.check()["problems"] == []


def test_an_undone_add_is_withdrawn_not_a_rejected_suggestion(project):
    """Found in an outside-in audit: an undone add's coding got status 'rejected', so status, list documents and the
    page showed one more rejected suggestion than any reviewer rejected, one more per undo and apply again."""
    from casecode.workflow import list_documents, project_status, undo_decisions

    unit = project.segments("fenmoor-policy", codable=True).iloc[-1]
    before = project_status(project)["codings"]
    for _ in range(2):  # added, undone, added again, undone again
        project.record_decisions([{"segment_id": unit.segment_id, "decision": "add", "new_code": "culture",
                                   "decided_by": "Ana"}])
        undo_decisions(project, reviewer="Ana")
    after = project_status(project)["codings"]
    assert after == {**before, "withdrawn": 2} and after["rejected"] == before["rejected"]
    documents = list_documents(project).set_index("document_id")
    assert documents.at["fenmoor-policy", "rejected"] == 0 and documents.at["fenmoor-policy", "manual"] == 0


def test_undo_cli_is_all_or_none(project):
    from casecode.workflow import undo_decisions

    ids = [int(i) for i in project.codings(status="suggested").coding_id[:2]]
    project.record_decisions([{"coding_id": i, "decision": "accept", "decided_by": "Ana"} for i in ids])
    before = project.decisions()
    result = _undo(project.path, "--last", "3")
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: --last 3: only 2 decision(s) stand in project {project.name!r}, so "
                                     f"nothing was undone; pass --last 2 or less")
    pd.testing.assert_frame_equal(project.decisions(), before)
    assert set(project.codings().set_index("coding_id").status[ids]) == {"accepted"}
    with pytest.raises(ReviewError, match="--last is 0; give how many decisions to undo, 1 or more"):
        undo_decisions(project, last=0)
    undone = undo_decisions(project, last=2)
    assert undone.decision_id.tolist() == [2, 1] and undone.decided_by.tolist() == ["Ana", "Ana"]


def test_undo_after_a_merge_names_the_fold_and_takes_folds_back_only_when_asked(project):
    from casecode.workflow import merge_codes

    project.record_decisions([{"coding_id": int(i), "decision": "reject", "decided_by": "Eve"}
                              for i in project.codings(code=["agile", "learn"]).coding_id])
    units, ids = _units_with_agile_and_learn(project)
    merge_codes(project, "agile", "learn")
    folds = project.decisions().query("decision == 'fold'")
    last = folds.iloc[-1]
    project.record_decisions([{"segment_id": units[0], "decision": "add", "new_code": "bold", "decided_by": "Ana"}])
    before = project.decisions()
    two = _undo(project.path, "--last", "2")  # the add, then the fold: refused, so the add stands too
    assert two.exit_code == 1 and two.output.strip().endswith("(nothing was undone: --last 1 takes back only the "
                                                              "newer ones)")
    pd.testing.assert_frame_equal(project.decisions(), before)
    assert _undo(project.path).output.startswith(f"Undid decision {before.decision_id.iloc[-1]} by Ana: add of bold")
    result = _undo(project.path)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: decision {last.decision_id} is a fold casecode recorded when merging codes (codebook merge "
        f"agile into learn); undoing it brings back coding {last.coding_id} beside coding "
        f"{last.new_coding_id} but does not unmerge the codes, which casecode cannot do; take the folds back with "
        f"--reviewer casecode, or restore a copy of the project made before the merge")
    ana = _undo(project.path, "--reviewer", "Ana")  # her accept of ids[4] holds the suggestion folded into it
    assert ana.exit_code == 1 and f"coding {ids[5]} was folded into coding {ids[4]} when codes were merged" in (
        ana.output) and "take the merge's folds back first (casecode undo --reviewer casecode)" in ana.output
    back = _undo(project.path, "--reviewer", "casecode", "--last", str(len(folds)))
    assert back.exit_code == 0, back.output
    assert back.output.splitlines()[0] == (f"Undid decision {last.decision_id} by casecode: fold of coding "
                                           f"{last.coding_id} into coding {last.new_coding_id} (learn on unit "
                                           f"{units[3]})")
    assert "folded" not in set(project.codings().status)
    assert _undo(project.path, "--reviewer", "Ana").exit_code == 0
    assert project.codings().set_index("coding_id").status[ids[4]] == "suggested"


def test_project_status_names_the_coder_code_uses_for_a_named_coder(tmp_path):
    """Reported: a project made with the 2015 codebook codes with the rules and the learned transcript coder, but
    `casecode status` said 'rules (no learned model ...)' until `casecode train`."""
    from casecode.codebook import read_codebook
    from casecode.store import init_project
    from casecode.studies.coders import named_coder
    from casecode.workflow import project_status
    from casecode.workflow._coding import project_coder_spec

    from conftest import CODEBOOK

    project = init_project(tmp_path / "p", read_codebook(CODEBOOK), coder="solace2015-transcripts")
    try:
        coder = project_status(project)["coder"]
        _, what = project_coder_spec(project)
    finally:
        project.close()
    assert what.startswith("solace2015-transcripts (rules and the learned transcript coder")
    assert coder.startswith(f"solace2015-transcripts: {named_coder('solace2015-transcripts').description}")
    assert "no learned model" not in coder


def test_status_of_a_project_with_no_documents_yet(tmp_path):
    """Reported: `casecode status` right after `casecode init` was an internal error (AttributeError), because
    the documents-without-a-case check selected no columns of an empty store."""
    from typer.testing import CliRunner

    from casecode.cli import app
    from conftest import CODEBOOK

    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "p"), "--codebook", str(CODEBOOK)]).exit_code == 0
    result = runner.invoke(app, ["status", "-p", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "documents  0" in result.output and "internal error" not in result.output
    coded = runner.invoke(app, ["code", "-p", str(tmp_path / "p")])  # it said: all 0 documents were coded before
    assert coded.exit_code == 0 and coded.output.startswith("Nothing to code: the project has no documents yet; "
                                                            "add transcripts first with 'casecode add FILES -p")


def test_review_cli_refuses_a_workbook_name_that_is_not_xlsx(built, tmp_path):
    """Found in an outside-in audit: `review --out review.csv` wrote an Excel file named .csv, which a spreadsheet
    opens as garbage and `review --apply` then refused as 'not an Excel workbook'."""
    import shutil

    from typer.testing import CliRunner

    from casecode.cli import app

    folder = tmp_path / "p"
    shutil.copytree(built["folder"], folder)
    result = CliRunner().invoke(app, ["review", "-p", str(folder), "--out", str(tmp_path / "review.csv")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'review.csv'}: a review workbook is an Excel file; name it review.xlsx"]
    assert not (tmp_path / "review.csv").exists()
    assert CliRunner().invoke(app, ["review", "-p", str(folder), "--out", str(tmp_path / "R.XLSX")]).exit_code == 0
