"""Scope marks for the learned coder: the rule coder's scope, as prefixes on the words a model reads.

"We never had a fund" becomes "we never neg_have neg_a neg_fund": after a cue, the rest of its lexical clause
carries the cue's mark, so the model can learn that "fund" and "neg_fund" are different evidence. The cues and the
clauses are the rule coder's own (the scope lexicon, `clauses`):
- `neg_` after a negator or a negative predicate ("afraid to"); a second one cancels it ("not afraid to"); it
  reaches at most NEGATION_REACH (8) words, as speech-recognition clauses run on;
- `irr_` after a first-person wish ("we should", "we'd like to"), a modal ("might", "could"), a wish or
  hypothetical phrase ("ideally", "one day", "would have") or a condition ("if we had", which holds to the end of
  the sentence or to a clause opening with "but", "now", "however");
- `past_` after a past cue ("used to", "years ago"; "in the past" holds like a condition), unless the clause says
  it goes on ("since", "still", "started") or the time is reset ("but now");
- `oth_` after another council acting ("other councils", "the council next door");
- `ttl_` on the words of a title ("Cabinet Member for Resources", "the Culture Committee"), whatever the clause.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import compress
from operator import methodcaller, not_, or_
from typing import NamedTuple

from spacy.matcher import Matcher
from spacy.tokens import Doc

from ._attribution import OTHER_COUNCIL_PATTERNS, _OBJECT_MARKERS
from ._clauses import _CLAUSE_OPENERS, _CLAUSE_PUNCT, _INFO, _LISTS, _SOFT_OPENERS, LEXICON, _all_hits, \
    _clause_bounds, _hits, _info, _Info, _list_number, _opens_at, sentence_starts
from ._negation import _negative_predicate_at, _negator_at
from ._time import _BE_GET, _CONTINUITY, _PAST, _PAST_RESET, _PAST_TOPICAL
from ._titles import title_tokens
from ._wish import _CONDITIONS, _HYPOTHETICAL, _WISH_PHRASES, _modal_at, _wish_verb_at

_IRREALIS_PHRASES = _WISH_PHRASES + _HYPOTHETICAL
_PART_LISTS = (_IRREALIS_PHRASES, _CONDITIONS, _PAST, LEXICON.titles.heads)
# Every word that can open a clause (`_opens_at`), besides punctuation: no other word is asked about
_OPENING_WORDS = frozenset(_CLAUSE_PUNCT) | frozenset(_CLAUSE_OPENERS) | frozenset(_SOFT_OPENERS) | {"-"}
_MATCHERS: dict[int, tuple] = {}


def _other_council_matcher(vocab) -> tuple:
    """(compiled matcher, spaCy Matcher or None) of the lexicon's other-council patterns for `vocab`: the compiled
    one (casecode.coders._compiled, the same matches as spaCy's) takes every pattern it can, the rest go to spaCy."""
    from .._compiled import CompiledMatcher

    found = _MATCHERS.get(id(vocab))
    if found is None or found[0].vocab is not vocab:
        compiled, fallback = CompiledMatcher(vocab), None
        for pattern in OTHER_COUNCIL_PATTERNS:
            if not compiled.add_tokens("other_council", pattern):
                fallback = fallback or Matcher(vocab)
                fallback.add("other_council", [pattern])
        found = _MATCHERS[id(vocab)] = (compiled, fallback)
    return found


def _other_councils(doc: Doc) -> set[int]:
    """Token indexes where another council named as an actor ends (not after "with", "from", "like"...)."""
    return _council_ends(_info(doc).lower, _other_council_spans(doc))


def _council_ends(lower: list[str], spans: set[tuple[int, int]]) -> set[int]:
    """The last token of each other-council span not after "with", "from", "like"... (`lower`: the doc's
    lower-case words as `_low` gives them)."""
    ends = set()
    for start, end in spans:
        before = lower[start - 1] if start > 0 else ""
        if before not in _OBJECT_MARKERS:
            ends.add(end - 1)
    return ends


def scope_marks(doc: Doc) -> list[str]:
    """The doc's lower-case lemmas without punctuation, each with its clause's scope mark from the cue on.

    Words are read from the doc's word lists (`_info`, shared with the rule coder's checks), not Token by Token.
    Only the words where something can happen (a cue, a trigger word, a title word, the end of another council's
    name) are looked at one by one; the words between them take the clause's current mark in one step."""
    if not len(doc):
        return []
    from .._columns import token_columns

    info = _info(doc)
    others = _other_councils(doc) if LEXICON.other_councils else set()
    return _marks(doc, info, _sentence_ranges(doc, info), token_columns(doc).column("IS_SPACE"), others)


# Every word (lower-case form or lemma) for which a check of the marks' word loop can say yes: a negator, a
# negative predicate ("fail" with "to"), a wish verb (and what follows "would"), a modal, a past reset. A word
# outside it goes through none of the checks in `_marks`, so the loop looks only at the words in it.
def _trigger_words() -> frozenset[str]:
    from ._negation import NEGATIVE_PREDICATES, NEGATORS
    from ._time import _PAST_RESET as reset
    from ._wish import _MODALS, _WISH_AFTER_WOULD, _WISH_VERBS

    return frozenset(NEGATORS) | frozenset(NEGATIVE_PREDICATES) | {"fail"} | frozenset(_WISH_VERBS) | \
        frozenset(_WISH_AFTER_WOULD) | frozenset(_MODALS) | frozenset(reset)


_TRIGGERS = _trigger_words()


def _sentence_ranges(doc: Doc, info) -> list[tuple[int, int]]:
    """(start, end) of each of `doc.sents`, read as spaCy reads them (a sentence at 0 and at every token whose
    SENT_START is 1) from the token columns, with no Span made; spaCy's own when a hook or a missing annotation
    decides."""
    from .._columns import token_columns

    n = info.n
    column = token_columns(doc).column("SENT_START")
    if "sents" in doc.user_hooks or (n > 1 and not any(column[1:])):  # spaCy's own, or its error
        return [(sent.start, sent.end) for sent in doc.sents]
    starts = [*sentence_starts(column), n]
    return list(zip(starts, starts[1:]))


def _marks(doc, info, sentences: list[tuple[int, int]], space: list[int], others: set[int]) -> list[str]:
    """`scope_marks` of `doc` (a Doc, or a `_Part` of one) from its word lists `info`, sentences, IS_SPACE column
    and other councils' ends."""
    out: list[str] = []
    titles = title_tokens(doc)
    lower, lemma_of, punct = info.lower, info.lemma, info.punct
    lemmas = list(map(str.lower, lemma_of))
    # the words the loop reads (no punctuation or space), and which of them can hold an event
    words = list(compress(range(info.n), map(not_, map(or_, punct, space))))
    triggers = _TRIGGERS.__contains__
    events = set(compress(range(info.n), map(triggers, lower)))
    events.update(compress(range(info.n), map(triggers, lemma_of)))
    events.update(titles)
    events.update(others)
    # each cue list's phrases in the doc, found once (the checks' index); a clause looks up its own range
    irrealis, conditions, past = (_all_hits(doc, phrases) for phrases in (_IRREALIS_PHRASES, _CONDITIONS, _PAST))
    cue_starts = sorted({*irrealis[0], *conditions[0], *past[0]})
    events.update(cue_starts)
    word_lemmas = [lemmas[i] for i in words]
    # the events' places among the words, in order (an event on punctuation is never read)
    n_words = len(words)
    event_ks = sorted(k for i in events if (k := bisect_left(words, i)) < n_words and words[k] == i)
    event_ks.append(n_words)
    for sent_start, sent_end in sentences:
        lo, hi = bisect_left(words, sent_start), bisect_left(words, sent_end)
        if event_ks[bisect_left(event_ks, lo)] >= hi:  # no word of the sentence can set a mark: its lemmas as they are
            out.extend(word_lemmas[lo:hi])
            continue
        held = ""  # a condition or a topical past cue sets the rest of the sentence
        bounds = _clause_bounds(doc, sent_start, sent_end)
        for a, b in zip(bounds, bounds[1:]):
            if b <= a:
                continue
            if lower[a] in _PAST_RESET:  # "..., but now we take risks": the held time or condition ends
                held = ""
            mode = held
            lo, hi = bisect_left(words, a), bisect_left(words, b)
            if lo == hi:
                continue
            if bisect_left(cue_starts, a) == bisect_left(cue_starts, b):
                cues = {}  # no cue phrase starts in the clause
            else:
                cues = {i: ("irr_", len(p)) for i, p in _in_clause(doc, irrealis, a, b)}
                cues.update({i: ("irr_", len(p), True) for i, p in _in_clause(doc, conditions, a, b)})
                in_past = _in_clause(doc, past, a, b)
                if in_past and not any(lemma_of[i] in _CONTINUITY or lower[i] in _CONTINUITY for i in range(a, b)):
                    for i, p in in_past:
                        if p[0] == "used" and i > 0 and lower[i - 1] in _BE_GET:
                            continue  # "the fund is used to pay for": not "we used to"
                        cues.setdefault(i, ("past_", len(p), " ".join(p) in _PAST_TOPICAL))
            skip = 0
            k = lo
            e = bisect_left(event_ks, lo)  # the next event at or after word k
            while k < hi:
                if skip:  # the rest of a cue phrase
                    stop = min(hi, k + skip)
                    out.extend(word_lemmas[k:stop])
                    skip -= stop - k
                    k = stop
                    continue
                while event_ks[e] < k:
                    e += 1
                if event_ks[e] > k:  # the words up to the next event take the clause's mark
                    stop = min(hi, event_ks[e])
                    out.extend([mode + w for w in word_lemmas[k:stop]] if mode else word_lemmas[k:stop])
                    k = stop
                    continue
                i = words[k]
                k += 1
                lemma = lemmas[i]
                low = lower[i]
                cue = cues.get(i)
                if cue is not None:
                    mode, skip = cue[0], cue[1] - 1
                    if len(cue) > 2 and cue[2]:
                        held = mode
                elif _negator_at(info, i) or _negative_predicate_at(info, i):
                    mode = "" if mode == "neg_" else "neg_"
                elif _wish_verb_at(info, i, a) or _modal_at(info, i):
                    mode = "irr_"
                elif low in _PAST_RESET and "past_" in (mode, held):
                    mode = held = ""
                elif i in titles:
                    out.append("ttl_" + lemma)
                    continue
                else:
                    out.append(mode + lemma)
                    if i in others:
                        mode = "oth_"
                    continue
                out.append(lemma)
    if "neg_" not in " ".join(out):  # no word carries the mark (or starts with it): nothing to cut back
        return out
    return _reach(out, "neg_", NEGATION_REACH)


class _Run(NamedTuple):
    text: str


class _Part:
    """Words k..m of a doc standing in for the doc spaCy makes of their text, as the marks read a doc: its length,
    vocab, the text of a run of its words (`part[i:j].text`) and its word lists (registered as its `_info`)."""

    __slots__ = ("vocab", "n", "words", "gaps", "__weakref__")

    def __init__(self, vocab, words: list[str], gaps: list[int]):
        self.vocab, self.n, self.words, self.gaps = vocab, len(words), words, gaps

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, item: slice) -> _Run:
        i, j, _ = item.indices(self.n)
        if j <= i:
            return _Run("")
        return _Run("".join(w + (" " if g else "") for w, g in zip(self.words[i:j - 1], self.gaps[i:j - 1]))
                    + self.words[j - 1])


