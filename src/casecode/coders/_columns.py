"""A doc's token attributes as plain lists, read once per doc and shared by every reader of the same doc: the
compiled matchers (codebook patterns, other councils, case names) and the scope checks.

Turning a `Doc.to_array` column of 64-bit hashes into Python ints costs more than the matching done with them, so
one read of the columns they all use (`COMMON`) serves them all; another attribute is read on first use. As the
scope checks' word lists, the columns assume that a doc's words are not changed once its pipeline has run.

`Batch` reads the columns of many docs at once, end to end (one array read per doc, one conversion for all), so
the compiled matcher can look a batch's words up in one pass; while a batch is open (`open_batch`), each of its
docs' `token_columns` are slices of the batch's.
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Sequence

import numpy
from spacy.attrs import IDS
from spacy.tokens import Doc

COMMON = ("ORTH", "LOWER", "LEMMA", "IS_PUNCT", "IS_ALPHA", "SPACY", "IS_TITLE", "SENT_START")
_COMMON_IDS = [IDS[a] for a in COMMON]
# A batch reads these at once too (SHAPE: a codebook's shape patterns), each made a list of ints only when asked for:
# the token's own from each doc, and the word's (its lexeme's, the same wherever the word stands) once per distinct
# word of the batch (`_lexical`), as reading them token by token costs about twice as much as the rest.
_TOKEN = ("ORTH", "LEMMA", "SPACY", "SENT_START", "DEP")
_TOKEN_IDS = [IDS[a] for a in _TOKEN]
_LEXICAL = ("LOWER", "IS_PUNCT", "IS_ALPHA", "IS_TITLE", "SHAPE")
# what a batch reads of docs it annotates itself (see Batch), and what it sets
_UNANNOTATED = ("ORTH", "SPACY", "SENT_START", "DEP")
_UNANNOTATED_IDS = [IDS[a] for a in _UNANNOTATED]
_ANNOTATED_IDS = [IDS["LEMMA"], IDS["SENT_START"]]


class Columns:
    """`column(attr)`: the doc's values of `attr` (hashes, or 0/1 flags), one per token; `present(attr)`: the
    set of them."""

    __slots__ = ("n", "doc", "_rows", "_sets", "_batch", "_lo")

    def __init__(self, doc: Doc, batch: "Batch | None" = None, lo: int = 0):
        self.n = len(doc)
        self.doc = doc
        self._sets: dict[str, set[int]] = {}
        self._batch, self._lo = batch, lo
        if batch is not None:
            self._rows: dict[str, list[int]] = {}
            return
        rows = doc.to_array(_COMMON_IDS).T.tolist() if self.n else [[] for _ in COMMON]
        self._rows = dict(zip(COMMON, rows))

    @property
    def batch(self) -> "Batch | None":
        """The open batch these columns are a slice of (see `open_batch`), or None."""
        return self._batch

    @property
    def lo(self) -> int:
        """The doc's first position in `batch`."""
        return self._lo

    def column(self, attr: str) -> list[int]:
        row = self._rows.get(attr)
        if row is None:
            if self._batch is not None:
                row = self._batch.column(attr)[self._lo:self._lo + self.n]
            else:
                row = self.doc.to_array([IDS[attr]]).reshape(-1).tolist() if self.n else []
            self._rows[attr] = row
        return row

    def present(self, attr: str) -> set[int]:
        values = self._sets.get(attr)
        if values is None:
            values = self._sets[attr] = set(self.column(attr))
        return values


# the vocab last read, its words' row numbers by ORTH hash, and the rows: each word's _LEXICAL attributes (an array
# with room to grow), and how many rows are used
_LEXEMES: list = [None, {}, numpy.zeros((0, len(_LEXICAL)), dtype=numpy.uint64), 0]


def _lexical(vocab, orths: list[int]) -> numpy.ndarray:
    """The `_LEXICAL` attributes of the words `orths` (hashes), one row each, as `Doc.to_array` gives them; kept by
    word for the vocab last asked about (a word's lexeme attributes do not change once it is in the vocab)."""
    if _LEXEMES[0] is not vocab:
        _LEXEMES[:] = [vocab, {}, numpy.zeros((1024, len(_LEXICAL)), dtype=numpy.uint64), 0]
    known = _LEXEMES[1]
    try:
        numbers = list(map(known.__getitem__, orths))  # in C: words seen before
    except KeyError:
        new = set(orths).difference(known)
        table, used = _LEXEMES[2], _LEXEMES[3]
        if used + len(new) > len(table):
            grown = numpy.zeros((max(2 * len(table), used + len(new)), len(_LEXICAL)), dtype=numpy.uint64)
            grown[:used] = table[:used]
            table = _LEXEMES[2] = grown
        for orth in new:
            lex = vocab[orth]
            table[used] = (lex.lower, int(lex.is_punct), int(lex.is_alpha), int(lex.is_title), lex.shape)
            known[orth] = used
            used += 1
        _LEXEMES[3] = used
        numbers = list(map(known.__getitem__, orths))
    return _LEXEMES[2][numpy.array(numbers, dtype=numpy.intp)].reshape(-1, len(_LEXICAL))


