"""How the project commands scale: every step at N and 10N transcripts, timed in one run, with the ratio.

    python bench/bench_project.py                 # 20 and 200 transcripts (a few minutes)
    python bench/bench_project.py --files 200     # the issue's 200 and 2,000 (long: run once)

The table goes to the "Project commands" section of bench/RESULTS.md (--out), with the date, the machine and
the load average; the other sections are kept.

Steps, as the CLI runs them (library calls, rules only): add, code -p, code -p again with nothing new, review
(workbook and HTML), review --apply (every suggestion accepted), agree (two reviewers' workbooks), report. A step
that scales linearly takes about 10x as long at 10N; the target is at most 11x, and code -p with nothing new
should take seconds at any size. The machine is shared: compare the ratios, and rerun a step that looks odd.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import header, load, write_section  # noqa: E402
from corpus_builder import build  # noqa: E402

CODEBOOK = HERE.parent / "codebooks" / "leadership-actions-2015.yaml"
STEPS = ["add", "code -p", "code -p (nothing new)", "review", "review --apply", "agree", "report"]


def _decide(workbook: Path, out: Path, reviewer: str, every: int) -> None:
    """Fill the decision column: accept, or reject every `every`-th row, as a reviewer would."""
    book = openpyxl.load_workbook(workbook)
    sheet = book["review"] if "review" in book.sheetnames else book.worksheets[0]
    header = [c.value for c in sheet[1]]
    col = header.index("decision") + 1
    who = header.index("decided_by") + 1
    for i, row in enumerate(range(2, sheet.max_row + 1)):
        sheet.cell(row=row, column=col, value="reject" if every and i % every == 0 else "accept")
        sheet.cell(row=row, column=who, value=reviewer)
    book.save(out)


def run(n_files: int, work: Path) -> dict[str, float]:
    from casecode.codebook import read_codebook
    from casecode.store import init_project
    from casecode.workflow import add_files, agree, apply_review, code_project, project_report, write_review

    words_per_file = 1_300  # the training transcripts' average
    paths, _ = build(work / f"corpus-{n_files}", n_files * words_per_file)
    paths = paths[:n_files]
    codebook = read_codebook(CODEBOOK)
    project = init_project(work / f"project-{n_files}", codebook, name="bench")
    times: dict[str, float] = {}

    def timed(name, function):
        started = time.perf_counter()
        result = function()
        times[name] = time.perf_counter() - started
        print(f"  {n_files} files: {name} {times[name]:.1f} s", flush=True)
        return result

    timed("add", lambda: add_files(project, paths))
    timed("code -p", lambda: code_project(project))
    timed("code -p (nothing new)", lambda: code_project(project))
    workbook = work / f"review-{n_files}.xlsx"
    timed("review", lambda: write_review(project, workbook, work / f"html-{n_files}"))
    ana, ben = work / f"ana-{n_files}.xlsx", work / f"ben-{n_files}.xlsx"
    _decide(workbook, ana, "Ana", 0)
    _decide(workbook, ben, "Ben", 5)
    timed("review --apply", lambda: apply_review(project, ana, reviewer="Ana"))
    timed("agree", lambda: agree([ana, ben], codebook, project.segments()))
    timed("report", lambda: project_report(project, work / f"report-{n_files}"))
    project.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="N: the small project (10N is the large one)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the results file (its 'Project "
                        "commands' section is replaced)")
    args = parser.parse_args()
    os.environ.setdefault("CASECODE_PROGRESS", "0")
    started, load_before = dt.datetime.now(dt.timezone.utc), load()
    work = Path(tempfile.mkdtemp(prefix="casecode-bench-project-"))
    small = run(args.files, work)
    large = run(10 * args.files, work)
    lines = header(f"python bench/bench_project.py --files {args.files}", started, load_before) + [
        "", f"Project commands at {args.files} and {10 * args.files} transcripts of about 1,300 words (rules only, "
            "SQLite, library calls as the CLI makes them; each step timed once):", "",
        f"| step | {args.files} files (s) | {10 * args.files} files (s) | ratio (target <= 11) |",
        "|---|---|---|---|"]
    for step in STEPS:
        ratio = large[step] / small[step] if small[step] > 0 else float("nan")
        lines.append(f"| {step} | {small[step]:.2f} | {large[step]:.2f} | {ratio:.1f}x |")
    print(write_section(args.out, "Project commands", lines))


if __name__ == "__main__":
    main()
