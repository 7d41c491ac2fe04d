"""A compiled matcher for codebook patterns: the same matches as spaCy's Matcher and PhraseMatcher, at a cost that
does not grow with the number of patterns.

spaCy's Matcher steps every pattern through every token, so 900 patterns with `{0,4}` gaps cost far more than the
pipeline itself. Here each pattern is indexed by one required token (its *anchor*: a token that must match a LEMMA,
LOWER, ORTH or NORM value), the doc's attribute columns are read once (`_columns.token_columns`, shared with
the scope checks), a set intersection gives the anchor values the doc holds, patterns needing a word the doc lacks anywhere are dropped for the whole doc,
and only the patterns anchored at a position are tried there, from the few starts the tokens before the anchor
allow (position arithmetic: a `{0,4}` gap before the anchor gives five starts). A gap is a count range, not a
state per token. Phrase patterns (matched on one attribute, as PhraseMatcher does) are indexed by
their least common word and compared as slices.

The contract is the pattern's, not the codebook's: `add_tokens(key, pattern)` takes a spaCy token pattern and
returns False for what it does not compile (REGEX, comparisons, extensions...), which the caller then gives to a
spaCy Matcher; `__call__(doc)` returns every `(key, start, end)` the spaCy matchers would, as a set.
"""

from __future__ import annotations

import re
from itertools import compress
from typing import Any, Hashable, Iterable

from spacy.tokens import Doc
from spacy.vocab import Vocab

from ._columns import token_columns

# Attributes compared by their string's hash, and boolean flags compared as 0/1.
_STRING_ATTRS = {"ORTH": "ORTH", "TEXT": "ORTH", "LOWER": "LOWER", "LEMMA": "LEMMA", "NORM": "NORM", "SHAPE": "SHAPE"}
_INDEXABLE = {"ORTH", "LOWER", "LEMMA", "NORM"}
_FLAG_ATTRS = {
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER", "LIKE_URL",
    "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT", "IS_CURRENCY",
    "IS_SENT_START", "SENT_START",
}
_INF = 1 << 30


def _quantifier(op: Any) -> tuple[int, int] | None:
    """(min, max) repeats of a token for a spaCy OP, or None for one this matcher does not compile."""
    if op is None:
        return 1, 1
    if op == "?":
        return 0, 1
    if op == "*":
        return 0, _INF
    if op == "+":
        return 1, _INF
    found = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", str(op))
    if not found:
        return None
    lo, comma, hi = found.groups()
    if not comma:
        return (int(lo), int(lo)) if lo else None
    return int(lo or 0), int(hi) if hi else _INF