def parts_marks(parts: list[tuple[Doc, int, int, str]], sentencizer, batch=None) -> list[list[str] | None]:
    """`part_marks(doc, start, end, sentencizer, text)` of each (doc, start, end, text), the docs read as one
    batch (`_columns.Batch`): their word lists and columns looked up once per distinct word of the batch, and
    other councils found in all of them in one pass, rather than doc by doc. `batch`: the open batch holding
    every part's doc (the rule coder's, see `RuleCoder.code_records`' on_batch), read instead of a new one."""
    from .._columns import Batch, close_batch, open_batch

    docs = list({id(doc): doc for doc, _, _, _ in parts}.values())
    if not docs:
        return []
    own = batch is None
    if own:
        batch = Batch(docs)
        open_batch(batch)
    else:
        docs = list({id(doc): doc for doc in batch.docs}.values())
    try:
        spans = None
        if LEXICON.other_councils:
            compiled, fallback = _other_council_matcher(batch.docs[0].vocab)
            if all(doc.vocab is compiled.vocab for doc in docs):
                found = {id(doc): {(s, e) for _, s, e in matches}
                         for doc, matches in zip(batch.docs, compiled.match_batch(batch))}
                if fallback is not None:
                    for doc in docs:
                        found[id(doc)].update((s, e) for _, s, e in fallback(doc))
                spans = found
        return [part_marks(doc, start, end, sentencizer, text, None if spans is None else spans[id(doc)])
                for doc, start, end, text in parts]
    finally:
        if own:
            close_batch()


