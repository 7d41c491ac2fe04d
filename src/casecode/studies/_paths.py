"""Where the study record lives: a checkout's `corpus/` and `codebooks/` folders, or their copy in the installed
package (see `casecode._data`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._data import data_roots
from ..errors import CorpusError


@dataclass(frozen=True)
class StudyPaths:
    root: Path
    report: Path
    councils: Path
    reference: Path
    codebook: Path
    framework_codebook: Path


def study_paths(root: str | Path | None = None) -> StudyPaths:
    """Locate the 2015 study record; `root` (or $CASECODE_HOME) overrides the search."""
    for base in ([Path(root)] if root else data_roots()):
        report = base / "corpus" / "2015-solace" / "final-report-2016.txt"
        if report.is_file():
            study = base / "corpus" / "2015-solace"
            return StudyPaths(
                root=base,
                report=report,
                councils=study / "councils.csv",
                reference=study / "reference_coding.csv",
                codebook=base / "codebooks" / "leadership-actions-2015.yaml",
                framework_codebook=base / "codebooks" / "innovation-framework-2016.yaml",
            )
    raise CorpusError(
        "corpus/2015-solace/final-report-2016.txt not found in a casecode checkout or the installed package; "
        "reinstall casecode, or set CASECODE_HOME to the folder that holds corpus/ and codebooks/"
    )
