"""Interop: review workbooks out and back, and CSV/XLSX tables."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from casecode.codebook._model import codebook_from_dict
from casecode.errors import ReviewError
from casecode.interop import (
    DECISION_COLUMNS,
    SHOWN_COLUMNS,
    REVIEW_COLUMNS,
    read_review_workbook,
    write_review_workbook,
    write_table,
)

DOC = "Interviewer: What helped?\nAnna: We listened to staff and built partnerships."


@pytest.fixture
def codebook():
    return codebook_from_dict({
        "name": "actions",
        "codes": [
            {"id": "engage", "label": "Engage employees", "patterns": [{"pattern": "listen to staff"}]},
            {"id": "partners", "label": "Build innovative partnerships",
             "patterns": [{"pattern": [{"LEMMA": "build"}, {"LEMMA": "partnership"}], "note": "building partners"}]},
            {"id": "culture", "label": "Create an innovative organisational culture"},
        ],
    })


@pytest.fixture
def segments():
    second = DOC.index("We")
    return pd.DataFrame({
        "segment_id": ["i1:1", "i1:2"], "document_id": "i1", "unit": [1, 2],
        "start": [13, second], "end": [DOC.index("\n"), len(DOC)],
        "text": [DOC[13:DOC.index("\n")], DOC[second:]], "speaker": ["Interviewer", "Anna"],
    })


@pytest.fixture
def suggestions():
    def suggestion(coding_id, code, phrase, rule, score):
        start = DOC.index(phrase)
        return {"coding_id": coding_id, "segment_id": "i1:2", "document_id": "i1", "code": code, "start": start,
                "end": start + len(phrase), "evidence": phrase, "rule": rule, "score": score, "coder": "rules",
                "pattern": rule.removesuffix("+model") if rule != "model" else ""}  # the pattern's own column

    # Written out of text order: the workbook lists them in document and unit order.
    return pd.DataFrame([
        suggestion(12, "partners", "built partnerships", "partners:build-partnership+model", 0.9),
        suggestion(11, "engage", "listened to staff", "engage:listen-to-staff", 1.0),
        suggestion(13, "culture", "We listened", "model", 0.5128),
    ])


@pytest.fixture
def workbook(tmp_path, suggestions, segments, codebook):
    return write_review_workbook(tmp_path / "review.xlsx", suggestions, segments, codebook)


def edit(path, cells: dict[tuple[int, str], object]) -> None:
    """Set cells of the review sheet, addressed by (spreadsheet row, column name), as a reviewer would."""
    book = openpyxl.load_workbook(path)
    sheet = book["review"]
    for (row, column), value in cells.items():
        sheet.cell(row=row, column=REVIEW_COLUMNS.index(column) + 1, value=value)
    book.save(path)


def test_write_review_workbook_lays_out_rows_codes_and_dropdowns(workbook, codebook):
    book = openpyxl.load_workbook(workbook)
    sheet = book["review"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == REVIEW_COLUMNS
    assert [r[0] for r in rows[1:]] == [13, 11, 12]  # text order
    assert rows[2][1:11] == ["i1", 2, None, "Anna", "We listened to staff and built partnerships.",
                             "listened to staff", "engage", "Engage employees", 1.0, "matched 'listened to staff'"]
    assert rows[3][10] == "matched 'built partnerships' (building partners); the learned model agrees (sure enough)"
    assert rows[1][9:11] == [0.51, "no phrase of the codebook matched; the learned model is sure enough from the "
                                   "whole turn"]
    assert rows[1][11:] == [None, None, None, None]
    assert [r[:2] for r in book["codes"].iter_rows(values_only=True)] == [("code", "label")] + [
        (c.id, c.label) for c in codebook
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet["F2"].alignment.wrap_text
    checks = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert checks == {"L2": '"accept,reject,recode,add"', "M2": "codes!$A$2:$A$4"}


def test_review_workbook_round_trip(workbook):
    edit(workbook, {
        (2, "decision"): "accept", (2, "decided_by"): "jm",
        (3, "decision"): "Recode ", (3, "new_code"): "culture", (3, "comment"): "about culture",
        (5, "document"): "i1", (5, "unit"): 1, (5, "decision"): "add", (5, "new_code"): "engage",
    })
    decisions = read_review_workbook(workbook, codebook_from_dict({"name": "actions", "codes": [
        {"id": "engage", "label": "E"}, {"id": "culture", "label": "C"}]}), reviewer="ab")
    assert list(decisions.columns) == DECISION_COLUMNS + SHOWN_COLUMNS
    assert decisions.astype(object).where(decisions.notna(), None).to_dict("records") == [
        {"coding_id": 13, "segment_id": "i1:2", "decision": "accept", "new_code": "", "comment": "",
         "decided_by": "jm", "row": 2, "document": "i1", "unit": 2, "code": "culture"},
        {"coding_id": 11, "segment_id": "i1:2", "decision": "recode", "new_code": "culture",
         "comment": "about culture", "decided_by": "ab", "row": 3, "document": "i1", "unit": 2, "code": "engage"},
        {"coding_id": None, "segment_id": "i1:1", "decision": "add", "new_code": "engage", "comment": "",
         "decided_by": "ab", "row": 5, "document": "i1", "unit": 1, "code": ""},
    ]


def test_read_review_workbook_finds_added_units_in_segments(workbook, codebook, segments):
    edit(workbook, {(5, "document"): "i1", (5, "unit"): "2", (5, "decision"): "add", (5, "new_code"): "culture"})
    segments = segments.assign(segment_id=["first", "second"])
    decisions = read_review_workbook(workbook, codebook, reviewer="ab", segments=segments)
    assert decisions["segment_id"].tolist() == ["second"]


@pytest.mark.parametrize(
    "cells, message",
    [
        ({(3, "decision"): "acept"},
         "row 3, column 'decision': 'acept' is not a decision; use accept, reject, recode or add"),
        ({(2, "decision"): "recode"},
         "row 2, column 'new_code': empty; recode needs a code id from the 'codes' sheet"),
        ({(2, "decision"): "recode", (2, "new_code"): "cultur"},
         "row 2, column 'new_code': 'cultur' is not a code of codebook 'actions'; did you mean 'culture'? "
         "(see the 'codes' sheet)"),
        ({(2, "decision"): "recode", (2, "new_code"): "xyz"},
         "row 2, column 'new_code': 'xyz' is not a code of codebook 'actions'; use one of engage, partners, "
         "culture (see the 'codes' sheet)"),
        ({(2, "decision"): "reject", (2, "new_code"): "culture"},
         "row 2, column 'new_code': 'culture' given with decision 'reject'; use recode to change the code, or "
         "empty new_code"),
        ({(6, "decision"): "add", (6, "new_code"): "culture"},
         "row 6, column 'document': empty; an added code needs the document and the unit it applies to"),
        ({(6, "decision"): "add", (6, "new_code"): "culture", (6, "document"): "i1"},
         "row 6, column 'unit': empty; an added code needs the document and the unit it applies to"),
        ({(6, "decision"): "add", (6, "new_code"): "culture", (6, "document"): "i1", (6, "unit"): "two"},
         "row 6, column 'unit': 'two' is not a unit number; write the number shown in the 'unit' column"),
        ({(2, "decision"): "add", (2, "new_code"): "culture"},
         "row 2, column 'decision': 'add' is for rows of your own with an empty coding_id; use recode to change "
         "the code of this suggestion"),
        ({(2, "decision"): "accept", (2, "coding_id"): "11a"},
         "row 2, column 'coding_id': '11a' is not a coding id; keep the id casecode wrote, or empty the cell to add "
         "a code"),
        ({(6, "decision"): "accept", (6, "document"): "i1", (6, "unit"): 2},
         "row 6, column 'coding_id': empty; accept needs the coding_id of a suggestion (use add for a code of your "
         "own)"),
        ({(2, "decision"): "accept", (3, "decision"): "reject", (3, "coding_id"): 13},
         "row 3, column 'coding_id': 13 is decided again (first on row 2); keep one decision per suggestion"),
    ],
)
def test_read_review_workbook_rejects_bad_rows(workbook, codebook, cells, message):
    edit(workbook, cells)
    with pytest.raises(ReviewError) as caught:
        read_review_workbook(workbook, codebook, reviewer="ab")
    assert str(caught.value) == f"{workbook}: {message}"


def test_read_review_workbook_needs_a_decider(workbook, codebook):
    edit(workbook, {(2, "decision"): "accept"})
    with pytest.raises(ReviewError) as caught:
        read_review_workbook(workbook, codebook)
    assert str(caught.value) == (f"{workbook}: row 2, column 'decided_by': empty; write who decided, or pass "
                                 f"--reviewer NAME (reviewer= from Python)")  # the fix a command-line user can type


def test_read_review_workbook_rejects_unknown_units_of_segments(workbook, codebook, segments):
    edit(workbook, {(5, "document"): "i1", (5, "unit"): 7, (5, "decision"): "add", (5, "new_code"): "culture"})
    with pytest.raises(ReviewError) as caught:
        read_review_workbook(workbook, codebook, reviewer="ab", segments=segments)
    assert str(caught.value) == (f"{workbook}: row 5, column 'unit': document 'i1' has no unit 7; copy document and "
                                 f"unit from a suggestion row")


def test_read_review_workbook_names_a_missing_header_column(workbook, codebook):
    book = openpyxl.load_workbook(workbook)
    book["review"].cell(row=1, column=REVIEW_COLUMNS.index("decision") + 1).value = "verdict"
    book.save(workbook)
    with pytest.raises(ReviewError) as caught:
        read_review_workbook(workbook, codebook)
    assert str(caught.value) == (
        f"{workbook}: the 'review' sheet has no column 'decision' in its header row; restore the header casecode "
        f"wrote ({', '.join(REVIEW_COLUMNS)})"
    )


@pytest.mark.parametrize("name, content", [("review.xlsx", b"coding_id,decision\n1,accept\n"),
                                           ("review.csv", b"coding_id,decision\n1,accept\n")])
def test_read_review_workbook_rejects_files_that_are_not_xlsx(tmp_path, codebook, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReviewError) as caught:
        read_review_workbook(path, codebook)
    assert str(caught.value) == (
        f"{path}: not an Excel workbook (.xlsx); save the review from Excel or LibreOffice as .xlsx"
    )


def test_read_review_workbook_reports_a_missing_file(tmp_path, codebook):
    path = tmp_path / "nowhere.xlsx"
    with pytest.raises(ReviewError, match="review workbook not found; check the path"):
        read_review_workbook(path, codebook)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_table_writes_the_same_cells_to_csv_and_xlsx(tmp_path, suffix):
    frame = pd.DataFrame({"code": ["bold", "pace"], "cases": [3, 0], "share": [0.5, None], "ids": [("a", "b"), ()]})
    path = write_table(frame, tmp_path / f"table{suffix}")
    back = pd.read_csv(path) if suffix == ".csv" else pd.read_excel(path)
    assert list(back.columns) == ["code", "cases", "share", "ids"]
    assert back["code"].tolist() == ["bold", "pace"] and back["cases"].tolist() == [3, 0]
    assert back["share"].iloc[0] == 0.5 and pd.isna(back["share"].iloc[1])
    assert back["ids"].iloc[0] == "a; b"


def test_write_table_rejects_other_extensions(tmp_path):
    with pytest.raises(ReviewError) as caught:
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "table.txt")
    assert str(caught.value) == f"{tmp_path / 'table.txt'}: cannot write a table as '.txt'; name the file .csv or .xlsx"


def test_reading_a_review_workbook_holds_the_garbage_collector_and_restores_it(workbook, gc_passes):
    # every cell read stays alive until the table is made, so a collection pass would only walk them again (full
    # passes grew faster than the workbook); the collector is left as it was found
    import gc

    from casecode.interop import read_review_rows

    rows, passes = gc_passes(lambda: read_review_rows(workbook))
    assert len(rows) == 3 and gc.isenabled()
    assert len(passes) <= 5  # only as the collector starts again (reading runs hundreds at this threshold)
    gc.disable()
    try:
        read_review_rows(workbook)
        assert not gc.isenabled()
    finally:
        gc.enable()


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _excel_like_workbook(path, rows: str, strings: str) -> None:
    """A review workbook as Excel and LibreOffice save one: shared strings (with formatting runs and phonetic
    guides), rows and cells without references, a missing row, typed cells casecode never writes."""
    import zipfile

    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{rel}"><sheets>'
            '<sheet name="review" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN_NS}"><sheetData>{rows}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN_NS}">{strings}</sst>',
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)


def test_review_rows_of_a_workbook_saved_by_excel_read_as_openpyxl_reads_them(tmp_path, monkeypatch):
    # review workbooks are read straight from the sheet's XML (openpyxl's reader spent most of `review --apply`
    # building cell objects); every cell must read as openpyxl reads it
    from casecode.interop import _workbook, read_review_rows

    strings = ("<si><t>coding_id</t></si><si><t>document</t></si><si><t>unit</t></si><si><t>code</t></si>"
               "<si><t>decision</t></si><si><t>new_code</t></si><si><t>comment</t></si><si><t>decided_by</t></si>"
               "<si><t>unit_text</t></si>"  # 0-8: the header
               "<si><t>i1</t></si>"  # 9
               '<si><r><rPr><b/></rPr><t>part</t></r><r><t xml:space="preserve">ners </t></r></si>'  # 10: runs
               "<si><t>accept</t><rPh sb=\"0\" eb=\"1\"><t>ignored</t></rPh></si>"  # 11: a phonetic guide
               "<si><t>Ana_x005F_x000D_</t></si><si><t/></si>")  # 12: an escaped underscore; 13: empty
    header = "".join(f'<c r="{letter}2" t="s"><v>{i}</v></c>' for i, letter in enumerate("ABCDEFGHI"))
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a note above the table</t></is></c></row>'
        f'<row r="2">{header}<c r="J2" t="inlineStr"><is><t>why</t></is></c></row>'
        '<row r="3"><c r="A3"><v>7</v></c><c r="B3" t="s"><v>9</v></c><c r="C3"><v>2.0</v></c>'
        '<c r="D3" t="s"><v>10</v></c><c r="E3" t="s"><v>11</v></c><c r="G3" t="b"><v>1</v></c>'
        '<c r="H3" t="s"><v>12</v></c><c r="I3" t="str"><v>We built partners.</v></c>'
        '<c r="J3" t="e"><v>#N/A</v></c></row>'
        '<row><c><v>8</v></c><c t="s"><v>9</v></c><c><v>1E0</v></c><c t="inlineStr"><is><r><t>eng</t></r>'
        '<r><t>age</t></r></is></c><c t="inlineStr"><is><t>reject</t></is></c><c t="s"><v>13</v></c>'
        '<c t="inlineStr"/><c t="str"><v>Ben</v></c></row>'  # row 4, no references
        '<row r="6"><c r="E6" t="inlineStr"><is><t>accept</t></is></c><c r="A6"><v>9.5</v></c></row>'
    )
    path = tmp_path / "saved-by-excel.xlsx"
    _excel_like_workbook(path, rows, strings)
    book = openpyxl.load_workbook(path, read_only=True)
    assert _workbook._plain_rows(book, book["review"]) is not None  # read without openpyxl's cell reader
    book.close()
    fast = read_review_rows(path)
    monkeypatch.setattr(_workbook, "_plain_rows", lambda book, sheet: None)
    slow = read_review_rows(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert [list(map(type, row)) for row in fast.itertuples()] == [list(map(type, row)) for row in slow.itertuples()]
    assert fast.row.tolist() == [3, 4, 6] and fast.code.tolist()[:2] == ["partners ", "engage"]
    assert fast.attrs == slow.attrs


@pytest.mark.parametrize("cell", ['<c r="B3"><f>1+1</f><v>2</v></c>', '<c r="A3" s="1"><v>45000</v></c>'])
def test_review_rows_with_a_formula_or_a_date_are_read_by_openpyxl(tmp_path, cell):
    from casecode.interop import _workbook

    styles = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2">'
              '<xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
    path = tmp_path / "book.xlsx"
    header = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in ["coding_id", "decision"])
    _excel_like_workbook(path, f'<row r="1">{header}</row><row r="3">{cell}</row>', "")
    import zipfile

    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/styles.xml", styles)
    book = openpyxl.load_workbook(path, read_only=True)
    assert _workbook._plain_rows(book, book["review"]) is None
    book.close()


def test_a_review_workbook_that_would_inflate_without_bound_is_refused_before_reading(tmp_path, codebook):
    import zipfile
    bomb = tmp_path / "review.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 2**20))  # 8 MB of zeros: ~1,000 times smaller
    with pytest.raises(ReviewError, match=r"review\.xlsx: part 'xl/worksheets/sheet1\.xml' inflates to 8 MB .*ZIP bomb"):
        read_review_workbook(bomb, codebook)
