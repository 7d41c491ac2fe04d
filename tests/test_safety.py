"""Hostile and clumsy input: formula injection, path traversal, bounded readers, control characters, atomic output,
codebook checks and document ids. Each test names the exact one-line message and checks the store afterwards."""

from __future__ import annotations

import csv
import errno
import zipfile
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from casecode._output import confined, safe_cell, write_csv
from casecode.codebook import codebook_from_dict, read_codebook
from casecode.corpus import Document, Segment, read_document, read_documents
from casecode.corpus import _docx as docx_reader
from casecode.corpus import _text as text_reader
from casecode.errors import CodebookError, CorpusError, OutputError, StoreError
from casecode.store import Project, init_project
from casecode.workflow import add_files, code_project, project_report, write_review

HOSTILE_CODEBOOK = {
    "name": "hostile",
    "codes": [
        {"id": "employees", "label": "=2+2 staff", "definition": "@SUM(A1)", "patterns": [{"pattern": "listen to staff"}]},
        {"id": "resources", "label": "Resources", "patterns": [{"pattern": "ring-fence a budget"}]},
    ],
}

HOSTILE_TXT = """\
---
case: =HYPERLINK("http://evil.example","x")
---

=1+1 and we listen to staff every week.

-2 was the score, and we ring-fenced a budget.

@cmd we listen to staff again.
"""


@pytest.fixture
def hostile_project(tmp_path):
    path = tmp_path / "hostile.txt"
    path.write_text(HOSTILE_TXT, encoding="utf-8")
    project = init_project(tmp_path / "proj", codebook_from_dict(HOSTILE_CODEBOOK))
    add_files(project, [path])
    code_project(project)
    project.add_memo("project", "", "+SUM(1,2) is what the memo says", author="@alice")
    yield project
    project.close()


# -- formula injection -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2", "'-2"), ("@cmd", "'@cmd"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("plain text", "plain text"), ("a=b", "a=b"), (3, 3), (-2.5, -2.5), (None, None),
    ("bell\x07", "bell\ufffd"),
])
def test_safe_cell_neutralises_formulas_and_control_characters(value, cell):
    assert safe_cell(value) == cell


def _formula_cells(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [f"{sheet.title}!{cell.coordinate}" for sheet in book for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f"]


def _csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def test_review_workbook_holds_no_formula_and_keeps_the_text_readable(hostile_project, tmp_path):
    written = write_review(hostile_project, tmp_path / "review.xlsx")
    assert written["suggestions"] == 3
    assert _formula_cells(written["workbook"]) == []
    sheet = openpyxl.load_workbook(written["workbook"])["review"]
    texts = [cell.value for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)]
    assert "'=1+1 and we listen to staff every week." in texts
    assert "'=2+2 staff" in texts
    codes = openpyxl.load_workbook(written["workbook"])["codes"]
    assert [c.value for c in codes["C"]][1] == "'@SUM(A1)"


def test_report_csv_files_hold_no_formula(hostile_project, tmp_path):
    paths = project_report(hostile_project, tmp_path / "report")
    for path in paths:
        if path.suffix == ".csv":
            cells = _csv_cells(path)
            assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], path.name
    memos = pd.read_csv(tmp_path / "report" / "memos.csv")
    assert memos.loc[0, "text"] == "'+SUM(1,2) is what the memo says"
    assert memos.loc[0, "author"] == "'@alice"
    per_code = pd.read_csv(tmp_path / "report" / "cases_per_code.csv")
    assert "'=2+2 staff" in set(per_code.label)


def test_write_csv_matches_pandas_for_ordinary_tables(tmp_path):
    frame = pd.DataFrame({"code": ["a", "b"], "score": [0.1 + 0.2, None], "n": [1, 2], "ok": [True, False]},
                         index=pd.Index(["x", "y"], name="case_id"))
    write_csv(frame, tmp_path / "ours.csv", index=True)
    frame.to_csv(tmp_path / "pandas.csv")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


