"""The Innovation Framework (Appendix Three of the 2016 report): its codebook checked against the report text,
coverage per council and question, and the `casecode framework` command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casecode.analysis import (
    FRAMEWORK_COVERAGE_COLUMNS,
    framework_coverage,
    framework_markdown,
    framework_summary,
)
from casecode.cli import app
from casecode.codebook import Code, Codebook, read_codebook
from casecode.coders import CODING_COLUMNS, RuleCoder
from casecode.corpus import Segment, read_document, segments_frame
from casecode.errors import AnalysisError

FRAMEWORK = Path(__file__).resolve().parents[1] / "codebooks" / "innovation-framework-2016.yaml"
IDS = ["citizens_central", "political_vision", "leading_innovation", "strategic_approach", "culture_promotes",
       "cross_boundary", "employees_skilled", "delivery_mechanisms"]

TRANSCRIPT = """\
---
case: Testshire Council
interviewer: Ruth Hallam
---

Ruth Hallam: How do you find out what residents need?

Jo Bloggs (Chief Executive): We listen to residents in every ward, and we co-designed the new library service
with the families who use it.

Ruth Hallam: Who do you work with?

Jo Bloggs (Chief Executive): We have a strong partnership with the NHS, with a pooled budget for hospital discharge.

Ruth Hallam: How do you keep track of delivery?

Jo Bloggs (Chief Executive): Everything goes through the programme board, and we evaluate every project when it
finishes.

Ruth Hallam: Is there money for innovation?

Jo Bloggs (Chief Executive): No, we don't have an innovation fund.
"""
SPOKEN_TO = {"citizens_central", "cross_boundary", "delivery_mechanisms"}


@pytest.fixture(scope="module")
def book():
    return read_codebook(FRAMEWORK)


@pytest.fixture(scope="module")
def coder(book, nlp):
    return RuleCoder(book, nlp)


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "testshire.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    return path


# -- the codebook against the report --------------------------------------------------------------------------------


def test_codebook_reads_with_one_chart_code_per_question(book, report):
    assert book.name == "innovation-framework-2016"
    assert book.ids == IDS
    assert len(report.framework) == len(book) == 8
    assert all(code.in_chart for code in book)


@pytest.mark.parametrize("index", range(8), ids=IDS)
def test_codebook_question_matches_report(book, report, index):
    code, question = book.codes[index], report.framework[index]
    assert code.group == question["group"]
    assert code.label == question["question"]
    assert code.include == question["prompts"]


def test_codebook_groups_in_report_order(book):
    groups = [code.group for code in book]
    assert groups == ["Central Focus"] + ["Key Drivers"] * 3 + ["Key Enablers"] * 4


def _token_values(book, key):
    for code in book:
        for pattern in [*code.patterns, *code.exclusions]:
            for token in pattern.pattern if not pattern.is_phrase else []:
                value = token.get(key)
                for word in value.get("IN", []) if isinstance(value, dict) else [value] if value else []:
                    yield pattern.id, word


def test_codebook_lemma_values_are_lemmas(book, nlp):
    # The lookup lemmatizer has quirks ("data" -> "datum", "crew" -> "crow", "third" -> "3"): a LEMMA value that
    # is not its own lemma never matches, so such words must be written as lemmas or matched on LOWER.
    wrong = [(pid, word, " ".join(t.lemma_ for t in nlp(word)))
             for pid, word in _token_values(book, "LEMMA") if " ".join(t.lemma_ for t in nlp(word)) != word]
    assert wrong == []


def test_codebook_lower_values_are_lower_case(book):
    assert [(pid, word) for pid, word in _token_values(book, "LOWER") if word != word.lower()] == []


def test_codebook_examples_are_coded_with_their_code(book, coder):
    missed = []
    for code in book:
        for example in code.examples:
            found = coder.explain(example).query("counts")
            if code.id not in set(found["code"]):
                missed.append((code.id, example))
    assert missed == []


@pytest.mark.parametrize("text, code, coded", [
    ("We've worked hard on the culture of the organisation.", "culture_promotes", True),
    ("We've cut the arts and culture budget again.", "culture_promotes", False),
    ("We have a strong partnership with the police.", "cross_boundary", True),
    ("I dropped my partner at the station.", "cross_boundary", False),
    ("The register office does weddings and civil partnerships.", "cross_boundary", False),
    ("We work in two-week sprints.", "delivery_mechanisms", True),
    ("We moved to agile working and hot-desking.", "delivery_mechanisms", False),
    ("Members back the plan.", "political_vision", True),
    ("Members of staff back the plan.", "political_vision", False),
    ("Flexible working hours help parents.", "strategic_approach", False),
    ("The order was determined by the budget.", "leading_innovation", False),
    ("I'd say steady rather than bold.", "leading_innovation", False),
])
def test_patterns_and_word_sense_traps(coder, text, code, coded):
    found = coder.explain(text).query("counts")
    assert (code in set(found["code"])) is coded


def test_speaker_role_is_not_evidence(coder):
    found = coder.explain("Ann Lee (Service Manager, Joint Commissioning): Yes.").query("counts")
    assert found.empty


# -- coverage tables ------------------------------------------------------------------------------------------------


def _codings(rows):
    """Codings from (segment_id, code, score) triples; offsets cover the segment's first word."""
    return pd.DataFrame([
        {"segment_id": s, "document_id": s.split(":")[0], "code": c, "start": 0, "end": 2, "evidence": "We",
         "rule": "test", "score": score, "coder": "rules"} for s, c, score in rows
    ], columns=CODING_COLUMNS)


