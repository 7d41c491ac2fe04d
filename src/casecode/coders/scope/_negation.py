"""Negation: "we never invested in staff", "afraid to take risks", "I don't think we learn from others"."""

from __future__ import annotations

from spacy.tokens import Span, Token

from ._clauses import LEXICON, HEDGE_FACTOR, _SUBJECTS, _SOFT_OPENERS, Scope, _Info, _find, _info, _low, sentence

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
    return _negator_at(_info(token.doc), token.i)


def _negator_at(info: _Info, i: int) -> bool:
    """`is_negator` of token `i`, from the doc's word lists."""
    low = info.lower[i]
    if not (low in NEGATORS or info.lemma[i] in NEGATORS):
        return False
    lower, n = info.lower, info.n
    nxt = lower[i + 1] if i + 1 < n else ""
    if nxt in _NOT_NEGATING_NEXT or nxt in _HEDGE_NEXT or (i > 0 and lower[i - 1] == "or"):  # "whether or not"
        return False
    if low == "without" and nxt in _NEG.not_negating_after_without:
        return False
    if low == "never":  # "never been more focused": emphasis, not negation
        return not ({lower[i + k] if i + k < n else "" for k in (1, 2, 3)} & _NEG.emphatic_after_never)
    return True


def is_negative_predicate(token: Token) -> bool:
    """A predicate that means "not doing": "afraid (to)", "stopped", "reluctant", "lack (of)", "failed to"."""
    return _negative_predicate_at(_info(token.doc), token.i)


def _negative_predicate_at(info: _Info, i: int) -> bool:
    lemma = info.lemma[i]
    if lemma == "fail":  # "failed to engage" negates; "fail fast", "allowed to fail" do not
        return i + 1 < info.n and info.lower[i + 1] == "to"
    return lemma in NEGATIVE_PREDICATES or info.lower[i] in NEGATIVE_PREDICATES


def _count_negation(negators: list[Token], scope: Scope, after: bool = False) -> None:
    _count_negators([t.text for t in negators], scope, after)


def _count_negators(texts: list[str], scope: Scope, after: bool = False) -> None:
    if not texts:
        return
    words = " + ".join(repr(t) for t in texts)
    if len(texts) % 2:
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
    info = _info(doc)
    lower = info.lower
    lo = max(clause.start, span.start - NEGATION_WINDOW)
    found = [i for i in range(lo, span.start) if _negator_at(info, i)]
    raised = _find(doc, clause.start, span.start, _NEG_RAISERS)
    if raised is not None and raised[0] + 2 < lo:
        found.append(raised[0] + 2)
    found += [i for i in range(max(clause.start, span.start - PREDICATE_WINDOW), span.start)
              if _negative_predicate_at(info, i)]
    cannot = _find(doc, lo, span.start, _CANNOT)  # "it's hard to justify a trip abroad": not done
    if cannot is not None:
        found.append(cannot[0])
    if not pattern_negates:
        found += [i for i in range(span.start + 1, span.end) if _negator_at(info, i) or _negative_predicate_at(info, i)]
    _hedged_negation(info, lo, span.start, scope)
    if found:
        _count_negators([info.text[i] for i in sorted(set(found))], scope)
        return
    # "Investing in staff isn't something we do": the match is the subject and the negation follows it.
    if any(lower[i] in _SUBJECTS for i in range(clause.start, span.start)):
        return
    after = [i for i in range(span.end, min(span.end + 5, clause.end)) if lower[i] in _PLAIN]
    if not after:  # "pooled budgets and so on, we're honestly not there yet": a topic, then a negative comment
        after = _negative_comment(span, clause)
    _count_negators([info.text[i] for i in after if _negator_at(info, i)][:1], scope, after=True)


_COMMENT_SUBJECTS = _NEG.comment_subjects


def _negative_comment(span: Span, clause: Span) -> list[int]:
    """Negators at the start of the clause after a verbless topic clause: "...pooled budgets, we're not there yet"
    (token offsets)."""
    info = _info(span.doc)
    lower = info.lower
    sent_end = sentence(span).end
    if clause.end >= sent_end or any(lower[i] in _SUBJECTS for i in range(clause.start, clause.end)):
        return []
    words = [i for i in range(clause.end, sent_end) if not info.punct[i] and lower[i] not in _SOFT_OPENERS]
    if not words or lower[words[0]] not in _COMMENT_SUBJECTS:
        return []
    return [i for i in words[1:5] if lower[i] in _PLAIN]


def _hedged_negation(info: _Info, start: int, end: int, scope: Scope) -> None:
    """"We don't always involve residents": a partial negation lowers the score instead of suppressing."""
    lower = info.lower
    for i in range(start, end):
        if lower[i] in _PLAIN and (lower[i + 1] if i + 1 < info.n else "") in _HEDGE_NEXT:
            scope.notes.append(f"hedged: {info.text[i] + ' ' + info.text[i + 1]!r}")
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

