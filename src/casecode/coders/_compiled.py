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
from functools import lru_cache
from importlib import resources
from itertools import compress
from typing import Any, Hashable, Iterable

import numpy
from spacy.tokens import Doc
from spacy.vocab import Vocab

from ._columns import Batch, token_columns

# Attributes compared by their string's hash, and boolean flags compared as 0/1.
_STRING_ATTRS = {"ORTH": "ORTH", "TEXT": "ORTH", "LOWER": "LOWER", "LEMMA": "LEMMA", "NORM": "NORM", "SHAPE": "SHAPE"}
_INDEXABLE = {"ORTH", "LOWER", "LEMMA", "NORM"}
_FLAG_ATTRS = {
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER", "LIKE_URL",
    "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT", "IS_CURRENCY",
    "IS_SENT_START", "SENT_START",
}
_INF = 1 << 30
_UNLISTED = 20_000  # the rank given a word missing from the word ranks: rarer than any listed
# A required word at least this frequent (`_frequency`: about one token in a hundred) is in nearly every doc, so a
# pattern's need of it is not looked up before the pattern is tried.
_COMMON = 0.01


@lru_cache(maxsize=1)
def _word_ranks() -> dict[str, int]:
    """Rank (1: most common) of the 3,000 most common English words, from casecode/data/word-ranks-en.txt."""
    text = resources.files("casecode").joinpath("data", "word-ranks-en.txt").read_text(encoding="utf-8")
    words = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {word: rank for rank, word in enumerate(words, 1)}


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
        self._ranks = _word_ranks() if vocab.lang == "en" else {}
        self._attrs: list[str] = []  # columns read from the doc, in order
        self._column: dict[str, int] = {}
        # anchors[attr][hash] -> [(pattern number, shortest prefix, longest prefix)]
        self._anchors: dict[str, dict[int, list[tuple[int, int, int]]]] = {}
        self._anywhere: list[int] = []  # patterns with no anchor: tried at every position
        self._patterns: list[tuple[Hashable, list[tuple[tuple, int, int]]]] = []
        # each pattern: its key, its specs as membership tests (_membership), and the specs after the first
        self._steps: list[tuple[Hashable, tuple, tuple]] = []
        self._required: list[list[tuple[int, frozenset]]] = []
        # phrases[attr][indexed word's hash] -> [(key, hashes, the indexed word's position)]
        self._phrases: dict[str, dict[int, list[tuple[Hashable, list[int]]]]] = {}
        self._built: tuple | None = None  # the tables `_tables` builds from the above, until a pattern is added

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

    def _frequency(self, word: str, attr: str) -> float:
        """How often a token holds `word` (as `attr`), roughly: Zipf's law on the word's rank among common English
        words; else a stop word or a short one counts as common. A lemma stands for all its forms, so counts
        twice. The index is keyed by the least frequent words, so that few positions are tried."""
        low = word.lower()
        rank = self._ranks.get(low) or (100 if low in self._stop or len(low) < 3 else _UNLISTED)
        return (2.0 if attr == "LEMMA" else 1.0) / rank

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
        self._built = None
        self._patterns.append((key, specs))
        steps = tuple((_membership(pred), lo, hi) for pred, lo, hi in specs)
        self._steps.append((key, steps, steps[1:]))  # the steps after the first, for a first word tested apart
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
        # the anchor's own requirement holds wherever the pattern is tried: not checked again; nor is one that
        # a common word meets ("the", "we", ","), which nearly every doc holds: looking it up in every doc costs
        # more than trying the pattern where it is lacking (the steps test every word anyway)
        self._required[number] = [(c, v) for c, v in self._required[number]
                                  if not (self._attrs[c] == attr and v == values) and not self._common(c, v)]
        by_value = self._anchors.setdefault(attr, {})
        for h in values:
            by_value.setdefault(h, []).append((number, lo, hi))
        return True

    def _anchor(self, specs: list) -> tuple[str, frozenset, int, int] | None:
        """The best required token to index by: the one whose values are least frequent (`_frequency`), times the
        starts to try back from it, with a bounded number of tokens before it."""
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
                    # positions holding one of the values, times the starts tried back from each
                    frequency = sum(self._frequency(self.vocab.strings[h], attr) for h in values)
                    cost = frequency * (1 + hi - lo)
                    if best_cost is None or cost < best_cost:
                        best, best_cost = (attr, values, lo, hi), cost
            lo += q_lo
            hi = hi + q_hi if hi < _INF and q_hi < _INF else _INF
            if hi >= _INF:
                break  # an unbounded run before any later token: starts cannot be counted back
        return best

    def _common(self, col: int, values: frozenset) -> bool:
        """Whether one of `values` (hashes of column `col`'s attribute) is a common word (`_COMMON`)."""
        attr = self._attrs[col]
        return any(self._frequency(self.vocab.strings[h], attr) >= _COMMON for h in values)

    def add_phrase(self, key: Hashable, attr: str, values: list[str]) -> None:
        """A phrase pattern: the doc's `attr` values must equal `values` in sequence (PhraseMatcher semantics)."""
        if not values:
            return
        attr = _STRING_ATTRS.get(attr.upper(), attr.upper())
        self._built = None
        self._col(attr)
        hashes = [self._hash(v) for v in values]
        # indexed by its least frequent word, as token patterns are by anchor
        at = min(range(len(values)), key=lambda i: (self._frequency(values[i], attr), i))
        self._phrases.setdefault(attr, {}).setdefault(hashes[at], []).append((key, hashes, at))

    # --- matching ---

    def _tables(self) -> tuple:
        """The lookup tables matching uses, rebuilt after patterns are added: phrases by indexed word and by
        (offset of that word, length), and for each required-word set a bit, so a doc's words give one mask and a
        pattern needing a word the doc lacks is skipped with one AND."""
        if self._built is not None:
            return self._built
        phrases: dict[str, dict[int, tuple[list, list[tuple[int, int, dict[tuple, list]]]]]] = {}
        for attr, by_value in self._phrases.items():
            table = phrases[attr] = {}
            for value, entries in by_value.items():
                groups: dict[tuple[int, int], dict[tuple, list]] = {}
                for key, hashes, at in entries:
                    keys = groups.setdefault((at, len(hashes)), {}).setdefault(tuple(hashes), [])
                    if key not in keys:
                        keys.append(key)
                # one-word phrases match wherever their word stands: their keys apart, no slice to compare
                single = groups.pop((0, 1), {}).get((value,), [])
                table[value] = (single, [(at, size_, words) for (at, size_), words in groups.items()])
        bits: dict[tuple[int, frozenset], int] = {}
        needs = []
        for requirements in self._required:
            need = 0
            for requirement in requirements:
                need |= bits.setdefault(requirement, 1 << len(bits))
            needs.append(need)
        value_bits: dict[int, dict[int, int]] = {}  # column -> value -> bits of the requirements it meets
        for (col, values), bit in bits.items():
            by_value = value_bits.setdefault(col, {})
            for value in values:
                by_value[value] = by_value.get(value, 0) | bit
        # each anchored pattern as the matching loop reads it: (need, fewest and most tokens before the anchor, key,
        # the first step's one test (column, values, wanted) or None, the steps after the first as `_ends` reads
        # them (`_plan`), the first step, all the steps as `_ends` reads them)
        tries = []
        for key, steps, rest in self._steps:
            first, first_lo, first_hi = steps[0]
            simple = first_lo == first_hi == 1 and len(first) == 1 and first[0][0] is not None
            tries.append((key, *(first[0] if simple else (None, None, None)), _plan(rest), steps[0], _plan(steps)))
        anchors = {attr: {value: [(needs[number], lo, hi, *tries[number]) for number, lo, hi in entries]
                          for value, entries in by_value.items()} for attr, by_value in self._anchors.items()}
        # each table's values as a sorted array, to find the positions holding one in a batch's column at once
        sorted_values = {id(table): numpy.array(sorted(table), dtype=numpy.uint64)
                         for table in [*phrases.values(), *value_bits.values(), *anchors.values()]}
        anywhere = [(self._steps[number][0], _plan(self._steps[number][1])) for number in self._anywhere]
        self._built = (phrases, value_bits, anchors, needs, sorted_values, anywhere)
        return self._built

    def __call__(self, doc: Doc) -> set[tuple[Hashable, int, int]]:
        if not len(doc) or not self._attrs:
            return set()
        return self.match_batch(None, doc)[0]

    def match_batch(self, batch: Batch | None, doc: Doc | None = None) -> list[set[tuple[Hashable, int, int]]]:
        """Every `(key, start, end)` of each doc of `batch` (a `_columns.Batch`), or of `doc` alone, looked up
        for all its docs at once: one pass over the batch's words per looked-up column, then only the positions
        holding an indexed word."""
        if batch is None:
            columns = token_columns(doc)
            total, column = columns.n, columns.column
            starts, ends = [0], [total]
            found = [set()]
            doc_at = first_at = [0] * total  # one doc: every position is doc 0's, from 0 to total
            end_at = [total] * total
        else:
            total, column = batch.n, batch.values
            starts, ends = batch.starts, batch.ends
            found = [set() for _ in batch.docs]
            doc_at, first_at, end_at = batch.by_token()
        if not total or not self._attrs:
            return found
        phrases, value_bits, anchors, needs, sorted_values, anywhere = self._tables()
        attrs = self._attrs
        rows = _Rows(column, attrs)

        def holding(attr: str, table: dict) -> Iterable[int]:
            """The positions whose `attr` is one of `table`'s keys, in order."""
            if batch is not None:  # one vectorised lookup of the batch's column
                return batch.positions(attr, sorted_values[id(table)])
            return compress(range(total), map(table.__contains__, rows[self._column[attr]]))
        # phrases: each position holding an indexed word, then one slice and dict lookup per (offset, length)
        for attr, table in phrases.items():
            values = rows[self._column[attr]]
            for p in holding(attr, table):
                d, lo, hi = doc_at[p], first_at[p], end_at[p]
                single, longer = table[values[p]]
                for key in single:
                    found[d].add((key, p - lo, p - lo + 1))
                for at, size, words in longer:
                    start = p - at
                    if start >= lo and start + size <= hi:
                        keys = words.get(tuple(values[start:start + size]))
                        if keys:
                            for key in keys:
                                found[d].add((key, start - lo, start - lo + size))
        # each doc's requirements (sets of words a pattern needs somewhere in the doc) it meets, as bits, from one
        # pass over the batch per column: only the positions holding a required (rare, see `_COMMON`) word
        held = [0] * len(found)
        for col, by_value in value_bits.items():
            row = rows[col]
            for p in holding(attrs[col], by_value):
                held[doc_at[p]] |= by_value[row[p]]
        for attr, table in anchors.items():
            values = rows[self._column[attr]]
            for p in holding(attr, table):
                d, lo, hi = doc_at[p], first_at[p], end_at[p]
                missing = ~held[d]
                for need, before_lo, before_hi, key, col, wanted_values, wanted, rest, first, steps in table[values[p]]:
                    if need & missing:
                        continue
                    if col is not None:
                        if not before_hi:  # the first word is the anchor, which p holds: no test, one start
                            for end in _ends(rest, p + 1, rows, hi):
                                found[d].add((key, p - lo, end - lo))
                            continue
                        # most patterns: one test of one first word; the rest of the steps go on after it
                        row = rows[col]
                        for start in range(max(lo, p - before_hi), p - before_lo + 1):
                            if (row[start] in wanted_values) is wanted:
                                for end in _ends(rest, start + 1, rows, hi):
                                    found[d].add((key, start - lo, end - lo))
                        continue
                    first_checks, first_lo, _ = first
                    starts_ok = [start for start in range(max(lo, p - before_hi), p - before_lo + 1)
                                 if not first_lo or _holds(first_checks, rows, start)]
                    for start in starts_ok:
                        for end in _ends(steps, start, rows, hi):
                            if end > start:
                                found[d].add((key, start - lo, end - lo))
        for key, steps in anywhere:
            for d, (lo, hi) in enumerate(zip(starts, ends)):
                for start in range(lo, hi):
                    for end in _ends(steps, start, rows, hi):
                        if end > start:
                            found[d].add((key, start - lo, end - lo))
        return found


