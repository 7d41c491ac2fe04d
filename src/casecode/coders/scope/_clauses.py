"""What every scope check shares: the lexicon, word lookups, the clause splitter, and the Scope verdict.

A lexical clause is a stretch of a sentence between punctuation and clause-opening conjunctions (the lexicon's
`clauses` lists). The rule coder's checks and the learned coder's scope marks split sentences with the same
`clauses` function.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import compress
from types import BuiltinMethodType
from typing import Callable, Iterable, NamedTuple

import numpy
from spacy.tokens import Doc, Span, Token

from .._columns import batch_columns, token_columns
from ._lexicon import load_lexicon

LEXICON = load_lexicon()
_CLAUSE_PUNCT = LEXICON.clauses.punctuation
_CLAUSE_OPENERS = LEXICON.clauses.openers
# "and", "or", "so", "then" open a clause only before a new subject: "staff and partners" is one clause,
# "we cut budgets and we stopped training" is two.
_SOFT_OPENERS = LEXICON.clauses.soft_openers
_SUBJECTS = LEXICON.clauses.subjects
_OPENING = frozenset(_CLAUSE_PUNCT) | frozenset(_CLAUSE_OPENERS) | frozenset(_SOFT_OPENERS) | {"-"}
FIRST_PERSON = LEXICON.people.first_person
_OURS = LEXICON.people.ours


@dataclass(frozen=True)
class Mention:
    """A council or organisation named in the text (token offsets); `other` is True for anyone but the segment's
    own case."""

    start: int
    end: int
    text: str
    other: bool = True


@dataclass
class Scope:
    """The verdict on one match: reasons it does not count, remarks that keep it, and a score factor."""

    suppressed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    factor: float = 1.0

    @property
    def counts(self) -> bool:
        return not self.suppressed

    def why(self) -> str:
        return "; ".join(self.suppressed + self.notes)


HEDGE_FACTOR = 0.7
QUESTION_FACTOR = 0.6


def _opens_clause(token: Token) -> bool:
    return _opens_at(_info(token.doc), token.i)


def _opens_at(info: "_Info", i: int) -> bool:
    """Whether token `i` opens a lexical clause (punctuation, a clause-opening conjunction, a spaced dash)."""
    low = info.lower[i]
    if low in _CLAUSE_PUNCT or info.punct[i] and any(ch in ",;:()" for ch in low):  # "):" after a speaker label
        return True
    if low == "-":  # a spaced dash ("we tried - and failed"), not the hyphen inside "co-design"
        return i > 0 and info.space_after[i - 1]
    if low in _CLAUSE_OPENERS:
        return True
    if low in _SOFT_OPENERS and i + 1 < info.n:
        return info.lower[i + 1] in _SUBJECTS
    return False


def _clause_bounds(doc: Doc, start: int, end: int) -> list[int]:
    """Token offsets where the clauses of the sentence doc[start:end] begin, then `end` (cached per doc)."""
    info = _info(doc)
    bounds = info.clauses.get((start, end))
    if bounds is None:
        # only the words that can open a clause are asked about (`_may_open`), found once per doc or batch
        bounds = info.clauses[start, end] = [
            start, *(i for i in within(info, _may_open_at, start + 1, end) if _opens_at(info, i)), end]
    return bounds


def _may_open(low: str) -> bool:
    """Whether a word with this lower-case form can open a clause at all (`_opens_at` is False for any other):
    a clause punctuation mark, opener or soft opener, a dash, or a word holding one of ",;:()"."""
    return low in _OPENING or any(ch in ",;:()" for ch in low)


def clauses(sent: Span) -> list[Span]:
    """Split a sentence into lexical clauses at punctuation and clause-opening conjunctions."""
    doc = sent.doc
    bounds = _clause_bounds(doc, sent.start, sent.end)
    return [doc[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


class Bounds(NamedTuple):
    start: int
    end: int


def sentence(span: Span) -> Bounds | Span:
    """The `start` and `end` of `span.sent`, the sentence holding the start of `span`, found among the doc's
    sentence starts read once (spaCy's `Span.sent` looks over every token of the doc for a parse each time it is
    asked, and a Span makes Tokens)."""
    doc = span.doc
    if "sent" in doc.user_span_hooks or "sents" in doc.user_hooks:
        return span.sent
    last = _LAST_SENTENCE
    if last[1] == span.start and last[0]() is doc:  # every check of a match asks for its sentence
        return last[2]
    bounds = Bounds(*sentence_bounds(doc, span.start))
    last[0], last[1], last[2] = weakref.ref(doc), span.start, bounds
    return bounds


def _dead() -> None:
    return None


# The doc (a weak reference: a doc the caller dropped is not kept alive here) and token `sentence` was last asked
# about, and the answer.
_LAST_SENTENCE: list = [_dead, -1, None]


def sentence_bounds(doc: Doc, i: int) -> tuple[int, int]:
    """(start, end) of `doc[i].sent`, the sentence holding token `i`, from the doc's sentence starts."""
    if "sent" in doc.user_token_hooks or "sent" in doc.user_span_hooks or "sents" in doc.user_hooks:
        sent = doc[i].sent
        return sent.start, sent.end
    info = _info(doc)
    starts = info.sentence_starts
    if starts is None:
        read = token_columns(doc)
        batch = read.batch
        if batch is not None:  # the batch's starts, found once for all its docs, sliced
            whole = batch.shared.get(_STARTS)
            if whole is None:
                whole = batch.shared[_STARTS] = batch.starts_of("SENT_START", 1)
            lo = read.lo
            starts = [0, *(p - lo for p in whole[bisect_right(whole, lo):bisect_left(whole, lo + info.n)])]
            if len(starts) == 1 and not info.parsed and info.n > 1 and not any(read.column("SENT_START")[1:]):
                doc[i:i + 1].sent  # no sentence starts: spaCy's own error
        else:
            column = read.column("SENT_START")
            if not info.parsed and info.n > 1 and not any(column[1:]):  # as Doc.has_annotation("SENT_START")
                doc[i:i + 1].sent  # no sentence starts: spaCy's own error
            starts = sentence_starts(column)
        info.sentence_starts = starts
    k = bisect_right(starts, i)  # at least 1: starts[0] is 0
    return starts[k - 1], (starts[k] if k < len(starts) else info.n)


