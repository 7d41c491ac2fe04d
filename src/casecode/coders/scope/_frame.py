"""The action frame: someone here doing something, which a generic word ("community", "partner") needs."""

from __future__ import annotations

from spacy.tokens import Span

from ._clauses import LEXICON, _words, clause_of, sentence

# Who may act for the speaker's council, and verbs of doing. A generic word ("community", "partner", "pilot") is
# evidence of an action only in a frame such as "we set up a partnership with" or "members asked the community";
# "the community is struggling" or "partners were frustrated" is talk about a topic.
_FRAME_ACTORS_LOWER = LEXICON.frame.actors  # "you have to invest": practice
_FRAME_ACTORS_LEMMA = LEXICON.frame.actor_lemmas
ACTION_VERBS = LEXICON.frame.action_verbs
_HAVE = LEXICON.frame.have_forms
_BE_GET = LEXICON.past.be_get
FRAME_WINDOW = 8  # how far before or after the match a verb of doing may stand, in its sentence


def action_frame(span: Span) -> bool:
    """Whether the match stands in a frame of someone here doing something: an actor for the council ("we",
    "our", "members", "the council") in its sentence, and a verb of doing in its clause or near it (FRAME_WINDOW
    words either side, in the sentence)."""
    doc, sent = span.doc, sentence(span)
    lower, lemma = _words(doc)
    actor = any(lower[i] in _FRAME_ACTORS_LOWER or lemma[i] in _FRAME_ACTORS_LEMMA
                for i in range(sent.start, sent.end) if not span.start <= i < span.end)
    if not actor:
        return False
    # "we iterate", "we pilot things": the generic word is itself the verb, with the actor right before it
    if lemma[span.start] in ACTION_VERBS and span.start > sent.start and lower[span.start - 1] in _FRAME_ACTORS_LOWER:
        return True
    clause = clause_of(span)
    lo = max(sent.start, min(clause.start, span.start - FRAME_WINDOW))
    hi = max(clause.end, min(sent.end, span.end + FRAME_WINDOW))  # "...that's the housing association, we've set up"
    for i in range(lo, hi):
        if span.start <= i < span.end:
            continue
        if lower[i] == "given" and (i == 0 or lower[i - 1] not in _BE_GET | _HAVE):
            continue  # "given where we came from": a preposition
        if lemma[i] in ACTION_VERBS or lower[i] in ACTION_VERBS:
            return True
        # "we have", "we've got", "our teams have": having is doing only with the actor right before it
        if lemma[i] == "have" and i > 0 and (lower[i - 1] in _FRAME_ACTORS_LOWER or lemma[i - 1] in _FRAME_ACTORS_LEMMA):
            return True
    return False
