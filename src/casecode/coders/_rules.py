"""The rule coder: codebook patterns matched with spaCy, checked for scope, returned as Spans and as codings.

A spaCy component modelled on SpanRuler: `nlp.add_pipe("casecode_rules")` (the factory registered here), then
`add_patterns`; `to_disk`/`from_disk` (and `to_bytes`/`from_bytes`) save its settings, patterns, cases and codebook
as JSON (srsly), never pickle, so `nlp.to_disk` and `spacy.load` carry it. `RuleCoder(codebook, nlp)` builds one
outside a pipeline. Patterns are dicts with `label` (the code id), `pattern` (a phrase, matched on lemmas, or a
Matcher token list) and `id`; an optional `exclusion: True` marks a word-sense trap ("arts and
culture") that drops any match of the same label it overlaps. Results go to `doc.spans[spans_key]` as a SpanGroup;
each span's score and reasons are in `span._.casecode_score` and `span._.casecode_why`. Matches that a scope check
or a trap suppressed go to `doc.spans[spans_key + "_suppressed"]`, so `explain` can show why nothing was coded.

Score: a heuristic of pattern specificity, the number of words a pattern requires (gaps and optional tokens do
not count): 1 word 0.5, 2 words 0.65, 3 words 0.8, 4 or more 0.9; times 0.7 when hedged, 0.6 in a question, and
0.6 for a generic word (a codebook pattern with `frame: true`) with no action frame around it: no one here (we, our,
the council, members, managers) doing something (set, run, fund, involve, ...) in its sentence and clause. The frame
is checked in spoken text (a segment with a speaker, or any text given to `explain` or the coder as a Doc), not in a
written summary with no speaker, which is about the council's actions throughout.
`RuleCoder.code` keeps codings scoring at least `min_score` (MIN_SCORE by default).
"""

from __future__ import annotations

import gc
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import pandas as pd
import srsly
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .._progress import progress
from ..codebook import Codebook
from ..corpus import speaker_label_end
from ..errors import CoderError
from ._codings import codable_segments, codings_frame, segment_cases
from ._columns import Batch, close_batch, open_batch
from ._compiled import CompiledMatcher
from .scope import NEGATIVE_PREDICATES, NEGATORS, OTHER_COUNCIL_PATTERNS, Mention, Scope, action_frame, assess
from ._nlp import forget_recent, load_nlp, pipe_shared

SCORES = (0.5, 0.65, 0.8, 0.9)  # by number of required words: 1, 2, 3, 4+
# A generic-word pattern (`frame: true`) outside an action frame: 0.5 -> 0.3, 0.65 -> 0.39, under MIN_SCORE.
FRAMELESS_FACTOR = 0.6
# RuleCoder.code drops codings scoring below this. The default keeps a plain one-word match (0.5), a hedged
# two-word one (0.455) and a three-word one in a question (0.48), and drops a hedged one-word match (0.35), one- and
# two-word matches in a question (0.3, 0.39) and a generic word with no action frame (0.3, 0.39).
MIN_SCORE = 0.4
# Docs matched at once by the compiled engine in `code_records` (see there).
MATCH_BATCH = 512
# The pipeline components the compiled engine's batches stand in for (see RuleCoder._annotators), in order.
_ANNOTATORS = ("casecode_sentencizer", "casecode_lemmatizer")

def _ensure_extensions() -> None:
    # Span extensions are stored by character offsets only, so two codes matching the same words would share one
    # value; these keep the value per (offsets, label, id) in doc.user_data instead.
    for name in ("casecode_score", "casecode_why"):
        if not Span.has_extension(name):
            Span.set_extension(name, getter=_getter(name), setter=_setter(name))
    if not Doc.has_extension("casecode_cases"):
        Doc.set_extension("casecode_cases", default=None)
    if not Doc.has_extension("casecode_spoken"):  # False: written summary text, where no action frame is needed
        Doc.set_extension("casecode_spoken", default=None)


def _key(name: str, span: Span) -> tuple:
    return ("casecode", name, span.start_char, span.end_char, span.label_, span.id_)


def _getter(name: str):
    return lambda span: span.doc.user_data.get(_key(name, span))


def _setter(name: str):
    def setter(span: Span, value: Any) -> None:
        span.doc.user_data[_key(name, span)] = value

    return setter


_UNREAD = object()  # an argument not given: the value is read from the doc


@dataclass(frozen=True)
class _Entry:
    label: str
    id: str
    exclusion: bool
    words: int  # required words, for the score
    negates: bool  # the pattern itself holds a negator: "not afraid to fail"
    literal: bool  # no gaps or optional tokens: a fixed phrase such as "not risk averse"
    frame: bool = False  # a generic word: counts fully only in an action frame ("we set up a partnership")


