"""The spaCy pipeline casecode codes with: blank English with a sentencizer and the lookup lemmatizer (each as
spaCy's own components would set them, read and written as arrays), or a named trained one.

Never downloads anything. The lookup table lemmatizes lower-case forms only, so a capitalised word ("Partners")
would keep its form; `_lower_lemma` looks up the lower-case form instead.
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from itertools import compress
from typing import Iterable, Iterator, Sequence

import numpy
import spacy
from spacy.attrs import IS_PUNCT, LEMMA, ORTH, SENT_START
from spacy.language import Language
from spacy.pipeline import Sentencizer

from .._shared import DEFAULT_PIPELINE
from ..errors import CoderError



# Forms the lookup table gets wrong or lacks ("developing" -> "develope", "putting" -> "putt"), which would make
# lemma patterns such as "develop ... leaders" or "put money behind" miss them.
_LEMMA_FIXES = {
    "developed": "develop", "developing": "develop", "putting": "put", "trialled": "trial", "trialling": "trial",
    "focussed": "focus", "focussing": "focus",
}


@Language.component("casecode_lower_lemma")
def _lower_lemma(doc):
    """Re-lemmatize tokens whose lemma is still capitalised, via the lower-case form in the lookup table (added to
    trained pipelines that have no lemmatizer; the blank pipeline uses `casecode_lemmatizer`)."""
    for token in doc:
        new = _fixed_lemma(token.lower_, token.lemma_)
        if new is not None:
            token.lemma_ = new
    return doc


def _fixed_lemma(low: str, lemma: str) -> str | None:
    """The lemma a token with this lower-case form and lemma should have, or None to keep it."""
    table = _lookup_table()
    if "’" in low:  # curly apostrophes (Word, transcripts): "n’t" is lemmatized as "n't" ("not")
        low = low.replace("’", "'")
        return _LEMMA_FIXES.get(low) or table.get(low, low)
    if low in _LEMMA_FIXES:
        return _LEMMA_FIXES[low]
    if not lemma or lemma != lemma.lower():
        return table.get(low, low)
    return None


@Language.factory("casecode_lemmatizer")
def _make_lemmatizer(nlp: Language, name: str):
    return _Lemmatizer(nlp.vocab)


def _remembered(known: dict, keys: list[int], compute) -> list:
    """`known[key]` for each of `keys`, computing and keeping (with `compute(key)`) those not known yet."""
    try:
        return list(map(known.__getitem__, keys))  # in C: keys seen before
    except KeyError:
        for key in set(keys).difference(known):
            known[key] = compute(key)
        return list(map(known.__getitem__, keys))


class _Lemmatizer:
    """spaCy's lookup lemmatizer (the `lemma_lookup` table of spacy-lookups-data, keyed on the token's text) and
    `_lower_lemma`'s fixes in one step: a lemma depends only on the token's text, so it is worked out once per
    distinct text and kept, and a doc costs one array read, a dict lookup per token and one array write. Gives
    the same lemmas as `lemmatizer` (mode "lookup") followed by `casecode_lower_lemma`, several times faster."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.lemma_of: dict[int, int] = {}  # text hash -> lemma hash, both in this vocab's StringStore

    def __call__(self, doc):
        if not len(doc):
            return doc
        # the texts the sentencizer read from this doc just before, else read here
        orths = _LAST_ORTHS[1] if _LAST_ORTHS[0] is doc and len(_LAST_ORTHS[1]) == len(doc) else \
            doc.to_array([ORTH]).ravel().tolist()
        _LAST_ORTHS[0] = _LAST_ORTHS[1] = None
        doc.from_array([LEMMA], numpy.array(self.lemmas(orths), dtype=numpy.uint64).reshape(-1, 1))
        return doc

    def lemmas(self, orths: list[int]) -> list[int]:
        """The lemma (hash) of each text (hash) in `orths`, as `__call__` sets them."""
        return _remembered(self.lemma_of, orths, self._lemma_of_new)

    def _lemma_of_new(self, orth: int) -> int:
        """The lemma (hash) of a text (hash) not seen before."""
        text = self.vocab.strings[orth]
        looked_up = _lookup_table().get(text, text)
        return self.vocab.strings.add(_fixed_lemma(text.lower(), looked_up) or looked_up)


# The doc the sentencizer last read and its texts' hashes: the lemmatizer, next in the pipeline, needs the same.
_LAST_ORTHS: list = [None, None]


@Language.factory("casecode_sentencizer")
def _make_sentencizer(nlp: Language, name: str):
    return _Sentencizer(nlp.vocab)


