"""Wishes ("we should", "we'd like to"), the hypothetical ("maybe one day", "if we had the money") and hedges
("I suppose", a question)."""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from ._clauses import (FIRST_PERSON, HEDGE_FACTOR, LEXICON, QUESTION_FACTOR, _SUBJECTS, Scope, _find, _low,
                       _next_lower)

_HEDGES = LEXICON.hedges
_HYPOTHETICAL = LEXICON.hypothetical.phrases
# A condition before the match in the same sentence: "if we had the money, we'd invest in innovation".
_CONDITIONS = LEXICON.hypothetical.conditions
_MODALS = LEXICON.hypothetical.modals
_W = LEXICON.wish
_WISH_VERBS = _W.verbs
_WISH_NEEDS_TO = _W.needs_to
_WOULD = _W.would
_WISH_AFTER_WOULD = _W.after_would
_WISH_PHRASES = _W.phrases
# Tokens allowed between "we" and the wish verb: "we really need to", "we'd all like to", "we are planning to".
_WISH_FILLERS = _W.fillers
# "we need to keep investing" says the action goes on.
_CONTINUING = _W.continuing
_MORE = _W.more


def _first_person_before(doc: Doc, i: int, floor: int) -> bool:
    j = i - 1
    while j >= floor and _low(doc[j]) in _WISH_FILLERS:
        j -= 1
    return j >= floor and _low(doc[j]) in FIRST_PERSON


def is_wish_verb(t: Token, floor: int) -> bool:
    """A first-person wish verb: "we should", "we need to", "we'd like", "I hope to" (the subject at or after
    token `floor`, fillers allowed between: "we really need to")."""
    doc = t.doc
    wish = t.lemma_ in _WISH_VERBS or _low(t) in _WISH_VERBS or (
        t.lemma_ in _WISH_AFTER_WOULD and t.i > 0 and _low(doc[t.i - 1]) in _WOULD)
    if t.lemma_ in _WISH_NEEDS_TO and _next_lower(t) != "to":  # "we plan for the next steps" is practice
        return False
    return wish and _first_person_before(doc, t.i, floor)


def is_modal(t: Token) -> bool:
    """"might", "may", "could": what could be, not what is (not the month "May")."""
    return _low(t) in _MODALS and t.text != "May"


WISH_WINDOW = 6


def _wish(span: Span, clause: Span, scope: Scope) -> None:
    """"We should", "we need to", "we'd like to", "I wish", "if only": wanted, not done (first person only:
    "you need to involve them" is advice from practice, and "councils should" is about others)."""
    doc = span.doc
    lo = max(clause.start, span.start - WISH_WINDOW)
    hit = _find(doc, span.sent.start, span.start, _WISH_PHRASES)
    if hit is None:
        for t in doc[lo:span.start]:
            if is_wish_verb(t, clause.start):
                hit = (t.i, doc[max(clause.start, t.i - 1):t.i + 1].text)
    if hit is None:
        hit = _verbless_more(span)
    if hit is None:
        return
    after = [t for t in doc[hit[0] + 1:min(hit[0] + 4, span.end)]]
    if any(t.lemma_ in _CONTINUING for t in after) or any(t.lemma_ in _CONTINUING for t in span[:1]):
        return  # "we need to keep investing in staff": it goes on
    scope.suppressed.append(f"wish, not done: {hit[1]!r}")



def _verbless_more(span: Span) -> tuple[int, str] | None:
    """"And for me, more space to think.": a sentence with no subject, opening on "more", names what is wanted
    (the answer to "what would you change?"), not what is done."""
    sent = span.sent
    colons = [t.i for t in span.doc[sent.start:span.start] if t.text.endswith(":")]  # after a speaker label
    sent = span.doc[colons[-1] + 1 if colons else sent.start:sent.end]
    words = [t for t in sent if not t.is_punct and _low(t) not in _W.more_skip]
    if not words or _low(words[0]) not in _MORE or words[0].i > span.start:
        return None
    if any(_low(t) in _SUBJECTS for t in sent):
        return None
    return words[0].i, words[0].text


def _hypothetical(span: Span, clause: Span, scope: Scope) -> None:
    """"Maybe one day", "we might", "we could have", "if we had the money": not done."""
    doc = span.doc
    hit = _find(doc, clause.start, clause.end, _HYPOTHETICAL) or _find(doc, span.sent.start, span.start, _CONDITIONS)
    if hit is None:
        for t in doc[max(clause.start, span.start - 3):span.start]:
            if is_modal(t):  # "we might invest"; not the month
                hit = (t.i, t.text)
    if hit is not None:
        scope.suppressed.append(f"hypothetical: {hit[1]!r}")


def _hedge(span: Span, scope: Scope) -> None:
    """"I suppose", "perhaps", "sort of", a question: the match counts with a lower score."""
    sent = span.sent
    hit = _find(span.doc, sent.start, sent.end, _HEDGES)
    if hit is not None and not span.start <= hit[0] < span.end:
        scope.notes.append(f"hedged: {hit[1]!r}")
        scope.factor *= HEDGE_FACTOR
    if any(t.text == "?" for t in sent[-2:]):
        scope.notes.append("question")
        scope.factor *= QUESTION_FACTOR