_STARTS = "sentence starts"  # a Batch.shared key: the positions whose SENT_START is 1


def sentence_starts(column: list[int]) -> list[int]:
    """Where a doc's sentences start, read as spaCy reads them from its SENT_START column (`column`): at 0 and at
    every later token holding 1 (a first token's own value does not count). Shared by `sentence_bounds` and the
    learned coder's marks (`_marks._sentence_ranges`), which each keep their own handling of hooks and of a doc
    with no sentence starts."""
    return [0, *compress(range(1, len(column)), map((1).__eq__, column[1:]))]


def clause_of(span: Span) -> Span:
    """The clause holding the start of `span`, stretched to the end of `span` if the match crosses a boundary."""
    sent = sentence(span)
    bounds = _clause_bounds(span.doc, sent.start, sent.end)
    for a, b in zip(bounds, bounds[1:]):
        if a <= span.start < b:
            return span.doc[a:max(b, span.end)]
    return span.doc[sent.start:sent.end]


class _Info:
    """A doc's words as plain lists, read once (the checks run on every match of every doc and would otherwise
    build a Token per word per check), and what the checks work out from them: clause bounds, phrase hits."""

    __slots__ = ("n", "lower", "lemma", "text", "punct", "alpha", "space_after", "clauses", "hits",
                 "parsed", "titles", "sentence_starts", "where", "batch", "lo", "__weakref__")

    def __init__(self, doc: Doc):
        strings = doc.vocab.strings
        self.n = len(doc)
        self.clauses: dict[tuple[int, int], list[int]] = {}  # (sentence start, end) -> clause bounds
        self.hits: list[tuple[list[int], list[tuple[int, int]]]] = []  # by phrase list number, see _all_hits
        self.titles: frozenset[int] | None = None  # see _titles.title_tokens
        self.sentence_starts: list[int] | None = None  # see sentence_bounds
        self.where: dict = {}  # see within
        self.batch, self.lo = None, 0  # the batch the words were read from (a weak reference) and the doc's place
        # read as hashes once per doc (shared with the compiled matchers), not Token by Token
        read = token_columns(doc)
        batch = read.batch
        # as doc.has_annotation("DEP") (an empty doc counts as parsed), from the batch's column when in one
        self.parsed = batch.any_set("DEP", read.lo, read.lo + self.n) if batch is not None and self.n else \
            doc.has_annotation("DEP")
        if batch is not None:  # in a batch (the rule coder's): the batch's word lists, read once, sliced
            self.batch, self.lo = weakref.ref(batch), read.lo
            whole = batch.shared.get(_WORD_LISTS)
            if whole is None:
                whole = batch.shared[_WORD_LISTS] = _word_lists(read, strings)
            lo, hi = read.lo, read.lo + self.n
            lower, lemma, text, punct, alpha, space_after = whole
            self.lower, self.lemma, self.text = lower[lo:hi], lemma[lo:hi], text[lo:hi]
            self.punct, self.alpha, self.space_after = punct[lo:hi], alpha[lo:hi], space_after[lo:hi]
            return
        self.lower, self.lemma, self.text, self.punct, self.alpha, self.space_after = _word_lists(read, strings)


