"""Named coders: what a project's `coder:` (in casecode.yaml) and `casecode code FILES` resolve to.

A study registers the coders it ships under a name, with the shipped codebook they code with. A codebook with the
same code ids in the same order gets that coder by default (`casecode init --codebook`, `casecode code FILES`);
"rules" is the codebook's rule coder alone and needs no registration. Adding a coder for a new study is one
`register(NamedCoder(...))` in that study's module, listed in `STUDY_MODULES`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from ..errors import CasecodeError, CoderError

RULES = "rules"
#: Modules under casecode.studies that register coders when imported.
STUDY_MODULES = ["transcripts"]

_REGISTRY: dict[str, "NamedCoder"] = {}


@dataclass(frozen=True)
class NamedCoder:
    """A coder a project can name. `build(nlp_name, codebook=None, cases=None)` returns it ready to `code` (its
    rules read `codebook`, default its own, and know a project's `cases`); `training()` gives the extra
    (segments, labels) `casecode train` adds to a project's own reviewed units, or None."""

    name: str
    description: str
    codebook: str
    build: Callable[..., object]
    training: Callable[[], tuple | None] = lambda: None


def register(coder: NamedCoder) -> NamedCoder:
    _REGISTRY[coder.name] = coder
    return coder


def registered() -> dict[str, NamedCoder]:
    """Every named coder, by name."""
    for module in STUDY_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return dict(_REGISTRY)


def named_coder(name: str) -> NamedCoder | None:
    """The coder registered as `name`; None for "rules"; an error naming the known coders otherwise."""
    if not name or name == RULES:
        return None
    coders = registered()
    if name not in coders:
        raise CoderError(f"unknown coder {name!r}; use one of: {', '.join([RULES, *coders])} "
                         "(set 'coder' in casecode.yaml)")
    return coders[name]


def coder_for(codebook) -> NamedCoder | None:
    """The named coder made for a codebook with these code ids in this order, or None (the rules alone)."""
    from ..codebook import read_codebook

    if codebook is None:
        return None
    for coder in registered().values():
        try:
            own = read_codebook(coder.codebook)
        except CasecodeError:  # its codebook is not installed here: it cannot be the match
            continue
        if list(own.ids) == list(codebook.ids):
            return coder
    return None


def describe(coder: NamedCoder | None) -> str:
    """One line saying which coder codes: "solace2015-transcripts (rules and ...)" or "rules (...)"."""
    if coder is None:
        return f"{RULES} (the codebook's patterns alone)"
    return f"{coder.name} ({coder.description})"

