"""A progress bar for long work, shown on a terminal and silent otherwise.

Every long loop in casecode (training, the study evaluation, coding many files) goes through `progress` so the
behaviour is the same everywhere: a tqdm bar on stderr when stderr is a terminal, nothing at all when it is a file,
a pipe or a test runner. `CASECODE_PROGRESS=0` turns bars off on a terminal; `CASECODE_PROGRESS=1` forces them on.
tqdm is used rather than our own printing because it handles terminal width, rates, ETAs and nested bars.
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, Optional, TypeVar

T = TypeVar("T")

__all__ = ["progress", "progress_enabled"]


def progress_enabled(stream=None) -> bool:
    """Whether a bar should be drawn on `stream` (default stderr): a terminal, unless CASECODE_PROGRESS says otherwise."""
    forced = os.environ.get("CASECODE_PROGRESS", "").strip().lower()
    if forced in {"0", "false", "no", "off"}:
        return False
    if forced in {"1", "true", "yes", "on"}:
        return True
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or odd stream
        return False


def progress(iterable: Iterable[T], *, total: Optional[int] = None, desc: str = "", unit: str = "it",
             leave: bool = False, min_total: int = 0, stream=None) -> Iterator[T]:
    """Iterate over `iterable`, drawing a bar when `progress_enabled()`; otherwise yield the items untouched.

    `total` is taken from `len(iterable)` when it has one. Work shorter than `min_total` items gets no bar (so a
    loop called many times on small inputs does not flicker). The bar is cleared at the end unless `leave`.
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    if not progress_enabled(stream) or (total is not None and total < min_total):
        yield from iterable
        return
    from tqdm import tqdm

    bar = tqdm(iterable, total=total, desc=desc or None, unit=unit, leave=leave,
               file=sys.stderr if stream is None else stream, dynamic_ncols=True)
    try:
        yield from bar
    finally:
        bar.close()
