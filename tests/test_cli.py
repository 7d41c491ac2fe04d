"""The command line through typer's test runner: help and README for every command, exact one-line errors, and
the researcher's path from `casecode init` to `casecode agree`."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import typer.main
from typer.testing import CliRunner

from casecode import __version__
from casecode.cli import app
from casecode.corpus import read_document
from casecode.store import open_project

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"
COMMANDS = sorted(typer.main.get_command(app).commands)

INTERVIEW = """\
---
case: Fenmoor District Council
interviewee: Jane Smith
interviewer: Ana Lopez
---

Ana Lopez: Do you get the housing association and the health trust round one table?

Jane Smith (Chief Executive): We ring-fenced a budget and set up a small innovation team.

Jane Smith: We get the housing association and the health trust round one table every month.
"""

SECOND = """\
# Ashby: the director

Interviewer: How do you learn from others?

PRIYA SHAH: We went to see how Wigan do it and borrowed their approach.

PRIYA SHAH: We listened to residents and co-designed the service with them.
"""

TRANSCRIPT_CODER = ("solace2015-transcripts (rules and the learned transcript coder, fitted once on the shipped "
                    "training transcripts and the 2015 reference, then cached)")

BAD_CODEBOOK = """\
name: bad
title: A codebook with one id twice
codes:
  - id: listen
    label: Listening
    patterns:
      - pattern: listen to staff
  - id: listen
    label: Listening again
"""


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into output unless told not to; later versions keep both apart
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def run(*args: str | Path, ok: bool = True):
    result = _runner().invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def assert_error(result, message: str) -> None:
    """Exit 1 with exactly one line, `Error: <message>`, on stderr, and no traceback anywhere."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.stderr == f"Error: {message}\n"
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run commands in tmp_path, with the two transcripts written there, so paths in messages are short."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fenmoor.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "ashby.md").write_text(SECOND, encoding="utf-8")
    return tmp_path


@pytest.fixture
def project(workdir):
    run("init", "proj", "--codebook", CODEBOOK)
    return workdir / "proj"


# -- help, version and README -----------------------------------------------------------------------------------


def _flat(text: str) -> str:
    """Help text without rich's box lines and wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_shows_summary_and_example(name):
    command = typer.main.get_command(app).commands[name]
    doc = (command.callback.__doc__ or "").strip()
    summary = doc.splitlines()[0] if doc else ""
    assert summary, f"command {name!r} has no docstring"
    assert re.search(rf"^\s*Example: casecode {name}\b", doc, re.M), f"command {name!r} lacks an 'Example:' line"
    result = run(name, "--help")
    assert _flat(summary) in _flat(result.output)


def test_every_command_is_listed_in_the_main_help():
    output = _flat(run("--help").output)
    for name in COMMANDS:
        assert re.search(rf"\b{name}\b", output), name


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_named_in_readme(name):
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert any(re.search(rf"\bcasecode {re.escape(name)}\b", line) for line in lines), \
        f"README.md has no line with 'casecode {name}'"


def test_version():
    result = run("--version")
    assert result.output == f"casecode {__version__}\n"


# -- one-line errors ------------------------------------------------------------------------------------------


def test_error_folder_not_a_project(workdir):
    result = run("add", "fenmoor.txt", "-p", "nowhere", ok=False)
    assert_error(result, "'nowhere' is not a casecode project; create one with 'casecode init nowhere'")


def test_error_missing_file(project):
    result = run("add", "missing.txt", "-p", "proj", ok=False)
    assert_error(result, "missing.txt: file not found; check the path")


def test_error_unsupported_extension(project):
    Path("notes.pdf").write_bytes(b"%PDF-1.4")
    result = run("add", "notes.pdf", "-p", "proj", ok=False)
    assert_error(result, "notes.pdf: unsupported file type '.pdf'; casecode reads .txt, .md, .docx, .vtt, .srt — "
                         "convert the file to one of these")


def test_error_bad_manifest_column(project):
    Path("manifest.csv").write_text("file,county\nfenmoor.txt,Norfolk\n", encoding="utf-8")
    result = run("add", "--manifest", "manifest.csv", "-p", "proj", ok=False)
    assert_error(result, "manifest.csv: unknown column 'county' in the header; allowed: file, case, council, "
                         "interviewee, role, date, interviewer, document_id, title, case_type")
    with open_project("proj") as proj:
        assert proj.documents().empty


def test_error_codebook_with_duplicate_id(workdir):
    Path("bad.yaml").write_text(BAD_CODEBOOK, encoding="utf-8")
    result = run("code", "fenmoor.txt", "--codebook", "bad.yaml", "--out", "x.csv", ok=False)
    assert_error(result, "bad.yaml: top level: duplicate code id 'listen'; every code needs its own id")
    assert not Path("x.csv").exists()


@pytest.mark.parametrize("options", [[], ["--codebook", str(CODEBOOK)], ["--out", "x.csv"]])
def test_error_code_files_without_codebook_or_out(workdir, options):
    result = run("code", "fenmoor.txt", *options, ok=False)
    assert_error(result, "coding files directly needs --codebook CODEBOOK and --out OUT.csv")
    assert not Path("x.csv").exists()


@pytest.mark.parametrize("count", ["0", "-2"])
@pytest.mark.parametrize("command", [["code", "-p", "proj", "--workers"],
                                     ["code", "fenmoor.txt", "--codebook", str(CODEBOOK), "--out", "x.csv", "--workers"],
                                     ["undo", "-p", "proj", "--last"]], ids=["code-p", "code-files", "undo"])
def test_error_a_count_below_one_is_one_line(project, command, count):
    """Found in an audit: `code --workers 0` (or -2) printed typer's boxed usage error instead of a one-line error
    like the other options'; it is refused before anything is read, built or stored."""
    run("add", "fenmoor.txt", "-p", "proj")
    result = run(*command, count, ok=False)
    option = command[-1]
    assert_error(result, f"--workers is {count}; give 1 or more, the number of processes to code in (1 codes in this "
                         f"one)" if option == "--workers" else f"--last is {count}; give how many decisions to undo, "
                         f"1 or more")
    assert result.stdout == "" and not Path("x.csv").exists()
    with open_project("proj") as proj:
        assert proj.codings().empty