# -- path traversal --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("document_id, problem", [
    ("../../evil", "contains '/'"), ("/tmp/evil", "contains '/'"), ("..", "starts with '.' or with or ends in a space"),
    ("a\\b", "contains '\\\\'"),
])
def test_add_refuses_a_manifest_document_id_that_is_a_path(tmp_path, document_id, problem):
    (tmp_path / "a.txt").write_text("We listen to staff.\n", encoding="utf-8")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"file,document_id\na.txt,{document_id}\n", encoding="utf-8")
    with Project.create_in_memory(codebook_from_dict(HOSTILE_CODEBOOK)) as project:
        with pytest.raises(CorpusError) as err:
            add_files(project, manifest=manifest)
        assert str(err.value) == (f"{tmp_path / 'a.txt'}: document_id {document_id!r} {problem}; use letters, "
                                  f"digits, '-' and '_'")
        assert project.documents().empty


def test_store_refuses_a_document_id_that_is_a_path():
    doc = Document("../up", "We listen.", path="x.txt", segments=[Segment("../up:1", "../up", 1, 0, 10, "We listen.")])
    with Project.create_in_memory() as project:
        with pytest.raises(StoreError) as err:
            project.add_document(doc)
        assert str(err.value) == ("document from 'x.txt': document_id '../up' contains '/'; use letters, digits, "
                                  "'-' and '_'")
        assert project.documents().empty


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "..", ".hidden", "a/b"])
def test_output_file_names_stay_in_their_folder(tmp_path, name):
    with pytest.raises(OutputError) as err:
        confined(tmp_path, name, ".html")
    assert str(err.value) == (f"{name!r} cannot be a file name in '{tmp_path}' (it would leave the folder); give the "
                              f"document an id of letters, digits, '-' and '_'")
    assert confined(tmp_path, "fenmoor-ceo", ".html") == tmp_path / "fenmoor-ceo.html"


# -- bounded readers -------------------------------------------------------------------------------------------

LAUGHS = "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
BOMB_YAML = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + LAUGHS


def test_front_matter_with_aliases_is_refused_at_once(tmp_path):
    path = tmp_path / "bomb.txt"
    path.write_text(f"---\n{BOMB_YAML}---\n\nWe listen to staff.\n", encoding="utf-8")
    assert path.stat().st_size < 600
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value) == (f"{path}: line 2: front matter is not valid YAML (aliases (&name / *name) are not "
                              f"allowed; write the values out in full); fix the block between the '---' lines")


def test_codebook_with_aliases_is_refused_at_once(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("name: bomb\ncodes:\n  - id: a\n    label: A\n    patterns:\n      - pattern: &p [{LOWER: x}]\n"
                    "      - pattern: *p\n", encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        read_codebook(path)
    assert str(err.value) == f"{path}: YAML error: aliases (&name / *name) are not allowed; write the values out in full"


def _docx_with_inflated_part(path: Path, size: int) -> None:
    docx.Document().save(str(path))
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    body = parts["word/document.xml"]
    parts["word/document.xml"] = body.replace(b"<w:body>", b"<w:body>" + b" " * size)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def test_docx_whose_part_inflates_far_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.docx"
    _docx_with_inflated_part(path, 30_000_000)
    assert path.stat().st_size < 200_000
    with pytest.raises(CorpusError) as err:
        read_document(path)
    message = str(err.value)
    assert message.startswith(f"{path}: part 'word/document.xml' inflates to 30,00")
    assert message.endswith("over casecode's limit of 200,000,000 bytes and 100 times; the file is damaged or hostile "
                            "— save the transcript again from Word")


def test_transcript_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(text_reader, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "long.txt"
    path.write_text("We listen to staff.\n" * 100, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value) == (f"{path}: 2,000 bytes is over casecode's limit of 1,000 bytes for one transcript; "
                              f"split the file into parts")


def test_docx_broken_inside_is_a_one_line_error(tmp_path):
    path = tmp_path / "broken.docx"
    docx.Document().save(str(path))
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    parts["word/document.xml"] = b"<w:document xmlns:w='x'><w:body><w:p>"  # cut short
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    with pytest.raises(CorpusError) as err:
        read_document(path)
    assert str(err.value).startswith(f"{path}: the Word file could not be read (XMLSyntaxError: ")
    assert str(err.value).endswith("); open it in Word and save it again as .docx")


def test_docx_limits_are_documented():
    assert docx_reader.MAX_MEMBER_BYTES == 200_000_000 and text_reader.MAX_FILE_BYTES == 20_000_000


# -- control characters ----------------------------------------------------------------------------------------


def test_control_characters_are_cleaned_with_a_warning_naming_the_line(tmp_path):
    path = tmp_path / "bell.txt"
    path.write_text("Jane: Hello.\n\nJane: We listen\x07 to staff\x0bevery week\x01.\n", encoding="utf-8")
    doc = read_document(path)
    assert "\x07" not in doc.text and "\x01" not in doc.text
    assert "We listen  to staff\nevery week ." in doc.text
    assert doc.warnings == [f"{path}: line 3: control character U+0007 (and 2 more) replaced by a space; remove it "
                            f"from the file to silence this"]


def test_control_characters_in_stored_text_never_stop_a_writer(tmp_path, hostile_project):
    hostile_project.add_memo("project", "", "a bell \x07 and an escape \x1b in a memo", author="ana\x01")
    written = write_review(hostile_project, tmp_path / "review.xlsx", html_dir=tmp_path / "html")
    assert written["workbook"].exists() and written["pages"]
    paths = project_report(hostile_project, tmp_path / "report")
    assert (tmp_path / "report" / "report.docx") in paths
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "report" / "report.docx")).paragraphs)
    assert "a bell \ufffd and an escape \ufffd in a memo" in text


