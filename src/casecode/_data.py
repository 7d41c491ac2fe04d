"""Where casecode's shipped files live: a checkout's `codebooks/` and `corpus/`, or the copy inside an installed
package (`casecode/data/`, made when the wheel is built)."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
CODEBOOKS = "codebooks"


def data_roots() -> list[Path]:
    """Folders that may hold `codebooks/` and `corpus/`, first match wins: $CASECODE_HOME, the folder you run in
    (a second checkout reads its own files), the checkout an editable install points at, the installed package."""
    env = os.environ.get("CASECODE_HOME")
    return ([Path(env)] if env else []) + [Path.cwd(), _PACKAGE.parents[1], _PACKAGE / "data"]


def shipped_codebooks() -> dict[str, Path]:
    """Name (file name without .yaml) -> path of each codebook casecode ships, from the first root that has any."""
    for root in data_roots():
        found = sorted((root / CODEBOOKS).glob("*.yaml"))
        if found:
            return {p.stem: p for p in found}
    return {}


def shipped_codebook(name: str) -> Path | None:
    """The shipped codebook called `name` ("leadership-actions-2015", ".yaml" optional), or None."""
    if not name or "/" in name or os.sep in name:
        return None
    return shipped_codebooks().get(name[:-5] if name.endswith(".yaml") else name)