def part_marks(doc: Doc, start: int, end: int, sentencizer, text: str | None = None,
               council_spans: set[tuple[int, int]] | None = None) -> list[str] | None:
    """`scope_marks` of the doc the pipeline would make of `doc.text[start:end]`, worked out from `doc`'s own words
    (a turn's text after its speaker label, from the turn's doc the rule coder made): the same words, lemmas and
    word lists sliced, sentences by `sentencizer`'s rule (its `start_values`), other councils found in the doc and
    kept inside the part. None where that would not be the same (the part does not start and end at whitespace or
    the text's ends, or the doc is parsed or has hooks): then the pipeline must run on the text. `text`: the doc's
    text, when the caller has it (`doc.text` joins a Token per word). The part's phrase hits are the doc's
    (`_part_hits`), found once per doc and shared with the rule coder's checks. `council_spans`: the doc's
    other-council spans (`_other_council_spans`), when the caller found them."""
    from .._columns import token_columns

    if text is None:
        text = doc.text
    if not 0 <= start < end <= len(text) or (start and not text[start - 1].isspace()) or \
            (end < len(text) and not text[end].isspace()) or text[start].isspace() or text[end - 1].isspace():
        return None
    if doc.user_hooks or doc.user_token_hooks or doc.user_span_hooks:
        return None
    info = _info(doc)
    if info.parsed:
        return None
    k, m, at_k, at_m = _part_bounds(info, start, end, len(text))
    if k >= info.n or at_k != start or m < 1 or at_m - (info.space_after[m - 1] and 1) != end:
        return None
    columns = token_columns(doc)
    part = _Part(doc.vocab, info.text[k:m], info.space_after[k:m])
    part.gaps[-1] = 0  # the text ends there: no space after its last word
    words = object.__new__(_Info)
    words.n, words.lower, words.lemma, words.text = part.n, info.lower[k:m], info.lemma[k:m], part.words
    words.punct, words.alpha, words.space_after = info.punct[k:m], info.alpha[k:m], part.gaps
    words.clauses, words.hits, words.parsed, words.titles, words.sentence_starts = {}, _part_hits(doc, k, m), False, \
        None, None
    _INFO[part] = words
    values = sentencizer.start_values(columns.column("ORTH")[k:m], words.punct)
    starts = [0, *compress(range(1, part.n), map((1).__eq__, values[1:])), part.n]
    others: set[int] = set()
    if LEXICON.other_councils:
        if council_spans is None:
            council_spans = _other_council_spans(doc)
        spans = {(a - k, b - k) for a, b in council_spans if k <= a and b <= m}
        others = _council_ends(words.lower, spans)
    sentences = list(zip(starts, starts[1:]))
    _part_clauses(words, sentences)
    return _marks(part, words, sentences, columns.column("IS_SPACE")[k:m], others)