# -- atomic output ---------------------------------------------------------------------------------------------


def test_a_full_disk_leaves_no_partial_file_and_a_later_run_works(tmp_path, hostile_project, monkeypatch):
    out = tmp_path / "report"
    real_save = docx.document.Document.save

    def full_disk(self, path):
        Path(path).write_bytes(b"PK\x03\x04 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", full_disk)
    with pytest.raises(OutputError) as err:
        project_report(hostile_project, out)
    assert str(err.value) == (f"cannot write '{out / 'report.docx'}': the disk is full; free some space and run the "
                              f"command again")
    assert not (out / "report.docx").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    monkeypatch.setattr(docx.document.Document, "save", real_save)
    paths = project_report(hostile_project, out)
    assert docx.Document(str(out / "report.docx")) is not None and all(p.exists() for p in paths)


def test_a_read_only_folder_is_a_one_line_error(tmp_path, hostile_project):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        if (out / "probe").exists() or _writable(out):
            pytest.skip("running as a user who can write to read-only folders")
        with pytest.raises(OutputError) as err:
            write_review(hostile_project, out / "review.xlsx")
        assert str(err.value) == (f"cannot write '{out / 'review.xlsx'}': the folder is not writable; choose a "
                                  f"folder you can write to")
    finally:
        out.chmod(0o700)


def _writable(folder: Path) -> bool:
    try:
        (folder / "probe").write_text("x")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


# -- codebooks ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token, problem", [
    ({"LOWER": {"REGEX": "(["}}, "token 0 LOWER REGEX '([' is not a valid regular expression (unterminated character "
                                 "set at position 1); fix or escape it"),
    ({"LOWER": {"MATCHES": "x"}}, "token 0 LOWER has unknown operator 'MATCHES'; use one of IN, NOT_IN, REGEX, FUZZY, "
                                  "==, !=, >=, <=, >, <"),
    ({"LOWER": "x", "OP": "{3,1}"}, "token 0 has OP '{3,1}'; use one of ?, *, +, ! or {0,3}"),
])
def test_codebook_refuses_a_bad_pattern_naming_code_and_pattern(token, problem):
    raw = {"name": "c", "codes": [{"id": "bold", "label": "Bold", "patterns": [{"pattern": "x"}, {"pattern": [token]}]}]}
    with pytest.raises(CodebookError) as err:
        codebook_from_dict(raw, "book.yaml")
    assert str(err.value) == f"book.yaml: code 'bold' field 'patterns[1].pattern': {problem}"


def test_codebook_without_codes_is_refused(tmp_path):
    with pytest.raises(CodebookError) as err:
        codebook_from_dict({"name": "empty", "codes": []}, "empty.yaml")
    assert str(err.value) == ("empty.yaml: field 'codes': the codebook has no codes; add at least one code with an id "
                              "and a label")


# -- document ids from file names ------------------------------------------------------------------------------


