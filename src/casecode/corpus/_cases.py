"""Cases and the aliases by which a text names them, matched tolerantly.

Reports misspell and abbreviate council names ("Staffordshire Moorland", "Havant" for East Hampshire and
Havant). Matching runs on word tokens: a text token matches an alias token when equal ignoring case, equal once a
trailing plural/possessive `s` is dropped, or (for long capitalised words) one edit away.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import CorpusError, warn
from ._model import CASE_COLUMNS
from ._text import read_text_file

_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")
_REQUIRED = ["case_id", "name"]
_ALLOWED = set(CASE_COLUMNS) | {"metadata"}
_FUZZY_MIN_LEN = 8  # shorter words stay exact: "survey" must not become "Surrey"


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def read_cases(path: str | Path) -> pd.DataFrame:
    """Read a case table (CSV: case_id, name, type, members, aliases; lists `;`-separated)."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: case table not found; check the path")
    text, _, notes = read_text_file(  # decoded as a transcript is: Windows-1252 with a warning
        path, "the case table is empty; give it a header row (case_id, name, ...) and a row a case")
    for note in notes:
        warn(note)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    for col in header:
        if col not in _ALLOWED:
            raise CorpusError(f"{path}: unknown column {col!r} in the header; allowed: {', '.join(CASE_COLUMNS)}")
    for col in _REQUIRED:
        if col not in header:
            raise CorpusError(f"{path}: missing column {col!r}; the header needs case_id and name")
    rows = []
    first_row: dict[str, int] = {}
    for rownum, row in enumerate(reader, start=2):
        if None in row:  # more cells than the header has columns: a name with a comma shifted the others
            raise CorpusError(f"{path}: row {rownum}: {len(header) + len(row[None])} cells but the header has "
                              f"{len(header)} columns; quote cells that contain commas")
        if not any((cell or "").strip() for cell in row.values()):
            continue  # a row of empty cells, as a spreadsheet leaves below its table
        case_id = (row.get("case_id") or "").strip()
        if not case_id:
            raise CorpusError(f"{path}: row {rownum}, column 'case_id': empty; give every case an id")
        if case_id in first_row:
            raise CorpusError(f"{path}: row {rownum}: case_id {case_id!r} is already used in row "
                              f"{first_row[case_id]}; give each case its own id")
        first_row[case_id] = rownum
        rows.append(row)
    return cases_frame(rows)


def cases_frame(rows) -> pd.DataFrame:
    """Normalise case records (dicts) into a cases DataFrame; aliases always include the name."""
    out = []
    seen = set()
    for row in rows:
        case_id = str(row["case_id"]).strip()
        if case_id in seen:
            raise CorpusError(f"duplicate case id {case_id!r}; each case needs its own id")
        seen.add(case_id)
        name = str(row.get("name") or case_id).strip()
        members = row.get("members") or ()
        aliases = row.get("aliases") or ()
        members = _split_list(members) if isinstance(members, str) else tuple(members)
        aliases = _split_list(aliases) if isinstance(aliases, str) else tuple(aliases)
        if name not in aliases:
            aliases = (name,) + aliases
        out.append({"case_id": case_id, "name": name, "type": str(row.get("type") or ""), "members": members,
                    "aliases": aliases})
    return pd.DataFrame(out, columns=CASE_COLUMNS)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1, without building the full table."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    diffs = [k for k in range(len(a)) if len(a) == len(b) and a[k] != b[k]]
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]:
        return True  # one transposition ("Tynesdie") counts as one edit
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


def _token_matches(text_token: str, alias_token: str) -> bool:
    t, a = text_token.lower(), alias_token.lower()
    if t == a or t.rstrip("s") == a.rstrip("s"):
        return True
    return len(a) >= _FUZZY_MIN_LEN and text_token[:1].isupper() and _edit_distance_at_most_one(t, a)


@dataclass(frozen=True)
class CaseMention:
    case_id: str
    start: int
    end: int
    text: str


class CaseMatcher:
    """Find the cases a text names, by their aliases, tolerant of misspellings."""

    def __init__(self, cases: pd.DataFrame):
        self._aliases: list[tuple[str, list[str]]] = []
        for row in cases.itertuples(index=False):
            for alias in row.aliases:
                tokens = _WORD.findall(alias)
                if tokens:
                    self._aliases.append((row.case_id, tokens))
        # Longest aliases first so "East Hampshire and Havant" wins over "Havant".
        self._aliases.sort(key=lambda item: -len(item[1]))

    def mentions(self, text: str) -> list[CaseMention]:
        """Every non-overlapping mention of a case in `text`, in text order."""
        words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        taken = [False] * len(words)
        found: list[tuple[int, CaseMention]] = []
        for case_id, alias in self._aliases:
            n = len(alias)
            for i in range(len(words) - n + 1):
                if any(taken[i:i + n]):
                    continue
                if all(_token_matches(words[i + k][0], alias[k]) for k in range(n)):
                    # A one-word alias must look like a name in the text (capitalised).
                    if n == 1 and not words[i][0][:1].isupper():
                        continue
                    for k in range(n):
                        taken[i + k] = True
                    start, end = words[i][1], words[i + n - 1][2]
                    found.append((start, CaseMention(case_id, start, end, text[start:end])))
        return [m for _, m in sorted(found, key=lambda item: item[0])]

    def find(self, text: str) -> tuple[str, ...]:
        """The case ids named in `text`, in order of first mention, without repeats."""
        out: list[str] = []
        for mention in self.mentions(text):
            if mention.case_id not in out:
                out.append(mention.case_id)
        return tuple(out)
