"""The findings report and the comparison report: content, quotations, escaping, and how Word files print.

The printing checks render each Word report with LibreOffice (Debian's `libreoffice-writer-nogui`, which `.ci/run`
installs) and skip, saying why, where it is missing.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from casecode.codebook import read_codebook
from casecode.reports import build_findings
from casecode.reports._findings import PROVISIONAL, quote_span
from casecode.reports._word import CELL_PADDING_PT, _word_em
from casecode.store import init_project, open_project
from casecode.workflow import add_files, code_project, project_report, project_tables

from conftest import CODEBOOK, ROOT

DEMO = ROOT / "corpus" / "demo-replication"
FILES = ["greyhaven-chief-executive.txt", "kestrel-vale-chief-executive.txt", "port-ellery-digital.txt"]
HOSTILE = "<script>alert('memo')</script> *not bold* | pipe"


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A project of three demo transcripts, coded by the rules, partly reviewed, with memos of every kind."""
    root = tmp_path_factory.mktemp("findings")
    project = init_project(root / "project", read_codebook(CODEBOOK), name="Findings test")
    add_files(project, [DEMO / name for name in FILES])
    code_project(project, use_model=False)
    suggestions = project.codings(status="suggested")
    accepted = suggestions.drop_duplicates("code").head(4)
    rejected = suggestions[~suggestions.coding_id.isin(accepted.coding_id)].head(1)
    unit = project.segments(codable=True).iloc[3]
    project.record_decisions(
        [{"coding_id": c, "segment_id": s, "decision": "accept", "decided_by": "Ana Diaz"}
         for c, s in zip(accepted.coding_id, accepted.segment_id)]
        + [{"coding_id": c, "segment_id": s, "decision": "reject", "decided_by": "Ben Okafor"}
           for c, s in zip(rejected.coding_id, rejected.segment_id)]
        + [{"segment_id": unit.segment_id, "decision": "add", "new_code": "learn", "decided_by": "Ana Diaz"}])
    project.add_memo("code", "learn", "Learning shows up in every chief executive's answer.", author="Ana Diaz")
    project.add_memo("case", project.cases().case_id.iloc[0], HOSTILE, author="Ben Okafor")
    project.add_memo("document", FILES[0][:-4], "Interview ran over by half an hour.", author="Ana Diaz")
    project.add_memo("project", "", "Pilot round of coding.", author="Ana Diaz")
    project.close()
    return root / "project"


@pytest.fixture(scope="module")
def reports(reviewed, tmp_path_factory):
    """The findings report counted two ways: reviewed codings only, and with suggestions."""
    out = tmp_path_factory.mktemp("reports")
    with open_project(reviewed) as project:
        project_report(project, out / "reviewed")
        project_report(project, out / "all", statuses=("accepted", "manual", "reference", "suggested"))
    return out


def findings_of(project, statuses):
    tables = project_tables(project, statuses)
    return build_findings(tables.codings, project.segments(), project.documents(), project.cases(),
                          project.codebook(), tables.matrix, "t", memos=project.memos(),
                          decisions=project.decisions())


@pytest.mark.parametrize("statuses", [("accepted", "manual", "reference"),
                                      ("accepted", "manual", "reference", "suggested")])
def test_findings_quotations_are_verbatim_slices_of_stored_units(reviewed, statuses):
    with open_project(reviewed) as project:
        findings = findings_of(project, statuses)
        units = project.segments().set_index("segment_id")["text"]
    quotes = [q for cf in findings.codes for q in cf.quotations]
    quotes += [q for _, items in findings.by_case for _, q in items if q]
    assert quotes
    for q in quotes:
        assert q.text == units[q.segment_id][q.start:q.end]
        assert q.text and not q.text[0].isspace() and not q.text[-1].isspace()


def test_findings_every_code_taken_has_quotations_reviewed_first(reviewed):
    with open_project(reviewed) as project:
        findings = findings_of(project, ("accepted", "manual", "reference", "suggested"))
        reviewed_codes = set(project.current_codings().code)
    for cf in findings.codes:
        assert bool(cf.cases) == bool(cf.quotations), cf.code
        assert len(cf.quotations) <= 3
        if cf.code in reviewed_codes:
            assert cf.quotations[0].reviewed, cf.code
        statuses = [q.reviewed for q in cf.quotations]
        assert statuses == sorted(statuses, reverse=True), "reviewed quotations come first"


