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
