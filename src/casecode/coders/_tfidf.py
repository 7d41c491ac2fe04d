"""A fitted TfidfVectorizer's `transform`, with the counting done by arrays: the same matrix, faster.

scikit-learn counts a batch's words and word pairs in Python, one vocabulary lookup per n-gram, which cost the
learned coder more than its probabilities. Here each space-separated piece of a text is tokenized once (its token
ids are kept, as a piece such as "neg_fund" recurs in every batch), the batch's unigrams and bigrams are looked up
as arrays, and the counts go through scikit-learn's own `TfidfTransformer` (sublinear tf, idf, l2 norm): the result
is the matrix `vectorizer.transform(texts)` gives, value for value (a test compares them on every training and
held-out unit). A vectorizer set up in a way this does not cover (another analyzer, token pattern, preprocessor,
stop words, n-grams beyond pairs, no idf) is simply asked to `transform`.
"""

from __future__ import annotations

import weakref
from itertools import chain
from operator import itemgetter

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

_DEFAULT_PATTERN = r"(?u)\b\w\w+\b"
_TABLES: "weakref.WeakKeyDictionary[TfidfVectorizer, _Table]" = weakref.WeakKeyDictionary()
_PIECE_LIMIT = 500_000  # distinct pieces kept per vectorizer; dropped whole beyond this
# distinct texts whose count rows are kept per vectorizer (a unit said again, in this batch or a later one, is not
# counted again); dropped whole beyond this, which bounds the memory they take (tens of MB)
_ROW_LIMIT = 20_000


class _Table:
    """What a fitted vectorizer's fast transform needs: token ids, unigram and bigram feature lookups."""

    def __init__(self, vectorizer: TfidfVectorizer):
        vocabulary = vectorizer.vocabulary_
        self.n_features = len(vocabulary)
        self.tokenize = vectorizer.build_tokenizer()
        self.plain = vectorizer.token_pattern == _DEFAULT_PATTERN and vectorizer.tokenizer is None
        self.lower = vectorizer.lowercase
        # every feature's words, numbered as first met; then each feature as arrays of its first and second word
        parts = [feature.split(" ") for feature in vocabulary]
        self.token_id: dict[str, int] = {token: i for i, token in enumerate(dict.fromkeys(chain.from_iterable(parts)))}
        n_tokens = len(self.token_id)
        self.n_tokens = n_tokens
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        if len(parts) and (lengths.min() < 1 or lengths.max() > 2):
            raise ValueError("a tf-idf feature of more than two words")  # _covered lets only (1, 1), (1, 2) here
        ids = np.fromiter(map(self.token_id.__getitem__, chain.from_iterable(parts)), dtype=np.int64,
                          count=int(lengths.sum()))
        first = ids[np.cumsum(lengths) - lengths]  # each feature's first word
        second = ids[np.cumsum(lengths) - 1]  # its last: the second word of a pair
        features = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
        single = lengths == 1
        self.unigram = np.full(n_tokens + 1, -1, dtype=np.int64)  # the last slot: a token not in any feature
        self.unigram[first[single]] = features[single]
        pair_keys = first[~single] * n_tokens + second[~single]
        # whether a token is the first (second) word of any pair feature; the last slot: a token in none
        self.pair_first = np.zeros(n_tokens + 1, dtype=bool)
        self.pair_first[first[~single]] = True
        self.pair_second = np.zeros(n_tokens + 1, dtype=bool)
        self.pair_second[second[~single]] = True
        order = np.argsort(pair_keys, kind="stable")
        self.pair_keys = pair_keys[order]
        self.pair_features = features[~single][order]
        self.pieces: dict[str, tuple[int, ...]] = {}
        self.rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # text -> its count row's columns and counts
        self.transformer = TfidfTransformer(norm=vectorizer.norm, use_idf=vectorizer.use_idf,
                                            smooth_idf=vectorizer.smooth_idf, sublinear_tf=vectorizer.sublinear_tf)
        self.transformer.idf_ = vectorizer.idf_

    def piece_ids(self, piece: str) -> tuple[int, ...]:
        """The token ids of one space-free piece of text (-1 for a token no feature holds)."""
        ids = self.pieces.get(piece)
        if ids is None:
            if len(self.pieces) > _PIECE_LIMIT:
                self.pieces.clear()
            text = piece.lower() if self.lower else piece
            if self.plain and len(text) > 1 and text.replace("_", "").isalnum():
                # word characters only (what the default token pattern's \w matches: alphanumeric or "_"), two
                # or more: the pattern matches the whole piece, so the regex need not run
                ids = self.pieces[piece] = (self.token_id.get(text, -1),)
            else:
                get = self.token_id.get
                ids = self.pieces[piece] = tuple(get(token, -1) for token in self.tokenize(text))
        return ids


