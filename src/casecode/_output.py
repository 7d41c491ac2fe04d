"""Writing output files safely, in one place for every room.

- Spreadsheet cells are neutralised as OWASP recommends for CSV injection: text starting with `=`, `+`, `-`, `@`,
  a tab or a carriage return gets a leading `'`, so no spreadsheet runs it as a formula; the text stays readable.
- Characters a spreadsheet or XML file cannot hold (control characters) are replaced, so stored text never makes
  a writer fail.
- Every file is written to a temporary file beside it and renamed into place, so a full disk or a killed process
  leaves the old file or none, never half of one.
- A file name made from data (a document id) is confined to its folder.
"""

from __future__ import annotations

import csv
import errno
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import OutputError

#: A text cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# C0 controls other than tab, newline and carriage return, and DEL: refused by openpyxl and by XML 1.0.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """`text` with control characters (other than tab and newline) replaced by U+FFFD, so any file can hold it."""
    return _CONTROL_RE.sub("\ufffd", text)


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet or CSV cell may safely hold it: text that a spreadsheet would run as a formula
    gets a leading `'`, and control characters are replaced. Numbers, dates and None pass unchanged."""
    if not isinstance(value, str):
        return value
    value = printable(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def unneutralised(value: Any) -> Any:
    """The text `safe_cell` was given, from a cell it wrote (the leading `'` removed again)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def os_reason(exc: OSError) -> str:
    """Why writing failed and the fix, in words, for an OutputError ("cannot write 'x': <reason>")."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return "the disk is full; free some space and run the command again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the folder is not writable; choose a folder you can write to"
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):  # making a folder where a file of that name is
        return "a file stands where its folder should be; choose another folder"
    return f"{exc.strerror or exc}; check the folder and run the command again"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write to; on success it is renamed to `path`, on any failure it is
    removed and `path` is left as it was. An OSError becomes an OutputError naming the file and the fix."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder '{path.parent}': {os_reason(exc)}") from None
    # Same folder (so the rename is atomic) and same suffix (so writers that go by the suffix still work).
    temp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield temp
        os.replace(temp, path)
    except OSError as exc:
        raise OutputError(f"cannot write '{path}': {os_reason(exc)}") from None
    finally:
        if temp.exists():
            try:
                temp.unlink()
            except OSError:
                pass


def write_file(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call `write(temp_path)` and move the result to `path`: all of the file or none of it."""
    path = Path(path)
    with atomic_path(path) as temp:
        write(temp)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text to `path` atomically."""
    return write_file(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_csv(frame, path: str | Path, index: bool = False) -> Path:
    """Write a DataFrame as CSV atomically, every text cell neutralised (see `safe_cell`)."""
    if index:
        frame = frame.reset_index()
    header = [safe_cell(str(column)) for column in frame.columns]
    rows = [[safe_cell(_plain(value)) for value in values] for values in frame.itertuples(index=False)]

    def write(temp: Path) -> None:
        with temp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    return write_file(path, write)


def _plain(value: Any) -> Any:
    """A DataFrame cell as csv writes it: missing is empty, lists joined with '; ', numpy scalars as Python."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (tuple, list, set, frozenset)):
        return "; ".join(str(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pass
    return value


def confined(folder: str | Path, name: str, suffix: str = "") -> Path:
    """`folder / (name + suffix)`, refusing a name that would leave the folder (a separator, `..`, absolute)."""
    folder = Path(folder)
    file_name = f"{name}{suffix}"
    bad = (not name or "/" in name or "\\" in name or name in (".", "..") or name.startswith(".")
           or _CONTROL_RE.search(name) or os.path.isabs(file_name) or ":" in name)
    target = folder / file_name
    if bad or target.resolve().parent != folder.resolve():
        raise OutputError(f"{name!r} cannot be a file name in '{folder}' (it would leave the folder); "
                          f"give the document an id of letters, digits, '-' and '_'")
    return target


def publish(files: list[Path], out: str | Path) -> list[Path]:
    """Move files or folders made in a staging folder into `out`, each replacing what had its name; returns the
    new paths. A study's outputs are made whole in staging first, so a failed run never leaves half of them."""
    out = Path(out)
    placed = []
    for path in files:
        target = out / Path(path).name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(str(path), target)
        placed.append(target)
    return placed

