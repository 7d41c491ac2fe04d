"""Titles of posts, portfolios and committees: "the Cabinet Member for Resources" names a topic, not an action."""

from __future__ import annotations

import weakref

from spacy.tokens import Doc, Span

from ._clauses import LEXICON, Scope, _hits, _words

_T = LEXICON.titles
_FOUND: "weakref.WeakKeyDictionary[Doc, frozenset[int]]" = weakref.WeakKeyDictionary()


def _capitalised(token) -> bool:
    return token.text[:1].isupper() and token.is_alpha and token.text != "I"


def title_tokens(doc: Doc) -> frozenset[int]:
    """Indexes of the capitalised words of every title in `doc` (not the head words: "Head of" stays plain)."""
    found = _FOUND.get(doc)
    if found is None:
        found = _FOUND[doc] = frozenset(_titles(doc))
    return found


def _titles(doc: Doc) -> set[int]:
    inside: set[int] = set()
    lower = _words(doc)[0]
    for i, text in _hits(doc, 0, len(doc), _T.heads):
        run = _run(doc, i + len(text.split()), 1)
        inside.update(run)
    for i, token in enumerate(doc):  # "the Culture Committee", "Resources and Assets Board"
        if lower[i] in _T.tails and _capitalised(token) and i > 0:
            inside.update(_run(doc, i - 1, -1))
    return inside


def _run(doc: Doc, start: int, step: int) -> list[int]:
    """Capitalised words from `start` in direction `step`, joined by "and", "&", "of", "the"; joins at the edges
    are dropped."""
    lower = _words(doc)[0]
    found, i = [], start
    while 0 <= i < len(doc) and (_capitalised(doc[i]) or lower[i] in _T.joins and found):
        found.append(i)
        i += step
    while found and lower[found[-1]] in _T.joins:
        found.pop()
    return [i for i in found if lower[i] not in _T.joins]


def _title(span: Span, scope: Scope) -> None:
    """A match that starts inside a title does not count."""
    if span.start in title_tokens(span.doc):
        scope.suppressed.append(f"title of a post or committee: {span.text!r}")