@pytest.mark.parametrize("args, message", [
    (["code", "--workers", "two"], "casecode code: Invalid value for '--workers': Input should be a valid integer, "
                                   "unable to parse string as an integer; see 'casecode code --help'"),
    (["report", "--agreement"], "casecode report: Option '--agreement' requires an argument; see 'casecode report "
                                "--help'"),
    (["code", "--frob"], "casecode code: No such option: --frob; see 'casecode code --help'"),
    (["import", "qdpx"], "casecode import qdpx: Missing argument 'file'; see 'casecode import qdpx --help'"),
    (["codebook", "merge", "agile"], "casecode codebook merge: Missing argument 'into'; see 'casecode codebook merge "
                                     "--help'"),
    (["codee"], "casecode: No such command 'codee'. Did you mean 'code', 'codebook'?; see 'casecode --help'"),
], ids=["bad-value", "no-value", "unknown-option", "missing-argument", "sub-command", "unknown-command"])
def test_error_a_usage_error_is_one_line(args, message):
    """Found by the lead: a usage error printed the usage and typer's boxed panel, not one line like every other
    error; it names the command and its --help (exit 2, click's code for usage errors)."""
    result = _runner().invoke(app, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr == f"Error: {message}\n" and result.stdout == ""
    assert "Traceback" not in result.output and "─" not in result.output


def test_a_group_named_alone_still_shows_its_help():
    result = _runner().invoke(app, ["export"])
    assert "Usage: casecode export" in result.output and "qdpx" in result.output and "Error" not in result.output


def test_error_review_apply_bad_decision(project):
    run("add", "fenmoor.txt", "-p", "proj")
    run("code", "-p", "proj")
    run("review", "-p", "proj", "--out", "review.xlsx")
    fill("review.xlsx", "bad.xlsx", {0: {"decision": "accept"}, 1: {"decision": "acept"}})
    result = run("review", "-p", "proj", "--apply", "bad.xlsx", "--reviewer", "Ana", ok=False)
    assert_error(result, "bad.xlsx: row 3, column 'decision': 'acept' is not a decision; use accept, reject, recode "
                         "or add")
    with open_project("proj") as proj:
        assert proj.decisions().empty
        assert set(proj.codings().status) == {"suggested"}


def test_review_apply_says_when_decided_by_cells_win_over_reviewer(project):
    """Reported: `--reviewer "Ana Diaz"` lost silently to the workbook's `decided_by` cells. A filled cell stays the
    record of who decided that row (a workbook two people filled keeps both), but the output says whose the
    decisions are, and a warning names the rows recorded under another name than --reviewer."""
    run("add", "fenmoor.txt", "-p", "proj")
    run("code", "-p", "proj")
    run("review", "-p", "proj", "--out", "review.xlsx")
    fill("review.xlsx", "ana.xlsx", {0: {"decision": "accept", "decided_by": "Ana"}, 1: {"decision": "reject"}})
    result = run("review", "-p", "proj", "--apply", "ana.xlsx", "--reviewer", "Ana Diaz")
    assert result.stdout == "Recorded 2 decisions from ana.xlsx: accept 1, reject 1 (by Ana 1, Ana Diaz 1)\n"
    assert result.stderr == ("Warning: ana.xlsx: 1 of 2 decision(s) are recorded under the name in their "
                             "'decided_by' cell, not --reviewer 'Ana Diaz': 'Ana' (1 row(s), first row 2); "
                             "--reviewer fills only empty 'decided_by' cells, so to record them under 'Ana Diaz', "
                             "empty those cells or write 'Ana Diaz' in them and apply again\n")
    with open_project("proj") as proj:
        assert proj.decisions().decided_by.tolist() == ["Ana", "Ana Diaz"]


def test_error_train_before_review(project):
    run("add", "fenmoor.txt", "-p", "proj")
    result = run("train", "-p", "proj", ok=False)
    assert_error(result, "only 0 reviewed units; review at least 10 before training (casecode review --apply "
                         "WORKBOOK)")


def test_add_warns_on_stderr_about_a_guessed_encoding(project):
    Path("old.txt").write_bytes("Mark Evans: We set aside \u00a3200,000.\r".encode("cp1252"))
    result = run("add", "old.txt", "-p", "proj")
    assert result.stdout == "added: old (old.txt)\n"
    assert result.stderr.splitlines() == [
        "Warning: 1 document(s) added without a case (old); the case-by-code matrix cannot count them: give a case "
        "with --case, a manifest's 'case' column or front matter 'case:'",
        "Warning: old.txt: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this"]


def test_add_warns_about_a_manifest_in_a_guessed_encoding(project):
    Path("old.txt").write_text("Mark Evans: We set aside money.\n", encoding="utf-8")
    Path("manifest.csv").write_bytes("file,case,interviewee\nold.txt,Fenmoor,Zoë O’Neill\n".encode("cp1252"))
    result = run("add", "--manifest", "manifest.csv", "-p", "proj")
    assert result.stdout == "added: old (old.txt) [case fenmoor]\n"
    assert result.stderr == "Warning: manifest.csv: not UTF-8; read as Windows-1252 — save it as UTF-8 to silence this\n"
    with open_project("proj") as proj:
        assert proj.documents().metadata.map(lambda m: m["interviewee"]).tolist() == ["Zoë O’Neill"]


# -- coding files directly ------------------------------------------------------------------------------------


def test_code_files_writes_codings_with_offsets_into_the_files(workdir):
    result = run("code", "fenmoor.txt", "ashby.md", "--codebook", CODEBOOK, "--out", "out/codings.csv",
                 "--rules-only")
    table = pd.read_csv("out/codings.csv", keep_default_na=False)
    assert result.output == f"Wrote {len(table)} codings of 2 file(s) to {Path('out/codings.csv')}\n"
    assert list(table.columns) == ["document", "unit", "speaker", "code", "score", "start", "end", "evidence", "rule",
                                   "pattern"]
    assert all(row.rule.startswith(row.pattern) and row.pattern for row in table.itertuples())  # rules only
    assert {("fenmoor", "partnerships"), ("fenmoor", "resources"), ("ashby", "learn"), ("ashby", "residents")} \
        <= set(zip(table.document, table.code))
    files = {"fenmoor": "fenmoor.txt", "ashby": "ashby.md"}
    for row in table.itertuples():
        text = Path(files[row.document]).read_text(encoding="utf-8")
        assert text[row.start:row.end] == row.evidence
        segment = read_document(files[row.document]).segments[row.unit - 1]
        assert segment.unit == row.unit and segment.start <= row.start < row.end <= segment.end
        assert segment.speaker == row.speaker and segment.role != "interviewer"
        assert 0 < row.score <= 1 and row.rule
    # The interviewer (unit 1) asked with the very phrase the respondent used (unit 3), and was not coded.
    fenmoor = table[table.document == "fenmoor"]
    assert 1 not in set(fenmoor.unit) and "partnerships" in set(fenmoor[fenmoor.unit == 3].code)


def test_code_files_with_the_2015_codebook_adds_the_learned_transcript_coder(workdir):
    result = run("code", "fenmoor.txt", "ashby.md", "--codebook", CODEBOOK, "--out", "learned.csv")
    assert result.stderr == f"Coder: {TRANSCRIPT_CODER}\n"
    table = pd.read_csv("learned.csv", keep_default_na=False)
    assert len(table) and table.rule.str.contains("model p=").any()  # the model's probability is in every reason
    files = {"fenmoor": "fenmoor.txt", "ashby": "ashby.md"}
    for row in table.itertuples():
        assert Path(files[row.document]).read_text(encoding="utf-8")[row.start:row.end] == row.evidence


def test_code_files_with_another_codebook_uses_the_rules(workdir):
    Path("own.yaml").write_text(BAD_CODEBOOK.split("  - id: listen\n    label: Listening again")[0], encoding="utf-8")
    result = run("code", "fenmoor.txt", "--codebook", "own.yaml", "--out", "own.csv")
    assert result.stderr == "Coder: rules (the codebook's patterns alone)\n" and result.stdout.startswith("Wrote ")
    table = pd.read_csv("own.csv", keep_default_na=False)
    assert set(table.code) <= {"listen"} and not table.rule.str.contains("model").any()


def test_code_files_without_the_study_record_warns_and_uses_the_rules(workdir, monkeypatch):
    import casecode.studies.transcripts
    from casecode.errors import CorpusError

    def missing(*args, **kwargs):
        raise CorpusError("corpus/2015-solace/final-report-2016.txt not found; set CASECODE_HOME")

    monkeypatch.setattr(casecode.studies.transcripts, "study_paths", missing)
    result = run("code", "fenmoor.txt", "--codebook", CODEBOOK, "--out", "rules.csv")
    assert result.stderr == ("Warning: coding with the rules alone; coder solace2015-transcripts needs: "
                             "corpus/2015-solace/final-report-2016.txt not found; set CASECODE_HOME\n")
    assert not pd.read_csv("rules.csv").rule.str.contains("model").any()


# -- the researcher's path ------------------------------------------------------------------------------------


def fill(source: str | Path, out: str | Path, edits: dict[int, dict], added: list[dict] = ()) -> None:
    """Copy a review workbook, filling cells of the suggestion rows at the given positions (0 = first row)."""
    book = openpyxl.load_workbook(source)
    sheet = book["review"]
    column = {cell.value: cell.column for cell in sheet[1]}
    for position, values in edits.items():
        for name, value in values.items():
            sheet.cell(position + 2, column[name]).value = value
    for values in added:
        row = sheet.max_row + 1
        for name, value in values.items():
            sheet.cell(row, column[name]).value = value
    book.save(out)


def test_happy_path_from_init_to_agree(workdir):
    result = run("init", "proj", "--codebook", CODEBOOK, "--name", "Happy")
    assert result.output == (f"Created project {workdir / 'proj'}\nCoder: {TRANSCRIPT_CODER}\n")
    assert "coder: solace2015-transcripts" in (workdir / "proj" / "casecode.yaml").read_text(encoding="utf-8")

    Path("manifest.csv").write_text("file,case,interviewee\nashby.md,Ashby Borough Council,Priya Shah\n",
                                    encoding="utf-8")
    result = run("add", "fenmoor.txt", "--manifest", "manifest.csv", "-p", "proj")
    assert result.output == ("added: fenmoor (fenmoor.txt) [case fenmoor_district_council]\n"
                             f"added: ashby ({Path('ashby.md')}) [case ashby_borough_council]\n")
    result = run("add", "fenmoor.txt", "-p", "proj")
    assert result.output == "unchanged: fenmoor (fenmoor.txt) [case fenmoor_district_council]\n"

    result = run("code", "-p", "proj")
    with open_project("proj") as proj:
        suggested = proj.codings(status="suggested")
        roles = proj.segments().set_index("segment_id").loc[suggested.segment_id, "role"]
    assert result.stdout == ("Coding 4 units of 2 documents not coded before: fenmoor, ashby\n"
                             f"Stored {len(suggested)} suggestions; review them with 'casecode review -p proj'\n")
    assert result.stderr == f"Coder: {TRANSCRIPT_CODER}\n"
    assert len(suggested) >= 4 and "interviewer" not in set(roles)
    assert run("code", "-p", "proj", "--recode").stdout == (  # twice: nothing new, nothing doubled
        "Coding 4 units of 2 documents, every one again (--recode): fenmoor, ashby\n"
        "Stored 0 suggestions; review them with 'casecode review -p proj'\n")

    result = run("review", "-p", "proj", "--out", "review.xlsx", "--html", "html")
    assert result.output == (f"Wrote {len(suggested)} suggestions to review.xlsx\n"
                             f"Wrote {Path('html/ashby.html')}\nWrote {Path('html/fenmoor.html')}\n")
    sheet = pd.read_excel("review.xlsx", sheet_name="review")
    assert len(sheet) == len(suggested)
    last = sheet.iloc[-1]

    # Ana accepts all but the first suggestion, rejects that and adds a code; Ben accepts the first two only.
    n = len(sheet)
    fill("review.xlsx", "ana.xlsx", {0: {"decision": "reject", "decided_by": "Ana"}}
         | {i: {"decision": "accept", "decided_by": "Ana"} for i in range(1, n)},
         [{"document": last.document, "unit": int(last.unit), "decision": "add", "new_code": "culture",
           "decided_by": "Ana", "comment": "an open culture"}])
    fill("review.xlsx", "ben.xlsx", {i: {"decision": "accept" if i < 2 else "reject"} for i in range(n)})

    result = run("review", "-p", "proj", "--apply", "ana.xlsx")
    assert result.output == (f"Recorded {n + 1} decisions from ana.xlsx: accept {n - 1}, reject 1, add 1 "
                             f"(by Ana {n + 1})\n")
    with open_project("proj") as proj:
        history = proj.decisions()
        assert list(history.decided_by) == ["Ana"] * (n + 1)
        assert set(proj.codings(status="accepted").coding_id) == set(sheet.coding_id.iloc[1:])

    result = run("report", "-p", "proj", "--out", "report", "--title", "Happy report")
    for name in ("case_by_code.csv", "cases_per_code.csv", "report.docx"):
        assert f"Wrote {Path('report') / name}\n" in result.output
        assert (workdir / "report" / name).is_file()
    matrix = pd.read_csv("report/case_by_code.csv", index_col=0)
    case = {"ashby": "ashby_borough_council", "fenmoor": "fenmoor_district_council"}[last.document]
    assert matrix.loc[case, "culture"] == 1

    result = run("memo", "Recorded in the chamber", "--on", "document:fenmoor", "--author", "Ana", "-p", "proj")
    assert result.output == "Stored memo 1 on document:fenmoor\n"
    result = run("memo", "Visits only", "--on", "code:learn", "-p", "proj")
    assert result.output == "Stored memo 2 on code:learn\n"
    listed = run("memo", "-p", "proj").output.splitlines()
    assert len(listed) == 2
    assert listed[0].startswith("[document:fenmoor] Ana ") and listed[0].endswith(": Recorded in the chamber")
    assert listed[1].startswith("[code:learn] - ") and listed[1].endswith(": Visits only")
    assert run("memo", "--on", "code:learn", "-p", "proj").output.splitlines() == listed[1:]
    assert_error(run("memo", "lost", "--on", "document:nowhere", "-p", "proj", ok=False),
                 "no document 'nowhere' in this project; known: ashby, fenmoor")

    result = run("agree", "ana.xlsx", "ben.xlsx", "-p", "proj", "--out", "agreement")
    agreement = pd.read_csv("agreement/agreement.csv")
    disagreements = pd.read_csv("agreement/disagreements.csv")
    assert f"{len(disagreements)} disagreements\n" in result.output
    # The first suggestion (only Ben accepted), the ones after the second (only Ana accepted), Ana's added code.
    assert len(disagreements) == 1 + (n - 2) + 1
    assert set(agreement.code) >= {"culture", "learn", "partnerships"}
    assert (agreement.coders == 2).all()
    # Ben left decided_by empty: his workbook's name stands for him.
    assert agreement.set_index("code").loc["culture", "n_present_Ana"] == 1
    assert agreement.set_index("code").loc["culture", "n_present_ben"] == 0


def test_one_coder_for_the_2015_codes_on_every_path(workdir):
    """`code FILES`, a project made with `init --codebook` and one made with `init --from-study 2015` code alike."""
    result = run("code", "fenmoor.txt", "ashby.md", "--codebook", "leadership-actions-2015", "--out", "files.csv")
    assert result.stderr == f"Coder: {TRANSCRIPT_CODER}\n"
    files = pd.read_csv("files.csv", keep_default_na=False)
    found = {}
    for folder, init in (("own", ["--codebook", CODEBOOK]), ("rep", ["--from-study", "2015"])):
        run("init", folder, *init)
        run("add", "fenmoor.txt", "ashby.md", "-p", folder)
        result = run("code", "-p", folder)
        assert result.stderr.startswith(f"Coder: {TRANSCRIPT_CODER}")
        with open_project(folder) as proj:
            codings = proj.codings()
            units = proj.segments().set_index("segment_id").unit
        found[folder] = sorted(zip(codings.document_id, codings.segment_id.map(units), codings.code,
                                   codings.score.round(3)))
    assert found["own"] == found["rep"] == sorted(zip(files.document, files.unit, files.code, files.score))
    assert len(found["own"]) > 0


def test_a_project_can_name_the_rules_as_its_coder_and_unknown_coders_are_refused(workdir):
    result = run("init", "plain", "--codebook", CODEBOOK, "--coder", "rules")
    assert result.stdout.endswith("Coder: rules (the codebook's patterns alone)\n")
    run("add", "fenmoor.txt", "-p", "plain")
    assert run("code", "-p", "plain").stderr == "Coder: rules (the codebook's patterns alone)\n"
    assert_error(run("init", "odd", "--codebook", CODEBOOK, "--coder", "magic", ok=False),
                 "unknown coder 'magic'; use one of: rules, solace2015-transcripts (set 'coder' in casecode.yaml)")


def test_from_study_with_an_unknown_study_is_refused_before_anything_is_printed(workdir):
    """Reported: `init --from-study 2016` printed "Preparing the transcript coder ..." before refusing."""
    result = run("init", "rep", "--from-study", "2016", ok=False)
    assert_error(result, "unknown study '2016'; choose a study casecode can start a replication from: '2015'")
    assert result.stdout == ""
    assert not (workdir / "rep").exists()


def test_from_study_with_a_codebook_or_coder_is_refused(workdir):
    """Reported: `init --from-study 2015 --codebook mine.yaml` made a project with the 2015 codebook, passing over
    the codebook given without a word."""
    assert_error(run("init", "rep", "--from-study", "2015", "--codebook", CODEBOOK, ok=False),
                 "--from-study 2015 starts from the study's own codebook and coder; leave out --codebook (or use them "
                 "without --from-study)")
    assert_error(run("init", "rep", "--from-study", "2015", "--coder", "rules", ok=False),
                 "--from-study 2015 starts from the study's own codebook and coder; leave out --coder (or use them "
                 "without --from-study)")
    assert not Path("rep").exists()


def test_output_piped_into_a_reader_that_leaves_is_no_error(tmp_path):
    """Reported: `casecode status -p P | head -1` printed 'Error: a file: Broken pipe; check the path, the free
    space and the permissions' once head had its line."""
    import subprocess
    import sys

    from casecode.codebook import read_codebook
    from casecode.store import init_project

    from conftest import CODEBOOK

    init_project(tmp_path / "p", read_codebook(CODEBOOK)).close()
    reader_gone = subprocess.Popen([sys.executable, "-m", "casecode.cli", "status", "-p", str(tmp_path / "p")],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader_gone.stdout.close()  # before casecode writes its first line
    stderr = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=120) == 141
    assert "Error" not in stderr and "Traceback" not in stderr


OTTER = """\
Ana Lopez  0:03
Do you get the housing association and the health trust round one table?

Jane Smith  0:09
We ring-fenced a budget and set up a small innovation team.

Ana Lopez  0:40
And partners?

Jane Smith  0:44
We get the housing association and the health trust round one table every month.
"""


def test_code_files_names_the_interviewer_as_add_does(workdir):
    """Reported: a transcript that names everyone (Otter, Teams, Zoom) had its interviewer's questions coded by
    `casecode code FILES`, without a word, and only `casecode add` could name the interviewer; now the files path
    warns and takes --interviewer, and then codes as the project path does."""
    Path("otter.txt").write_text(OTTER, encoding="utf-8")
    unnamed = run("code", "otter.txt", "--codebook", CODEBOOK, "--out", "unnamed.csv", "--rules-only")
    assert unnamed.stderr == (
        "Warning: otter.txt: no interviewer among its 2 speakers (Ana Lopez; Jane Smith), so every turn is coded, the "
        "questions too; name the interviewer with --interviewer NAME (or a manifest's 'interviewer' column, or front "
        "matter 'interviewer: NAME')\n")
    assert 1 in set(pd.read_csv("unnamed.csv").unit)  # the question was coded
    named = run("code", "otter.txt", "--codebook", CODEBOOK, "--out", "named.csv", "--rules-only",
                "--interviewer", "Ana Lopez")
    assert named.stderr == ""
    files = pd.read_csv("named.csv")
    assert 1 not in set(files.unit) and len(files)
    run("init", "proj", "--codebook", CODEBOOK, "--coder", "rules")
    run("add", "otter.txt", "--interviewer", "Ana Lopez", "--case", "Fenmoor", "-p", "proj")
    run("code", "-p", "proj")
    with open_project("proj") as proj:
        stored = proj.codings().merge(proj.segments()[["segment_id", "unit"]], on="segment_id")
    assert sorted(zip(stored.unit, stored.code, stored.score.round(3))) == \
        sorted(zip(files.unit, files.code, files.score))
    assert_error(run("code", "-p", "proj", "--interviewer", "Ana Lopez", ok=False),
                 "--interviewer names the interviewers of FILES coded directly; a project's are named as they are "
                 "added: casecode add FILES --interviewer NAME -p proj")


def test_code_options_of_the_other_mode_are_used_or_refused_never_passed_over(project):
    """Found in an outside-in audit: `code -p P --rules-only` coded with the learned coder as well, `code FILES
    --no-model` likewise, and `code -p P --out codings.csv` wrote no CSV, each without a word."""
    run("add", "fenmoor.txt", "-p", "proj")
    stored = run("code", "-p", "proj", "--rules-only")
    assert stored.stderr == "Coder: rules (the codebook's patterns alone)\n"
    run("code", "fenmoor.txt", "--codebook", CODEBOOK, "--out", "files.csv", "--no-model")
    files = pd.read_csv("files.csv")
    with open_project("proj") as proj:
        codings = proj.codings().merge(proj.segments()[["segment_id", "unit"]], on="segment_id")
    assert len(files) and sorted(zip(codings.unit, codings.code, codings.score.round(3))) == \
        sorted(zip(files.unit, files.code, files.score))
    assert_error(run("code", "-p", "proj", "--out", "codings.csv", ok=False),
                 "--out is for coding FILES directly, and no FILES were given; name them (e.g. interviews/*.txt), or "
                 "drop --out to code project proj (its codings: casecode export segments -p proj --include-suggested "
                 "--out FILE)")
    assert not Path("codings.csv").exists()


def _word_copy(source: str, out: str) -> None:
    """The transcript's paragraphs (no front matter) as a Word file, as a typist keeps it beside the .txt, with the
    line a transcription service ends its export with."""
    import docx

    document = docx.Document()
    for paragraph in Path(source).read_text(encoding="utf-8").split("---")[-1].split("\n\n"):
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())
    document.add_paragraph("Transcribed by https://otter.ai")
    document.save(out)