class _Rows(dict):
    """Column number -> the values of that attribute (a doc's or a batch's), read on first use."""

    def __init__(self, column, attrs: list[str]):
        super().__init__()
        self.read, self.attrs = column, attrs

    def __missing__(self, col: int) -> list[int]:
        row = self[col] = self.read(self.attrs[col])
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


# The kinds of step `_ends` takes (`_plan`): one token with one test, one token with several (or a negated
# token), a run of tokens, and a free gap followed by one token with one test (a `{0,4}` wildcard and the word after).
_TOKEN, _TOKEN_CHECKS, _RUN, _GAP_TOKEN = range(4)


def _plan(steps: tuple) -> tuple:
    """A pattern's steps (`_membership` tests, min, max) as `_ends` takes them: each a tuple of its kind and its
    tests, a wildcard gap and the one-test token after it as one step (the gap's positions are only the token's)."""
    plan = []
    for checks, lo, hi in steps:
        one = len(checks) == 1 and checks[0][0] is not None
        if lo == hi == 1 and one and plan and plan[-1][0] == _RUN and not plan[-1][1]:
            _, _, gap_lo, gap_hi = plan.pop()
            plan.append((_GAP_TOKEN, gap_lo, gap_hi, *checks[0]))
        elif lo == hi == 1:
            plan.append((_TOKEN, *checks[0]) if one else (_TOKEN_CHECKS, checks))
        else:
            plan.append((_RUN, checks, lo, hi))
    return tuple(plan)


