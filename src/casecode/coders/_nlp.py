"""The spaCy pipeline casecode codes with: blank English plus the lookup lemmatizer, or a named trained one.

Never downloads anything. The lookup table lemmatizes lower-case forms only, so a capitalised word ("Partners")
would keep its form; `_lower_lemma` looks up the lower-case form instead.
"""

from __future__ import annotations

from functools import lru_cache

import numpy
import spacy
from spacy.attrs import LEMMA, ORTH
from spacy.language import Language

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
        known = self.lemma_of
        lemmas = []
        for orth in doc.to_array([ORTH]).tolist():
            lemma = known.get(orth)
            if lemma is None:
                text = self.vocab.strings[orth]
                looked_up = _lookup_table().get(text, text)
                lemma = known[orth] = self.vocab.strings.add(_fixed_lemma(text.lower(), looked_up) or looked_up)
            lemmas.append(lemma)
        doc.from_array([LEMMA], numpy.array(lemmas, dtype=numpy.uint64).reshape(-1, 1))
        return doc


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


@lru_cache(maxsize=4)
def load_nlp(name: str | None = None) -> Language:
    """Return the pipeline: `None` or 'blank:en' gives blank English with lookup lemmas; else an installed package.

    A trained pipeline (e.g. 'en_core_web_sm') adds a parser and tagger that the rule coder uses for negation
    and subject checks. It must already be installed: casecode never downloads models.
    """
    if name in (None, "", DEFAULT_PIPELINE, "blank"):
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
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