class CompiledMatcher:
    """Token and phrase patterns, indexed by an anchor value; `__call__(doc)` gives the set of `(key, start, end)`."""

    def __init__(self, vocab: Vocab, stop_words: Iterable[str] = ()):
        self.vocab = vocab
        self._stop = {w.lower() for w in stop_words}
        self._attrs: list[str] = []  # columns read from the doc, in order
        self._column: dict[str, int] = {}
        # anchors[attr][hash] -> [(pattern number, shortest prefix, longest prefix)]
        self._anchors: dict[str, dict[int, list[tuple[int, int, int]]]] = {}
        self._anywhere: list[int] = []  # patterns with no anchor: tried at every position
        self._patterns: list[tuple[Hashable, list[tuple[tuple, int, int]]]] = []
        self._steps: list[tuple[Hashable, tuple]] = []  # each pattern's specs as membership tests (_membership)
        self._required: list[list[tuple[int, frozenset]]] = []
        # phrases[attr][indexed word's hash] -> [(key, hashes, the indexed word's position)]
        self._phrases: dict[str, dict[int, list[tuple[Hashable, list[int]]]]] = {}

    def __len__(self) -> int:
        return len(self._patterns) + sum(len(v) for by in self._phrases.values() for v in by.values())

    # --- compiling ---

    def _col(self, attr: str) -> int:
        if attr not in self._column:
            self._column[attr] = len(self._attrs)
            self._attrs.append(attr)
        return self._column[attr]

    def _hash(self, value: str) -> int:
        return self.vocab.strings.add(value)

    def _predicate(self, token: dict) -> tuple | None:
        """A token dict as a tuple of checks `(column, kind, value)`; None when it cannot be compiled."""
        checks = []
        for key, value in token.items():
            if key == "OP":
                continue
            key = str(key).upper()
            if key in _STRING_ATTRS:
                col = self._col(_STRING_ATTRS[key])
                if isinstance(value, str):
                    checks.append((col, "eq", self._hash(value)))
                elif isinstance(value, dict) and set(value) <= {"IN", "NOT_IN"} and len(value) == 1:
                    (kind, values), = value.items()
                    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
                        return None
                    checks.append((col, kind.lower(), frozenset(self._hash(v) for v in values)))
                else:
                    return None
            elif key in _FLAG_ATTRS:
                if not isinstance(value, bool):
                    return None
                col = self._col("SENT_START" if key in ("IS_SENT_START", "SENT_START") else key)
                checks.append((col, "flag", value))
            else:
                return None
        return tuple(checks)

    def add_tokens(self, key: Hashable, pattern: list[dict]) -> bool:
        """Compile a spaCy token pattern under `key`; False (and nothing added) if it uses what this does not
        compile, so the caller can give it to spaCy's Matcher instead."""
        specs = []
        for token in pattern:
            if not isinstance(token, dict):
                return False
            quant = _quantifier(token.get("OP"))
            if token.get("OP") == "!":
                pred = self._predicate(token)
                if pred is None:
                    return False
                specs.append(((("not", pred),), 1, 1))
                continue
            pred = self._predicate(token)
            if quant is None or pred is None:
                return False
            specs.append((pred, *quant))
        if not specs or all(lo == 0 for _, lo, _ in specs):
            return False  # an all-optional pattern: leave its edge cases to spaCy
        number = len(self._patterns)
        self._patterns.append((key, specs))
        self._steps.append((key, tuple((_membership(pred), lo, hi) for pred, lo, hi in specs)))
        # what a doc must hold somewhere for this pattern to match: checked once per doc before any start is tried
        self._required.append([(check[0], frozenset([check[2]]) if check[1] == "eq" else check[2])
                               for pred, lo, _ in specs if lo >= 1 for check in pred
                               if check[0] != "not" and check[1] in ("eq", "in")
                               and self._attrs[check[0]] in _INDEXABLE])
        anchor = self._anchor(specs)
        if anchor is None:
            self._anywhere.append(number)
            return True
        attr, values, lo, hi = anchor
        # the anchor's own requirement holds wherever the pattern is tried: not checked again
        self._required[number] = [(c, v) for c, v in self._required[number]
                                  if not (self._attrs[c] == attr and v == values)]
        by_value = self._anchors.setdefault(attr, {})
        for h in values:
            by_value.setdefault(h, []).append((number, lo, hi))
        return True

    def _anchor(self, specs: list) -> tuple[str, frozenset, int, int] | None:
        """The best required token to index by: the one whose values are fewest and least common (stop words
        cost most), with a bounded number of tokens before it."""
        best, best_cost = None, None
        lo = hi = 0
        for pred, q_lo, q_hi in specs:
            if q_lo >= 1:
                for check in pred:
                    if check[0] == "not" or check[1] not in ("eq", "in"):
                        continue
                    attr = self._attrs[check[0]]
                    if attr not in _INDEXABLE:
                        continue
                    values = frozenset([check[2]]) if check[1] == "eq" else check[2]
                    words = [self.vocab.strings[h] for h in values]
                    # each start to try back from the anchor costs about as much as another value to index
                    width = hi - lo if hi < _INF else _INF
                    cost = 1000 * sum(w.lower() in self._stop or len(w) < 3 for w in words) + len(values) + 4 * width
                    if best_cost is None or cost < best_cost:
                        best, best_cost = (attr, values, lo, hi), cost
            lo += q_lo
            hi = hi + q_hi if hi < _INF and q_hi < _INF else _INF
            if hi >= _INF:
                break  # an unbounded run before any later token: starts cannot be counted back
        return best

    def add_phrase(self, key: Hashable, attr: str, values: list[str]) -> None:
        """A phrase pattern: the doc's `attr` values must equal `values` in sequence (PhraseMatcher semantics)."""
        if not values:
            return
        attr = _STRING_ATTRS.get(attr.upper(), attr.upper())
        self._col(attr)
        hashes = [self._hash(v) for v in values]
        # indexed by its least common word (not a stop word, not punctuation), as token patterns are by anchor
        at = min(range(len(values)), key=lambda i: (values[i].lower() in self._stop or len(values[i]) < 3, i))
        self._phrases.setdefault(attr, {}).setdefault(hashes[at], []).append((key, hashes, at))

    # --- matching ---

    def __call__(self, doc: Doc) -> set[tuple[Hashable, int, int]]:
        n = len(doc)
        found: set[tuple[Hashable, int, int]] = set()
        if not n or not self._attrs:
            return found
        # the doc's columns (read once per doc for every matcher and the scope checks), and the values each column
        # that is looked up (an anchor, a phrase, a required word) holds somewhere in the doc
        columns = token_columns(doc)
        rows = _Rows(columns, self._attrs)  # a column no anchor needs (SHAPE...) is read when a pattern tests it
        present = [columns.present(attr) if attr in _INDEXABLE else None for attr in self._attrs]
        column = self._column
        for attr, by_value in self._phrases.items():
            values = rows[column[attr]]
            held = by_value.keys() & (present[column[attr]] or set(values))
            if not held:
                continue
            for p in compress(range(n), map(held.__contains__, values)):  # the positions of indexed words
                for key, hashes, at in by_value[values[p]]:
                    start = p - at
                    if start >= 0 and values[start:start + len(hashes)] == hashes:
                        found.add((key, start, start + len(hashes)))
        possible: dict[int, bool] = {}
        required = self._required
        steps_of = self._steps
        for attr, by_value in self._anchors.items():
            col = column[attr]
            anchors = by_value.keys() & present[col]
            if not anchors:
                continue
            # the patterns anchored on each value the doc holds, less those needing a value the doc lacks
            live: dict[int, list[tuple[int, int, int]]] = {}
            for value in anchors:
                tries = []
                for entry in by_value[value]:
                    number = entry[0]
                    ok = possible.get(number)
                    if ok is None:
                        ok = True
                        for c, values in required[number]:
                            if values.isdisjoint(present[c]):
                                ok = False
                                break
                        possible[number] = ok
                    if ok:
                        tries.append(entry)
                if tries:
                    live[value] = tries
            if not live:
                continue
            values = rows[col]
            for p in compress(range(n), map(live.__contains__, values)):
                for number, lo, hi in live[values[p]]:
                    key, steps = steps_of[number]
                    first, first_lo, _ = steps[0]
                    for start in range(max(0, p - hi), p - lo + 1):
                        if first_lo and not _holds(first, rows, start):
                            continue
                        for end in _ends(steps, start, rows, n):
                            if end > start:
                                found.add((key, start, end))
        for number in self._anywhere:
            key, steps = steps_of[number]
            for start in range(n):
                for end in _ends(steps, start, rows, n):
                    if end > start:
                        found.add((key, start, end))
        return found