def test_file_names_in_another_script_keep_distinct_document_ids(tmp_path):
    for name in ("会議.txt", "議事.txt"):
        (tmp_path / name).write_text("We listen to staff.\n", encoding="utf-8")
    docs = read_documents([tmp_path / "会議.txt", tmp_path / "議事.txt"])
    ids = [d.document_id for d in docs]
    assert len(set(ids)) == 2 and all(i.startswith("document-") for i in ids)


def test_a_second_file_under_a_used_id_is_named_as_another_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "Zoë.txt").write_text("We listen to staff.\n", encoding="utf-8")
    (tmp_path / "b" / "Zoé.txt").write_text("We ring-fenced a budget.\n", encoding="utf-8")
    with Project.create_in_memory(codebook_from_dict(HOSTILE_CODEBOOK)) as project:
        add_files(project, [tmp_path / "a" / "Zoë.txt"])
        with pytest.raises(StoreError) as err:
            add_files(project, [tmp_path / "b" / "Zoé.txt"])
        assert str(err.value) == (f"document id 'zoe' of {str(tmp_path / 'b' / 'Zoé.txt')!r} is already used by "
                                  f"another file, {str(tmp_path / 'a' / 'Zoë.txt')!r}; give this file its own "
                                  f"document_id (a manifest column)")
        assert list(project.documents().document_id) == ["zoe"]


# -- review round trip -----------------------------------------------------------------------------------------

PLAIN_TXT = """\
---
case: Fenmoor
---

Jane: We listen to staff every week.

Jane: We ring-fenced a budget for it.

Jane: We listen to staff again and ring-fenced a budget.
"""


@pytest.fixture
def coded(tmp_path):
    """A coded project and a review workbook written from it."""
    path = tmp_path / "fenmoor.txt"
    path.write_text(PLAIN_TXT, encoding="utf-8")
    project = init_project(tmp_path / "proj", codebook_from_dict(HOSTILE_CODEBOOK))
    add_files(project, [path])
    code_project(project)
    written = write_review(project, tmp_path / "review.xlsx")
    yield project, written["workbook"]
    project.close()


