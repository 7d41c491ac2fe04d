"""The README's researcher section, walked end to end twice over one project (issue #13): every command of its
block runs as written, every workbook is applied again, and the store, the report and the agreement figures after
the second pass are exactly those of the first."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casecode.cli import app
from casecode.store import open_project

from test_workflow import (BOM_CRLF_TXT, CP1252_TXT, FRONT_MATTER_MD, FRONT_MATTER_TXT, SRT, VTT, _write_docx,
                           edit_workbook)

ROOT = Path(__file__).resolve().parents[1]

TEAM = """\
Interviewer: What did the council do differently?

Kay Moss: We listen to our staff and the frontline teams shape every change.

Kay Moss: We set up a partnership with the health trust and the housing association.

Kay Moss: We ring-fenced a budget of two hundred thousand pounds for innovation.

Kay Moss: We went to see how Wigan do it and borrowed their approach.

Kay Moss: We co-designed the new service with residents in every ward.

Kay Moss: Members and officers work as one team on a clear vision for the place.

Kay Moss: We pilot ideas quickly, learn from them and then roll them out.
"""


def readme_block() -> list[str]:
    """The researcher section's command block: its `casecode` lines and its comment lines, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The researcher"):text.index("What each step does:")]
    return [line.strip() for line in section.splitlines()
            if line.startswith("    casecode ") or line.startswith("    # ")]


def write_interviews(root: Path) -> None:
    """Transcripts where the README's globs and manifest expect them: Fenmoor's by --case, the rest by manifest."""
    fenmoor, ashby, carlow = (root / "interviews" / name for name in ("fenmoor", "ashby", "carlow"))
    for folder in (fenmoor, ashby, carlow):
        folder.mkdir(parents=True)
    (fenmoor / "fenmoor.txt").write_text(FRONT_MATTER_TXT, encoding="utf-8")
    (fenmoor / "fenmoor-policy.txt").write_text(BOM_CRLF_TXT, encoding="utf-8")
    _write_docx(fenmoor / "fenmoor-leader.docx")
    (fenmoor / "fenmoor-team.txt").write_text(TEAM, encoding="utf-8")
    (ashby / "ashby-director.md").write_text(FRONT_MATTER_MD, encoding="utf-8")
    (ashby / "ashby-finance.txt").write_bytes(CP1252_TXT.replace("\n", "\r").encode("cp1252"))
    (carlow / "carlow-panel.vtt").write_text(VTT, encoding="utf-8")
    (carlow / "carlow-partners.srt").write_text(SRT, encoding="utf-8")
    (root / "interviews" / "manifest.csv").write_text(
        "file,case,case_type,interviewee,role\n"
        "ashby/ashby-director.md,Ashby Borough Council,district,Priya Shah,Director of Place\n"
        "ashby/ashby-finance.txt,Ashby Borough Council,district,Mark Evans,Finance Director\n"
        "carlow/carlow-panel.vtt,Carlow City Council,unitary,Sam Green,Leader\n"
        "carlow/carlow-partners.srt,Carlow City Council,unitary,Lee Wong,Director of Partnerships\n",
        encoding="utf-8")


def fill_workbooks(root: Path) -> None:
    """What the comment line asks: Ana and Ben each fill a copy of review.xlsx."""
    blank = root / "review.xlsx"
    sheet = pd.read_excel(blank, sheet_name="review")
    ids = [int(i) for i in sheet.coding_id]
    ana = {i: {"decision": "reject" if n == 0 else "accept", "decided_by": "Ana Diaz"} for n, i in enumerate(ids)}
    ana[ids[1]] = {"decision": "recode", "new_code": "culture", "comment": "about culture"}  # decided_by empty
    last = sheet.iloc[-1]
    on_unit = set(sheet[(sheet.document == last.document) & (sheet.unit == last.unit)].code) | {"culture"}
    code = next(c for c in ("bold", "agile", "learn", "leaders", "digital") if c not in on_unit)
    added = [{"document": last.document, "unit": int(last.unit), "decision": "add", "new_code": code}]
    edit_workbook(blank, root / "review-ana.xlsx", ana, added)
    ben = {i: {"decision": "accept" if n % 2 else "reject", "decided_by": "Ben Cole"} for n, i in enumerate(ids)}
    edit_workbook(blank, root / "review-ben.xlsx", ben)