def _word_lists(read, strings) -> tuple[list, ...]:
    """(lower, lemma, text, punct, alpha, space_after) of the doc `read` holds the columns of, or of its whole
    batch when it is in one."""
    lows, texts = _strings(strings)

    def low(hashes: list[int]) -> list[str]:  # as _low: curly apostrophes straight
        return list(map(lows.__getitem__, hashes))  # in C; a word not seen before is looked up on the way

    def text(hashes: list[int]) -> list[str]:
        return list(map(texts.__getitem__, hashes))

    # in a batch, its whole columns at once (each a list the compiled matcher reads too)
    column = read.column if read.batch is None else read.batch.column
    distinct = read.batch.words() if read.batch is not None else None
    if distinct is not None:  # a word's lower-case form, text and lemma looked up once per distinct one
        batch = read.batch
        orths, lowers, numbers = distinct
        distinct_lows = low(lowers)
        batch.shared[_DISTINCT_LOWS] = distinct_lows  # for _batch_starts and within
        distinct_texts = batch.shared[_DISTINCT_TEXTS] = text(orths)
        lemmas, lemma_numbers = batch.distinct("LEMMA")
        distinct_lemmas = batch.shared.get(_DISTINCT_LEMMAS)
        if distinct_lemmas is None:
            distinct_lemmas = batch.shared[_DISTINCT_LEMMAS] = text(lemmas.tolist())
        words = [_spread(distinct_lows, numbers), _spread(distinct_lemmas, lemma_numbers),
                 _spread(distinct_texts, numbers)]
    else:
        words = [low(column("LOWER")), text(column("LEMMA")), text(column("ORTH"))]
    return (*words, *(column(attr) for attr in ("IS_PUNCT", "IS_ALPHA", "SPACY")))


def _spread(values: list[str], numbers: numpy.ndarray) -> list[str]:
    """`[values[k] for k in numbers]`, by array (no int made per word)."""
    return numpy.array(values, dtype=object)[numbers.reshape(-1)].tolist() if len(numbers) else []


_WORD_LISTS = "scope word lists"  # a Batch.shared key
_DISTINCT_LOWS = "scope lower-case forms of the distinct words"  # a Batch.shared key: by Batch.words()' number
_DISTINCT_TEXTS = "scope texts of the distinct words"  # a Batch.shared key: by Batch.words()' number


class _Looked(dict):
    """Hash -> string of a StringStore, looked up there when first asked for (`straight`: curly apostrophes made
    straight, as `_low`), so a list of hashes is read in one pass even when it holds a word not seen before."""

    def __init__(self, strings, straight: bool):
        super().__init__({0: ""})
        self.strings, self.straight = strings, straight

    def __missing__(self, h: int) -> str:
        text = self.strings[h]
        if self.straight:
            text = text.replace("’", "'")
        self[h] = text
        return text


def _strings(strings) -> tuple["_Looked", "_Looked"]:
    """The (lower-case form, text) lookups of a StringStore (see _LOWS)."""
    found = _LOWS.get(id(strings))
    if found is None or found[1].strings is not strings:
        found = _LOWS[id(strings)] = (_Looked(strings, True), _Looked(strings, False))
    return found


_INFO: "weakref.WeakKeyDictionary[Doc, _Info]" = weakref.WeakKeyDictionary()


# The last doc asked about (a weak reference) and its _Info: the checks ask many times about one doc.
_LAST: list = [_dead, None]


