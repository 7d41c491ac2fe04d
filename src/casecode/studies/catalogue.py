"""The studies `casecode reproduce --study NAME` can rebuild. A study is a module under casecode.studies with a
`reproduce(out, nlp_name=None)` that returns an object with `summary_lines()`; adding one is one line here."""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import CorpusError

#: Study name -> module under casecode.studies.
STUDIES = {"2015": "solace2015", "schools-demo": "schools_demo"}
#: The studies `casecode init --from-study NAME` (studies.replication) can start a replication from: those whose
#: codebook, baseline and transcript coder casecode ships.
REPLICABLE = ("2015",)
#: The studies `casecode evaluate --study NAME` (studies.evaluation) can score casecode's coders on.
EVALUABLE = ("2015",)


def reproduce_study(name: str, out: str | Path, nlp_name: str | None = None):
    """Rebuild study `name` into `out`."""
    if name not in STUDIES:
        raise CorpusError(f"unknown study {name!r}; choose one of {', '.join(STUDIES)}")
    module = importlib.import_module(f"{__package__}.{STUDIES[name]}")
    return module.reproduce(out, nlp_name=nlp_name)