def run_block(root: Path, runner: CliRunner, first: bool) -> list[str]:
    """Run every line of the block; returns the outputs. On the second pass `init` must refuse, in one line."""
    outputs = []
    for line in readme_block():
        if line.startswith("#"):
            if first:
                fill_workbooks(root)
            continue
        words = shlex.split(line)[1:]
        args = [match for word in words for match in (sorted(glob.glob(word)) if "*" in word else [word])]
        result = runner.invoke(app, args)
        if args[0] == "init" and not first:
            assert result.exit_code == 1 and "already holds a casecode project" in result.output, result.output
            continue
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs.append(result.output)
    return outputs


def snapshot(root: Path) -> dict:
    """Everything the researcher relies on: the store's codings, decisions and memos, the report's tables, the
    agreement figures and the exported segments (times and ids of runs left out)."""
    with open_project(root / "my-study") as project:
        store = {
            "codings": project.codings().drop(columns=["created_at", "run"]),
            "decisions": project.decisions().drop(columns=["decided_at", "decision_id"]),
            "memos": project.memos().drop(columns=["created_at"]),
            "documents": project.documents().drop(columns=["added_at"]),
            "model": project.models().drop(columns=["created_at"]),
        }
    report = {name: pd.read_csv(root / "my-study" / "report" / name)
              for name in ("case_by_code.csv", "cases_per_code.csv")}
    agreement = {name: pd.read_csv(root / "agreement" / name) for name in ("agreement.csv", "disagreements.csv")}
    segments = pd.read_excel(root / "my-study" / "segments.xlsx").drop(columns=["decided_at"])
    return {**store, **report, **agreement, "segments": segments}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_readme_researcher_section_twice_equals_once(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "codebooks", tmp_path / "codebooks")
    write_interviews(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    outputs = run_block(tmp_path, runner, first=True)
    once = snapshot(tmp_path)
    assert len(once["decisions"]) > 5 and (once["codings"].status == "manual").sum() == 2
    assert set(once["decisions"].decided_by) == {"Ana Diaz"}
    assert (once["agreement.csv"].coders == 2).all() and "Ana Diaz" in once["disagreements.csv"].columns
    assert len(once["memos"]) == 1 and once["case_by_code.csv"].shape[0] == 3

    again = run_block(tmp_path, runner, first=False)
    twice = snapshot(tmp_path)
    for name, table in once.items():
        pd.testing.assert_frame_equal(twice[name], table, obj=name)
    code_line = next(out for out in again if "coded before" in out)
    assert code_line.startswith("Nothing to code: all 8 documents were coded before")
    assert any("already says this; nothing stored" in out for out in again)
    assert outputs[0].startswith("Created project")


def test_readme_python_example_runs_on_a_project(tmp_path, monkeypatch):
    """The findings report section's Python block, run as written in a folder holding a project 'my-study'."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("    from casecode.store import open_project")
    block = text[start:text.index("\n\n", text.index("project_report(project", start))]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leader.md").write_text(FRONT_MATTER_MD, encoding="utf-8")
    runner = CliRunner()
    for args in (["init", "my-study", "--codebook", "leadership-actions-2015", "--coder", "rules"],
                 ["add", "leader.md", "-p", "my-study"], ["code", "-p", "my-study"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    namespace: dict = {}
    exec(compile("\n".join(line[4:] for line in block.splitlines()), "README.md", "exec"), namespace)
    assert list(namespace["tables"].matrix.columns[:2]) == ["bold", "partnerships"]
    assert (tmp_path / "my-study" / "report" / "report.docx").is_file()
