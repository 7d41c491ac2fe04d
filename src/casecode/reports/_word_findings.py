"""Word writers of the findings report and of the replication's comparison report, on `_word`'s layout rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from ._findings import PROVISIONAL, Findings
from ._word import fit_picture, fitted_table, heading, save, set_orientation


class FindingsDocument:
    """Lays a `Findings` out as a Word document."""

    def __init__(self, findings: Findings):
        self.findings = findings
        self.doc = Document()
        for section in self.doc.sections:
            section.left_margin = section.right_margin = Pt(54)  # 0.75 inch: room for an eleven-code matrix

    def save(self, path: str | Path) -> Path:
        f, doc = self.findings, self.doc
        if f.provisional:
            header = doc.sections[0].header.paragraphs[0]
            run = header.add_run(f"{PROVISIONAL}: figures and quotations marked unreviewed are not checked.")
            run.bold = True
            run.font.color.rgb = RGBColor(0x9C, 0x4A, 0x00)
        doc.add_heading(f.title, level=0)
        heading(doc, "Method", 1)
        for paragraph in f.method:
            doc.add_paragraph(paragraph)
        self._notes("Project notes", f.notes.get("Project", []))
        if "cases" in f.charts:
            heading(doc, "How many cases take each code", 1)
            fit_picture(doc, f.charts["cases"])
        heading(doc, "Findings by code", 1)
        for cf in f.codes:
            heading(doc, cf.label, 2)
            summary = doc.add_paragraph()
            summary.add_run(cf.summary).italic = True
            summary.paragraph_format.keep_with_next = True
            if cf.cases:
                doc.add_paragraph(f"Cases: {', '.join(cf.cases)}.")
            for q in cf.quotations:
                quote = doc.add_paragraph(f"“{q.shown()}”", style="Quote")
                quote.paragraph_format.keep_with_next = True
                who = doc.add_paragraph(f"— {q.attribution()}")
                who.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if not cf.quotations:
                doc.add_paragraph("No coded passage to quote.")
            self._notes("Notes", cf.memos, level=3)
        set_orientation(doc, True)
        heading(doc, "Cases and codes", 1)
        fitted_table(doc, f.matrix, bold_last=True, number_from=1)
        doc.add_paragraph("Columns: " + "; ".join(f.matrix_key) + ".")
        self._notes("Notes on cases", f.notes.get("Cases", []))
        self._patterns()
        set_orientation(doc, False)
        heading(doc, "Each case in its own words", 1)
        _case_items(doc, f.by_case, "No code taken.")
        self._notes("Notes on documents", f.notes.get("Documents", []))
        self._notes("Notes on passages", f.notes.get("Passages", []))
        return save(doc, path)

    def _patterns(self) -> None:
        f, doc = self.findings, self.doc
        heading(doc, "Patterns across codes", 1)
        if f.cooccurrence is not None:
            doc.add_paragraph("Cases taking both codes (on the diagonal: cases taking the code).").paragraph_format \
                .keep_with_next = True
            fitted_table(doc, f.cooccurrence.reset_index(), number_from=1)
        if "cooccurrence" in f.charts:
            fit_picture(doc, f.charts["cooccurrence"])
        if f.by_type is not None and len(f.by_type):
            doc.add_paragraph("Cases taking each code, by case type.").paragraph_format.keep_with_next = True
            fitted_table(doc, f.by_type.reset_index(), number_from=2)
        if "saturation" in f.charts or f.saturation_note:
            heading(doc, "Saturation", 2)
            if f.saturation_note:
                doc.add_paragraph(f.saturation_note).paragraph_format.keep_with_next = True
            if "saturation" in f.charts:
                fit_picture(doc, f.charts["saturation"])

    def _notes(self, title: str, notes, level: int = 2) -> None:
        if not notes:
            return
        heading(self.doc, title, level)
        for note in notes:
            self.doc.add_paragraph(str(note), style="List Bullet")


def comparison_docx(path: str | Path, title: str, first_page: list[str], figures: pd.DataFrame,
                    sections: list[tuple[str, list]], by_case: list, provisional: bool, *,
                    first_heading: str = "What the baseline means here",
                    cases_heading: str = "The new study's cases, each code in their own words") -> Path:
    """A replication's comparison report: a first page (`first_heading`) that says what each column means
    (`first_page`) with the figures side by side, then `sections` of (heading, blocks), each heading kept with its
    chart, then the new study's cases under `cases_heading` (`by_case` as `Findings.by_case`, one quotation per
    code).

    A block is a paragraph (str), a picture (Path) or a table (DataFrame)."""
    doc = Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Pt(54)
    if provisional:
        run = doc.sections[0].header.paragraphs[0].add_run(
            f"{PROVISIONAL}: the new study's figures are not yet reviewed.")
        run.bold = True
        run.font.color.rgb = RGBColor(0x9C, 0x4A, 0x00)
    doc.add_heading(title, level=0)
    heading(doc, first_heading, 1)
    for paragraph in first_page:
        doc.add_paragraph(paragraph)
    fitted_table(doc, figures)
    for title_, blocks in sections:
        heading(doc, title_, 1)
        for block in blocks:
            if isinstance(block, Path):
                fit_picture(doc, block)
            elif isinstance(block, pd.DataFrame):
                fitted_table(doc, block)
            elif isinstance(block, list):
                for item in block:
                    doc.add_paragraph(str(item), style="List Bullet")
            else:
                doc.add_paragraph(str(block))
    heading(doc, cases_heading, 1)
    _case_items(doc, by_case, "No action coded.")
    return save(doc, path)


def _case_items(doc, by_case, empty: str) -> None:
    """Each case under its own heading, its codes as bullets with one quotation each."""
    tail = _Tail(doc)
    for case, items in by_case:
        heading(tail, case, 2)
        for label, q in items:
            item = tail.add_paragraph(style="List Bullet")
            item.add_run(label).bold = True
            if q:
                item.add_run(f": “{q.shown()}” — {q.attribution()}")
        if not items:
            tail.add_paragraph(empty)
    tail.close()


class _Tail:
    """Adds paragraphs at the end of a document as `doc.add_paragraph` and `doc.add_heading` do, in constant time
    each: python-docx looks for the body's section properties among all its children before every paragraph it
    adds (quadratic in a report of thousands of cases), and looks the style up by name each time. Here each
    paragraph goes before a placeholder paragraph that `close` removes, and each style's id is looked up once."""

    def __init__(self, doc):
        self.doc = doc
        self.anchor = doc.add_paragraph()
        self.styles: dict[str, str | None] = {}

    def add_paragraph(self, text: str = "", style: str | None = None):
        paragraph = self.anchor.insert_paragraph_before(text)
        if style is not None:
            if style not in self.styles:
                self.styles[style] = self.doc.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
            paragraph._p.style = self.styles[style]  # what Paragraph.style = style sets
        return paragraph

    def add_heading(self, text: str = "", level: int = 1):
        return self.add_paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def close(self) -> None:
        self.anchor._p.getparent().remove(self.anchor._p)
