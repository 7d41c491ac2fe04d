"""Negation: "we never invested in staff", "afraid to take risks", "I don't think we learn from others"."""

from __future__ import annotations

from spacy.tokens import Span, Token

from ._clauses import (LEXICON, HEDGE_FACTOR, _SUBJECTS, _SOFT_OPENERS, Scope, _find, _low, _next_lower)

_NEG = LEXICON.negation
NEGATORS = _NEG.negators
# Predicates that mean "not doing" by themselves ("afraid to take risks", "stopped listening"). They negate the
# match, and a negator before them cancels out: "not afraid to take risks", "never stop listening to staff".
NEGATIVE_PREDICATES = _NEG.negative_predicates
# "not just consulting but involving", "no doubt", "without fail": a negator that does not negate the action.
_NOT_NEGATING_NEXT = _NEG.not_negating_next
_HEDGE_NEXT = _NEG.partial_next
_PLAIN = _NEG.plain_negators
# Dependency labels for the parsed path (spaCy's labels, not words). The chain climbs through subjects and
# complements ("investing in staff isn't something we do", "I don't think we invest") and stops at clauses with
# their own polarity (relative, adverbial, coordinated).
_CLAUSE_DEPS = {"relcl", "advcl", "conj", "parataxis", "acl", "appos", "ROOT"}

NEGATION_WINDOW = 6  # a negator this many tokens before the match, in its clause, negates it
PREDICATE_WINDOW = 3  # a negative predicate must govern the match closely: "afraid to take risks"


def is_negator(token: Token) -> bool:
    """A negating word: "not", "never", "no", "nobody", "without", "hardly"; exceptions such as "not just"."""
    if not (_low(token) in NEGATORS or token.lemma_ in NEGATORS):
        return False
    nxt = _next_lower(token)
    if nxt in _NOT_NEGATING_NEXT or nxt in _HEDGE_NEXT or _next_lower(token, -1) == "or":  # "whether or not"
        return False
    if _low(token) == "without" and nxt in _NEG.not_negating_after_without:
        return False
    if _low(token) == "never":  # "never been more focused": emphasis, not negation
        return not ({_next_lower(token, k) for k in (1, 2, 3)} & _NEG.emphatic_after_never)
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
    (who, aux, "not", verb) for who in _NEG.raiser_subjects for aux in _NEG.raiser_auxiliaries
    for verb in _NEG.raiser_verbs
)


# Saying an action cannot be justified or afforded says it is not taken.
_CANNOT = tuple((hard, "to", verb) for hard in _NEG.cannot_adjectives for verb in _NEG.cannot_verbs)


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
    after = [t for t in doc[span.end:min(span.end + 5, clause.end)] if _low(t) in _PLAIN]
    if not after:  # "pooled budgets and so on, we're honestly not there yet": a topic, then a negative comment
        after = _negative_comment(span, clause)
    _count_negation([t for t in after if is_negator(t)][:1], scope, after=True)


_COMMENT_SUBJECTS = _NEG.comment_subjects


def _negative_comment(span: Span, clause: Span) -> list[Token]:
    """Negators at the start of the clause after a verbless topic clause: "...pooled budgets, we're not there yet"."""
    doc = span.doc
    if clause.end >= span.sent.end or any(_low(t) in _SUBJECTS for t in clause):
        return []
    nxt = doc[clause.end:span.sent.end]
    words = [t for t in nxt if not t.is_punct and _low(t) not in _SOFT_OPENERS]
    if not words or _low(words[0]) not in _COMMENT_SUBJECTS:
        return []
    return [t for t in words[1:5] if _low(t) in _PLAIN]


def _hedged_negation(tokens: Span, scope: Scope) -> None:
    """"We don't always involve residents": a partial negation lowers the score instead of suppressing."""
    for t in tokens:
        if _low(t) in _PLAIN and _next_lower(t) in _HEDGE_NEXT:
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

