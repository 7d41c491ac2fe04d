"""Golden files: today's outputs of `casecode reproduce` and of `casecode code FILES --codebook <2015>`.

`tests/test_golden.py` regenerates these outputs and compares them with the files in this folder, so a refactor
that changes a count, a coding or a score fails loudly. A change you MEAN (new counts, a better coder) is pinned
by regenerating the files and committing them in a commit of their own that says why:

    .venv/bin/python tests/golden/regenerate.py            # everything
    .venv/bin/python tests/golden/regenerate.py codings    # only the codings of the transcript sets

What is pinned, in a text form that diffs well:
- `reproduce/`: every CSV and Markdown file `casecode reproduce` writes (floats rounded to 6 places), the Word
  Appendix Two as its paragraphs and table cells (`appendix_two.docx.txt`), and the project store's codings
  (`project_codings.csv`: segment, code, status, coder, score). The PNG/SVG chart is not pinned (its data is
  `councils_per_action.csv`).
- `codings/<set>.csv`: for every training set (`corpus/training-transcripts/set*`) and held-out set
  (`tests/data/unseen*`), the codings `casecode code SET/*.txt --codebook codebooks/leadership-actions-2015.yaml`
  writes: document, unit, code, score (rounded to 3 places).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"
PARTS = ("reproduce", "codings")


def transcript_sets() -> dict[str, Path]:
    """Golden name -> folder of every training and held-out transcript set."""
    sets = {f"training-{p.name}": p for p in sorted((ROOT / "corpus" / "training-transcripts").glob("set*"))
            if list(p.glob("*.txt"))}
    sets.update({f"heldout-{p.name}": p for p in sorted((ROOT / "tests" / "data").glob("unseen*"))
                 if list(p.glob("*.txt"))})
    return sets


def _cli(args: list[str]) -> str:
    from typer.testing import CliRunner

    from casecode.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exit_code != 0:
        raise RuntimeError(f"casecode {' '.join(map(str, args))} failed:\n{result.output}\n{result.exception!r}")
    return result.output


def _csv_text(path: Path) -> str:
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    for column in frame.columns:  # round what reads as a float, keep everything else as written
        values = pd.to_numeric(frame[column].replace("", None), errors="coerce")
        if values.notna().all() and frame[column].str.contains(r"[.eE]").any():
            frame[column] = values.round(6).map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
    return frame.to_csv(index=False, lineterminator="\n")


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    lines = [f"[{p.style.name}] {p.text}" for p in document.paragraphs if p.text.strip()]
    for number, table in enumerate(document.tables, 1):
        lines.append(f"== table {number}")
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines) + "\n"


def _store_codings(project: Path) -> str:
    from casecode.store import open_project

    with open_project(project) as proj:
        codings = proj.codings()
    table = codings[["segment_id", "code", "status", "coder", "start", "end", "score"]].copy()
    table["score"] = table["score"].astype(float).round(6)
    table = table.sort_values(list(table.columns[:6])).reset_index(drop=True)
    return table.to_csv(index=False, lineterminator="\n", float_format="%.6f")


def reproduce_outputs(run=None) -> dict[str, str]:
    """Relative name -> normalised text of what `casecode reproduce` writes (`run`: how to call casecode with a
    list of arguments; default: this checkout's CLI, in this process)."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "out"
        (run or _cli)(["reproduce", "--out", folder])
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.suffix == ".csv":
                out[name] = _csv_text(path)
            elif path.suffix == ".md":
                out[name] = path.read_text(encoding="utf-8")
            elif path.suffix == ".docx":
                out[name + ".txt"] = _docx_text(path)
        out["project_codings.csv"] = _store_codings(folder / "project")
    return out


def codings_outputs(run=None, names=None, codebook=CODEBOOK) -> dict[str, str]:
    """Golden name -> the codings `casecode code` writes for each transcript set (document, unit, code, score);
    `names`: only these sets."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in transcript_sets().items():
            if names is not None and name not in names:
                continue
            target = Path(tmp) / f"{name}.csv"
            (run or _cli)(["code", *sorted(folder.glob("*.txt")), "--codebook", codebook, "--out", target])
            table = pd.read_csv(target, keep_default_na=False)[["document", "unit", "code", "score"]]
            table = table.sort_values(["document", "unit", "code"], kind="stable")
            out[f"{name}.csv"] = table.to_csv(index=False, lineterminator="\n", float_format="%.3f")
    return out


def generate(part: str) -> dict[str, str]:
    return reproduce_outputs() if part == "reproduce" else codings_outputs()


def stored(part: str) -> dict[str, str]:
    folder = HERE / part
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def main(argv: list[str]) -> int:
    parts = argv or list(PARTS)
    for part in parts:
        if part not in PARTS:
            print(f"unknown part {part!r}; choose from {', '.join(PARTS)}", file=sys.stderr)
            return 2
    for part in parts:
        files = generate(part)
        folder = HERE / part
        shutil.rmtree(folder, ignore_errors=True)
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} golden files under {folder.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
