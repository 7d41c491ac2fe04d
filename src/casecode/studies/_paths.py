"""Where the study record lives: the repository's `corpus/` and `codebooks/` folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError


@dataclass(frozen=True)
class StudyPaths:
    root: Path
    report: Path
    councils: Path
    reference: Path
    codebook: Path
    framework_codebook: Path
    demo: Path


def _candidates() -> list[Path]:
    env = os.environ.get("CASECODE_HOME")
    here = Path(__file__).resolve()
    out = [Path(env)] if env else []
    # The folder you run in comes first (a second checkout must read its own study files), then the checkout an
    # editable install points at: src/casecode/studies/_paths.py → the repository root.
    out += [Path.cwd(), here.parents[3]]
    return out


def study_paths(root: str | Path | None = None) -> StudyPaths:
    """Locate the 2015 study record; `root` (or $CASECODE_HOME) overrides the search."""
    for base in ([Path(root)] if root else _candidates()):
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
                demo=base / "corpus" / "demo-replication",
            )
    raise CorpusError(
        "corpus/2015-solace/final-report-2016.txt not found; run from a casecode checkout or set CASECODE_HOME "
        "to the folder that holds corpus/ and codebooks/"
    )