def _info(doc: Doc) -> _Info:
    if _LAST[0]() is doc:
        return _LAST[1]
    columns = batch_columns(doc)
    if columns is not None:  # a doc of the open batch: kept with the batch (no weak reference to clear up after)
        infos = columns.batch.shared.get(_INFOS)
        if infos is None:
            infos = columns.batch.shared[_INFOS] = {}
        info = infos.get(doc)
        if info is None:
            info = infos[doc] = _Info(doc)
    else:
        info = _INFO.get(doc)
        if info is None:
            info = _INFO[doc] = _Info(doc)
    _LAST[0], _LAST[1] = weakref.ref(doc), info
    return info


_INFOS = "scope word lists by doc"  # a Batch.shared key: each of the batch's docs' _Info


def within(info: _Info, find: Callable[[_Info], list[int]], start: int, end: int) -> list[int]:
    """The sorted positions from `start` up to `end` of the words a check looks for (its cue words, `find(info)`),
    worked out once per doc, so a check visits only those, not every word; a `find` made by `cue` is worked out
    once for the doc's whole batch, by distinct word (no list per doc)."""
    try:
        found = info.where
    except AttributeError:  # an _Info made field by field (the learned coder's parts)
        found = info.where = {}
    got = found.get(find)
    if got is None:
        batch = getattr(info, "batch", None)
        batch = batch() if batch is not None else None
        whole = _batch_cues(batch, find) if batch is not None and hasattr(find, "tests") else None
        got = found[find] = (whole, info.lo) if whole is not None else (find(info), 0)
    positions, lo = got
    start, end = lo + max(start, 0), lo + min(end, info.n)
    chosen = positions[bisect_left(positions, start):bisect_left(positions, end)]
    return [p - lo for p in chosen] if lo and chosen else chosen


def cue(lower: Callable[[str], bool] | None = None, lemma: Callable[[str], bool] | None = None,
        text: Callable[[str], bool] | None = None) -> Callable[[_Info], list[int]]:
    """A `within` finder of one-word cues: the sorted positions whose lower-case form passes `lower`, whose lemma
    passes `lemma` or whose text passes `text` (each a test of one string, or None)."""
    def find(info: _Info) -> list[int]:
        found: set[int] = set()
        for test, words in ((lower, info.lower), (lemma, info.lemma), (text, info.text)):
            if test is not None:
                found.update(compress(range(info.n), map(test, words)))
        return sorted(found)

    # for _batch_cues: a test written in Python is asked once per word (its answers kept), a set's lookup as is
    find.tests = tuple(test if test is None or isinstance(test, BuiltinMethodType) else _Answers(test).__getitem__
                       for test in (lower, lemma, text))
    return find


class _Answers(dict):
    """word -> test(word), worked out when first asked for (at most _ANSWERS words kept)."""

    def __init__(self, test: Callable[[str], bool]):
        super().__init__()
        self.test = test

    def __missing__(self, word: str) -> bool:
        if len(self) >= _ANSWERS:
            self.clear()
        answer = self[word] = bool(self.test(word))
        return answer


_ANSWERS = 100_000


def _batch_cues(batch, find) -> list[int] | None:
    """`find` (made by `cue`) of a whole batch, end to end, each test asked once per distinct word (or lemma): of
    the batch, and of the batches before it (`_answers`); None when the batch's distinct words are not known."""
    key = (_CUES, find)
    positions = batch.shared.get(key)
    if positions is not None:
        return positions
    lows, texts, numbers = batch.shared.get(_DISTINCT_LOWS), batch.shared.get(_DISTINCT_TEXTS), batch.word_numbers()
    if lows is None or texts is None or numbers is None:
        return None
    lower, lemma, text = find.tests
    low_numbers, text_numbers, lemma_numbers = _batch_numbers(batch, lows, texts)
    held = numpy.zeros(len(lows), dtype=bool)  # by distinct word, then by position
    for test, words in ((lower, low_numbers), (text, text_numbers)):
        if test is not None:
            held |= _answers(test)[words]
    held = held[numbers]
    if lemma is not None:
        held |= _answers(lemma)[lemma_numbers][batch.distinct("LEMMA")[1].reshape(-1)]
    positions = batch.shared[key] = numpy.flatnonzero(held).tolist()
    return positions


# Every word (a lower-case form, text or lemma) a batch's cue tests were asked about, numbered as first seen, and
# each test's answers for them (`_answers`), so a word is tested once, not once per batch (at most _WORDS_KEPT kept).
_WORD_NUMBERS: dict[str, int] = {}
_WORD_LIST: list[str] = []
_ANSWERED: dict[Callable, numpy.ndarray] = {}
_WORDS_KEPT = 500_000
_CLEARED = [0]  # how many times they were cleared


