"""Names and small helpers several rooms agree on, kept where importing them loads nothing heavy (no spaCy, no scikit-learn):
the store imports these without importing the coders."""

import gc
import re
from contextlib import contextmanager
from typing import Iterator, NamedTuple

#: Columns of a codings DataFrame, in order. Offsets are into the document text (not the segment).
CODING_COLUMNS = [
    "segment_id",
    "document_id",
    "code",
    "start",
    "end",
    "evidence",  # the matched text, document[start:end]
    "rule",  # what fired, in words: a pattern id and its scope notes, "model p=...", or both
    "pattern",  # the id of the codebook pattern that matched ("" when no pattern did: a model, a person)
    "score",  # 0..1
    "coder",  # "rules", "model", "combined", "reference", or a person's name
]

#: The spaCy pipeline a project codes with unless told otherwise: blank English with the lookup lemmatizer.
DEFAULT_PIPELINE = "blank:en"


def whole_number(value) -> int | None:
    """An id or unit given as a number or as text ("12", 12.0, 12); None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def cell_text(value) -> str:
    """A table cell as text: "" for a missing value (None, NaN, pandas' NA or NaT), else `str(value)`."""
    if value is None:
        return ""
    try:
        missing = bool(value != value)  # only NaN and NaT differ from themselves
    except TypeError:  # pandas' NA answers NA, which has no truth value
        missing = True
    return "" if missing else str(value)


class RuleParts(NamedTuple):
    """A coding's `rule` text taken apart (see `rule_parts`)."""

    pattern: str  # the codebook pattern that matched: the coding's own `pattern` column ("" for none)
    notes: list[str]  # the scope checks' notes on that match ("hedged: 'a bit'", "question")
    model: bool  # the learned model had a say
    p: float | None  # the model's probability, when it gave one
    terms: list[str]  # the model's top terms
    text: str  # what is left when the rule is no pattern and no model: "add", "recode:12", a reference rationale


_MODEL_PART = re.compile(r"(?:^|\s*\+\s*)(model(?: p=(?P<p>[0-9.]+))?(?: \(top terms: (?P<terms>.*)\))?)$")


def rule_parts(rule, pattern: str = "") -> RuleParts:
    """The one reading of a coding's `rule` text, for the views that explain a coding. The pattern id comes from
    the coding's `pattern` column, never from the text: the text only adds the scope notes written after it
    ("<pattern> (<notes>)", "rule:<pattern> (<notes>) + model p=0.74") and what the model said ("model p=0.93
    (top terms: fund, budget)")."""
    rule, pattern = cell_text(rule).strip(), cell_text(pattern).strip()
    model = _MODEL_PART.search(rule)
    p = terms = None
    if model:
        p = float(model.group("p")) if model.group("p") else None
        terms = [t.strip() for t in (model.group("terms") or "").split(",") if t.strip()]
        rule = rule[:model.start()].strip()
    notes: list[str] = []
    text = rule
    if pattern:
        matched = rule.removeprefix("rule:")
        if matched.startswith(pattern):
            said = matched[len(pattern):].strip()
            if said.startswith("(") and said.endswith(")"):
                said = said[1:-1]
            notes = [n.strip() for n in said.split("; ") if n.strip()]
            text = ""
    return RuleParts(pattern, notes, model is not None, p, terms or [], text)


def lazy_exports(package: str, exports: dict[str, str]):
    """`__getattr__` and `__dir__` for a package that exports `exports` (name -> its submodule, ".module") and
    imports a submodule only when one of its names is first asked for, so a command that needs one room does not
    load every library the others use (matplotlib, python-docx, openpyxl)."""
    import importlib

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(importlib.import_module(package))) | set(exports))

    return __getattr__, __dir__


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while a table is read into many objects that all stay alive (a workbook's
    cells, a store's rows): each full collection would walk the whole heap again as it grows, which made reading
    grow faster than the table (17 full passes for 25,000 workbook rows against 2 for 2,500). Reference counting
    still frees what is dropped; the collector runs again afterwards, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