class RuleCoder:
    """Codes text with a codebook's patterns, checking each match's scope (negation, other councils, past...)."""

    def __init__(
        self,
        codebook: Codebook | None,
        nlp: Language | None = None,
        *,
        name: str = "casecode_rules",
        spans_key: str = "casecode",
        scope: bool = True,
        cases: pd.DataFrame | None = None,
        min_score: float = MIN_SCORE,
        case_min_score: float | None = None,
        engine: str = "compiled",
    ):
        """`min_score`: `code` drops codings scoring below it (0 keeps every kept span). `case_min_score`: when
        set, `code` keeps a case's codings of a code only if at least one of them scores this much, so a case is
        not credited with an action on weak evidence alone (a segment without cases is its document's case).
        `engine`: "compiled" (the default, see `casecode.coders._compiled`) or "spacy", spaCy's Matcher and
        PhraseMatcher, the reference implementation; both give the same codings. `name`: the component's name in
        a pipeline."""
        _ensure_extensions()
        self.name = name
        self._open_batch: Batch | None = None  # the batch `code` is working on, and matches found for all of it
        self._batch_found: dict[int, dict[int, set]] = {}
        self.nlp = nlp if nlp is not None else load_nlp()
        if not {"lemmatizer", "casecode_lower_lemma", "casecode_lemmatizer"} & set(self.nlp.pipe_names):
            raise CoderError("the spaCy pipeline has no lemmatizer, so lemma patterns cannot match; use "
                             "casecode.coders.load_nlp() or a trained pipeline")
        self._configure(spans_key=spans_key, scope=scope, min_score=min_score, case_min_score=case_min_score,
                        engine=engine)
        self.codebook = codebook
        stop_words = getattr(self.nlp.Defaults, "stop_words", ())
        self._others = Matcher(self.nlp.vocab, validate=True)
        self._others.add("other_council", OTHER_COUNCIL_PATTERNS)  # from the scope lexicon
        self._others_compiled = CompiledMatcher(self.nlp.vocab, stop_words)
        for i, pattern in enumerate(OTHER_COUNCIL_PATTERNS):
            if not self._others_compiled.add_tokens("other_council", pattern):
                raise CoderError(f"scope lexicon: other_councils pattern {i} uses an attribute the compiled matcher "
                                 f"does not take; use LOWER, LEMMA, ORTH or IS_TITLE with IN lists and OP '?'")
        self.clear()
        self._clear_cases()
        if cases is not None:
            self._add_cases(cases)
        if codebook is not None:
            self.add_patterns(codebook_patterns(codebook))

    def _configure(self, *, spans_key: str, scope: bool, min_score: float, case_min_score: float | None,
                   engine: str, where: str = "") -> None:
        place = f"{where}: " if where else ""
        if engine not in ("compiled", "spacy"):
            raise CoderError(f"{place}engine={engine!r}; use 'compiled' (fast) or 'spacy' (the reference matcher)")
        if not _fraction(min_score) or case_min_score is not None and not _fraction(case_min_score):
            raise CoderError(f"{place}min_score={min_score!r}, case_min_score={case_min_score!r}; give scores "
                             "from 0 to 1")
        self.engine, self.spans_key, self.scope = engine, str(spans_key), bool(scope)
        self.min_score, self.case_min_score = min_score, case_min_score

    def clear(self) -> None:
        """Remove every pattern (as SpanRuler.clear does); the cases stay."""
        stop_words = getattr(self.nlp.Defaults, "stop_words", ())
        self.matcher = Matcher(self.nlp.vocab, validate=True)
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self._patterns: list[dict] = []
        self._entries: dict[str, _Entry] = {}
        self._compiled = CompiledMatcher(self.nlp.vocab, stop_words)
        self._fallback = Matcher(self.nlp.vocab)  # token patterns the compiled matcher does not take
        self._rank: dict[str, int] = {}
        self._surface: dict[str, list[str]] = {}  # a phrase's own words, lower case

    def _clear_cases(self) -> None:
        self._aliases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._aliases_compiled = CompiledMatcher(self.nlp.vocab)
        self._alias_cases: dict[str, set[str]] = {}
        self._cases: list[dict] = []  # as given, for to_disk

    # --- the SpanRuler surface ---

    def __len__(self) -> int:
        """The number of patterns (exclusions included), as SpanRuler counts them."""
        return len(self._patterns)

    def __contains__(self, label: object) -> bool:
        return label in self.labels

    @property
    def labels(self) -> tuple[str, ...]:
        """Code ids with at least one pattern, in the order they were added (codebook order)."""
        return tuple(dict.fromkeys(p["label"] for p in self._patterns))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p["id"] for p in self._patterns))

    @property
    def patterns(self) -> list[dict]:
        return list(self._patterns)

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        """Add pattern dicts `{label, pattern, id?, exclusion?}`; phrases are lemmatized with `nlp.pipe`."""
        phrases: list[tuple[str, dict]] = []
        for entry in patterns:
            entry = self._checked(entry)
            key = f"casecode:{len(self._patterns)}"
            # Ties (same code, same words, as many required words): see _matches.
            self._rank[key] = len(self._patterns) + (1 << 40 if isinstance(entry["pattern"], str) else 0)
            self._patterns.append(entry)
            if isinstance(entry["pattern"], str):
                phrases.append((key, entry))
                continue
            try:
                self.matcher.add(key, [entry["pattern"]])
            except (ValueError, KeyError, re.error) as exc:
                first = str(exc).strip().splitlines()[0]
                raise CoderError(f"pattern {entry['id']!r} of code {entry['label']!r} is not a valid spaCy token "
                                 f"pattern ({first}); fix it in the codebook") from None
            if not self._compiled.add_tokens(key, entry["pattern"]):
                self._fallback.add(key, [entry["pattern"]])
            literal = len(_required(entry["pattern"])) == len(entry["pattern"])
            self._entries[key] = self._entry(entry, len(_required(entry["pattern"])), entry["pattern"], literal)
        # The lemmatizer must run on phrase patterns (nlp.pipe, not nlp.make_doc), or LEMMA matching finds nothing.
        docs = self.nlp.pipe([e["pattern"] for _, e in phrases], disable=self._rule_components())
        for (key, entry), doc in zip(phrases, docs):
            self.phrase_matcher.add(key, [doc])
            self._compiled.add_phrase(key, "LEMMA", [t.lemma_ for t in doc])
            self._surface[key] = [t.lower_ for t in doc]
            words = [t for t in doc if not t.is_punct]
            self._entries[key] = self._entry(entry, len(words), doc, True)

    @staticmethod
    def _checked(entry: dict) -> dict:
        if not isinstance(entry, dict) or "label" not in entry or "pattern" not in entry:
            raise CoderError(f"pattern {entry!r} needs 'label' and 'pattern' keys, e.g. "
                             f"{{'label': 'employees', 'pattern': 'listen to staff'}}")
        pattern = entry["pattern"]
        if not (isinstance(pattern, str) and pattern.strip() or isinstance(pattern, list) and pattern):
            raise CoderError(f"pattern for code {entry['label']!r} is {pattern!r}; give a phrase or a token list")
        entry = dict(entry)
        entry.setdefault("id", f"{entry['label']}:{'not' if entry.get('exclusion') else ''}p")
        entry["exclusion"] = bool(entry.get("exclusion", False))
        entry["frame"] = bool(entry.get("frame", False))
        return entry

    @staticmethod
    def _entry(entry: dict, words: int, pattern: Any, literal: bool) -> _Entry:
        return _Entry(entry["label"], entry["id"], entry["exclusion"], max(words, 1), _negates(pattern), literal,
                      entry.get("frame", False))

    def _add_cases(self, cases: pd.DataFrame) -> None:
        if "case_id" not in getattr(cases, "columns", ()):
            raise CoderError("cases table has no 'case_id' column; pass casecode.corpus.CASE_COLUMNS")
        for row in cases.to_dict("records"):
            self._cases.append({"case_id": str(row["case_id"]), **{k: _plain(row.get(k)) for k in _CASE_NAMES}})
            for alias in _aliases(row):
                key = f"alias:{alias.lower()}"
                if key not in self._alias_cases:
                    # Aliases match on LOWER, which needs no lemmatizer, so the tokenizer alone makes their docs.
                    alias_doc = self.nlp.make_doc(alias)
                    self._aliases.add(key, [alias_doc])
                    self._aliases_compiled.add_phrase(key, "LOWER", [t.lower_ for t in alias_doc])
                    self._alias_cases[key] = set()
                self._alias_cases[key].add(str(row["case_id"]))

    # --- saving, as spaCy components do: JSON (srsly), never pickle ---

    def _rule_components(self) -> list[str]:
        """Names of the rule components in this coder's pipeline: run the pipeline without them to get plain
        lemmatized docs (the coder matches them itself)."""
        return [name for name, proc in self.nlp.pipeline if isinstance(proc, RuleCoder)]

    def _state(self) -> dict:
        return {
            "cfg": {"spans_key": self.spans_key, "scope": self.scope, "min_score": self.min_score,
                    "case_min_score": self.case_min_score, "engine": self.engine},
            "patterns": self.patterns,
            "cases": list(self._cases),
            "codebook": self.codebook.model_dump(mode="json") if self.codebook is not None else None,
        }

    def _load_state(self, state: dict, where: str) -> "RuleCoder":
        from ..codebook._model import codebook_from_dict

        try:
            self._configure(**state["cfg"], where=where)
            codebook = state.get("codebook")
            self.codebook = codebook_from_dict(codebook) if codebook is not None else None
            self.clear()
            self._clear_cases()
            if state["cases"]:
                self._add_cases(pd.DataFrame(state["cases"]))
            self.add_patterns(state["patterns"])
        except (KeyError, TypeError) as exc:
            raise CoderError(f"{where}: not a saved rule coder ({type(exc).__name__}: {exc}); save it again with "
                             "to_disk") from None
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the coder to the folder `path`: `cfg` (settings), `patterns.jsonl`, `cases.jsonl` and
        `codebook.json` (when it has one), all JSON."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = self._state()
        srsly.write_json(path / "cfg", state["cfg"])
        srsly.write_jsonl(path / "patterns.jsonl", state["patterns"])
        srsly.write_jsonl(path / "cases.jsonl", state["cases"])
        if state["codebook"] is not None:
            srsly.write_json(path / "codebook.json", state["codebook"])

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "RuleCoder":
        """Read a folder written by `to_disk` into this coder (its patterns, cases and settings replace these)."""
        path = Path(path)
        try:
            state = {"cfg": srsly.read_json(path / "cfg"), "patterns": list(srsly.read_jsonl(path / "patterns.jsonl")),
                     "cases": list(srsly.read_jsonl(path / "cases.jsonl")),
                     "codebook": srsly.read_json(path / "codebook.json") if (path / "codebook.json").is_file()
                     else None}
        except (OSError, ValueError) as exc:
            raise CoderError(f"{path}: cannot read the saved rule coder ({exc}); save it again with to_disk") \
                from None
        return self._load_state(state, str(path))

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.json_dumps(self._state()).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "RuleCoder":
        try:
            state = srsly.json_loads(bytes(data).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CoderError(f"saved rule coder: not JSON ({exc}); save it again with to_bytes") from None
        return self._load_state(state, "saved rule coder")

    # --- matching ---

    def __call__(self, doc: Doc) -> Doc:
        """Match, check scope, and set `doc.spans[spans_key]` (kept) and `[spans_key + '_suppressed']`."""
        kept, dropped = [], []
        for span, scope, entry in self._assessed(doc):
            span._.casecode_score = _score(entry, scope)
            span._.casecode_why = scope.why()
            (kept if scope.counts else dropped).append(span)
        doc.spans[self.spans_key] = kept
        doc.spans[self.spans_key + "_suppressed"] = dropped
        return doc

    def _codes(self, doc: Doc, raw: set | None = None):
        """The doc's code matches and exclusions (`_matches`), once it has sentence starts. `raw`: the compiled
        matcher's matches of the doc, when already found with its batch's."""
        _sentences(doc)
        return self._matches(doc, raw)

    def _assessed(self, doc: Doc) -> list[tuple[Span, Scope, _Entry]]:
        codes, traps = self._codes(doc)
        mentions = self._mentions(doc) if self.scope and codes else []  # names matter only around a match
        return [self._assess(doc, start, end, entry, traps, mentions) for (start, end), entry in codes]

    def _assess(self, doc: Doc, start: int, end: int, entry: _Entry, traps: dict, mentions,
                first_reason: bool = False, spoken: Any = _UNREAD) -> tuple:
        """(span, scope, entry) of one code match: its trap, scope checks and action frame. `first_reason`: the
        scope checks stop at the first that suppresses the match (see `assess`). `spoken`: the doc's
        `casecode_spoken`, when the caller has it."""
        span = Span(doc, start, end, label=entry.label, span_id=entry.id)
        trap = _trap(start, end, entry.literal, traps.get(entry.label, []))
        if trap is not None:
            scope = Scope(suppressed=[f"word sense ({trap[1].id}): {doc[trap[0][0]:trap[0][1]].text!r}"])
        elif self.scope:
            scope = assess(span, mentions=mentions(doc) if callable(mentions) else mentions,
                           pattern_negates=entry.negates, first_reason=first_reason)
        else:
            scope = Scope()
        if spoken is _UNREAD and entry.frame and scope.counts:
            spoken = doc._.casecode_spoken
        if entry.frame and scope.counts and spoken is not False and not action_frame(span):
            scope.notes.append("generic word, no action frame")
            scope.factor *= FRAMELESS_FACTOR
        return span, scope, entry

    def _kept(self, doc: Doc, label_end: int, keep: str, raw: set | None = None, marks: tuple | None = None
              ) -> list[tuple[str, str, int, int, float, str]]:
        """What `code` keeps of a doc's matches, as (label, pattern id, start_char, end_char, score, why), with
        no more scope checks than that needs (the compiled engine's path; the reference engine assesses every
        match, as `_assessed` does, and the equality tests hold the two to the same codings).

        A match inside the speaker label is dropped unchecked. With keep="best" a code's matches are checked
        best first by the most they could score (a scope check only lowers a score: factors are at most 1), and
        the rest are skipped once one kept beats what any of them could reach; the ranking (score, length,
        earliest, first found) and the order of the kept ones are `_best`'s. `marks`: the doc's
        (`casecode_cases`, `casecode_spoken`) when the caller has them (else read from the doc)."""
        codes, traps = self._matches(doc, raw)  # its sentence starts already given (code_records, `_sentences`)
        candidates = []  # (number in _matches' order, start, end, entry, start_char, end_char)
        for number, ((start, end), entry) in enumerate(codes):
            start_char = doc[start].idx
            if start_char < label_end:
                continue
            last = doc[end - 1]
            candidates.append((number, start, end, entry, start_char, last.idx + len(last)))
        if not candidates:
            return []
        found: dict[str, list] = {}  # names matter only around a match: looked up once, when first needed
        verdicts: dict[int, tuple[float, str] | None] = {}

        own, spoken = marks if marks is not None else (doc._.casecode_cases, doc._.casecode_spoken)

        def mentions(doc):
            if "mentions" not in found:
                found["mentions"] = self._mentions(doc, own)
            return found["mentions"]

        def verdict(candidate) -> tuple[float, str] | None:
            number, start, end, entry, _, _ = candidate
            if number not in verdicts:
                _, scope, _ = self._assess(doc, start, end, entry, traps, mentions, first_reason=True, spoken=spoken)
                score = _score(entry, scope)
                verdicts[number] = (score, scope.why()) if scope.counts and score >= self.min_score else None
            return verdicts[number]

        def row(candidate, kept):
            _, _, _, entry, start_char, end_char = candidate
            return entry.label, entry.id, start_char, end_char, kept[0], kept[1]

        if keep == "all":
            return [row(c, kept) for c in candidates if (kept := verdict(c)) is not None]
        by_label: dict[str, list] = {}
        for candidate in candidates:
            by_label.setdefault(candidate[3].label, []).append(candidate)
        best = []
        for label, group in by_label.items():
            # the most each could score: the pattern's score before scope checks, then _best's tie-breaks
            bound = {c[0]: (SCORES[min(c[3].words, len(SCORES)) - 1], c[5] - c[4], -c[4], -c[0]) for c in group}
            top, top_rank = None, None
            for candidate in sorted(group, key=lambda c: bound[c[0]], reverse=True):
                if top_rank is not None and top_rank > bound[candidate[0]]:
                    break
                kept = verdict(candidate)
                if kept is not None:
                    rank = (kept[0], candidate[5] - candidate[4], -candidate[4], -candidate[0])
                    if top_rank is None or rank > top_rank:
                        top, top_rank = candidate, rank
            if top is not None:
                best.append((top, verdicts[top[0]]))
        # _best orders by start; codes starting together keep the order in which each was first kept
        starts = [c[4] for c, _ in best]
        if len(set(starts)) < len(starts):
            def first_kept(label: str) -> int:
                return next(c[0] for c in by_label[label] if verdict(c) is not None)

            best.sort(key=lambda item: (item[0][4], first_kept(item[0][3].label)))
        else:
            best.sort(key=lambda item: item[0][4])
        return [row(c, kept) for c, kept in best]

    def _raw_matches(self, doc: Doc, compiled: set | None = None) -> set[tuple[str, int, int]]:
        """Every (pattern key, start, end) that matches, from the engine chosen. `compiled`: the compiled
        matcher's matches of the doc, when already found with its batch's."""
        strings = self.nlp.vocab.strings
        if self.engine != "spacy" and not len(self._fallback):
            return self._compiled(doc) if compiled is None else compiled
        with warnings.catch_warnings():  # W036: a coder may hold only phrases, or only token patterns
            warnings.filterwarnings("ignore", message=r"\[W036")
            if self.engine == "spacy":
                matches = list(self.matcher(doc)) + list(self.phrase_matcher(doc))
                return {(strings[m], s, e) for m, s, e in matches}
            found = self._compiled(doc) if compiled is None else set(compiled)
            found.update((strings[m], s, e) for m, s, e in self._fallback(doc))
        return found

    def _matches(self, doc: Doc, raw: set | None = None):
        """Code matches (only the longest where one pattern's match contains another's of the same code), and
        exclusion matches by code.

        Of two patterns of a code matching the same words, the one requiring more words wins; then a token pattern
        over a phrase; then, of phrases with the same lemmas ("pilot", "piloting"), the one whose own words are the
        text's ("piloting" for "piloting"); then the earlier in the codebook. (spaCy's PhraseMatcher returns such
        phrases in hash-table order, so this is decided here, for both engines.)"""
        found: dict[tuple[str, int, int], _Entry] = {}
        traps: dict[str, list] = {}
        rank = self._rank
        owner: dict[tuple[str, int, int], str] = {}
        for key, start, end in sorted(self._raw_matches(doc, raw), key=lambda m: (m[1], m[2], rank[m[0]])):
            entry = self._entries[key]
            if entry.exclusion:
                traps.setdefault(entry.label, []).append(((start, end), entry))
                continue
            where = (entry.label, start, end)
            old = found.get(where)
            if old is None or entry.words > old.words or entry.words == old.words and owner[where] in \
                    self._surface and self._own_words(key, doc, start, end) and \
                    not self._own_words(owner[where], doc, start, end):
                found[where] = entry
                owner[where] = key
        codes = []
        for (label, start, end), entry in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
            inside = any(other == label and s <= start and end <= e and (s, e) != (start, end)
                         for other, s, e in found)
            if not inside:
                codes.append(((start, end), entry))
        return codes, traps

    def _batch_matches(self, matcher: CompiledMatcher, doc: Doc) -> set:
        """`matcher(doc)`; while `code` works on a batch of docs, found for all of them when first asked for."""
        batch = self._open_batch
        if batch is None:
            return matcher(doc)
        found = self._batch_found.get(id(matcher))
        if found is None:
            found = self._batch_found[id(matcher)] = dict(zip(map(id, batch.docs), matcher.match_batch(batch)))
        return found[id(doc)]

    def _own_words(self, key: str, doc: Doc, start: int, end: int) -> bool:
        """Whether pattern `key` is a phrase whose own words (lower case) are doc[start:end]'s."""
        words = self._surface.get(key)
        return words is not None and words == [t.lower_ for t in doc[start:end]]

    def _mentions(self, doc: Doc, own: Any = _UNREAD) -> list[Mention]:
        if self.engine == "spacy":
            others = sorted({(s, e) for _, s, e in self._others(doc)})
        else:
            others = sorted((s, e) for _, s, e in self._batch_matches(self._others_compiled, doc))
        mentions = [Mention(s, e, doc[s:e].text, True) for s, e in others]
        if own is _UNREAD:
            own = doc._.casecode_cases
        if own is None or not self._alias_cases:  # whose segment this is, is unknown: names prove nothing
            return mentions
        if self.engine == "spacy":
            aliases = {(self.nlp.vocab.strings[m], s, e) for m, s, e in self._aliases(doc)}
        else:
            aliases = self._batch_matches(self._aliases_compiled, doc)
        spans = filter_spans([Span(doc, s, e, label=m) for m, s, e in sorted(aliases, key=lambda a: (a[1], a[2], a[0]))])
        for span in spans:
            cases = self._alias_cases[span.label_]
            mentions.append(Mention(span.start, span.end, span.text, not (cases & set(own))))
        return mentions

    # --- outputs ---

    def explain(self, text: str, cases: Sequence[str] | None = None) -> pd.DataFrame:
        """Every match in `text`, kept or suppressed, with its score and the reasons, so a researcher can see why
        a passage was, or was not, coded. `cases`: the case ids the text belongs to."""
        doc = next(self.nlp.pipe([text], disable=self._rule_components()))
        doc._.casecode_cases = tuple(cases) if cases is not None else None
        rows = []
        for span, scope, entry in self._assessed(doc):
            score = _score(entry, scope)
            weak = scope.counts and score < self.min_score
            why = "; ".join(filter(None, [scope.why(), f"below min_score {self.min_score}" if weak else ""]))
            rows.append({
                "code": span.label_, "pattern": span.id_, "start": span.start_char, "end": span.end_char,
                "text": span.text, "counts": scope.counts and not weak, "score": score, "why": why,
            })
        frame = pd.DataFrame(rows, columns=["code", "pattern", "start", "end", "text", "counts", "score", "why"])
        return frame.astype({"start": "int64", "end": "int64", "counts": bool, "score": "float64"})

    def code(self, segments: pd.DataFrame, *, keep: str = "best", batch_size: int = 64) -> pd.DataFrame:
        """Code the codable segments: codings with offsets into the document text, coder "rules".

        keep="best" gives one coding per (segment, code), the highest-scoring evidence (ties: the longest, then the
        earliest), which is what a reviewer accepts or rejects; keep="all" gives every kept span. Spans scoring
        below `min_score` are left out, and with `case_min_score` a case's weak-only codings of a code too.
        """
        if keep not in ("best", "all"):
            raise CoderError(f"keep={keep!r}; use 'best' (one coding per segment and code) or 'all'")
        rows = codable_segments(segments)
        return codings_frame(self.code_records(_records(rows), "cases" in rows.columns, keep=keep,
                                               batch_size=batch_size))

    def code_records(self, segs: list[dict], has_cases: bool, *, keep: str = "best", batch_size: int = 64,
                     on_batch: Callable[[list[Doc], int], None] | None = None) -> list[dict]:
        """`code` on codable segments given as plain dicts (the columns it reads: segment_id, document_id, start,
        text, and cases, speaker, role where known), its codings as dicts (`codings_frame` makes `code`'s table
        of them); for a caller that has the segments as objects and wants no DataFrame on the way. `on_batch`:
        called with (docs, number of the first one's segment) while each batch of docs the compiled engine
        matches is open (`_columns.open_batch`), so a reader of the same docs shares the batch's columns."""
        if keep not in ("best", "all"):
            raise CoderError(f"keep={keep!r}; use 'best' (one coding per segment and code) or 'all'")
        records: list[dict] = []
        case_of: list[tuple] = []
        # the compiled engine's batches set the sentence starts and lemmas of all their docs at once (`Batch`)
        annotate = self._annotators() if self.engine != "spacy" else None
        # one process (spaCy's default); the docs are kept a while for the learned coder reading the same units
        docs = pipe_shared(self.nlp, (str(seg["text"]) for seg in segs), batch_size=batch_size,
                           disable=self._rule_components() + (list(_ANNOTATORS) if annotate else []))
        try:
            self._code_chunks(docs, segs, has_cases, keep, batch_size, on_batch, annotate, records, case_of)
        except BaseException:
            if annotate:  # docs kept for the next caller may not have their sentences and lemmas yet
                forget_recent(self.nlp)
            raise
        if self.case_min_score is not None:
            records = _strong_cases(records, case_of, self.case_min_score)
        return records

    def _annotators(self) -> tuple | None:
        """(sentencizer, lemmatizer) when this coder's pipeline is the blank one (casecode's own sentencizer and
        lemmatizer, nothing else but rule coders): `code_records` runs the pipeline without them and its batches
        set what they would (`Batch`), for all the batch's docs at once. None for any other pipeline."""
        names = [name for name in self.nlp.pipe_names if name not in self._rule_components()]
        if tuple(names) != _ANNOTATORS:
            return None
        sentencizer, lemmatizer = (self.nlp.get_pipe(name) for name in names)
        if not (callable(getattr(sentencizer, "batch_values", None)) and callable(getattr(lemmatizer, "lemmas", None))
                and getattr(sentencizer, "final_is_punct", False)):
            return None  # not casecode's own components (a factory registered again under their names)
        return sentencizer, lemmatizer

    def _code_chunks(self, docs, segs: list[dict], has_cases: bool, keep: str, batch_size: int, on_batch,
                     annotate: tuple | None, records: list[dict], case_of: list[tuple]) -> None:
        """`code_records`' work on the docs of `segs` (`docs`, from the pipeline, without the components
        `annotate` holds when it is given): their records and cases appended."""
        docs = progress(docs, total=len(segs), desc="coding", unit="unit", min_total=200)
        i = 0
        # the compiled engine matches a batch of docs at once (one pass over their words), then checks each doc;
        # its batches are larger than spaCy's (MATCH_BATCH): a batch's lookups cost about as much for 64 docs as
        # for 512, as most of its distinct words are in every batch
        size = max(1, batch_size) if self.engine == "spacy" else max(batch_size, MATCH_BATCH)
        for chunk in _chunks(docs, size):
            if self.engine == "spacy":
                self._code_docs(chunk, segs, i, has_cases, keep, records, case_of, [None] * len(chunk))
            else:
                with _collector_paused():
                    if annotate:
                        batch = Batch(chunk, annotate)
                    else:
                        for doc in chunk:
                            _sentences(doc)
                        batch = Batch(chunk)
                    open_batch(batch)
                    self._open_batch, self._batch_found = batch, {}
                    try:
                        self._code_docs(chunk, segs, i, has_cases, keep, records, case_of,
                                        self._compiled.match_batch(batch))
                        if on_batch is not None:
                            on_batch(chunk, i)
                    finally:
                        close_batch()
                        self._open_batch, self._batch_found = None, {}
                        del batch
            i += len(chunk)

    def _code_docs(self, docs: list[Doc], segs: list[dict], first: int, has_cases: bool, keep: str,
                   records: list[dict], case_of: list[tuple], raw: list) -> None:
        """`code`'s work on the docs of segments `first`, `first + 1`...: their records and cases appended."""
        compiled_only = not len(self._fallback)  # the matches found for a batch (`raw`) are all the matches
        for i, (doc, found) in enumerate(zip(docs, raw), first):
            if compiled_only and found is not None and not found:
                continue  # no pattern matches the doc (about two docs in five): nothing to check or keep
            seg = segs[i]
            own = segment_cases(seg["cases"]) if has_cases else ()
            # Generic words need an action frame in what someone says (a turn), where they are often just the
            # topic; a written summary with no speaker (a report's case notes) is about the council's actions.
            spoken = bool(str(seg.get("speaker", "") or "").strip()) or seg.get("role") == "respondent"
            if self.engine == "spacy":  # read from the doc by the checks (the compiled engine's are given them)
                ext = doc._
                ext.casecode_cases, ext.casecode_spoken = own or None, spoken
            # A turn's text starts with its speaker label ("Ann Lee (Director of Communities): ..."); words in a
            # name or job title are not evidence of an action, so matches inside the label are dropped.
            label_end = speaker_label_end(str(seg["text"]), seg.get("speaker", ""))
            if self.engine == "spacy":  # the reference: every match assessed, as __call__ and explain do
                spans = []
                for span, scope, entry in self._assessed(doc):
                    score = _score(entry, scope)
                    if scope.counts and span.start_char >= label_end and score >= self.min_score:
                        spans.append((span, score, scope.why()))
                kept = [(s.label_, s.id_, s.start_char, s.end_char, score, why)
                        for s, score, why in (_best(spans) if keep == "best" else spans)]
            else:
                kept = self._kept(doc, label_end, keep, found, (own or None, spoken))
            text = str(seg["text"])  # the doc's text
            for item in kept:
                records.append(self._record(seg, item, text))
                case_of.append(own or (seg["document_id"],))

    @staticmethod
    def _record(seg: dict, kept: tuple, text: str) -> dict:
        label, pattern, start_char, end_char, score, why = kept
        offset = int(seg["start"])
        return {
            "segment_id": seg["segment_id"], "document_id": seg["document_id"], "code": label,
            "start": offset + start_char, "end": offset + end_char, "evidence": text[start_char:end_char],
            "rule": f"{pattern} ({why})" if why else pattern, "pattern": pattern, "score": score,
            "coder": "rules",
        }


@Language.factory(
    "casecode_rules",
    default_config={"spans_key": "casecode", "scope": True, "min_score": MIN_SCORE, "case_min_score": None,
                     "engine": "compiled"},
)
def make_rule_coder(nlp: Language, name: str, spans_key: str, scope: bool, min_score: float,
                    case_min_score: float | None, engine: str) -> RuleCoder:
    """spaCy factory: `nlp.add_pipe("casecode_rules")` gives an empty RuleCoder; add patterns (for example
    `codebook_patterns(codebook)`) or read a saved one with `from_disk`."""
    return RuleCoder(None, nlp, name=name, spans_key=spans_key, scope=scope, min_score=min_score,
                     case_min_score=case_min_score, engine=engine)


_CASE_NAMES = ("name", "members", "aliases")  # what a case's names are read from (see _aliases)


def _plain(value: Any) -> Any:
    """A case field as JSON: text stays text, a list or tuple of names becomes a list, anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return None


def _fraction(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


def _strong_cases(records: list[dict], case_of: list[tuple], threshold: float) -> list[dict]:
    """The records of (case, code) pairs with at least one record scoring `threshold`; a record of a segment in
    several cases stays when any of them is strong."""
    best: dict[tuple, float] = {}
    for record, cases in zip(records, case_of):
        for case in cases:
            key = (case, record["code"])
            best[key] = max(best.get(key, 0.0), record["score"])
    return [r for r, cases in zip(records, case_of)
            if any(best[(case, r["code"])] >= threshold for case in cases)]


_READ = ("segment_id", "document_id", "start", "text", "cases", "speaker", "role")  # the columns `code` reads


def _records(rows: pd.DataFrame) -> list[dict]:
    """The `_READ` columns of `rows` as a plain dict per row (a pandas row per segment costs more than matching
    it, and `to_dict` would convert every column)."""
    keys = [k for k in _READ if k in rows.columns]
    return [dict(zip(keys, values)) for values in zip(*(rows[k].tolist() for k in keys))]


def _sentences(doc: Doc) -> None:
    """Give a doc without sentence starts (no sentencizer or parser ran) one sentence."""
    if len(doc) > 1 and doc[1].is_sent_start is None and not doc.has_annotation("SENT_START"):
        for token in doc:
            token.is_sent_start = token.i == 0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is coded, as it was before after. Coding makes no
    reference cycles to collect, but holds the batch's long word lists, which every collection pass would walk
    (about a tenth of the time at 1M words); the pass after the batch finds them gone."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _score(entry: _Entry, scope: Scope) -> float:
    """Specificity of the pattern times the scope factor; 0 for a suppressed match."""
    return round(SCORES[min(entry.words, len(SCORES)) - 1] * scope.factor, 3) if scope.counts else 0.0


def best_spans(spans: Iterable[Span]) -> list[Span]:
    """One span per label: the highest score, then the longest, then the earliest."""
    best: dict[str, Span] = {}
    for span in spans:
        old = best.get(span.label_)
        rank = (span._.casecode_score or 0.0, len(span.text), -span.start_char)
        if old is None or rank > (old._.casecode_score or 0.0, len(old.text), -old.start_char):
            best[span.label_] = span
    return sorted(best.values(), key=lambda s: s.start_char)


def _best(spans: list[tuple[Span, float, str]]) -> list[tuple[Span, float, str]]:
    """`best_spans` on (span, score, why) triples: one per label, highest score, then longest, then earliest."""
    best: dict[str, tuple[Span, float, str]] = {}
    for item in spans:
        span, score = item[0], item[1]
        old = best.get(span.label_)
        if old is None or (score, len(span.text), -span.start_char) > \
                (old[1], len(old[0].text), -old[0].start_char):
            best[span.label_] = item
    return sorted(best.values(), key=lambda item: item[0].start_char)


def codebook_patterns(codebook: Codebook) -> list[dict]:
    """The codebook's patterns and exclusions as RuleCoder pattern dicts, in codebook order."""
    out = []
    for code in codebook:
        for i, pat in enumerate(code.patterns):
            entry = {"label": code.id, "pattern": pat.pattern, "id": code.pattern_id(i)}
            if pat.frame:
                entry["frame"] = True
            out.append(entry)
        for i, pat in enumerate(code.exclusions):
            out.append({"label": code.id, "pattern": pat.pattern, "id": code.pattern_id(i, True), "exclusion": True})
    return out


def _trap(start: int, end: int, literal: bool, traps: list) -> tuple | None:
    """The exclusion that drops a match: any overlapping one, unless the match is a fixed phrase that contains it
    and is longer, as "not risk averse" contains the trap "risk averse". A pattern with gaps gets no such pass:
    "take [children at] risk" swallowing the trap "at risk" is still the trap."""
    for (s, e), entry in traps:
        if s < end and start < e and not (literal and start <= s and e <= end and end - start > e - s):
            return (s, e), entry
    return None


def _required(pattern: list[dict]) -> list[dict]:
    """Token dicts a match must contain: not optional, not negated, not an empty wildcard."""
    out = []
    for token in pattern:
        op = str(token.get("OP", ""))
        if op in ("?", "*", "!") or op.startswith("{0") or not set(token) - {"OP"}:
            continue
        out.append(token)
    return out


_NEGATING = NEGATORS | NEGATIVE_PREDICATES


def _negates(pattern: Any) -> bool:
    """Whether a pattern (a phrase Doc or a token list) itself contains a negator."""
    if isinstance(pattern, Doc):
        return any(t.lower_ in _NEGATING or t.lemma_ in _NEGATING for t in pattern)
    for token in pattern:
        for key in ("LOWER", "LEMMA", "ORTH", "TEXT", "NORM"):
            value = token.get(key)
            values = value.get("IN", []) if isinstance(value, dict) else [value]
            if any(isinstance(v, str) and v.lower() in _NEGATING for v in values):
                return True
    return False


def _aliases(row: dict) -> list[str]:
    """Names a case goes by: its name, members and aliases, and the parts of an "X and Y" partnership name."""
    names = [row.get("name")]
    for column in ("members", "aliases"):
        value = row.get(column)
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, Iterable):
            names.extend(value)
    parts = [p for n in names if isinstance(n, str) for p in n.split(" and ")]
    return [n.strip() for n in dict.fromkeys([*names, *parts]) if isinstance(n, str) and n.strip()]
