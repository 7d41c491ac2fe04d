"""Time: the past ("we used to", "years ago"), an action stopped since ("we stopped it"), and someone else's
action ("the county ran a pilot, but we weren't part of it")."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from ._clauses import (FIRST_PERSON, LEXICON, Scope, _clause_bounds, _hits, _info, _phrase_at, _words, cue, sentence,
                       sentence_bounds, within)

_P = LEXICON.past
_PAST = _P.cues
# These set the time for the whole sentence ("In the past, we consulted and we invested"); the other cues ("ago",
# "used to") belong to their own clause, so "we set a vision ten years ago, and members are united behind it" keeps
# its second clause, unless the cue's clause is a short fronted adverbial ("Years ago, we had a fund").
_PAST_TOPICAL = _P.topical
_FRONTED = 5  # a sentence-initial clause this short holding a past cue is a time adverbial for what follows
# Between a past cue and the match these reset the time: "in the past we didn't, but now we take risks".
_PAST_RESET = _P.reset
# ...and these say it still goes on: "years ago we started listening sessions and still run them".
# ...as does what was set up or agreed then and not said to have stopped: "we agreed three priorities years ago".
_CONTINUITY = _P.continuity
_BE_GET = _P.be_get
_S = LEXICON.stopped
_STOP_VERBS = _S.verbs
_STOPPED_OBJECTS = _S.objects
_STOP_SUBJECTS = _S.subjects
_ENDED_VERBS = _S.ended
_NOT_OURS_AFTER = LEXICON.not_ours.after
_PLAIN_NEGATORS = LEXICON.negation.plain_negators


def _past(span: Span, clause: Span, scope: Scope) -> None:
    doc, sent = span.doc, sentence(span)
    info = _info(doc)
    lower = info.lower
    if within(info, _continuity_at, clause.start, clause.end):
        return  # "we have been doing this since 2015", "years ago we started and still do"
    for i, text in _hits(doc, sent.start, sent.end, _PAST):
        if text.lower().startswith("used") and i > 0 and lower[i - 1] in _BE_GET:
            continue  # "the fund is used to pay for", "we're used to risk": not "we used to"
        if i >= span.end and i >= clause.end:
            continue  # a past cue after the match only counts inside its clause
        if i >= span.end and _P.relative & set(lower[max(span.start + 1, i - 2):i]):
            continue  # "copied from a firm that used to do it for us": the past of the firm, not of the copying
        if i < clause.start and not _frames_sentence(doc, i, text, sent):
            continue  # "...ten years ago, and members are united behind it": the cue's own clause only
        lo, hi = (i + len(text.split()), span.start) if i < span.start else (span.end, i)
        if any(lower[j] in _PAST_RESET or _phrase_at(doc, j, ("these", "days")) for j in range(lo, min(hi, info.n))):
            continue
        scope.suppressed.append(f"past: {text!r}")
        return


_continuity_at = cue(lower=_CONTINUITY.__contains__, lemma=_CONTINUITY.__contains__)


def _frames_sentence(doc: Doc, i: int, text: str, sent: Span) -> bool:
    """Whether a past cue in an earlier clause sets the time of the rest of the sentence: a topical cue ("in the
    past"), or any cue in a short sentence-initial clause ("Years ago, ...")."""
    if text.lower() in _PAST_TOPICAL:
        return True
    bounds = _clause_bounds(doc, sent.start, sent.end)
    first = next((a, b) for a, b in zip(bounds, bounds[1:]) if b > a)
    return first[0] <= i < first[1] and first[1] - first[0] <= _FRONTED


# "We did a staff survey in 2022. We stopped it after that.": a later sentence (or the rest of this one) that says

# "we stopped it/them" or "it was scrapped" ends the action just named.
STOP_SENTENCES = 2  # how many sentences after the match may still stop it


# "it just fizzled out", "that petered out": the thing named ended by itself.

def _stopped(span: Span, scope: Scope) -> None:
    doc = span.doc
    end = sentence(span).end
    for _ in range(STOP_SENTENCES):
        end = sentence_bounds(doc, end)[1] if end < len(doc) else end
    info = _info(doc)
    lower, lemma = info.lower, info.lemma
    for i in within(info, _stop_words_at, span.end, end):  # no other word can stop it
        if (lemma[i] in _ENDED_VERBS or lower[i] in _ENDED_VERBS) and \
                _S.ended_subjects & set(lower[max(i - 3, 0):i]):
            scope.suppressed.append(f"stopped: {doc[max(i - 2, 0):i + 1].text!r}")
            return
        if not (lemma[i] in _STOP_VERBS or lower[i] in _STOP_VERBS) or i + 1 >= len(doc):
            continue
        before = lower[max(i - 2, 0):i]
        # "we stopped them", "we've dropped it"; "it was scrapped", "that got cut"
        active = bool(_S.actors & set(before)) and lower[i + 1] in _STOPPED_OBJECTS
        passive = before[-1:] and before[-1] in _S.passive and bool(_STOP_SUBJECTS & set(lower[max(i - 3, 0):i]))
        if active or passive:
            scope.suppressed.append(f"stopped: {doc[max(i - 1, 0):i + 2].text!r}")
            return


_STOP_WORDS = _ENDED_VERBS | _STOP_VERBS
_stop_words_at = cue(lower=_STOP_WORDS.__contains__, lemma=_STOP_WORDS.__contains__)
_first_person_at = cue(lower=FIRST_PERSON.__contains__)


# "The county ran a pilot, but we weren't part of it", "it's theirs, we're not in it": someone else's action.

def _not_ours(span: Span, clause: Span, scope: Scope) -> None:
    doc = span.doc
    lower = _words(doc)[0]
    if any(lower[i] in FIRST_PERSON for i in range(clause.start, span.start)):
        return  # "we ran a pilot, and we're not in the county's one": ours
    end = sentence(span).end
    end = sentence_bounds(doc, end)[1] if end < len(doc) else end
    for i in within(_info(doc), _first_person_at, span.end, end):
        window = lower[i + 1:min(i + 4, end)]
        neg = next((k for k, w in enumerate(window) if w in _PLAIN_NEGATORS), None)
        if neg is None:
            continue
        rest = lower[i + 2 + neg:min(i + 5 + neg, end)]
        if rest and (rest[0] in _NOT_OURS_AFTER - {"in"} or rest[:2] == ["in", "it"] or rest[:2] == ["in", "that"]):
            scope.suppressed.append(f"not ours: {doc[i:i + 3 + neg].text!r}")
            return

