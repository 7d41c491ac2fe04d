"""Real processes against one project: SIGKILL at several moments (among them inside the write transaction, seen by
SQLite's journal file), and two commands at once. Each time the store checks clean and a re-run ends with the counts
of an uninterrupted run."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from casecode.store import open_project

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"
TRAINING = ROOT / "corpus" / "training-transcripts"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and SQLite journal files as on POSIX")


def _files() -> list[Path]:
    return sorted((TRAINING / "set1").glob("*.txt")) + sorted((TRAINING / "set2").glob("*.txt"))


def _start(*args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("CASECODE_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "casecode.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _run(*args) -> subprocess.CompletedProcess:
    process = _start(*args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, (args, out, err)
    assert "Traceback" not in err and "locked" not in err
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def _counts(folder: Path) -> dict:
    """What a run leaves: rows per table and codings per status; and the integrity check, which must be clean."""
    with open_project(folder) as project:
        checked = project.check()
        codings = project.codings()
    assert checked["problems"] == [], checked["problems"]
    return dict(checked["counts"], **{f"status:{k}": int(v) for k, v in codings.status.value_counts().items()})


def _fill(workbook: Path) -> Path:
    """Decide every suggestion: accept most, reject every third, recode every seventh."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    column = {name: header.index(name) + 1 for name in ("coding_id", "decision", "new_code", "code")}
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=column["coding_id"]).value is None:
            continue
        if row % 7 == 0:
            code = sheet.cell(row=row, column=column["code"]).value
            sheet.cell(row=row, column=column["decision"], value="recode")
            sheet.cell(row=row, column=column["new_code"], value="bold" if code != "bold" else "agile")
        else:
            sheet.cell(row=row, column=column["decision"], value="reject" if row % 3 == 0 else "accept")
    filled = workbook.with_name("filled.xlsx")
    book.save(filled)
    return filled


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """Project folders after each uninterrupted step, the counts each step ends with, and each step's duration."""
    root = tmp_path_factory.mktemp("stages")
    folders, counts, seconds = {}, {}, {}
    folder = root / "work"
    _run("init", folder, "--codebook", CODEBOOK)
    folders["init"] = _snapshot(folder, root / "init")
    steps = {
        "add": ("add", *_files(), "-p", folder),
        "code": ("code", "-p", folder),
    }
    for name, args in steps.items():
        started = time.perf_counter()
        _run(*args)
        seconds[name] = time.perf_counter() - started
        counts[name] = _counts(folder)
        folders[name] = _snapshot(folder, root / name)
    _run("review", "-p", folder, "--out", root / "review.xlsx")
    workbook = _fill(root / "review.xlsx")
    started = time.perf_counter()
    _run("review", "-p", folder, "--apply", workbook, "--reviewer", "Ana")
    seconds["apply"] = time.perf_counter() - started
    counts["apply"] = _counts(folder)
    return {"root": root, "folders": folders, "counts": counts, "seconds": seconds, "workbook": workbook}


def _snapshot(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to)
    return to


def _args(step: str, folder: Path, workbook: Path) -> tuple:
    return {
        "add": ("add", *_files(), "-p", folder),
        "code": ("code", "-p", folder),
        "apply": ("review", "-p", folder, "--apply", workbook, "--reviewer", "Ana"),
    }[step]


def _kill_when(process: subprocess.Popen, journal: Path, delay: float | None) -> bool:
    """SIGKILL `process` after `delay` seconds, or (delay None) the moment SQLite's journal shows a write
    transaction under way. Returns True when the kill landed inside a write transaction."""
    deadline = time.perf_counter() + (delay if delay is not None else 300)
    while process.poll() is None and time.perf_counter() < deadline:
        if delay is None and journal.exists():
            break
        time.sleep(0.0005)
    inside = journal.exists()
    process.send_signal(signal.SIGKILL)
    process.communicate()
    return inside and process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("step, before", [("add", "init"), ("code", "add"), ("apply", "code")])
def test_sigkill_at_several_moments_leaves_a_clean_store_and_a_rerun_ends_as_one_run(stages, tmp_path, step, before):
    # Inside the write transaction (tried again, up to three times, if the transaction was over before the poll saw
    # it), then at a moment part-way through the run.
    moments = [None, None, None, 0.6]
    landed_inside = False
    for i, moment in enumerate(moments):
        if moment is None and landed_inside:
            continue
        folder = tmp_path / f"kill{i}"
        shutil.copytree(stages["folders"][before], folder)
        delay = None if moment is None else moment * stages["seconds"][step]
        process = _start(*_args(step, folder, stages["workbook"]))
        inside = _kill_when(process, folder / "project.sqlite-journal", delay)
        landed_inside |= inside and moment is None
        # The integrity check passes whatever the moment, and the store is as before the run or as after it.
        assert _counts(folder) in (_counts(stages["folders"][before]), stages["counts"][step])
        _run(*_args(step, folder, stages["workbook"]))
        assert _counts(folder) == stages["counts"][step]
    assert landed_inside, "no kill landed inside the write transaction"


def _together(*commands) -> list[subprocess.CompletedProcess]:
    processes = [_start(*args) for args in commands]
    results = []
    for args, process in zip(commands, processes):
        out, err = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(args, process.returncode, out, err))
    for result in results:
        assert result.returncode == 0, (result.args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "locked" not in result.stderr
    return results


def test_two_code_runs_at_once_store_each_suggestion_once(stages, tmp_path):
    folder = shutil.copytree(stages["folders"]["add"], tmp_path / "p")
    results = _together(("code", "-p", folder), ("code", "-p", folder))
    assert _counts(folder) == stages["counts"]["code"]
    # Each run says what it stored ("Stored N suggestions"), or that there was nothing left to code.
    stored = [int(m.group(1)) if (m := re.search(r"Stored (\d+) suggestions", r.stdout)) else 0 for r in results]
    assert sum(stored) == stages["counts"]["code"]["codings"]


def test_code_and_review_apply_at_once_lose_no_decision(stages, tmp_path):
    folder = shutil.copytree(stages["folders"]["code"], tmp_path / "p")
    extra = sorted((TRAINING / "set3").glob("*.txt"))
    _run("add", *extra, "-p", folder)
    _together(("code", "-p", folder), ("review", "-p", folder, "--apply", stages["workbook"], "--reviewer", "Ana"))
    both = _counts(folder)
    assert both["decisions"] == stages["counts"]["apply"]["decisions"]
    for status in ("status:accepted", "status:rejected", "status:manual"):
        assert both.get(status) == stages["counts"]["apply"].get(status)
    assert both["codings"] > stages["counts"]["apply"]["codings"]  # the new files were coded too


def test_add_and_code_at_once_leave_a_consistent_store(stages, tmp_path):
    folder = shutil.copytree(stages["folders"]["init"], tmp_path / "p")
    files = _files()
    _run("add", *files[:3], "-p", folder)
    _together(("add", *files[3:], "-p", folder), ("code", "-p", folder))
    _run("code", "-p", folder)
    assert _counts(folder) == stages["counts"]["code"]