def _ends(plan: tuple, start: int, rows, n: int) -> list[int]:
    """Every position where a pattern's steps (its `_plan`) can stop matching when started at `start`: the positions
    each step can reach, step by step (a wildcard's run is position arithmetic, a token's run is counted)."""
    positions = [start]
    for step in plan:
        kind = step[0]
        if kind == _TOKEN:  # one token (most steps): each position moves on by one if its token passes
            _, col, values, wanted = step
            row = rows[col]
            positions = [p + 1 for p in positions if p < n and (row[p] in values) is wanted]
        elif kind == _GAP_TOKEN:  # a gap of lo to hi tokens, then a token that passes: the positions just after it
            _, lo, hi, col, values, wanted = step
            row = rows[col]
            if len(positions) == 1:
                p = positions[0]
                positions = [q + 1 for q in range(p + lo, min(p + hi, n - 1) + 1) if (row[q] in values) is wanted]
            else:
                positions = list({q + 1 for p in positions for q in range(p + lo, min(p + hi, n - 1) + 1)
                                  if (row[q] in values) is wanted})
        elif kind == _TOKEN_CHECKS:
            checks = step[1]
            positions = [p + 1 for p in positions if p < n and _holds(checks, rows, p)]
        else:
            _, checks, lo, hi = step
            reached: set[int] = set()
            for pos in positions:
                limit = n - pos if hi > n - pos else hi
                if not checks:
                    run = limit
                elif len(checks) == 1 and checks[0][0] is not None:  # one test (most runs): as _holds, inline
                    col, values, wanted = checks[0]
                    row = rows[col]
                    run = 0
                    while run < limit and (row[pos + run] in values) is wanted:
                        run += 1
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
