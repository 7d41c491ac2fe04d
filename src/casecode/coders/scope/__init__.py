"""Scope checks for a rule match, and the same scope as marks for the learned coder.

Is the action negated, hedged, hypothetical, wished for, in the past, stopped, done by another council, or only
the title of a post or committee? Each check (one module each: `_negation`, `_attribution`, `_time`, `_wish`,
`_titles`, plus the action `_frame`) looks at the
match's sentence or lexical clause and gives a reason; a check that suppresses makes the match not count, a hedge
only lowers its score. With a dependency parse (a trained pipeline), negation and the subject come from the parse.
Their words come from one data file, the scope lexicon (`load_lexicon`), and sentences split into clauses with one
splitter (`clauses`), which the learned coder's `scope_marks` use too.
"""

from __future__ import annotations

from typing import Sequence

from spacy.tokens import Span

from ._attribution import OTHER_COUNCIL_PATTERNS, _attribution
from ._clauses import FIRST_PERSON, HEDGE_FACTOR, LEXICON, QUESTION_FACTOR, Mention, Scope, _info, clause_of, clauses
from ._frame import ACTION_VERBS, action_frame
from ._lexicon import Lexicon, load_lexicon
from ._marks import scope_marks
from ._negation import NEGATIVE_PREDICATES, NEGATORS, _negation, _negation_parsed, is_negative_predicate, is_negator
from ._time import _not_ours, _past, _stopped
from ._titles import _title, title_tokens
from ._wish import _hedge, _hypothetical, _wish

__all__ = [
    "ACTION_VERBS", "FIRST_PERSON", "HEDGE_FACTOR", "LEXICON", "NEGATIVE_PREDICATES", "NEGATORS",
    "OTHER_COUNCIL_PATTERNS", "QUESTION_FACTOR", "Lexicon", "Mention", "Scope", "action_frame", "assess",
    "clause_of", "clauses", "is_negative_predicate", "is_negator", "load_lexicon", "scope_marks", "title_tokens",
]


def assess(span: Span, *, mentions: Sequence[Mention] = (), pattern_negates: bool = False,
           first_reason: bool = False) -> Scope:
    """Run every scope check on a match. `pattern_negates`: the pattern itself holds a negator ("not afraid to
    fail"), so negators inside the match are part of the phrase, not a negation of it. `first_reason`: stop at the
    first check that suppresses the match, for a caller that only needs to know whether it counts (a match that
    counts has gone through every check, so its remarks and factor are all there)."""
    scope = Scope()
    clause = clause_of(span)
    parsed = _info(span.doc).parsed
    if parsed:
        _negation_parsed(span, scope, pattern_negates)
    else:
        _negation(span, clause, scope, pattern_negates)
    checks = (  # in order; each may suppress the match
        lambda: _attribution(span, clause, mentions, scope, parsed),
        lambda: _past(span, clause, scope),
        lambda: _stopped(span, scope),
        lambda: _not_ours(span, clause, scope),
        lambda: _wish(span, clause, scope),
        lambda: _hypothetical(span, clause, scope),
        lambda: _hedge(span, scope),
    )
    for check in checks:
        if first_reason and scope.suppressed:
            return scope
        check()
    _title(span, scope)
    return scope
