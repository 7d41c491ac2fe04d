"""Reports: charts, Word and Markdown appendices, the project report and the coded-transcript HTML page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.enum.section import WD_ORIENT

from casecode.codebook._model import codebook_from_dict
from casecode.reports import (
    grouped_items_docx,
    grouped_items_markdown,
    plot_cases_per_code,
    plot_saturation,
    plot_share_comparison,
    tick_table,
    transcript_html,
    word_report,
    write_transcript_html,
)

SVG = "{http://www.w3.org/2000/svg}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CODES = [
    ("bold", "Be bold, ambitious, united and passionate"),
    ("partners", "Build innovative partnerships"),
    ("culture", "Create an innovative organisational culture"),
    ("leaders", "Develop and empower innovative leaders"),
    ("residents", "Understand and involve residents"),
    ("pace", "Move with pace, take considered risks"),
    ("resource", "Resource priority innovation processes"),
]
GROUPS = [
    ("COUNTY COUNCILS", ["monmouthshire", "surrey"]),
    ("METROPOLITAN COUNCILS", ["bristol", "oldham", "south_tyneside", "wigan"]),
    ("DISTRICT COUNCILS", ["east_hampshire_havant", "mid_suffolk_babergh", "staffordshire_moorlands_high_peak"]),
]
NAMES = {
    "monmouthshire": "Monmouthshire", "surrey": "Surrey", "bristol": "Bristol", "oldham": "Oldham",
    "south_tyneside": "South Tyneside", "wigan": "Wigan", "east_hampshire_havant": "East Hampshire and Havant",
    "mid_suffolk_babergh": "Mid Suffolk and Babergh",
    "staffordshire_moorlands_high_peak": "Staffordshire Moorlands and High Peak",
}


@pytest.fixture
def codebook():
    codes = [{"id": i, "label": label, "definition": f"Councils that {label.lower()}."} for i, label in CODES]
    codes[2]["color"] = "#ff0000"
    return codebook_from_dict({"name": "actions", "codes": codes})


@pytest.fixture
def cases():
    return pd.DataFrame({"case_id": list(NAMES), "name": list(NAMES.values())})


@pytest.fixture
def matrix(codebook):
    """Council i takes code j when (i + j) is even: a pattern whose ticks are easy to predict."""
    rows = {case: [int((i + j) % 2 == 0) for j in range(len(codebook))] for i, case in enumerate(NAMES)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=codebook.ids).rename_axis("case_id")


@pytest.fixture
def items():
    return pd.DataFrame(
        [
            ("monmouthshire", "Creating the right organisational culture", ("culture",)),
            ("monmouthshire", "Devolving responsibilities", ()),
            ("surrey", "Making collaboration the norm", ("partners", "culture")),
            ("bristol", "Moving forward with pace, despite uncertainty", ("pace",)),
        ],
        columns=["case_id", "text", "codes"],
    )


def chart_table(with_automatic=True, with_reported=True) -> pd.DataFrame:
    table = pd.DataFrame({"code": ["bold", "partners", "agile"], "label": ["Bold", "Partners", "Agile"],
                          "reference": [9, 7, 2]})
    if with_automatic:
        table["automatic"] = [8, 7, 0]
    if with_reported:
        table["reported_min"], table["reported_max"] = [9, 6, 2], [9, 8, 4]
        table["reported_phrase"] = ["In all the councils", "Almost all", "Several councils"]
    return table


def svg_texts(path: Path) -> dict[str, float]:
    """Text of each <text> element of an SVG → its y position (the file must parse as SVG)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return {"".join(el.itertext()).strip(): float(el.get("y", 0)) for el in root.iter(f"{SVG}text")}


