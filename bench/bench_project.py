"""How the project commands scale: every step at N and 10N transcripts, timed in rounds, with the ratio.

    python bench/bench_project.py                           # 20 and 200 transcripts, 3 rounds (a few minutes)
    python bench/bench_project.py --files 200 --repeat 3    # the issue's 200 and 2,000 (long: ~15 min idle)

Each round builds fresh projects at both sizes (N, then 10N, back to back) and times every step on them once, so
a step that changes the store (add, code -p, review --apply) always starts from the same state, and a burst of
load from other work touches one round's pair rather than one size only. Only the step is timed: the corpus is
built once per size, and filling in the reviewers' workbooks (which a person does) is not timed. The table gives,
per step, the median seconds at each size, the median of the rounds' ratios and their spread (lowest-highest),
and beside them the CPU seconds the step used (this process and any worker processes it waited for, user +
system) with their ratio: on a loaded machine wall time waits for other work, CPU time much less, so a wall ratio
far from the CPU ratio says the load moved it.

The table goes to the "Project commands" section of bench/RESULTS.md (--out), with the date, the machine and
the load average; the other sections are kept.

Steps, as the CLI runs them (library calls, rules only): add, code -p, code -p again with nothing new, review
(workbook and HTML), review --apply (every suggestion accepted), agree (two reviewers' workbooks), report. A step
that scales linearly takes about 10x as long at 10N; the target is at most 11x, and code -p with nothing new
should take seconds at any size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import shutil
import statistics
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
WORDS_PER_FILE = 1_300  # the training transcripts' average


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


def corpus(n_files: int, work: Path) -> list[Path]:
    """The first `n_files` transcripts of the bench corpus (written once under `work`)."""
    words = n_files * WORDS_PER_FILE
    while True:  # deterministic files: asking for more words only adds files after the same first ones
        paths, _ = build(work / f"corpus-{n_files}", words)
        if len(paths) >= n_files:
            return paths[:n_files]
        words = int(words * 1.2)


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of the children it has waited for, e.g. a step's workers."""
    now = os.times()
    return now.user + now.system + now.children_user + now.children_system


def run(paths: list[Path], work: Path, only: set[str] | None = None, wrap=None) -> dict[str, tuple[float, float]]:
    """Every step on a fresh project of `paths` in `work` (made empty first); returns (wall, CPU) seconds per step.

    `wrap(name, function)`, when given, runs each timed step instead of calling it (e.g. under a profiler); `only`
    names the steps to wrap (the others run plain)."""
    from casecode.codebook import read_codebook
    from casecode.store import init_project
    from casecode.workflow import add_files, agree, apply_review, code_project, project_report, write_review

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    n_files = len(paths)
    codebook = read_codebook(CODEBOOK)
    project = init_project(work / "project", codebook, name="bench")
    times: dict[str, tuple[float, float]] = {}

    def timed(name, function):
        call = (lambda: wrap(name, function)) if wrap is not None and (only is None or name in only) else function
        gc.collect()
        started, cpu_started = time.perf_counter(), cpu_seconds()
        result = call()
        times[name] = (time.perf_counter() - started, cpu_seconds() - cpu_started)
        print(f"  {n_files} files: {name} {times[name][0]:.2f} s (CPU {times[name][1]:.2f} s)", flush=True)
        return result

    timed("add", lambda: add_files(project, paths))
    timed("code -p", lambda: code_project(project))
    timed("code -p (nothing new)", lambda: code_project(project))
    workbook = work / "review.xlsx"
    timed("review", lambda: write_review(project, workbook, work / "html"))
    ana, ben = work / "ana.xlsx", work / "ben.xlsx"
    _decide(workbook, ana, "Ana", 0)
    _decide(workbook, ben, "Ben", 5)
    timed("review --apply", lambda: apply_review(project, ana, reviewer="Ana"))
    timed("agree", lambda: agree([ana, ben], codebook, project.segments()))
    timed("report", lambda: project_report(project, work / "report"))
    project.close()
    return times


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}x" if len(values) > 1 else "-"


def _columns(small: list[float], large: list[float]) -> list[str]:
    """Median seconds at each size, the median of the rounds' ratios, and their spread."""
    ratios = [y / x for x, y in zip(small, large) if x > 0]
    ratio = f"{statistics.median(ratios):.1f}x" if ratios else "n/a"
    return [f"{statistics.median(small):.2f}", f"{statistics.median(large):.2f}", ratio, _spread(ratios)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="N: the small project (10N is the large one)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (each: N then 10N, every step once); the "
                                                              "table gives medians and the ratios' spread")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the results file (its 'Project "
                        "commands' section is replaced)")
    args = parser.parse_args()
    os.environ.setdefault("CASECODE_PROGRESS", "0")
    started, load_before = dt.datetime.now(dt.timezone.utc), load()
    work = Path(tempfile.mkdtemp(prefix="casecode-bench-project-"))
    sizes = [args.files, 10 * args.files]
    try:
        paths = {n: corpus(n, work) for n in sizes}
        rounds: dict[int, list[dict[str, tuple[float, float]]]] = {n: [] for n in sizes}
        for r in range(args.repeat):
            for n in sizes:
                print(f"round {r + 1} of {args.repeat}, {n} files", flush=True)
                rounds[n].append(run(paths[n], work / f"round-{n}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    small, large = sizes
    command = f"python bench/bench_project.py --files {args.files} --repeat {args.repeat}"
    lines = header(command, started, load_before) + [
        "", f"Project commands at {small:,} and {large:,} transcripts of about 1,300 words (rules only, SQLite, "
            f"library calls as the CLI makes them). {args.repeat} round(s), each building fresh projects at both "
            "sizes back to back and timing every step once; the table gives the median seconds and the median of "
            "the rounds' ratios, with the lowest and highest ratio, first of wall time, then of CPU time (this "
            "process and its workers, user + system; a wall ratio far from the CPU ratio was moved by load):", "",
        f"| step | {small:,} files (s) | {large:,} files (s) | ratio (target <= 11) | ratio per round, "
        f"lowest-highest | CPU {small:,} files (s) | CPU {large:,} files (s) | CPU ratio | CPU ratio per round |",
        "|---|---|---|---|---|---|---|---|---|"]
    for step in STEPS:
        wall = _columns([t[step][0] for t in rounds[small]], [t[step][0] for t in rounds[large]])
        cpu = _columns([t[step][1] for t in rounds[small]], [t[step][1] for t in rounds[large]])
        lines.append(f"| {step} | " + " | ".join(wall + cpu) + " |")
    print(write_section(args.out, "Project commands", lines))


if __name__ == "__main__":
    main()