def _fill(workbook: Path, out: Path, cells: dict[tuple[int, str], object]) -> Path:
    """Copy a review workbook, setting cells addressed by (sheet row, column name)."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    for (row, column), value in cells.items():
        sheet.cell(row=row, column=header.index(column) + 1, value=value)
    book.save(out)
    return out


def _state(project) -> tuple:
    codings = project.codings()
    return (len(project.decisions()), tuple(codings.status), len(codings))


def test_applying_a_workbook_twice_records_its_decisions_once(coded, tmp_path):
    from casecode.workflow import apply_review

    project, workbook = coded
    sheet = openpyxl.load_workbook(workbook)["review"]
    header = [c.value for c in sheet[1]]
    shown = sheet.cell(row=4, column=header.index("code") + 1).value
    filled = _fill(workbook, tmp_path / "filled.xlsx", {
        (2, "decision"): "accept", (3, "decision"): "reject", (4, "decision"): "recode",
        (4, "new_code"): "resources" if shown == "employees" else "employees",
        (6, "document"): "fenmoor", (6, "unit"): 1, (6, "decision"): "add", (6, "new_code"): "resources"})
    first = apply_review(project, filled, reviewer="Ana")
    assert len(first) == 4 and first.attrs["skipped"] == 0
    after_first = _state(project)
    again = apply_review(project, filled, reviewer="Ana")
    assert len(again) == 0 and again.attrs["skipped"] == 4
    assert _state(project) == after_first
    assert len(project.codings(status="manual")) == 2


def test_a_partly_filled_workbook_applied_again_records_only_its_new_rows(coded, tmp_path):
    from casecode.workflow import apply_review

    project, workbook = coded
    part = _fill(workbook, tmp_path / "part.xlsx", {
        (2, "decision"): "accept", (6, "document"): "fenmoor", (6, "unit"): 1, (6, "decision"): "add",
        (6, "new_code"): "resources"})
    assert len(apply_review(project, part, reviewer="Ana")) == 2
    more = _fill(part, tmp_path / "more.xlsx", {(3, "decision"): "reject"})
    recorded = apply_review(project, more, reviewer="Ana")
    assert list(recorded.row) == [3] and recorded.attrs["skipped"] == 2
    assert len(project.decisions()) == 3


@pytest.mark.parametrize("cells", [
    {(2, "decision"): "accept", (2, "document"): None, (2, "unit"): None},
    # found in an outside-in audit: rows naming units this project lacks were blamed first ("document 'a' has no
    # unit 2; copy document and unit from a suggestion row"), as if the row were wrong, not the project
    {(2, "decision"): "accept", (2, "unit"): 999},
])
def test_a_workbook_from_another_project_is_refused(coded, tmp_path, cells):
    from casecode.workflow import apply_review

    project, workbook = coded
    path = tmp_path / "fenmoor.txt"
    other = init_project(tmp_path / "other", codebook_from_dict(HOSTILE_CODEBOOK))
    add_files(other, [path])
    code_project(other)
    foreign = _fill(write_review(other, tmp_path / "other.xlsx")["workbook"], tmp_path / "foreign.xlsx", cells)
    before = _state(project)
    with pytest.raises(Exception) as err:
        apply_review(project, foreign, reviewer="Ana")
    assert str(err.value) == (f"{foreign}: this workbook was written for another project (id {other.project_id()}), "
                              f"not 'proj'; apply it to the project it came from, or write a new one with "
                              f"'casecode review'")
    assert _state(project) == before
    other.close()


def test_a_formula_in_a_decision_cell_names_the_sheet_row(coded, tmp_path):
    from casecode.errors import ReviewError
    from casecode.workflow import apply_review

    project, workbook = coded
    bad = _fill(workbook, tmp_path / "bad.xlsx", {(2, "decision"): "accept", (3, "decision"): '=IF(1,"accept")'})
    before = _state(project)
    with pytest.raises(ReviewError) as err:
        apply_review(project, bad, reviewer="Ana")
    assert str(err.value) == (f"{bad}: row 3, column 'decision': holds a formula (=IF(1,\"accept\")); type the value "
                              f"itself, e.g. accept")
    assert _state(project) == before
    # the fix names what belongs in the column: a comment is not a decision
    comment = _fill(workbook, tmp_path / "comment.xlsx", {(2, "decision"): "accept",
                                                          (2, "comment"): '=HYPERLINK("http://x","y")'})
    with pytest.raises(ReviewError) as err:
        apply_review(project, comment, reviewer="Ana")
    assert str(err.value).endswith("column 'comment': holds a formula (=HYPERLINK(\"http://x\",\"y\")); type the "
                                   "value itself, as plain text")
    assert _state(project) == before


def test_an_edited_code_cell_is_compared_with_the_coding(coded, tmp_path):
    from casecode.errors import ReviewError
    from casecode.workflow import apply_review

    project, workbook = coded
    sheet = openpyxl.load_workbook(workbook)["review"]
    header = [c.value for c in sheet[1]]
    shown = sheet.cell(row=2, column=header.index("code") + 1).value
    coding_id = sheet.cell(row=2, column=1).value
    other = "resources" if shown == "employees" else "employees"
    bad = _fill(workbook, tmp_path / "edited.xlsx", {(2, "decision"): "accept", (2, "code"): other})
    before = _state(project)
    with pytest.raises(ReviewError) as err:
        apply_review(project, bad, reviewer="Ana")
    assert str(err.value) == (f"{bad}: row 2, column 'code': the row shows {other!r} but coding {coding_id} has code "
                              f"{shown!r}; put {shown!r} back, and to change the code write recode with new_code "
                              f"{other!r}")
    assert _state(project) == before


def test_columns_are_found_by_header_and_rows_numbered_as_the_sheet_shows(coded, tmp_path):
    from casecode.errors import ReviewError
    from casecode.workflow import apply_review

    project, workbook = coded
    source = openpyxl.load_workbook(workbook)["review"]
    rows = [[c.value for c in row] for row in source.iter_rows()]
    order = list(reversed(range(len(rows[0]))))  # every column moved
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "review"
    sheet.append(["Fill in the decision column; the table starts below."])
    sheet.append([])
    for values in rows:
        sheet.append([values[i] for i in order])
    header = [rows[0][i] for i in order]
    sheet.cell(row=4, column=header.index("decision") + 1, value="accept")  # sheet row 4 = the first suggestion
    sheet.cell(row=5, column=header.index("decision") + 1, value="maybe")
    shuffled = tmp_path / "shuffled.xlsx"
    book.save(shuffled)
    with pytest.raises(ReviewError) as err:
        apply_review(project, shuffled, reviewer="Ana")
    assert str(err.value) == (f"{shuffled}: row 5, column 'decision': 'maybe' is not a decision; use accept, reject, "
                              f"recode or add")
    sheet.cell(row=5, column=header.index("decision") + 1, value="reject")
    book.save(shuffled)
    recorded = apply_review(project, shuffled, reviewer="Ana")
    assert list(recorded.row) == [4, 5]
    assert list(recorded.coding_id) == [rows[1][0], rows[2][0]]
    assert list(recorded.decision) == ["accept", "reject"]


def test_two_coders_storing_the_same_suggestions_store_them_once(coded):
    project, _ = coded
    suggestions = project.codings(status="suggested")
    again = suggestions.drop(columns=["coding_id", "status", "created_at", "run"])
    ids = project.add_codings(again, skip_coded_by=("rules", "model", "combined"))
    assert ids == [None] * len(again)
    assert len(project.codings()) == len(suggestions)


# -- integrity check and the codebook copy that counts ---------------------------------------------------------


def test_check_passes_a_consistent_project_and_names_doubled_suggestions(coded, tmp_path):
    import sqlite3

    from typer.testing import CliRunner

    from casecode.cli import app

    project, _ = coded
    folder = project.path
    assert project.check()["problems"] == []
    result = CliRunner().invoke(app, ["check", "-p", str(folder)])
    assert result.exit_code == 0
    assert result.output == (f"OK: project {folder} (1 documents, 3 segments, 4 codings, 0 decisions, 0 memos); no "
                             f"problems found\n")
    project.close()
    db = sqlite3.connect(folder / "project.sqlite")
    db.execute("INSERT INTO codings (segment_id, document_id, code, start, \"end\", evidence, rule, score, coder, "
               "status, created_at, run) SELECT segment_id, document_id, code, start, \"end\", evidence, rule, score, "
               "coder, status, created_at, run FROM codings WHERE coding_id = 1")
    db.commit()
    db.close()
    result = CliRunner().invoke(app, ["check", "-p", str(folder)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Problem: 1 suggestion(s) stored more than once: fenmoor:1 ")
    assert lines[-1] == (f"Error: 1 kind(s) of problem in project {folder} (1 documents, 3 segments, 5 codings, 0 "
                         f"decisions, 0 memos); restore the database from a backup, or remove and re-add the "
                         f"documents named")


def test_the_codebook_file_is_the_copy_that_counts_and_is_checked_on_every_open(coded):
    from casecode.store import open_project

    project, _ = coded
    folder = project.path
    project.close()
    path = folder / "codebook.yaml"
    original = path.read_text(encoding="utf-8")
    added = original + "- id: culture\n  label: Culture\n"
    path.write_text(added, encoding="utf-8")
    with open_project(folder) as reopened:
        assert reopened.codebook().ids == ["employees", "resources", "culture"]
    path.write_text(original.replace("name: hostile", "name: [unclosed"), encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        open_project(folder)
    assert str(err.value).startswith(f"{path}: YAML error at line 2, column 6: ")
    dropped = "name: hostile\ncodes:\n- id: resources\n  label: Resources\n"
    path.write_text(dropped, encoding="utf-8")
    with pytest.raises(StoreError) as err:
        open_project(folder)
    assert str(err.value) == (f"'{path}' was edited, and the new codebook drops code 'employees', which 2 coding(s) "
                              f"use; keep it in the codebook (in_chart: false hides it from charts)")
    path.write_text(added, encoding="utf-8")
    with open_project(folder) as reopened:
        assert len(reopened.codings()) == 4 and reopened.check()["problems"] == []


def test_set_codebook_keeps_the_project_file_in_step(coded):
    project, _ = coded
    book = codebook_from_dict({**HOSTILE_CODEBOOK, "codes": HOSTILE_CODEBOOK["codes"] + [{"id": "bold", "label": "B"}]})
    project.set_codebook(book)
    assert read_codebook(project.path / "codebook.yaml") == book