@pytest.fixture
def small():
    codebook = Codebook(name="mini", codes=[
        Code(id="alpha", label="Is alpha clear?", group="Drivers"),
        Code(id="beta", label="Is beta used?", group="Enablers"),
    ])
    texts = ["We do alpha. It works.", "We do alpha again.", "We do beta.", "We do alpha too."]
    cases = [("b",), ("b",), ("b",), ("a",)]
    segments = segments_frame(
        Segment(f"d:{i}", "d", i, 0, len(t), t, cases=c) for i, (t, c) in enumerate(zip(texts, cases)))
    return codebook, segments


def test_coverage_rows_follow_cases_then_codebook(small):
    codebook, segments = small
    codings = _codings([("d:0", "alpha", 0.5), ("d:3", "alpha", 0.5)])
    coverage = framework_coverage(codings, segments, codebook)
    assert list(coverage.columns) == FRAMEWORK_COVERAGE_COLUMNS
    assert list(zip(coverage.case_id, coverage.code)) == [("b", "alpha"), ("b", "beta"), ("a", "alpha"),
                                                          ("a", "beta")]
    assert list(coverage.status) == ["evidence", "silent", "evidence", "silent"]
    assert list(coverage.group) == ["Drivers", "Enablers"] * 2


def test_coverage_counts_units_and_quotes_the_best_two(small):
    codebook, segments = small
    codings = _codings([("d:0", "alpha", 0.5), ("d:1", "alpha", 0.9), ("d:1", "alpha", 0.4), ("d:2", "alpha", 0.6)])
    row = framework_coverage(codings, segments, codebook).iloc[0]
    assert row.units == 3
    assert row.evidence == "“We do alpha again.”; “We do beta.”"


def test_coverage_quotes_the_sentence_of_the_match(small):
    codebook, segments = small
    codings = _codings([("d:0", "alpha", 0.5)])
    codings.loc[0, ["start", "end"]] = [13, 15]  # "It"
    assert framework_coverage(codings, segments, codebook).evidence.iloc[0] == "“It works.”"


def test_coverage_given_cases_lists_silent_cases(small):
    codebook, segments = small
    coverage = framework_coverage(_codings([("d:2", "beta", 1.0)]), segments, codebook, cases=["a", "b", "z"])
    assert list(coverage.case_id.unique()) == ["a", "b", "z"]
    assert coverage.set_index(["case_id", "code"]).status.to_dict() == {
        ("a", "alpha"): "silent", ("a", "beta"): "silent", ("b", "alpha"): "silent", ("b", "beta"): "evidence",
        ("z", "alpha"): "silent", ("z", "beta"): "silent",
    }


def test_coverage_ignores_codes_outside_the_codebook(small):
    codebook, segments = small
    coverage = framework_coverage(_codings([("d:0", "other", 1.0)]), segments, codebook)
    assert set(coverage.status) == {"silent"}


def test_coverage_rejects_codings_of_unknown_segments(small):
    codebook, segments = small
    with pytest.raises(AnalysisError, match="'x:9'"):
        framework_coverage(_codings([("x:9", "alpha", 1.0)]), segments, codebook)


def test_summary_counts_evidence_and_silence(small):
    codebook, segments = small
    coverage = framework_coverage(_codings([("d:0", "alpha", 0.5)]), segments, codebook)
    summary = framework_summary(coverage).set_index("case_id")
    assert summary.loc["b"].to_dict() == {"questions": 2, "with_evidence": 1, "silent": 1, "silent_codes": "beta"}
    assert summary.loc["a"].to_dict() == {"questions": 2, "with_evidence": 0, "silent": 2,
                                          "silent_codes": "alpha; beta"}