def test_findings_counts_match_the_matrix_and_the_summary_says_so(reviewed):
    with open_project(reviewed) as project:
        findings = findings_of(project, ("accepted", "manual", "reference"))
        matrix = project_tables(project).matrix
    learn = next(cf for cf in findings.codes if cf.code == "learn")
    assert len(learn.cases) == int(matrix["learn"].sum()) >= 1
    assert learn.summary.startswith(f"{len(learn.cases)} of {len(matrix)} cases")
    assert any("every chief executive" in memo for memo in learn.memos)
    assert not findings.provisional


def test_findings_method_names_reviewers_and_decisions(reviewed):
    with open_project(reviewed) as project:
        method = " ".join(findings_of(project, ("accepted", "manual", "reference")).method)
    assert "Ana Diaz" in method and "Ben Okafor" in method
    assert "4 accepted, 1 rejected, 0 recoded and 1 added by hand (6 decisions in all)" in method
    assert "3 documents" in method


def test_findings_with_suggestions_is_provisional_everywhere(reports):
    docx = Document(str(reports / "all" / "report.docx"))
    assert all(PROVISIONAL in section.header.paragraphs[0].text for section in docx.sections)
    assert "(unreviewed suggestion)" in (reports / "all" / "report.md").read_text(encoding="utf-8")
    reviewed_only = Document(str(reports / "reviewed" / "report.docx"))
    assert not any(PROVISIONAL in s.header.paragraphs[0].text for s in reviewed_only.sections)
    assert "unreviewed" not in (reports / "reviewed" / "report.md").read_text(encoding="utf-8")


def test_findings_html_and_markdown_escape_stored_text(reports):
    page = (reports / "all" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    markdown = (reports / "all" / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and r"\*not bold\*" in markdown


def test_report_writes_the_analyses_and_charts(reports):
    out = reports / "all"
    for name in ("cooccurrence_cases.csv", "cooccurrence_units.csv", "codes_by_case_type.csv", "codes_by_role.csv",
                 "saturation.csv", "cooccurrence.png", "cooccurrence.svg", "saturation.png", "saturation.svg",
                 "cases_per_code.png", "cases_per_code.svg"):
        assert (out / name).stat().st_size > 0, name
    curve = pd.read_csv(out / "saturation.csv")
    assert curve["documents"].tolist() == [1, 2, 3]
    matrix = pd.read_csv(out / "case_by_code.csv", index_col=0)
    both = pd.read_csv(out / "cooccurrence_cases.csv", index_col=0)
    assert both.loc["learn", "learn"] == matrix["learn"].sum()


@pytest.mark.parametrize("text,start,end,expected", [
    ("Speaker: One thing. We fund it well. Then more.", 22, 26, "We fund it well."),
    ("Speaker: We fund it well", 12, 16, "We fund it well"),
    ("Speaker: Q? \"Yes,\" she said. Next one.", 15, 19, "\"Yes,\" she said."),
])
def test_quote_span_is_the_sentence_around_the_evidence(text, start, end, expected):
    left, right, _, _ = quote_span(text, start, end, floor=len("Speaker:"))
    assert text[left:right] == expected


def test_quote_span_takes_another_sentence_end():
    """The appendix of a replication (studies/replication._sentence_around) finds its sentence with this loop and
    its own sentence ends; here, a clause ends at a semicolon."""
    text = "A: We cut it; we fund it well; then more."
    left, right, _, _ = quote_span(text, 17, 21, floor=2, sentence_end=re.compile(r";\s*"))
    assert text[left:right] == "we fund it well;"


def test_quote_span_cuts_a_long_sentence_at_a_word():
    text = "A: " + " ".join(["word"] * 200) + "."
    left, right, before, after = quote_span(text, 10, 14, floor=3, limit=100)
    assert after and not before and right - left <= 100 and text[right] == " "


# -- printed with LibreOffice -----------------------------------------------------------------------------------


def _soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice (libreoffice-writer-nogui) and poppler-utils are not installed; .ci/run installs them")
    return path


@pytest.fixture(scope="module")
def printed(reports, reviewed, tmp_path_factory):
    """Every Word report of this module, converted to PDF in one LibreOffice run."""
    soffice = _soffice()
    out = tmp_path_factory.mktemp("pdf")
    comparison = _comparison_report(reviewed, tmp_path_factory)
    docs = {"findings": reports / "all" / "report.docx", "comparison": comparison,
            "appendix": comparison.with_name("appendix_two.docx")}
    profile = tmp_path_factory.mktemp("lo-profile")
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, docs.values())], check=True, capture_output=True, timeout=300)
    return {name: (path, out / (path.stem + ".pdf")) for name, path in docs.items()}


