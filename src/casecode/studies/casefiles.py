"""A study whose record is one text file per case (with `case:` in its front matter), a codebook, and a case-level
reference coding (`reference.csv`: `case, code`, one row per action the study's authors found in a case).

`reproduce_case_files` rebuilds such a study through the researcher's own path (init, add, code with the rules),
then writes the case-by-code matrices, the cases-per-code table and chart (titled and named by the study), and
how far the automatic coding agrees with the reference. A new study of this shape is a folder of data plus a few
lines registering it in `casecode.studies.catalogue`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from .._output import publish, write_csv
from ..errors import CorpusError


@dataclass
class CaseFilesReproduction:
    """What `reproduce_case_files` wrote, with the case-level agreement."""

    out: Path
    project: Path
    files: list[Path]
    table: pd.DataFrame
    agreement: float
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [f"Project store: {self.project / 'project.sqlite'}"]
        lines += [f"Wrote {path}" for path in self.files]
        lines.append(f"Case-level agreement with the reference: {self.agreement:.3f}")
        lines.append(f"Done in {self.seconds:.1f} s.")
        return lines


def read_case_reference(path: Path, codes: list[str], cases: list[str]) -> pd.DataFrame:
    """The reference coding as a 0/1 case-by-code matrix; an unknown case or code is an error naming the row."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise CorpusError(f"{path}: reference coding not found; add it (columns case, code)") from None
    if list(table.columns[:2]) != ["case", "code"]:
        raise CorpusError(f"{path}: the columns must be case, code; found {', '.join(table.columns)}")
    matrix = pd.DataFrame(0, index=pd.Index(cases, name="case_id"), columns=codes)
    for number, row in enumerate(table.itertuples(index=False), start=2):
        if row.case not in matrix.index:
            raise CorpusError(f"{path}, row {number}: unknown case {row.case!r}; use one of {', '.join(cases)}")
        if row.code not in matrix.columns:
            raise CorpusError(f"{path}, row {number}: unknown code {row.code!r}; use one of {', '.join(codes)}")
        matrix.loc[row.case, row.code] = 1
    return matrix


def reproduce_case_files(folder: str | Path, codebook_path: str | Path, out: str | Path, *, name: str, title: str,
                         series_names: Mapping[str, str] | None = None, unit_label: str = "Number of cases",
                         nlp_name: str | None = None) -> CaseFilesReproduction:
    """Rebuild a case-files study (see the module docstring) from `folder` into `out`."""
    from ..analysis import case_code_matrix, cases_per_code
    from ..codebook import read_codebook
    from ..reports import plot_cases_per_code
    from ..store import init_project
    from ..workflow import add_files, code_project, make_coder

    started = time.perf_counter()
    folder = Path(folder)
    texts = sorted(folder.glob("*.txt"))
    if not texts:
        raise CorpusError(f"{folder}: no case files (*.txt with 'case:' front matter)")
    codebook = read_codebook(codebook_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".reproduce-", dir=out))
    try:
        with init_project(staging / "project", codebook, name=name, coder="rules") as project:
            add_files(project, texts)
            code_project(project, nlp_name=nlp_name, coder=make_coder(codebook, nlp_name, project.cases()))
            cases = project.cases()
            segments, codings = project.segments(), project.codings()
        codes = codebook.chart_ids or codebook.ids
        automatic = case_code_matrix(codings, segments, codes, cases=cases)
        reference = read_case_reference(folder / "reference.csv", codes, list(cases.case_id))
        table = cases_per_code(reference, labels=codebook)[["code", "label", "cases"]].rename(
            columns={"cases": "reference"})
        table["automatic"] = table.code.map(automatic.sum()).astype(int)
        files = []
        for kind, matrix in (("reference", reference), ("automatic", automatic)):
            write_csv(matrix, staging / f"cases_by_code_{kind}.csv", index=True)
            files.append(staging / f"cases_by_code_{kind}.csv")
        write_csv(table, staging / "cases_per_code.csv")
        files.append(staging / "cases_per_code.csv")
        files += plot_cases_per_code(table, staging / "cases_per_code", title=title, reported=False,
                                     n_cases=len(cases), unit_label=unit_label, names=dict(series_names or {}))
        files.append(staging / "project")
        final = publish(files, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    agreement = float((reference.to_numpy() == automatic.reindex_like(reference).to_numpy()).mean())
    return CaseFilesReproduction(out, out / "project", final, table, agreement, time.perf_counter() - started)