def _covered(vectorizer) -> bool:
    """Whether `tfidf_transform` can count for this vectorizer as its own `transform` does."""
    return (isinstance(vectorizer, TfidfVectorizer) and vectorizer.analyzer == "word"
            and vectorizer.token_pattern == _DEFAULT_PATTERN and vectorizer.tokenizer is None
            and vectorizer.preprocessor is None and vectorizer.stop_words is None
            and vectorizer.strip_accents is None and not vectorizer.binary and vectorizer.input == "content"
            and vectorizer.use_idf and vectorizer.vocabulary is None
            and tuple(vectorizer.ngram_range) in ((1, 1), (1, 2)) and vectorizer.dtype in (np.float64, float))


def tfidf_transform(vectorizer, texts: list[str]):
    """`vectorizer.transform(texts)` for a fitted TfidfVectorizer: the same sparse matrix (see the module)."""
    if not _covered(vectorizer) or not all(isinstance(t, str) for t in texts):
        return vectorizer.transform(texts)
    table = _table(vectorizer)
    pairs = tuple(vectorizer.ngram_range) == (1, 2)
    if not texts:
        return table.transformer.transform(_counts(table, texts, pairs), copy=False)
    rows = table.rows
    new = [text for text in dict.fromkeys(texts) if text not in rows]
    if new:  # the texts not counted before, counted together
        if len(rows) + len(new) > _ROW_LIMIT:  # full: start again, counting every text of this batch
            rows.clear()
            new = list(dict.fromkeys(texts))
        counts = _counts(table, new, pairs)
        indptr, indices, data = counts.indptr.tolist(), counts.indices, counts.data
        for k, text in enumerate(new):
            rows[text] = (indices[indptr[k]:indptr[k + 1]], data[indptr[k]:indptr[k + 1]])
    found = [rows[text] for text in texts]
    indptr = np.zeros(len(texts) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, map(itemgetter(0), found)), dtype=np.int64, count=len(found)), out=indptr[1:])
    counts = sp.csr_matrix((np.concatenate(list(map(itemgetter(1), found))),
                            np.concatenate(list(map(itemgetter(0), found))), indptr),
                           shape=(len(texts), table.n_features))
    return table.transformer.transform(counts, copy=False)


def prepare(vectorizer) -> None:
    """Build the fitted vectorizer's lookup tables now (when a saved coder is read), not on its first batch."""
    if _covered(vectorizer) and getattr(vectorizer, "vocabulary_", None) is not None:
        _table(vectorizer)


def forget_pieces() -> None:
    """Empty every vectorizer's caches of text pieces and count rows (what coding fills; the vocabulary tables
    stay)."""
    for table in list(_TABLES.values()):
        table.pieces.clear()
        table.rows.clear()


def _table(vectorizer) -> _Table:
    table = _TABLES.get(vectorizer)
    if table is None:
        table = _TABLES[vectorizer] = _Table(vectorizer)
    return table


def _counts(table: _Table, texts: list[str], pairs: bool) -> sp.csr_matrix:
    """The batch's count matrix (texts x features, float64, indices sorted), as CountVectorizer builds it."""
    n = len(texts)
    pieces = [text.split(" ") for text in texts]
    known = table.pieces
    ids_of = list(map(known.get, chain.from_iterable(pieces)))
    if None in ids_of:
        flat = list(chain.from_iterable(pieces))
        ids_of = [ids if ids is not None else table.piece_ids(flat[k]) for k, ids in enumerate(ids_of)]
    lengths = np.fromiter(map(len, ids_of), dtype=np.int64, count=len(ids_of))
    tokens = np.fromiter(chain.from_iterable(ids_of), dtype=np.int64, count=int(lengths.sum()))
    per_text = np.fromiter(map(len, pieces), dtype=np.int64, count=n)  # pieces per text
    piece_text = np.repeat(np.arange(n), per_text)
    row = np.repeat(piece_text, lengths)  # the text of each token
    unknown = tokens < 0
    tokens = np.where(unknown, table.n_tokens, tokens)
    features = table.unigram[tokens]
    rows = [row[features >= 0]]
    columns = [features[features >= 0]]
    if pairs and len(tokens) > 1 and len(table.pair_keys):
        first, second = tokens[:-1], tokens[1:]
        # only the pairs of one text whose words can make a pair feature are looked up
        valid = (row[:-1] == row[1:]) & table.pair_first[first] & table.pair_second[second]
        keys = first[valid] * table.n_tokens + second[valid]
        at = np.searchsorted(table.pair_keys, keys)
        at_clipped = np.minimum(at, len(table.pair_keys) - 1)
        found = table.pair_keys[at_clipped] == keys
        rows.append(row[:-1][valid][found])
        columns.append(table.pair_features[at_clipped[found]])
    row_all, column_all = np.concatenate(rows), np.concatenate(columns)
    cells, counts = np.unique(row_all * table.n_features + column_all, return_counts=True)
    matrix_rows = cells // table.n_features
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(matrix_rows, minlength=n), out=indptr[1:])
    return sp.csr_matrix((counts.astype(np.float64), (cells % table.n_features).astype(np.int32), indptr),
                         shape=(n, table.n_features))
