"""Wishes ("we should", "we'd like to"), the hypothetical ("maybe one day", "if we had the money") and hedges
("I suppose", a question)."""

from __future__ import annotations

from operator import methodcaller

from spacy.tokens import Doc, Span, Token

from ._clauses import (FIRST_PERSON, HEDGE_FACTOR, LEXICON, QUESTION_FACTOR, _SUBJECTS, Scope, _find, _Info, _info,
                       cue, sentence, within)

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


def _first_person_before(lower: list[str], i: int, floor: int) -> bool:
    j = i - 1
    while j >= floor and lower[j] in _WISH_FILLERS:
        j -= 1
    return j >= floor and lower[j] in FIRST_PERSON


def is_wish_verb(t: Token, floor: int) -> bool:
    """A first-person wish verb: "we should", "we need to", "we'd like", "I hope to" (the subject at or after
    token `floor`, fillers allowed between: "we really need to")."""
    return _wish_verb_at(_info(t.doc), t.i, floor)


def _wish_verb_at(info: _Info, i: int, floor: int) -> bool:
    lower, lemma = info.lower, info.lemma
    wish = lemma[i] in _WISH_VERBS or lower[i] in _WISH_VERBS or (
        lemma[i] in _WISH_AFTER_WOULD and i > 0 and lower[i - 1] in _WOULD)
    if lemma[i] in _WISH_NEEDS_TO and (lower[i + 1] if i + 1 < info.n else "") != "to":
        return False  # "we plan for the next steps" is practice
    return wish and _first_person_before(lower, i, floor)


def is_modal(t: Token) -> bool:
    """"might", "may", "could": what could be, not what is (not the month "May")."""
    return _modal_at(_info(t.doc), t.i)


def _modal_at(info: _Info, i: int) -> bool:
    return info.lower[i] in _MODALS and info.text[i] != "May"


WISH_WINDOW = 6


def _wish(span: Span, clause: Span, scope: Scope) -> None:
    """"We should", "we need to", "we'd like to", "I wish", "if only": wanted, not done (first person only:
    "you need to involve them" is advice from practice, and "councils should" is about others)."""
    doc = span.doc
    info = _info(doc)
    lo = max(clause.start, span.start - WISH_WINDOW)
    sent = sentence(span)
    hit = _find(doc, sent.start, span.start, _WISH_PHRASES)
    if hit is None:
        for i in range(lo, span.start):
            if _wish_verb_at(info, i, clause.start):
                hit = (i, doc[max(clause.start, i - 1):i + 1].text)
    if hit is None:
        hit = _verbless_more(span)
    if hit is None:
        return
    lemma = info.lemma
    if any(lemma[i] in _CONTINUING for i in range(hit[0] + 1, min(hit[0] + 4, span.end))) or \
            lemma[span.start] in _CONTINUING:
        return  # "we need to keep investing in staff": it goes on
    scope.suppressed.append(f"wish, not done: {hit[1]!r}")


def _verbless_more(span: Span) -> tuple[int, str] | None:
    """"And for me, more space to think.": a sentence with no subject, opening on "more", names what is wanted
    (the answer to "what would you change?"), not what is done."""
    sent = sentence(span)
    info = _info(span.doc)
    lower, text = info.lower, info.text
    if not within(info, _more_at, sent.start, span.start + 1):
        return None  # the word it opens on must stand before the match (most sentences have none)
    colons = within(info, _colons_at, sent.start, span.start)  # after a speaker label
    start = colons[-1] + 1 if colons else sent.start
    first = next((i for i in range(start, sent.end) if not info.punct[i] and lower[i] not in _W.more_skip), None)
    if first is None or lower[first] not in _MORE or first > span.start:
        return None
    if any(lower[i] in _SUBJECTS for i in range(start, sent.end)):
        return None
    return first, text[first]


_more_at = cue(lower=_MORE.__contains__)
_colons_at = cue(text=methodcaller("endswith", ":"))


def _hypothetical(span: Span, clause: Span, scope: Scope) -> None:
    """"Maybe one day", "we might", "we could have", "if we had the money": not done."""
    doc = span.doc
    hit = _find(doc, clause.start, clause.end, _HYPOTHETICAL) or _find(doc, sentence(span).start, span.start, _CONDITIONS)
    if hit is None:
        info = _info(doc)
        for i in range(max(clause.start, span.start - 3), span.start):
            if _modal_at(info, i):  # "we might invest"; not the month
                hit = (i, info.text[i])
    if hit is not None:
        scope.suppressed.append(f"hypothetical: {hit[1]!r}")


def _hedge(span: Span, scope: Scope) -> None:
    """"I suppose", "perhaps", "sort of", a question: the match counts with a lower score."""
    sent = sentence(span)
    hit = _find(span.doc, sent.start, sent.end, _HEDGES)
    if hit is not None and not span.start <= hit[0] < span.end:
        scope.notes.append(f"hedged: {hit[1]!r}")
        scope.factor *= HEDGE_FACTOR
    text = _info(span.doc).text
    if any(text[i] == "?" for i in range(max(sent.start, sent.end - 2), sent.end)):
        scope.notes.append("question")
        scope.factor *= QUESTION_FACTOR