def _comparison_report(reviewed, tmp_path_factory) -> Path:
    """The replication comparison of the reviewed project against a small stored 2015 baseline."""
    from casecode.studies.replication import BASELINE, compare

    folder = tmp_path_factory.mktemp("compare") / "project"
    shutil.copytree(reviewed, folder)
    with open_project(folder) as project:
        codes = project.codebook().chart_ids
        matrix = {f"c{i}": {code: int((i + k) % 3 != 0) for k, code in enumerate(codes)} for i in range(9)}
        project.set_baseline(BASELINE, {"n_cases": 9, "codes": codes, "matrix": matrix,
                                        "reported": {code: {"phrase": "Six councils", "min": 6, "max": 6}
                                                     for code in codes}})
        compare(project, folder / "comparison", include_suggested=True)
    return folder / "comparison" / "comparison_report.docx"


def _pdf_words(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split()


@pytest.mark.parametrize("name", ["findings", "comparison", "appendix"])
def test_word_report_tables_break_no_word(printed, name):
    docx_path, pdf = printed[name]
    doc = Document(str(docx_path))
    words = _pdf_words(pdf)
    # a word broken across lines comes out of the PDF as consecutive pieces ("par", "tne", "rsh", "ips")
    pieces = {"".join(w.rstrip("-") for w in words[i:i + k]) for k in range(2, 7) for i in range(len(words))}
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                width_pt = cell.width.pt if cell.width is not None else None
                for word in cell.text.split():
                    size = max((r.font.size.pt for p in cell.paragraphs for r in p.runs if r.font.size), default=11)
                    if width_pt is not None:  # the column holds the word at its font, with the cell margins
                        assert _word_em(word) * size + CELL_PADDING_PT <= width_pt + 0.5, (word, width_pt)
                    if len(word) >= 4 and not any(w == word for w in words):
                        # a word missing whole from the PDF must not be there in pieces either
                        assert word not in pieces, f"{word!r} is broken across lines in {pdf.name}"


@pytest.mark.parametrize("name", ["findings", "comparison"])
def test_word_report_charts_fit_their_page(printed, name):
    docx_path, pdf = printed[name]
    doc = Document(str(docx_path))
    body = doc.element.body
    sections = iter(doc.sections)
    section = next(sections)
    pictures = 0
    for block in body.iterchildren():
        for extent in block.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"):
            pictures += 1
            usable_w = section.page_width - section.left_margin - section.right_margin
            usable_h = section.page_height - section.top_margin - section.bottom_margin
            assert int(extent.get("cx")) <= usable_w and int(extent.get("cy")) <= usable_h
        if block.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sectPr") is not None:
            section = next(sections, section)
    assert pictures >= 2
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len([line for line in listed.splitlines()[2:] if " image " in line]) >= pictures


def test_findings_word_report_has_every_code_section_with_its_quotations(printed, reviewed):
    docx_path, pdf = printed["findings"]
    doc = Document(str(docx_path))
    with open_project(reviewed) as project:
        units = list(project.segments()["text"])
        findings = findings_of(project, ("accepted", "manual", "reference", "suggested"))
    paragraphs = doc.paragraphs
    headings = {p.text: i for i, p in enumerate(paragraphs) if p.style.name == "Heading 2"}
    pdf_text = " ".join(_pdf_words(pdf))
    for cf in findings.codes:
        assert cf.label in headings, cf.label
        after = paragraphs[headings[cf.label] + 1:]
        end = next((i for i, p in enumerate(after) if p.style.name.startswith("Heading")), len(after))
        quotes = [p.text for p in after[:end] if p.style.name == "Quote"]
        assert len(quotes) == len(cf.quotations), cf.code
        for quote in quotes:
            inner = quote.strip("“”").strip("…")
            assert any(inner in unit for unit in units), quote
            assert " ".join(inner.split()[:6]) in pdf_text


def test_comparison_report_says_what_2015_means_on_its_first_page(printed):
    docx_path, pdf = printed["comparison"]
    doc = Document(str(docx_path))
    first = " ".join(p.text for p in doc.paragraphs[:6])
    assert "“2015” means" in first and "reference coding" in first and "provisional" in first
    header = doc.tables[0].rows[0].cells
    assert [c.text for c in header][:4] == ["Action", "2015 report says", "2015 range", "2015 reference"]
    assert PROVISIONAL in doc.sections[0].header.paragraphs[0].text
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout
    assert "2015" in first_page and "means" in first_page
    headings = [i for i, p in enumerate(doc.paragraphs) if p.style.name.startswith("Heading")]
    assert all(doc.paragraphs[i].paragraph_format.keep_with_next for i in headings)


def test_findings_agreement_mean_leaves_out_codes_nobody_used(reviewed):
    """A code no coder used has kappa 1.0 by convention in `casecode agree`'s table; the method's mean kappa must
    not count it (four unused codes lifted a mean of 0.80 to 0.87)."""
    agreement = pd.DataFrame({
        "code": ["bold", "learn", "digital", "recruiting"], "kappa": [0.6, 1.0, 1.0, 1.0],
        "n_present_Ana": [5, 3, 0, 0], "n_present_Ben": [4, 3, 0, 0],
        "note": ["", "", "no coder used this code", "no coder used this code"]})
    with open_project(reviewed) as project:
        tables = project_tables(project)
        findings = build_findings(tables.codings, project.segments(), project.documents(), project.cases(),
                                  project.codebook(), tables.matrix, "t", agreement=agreement)
    line = next(p for p in findings.method if "Cohen's kappa" in p)
    assert "mean Cohen's kappa 0.80 over 2 codes (2 codes nobody used left out), lowest for bold (0.60)" in line


@pytest.fixture
def interviews(tmp_path):
    """Two interviews whose interviewee's role comes from the file (front matter, a manifest row), not the label,
    each with one unit coded by hand."""
    (tmp_path / "leader.md").write_text(
        "---\ncase: Fenmoor District Council\ninterviewee: Helen Marsh\nrole: Council Leader\ninterviewer: Tom Reid\n"
        "---\nTom Reid: What changed?\n\nHelen Marsh: We built a partnership with the health trust.\n",
        encoding="utf-8")
    (tmp_path / "digital.txt").write_text(
        "Interviewer: Tell me about agile working.\nDerek Lowe: We use agile sprints on every project.\n",
        encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(
        "file,case,interviewee,role,interviewer\nleader.md,Fenmoor District Council,Helen Marsh,Council Leader,"
        "Tom Reid\ndigital.txt,Marlbridge Borough Council,Derek Lowe,Head of Digital,Interviewer\n",
        encoding="utf-8")
    project = init_project(tmp_path / "project", read_codebook(CODEBOOK), name="Roles")
    add_files(project, manifest=tmp_path / "manifest.csv")
    answers = project.segments(codable=True).set_index("document_id").segment_id
    project.record_decisions([
        {"segment_id": answers["leader"], "decision": "add", "new_code": "partnerships", "decided_by": "Ana Diaz"},
        {"segment_id": answers["digital"], "decision": "add", "new_code": "agile", "decided_by": "Ana Diaz"}])
    yield project
    project.close()


def test_findings_quotation_names_the_role_the_file_gives(interviews):
    """A quotation names the speaker's role from the file's `role` (front matter or manifest) as well as from a
    `Name (Role):` label, as the report promises "speaker, role and case" (it left such roles out)."""
    findings = findings_of(interviews, ("accepted", "manual", "reference"))
    quotes = {q.speaker: q.attribution() for cf in findings.codes for q in cf.quotations}
    assert quotes == {"Helen Marsh": "Helen Marsh, Council Leader, Fenmoor District Council",
                      "Derek Lowe": "Derek Lowe, Head of Digital, Marlbridge Borough Council"}
    by_case = [q.attribution() for _, items in findings.by_case for _, q in items]
    assert sorted(by_case) == sorted(quotes.values())


def test_findings_method_names_as_suggesters_the_coders_not_the_reviewers(reviewed, interviews):
    """A code a reviewer added is a manual coding whose coder is the reviewer: the method named her among the
    coders that suggested codes ("suggested by Ana Diaz, rules")."""
    with open_project(reviewed) as project:
        method = " ".join(findings_of(project, ("accepted", "manual", "reference")).method)
    assert "Codes were suggested by rules and reviewed by Ana Diaz, Ben Okafor:" in method
    by_hand = " ".join(findings_of(interviews, ("accepted", "manual", "reference")).method)
    assert "Codes were suggested by no automatic coder and reviewed by Ana Diaz: 0 accepted" in by_hand


def test_findings_of_one_case_say_case_not_cases(tmp_path):
    (tmp_path / "ynys.md").write_text("---\ncase: Cyngor Sir Ynys Môn\ninterviewee: Siân Owen\n---\n"
                                      "Interviewer: Hello?\n\nSiân Owen: Nothing to report today.\n", encoding="utf-8")
    with init_project(tmp_path / "project", read_codebook(CODEBOOK), name="One") as project:
        add_files(project, [tmp_path / "ynys.md"])
        findings = findings_of(project, ("accepted", "manual", "reference"))
    assert "from 1 case, coded against" in findings.method[0]
    assert findings.codes[0].summary == "0 of 1 case (0%), no case; evidence in 0 units of 0 documents."


@pytest.mark.parametrize("files, expected", [
    (["a"], "1 document without a case (a) counts in no case's row; give it a case."),
    (["a", "b"], "2 documents without a case (a, b) count in no case's row; give them a case."),
])
def test_findings_method_names_documents_without_a_case(tmp_path, files, expected):
    for name in files:
        (tmp_path / f"{name}.txt").write_text(f"Interviewer: Hi\n\nAnn: We took a considered risk in {name}.\n",
                                              encoding="utf-8")
    with init_project(tmp_path / "project", read_codebook(CODEBOOK), name="No case") as project:
        add_files(project, [tmp_path / f"{name}.txt" for name in files])
        findings = findings_of(project, ("accepted", "manual", "reference"))
    assert findings.method[-1] == expected


def test_findings_markdown_escapes_case_names_and_case_types(tmp_path):
    """A case name or type is stored text too (a manifest's, or an imported .qdpx's): in report.md it must not
    open raw HTML or a Markdown emphasis, in the code sections, the matrix, the case-type table or its heading."""
    name = "Bar <i>Council</i> *x*"
    (tmp_path / "a.md").write_text(
        f"---\ncase: \"{name}\"\ncase_type: \"<b>district</b>\"\ninterviewee: Ann\n---\nInterviewer: Hi\n\n"
        "Ann: We built a partnership with the health trust.\n", encoding="utf-8")
    with init_project(tmp_path / "project", read_codebook(CODEBOOK), name="Esc") as project:
        add_files(project, [tmp_path / "a.md"])
        unit = project.segments(codable=True).segment_id.iloc[0]
        project.record_decisions([{"segment_id": unit, "decision": "add", "new_code": "partnerships",
                                   "decided_by": "Ana Diaz"}])
        project_report(project, tmp_path / "report")
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "<i>" not in text and "<b>" not in text and "*x*" not in text
    assert "Cases: Bar \\<i\\>Council\\</i\\> \\*x\\*." in text
    assert "### Bar \\<i\\>Council\\</i\\> \\*x\\*" in text
