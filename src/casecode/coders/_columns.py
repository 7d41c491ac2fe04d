"""A doc's token attributes as plain lists, read once per doc and shared by every reader of the same doc: the
compiled matchers (codebook patterns, other councils, case names) and the scope checks.

Turning a `Doc.to_array` column of 64-bit hashes into Python ints costs more than the matching done with them, so
one read of the columns they all use (`COMMON`) serves them all; another attribute is read on first use. As the
scope checks' word lists, the columns assume that a doc's words are not changed once its pipeline has run.
"""

from __future__ import annotations

from spacy.attrs import IDS
from spacy.tokens import Doc

COMMON = ("ORTH", "LOWER", "LEMMA", "IS_PUNCT", "IS_ALPHA", "SPACY", "IS_TITLE", "SENT_START")
_COMMON_IDS = [IDS[a] for a in COMMON]


class Columns:
    """`column(attr)`: the doc's values of `attr` (hashes, or 0/1 flags), one per token; `present(attr)`: the
    set of them."""

    __slots__ = ("n", "doc", "_rows", "_sets")

    def __init__(self, doc: Doc):
        self.n = len(doc)
        self.doc = doc
        rows = doc.to_array(_COMMON_IDS).T.tolist() if self.n else [[] for _ in COMMON]
        self._rows: dict[str, list[int]] = dict(zip(COMMON, rows))
        self._sets: dict[str, set[int]] = {}

    def column(self, attr: str) -> list[int]:
        row = self._rows.get(attr)
        if row is None:
            row = self._rows[attr] = self.doc.to_array([IDS[attr]]).reshape(-1).tolist() if self.n else []
        return row

    def present(self, attr: str) -> set[int]:
        values = self._sets.get(attr)
        if values is None:
            values = self._sets[attr] = set(self.column(attr))
        return values


_LAST: list = [None, None]  # the last doc asked about and its columns: its readers ask one after another


def token_columns(doc: Doc) -> Columns:
    """The doc's `Columns`, kept until columns of another doc are asked for (its readers run one after another
    on each doc; keeping every doc's would only give the garbage collector more to walk)."""
    if _LAST[0] is doc:
        return _LAST[1]
    columns = Columns(doc)
    _LAST[0], _LAST[1] = doc, columns
    return columns