# -- a hand-written transcript, coded with the framework ------------------------------------------------------------


def test_transcript_coverage_marks_questions_spoken_to(book, coder, transcript):
    segments = read_document(transcript).segments_frame()
    coverage = framework_coverage(coder.code(segments), segments, book)
    assert set(coverage.case_id) == {"Testshire Council"}
    status = dict(zip(coverage.code, coverage.status))
    assert {code for code, s in status.items() if s == "evidence"} == SPOKEN_TO
    # "we don't have an innovation fund" speaks to the strategic question only to say no: silent.
    assert status["strategic_approach"] == "silent"
    evidence = coverage.set_index("code").evidence
    quote = "“We have a strong partnership with the NHS, with a pooled budget for hospital discharge.”"
    assert evidence["cross_boundary"] == quote
    assert "Jo Bloggs" not in " ".join(evidence)


def test_markdown_lists_each_group_and_question(book, coder, transcript):
    segments = read_document(transcript).segments_frame()
    text = framework_markdown(framework_coverage(coder.code(segments), segments, book))
    assert "## Testshire Council" in text
    for group in ("### Central Focus", "### Key Drivers", "### Key Enablers"):
        assert group in text
    assert f"- ✓ {book['citizens_central'].label} (1 unit): “We listen to residents" in text
    assert f"- {book['political_vision'].label} — *silent*" in text


# -- the command ----------------------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_framework_writes_csv_and_markdown(transcript, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["framework", str(transcript), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert ("Testshire Council: 3 of 8 questions with evidence; silent: political_vision, leading_innovation, "
            "strategic_approach, culture_promotes, employees_skilled") in result.output
    coverage = pd.read_csv(out / "framework_coverage.csv", keep_default_na=False)
    assert list(coverage.columns) == FRAMEWORK_COVERAGE_COLUMNS
    assert set(coverage.loc[coverage.status == "evidence", "code"]) == SPOKEN_TO
    assert "## Testshire Council" in (out / "framework_coverage.md").read_text(encoding="utf-8")


def test_cli_framework_warns_of_a_transcript_given_twice(transcript, tmp_path):
    """Reported: `casecode framework` given a transcript and its copy (or its .docx) counted every unit twice in the
    coverage table's `units` without a word, where `casecode code FILES` warns."""
    import docx

    copy = tmp_path / "testshire-copy.txt"
    copy.write_bytes(transcript.read_bytes())
    word = docx.Document()
    for paragraph in TRANSCRIPT.split("---")[-1].split("\n\n"):
        if paragraph.strip():
            word.add_paragraph(paragraph.strip())
    word.save(tmp_path / "Testshire interview.docx")
    once = runner.invoke(app, ["framework", str(transcript), "--out", str(tmp_path / "once")])
    twice = runner.invoke(app, ["framework", str(transcript), str(copy), str(tmp_path / "Testshire interview.docx"),
                                "--out", str(tmp_path / "twice")])
    assert once.exit_code == twice.exit_code == 0, twice.output
    for name in (copy, tmp_path / "Testshire interview.docx"):
        assert (f"Warning: {name}: the same words as {transcript}; if it is the same transcript, leave one of them "
                f"out, or its codings are written (and counted) twice") in twice.output
    assert "Warning" not in once.output
    units = {label: pd.read_csv(tmp_path / label / "framework_coverage.csv").groupby("case_id").units.sum()
             for label in ("once", "twice")}
    assert units["twice"]["Testshire Council"] == 2 * units["once"]["Testshire Council"] > 0


def test_cli_framework_codes_a_project(transcript, tmp_path):
    project = tmp_path / "study"
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    assert runner.invoke(app, ["add", str(transcript), "-p", str(project)]).exit_code == 0
    result = runner.invoke(app, ["framework", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert "Testshire Council: 3 of 8 questions with evidence" in result.output
    assert (project / "framework" / "framework_coverage.csv").is_file()
    assert (project / "framework" / "framework_coverage.md").is_file()


@pytest.mark.parametrize("args", [["framework"], ["framework", "a.txt", "-p", "."]])
def test_cli_framework_needs_files_or_project(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == "Error: give transcript FILES or --project PROJECT (one of the two)\n"


def test_cli_framework_has_help():
    result = runner.invoke(app, ["framework", "--help"])
    assert result.exit_code == 0
    assert "Example: casecode framework" in result.output