def _batch_numbers(batch, lows: list[str], texts: list[str]) -> tuple[numpy.ndarray, ...]:
    """The numbers (`_WORD_NUMBERS`) of the batch's distinct lower-case forms, texts and lemmas, worked out once
    per batch."""
    found = batch.shared.get(_NUMBERS)
    if found is None or found[0] != _CLEARED[0]:  # not worked out yet, or with numbers since cleared
        lemmas = batch.shared.get(_DISTINCT_LEMMAS)
        if lemmas is None:
            lemmas = batch.shared[_DISTINCT_LEMMAS] = list(map(_strings(batch.docs[0].vocab.strings)[1].__getitem__,
                                                               batch.distinct("LEMMA")[0].tolist()))
        if len(_WORD_LIST) + len(lows) + len(texts) + len(lemmas) > _WORDS_KEPT:
            _WORD_NUMBERS.clear()
            _WORD_LIST.clear()
            _ANSWERED.clear()
            _CLEARED[0] += 1
        known = _WORD_NUMBERS
        found = []
        for words in (lows, texts, lemmas):
            try:
                numbers = list(map(known.__getitem__, words))  # in C: words seen before
            except KeyError:
                for word in words:
                    if word not in known:
                        known[word] = len(_WORD_LIST)
                        _WORD_LIST.append(word)
                numbers = list(map(known.__getitem__, words))
            found.append(numpy.array(numbers, dtype=numpy.intp))
        found = batch.shared[_NUMBERS] = (_CLEARED[0], *found)
    return found[1:]


def _answers(test: Callable[[str], bool]) -> numpy.ndarray:
    """`test`'s answer for each word of `_WORD_LIST`, by number, the words new since it was last asked tested."""
    answers = _ANSWERED.get(test)
    have = 0 if answers is None else len(answers)
    if have < len(_WORD_LIST):
        new = numpy.fromiter(map(test, _WORD_LIST[have:]), dtype=bool, count=len(_WORD_LIST) - have)
        answers = _ANSWERED[test] = new if answers is None else numpy.concatenate([answers, new])
    return answers


_NUMBERS = "scope numbers of the distinct words"  # a Batch.shared key: see _batch_numbers
_CUES = "scope cue positions"  # a Batch.shared key, with the finder: see _batch_cues
_DISTINCT_LEMMAS = "scope distinct lemmas"  # a Batch.shared key: the texts of Batch.distinct("LEMMA")' values


_may_open_at = cue(lower=_may_open)


def _low(token: Token) -> str:
    """Lower-case form with curly apostrophes made straight, so "don’t" reads as "don't"."""
    return token.lower_.replace("’", "'")


def _words(doc: Doc) -> tuple[list[str], list[str]]:
    """The doc's lower-case forms (as `_low`) and lemmas as plain lists (cached per doc)."""
    info = _info(doc)
    return info.lower, info.lemma


# by StringStore: (lower-case hash -> _low form, hash -> string); a dict lookup is cheaper than the StringStore's
_LOWS: dict[int, tuple[_Looked, _Looked]] = {}


def _phrase_at(doc: Doc, i: int, phrase: tuple[str, ...]) -> bool:
    if i + len(phrase) > len(doc):
        return False
    lower, lemma = _words(doc)
    return all(lower[i + k] == w or lemma[i + k] == w for k, w in enumerate(phrase))


# Every phrase list the checks look up, numbered as first used, and one index of all their phrases by first word
# (one-word phrases) and by first and second word (longer ones), so a doc is read once for all of them, in each
# list's own order.
_LISTS: list[tuple[tuple[str, ...], ...]] = []
_LIST_NUMBER: dict[int, int] = {}  # id(phrases) -> its number (checked with `is`)
_FIRST_WORDS: dict[str, int] = {}  # first word -> phrases starting with it so far (each phrase's order among them)
_SINGLES: dict[str, list[tuple[int, int, int]]] = {}  # word -> (list, order, 1) of one-word phrases
_PAIRS: dict[tuple[str, str], list[tuple[int, int, int, tuple[str, ...]]]] = {}  # (list, order, length, rest)