class Batch:
    """The token columns of `docs` end to end: `column(attr)` has one value per token of every doc in turn;
    doc `i` holds positions `starts[i]` to `ends[i]`."""

    def __init__(self, docs: Sequence[Doc], annotate: tuple | None = None):
        """`annotate`: (sentencizer, lemmatizer), casecode's own (`_nlp`), when the docs come from the pipeline
        without them: their sentence starts and lemmas are set here for all the docs at once, as the two would
        set them doc by doc."""
        self.docs = list(docs)
        lengths = [len(doc) for doc in self.docs]
        self.ends = list(numpy.cumsum(lengths).tolist()) if lengths else []
        self.starts = [end - n for end, n in zip(self.ends, lengths)]
        self.n = self.ends[-1] if self.ends else 0
        vocab = self.docs[0].vocab if self.docs else None
        if annotate is not None and not all(doc.vocab is vocab for doc in self.docs):
            for doc in self.docs:  # each doc as the pipeline would finish it
                for component in annotate:
                    component(doc)
            annotate = None
        ids = _UNANNOTATED_IDS if annotate is not None else _TOKEN_IDS
        arrays = [doc.to_array(ids) for doc, n in zip(self.docs, lengths) if n]
        matrix = numpy.concatenate(arrays) if arrays else numpy.zeros((0, len(ids)), dtype=numpy.uint64)
        # each column as an array, and as a list of ints when first asked for
        self._arrays: dict[str, numpy.ndarray] = dict(zip(_UNANNOTATED if annotate is not None else _TOKEN,
                                                          numpy.ascontiguousarray(matrix.T)))
        self._rows: dict[str, list[int]] = {}
        self._views: dict[str, memoryview] = {}  # see values
        self._set_before: dict[str, numpy.ndarray | None] = {}  # see any_set
        self._distinct: dict[str, tuple[numpy.ndarray, numpy.ndarray]] = {}  # see positions
        self._words: tuple | None = None  # see words
        self._numbers: numpy.ndarray | None = None  # see word_numbers
        self._word_rows: numpy.ndarray | None = None  # the _LEXICAL attributes of each distinct word, one row each
        if self.n and all(doc.vocab is vocab for doc in self.docs):  # the word attributes, once per distinct word
            distinct, inverse = self._distinct_values("ORTH")
            lexical = _lexical(vocab, distinct.tolist())
            self._arrays.update(zip(_LEXICAL, numpy.ascontiguousarray(lexical[inverse].T)))
            self._words = (distinct, lexical, inverse)
            self._numbers = inverse.reshape(-1)
            self._word_rows = lexical
            if annotate is not None:
                self._annotate(*annotate, [n for n in lengths if n])
        self._by_token: tuple[list[int], list[int], list[int]] | None = None
        # what a reader of the batch works out once for all its docs (the scope checks' word lists, phrase hits)
        self.shared: dict = {}

    def _annotate(self, sentencizer, lemmatizer, lengths: list[int]) -> None:
        """Set the docs' LEMMA and SENT_START (see `__init__`) and keep them as the batch's columns."""
        distinct, _, inverse = self._words
        lemmas = numpy.array(lemmatizer.lemmas(distinct.tolist()), dtype=numpy.uint64)[self._numbers]
        ends = numpy.cumsum(lengths)
        starts = ends - lengths
        sentences = sentencizer.batch_values(self._arrays["ORTH"], self._arrays["IS_PUNCT"],
                                             self._arrays.pop("SENT_START"), starts, ends)
        if sentences is None:  # only the sentencizer itself can tell
            sentences = numpy.concatenate([sentencizer(doc).to_array([IDS["SENT_START"]]).reshape(-1)
                                           for doc in self.docs if len(doc)])
        self._arrays["LEMMA"], self._arrays["SENT_START"] = lemmas, sentences
        both = numpy.stack([lemmas, sentences], axis=1)
        for doc, a, b in zip([doc for doc in self.docs if len(doc)], starts.tolist(), ends.tolist()):
            doc.from_array(_ANNOTATED_IDS, both[a:b])

    def words(self) -> tuple[list[int], list[int], numpy.ndarray] | None:
        """(the batch's distinct words (ORTH hashes), their LOWER hashes, each position's number among them, as an
        array), so a reader can look a word's strings up once per distinct word; None when the docs do not share
        a vocab."""
        if self._words is None:
            return None
        distinct, lexical, inverse = self._words
        if not isinstance(distinct, list):
            self._words = distinct, lexical, inverse = \
                distinct.tolist(), lexical[:, _LEXICAL.index("LOWER")].tolist(), self._numbers
        return distinct, lexical, inverse

    def word_numbers(self) -> numpy.ndarray | None:
        """Each position's number among `words()`' distinct words, as an array (None where `words()` is)."""
        return self._numbers

    def distinct(self, attr: str) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The column's distinct values (sorted) and each position's number among them, as arrays."""
        return self._distinct_values(attr)

    def starts_of(self, attr: str, value: int) -> list[int]:
        """The positions whose `attr` is `value`, in order."""
        return numpy.flatnonzero(self._array(attr) == value).tolist()

    def _array(self, attr: str) -> numpy.ndarray:
        array = self._arrays.get(attr)
        if array is None:
            ids = [IDS[attr]]
            arrays = [doc.to_array(ids).reshape(-1) for doc in self.docs if len(doc)]
            array = self._arrays[attr] = numpy.concatenate(arrays) if arrays else numpy.zeros(0, numpy.uint64)
        return array

    def column(self, attr: str) -> list[int]:
        row = self._rows.get(attr)
        if row is None:
            row = self._rows[attr] = self._array(attr).tolist()
        return row

    def values(self, attr: str) -> list[int] | memoryview:
        """The column's values as `column` gives them, each made an int only when read (unless `column` made the
        list already): for a reader of a few positions, as an int made, and freed, for every word of a batch
        costs more than the compiled matcher's lookups."""
        row = self._rows.get(attr)
        if row is None:
            row = self._views.get(attr)
            if row is None:
                array = numpy.ascontiguousarray(self._array(attr), dtype=numpy.uint64)
                row = self._views[attr] = memoryview(array).cast("B").cast("Q")
        return row

    def any_set(self, attr: str, lo: int, hi: int) -> bool:
        """Whether a position from `lo` up to `hi` holds a value of `attr` other than 0, as `Doc.has_annotation`
        tells of a doc (which looks at each of its tokens), from one pass over the batch's column."""
        if attr not in self._set_before:
            is_set = self._array(attr) != 0
            # how many positions before each hold a value (None: none in the batch, as DEP in an unparsed one)
            self._set_before[attr] = numpy.concatenate(([0], numpy.cumsum(is_set))) if is_set.any() else None
        before = self._set_before[attr]
        return before is not None and bool(before[hi] > before[lo])

    def _distinct_values(self, attr: str) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The column's distinct values (sorted) and, for each position, the number of its value among them."""
        found = self._distinct.get(attr)
        if found is None:
            if attr in _LEXICAL and self._word_rows is not None:  # a word's attribute: from the distinct words'
                values, numbers = numpy.unique(self._word_rows[:, _LEXICAL.index(attr)], return_inverse=True)
                found = values, numbers.reshape(-1)[self._numbers]
            else:
                found = numpy.unique(self._array(attr), return_inverse=True)
            self._distinct[attr] = found
        return found

    def positions(self, attr: str, values: numpy.ndarray) -> list[int]:
        """The positions whose `attr` is one of `values` (a sorted uint64 array of distinct hashes), in order:
        vectorised lookups of the column's distinct values (a dict lookup per word costs more than the matching
        done with the hits)."""
        distinct, inverse = self._distinct_values(attr)  # shared by every lookup of the column
        if not len(values) or not len(distinct):
            return []
        # both sorted: where each distinct value would stand among `values`, and whether it is the one there
        at = numpy.minimum(numpy.searchsorted(values, distinct), len(values) - 1)
        return numpy.flatnonzero((values[at] == distinct)[inverse]).tolist()

    def by_token(self) -> tuple[list[int], list[int], list[int]]:
        """(doc number, doc's first position, doc's end) of every position."""
        if self._by_token is None:
            spans = list(zip(self.starts, self.ends))
            self._by_token = (
                list(chain.from_iterable(repeat(i, e - s) for i, (s, e) in enumerate(spans))),
                list(chain.from_iterable(repeat(s, e - s) for s, e in spans)),
                list(chain.from_iterable(repeat(e, e - s) for s, e in spans)),
            )
        return self._by_token

    def view(self, i: int) -> Columns:
        """Doc `i`'s `Columns`: slices of the batch's, taken when first asked for."""
        return Columns(self.docs[i], self, self.starts[i])


_LAST: list = [None, None]  # the last doc asked about and its columns: its readers ask one after another
_OPEN: dict[Doc, Columns] = {}  # the docs of the open batch and their columns (see open_batch)


def token_columns(doc: Doc) -> Columns:
    """The doc's `Columns`, kept until columns of another doc are asked for (its readers run one after another
    on each doc; keeping every doc's would only give the garbage collector more to walk)."""
    if _LAST[0] is doc:
        return _LAST[1]
    columns = _OPEN.get(doc) if _OPEN else None
    if columns is None:
        columns = Columns(doc)
    _LAST[0], _LAST[1] = doc, columns
    return columns


def batch_columns(doc) -> Columns | None:
    """The doc's `Columns` when it is in the open batch (see `open_batch`), else None."""
    return _OPEN.get(doc) if _OPEN else None


def open_batch(batch: Batch) -> None:
    """Serve `batch`'s docs' columns from it until `close_batch` (one batch open at a time)."""
    _OPEN.clear()
    for i, doc in enumerate(batch.docs):
        _OPEN[doc] = batch.view(i)


def close_batch() -> None:
    _OPEN.clear()
    _LAST[0] = _LAST[1] = None
