"""A toy second study in another domain: three fictional schools and the practices their heads describe.

It exists to show (and test) that a study is data plus a few lines: its record is `corpus/schools-demo/` (one text
file per school, `reference.csv`, `codebook.yaml`), reproduced by `casecode reproduce --study schools-demo`.
"""

from __future__ import annotations

from pathlib import Path

from .._data import data_roots
from ..errors import CorpusError
from .casefiles import reproduce_case_files

FOLDER = Path("corpus") / "schools-demo"
TITLE = "Practices the demonstration schools describe"
SERIES = {"reference": "Schools (reference coding)", "automatic": "Schools (rules)"}


def study_folder() -> Path:
    for root in data_roots():
        if (root / FOLDER / "codebook.yaml").is_file():
            return root / FOLDER
    raise CorpusError(f"{FOLDER}/codebook.yaml not found; run from a casecode checkout or set CASECODE_HOME")


def reproduce(out, nlp_name: str | None = None):
    folder = study_folder()
    return reproduce_case_files(folder, folder / "codebook.yaml", out, name="Schools demonstration study",
                                title=TITLE, series_names=SERIES, unit_label="Number of schools", nlp_name=nlp_name)