def _list_number(phrases: tuple[tuple[str, ...], ...]) -> int:
    number = _LIST_NUMBER.get(id(phrases))
    if number is not None and _LISTS[number] is phrases:
        return number
    number = len(_LISTS)
    _LISTS.append(phrases)
    _LIST_NUMBER[id(phrases)] = number
    _CANDIDATES.clear()
    for phrase in phrases:
        order = _FIRST_WORDS[phrase[0]] = _FIRST_WORDS.get(phrase[0], 0) + 1
        if len(phrase) == 1:
            _SINGLES.setdefault(phrase[0], []).append((number, order, 1))
        else:
            _PAIRS.setdefault((phrase[0], phrase[1]), []).append((number, order, len(phrase), phrase[2:]))
    return number


def _all_hits(doc: Doc, phrases: tuple[tuple[str, ...], ...]) -> tuple[list[int], list[tuple[int, int]]]:
    """(starts, (start, length) of every phrase of `phrases` in the doc, in order), worked out once per doc for
    every phrase list known so far; in a batch (`_columns.Batch`), once for all the batch's docs."""
    info = _info(doc)
    number = _list_number(phrases)
    hits = info.hits
    if number >= len(hits):  # one pass over the doc for the lists it has not been read for
        first = len(hits)
        columns = batch_columns(doc) if not first else None
        batch = columns.batch if columns is not None else None
        if batch is not None and _WORD_LISTS in batch.shared:  # the batch's hits of the lists known, sliced
            found = batch.shared.get(_HITS)
            if found is None or len(found) < len(_LISTS):
                whole = batch.shared[_WORD_LISTS]  # made with the doc's _Info
                found = batch.shared[_HITS] = _scan(whole[0], whole[1], batch.by_token()[2], 0,
                                                    _batch_starts(batch, doc.vocab.strings))
            lo, hi = columns.lo, columns.lo + info.n
            for starts, spans in found:
                a, b = bisect_left(starts, lo), bisect_left(starts, hi)
                hits.append(([i - lo for i in starts[a:b]], [(i - lo, size) for i, size in spans[a:b]]) if b > a
                            else _NO_HITS)
            if number < len(hits):
                return hits[number]
            first = len(hits)
        hits.extend(_scan(info.lower, info.lemma, [info.n] * info.n, first))
    return hits[number]


_HITS = "scope phrase hits"  # a Batch.shared key
# The hits of a list with none in a doc (most lists in most docs), one object for all: hits are only read, and two
# new lists per list and doc would be that many more objects for the garbage collector to walk while the doc lives.
_NO_HITS: tuple[tuple[int, ...], tuple[tuple[int, int], ...]] = ((), ())


def _batch_starts(batch, strings) -> list[int] | None:
    """The positions of `batch` whose lower-case form or lemma is a phrase's first word (`_FIRST_WORDS`), in
    order, from each distinct word and lemma looked up once; None when the batch's distinct words are not known."""
    lows, numbers = batch.shared.get(_DISTINCT_LOWS), batch.word_numbers()
    if lows is None or numbers is None:
        return None
    index = _FIRST_WORDS
    lemmas, lemma_numbers = batch.distinct("LEMMA")
    texts = _strings(strings)[1]
    held = numpy.fromiter(map(index.__contains__, lows), dtype=bool, count=len(lows))[numbers]
    held |= numpy.fromiter(map(index.__contains__, map(texts.__getitem__, lemmas.tolist())), dtype=bool,
                           count=len(lemmas))[lemma_numbers.reshape(-1)]
    return numpy.flatnonzero(held).tolist()


def _scan(lower: list[str], lemma: list[str], end_at: list[int], first: int, starts: list[int] | None = None
          ) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """The hits of every phrase list from number `first` on in the words `lower`, `lemma` (a doc's, or a batch's
    end to end, `end_at[i]` being where the doc holding word i ends), as `_all_hits` gives them. `starts`: the
    positions holding a phrase's first word, when known (`_batch_starts`)."""
    hits: list[tuple[list[int], list[tuple[int, int]]]] = [([], []) for _ in range(len(_LISTS) - first)]
    index = _FIRST_WORDS
    if starts is None:  # the positions holding a first word, found in C (map, compress) rather than word by word
        found = set(compress(range(len(lower)), map(index.__contains__, lower)))
        found.update(compress(range(len(lemma)), map(index.__contains__, lemma)))
        starts = sorted(found)
    known = _CANDIDATES
    if len(known) > _CANDIDATES_KEPT:
        known.clear()
    for i in starts:
        n = end_at[i]
        # a few thousand distinct (word, next word) pairs stand at a batch's many starts: each looked up once
        key = (lower[i], lemma[i], lower[i + 1], lemma[i + 1]) if i + 1 < n else (lower[i], lemma[i])
        candidates = known.get(key)
        if candidates is None:
            candidates = known[key] = _candidates(*key)
        for k, size, rest in candidates:
            if k < first:
                continue
            if size > 2 and (i + size > n or not all(lower[j] == w or lemma[j] == w
                                                     for j, w in zip(range(i + 2, i + size), rest))):
                continue
            hits[k - first][0].append(i)
            hits[k - first][1].append((i, size))
    return hits


