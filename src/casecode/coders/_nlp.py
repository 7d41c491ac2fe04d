"""The spaCy pipeline casecode codes with: blank English plus the lookup lemmatizer, or a named trained one.

Never downloads anything. The lookup table lemmatizes lower-case forms only, so a capitalised word ("Partners")
would keep its form; `_lower_lemma` looks up the lower-case form instead.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
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
    """Re-lemmatize tokens whose lemma is still capitalised, via the lower-case form in the lookup table."""
    table = _lookup_table()
    for token in doc:
        lemma = token.lemma_
        low = token.lower_
        if "’" in low:  # curly apostrophes (Word, transcripts): "n’t" is lemmatized as "n't" ("not")
            low = low.replace("’", "'")
            token.lemma_ = _LEMMA_FIXES.get(low) or table.get(low, low)
        elif low in _LEMMA_FIXES:
            token.lemma_ = _LEMMA_FIXES[low]
        elif not lemma or lemma != lemma.lower():
            token.lemma_ = table.get(low, low)
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
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        try:
            nlp.initialize()
        except (ValueError, OSError) as exc:
            raise CoderError(
                "spaCy lookup tables not found; install them with 'pip install spacy-lookups-data'"
            ) from exc
        nlp.add_pipe("casecode_lower_lemma")
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