def _part_bounds(info: _Info, start: int, end: int, length: int) -> tuple[int, int, int, int]:
    """(k, m, offset of word k, offset of word m) with k, m = bisect_left(offsets, start), bisect_left(offsets, end)
    over the words' offsets in the doc's text (`length` long): k found from the front, m from the back, so only the
    words of a turn's speaker label and of its trailing space are visited, not every word."""
    texts, gaps, n = info.text, info.space_after, info.n
    k, at_k = 0, 0
    while k < n and at_k < start:
        at_k += len(texts[k]) + (gaps[k] and 1)
        k += 1
    if k == n and at_k < start:  # past the last word: bisect_left gives n + 1
        k += 1
    m, at_m = n, length
    while m > 0 and at_m - len(texts[m - 1]) - (gaps[m - 1] and 1) >= end:
        m -= 1
        at_m -= len(texts[m]) + (gaps[m] and 1)
    if at_m < end:  # every offset is below end: bisect_left gives n + 1
        m += 1
    return k, m, at_k, at_m


def _part_clauses(words: _Info, sentences: list[tuple[int, int]]) -> None:
    """Fill `words.clauses` with each sentence's clause bounds, as `_clause_bounds` gives them, asking `_opens_at`
    only about the words that can open a clause (punctuation and `_OPENING_WORDS`), not about every word."""
    n = words.n
    asked = set(compress(range(n), words.punct))
    asked.update(compress(range(n), map(_OPENING_WORDS.__contains__, words.lower)))
    opens = [i for i in sorted(asked) if _opens_at(words, i)]
    for a, b in sentences:
        words.clauses[a, b] = [a, *opens[bisect_right(opens, a):bisect_left(opens, b)], b]