class _Sentencizer:
    """spaCy's rule-based `sentencizer` (its default punctuation, no overwrite) from one array read: the same
    sentence starts, without a Token object per word. A sentence ends after a run of sentence-final characters
    ("." "?" "!"...) and the next sentence starts at the first word after the run that is not punctuation."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.punct_chars = frozenset(Sentencizer.default_punct_chars)
        self.final: dict[int, bool] = {}  # text hash -> the text is a sentence-final character
        # Every sentence-final character is punctuation by this vocab's IS_PUNCT (true of English's): then only
        # the punctuation positions need looking up, and a run of punctuation is the run the rule skips.
        is_punct = getattr(vocab, "lex_attr_getters", {}).get(IS_PUNCT)
        self.final_is_punct = is_punct is not None and all(is_punct(c) for c in self.punct_chars)

    def __call__(self, doc):
        n = len(doc)
        if not n:
            return doc
        columns = doc.to_array([ORTH, IS_PUNCT, SENT_START])
        orths, puncts = columns[:, :2].T.tolist()
        current = columns[:, 2].astype(numpy.int64).tolist()  # -1 ("not a start") comes as 2**64 - 1
        _LAST_ORTHS[0], _LAST_ORTHS[1] = doc, orths  # for the lemmatizer, which runs on this doc next
        values = self.start_values(orths, puncts)
        # as spaCy's set_annotations: a start already set (not 0) is kept; a new doc's first token may hold 1
        if current[0] not in (0, 1) or any(current[1:]):
            values = [v if v else g for v, g in zip(current, values)]
        doc.from_array([SENT_START], numpy.array(values, dtype=numpy.int64).astype(numpy.uint64).reshape(-1, 1))
        return doc

    def batch_values(self, orths: numpy.ndarray, puncts: numpy.ndarray, current: numpy.ndarray,
                     starts: numpy.ndarray, ends: numpy.ndarray) -> numpy.ndarray | None:
        """The SENT_START values `__call__` gives docs whose ORTH, IS_PUNCT and SENT_START columns are `orths`,
        `puncts` and `current` (uint64 arrays, the docs end to end, doc `i` from `starts[i]` to `ends[i]`, none
        empty), as one uint64 array, from array operations over all their words at once; None when a
        sentence-final character may not be punctuation (then only `__call__` decides). A sentence starts at each
        doc's first word and at each word (not punctuation) right after a run of punctuation holding a
        sentence-final character, in the same doc; a start a doc already has is kept, as `__call__` keeps it."""
        if not self.final_is_punct:
            return None
        n = len(orths)
        punct = puncts != 0
        texts, inverse = numpy.unique(orths[punct], return_inverse=True)
        flags = self._final_flags(texts.tolist())
        is_final = numpy.zeros(n, dtype=bool)
        is_final[punct] = numpy.array(flags, dtype=bool)[inverse.reshape(-1)] if len(flags) else False
        at = numpy.arange(n)
        # before each word: where the last sentence-final character and the last word (not punctuation) stand
        last_final = numpy.maximum.accumulate(numpy.where(is_final, at, -1))
        last_word = numpy.maximum.accumulate(numpy.where(punct, -1, at))
        before_final = numpy.concatenate(([-1], last_final[:-1]))
        before_word = numpy.concatenate(([-1], last_word[:-1]))
        first = numpy.repeat(starts, ends - starts)  # each word's doc's first position
        new = ~punct & (before_final > before_word) & (before_final >= first)
        new[starts] = True
        values = numpy.where(new, 1, -1).astype(numpy.int64).astype(numpy.uint64)
        return numpy.where(current != 0, current, values)

    def _final_flags(self, texts: list[int]) -> list[bool]:
        """Whether each text (hash) is a sentence-final character, remembered by hash."""
        return _remembered(self.final, texts, lambda orth: self.vocab.strings[orth] in self.punct_chars)

    def start_values(self, orths: list[int], puncts: list[int]) -> list[int]:
        """SENT_START of a new doc with these words (text hashes, punctuation flags): 1 where a sentence starts,
        -1 elsewhere (the learned coder's scope marks also read it for words of a doc already made)."""
        n = len(orths)
        if self.final_is_punct:  # only punctuation can be sentence-final: look up only those positions
            at = list(compress(range(n), puncts))
            texts = [orths[i] for i in at]
        else:
            at, texts = range(n), orths
        finals = list(compress(at, self._final_flags(texts)))
        # a sentence starts at 0 and at the first token after each run of sentence-final characters that is
        # neither punctuation nor sentence-final; only the (few) sentence-final positions are visited
        values = [-1] * n
        values[0] = 1
        start = 0
        if finals and not self.final_is_punct:
            ends = [False] * n
            for f in finals:
                ends[f] = True
        for f in finals:
            if f < start:
                continue  # inside the run that found the current start
            j = f + 1
            if self.final_is_punct:  # sentence-final characters are punctuation: the run is punctuation's
                while j < n and puncts[j]:
                    j += 1
            else:
                while j < n and (puncts[j] or ends[j]):
                    j += 1
            if j == n:
                break
            values[j] = 1
            start = j
        return values


@lru_cache(maxsize=1)
def _lookup_table():
    from spacy.lookups import load_lookups

    try:
        lookups = load_lookups("en", ["lemma_lookup"])
    except ValueError as exc:  # spacy-lookups-data missing
        raise CoderError(
            "spaCy lookup tables not found; install them with 'pip install spacy-lookups-data'"
        ) from exc
    # A spaCy Table keys on string hashes, so keep the Table and call its .get (a plain dict would not hash).
    return lookups.get_table("lemma_lookup")


def load_nlp(name: str | None = None) -> Language:
    """Return the pipeline: `None` or 'blank:en' gives blank English with lookup lemmas; else an installed package.

    A trained pipeline (e.g. 'en_core_web_sm') adds a parser and tagger that the rule coder uses for negation
    and subject checks. It must already be installed: casecode never downloads models. One pipeline object per
    name (the blank one under all its names), so coders sharing it share its docs (`pipe_shared`).
    """
    return _load_nlp(None if name in (None, "", DEFAULT_PIPELINE, "blank") else name)


@lru_cache(maxsize=4)
def _load_nlp(name: str | None) -> Language:
    if name is None:
        nlp = spacy.blank("en")
        nlp.add_pipe("casecode_sentencizer")  # spaCy's sentencizer's sentences, faster
        _lookup_table()  # a clear error now if spacy-lookups-data is missing
        nlp.add_pipe("casecode_lemmatizer")
        return nlp
    try:
        nlp = spacy.load(name)
    except OSError:
        raise CoderError(
            f"spaCy pipeline {name!r} is not installed; install it from a local wheel, or omit --model to use "
            f"the built-in blank English pipeline"
        ) from None
    if "casecode_lower_lemma" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names:
        nlp.add_pipe("casecode_lower_lemma", last=True)
    return nlp


def has_parser(nlp: Language) -> bool:
    """True when the pipeline assigns dependency parses (a trained pipeline)."""
    return "parser" in nlp.pipe_names


# Docs of the units most recently run through a pipeline: the learned coder reads the same units right after the
# rule coder, and takes their docs from here instead of running spaCy on them a second time.
RECENT_DOCS = 2048
_RECENT: "weakref.WeakKeyDictionary[Language, dict[str, object]]" = weakref.WeakKeyDictionary()


def pipe_shared(nlp: Language, texts: Iterable[str], batch_size: int = 64,
                disable: Sequence[str] = ()) -> Iterator:
    """`nlp.pipe(texts)`, in order, reusing the docs of texts this pipeline made recently (the last RECENT_DOCS)
    and keeping the new ones for the next caller. The docs are shared: callers must not change their text.
    `disable`: components not to run (the rule coder, when it sits in the pipeline it matches docs of)."""
    texts = list(texts)
    recent = _RECENT.get(nlp)
    if recent is None:
        recent = _RECENT[nlp] = {}
    held = {t: recent[t] for t in texts if t in recent}
    missing = [t for t in dict.fromkeys(texts) if t not in held]
    made = zip(missing, nlp.pipe(missing, batch_size=batch_size, disable=list(disable)))
    for text in texts:
        doc = held.get(text)
        while doc is None:
            new_text, new_doc = next(made)
            held[new_text] = recent[new_text] = new_doc
            if len(recent) > RECENT_DOCS:
                del recent[next(iter(recent))]
            if new_text == text:
                doc = new_doc
        yield doc


def forget_recent(nlp: Language) -> None:
    """Drop the docs `pipe_shared` keeps for `nlp` (a caller that finishes the docs' pipeline itself and was
    stopped before it could)."""
    _RECENT.pop(nlp, None)


def recent_doc(nlp: Language, text: str):
    """The doc `pipe_shared` made of `text` with this pipeline lately (kept among the last RECENT_DOCS), or None."""
    recent = _RECENT.get(nlp)
    return recent.get(text) if recent is not None else None
