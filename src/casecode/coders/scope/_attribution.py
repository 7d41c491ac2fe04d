"""Another council: "Wigan invest in staff" is their action; "we learnt from Wigan" is ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from spacy.tokens import Doc, Span, Token

from ._clauses import FIRST_PERSON, LEXICON, _OURS, Mention, Scope, _low, sentence
from ._negation import _governing_chain

# A council name after these is an object, not the actor: "learn from Wigan", "work with Oldham", "see how Wigan".
_OBJECT_MARKERS = LEXICON.attribution.object_markers
_LOCATIVE = LEXICON.attribution.locative
_COORD = LEXICON.attribution.coordination
_COMPARISON = LEXICON.attribution.comparison
_ACTOR_VERBS = LEXICON.attribution.actor_verbs
_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "expl"}  # spaCy's dependency labels, not words
OTHER_COUNCIL_PATTERNS = LEXICON.other_councils


@dataclass(frozen=True)
class _Actor:
    start: int
    end: int
    other: bool
    text: str


def _governor(doc: Doc, mention: Mention, floor: int) -> Token | None:
    """The word that governs a council name, skipping coordination: 'with [Oldham and] Wigan' -> 'with'."""
    i = mention.start - 1
    while i >= floor and (_low(doc[i]) in _COORD or doc[i].is_title and i > floor):
        i -= 1
    return doc[i] if i >= floor else None


def _is_actor(doc: Doc, mention: Mention, region: Span, has_first_person: bool) -> bool:
    """Whether a council name is who acts in this clause, rather than the one learnt from or worked with."""
    gov = _governor(doc, mention, region.start)
    if gov is None:  # clause-initial: "Wigan do that", "Oldham and Wigan have..."
        return True
    if _low(gov) in _LOCATIVE:  # "In Oldham they...", or "...in Wigan" when no "we" acts in the clause
        return gov.i == region.start or not has_first_person
    if _low(gov) in _COMPARISON:  # a comparison: credited to them unless "we" is nearer (see caller)
        return True
    return _low(gov) not in _OBJECT_MARKERS and gov.lemma_ not in _OBJECT_MARKERS


def _actors(span: Span, region: Span, mentions: Sequence[Mention]) -> list[_Actor]:
    """Everyone who may act in `region`: "we"/"I", and council names that are not objects."""
    doc = span.doc
    found = [_Actor(t.i, t.i + 1, False, t.text) for t in region
             if _low(t) in FIRST_PERSON and not span.start <= t.i < span.end]
    # "a couple of our managers spend a day in another authority": we act there, so the place is not the actor
    ours = bool(found) or any(_low(t) in _OURS for t in region)
    for m in mentions:
        if region.start <= m.start < region.end and not span.start <= m.start < span.end:
            if _is_actor(doc, m, region, ours):
                found.append(_Actor(m.start, m.end, m.other, m.text))
    return sorted(found, key=lambda a: a.start)


def _verb_follows(doc: Doc, actor: _Actor) -> bool:
    """"...something Wigan do well": a council name followed by a verb (or the end) acts."""
    return actor.end >= len(doc) or _low(doc[actor.end]) in _ACTOR_VERBS or doc[actor.end].is_punct


def _attribution(span: Span, clause: Span, mentions: Sequence[Mention], scope: Scope, parsed: bool) -> None:
    if not mentions:
        return
    if parsed:
        verdict = _subject_parsed(span, mentions)
        if verdict is not None:
            if verdict:
                scope.suppressed.append(f"done by another council: {verdict!r}")
            return
    actors = _actors(span, clause, mentions)
    before = [a for a in actors if a.start < span.start]
    # "...trust with people in other organisations is important": a place after the match, in or at, is where, not who
    after = [a for a in actors if a.start >= span.end and (a.other is False or _verb_follows(span.doc, a))
             and not (a.start > span.end and _low(span.doc[a.start - 1]) in _LOCATIVE)]
    if before:  # the nearest actor before the match acts: "we engage staff like Wigan do" is ours
        actor = before[-1]
    elif after:  # "engaging staff is something Wigan do well"
        actor = after[0]
    else:  # the sentence topic: "In Oldham, they go door to door"
        topic = _actors(span, span.doc[sentence(span).start:span.start], mentions)
        if not topic:
            return
        actor = topic[-1]
    if actor.other:
        scope.suppressed.append(f"done by another council: {actor.text!r}")


def _subject_parsed(span: Span, mentions: Sequence[Mention]) -> str | None:
    """'' when the subject of the match is "we"/"I" or the own case, the council's text when it is another
    council, None when the parse does not say (then the lexical rules decide)."""
    for token in _governing_chain(span):
        for child in token.children:
            if child.dep_ not in _SUBJECT_DEPS:
                continue
            if _low(child) in FIRST_PERSON:
                return ""
            sub = range(child.left_edge.i, child.right_edge.i + 1)
            for m in mentions:
                if m.start in sub:
                    return m.text if m.other else ""
            return None
    return None