@pytest.mark.parametrize("automatic, reported", [(True, True), (False, True), (True, False), (False, False)])
def test_plot_cases_per_code_writes_png_and_svg(tmp_path, automatic, reported):
    png, svg = plot_cases_per_code(chart_table(automatic, reported), tmp_path / "chart", n_cases=9)
    assert (png, svg) == (tmp_path / "chart.png", tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == PNG_MAGIC
    texts = svg_texts(svg)
    assert ("Automatic coding" in texts) == automatic
    assert ("“Almost all”" in texts) == reported
    assert "Number of cases" in texts and "Reference coding" in texts  # a study names its own unit


def test_plot_cases_per_code_draws_first_code_at_top_and_the_axis_to_n_cases(tmp_path):
    _, svg = plot_cases_per_code(chart_table(), tmp_path / "chart", n_cases=12, unit_label="Number of cases")
    texts = svg_texts(svg)
    assert texts["Bold"] < texts["Partners"] < texts["Agile"]  # SVG y grows downwards
    assert "12" in texts and "Number of cases" in texts


def test_plot_cases_per_code_hides_reported_ranges_when_asked(tmp_path):
    _, svg = plot_cases_per_code(chart_table(), tmp_path / "chart", reported=False)
    assert "Reported range" not in svg_texts(svg)


@pytest.mark.parametrize("n_cases, title", [(1, "Cases per code (n = 1 case)"), (2, "Cases per code (n = 2 cases)")])
def test_plot_cases_per_code_title_counts_one_case_in_the_singular(tmp_path, n_cases, title):
    _, svg = plot_cases_per_code(chart_table(), tmp_path / "chart", n_cases=n_cases, reported=False)
    assert title in svg_texts(svg)


def test_plot_saturation_title_counts_one_document_in_the_singular(tmp_path):
    curve = pd.DataFrame({"documents": [1], "codes": [0], "case_codes": [0], "random_codes": [0.0],
                          "random_case_codes": [0.0]})
    _, svg = plot_saturation(curve, tmp_path / "saturation", title="Saturation")
    assert "Saturation (n = 1 document)" in svg_texts(svg)


def test_plot_share_comparison_labels_bars_with_counts(tmp_path):
    compare = pd.DataFrame({
        "code": ["bold", "agile"], "label": ["Bold", "Agile"],
        "baseline_cases": pd.array([5, pd.NA], dtype="Int64"), "baseline_n": pd.array([9, pd.NA], dtype="Int64"),
        "new_cases": pd.array([3, 2], dtype="Int64"), "new_n": pd.array([4, 4], dtype="Int64"),
    })
    png, svg = plot_share_comparison(compare, tmp_path / "share", labels=("2015", "2024"))
    assert png.read_bytes()[:8] == PNG_MAGIC
    texts = svg_texts(svg)
    assert {"5/9", "3/4", "2/4", "n/a", "2015", "2024"} <= set(texts)


def test_charts_leave_no_pyplot_figures_open(tmp_path):
    import matplotlib.pyplot as plt

    plot_cases_per_code(chart_table(), tmp_path / "chart")
    assert plt.get_fignums() == []


def test_tick_table_ticks_cases_and_counts_totals(codebook, matrix):
    table = tick_table(matrix, codebook, ["surrey", "monmouthshire"], NAMES, first_column="Council")
    assert list(table.columns) == ["Council"] + [label for _, label in CODES]
    assert table.iloc[0].tolist() == ["Surrey", "", "✓", "", "✓", "", "✓", ""]
    assert table.iloc[1].tolist() == ["Monmouthshire", "✓", "", "✓", "", "✓", "", "✓"]
    assert table.iloc[2].tolist() == ["Total", "1", "1", "1", "1", "1", "1", "1"]


def expected_ticks(matrix) -> list[list[str]]:
    order = [case for _, ids in GROUPS for case in ids]
    rows = [[NAMES[case]] + ["✓" if v else "" for v in matrix.loc[case]] for case in order]
    return rows + [["Total"] + [str(int(matrix.loc[order, code].sum())) for code in matrix.columns]]


def test_grouped_items_docx_lists_every_case_and_ticks(tmp_path, items, matrix, codebook, cases):
    path = grouped_items_docx(items, [("Ticks", matrix)], codebook, GROUPS, tmp_path / "appendix.docx",
                              title="Actions by council", uncoded="not coded to the eleven", cases=cases,
                              first_column="Council")
    document = docx.Document(str(path))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert [text for style, text in headings if style == "Heading 2"] == [NAMES[c] for _, ids in GROUPS for c in ids]
    assert [text for style, text in headings if style == "Heading 1"][:3] == [title for title, _ in GROUPS]
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets == [
        "Creating the right organisational culture — coded: Create an innovative organisational culture",
        "Devolving responsibilities — not coded to the eleven",
        "Making collaboration the norm — coded: Build innovative partnerships; Create an innovative organisational "
        "culture",
        "Moving forward with pace, despite uncertainty — coded: Move with pace, take considered risks",
    ]
    (table,) = document.tables
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[0] == ["Council"] + [label for _, label in CODES]
    assert cells[1:] == expected_ticks(matrix)
    assert table.style.name == "Table Grid"
    assert document.sections[-1].orientation == WD_ORIENT.LANDSCAPE  # eight columns do not fit a portrait page


def test_grouped_items_markdown_holds_items_and_tick_tables(tmp_path, items, matrix, codebook, cases):
    text = grouped_items_markdown(items, [("Ticks", matrix), ("Again", matrix)], codebook, GROUPS,
                                  tmp_path / "appendix.md", title="Actions by council",
                                  uncoded="not coded to the eleven", cases=cases).read_text()
    assert text.startswith("# Actions by council\n") and "## Ticks\n\n| Case |" in text and "## Again\n" in text
    assert "## COUNTY COUNCILS\n\n### Monmouthshire\n\n- Creating the right organisational culture — coded: " in text
    assert "- Devolving responsibilities — not coded to the eleven" in text
    for row in expected_ticks(matrix)[:-1]:
        assert "| " + " | ".join(row) + " |" in text
    totals = expected_ticks(matrix)[-1]
    assert "| **Total** | " + " | ".join(totals[1:]) + " |" in text
    assert text.index("COUNTY COUNCILS") < text.index("METROPOLITAN COUNCILS") < text.index("DISTRICT COUNCILS")


def test_word_report_writes_each_kind_of_block(tmp_path):
    png, _ = plot_cases_per_code(chart_table(), tmp_path / "chart")
    frame = pd.DataFrame({"code": ["bold"], "share": [0.456], "cases": [(1, 2)]})
    path = word_report(tmp_path / "r.docx", "Report", [("One", ["A paragraph.", ["first", "second"], png, frame])])
    document = docx.Document(str(path))
    styles = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert styles == [("Title", "Report"), ("Heading 1", "One"), ("Normal", "A paragraph."),
                      ("List Bullet", "first"), ("List Bullet", "second")]
    assert len(document.inline_shapes) == 1
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [["code", "share", "cases"],
                                                                               ["bold", "0.46", "1; 2"]]


def test_word_report_written_again_is_the_same_file(tmp_path, monkeypatch):
    """A Word file's ZIP members carry a fixed date, so a report written again an hour later (a second run of
    casecode report or reproduce) is the same file, byte for byte."""
    import time
    import zipfile

    blocks = [("One", ["A paragraph.", ["first", "second"]])]
    first = word_report(tmp_path / "a.docx", "Report", blocks).read_bytes()
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    second = word_report(tmp_path / "b.docx", "Report", blocks).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "b.docx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert docx.Document(str(tmp_path / "b.docx")).paragraphs[0].text == "Report"


TRANSCRIPT = "Interviewer: What helped?\nAnna: We were bold <script>alert(1)</script> & built partnerships."


@pytest.fixture
def transcript():
    second = TRANSCRIPT.index("We")
    segments = pd.DataFrame({
        "segment_id": ["t:1", "t:2"], "document_id": "t", "unit": [1, 2],
        "start": [13, second], "end": [TRANSCRIPT.index("\n"), len(TRANSCRIPT)], "text": "",
        "speaker": ["Interviewer", "Anna"], "role": ["interviewer", "respondent"],
    })
    segments["text"] = [TRANSCRIPT[s:e] for s, e in zip(segments["start"], segments["end"])]

    def coding(code, phrase, rule, score, whole=False):
        start, end = (second, len(TRANSCRIPT)) if whole else (TRANSCRIPT.index(phrase), 0)
        end = end or start + len(phrase)
        return {"segment_id": "t:2", "document_id": "t", "code": code, "start": start, "end": end,
                "evidence": TRANSCRIPT[start:end], "rule": rule, "score": score, "coder": "rules"}

    codings = pd.DataFrame([
        coding("bold", "were bold <script>alert(1)", "bold:1", 1.0),
        coding("partners", "alert(1)</script> & built partnerships", "partners:2", 0.8),  # overlaps bold
        coding("culture", "", "model", 0.61, whole=True),  # overlaps both
    ])
    return segments, codings


def page_text(page: str) -> str:
    """What a browser shows of a page: the text between tags, unescaped (label chips and the style included)."""
    parser = HTMLParser()
    shown: list[str] = []
    parser.handle_data = shown.append
    parser.feed(re.sub(r'<span class="cc-label"[^>]*>[^<]*</span>', "", page))
    return "".join(shown)


def test_transcript_html_escapes_the_transcript(transcript, codebook):
    segments, codings = transcript
    page = transcript_html(TRANSCRIPT, segments, codings, codebook, title="Interview <1>")
    assert "<script>" not in page and "<script" not in page
    assert "&lt;script&gt;" in page and "Interview &lt;1&gt;" in page
    assert "We were bold <script>alert(1)</script> & built partnerships." in page_text(page)  # shown as text


def test_transcript_html_highlights_every_coding_with_label_score_and_rule(transcript, codebook):
    segments, codings = transcript
    page = transcript_html(TRANSCRIPT, segments, codings, codebook, title="t")
    chips = re.findall(r'<span class="cc-label" data-code="(\w+)" style="background: (#\w+); color: #\w+" title="([^"]*)">([^<]*)<',
                       page)
    assert sorted(code for code, *_ in chips) == ["bold", "culture", "partners"]
    culture = next(chip for chip in chips if chip[0] == "culture")
    assert culture[1] == "#ff0000"  # the codebook's colour
    assert "rule model" in culture[2] and culture[3] == "Create an innovative organisational culture 0.61"
    # Where all three overlap, one run of text carries the three codes' bars.
    bars = re.findall(r'box-shadow: ([^"]*)"', page)
    assert any(all(color in run for color in ("#ff0000", "#7aecec", "#bfeeb7")) for run in bars)
    assert "Anna" in page and "Interviewer" in page


def test_transcript_html_is_self_contained(transcript, codebook, tmp_path):
    segments, codings = transcript
    path = write_transcript_html(TRANSCRIPT, segments, codings, codebook, tmp_path / "t.html", title="t")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)=|@import|url\(", page)