class _Rows(dict):
    """Column number -> the doc's values of that attribute, read from the doc's `Columns` on first use."""

    def __init__(self, columns, attrs: list[str]):
        super().__init__()
        self.columns, self.attrs = columns, attrs

    def __missing__(self, col: int) -> list[int]:
        row = self[col] = self.columns.column(self.attrs[col])
        return row


def _membership(pred: tuple) -> tuple:
    """A predicate's checks as `(column, values, wanted)`: the token's value must be in `values` (wanted True) or
    not (False); a negated token (OP "!") as `(None, inner checks, False)`: not all of them may hold."""
    out = []
    for check in pred:
        if check[0] == "not":
            out.append((None, _membership(check[1]), False))
            continue
        col, kind, value = check
        if kind == "eq":
            out.append((col, frozenset([value]), True))
        elif kind == "in":
            out.append((col, value, True))
        elif kind == "not_in":
            out.append((col, value, False))
        else:  # a flag: the column holds 1 when the flag is set
            out.append((col, _ONE, bool(value)))
    return tuple(out)


_ONE = frozenset([1])


def _holds(checks: tuple, rows, i: int) -> bool:
    for col, values, wanted in checks:
        if col is None:
            if _holds(values, rows, i):
                return False
        elif (rows[col][i] in values) is not wanted:
            return False
    return True


def _ends(steps: tuple, start: int, rows, n: int) -> list[int]:
    """Every position where a pattern's steps can stop matching when started at `start`: the positions each step
    can reach, step by step (a wildcard's run is position arithmetic, a token's run is counted)."""
    positions = [start]
    for checks, lo, hi in steps:
        if lo == 1 and hi == 1:  # one token (most steps): each position moves on by one if its token passes
            if len(checks) == 1 and checks[0][0] is not None:
                col, values, wanted = checks[0]
                row = rows[col]
                positions = [p + 1 for p in positions if p < n and (row[p] in values) is wanted]
            else:
                positions = [p + 1 for p in positions if p < n and _holds(checks, rows, p)]
        else:
            reached: set[int] = set()
            for pos in positions:
                limit = n - pos if hi > n - pos else hi
                if not checks:
                    run = limit
                else:
                    run = 0
                    while run < limit and _holds(checks, rows, pos + run):
                        run += 1
                if run >= lo:
                    reached.update(range(pos + lo, pos + run + 1))
            positions = list(reached)
        if not positions:
            break
    return positions
