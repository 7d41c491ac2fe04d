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
