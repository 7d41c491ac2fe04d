"""Scope checks for a rule match: is the action negated, hedged, hypothetical, wished for, in the past, or done by
another council?

A pattern firing on "invest in staff" says nothing yet: "we never invested in staff", "we should invest in staff",
"we used to invest in staff" and "Wigan invest in staff" all name the action without this council taking it. Each
check below looks at the match's sentence or clause (a lexical clause: punctuation and clause-opening conjunctions
split a sentence) and gives a reason. A check that suppresses makes the match not count; a hedge only lowers its
score. With a dependency parse (a trained pipeline), negation and the subject come from the parse instead of
windows.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

from spacy.attrs import LEMMA, LOWER
from spacy.tokens import Doc, Span, Token

# --- word lists -----------------------------------------------------------------------------------------------------
# Compared with _low(token) (lower case, straight apostrophes) or token.lemma_, never the raw text.

NEGATORS = {
    "not", "n't", "nt", "never", "no", "nobody", "noone", "none", "nothing", "neither", "nor", "without", "hardly",
    "barely", "scarcely", "rarely", "seldom", "nowhere",
}
# Predicates that mean "not doing" by themselves ("afraid to take risks", "stopped listening"). They negate the
# match, and a negator before them cancels out: "not afraid to take risks", "never stop listening to staff".
NEGATIVE_PREDICATES = {
    "afraid", "scare", "scared", "frighten", "frightened", "fearful", "fear", "reluctant", "hesitant", "hesitate",
    "averse", "wary", "nervous", "timid", "stop", "cease", "quit", "neglect", "refuse", "avoid", "resist", "lack",
    "unable", "forget",
}
# "not just consulting but involving", "no doubt", "without fail": a negator that does not negate the action.
_NOT_NEGATING_NEXT = {"just", "only", "simply", "merely", "least", "doubt", "question", "matter", "exception"}
_HEDGE_NEXT = {"always", "necessarily", "all", "entirely", "fully", "enough", "much"}

# Clause boundaries: punctuation, and conjunctions that always open a new clause.
_CLAUSE_PUNCT = {",", ";", ":", "—", "–", "--", "(", ")", "...", "…", "\"", "“", "”", ".", "!", "?"}
_CLAUSE_OPENERS = {
    "but", "although", "though", "whereas", "because", "cos", "unless", "however", "whilst", "while", "yet",
    "until", "otherwise", "instead", "except", "which", "who", "whom", "whose", "if",
}
# "and", "or", "so", "then" open a clause only before a new subject: "staff and partners" is one clause,
# "we cut budgets and we stopped training" is two.
_SOFT_OPENERS = {"and", "or", "so", "then", "plus", "&"}
_SUBJECTS = {"we", "i", "they", "he", "she", "you", "it", "there", "people", "everyone", "everybody", "nobody"}
FIRST_PERSON = {"we", "i"}
_OURS = {"our", "us", "my", "me"}

_HEDGES = (
    ("maybe",), ("perhaps",), ("probably",), ("possibly",), ("arguably",), ("supposedly",), ("i", "suppose"),
    ("i", "guess"), ("sort", "of"), ("kind", "of"), ("to", "some", "extent"), ("in", "theory"), ("on", "paper"),
    ("a", "bit"), ("struggle",), ("hard", "to"), ("difficult", "to"),
)
# "We try to take the workforce with us" and "we tend to involve residents" describe practice: not hedges.
_HYPOTHETICAL = (
    ("one", "day"), ("some", "day"), ("someday",), ("at", "some", "point"), ("eventually",), ("in", "the", "future"),
    ("in", "future"), ("hopefully",), ("would", "have"), ("could", "have"), ("might", "have"), ("should", "have"),
    ("'d", "have"), ("was", "going", "to"), ("were", "going", "to"),
)
# A condition before the match in the same sentence: "if we had the money, we'd invest in innovation".
_CONDITIONS = (("if", "we", "had"), ("if", "we", "could"), ("if", "we", "were"), ("if", "only"), ("if", "i", "had"))
_MODALS = {"might", "may", "could"}
_WISH_VERBS = {"should", "ought", "need", "want", "wish", "hope", "plan", "intend", "aspire"}
_WISH_NEEDS_TO = {"plan", "hope", "intend", "aspire"}
_WOULD = {"would", "'d"}
_WISH_AFTER_WOULD = {"like", "love", "prefer"}
_WISH_PHRASES = (
    ("i", "wish"), ("if", "only"), ("ideally",), ("ideal", "world"), ("would", "be", "nice"), ("would", "be", "good"),
    ("would", "be", "great"), ("would", "be", "lovely"), ("'d", "be", "nice"), ("'d", "be", "good"),
    ("'d", "be", "great"),
)
# Tokens allowed between "we" and the wish verb: "we really need to", "we'd all like to", "we are planning to".
_WISH_FILLERS = {
    "really", "just", "'d", "would", "do", "also", "still", "all", "probably", "definitely", "'ll", "will", "'re",
    "are", "desperately", "genuinely", "think", "certainly", "have", "'ve", "kind", "of", "sort", "possibly",
}
# "we need to keep investing" says the action goes on.
_CONTINUING = {"keep", "continue", "carry", "maintain", "sustain"}

_PAST = (
    ("used", "to"), ("in", "the", "past"), ("previously",), ("ago",), ("back", "then"),
    ("in", "those", "days"), ("in", "the", "old", "days"), ("historically",), ("formerly",), ("at", "one", "time"),
    ("once", "upon"), ("no", "longer"), ("previous", "administration"), ("previous", "regime"),
    ("previous", "chief"), ("previous", "leader"), ("previous", "leadership"), ("previous", "management"),
    ("year", "back"), ("month", "back"), ("while", "back"),
)
# These set the time for the whole sentence ("In the past, we consulted and we invested"); the other cues ("ago",
# "used to") belong to their own clause, so "we set a vision ten years ago, and members are united behind it" keeps
# its second clause, unless the cue's clause is a short fronted adverbial ("Years ago, we had a fund").
_PAST_TOPICAL = {"in the past", "back then", "in those days", "in the old days", "historically", "formerly",
                 "at one time", "previously"}
_FRONTED = 5  # a sentence-initial clause this short holding a past cue is a time adverbial for what follows
# Between a past cue and the match these reset the time: "in the past we didn't, but now we take risks".
_PAST_RESET = {"but", "now", "whereas", "however", "nowadays", "today", "currently", "recently"}
# ...and these say it still goes on: "years ago we started listening sessions and still run them".
# ...as does what was set up or agreed then and not said to have stopped: "we agreed three priorities years ago".
_CONTINUITY = {"since", "still", "continue", "keep", "kept", "start", "begin", "introduce", "launch", "establish",
               "agree", "adopt", "create", "set"}
_BE_GET = {"be", "is", "are", "was", "were", "been", "being", "get", "got", "'s", "'re"}

# A council name after these is an object, not the actor: "learn from Wigan", "work with Oldham", "see how Wigan".
_OBJECT_MARKERS = {
    "with", "from", "to", "between", "alongside", "across", "than", "about", "for", "by", "of", "into", "among",
    "amongst", "beside", "versus", "against", "visit", "visited", "how", "what", "where", "on", "including",
    "involving", "through", "towards", "toward", "around", "round", "like-minded",
}
_LOCATIVE = {"in", "at"}
_COORD = {"and", "or", "&", ",", "the", "both", "also"}
_ACTOR_VERBS = {
    "do", "does", "did", "have", "has", "had", "are", "is", "were", "was", "'s", "'ve", "'re", "seem", "seems",
    "really", "always", "already", "just", "run", "runs", "ran", "got", "use", "used", "uses",
}

# Dependency labels for the parsed path.
# The chain climbs through subjects and complements ("investing in staff isn't something we do", "I don't think we
# invest") and stops at clauses with their own polarity (relative, adverbial, coordinated).
_CLAUSE_DEPS = {"relcl", "advcl", "conj", "parataxis", "acl", "appos", "ROOT"}
_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "expl"}


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


def assess(span: Span, *, mentions: Sequence[Mention] = (), pattern_negates: bool = False) -> Scope:
    """Run every scope check on a match. `pattern_negates`: the pattern itself holds a negator ("not afraid to
    fail"), so negators inside the match are part of the phrase, not a negation of it."""
    scope = Scope()
    clause = clause_of(span)
    parsed = span.doc.has_annotation("DEP")
    if parsed:
        _negation_parsed(span, scope, pattern_negates)
    else:
        _negation(span, clause, scope, pattern_negates)
    _attribution(span, clause, mentions, scope, parsed)
    _past(span, clause, scope)
    _stopped(span, scope)
    _not_ours(span, clause, scope)
    _wish(span, clause, scope)
    _hypothetical(span, clause, scope)
    _hedge(span, scope)
    return scope


# --- clauses --------------------------------------------------------------------------------------------------------


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


# --- negation -------------------------------------------------------------------------------------------------------

NEGATION_WINDOW = 6  # a negator this many tokens before the match, in its clause, negates it
PREDICATE_WINDOW = 3  # a negative predicate must govern the match closely: "afraid to take risks"


def _next_lower(token: Token, k: int = 1) -> str:
    i = token.i + k
    return _low(token.doc[i]) if 0 <= i < len(token.doc) else ""


def is_negator(token: Token) -> bool:
    """A negating word: "not", "never", "no", "nobody", "without", "hardly"; exceptions such as "not just"."""
    if not (_low(token) in NEGATORS or token.lemma_ in NEGATORS):
        return False
    nxt = _next_lower(token)
    if nxt in _NOT_NEGATING_NEXT or nxt in _HEDGE_NEXT or _next_lower(token, -1) == "or":  # "whether or not"
        return False
    if _low(token) == "without" and nxt in {"fail", "exception"}:
        return False
    if _low(token) == "never":  # "never been more focused": emphasis, not negation
        return not ({_next_lower(token, k) for k in (1, 2, 3)} & {"more", "better", "stronger", "clearer"})
    return True


def is_negative_predicate(token: Token) -> bool:
    """A predicate that means "not doing": "afraid (to)", "stopped", "reluctant", "lack (of)", "failed to"."""
    if token.lemma_ == "fail":  # "failed to engage" negates; "fail fast", "allowed to fail" do not
        return _next_lower(token) == "to"
    return token.lemma_ in NEGATIVE_PREDICATES or _low(token) in NEGATIVE_PREDICATES


def _count_negation(negators: list[Token], scope: Scope, after: bool = False) -> None:
    if not negators:
        return
    words = " + ".join(repr(t.text) for t in negators)
    if len(negators) % 2:
        scope.suppressed.append(f"negation{' after' if after else ''}: {words}")
    else:  # two negators cancel: "not afraid to take risks", "never stop listening to staff"
        scope.notes.append(f"double negation, kept: {words}")


# "I don't think we've been good at learning from others": the negation of "think" is the negation of the rest.
_NEG_RAISERS = tuple(
    (who, aux, "not", verb) for who in ("i", "we") for aux in ("do", "be")
    for verb in ("think", "believe", "reckon", "sure", "feel", "convinced")
)


# Saying an action cannot be justified or afforded says it is not taken.
_CANNOT = tuple((hard, "to", verb) for hard in ("hard", "difficult", "impossible", "tough")
                for verb in ("justify", "afford", "defend", "sell"))


def _negation(span: Span, clause: Span, scope: Scope, pattern_negates: bool) -> None:
    doc = span.doc
    lo = max(clause.start, span.start - NEGATION_WINDOW)
    found = [t for t in doc[lo:span.start] if is_negator(t)]
    raised = _find(doc, clause.start, span.start, _NEG_RAISERS)
    if raised is not None and raised[0] + 2 < lo:
        found.append(doc[raised[0] + 2])
    found += [t for t in doc[max(clause.start, span.start - PREDICATE_WINDOW):span.start] if is_negative_predicate(t)]
    cannot = _find(doc, lo, span.start, _CANNOT)  # "it's hard to justify a trip abroad": not done
    if cannot is not None:
        found.append(doc[cannot[0]])
    if not pattern_negates:
        found += [t for t in span[1:] if is_negator(t) or is_negative_predicate(t)]
    _hedged_negation(doc[lo:span.start], scope)
    if found:
        _count_negation(sorted(set(found), key=lambda t: t.i), scope)
        return
    # "Investing in staff isn't something we do": the match is the subject and the negation follows it.
    if any(_low(t) in _SUBJECTS for t in doc[clause.start:span.start]):
        return
    after = [t for t in doc[span.end:min(span.end + 5, clause.end)] if _low(t) in {"not", "n't", "never"}]
    if not after:  # "pooled budgets and so on, we're honestly not there yet": a topic, then a negative comment
        after = _negative_comment(span, clause)
    _count_negation([t for t in after if is_negator(t)][:1], scope, after=True)


_COMMENT_SUBJECTS = {"we", "i", "that", "it"}


def _negative_comment(span: Span, clause: Span) -> list[Token]:
    """Negators at the start of the clause after a verbless topic clause: "...pooled budgets, we're not there yet"."""
    doc = span.doc
    if clause.end >= span.sent.end or any(_low(t) in _SUBJECTS for t in clause):
        return []
    nxt = doc[clause.end:span.sent.end]
    words = [t for t in nxt if not t.is_punct and _low(t) not in _SOFT_OPENERS]
    if not words or _low(words[0]) not in _COMMENT_SUBJECTS:
        return []
    return [t for t in words[1:5] if _low(t) in {"not", "n't", "never"}]


def _hedged_negation(tokens: Span, scope: Scope) -> None:
    """"We don't always involve residents": a partial negation lowers the score instead of suppressing."""
    for t in tokens:
        if _low(t) in {"not", "n't", "never"} and _next_lower(t) in _HEDGE_NEXT:
            scope.notes.append(f"hedged: {t.text + ' ' + t.nbor(1).text!r}")
            scope.factor *= HEDGE_FACTOR


def _governing_chain(span: Span) -> list[Token]:
    """The match root and its heads up to the head of its clause (parsed docs only)."""
    chain = [span.root]
    token = span.root
    while token.dep_ not in _CLAUSE_DEPS and token.head.i != token.i:
        token = token.head
        chain.append(token)
    return chain


_NEG_CHILD_DEPS = {"neg", "det", "nsubj", "nsubjpass", "advmod", "dobj", "prep", "npadvmod"}


def _negation_parsed(span: Span, scope: Scope, pattern_negates: bool) -> None:
    """Negators attached to the match's governing chain (neg, det "no", subject "nobody", "without" above the
    match); negative predicates in the chain ("afraid" above "take risks") count as negators too."""
    inside = set(range(span.start, span.end))
    found: list[Token] = []
    for token in _governing_chain(span):
        if token.i not in inside and (is_negator(token) or is_negative_predicate(token)):
            found.append(token)
        for child in token.children:
            if pattern_negates and child.i in inside:
                continue
            if child.dep_ == "neg" and _low(child) not in NEGATORS:  # a negation the word list lacks
                found.append(child)
            elif (child.dep_ == "neg" or child.dep_ in _NEG_CHILD_DEPS) and is_negator(child):
                found.append(child)
    _count_negation(sorted(set(found), key=lambda t: t.i), scope)


# --- another council ------------------------------------------------------------------------------------------------


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
    if _low(gov) in {"like", "unlike"}:  # a comparison: credited to them unless "we" is nearer (see caller)
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
        topic = _actors(span, span.doc[span.sent.start:span.start], mentions)
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


# --- time, wishes, hedges -------------------------------------------------------------------------------------------


def _past(span: Span, clause: Span, scope: Scope) -> None:
    doc, sent = span.doc, span.sent
    if any(t.lemma_ in _CONTINUITY or _low(t) in _CONTINUITY for t in clause):
        return  # "we have been doing this since 2015", "years ago we started and still do"
    for i, text in _hits(doc, sent.start, sent.end, _PAST):
        if text.lower().startswith("used") and i > 0 and _low(doc[i - 1]) in _BE_GET:
            continue  # "the fund is used to pay for", "we're used to risk": not "we used to"
        if i >= span.end and i >= clause.end:
            continue  # a past cue after the match only counts inside its clause
        if i >= span.end and {"that", "who", "which"} & {_low(t) for t in doc[max(span.start + 1, i - 2):i]}:
            continue  # "copied from a firm that used to do it for us": the past of the firm, not of the copying
        if i < clause.start and not _frames_sentence(doc, i, text, sent):
            continue  # "...ten years ago, and members are united behind it": the cue's own clause only
        lo, hi = (i + len(text.split()), span.start) if i < span.start else (span.end, i)
        if any(_low(t) in _PAST_RESET or _phrase_at(doc, t.i, ("these", "days")) for t in doc[lo:hi]):
            continue
        scope.suppressed.append(f"past: {text!r}")
        return


def _frames_sentence(doc: Doc, i: int, text: str, sent: Span) -> bool:
    """Whether a past cue in an earlier clause sets the time of the rest of the sentence: a topical cue ("in the
    past"), or any cue in a short sentence-initial clause ("Years ago, ...")."""
    if text.lower() in _PAST_TOPICAL:
        return True
    first = clauses(sent)[0]
    return first.start <= i < first.end and len(first) <= _FRONTED


# "We did a staff survey in 2022. We stopped it after that.": a later sentence (or the rest of this one) that says
# "we stopped it/them" or "it was scrapped" ends the action just named.
_STOP_VERBS = {"stop", "scrap", "drop", "ditch", "abandon", "axe", "cancel", "shelve", "end", "cut", "bin", "close",
               "disband", "pull", "wind"}
_STOPPED_OBJECTS = {"it", "them", "that", "those", "these"}
_STOP_SUBJECTS = {"we", "i", "they", "it", "that", "those", "these", "which"}
STOP_SENTENCES = 2  # how many sentences after the match may still stop it


# "it just fizzled out", "that petered out": the thing named ended by itself.
_ENDED_VERBS = {"fizzle", "fizzled", "peter", "petered", "lapse", "lapsed", "collapse", "collapsed"}


def _stopped(span: Span, scope: Scope) -> None:
    doc = span.doc
    end = span.sent.end
    for _ in range(STOP_SENTENCES):
        end = doc[end].sent.end if end < len(doc) else end
    lower = _words(doc)[0]
    for t in doc[span.end:end]:
        if (t.lemma_ in _ENDED_VERBS or lower[t.i] in _ENDED_VERBS) and \
                {"it", "that", "they", "which"} & set(lower[max(t.i - 3, 0):t.i]):
            scope.suppressed.append(f"stopped: {doc[max(t.i - 2, 0):t.i + 1].text!r}")
            return
        if not (t.lemma_ in _STOP_VERBS or lower[t.i] in _STOP_VERBS) or t.i + 1 >= len(doc):
            continue
        before = lower[max(t.i - 2, 0):t.i]
        # "we stopped them", "we've dropped it"; "it was scrapped", "that got cut"
        active = bool({"we", "i", "they"} & set(before)) and lower[t.i + 1] in _STOPPED_OBJECTS
        passive = before[-1:] in (["was"], ["got"], ["were"]) and bool(_STOP_SUBJECTS & set(lower[max(t.i - 3, 0):t.i]))
        if active or passive:
            scope.suppressed.append(f"stopped: {doc[max(t.i - 1, 0):t.i + 2].text!r}")
            return


# "The county ran a pilot, but we weren't part of it", "it's theirs, we're not in it": someone else's action.
_NOT_OURS_AFTER = {"part", "involved", "in", "theirs", "included", "signed"}


def _not_ours(span: Span, clause: Span, scope: Scope) -> None:
    doc = span.doc
    if any(_low(t) in FIRST_PERSON for t in doc[clause.start:span.start]):
        return  # "we ran a pilot, and we're not in the county's one": ours
    end = span.sent.end
    end = doc[end].sent.end if end < len(doc) else end
    lower = _words(doc)[0]
    for i in range(span.end, end):
        if lower[i] not in FIRST_PERSON:
            continue
        window = lower[i + 1:min(i + 4, end)]
        neg = next((k for k, w in enumerate(window) if w in {"not", "n't", "never"}), None)
        if neg is None:
            continue
        rest = lower[i + 2 + neg:min(i + 5 + neg, end)]
        if rest and (rest[0] in _NOT_OURS_AFTER - {"in"} or rest[:2] == ["in", "it"] or rest[:2] == ["in", "that"]):
            scope.suppressed.append(f"not ours: {doc[i:i + 3 + neg].text!r}")
            return


def _first_person_before(doc: Doc, i: int, floor: int) -> bool:
    j = i - 1
    while j >= floor and _low(doc[j]) in _WISH_FILLERS:
        j -= 1
    return j >= floor and _low(doc[j]) in FIRST_PERSON


WISH_WINDOW = 6


def _wish(span: Span, clause: Span, scope: Scope) -> None:
    """"We should", "we need to", "we'd like to", "I wish", "if only": wanted, not done (first person only:
    "you need to involve them" is advice from practice, and "councils should" is about others)."""
    doc = span.doc
    lo = max(clause.start, span.start - WISH_WINDOW)
    hit = _find(doc, span.sent.start, span.start, _WISH_PHRASES)
    if hit is None:
        for t in doc[lo:span.start]:
            wish = t.lemma_ in _WISH_VERBS or _low(t) in _WISH_VERBS or (
                t.lemma_ in _WISH_AFTER_WOULD and t.i > 0 and _low(doc[t.i - 1]) in _WOULD)
            if t.lemma_ in _WISH_NEEDS_TO and _next_lower(t) != "to":  # "we plan for the next steps" is practice
                wish = False
            if wish and _first_person_before(doc, t.i, clause.start):
                hit = (t.i, doc[max(clause.start, t.i - 1):t.i + 1].text)
    if hit is None:
        hit = _verbless_more(span)
    if hit is None:
        return
    after = [t for t in doc[hit[0] + 1:min(hit[0] + 4, span.end)]]
    if any(t.lemma_ in _CONTINUING for t in after) or any(t.lemma_ in _CONTINUING for t in span[:1]):
        return  # "we need to keep investing in staff": it goes on
    scope.suppressed.append(f"wish, not done: {hit[1]!r}")


_MORE = {"more", "less", "fewer", "better"}


def _verbless_more(span: Span) -> tuple[int, str] | None:
    """"And for me, more space to think.": a sentence with no subject, opening on "more", names what is wanted
    (the answer to "what would you change?"), not what is done."""
    sent = span.sent
    colons = [t.i for t in span.doc[sent.start:span.start] if t.text.endswith(":")]  # after a speaker label
    sent = span.doc[colons[-1] + 1 if colons else sent.start:sent.end]
    words = [t for t in sent if not t.is_punct and _low(t) not in {"and", "so", "but", "for", "me", "just"}]
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
            if _low(t) in _MODALS and t.text != "May":  # "we might invest"; not the month
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


# --- action frame ---------------------------------------------------------------------------------------------------

# Who may act for the speaker's council, and verbs of doing. A generic word ("community", "partner", "pilot") is
# evidence of an action only in a frame such as "we set up a partnership with" or "members asked the community";
# "the community is struggling" or "partners were frustrated" is talk about a topic.
_FRAME_ACTORS_LOWER = {"we", "i", "us", "our", "ourselves", "me", "my", "you"}  # "you have to invest": practice
_FRAME_ACTORS_LEMMA = {"council", "authority", "member", "councillor", "cabinet", "manager", "officer", "leader",
                       "director", "executive", "management", "leadership"}
ACTION_VERBS = {
    "set", "run", "hold", "fund", "give", "bring", "ask", "involve", "invest", "build", "start", "use", "create",
    "launch", "establish", "develop", "form", "join", "work", "put", "pay", "spend", "commission", "pilot", "trial",
    "test", "try", "go", "visit", "host", "organise", "organize", "introduce", "hire", "appoint", "send", "share",
    "pool", "agree", "sign", "make", "take", "do", "get", "got", "keep", "meet", "talk", "listen", "deliver", "back",
    "support", "train", "coach", "mentor", "lead", "drive", "push", "open", "move", "redesign", "design", "engage",
    "consult", "partner", "collaborate", "adopt", "embed", "allocate", "earmark", "employ", "second", "seed", "grow",
    "expand", "encourage", "let", "allow", "empower", "reward", "celebrate", "apply", "co-design", "co-produce",
    "sit", "bid", "win", "found", "setup", "knock", "door-knock", "survey", "hear", "challenge",
    "protect", "ring-fence", "sort", "offer", "provide", "prioritise", "prioritize", "review", "track", "measure", "iterate", "prototype",
}
FRAME_WINDOW = 8  # how far before or after the match a verb of doing may stand, in its sentence


def action_frame(span: Span) -> bool:
    """Whether the match stands in a frame of someone here doing something: an actor for the council ("we",
    "our", "members", "the council") in its sentence, and a verb of doing in its clause or near it (FRAME_WINDOW
    words either side, in the sentence)."""
    doc, sent = span.doc, span.sent
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
        if lower[i] == "given" and (i == 0 or lower[i - 1] not in _BE_GET | {"have", "'ve", "has", "had"}):
            continue  # "given where we came from": a preposition
        if lemma[i] in ACTION_VERBS or lower[i] in ACTION_VERBS:
            return True
        # "we have", "we've got", "our teams have": having is doing only with the actor right before it
        if lemma[i] == "have" and i > 0 and (lower[i - 1] in _FRAME_ACTORS_LOWER or lemma[i - 1] in _FRAME_ACTORS_LEMMA):
            return True
    return False
