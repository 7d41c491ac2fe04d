"""The scope lexicon: the word lists of the scope checks and the scope marks, read from a validated data file.

The default file is `casecode/data/scope-lexicon-en.yaml`. `load_lexicon(path)` reads and checks any file of the
same shape, so a new language or domain writes data, not code. Words are stored lower case; a phrase is a tuple of
words.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator

from ..._yaml import load_yaml
from ...errors import CodebookError

DEFAULT_LEXICON = "scope-lexicon-en.yaml"
# Token attributes an other-council pattern may use (a subset of spaCy's Matcher attributes).
_TOKEN_KEYS = {"ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "IS_TITLE", "IS_PUNCT", "IS_UPPER", "IS_LOWER", "OP"}


def _word_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError("give a non-empty list of words, e.g. [not, never]")
    bad = next((w for w in value if not isinstance(w, str) or not w.strip()), None)
    if bad is not None:
        # YAML reads no, on, off, yes as booleans: a bare `no` in a list is False, not the word.
        raise ValueError(f"{bad!r} is not a word; quote words such as 'no' or 'on'")
    return [w.strip().lower() for w in value]


def _phrase_list(value: Any) -> list[tuple[str, ...]]:
    return [tuple(p.split()) for p in _word_list(value)]


Words = Annotated[frozenset[str], BeforeValidator(_word_list)]
Ordered = Annotated[tuple[str, ...], BeforeValidator(_word_list)]
Phrases = Annotated[tuple[tuple[str, ...], ...], BeforeValidator(_phrase_list)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clauses(_Section):
    punctuation: Words
    openers: Words
    soft_openers: Words
    subjects: Words


class People(_Section):
    first_person: Words
    ours: Words


class Negation(_Section):
    negators: Words
    plain_negators: Words
    negative_predicates: Words
    not_negating_next: Words
    partial_next: Words
    not_negating_after_without: Words
    emphatic_after_never: Words
    raiser_subjects: Ordered
    raiser_auxiliaries: Ordered
    raiser_verbs: Ordered
    cannot_adjectives: Ordered
    cannot_verbs: Ordered
    comment_subjects: Words


class Hypothetical(_Section):
    phrases: Phrases
    conditions: Phrases
    modals: Words


class Wish(_Section):
    verbs: Words
    needs_to: Words
    would: Words
    after_would: Words
    phrases: Phrases
    fillers: Words
    continuing: Words
    more: Words
    more_skip: Words


class Past(_Section):
    cues: Phrases
    topical: Words
    reset: Words
    continuity: Words
    be_get: Words
    relative: Words


class Stopped(_Section):
    verbs: Words
    objects: Words
    subjects: Words
    actors: Words
    passive: Words
    ended: Words
    ended_subjects: Words


class NotOurs(_Section):
    after: Words


class Attribution(_Section):
    object_markers: Words
    locative: Words
    coordination: Words
    comparison: Words
    actor_verbs: Words


class Frame(_Section):
    actors: Words
    actor_lemmas: Words
    action_verbs: Words
    have_forms: Words


class Titles(_Section):
    heads: Phrases
    tails: Words
    joins: Words


class Lexicon(BaseModel):
    """The whole lexicon; see the default file for what each list is for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    language: str
    clauses: Clauses
    people: People
    negation: Negation
    hedges: Phrases
    hypothetical: Hypothetical
    wish: Wish
    past: Past
    stopped: Stopped
    not_ours: NotOurs
    attribution: Attribution
    frame: Frame
    titles: Titles
    other_councils: list[list[dict[str, Any]]]

    @field_validator("other_councils")
    @classmethod
    def _patterns(cls, value: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        if not value:
            raise ValueError("give at least one token pattern, e.g. [{LOWER: other}, {LEMMA: council}]")
        for i, pattern in enumerate(value):
            for j, token in enumerate(pattern):
                unknown = set(token) - _TOKEN_KEYS
                if unknown:
                    raise ValueError(f"pattern {i} token {j} has unknown attribute {sorted(unknown)[0]!r}; use "
                                     f"LOWER, LEMMA, ORTH, IS_TITLE or OP")
        return value


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The scope lexicon in `path` (default: the shipped English one), validated; errors name the file and key."""
    if path is None:
        return _default()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{path}: scope lexicon could not be read ({type(exc).__name__}); give a UTF-8 YAML file")
    return _parse(text, str(path))


@lru_cache(maxsize=1)
def _default() -> Lexicon:
    text = resources.files("casecode").joinpath("data", DEFAULT_LEXICON).read_text(encoding="utf-8")
    return _parse(text, DEFAULT_LEXICON)


def _parse(text: str, where: str) -> Lexicon:
    import yaml

    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise CodebookError(f"{where}:{line} is not valid YAML; fix the syntax there") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{where}: a scope lexicon is a mapping of sections (clauses, negation, ...)")
    try:
        return Lexicon.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise CodebookError(f"{where}: {key}: {error['msg']}; see the shipped scope-lexicon-en.yaml") from None