def test_the_same_transcript_as_txt_and_docx_is_warned_about_or_refused(workdir):
    """Reported: the .txt and the .docx of one transcript, named differently, were coded (by `code FILES`) and
    added (by `add`) as two documents without a word: their texts differ (front matter, layout), so neither
    copy check saw them, and every count doubled. `code FILES` warns; `add` refuses unless --allow-duplicate."""
    _word_copy("fenmoor.txt", "Fenmoor interview.docx")
    said = ("Warning: Fenmoor interview.docx: the same words as fenmoor.txt; if it is the same transcript, leave one "
            "of them out, or its codings are written (and counted) twice\n")
    result = run("code", "fenmoor.txt", "ashby.md", "Fenmoor interview.docx", "--codebook", CODEBOOK, "--out", "c.csv",
                 "--rules-only", "--interviewer", "Ana Lopez")
    assert result.stderr == said
    assert run("code", "fenmoor.txt", "ashby.md", "--codebook", CODEBOOK, "--out", "d.csv", "--rules-only").stderr == ""
    run("init", "proj", "--codebook", CODEBOOK, "--coder", "rules")
    assert run("add", "fenmoor.txt", "-p", "proj").stderr == ""
    add_word = ("add", "Fenmoor interview.docx", "--case", "Fenmoor District Council", "--interviewer", "Ana Lopez",
                "-p", "proj")
    assert_error(run(*add_word, ok=False),
                 "Fenmoor interview.docx: the same words as document 'fenmoor' of the project (its .txt); if it is "
                 "the same transcript, leave the file out, or casecode remove fenmoor first to keep this one instead, "
                 "or pass --allow-duplicate to keep both (its codings then count twice)")
    with open_project("proj") as proj:
        assert proj.documents().document_id.tolist() == ["fenmoor"]
    added = run(*add_word, "--allow-duplicate")
    assert added.stderr == ("Warning: Fenmoor interview.docx: the same words as document 'fenmoor' (its .txt); if it "
                            "is the same transcript, remove one (casecode remove fenmoor-interview), or its codings "
                            "count twice\n")
    assert run("add", "Fenmoor interview.docx", "--interviewer", "Ana Lopez", "-p", "proj").stderr == ""  # said once
    cues = [("Ana Lopez", "Do you get the housing association and the health trust round one table?"),
            ("Jane Smith", "We ring-fenced a budget and set up a small innovation team."),
            ("Jane Smith", "We get the housing association and the health trust round one table every month.")]
    Path("fenmoor-teams.vtt").write_text("WEBVTT\n\n" + "".join(
        f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n<v {name}>{words}</v>\n\n" for i, (name, words) in enumerate(cues)),
        encoding="utf-8")
    assert run("code", "fenmoor.txt", "fenmoor-teams.vtt", "--codebook", CODEBOOK, "--out", "e.csv", "--rules-only",
               "--interviewer", "Ana Lopez").stderr == (
        "Warning: fenmoor-teams.vtt: the same words as fenmoor.txt; if it is the same transcript, leave one of them "
        "out, or its codings are written (and counted) twice\n")
    run("init", "both", "--codebook", CODEBOOK, "--coder", "rules")
    assert_error(run("add", "fenmoor.txt", "Fenmoor interview.docx", "-p", "both", ok=False),
                 "Fenmoor interview.docx: the same words as fenmoor.txt, added with it; if it is the same transcript, "
                 "leave one of them out, or pass --allow-duplicate to keep both (its codings then count twice)")
    assert "Warning: Fenmoor interview.docx: the same words as document 'fenmoor' (its .txt)" in \
        run("add", "fenmoor.txt", "Fenmoor interview.docx", "-p", "both", "--allow-duplicate").stderr


def test_adding_a_file_again_with_another_case_or_interviewer_is_refused(workdir):
    """Reported: a file added again, unchanged, with another --case said "unchanged ... [case ytown]" and made an
    empty case Ytown (one more case in every case count), and with the --interviewer its warning asked for said
    "unchanged" and kept coding the interviewer's questions. Both are refused; the same command again is not."""
    Path("plain.txt").write_text(INTERVIEW.split("---")[-1], encoding="utf-8")
    run("init", "proj", "--codebook", CODEBOOK, "--coder", "rules")
    run("add", "plain.txt", "--case", "Xtown", "-p", "proj")
    assert_error(run("add", "plain.txt", "--case", "Ytown", "-p", "proj", ok=False),
                 "plain.txt: already in the project as 'plain' under case 'Xtown', not 'Ytown'; leave the file out, "
                 "or change its case with casecode rename-case (or casecode remove plain, then add it again)")
    assert_error(run("add", "plain.txt", "--case", "Xtown", "--interviewer", "Ana Lopez", "-p", "proj", ok=False),
                 "plain.txt: already in the project as 'plain', where 1 turn(s) the interviewer named now asks are "
                 "coded (unit 1 the first); to leave them out, casecode remove plain, then add it again with the "
                 "interviewer named")
    assert "unchanged: plain (plain.txt) [case xtown]" in run("add", "plain.txt", "--case", "XTOWN", "-p", "proj").stdout
    assert "unchanged: plain (plain.txt)" in run("add", "plain.txt", "-p", "proj").stdout
    with open_project("proj") as proj:
        assert proj.cases().case_id.tolist() == ["xtown"]
        assert proj.segments().role.tolist() == ["respondent"] * 3
    run("remove", "plain", "-p", "proj")
    run("add", "plain.txt", "--case", "Xtown", "--interviewer", "Ana Lopez", "-p", "proj")
    with open_project("proj") as proj:
        assert proj.segments().role.tolist() == ["interviewer", "respondent", "respondent"]
    assert "unchanged" in run("add", "plain.txt", "--case", "Xtown", "--interviewer", "Ana Lopez", "-p", "proj").stdout


def test_code_files_warns_of_a_copy_under_another_name(workdir):
    """Reported: `casecode add` warns of a transcript added twice under two names, but `casecode code FILES` wrote
    its codings twice without a word (and any count over the CSV counted them twice)."""
    Path("fenmoor-copy.txt").write_bytes(Path("fenmoor.txt").read_bytes())
    result = run("code", "fenmoor.txt", "ashby.md", "fenmoor-copy.txt", "--codebook", CODEBOOK, "--out", "c.csv",
                 "--rules-only")
    assert result.stderr == ("Warning: fenmoor-copy.txt: the same text as fenmoor.txt; if it is the same transcript, "
                             "leave one of them out, or its codings are written (and counted) twice\n")
    table = pd.read_csv("c.csv")
    assert len(table[table.document == "fenmoor"]) == len(table[table.document == "fenmoor-copy"]) > 0