def _candidates(low: str, lem: str, second: str | None = None, second_lemma: str | None = None
                ) -> list[tuple[int, int, tuple[str, ...]]]:
    """(list number, length, words after the second) of each phrase of the lists known that may start at a word
    with lower-case form `low` and lemma `lem`, followed by `second` / `second_lemma` (None: the doc's last word), in
    the order `_scan` records their hits: as a lookup list by list would give them, lower-case matches, then lemma
    matches, each in list order."""
    candidates = []
    for tag, word in enumerate((low, lem) if lem != low else (low,)):
        one = _SINGLES.get(word)
        if one:
            candidates += [(k, tag, order, 1, ()) for k, order, _ in one]
        if second is not None:
            more = _PAIRS.get((word, second))
            if more:
                candidates += [(k, tag, order, size, rest) for k, order, size, rest in more]
            if second_lemma != second:
                more = _PAIRS.get((word, second_lemma))
                if more:
                    candidates += [(k, tag, order, size, rest) for k, order, size, rest in more]
    candidates.sort()
    return [(k, size, rest) for k, _, _, size, rest in candidates]


# `_candidates` by its arguments, for the phrase lists known (cleared when one is added; at most _CANDIDATES_KEPT)
_CANDIDATES: dict[tuple, list[tuple[int, int, tuple[str, ...]]]] = {}
_CANDIDATES_KEPT = 200_000


def _located(doc: Doc, phrases: tuple[tuple[str, ...], ...]) -> tuple[list[int], list[tuple[int, int]], int, int]:
    """(starts, (start, length) of each hit, offset, length of the doc) of `phrases` (as `_all_hits`): in a batch,
    the batch's hits, end to end, and the doc's first position in it (no lists per doc); else the doc's, from 0."""
    info = _info(doc)
    batch = getattr(info, "batch", None)
    batch = batch() if batch is not None else None
    if batch is not None and _WORD_LISTS in batch.shared:
        number = _list_number(phrases)
        found = batch.shared.get(_HITS)
        if found is None or len(found) < len(_LISTS):
            whole = batch.shared[_WORD_LISTS]
            found = batch.shared[_HITS] = _scan(whole[0], whole[1], batch.by_token()[2], 0,
                                                _batch_starts(batch, doc.vocab.strings))
        return (*found[number], info.lo, info.n)
    return (*_all_hits(doc, phrases), 0, len(doc))


def _hits(doc: Doc, start: int, end: int, phrases: tuple[tuple[str, ...], ...]) -> Iterable[tuple[int, str]]:
    """(index, text) of every phrase of `phrases` starting in doc[start:end], matched on lower case or lemma."""
    starts, found, lo, n = _located(doc, phrases)
    for k in range(bisect_left(starts, lo + max(start, 0)), bisect_left(starts, lo + min(end, n))):
        i, length = found[k]
        yield i - lo, doc[i - lo:i - lo + length].text


def _find(doc: Doc, start: int, end: int, phrases: tuple[tuple[str, ...], ...]) -> tuple[int, str] | None:
    """The last phrase of `phrases` that starts in doc[start:end], as (index, text)."""
    starts, found, lo, n = _located(doc, phrases)
    k = bisect_left(starts, lo + min(end, n))
    if k == 0 or found[k - 1][0] < lo + max(start, 0):
        return None
    i, length = found[k - 1]
    return i - lo, doc[i - lo:i - lo + length].text


def _next_lower(token: Token, k: int = 1) -> str:
    i = token.i + k
    return _low(token.doc[i]) if 0 <= i < len(token.doc) else ""