def _part_hits(doc: Doc, k: int, m: int) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """The phrase hits (`_all_hits`, every phrase list) of the words k..m of `doc`, as their own doc would have
    them, from the doc's (found once per doc, and shared with the rule coder's checks): the hits that start at k or
    later and end by m, counted from k. A phrase is matched on each of its words' lower-case form and lemma alone,
    which the part's words share with the doc's, so these are the hits a pass over the part would find, in order."""
    if not _PART_LISTS_KNOWN:
        for phrases in _PART_LISTS:  # the marks' and titles' lists are known before the doc is read for every list
            _list_number(phrases)
        _PART_LISTS_KNOWN.append(True)
    _all_hits(doc, _LISTS[-1])  # the doc read for every list known (at most once; the rule coder may have)
    part = []
    for starts, found in _info(doc).hits:
        if not starts or starts[-1] < k or starts[0] >= m:  # no hit in the part (most lists): nothing to slice
            part.append(([], []))
            continue
        lo, hi = bisect_left(starts, k), bisect_left(starts, m)
        kept = [(i - k, size) for i, size in found[lo:hi] if i + size <= m] if hi > lo else []
        part.append(([i for i, _ in kept], kept))
    return part


_PART_LISTS_KNOWN: list[bool] = []  # the marks' and titles' lists numbered (`_list_number`) once for the process


def _other_council_spans(doc: Doc) -> set[tuple[int, int]]:
    compiled, fallback = _other_council_matcher(doc.vocab)
    spans = {(start, end) for _, start, end in compiled(doc)}
    if fallback is not None:
        spans.update((start, end) for _, start, end in fallback(doc))
    return spans


#: How many words a "neg_" mark reaches past its cue. Speech-recognition turns run on without punctuation, so a
#: negation would otherwise mark the rest of a long "clause" ("not me er the voids were taking like sixty odd days to
#: turn round and gemma came to me with a rough idea ..."); the rule coder's negation check looks only six tokens
#: back (NEGATION_WINDOW). Leaving one of twenty-six training writers out, eight words (the one reach measured):
#: turn F1 0.838 -> 0.848, council kappa 0.856 -> 0.868, precision and recall both up. On thirty sets, reaches of 5,
#: 6, 10 and 12 scored within 0.003 turn F1 of eight (0.837-0.840 against 0.837 at margin 0.10; 0.838-0.841 against
#: 0.841 at 0.125), so eight stays.
NEGATION_REACH = 8


def _reach(words: list[str], mark: str, reach: int) -> list[str]:
    """`words` with `mark` taken off every word past the first `reach` of a run of marked words. Only the marked
    words are visited (found in C), a run being marked words at consecutive places."""
    run, last, cut = 0, -2, len(mark)
    for k in compress(range(len(words)), map(methodcaller("startswith", mark), words)):
        run = run + 1 if k == last + 1 else 1
        last = k
        if run > reach:
            words[k] = words[k][cut:]
    return words


def _in_clause(doc: Doc, hits: tuple[list[int], list[tuple[int, int]]], a: int, b: int
               ) -> list[tuple[int, tuple[str, ...]]]:
    """`_phrase_hits` of the clause doc[a:b] from the doc's hits of one phrase list (`_all_hits`)."""
    starts, found = hits
    lo, hi = bisect_left(starts, a), bisect_left(starts, b)
    return [(i, tuple(doc[i:i + length].text.lower().split())) for i, length in found[lo:hi]] if hi > lo else []


def _phrase_hits(doc: Doc, clause, phrases) -> list[tuple[int, tuple[str, ...]]]:
    found = []
    for i, text in _hits(doc, clause.start, clause.end, phrases):
        found.append((i, tuple(text.lower().split())))
    return found
