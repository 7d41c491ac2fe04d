"""Titles of posts, portfolios and committees: "the Cabinet Member for Resources" names a topic, not an action."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from ._clauses import LEXICON, Scope, _hits, _info, cue, within

_T = LEXICON.titles


def title_tokens(doc: Doc) -> frozenset[int]:
    """Indexes of the capitalised words of every title in `doc` (not the head words: "Head of" stays plain)."""
    info = _info(doc)
    if info.titles is None:
        info.titles = frozenset(_titles(doc))
    return info.titles


def _titles(doc: Doc) -> set[int]:
    inside: set[int] = set()
    info = _info(doc)
    capitalised = _Capitalised(info.text, info.alpha)
    for i, text in _hits(doc, 0, len(doc), _T.heads):
        run = _run(info.lower, capitalised, i + len(text.split()), 1)
        inside.update(run)
    # "the Culture Committee", "Resources and Assets Board"
    for i in within(info, _tails_at, 0, info.n):
        if capitalised[i] and i > 0:
            inside.update(_run(info.lower, capitalised, i - 1, -1))
    return inside


_tails_at = cue(lower=_T.tails.__contains__)


class _Capitalised:
    """`[i]`: whether word `i` is capitalised (not "I"), worked out only for the words asked about."""

    __slots__ = ("text", "alpha")

    def __init__(self, text: list[str], alpha: list[int]):
        self.text, self.alpha = text, alpha

    def __getitem__(self, i: int) -> bool:
        text = self.text[i]
        return text[:1].isupper() and bool(self.alpha[i]) and text != "I"

    def __len__(self) -> int:
        return len(self.text)


def _run(lower: list[str], capitalised: "_Capitalised", start: int, step: int) -> list[int]:
    """Capitalised words from `start` in direction `step`, joined by "and", "&", "of", "the"; joins at the edges
    are dropped."""
    found, i = [], start
    while 0 <= i < len(lower) and (capitalised[i] or lower[i] in _T.joins and found):
        found.append(i)
        i += step
    while found and lower[found[-1]] in _T.joins:
        found.pop()
    return [i for i in found if lower[i] not in _T.joins]


def _title(span: Span, scope: Scope) -> None:
    """A match that starts inside a title does not count."""
    if span.start in title_tokens(span.doc):
        scope.suppressed.append(f"title of a post or committee: {span.text!r}")
