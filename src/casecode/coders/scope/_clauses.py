"""What every scope check shares: the lexicon, word lookups, the clause splitter, and the Scope verdict.

A lexical clause is a stretch of a sentence between punctuation and clause-opening conjunctions (the lexicon's
`clauses` lists). The rule coder's checks and the learned coder's scope marks split sentences with the same
`clauses` function.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from spacy.attrs import LEMMA, LOWER
from spacy.tokens import Doc, Span, Token

from ._lexicon import load_lexicon

LEXICON = load_lexicon()
_CLAUSE_PUNCT = LEXICON.clauses.punctuation
_CLAUSE_OPENERS = LEXICON.clauses.openers
# "and", "or", "so", "then" open a clause only before a new subject: "staff and partners" is one clause,
# "we cut budgets and we stopped training" is two.
_SOFT_OPENERS = LEXICON.clauses.soft_openers
_SUBJECTS = LEXICON.clauses.subjects
FIRST_PERSON = LEXICON.people.first_person
_OURS = LEXICON.people.ours


@dataclass(frozen=True)
class Mention:
    """A council or organisation named in the text (token offsets); `other` is True for anyone but the segment's
    own case."""

    start: int
    end: int
    text: str
    other: bool = True


@dataclass
class Scope:
    """The verdict on one match: reasons it does not count, remarks that keep it, and a score factor."""

    suppressed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    factor: float = 1.0

    @property
    def counts(self) -> bool:
        return not self.suppressed

    def why(self) -> str:
        return "; ".join(self.suppressed + self.notes)


HEDGE_FACTOR = 0.7
QUESTION_FACTOR = 0.6


def _opens_clause(token: Token) -> bool:
    low = _low(token)
    if low in _CLAUSE_PUNCT or token.is_punct and any(ch in ",;:()" for ch in low):  # "):" after a speaker label
        return True
    if low == "-":  # a spaced dash ("we tried - and failed"), not the hyphen inside "co-design"
        return token.i > 0 and bool(token.doc[token.i - 1].whitespace_)
    if low in _CLAUSE_OPENERS:
        return True
    if low in _SOFT_OPENERS and token.i + 1 < len(token.doc):
        return _low(token.doc[token.i + 1]) in _SUBJECTS
    return False


def clauses(sent: Span) -> list[Span]:
    """Split a sentence into lexical clauses at punctuation and clause-opening conjunctions."""
    doc = sent.doc
    bounds = [sent.start]
    for token in sent[1:]:
        if _opens_clause(token):
            bounds.append(token.i)
    bounds.append(sent.end)
    return [doc[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def clause_of(span: Span) -> Span:
    """The clause holding the start of `span`, stretched to the end of `span` if the match crosses a boundary."""
    for clause in clauses(span.sent):
        if clause.start <= span.start < clause.end:
            return span.doc[clause.start:max(clause.end, span.end)]
    return span.sent


_WORDS: "weakref.WeakKeyDictionary[Doc, tuple[list[str], list[str]]]" = weakref.WeakKeyDictionary()


def _low(token: Token) -> str:
    """Lower-case form with curly apostrophes made straight, so "don’t" reads as "don't"."""
    return token.lower_.replace("’", "'")


def _words(doc: Doc) -> tuple[list[str], list[str]]:
    """The doc's lower-case forms and lemmas as plain lists (cached per doc: the checks read them many times)."""
    words = _WORDS.get(doc)
    if words is None:
        # read as hashes in one call, not Token by Token: the checks run on every match of every doc
        strings = doc.vocab.strings
        columns = doc.to_array([LOWER, LEMMA]).T.tolist() if len(doc) else [[], []]
        lows = _LOWS.setdefault(id(strings), {})
        lower = []
        for h in columns[0]:
            low = lows.get(h)
            if low is None:
                low = lows[h] = strings[h].replace("’", "'")
            lower.append(low)
        words = _WORDS[doc] = (lower, [strings[h] if h else "" for h in columns[1]])
    return words


_LOWS: dict[int, dict[int, str]] = {}  # by StringStore: lower-case hash -> _low form


def _phrase_at(doc: Doc, i: int, phrase: tuple[str, ...]) -> bool:
    if i + len(phrase) > len(doc):
        return False
    lower, lemma = _words(doc)
    return all(lower[i + k] == w or lemma[i + k] == w for k, w in enumerate(phrase))


@lru_cache(maxsize=None)
def _by_first_word(phrases: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return index


def _hits(doc: Doc, start: int, end: int, phrases: tuple[tuple[str, ...], ...]) -> Iterable[tuple[int, str]]:
    """(index, text) of every phrase of `phrases` starting in doc[start:end], matched on lower case or lemma."""
    lower, lemma = _words(doc)
    index = _by_first_word(phrases)
    for i in range(max(start, 0), min(end, len(doc))):
        candidates = index.get(lower[i], []) + (index.get(lemma[i], []) if lemma[i] != lower[i] else [])
        for phrase in candidates:
            if _phrase_at(doc, i, phrase):
                yield i, doc[i:i + len(phrase)].text


def _find(doc: Doc, start: int, end: int, phrases: tuple[tuple[str, ...], ...]) -> tuple[int, str] | None:
    """The last phrase of `phrases` that starts in doc[start:end], as (index, text)."""
    found = None
    for found in _hits(doc, start, end, phrases):
        pass
    return found


def _next_lower(token: Token, k: int = 1) -> str:
    i = token.i + k
    return _low(token.doc[i]) if 0 <= i < len(token.doc) else ""

