"""The compiled matcher against spaCy's Matcher and PhraseMatcher (the reference implementation): the same matches
for every pattern, and the same codings, on the 2015 corpus, the training and held-out transcripts and a generated
corpus that puts pattern words in random orders with random gaps."""

import random
from pathlib import Path

import pytest

from casecode.codebook import read_codebook
from casecode.coders import RuleCoder, load_nlp
from casecode.coders._compiled import CompiledMatcher

ROOT = Path(__file__).resolve().parents[1]
CODEBOOKS = [ROOT / "codebooks" / "leadership-actions-2015.yaml", ROOT / "codebooks" / "innovation-framework-2016.yaml"]


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture(scope="module")
def coders(nlp):
    """(reference, compiled) rule coders for each shipped codebook."""
    out = []
    for path in CODEBOOKS:
        codebook = read_codebook(path)
        out.append((RuleCoder(codebook, nlp, engine="spacy", min_score=0),
                    RuleCoder(codebook, nlp, engine="compiled", min_score=0)))
    return out


def _texts_2015():
    from casecode.studies.solace2015 import load_study

    return list(load_study().report.segments.text)


def _transcripts(folder_glob: str) -> list[str]:
    from casecode.corpus import read_documents

    docs = read_documents(sorted(ROOT.glob(folder_glob)))
    return [seg.text for doc in docs for seg in doc.segments]


def _generated(coder: RuleCoder, n: int = 400, seed: int = 14) -> list[str]:
    """Texts made of the codebook's own pattern words (phrases, token values, negators) in random order, with
    random filler between them, so gaps, optional tokens and overlaps are exercised far more than in prose."""
    rng = random.Random(seed)
    words: list[str] = []
    for entry in coder.patterns:
        pattern = entry["pattern"]
        if isinstance(pattern, str):
            words.extend(pattern.split())
            continue
        for token in pattern:
            for key, value in token.items():
                values = value.get("IN", []) if isinstance(value, dict) else [value]
                words.extend(v for v in values if isinstance(v, str) and key != "OP")
    words = sorted(set(words))
    filler = ["the", "we", "it", "really", "and", "a", "of", "our", ",", ".", "not", "Wigan", "other", "councils"]
    texts = []
    for _ in range(n):
        tokens = [rng.choice(words) if rng.random() < 0.6 else rng.choice(filler) for _ in range(rng.randint(3, 40))]
        if rng.random() < 0.3:
            tokens[0] = tokens[0].capitalize()
        texts.append(" ".join(tokens))
    return texts


def _raw(coder: RuleCoder, doc) -> set:
    return coder._raw_matches(doc)


@pytest.mark.parametrize("corpus", ["2015", "training", "heldout", "generated"])
def test_compiled_matches_equal_spacy_matcher(nlp, coders, corpus):
    """Pattern-level contract: every (pattern, start, end) of spaCy's matchers, and no other."""
    for reference, compiled in coders:
        if corpus == "2015":
            texts = _texts_2015()
        elif corpus == "training":
            texts = _transcripts("corpus/training-transcripts/set*/*.txt")
        elif corpus == "heldout":
            texts = _transcripts("tests/data/unseen*/*.txt")
        else:
            texts = _generated(reference)
        assert len(texts) > 100
        matched = 0
        for doc in nlp.pipe(texts):
            expected = _raw(reference, doc)
            assert _raw(compiled, doc) == expected, doc.text[:200]
            # the other-council and case-name matchers behind the scope checks, too
            matched += len(expected)
        assert matched > 100  # the corpus exercises the patterns


def test_compiled_codings_equal_reference(coders):
    """Codings (keep every span, min_score 0) are identical on the 2015 scope, training and held-out units."""
    from casecode.studies.solace2015 import load_study
    from casecode.studies.transcripts import training_transcripts, transcript_units

    study = load_study()
    reference, compiled = [RuleCoder(study.codebook, c.nlp, engine=e, min_score=0, cases=study.cases)
                           for c, e in ((coders[0][0], "spacy"), (coders[0][1], "compiled"))]
    units, _ = training_transcripts()
    corpora = [study.scope, units] + [transcript_units(ROOT / "tests" / "data" / f)[0]
                                     for f in ("unseen", "unseen2", "unseen3")]
    for segments in corpora:
        expected = reference.code(segments, keep="all")
        assert len(expected) > 50
        assert compiled.code(segments, keep="all").equals(expected)
    mentions = [(reference._mentions(d), compiled._mentions(d)) for d in reference.nlp.pipe(study.scope.text)]
    for want, got in mentions:
        assert got == want


def test_compiled_matcher_semantics(nlp):
    """Quantifiers, gaps before the anchor, negated tokens, flags and phrases, against spaCy on small cases."""
    from spacy.matcher import Matcher, PhraseMatcher

    patterns = {
        "gap": [{"LEMMA": "listen"}, {"OP": "{0,3}"}, {"LOWER": "staff"}],
        "lead-opt": [{"LOWER": "very", "OP": "?"}, {"LOWER": {"IN": ["bold", "brave"]}}],
        "plus": [{"LOWER": "so", "OP": "+"}, {"LOWER": "good"}],
        "star-mid": [{"LOWER": "we"}, {"IS_PUNCT": False, "OP": "*"}, {"LEMMA": "fund"}],
        "not": [{"LOWER": "new"}, {"LOWER": "idea", "OP": "!"}],
        "title": [{"IS_TITLE": True}, {"ORTH": ","}, {"LOWER": "next"}],
        "sent": [{"IS_SENT_START": True, "LOWER": "we"}, {"LOWER": "did"}],
        "tail-opt": [{"LOWER": "try"}, {"LOWER": "things", "OP": "?"}, {"LOWER": "out", "OP": "{0,2}"}],
    }
    texts = ["We listen to our own staff. Very bold and brave.", "so so so good, we did. We did it, we funded it",
             "new idea, new thing. Wigan, next door. try things out out out", "we , , fund. We really do fund"]
    compiled = CompiledMatcher(nlp.vocab, nlp.Defaults.stop_words)
    matcher = Matcher(nlp.vocab)
    for key, pattern in patterns.items():
        assert compiled.add_tokens(key, pattern)
        matcher.add(key, [pattern])
    phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
    phrase_doc = nlp("take risks")
    phrases.add("phrase", [phrase_doc])
    compiled.add_phrase("phrase", "LEMMA", [t.lemma_ for t in phrase_doc])
    for doc in nlp.pipe(texts + ["We took risks and take a risk"]):
        want = {(nlp.vocab.strings[m], s, e) for m, s, e in list(matcher(doc)) + list(phrases(doc))}
        assert compiled(doc) == want


def test_compiled_declines_what_it_cannot_compile(nlp):
    """REGEX and comparison predicates are left to spaCy's Matcher: add_tokens says so and adds nothing."""
    compiled = CompiledMatcher(nlp.vocab)
    assert not compiled.add_tokens("regex", [{"TEXT": {"REGEX": "^inno"}}])
    assert not compiled.add_tokens("length", [{"LENGTH": {">=": 5}}])
    assert len(compiled) == 0
    coder = RuleCoder(None, nlp)
    coder.add_patterns([{"label": "x", "pattern": [{"TEXT": {"REGEX": "^[Ii]nnovat"}}], "id": "x:regex"}])
    assert len(coder._fallback) == 1
    assert list(coder.explain("We innovate").code) == ["x"]


def test_engine_is_checked(nlp):
    from casecode.errors import CoderError

    with pytest.raises(CoderError, match="engine='fast'"):
        RuleCoder(None, nlp, engine="fast")


def test_compiled_best_codings_equal_reference(coders):
    """`code`'s default (one coding per unit and code, min_score and case_min_score applied) takes a shorter way
    with the compiled engine: matches in a speaker label and matches that cannot beat a kept one are not checked
    for scope. Its codings, their order and their reasons are the reference engine's, which checks every match."""
    from casecode.studies.solace2015 import load_study
    from casecode.studies.transcripts import training_transcripts, transcript_units

    study = load_study()
    units, _ = training_transcripts()
    corpora = [study.scope, units] + [transcript_units(ROOT / "tests" / "data" / f)[0]
                                     for f in ("unseen", "unseen2", "unseen3")]
    nlp = coders[0][0].nlp
    for settings in ({}, {"case_min_score": 0.6}, {"min_score": 0.6}, {"scope": False}):
        reference, compiled = [RuleCoder(study.codebook, nlp, engine=e, cases=study.cases, **settings)
                               for e in ("spacy", "compiled")]
        for segments in corpora:
            expected = reference.code(segments)
            assert len(expected) > 20
            assert compiled.code(segments).equals(expected), settings


def test_compiled_best_codings_equal_reference_on_generated_units(coders):
    """The same on generated units with a speaker label, where many matches of a code share a unit (so the
    best-first order and the ties between codes starting at one character are exercised)."""
    import pandas as pd

    for reference, compiled in coders:
        texts = _generated(reference, n=300, seed=5)
        labels = ["Ann Lee (Head of Partnerships and Culture): ", "", "Interviewer: "]
        segments = pd.DataFrame({
            "segment_id": [f"s{i}" for i in range(len(texts))], "document_id": "d", "start": 0,
            "text": [labels[i % 3] + t for i, t in enumerate(texts)],
            "speaker": [["Ann Lee", "", "Interviewer"][i % 3] for i in range(len(texts))],
        })
        for min_score in (0.4, 0.0):
            reference.min_score = compiled.min_score = min_score
            expected = reference.code(segments)
            assert len(expected) > 100
            assert compiled.code(segments).equals(expected)
            assert compiled.code(segments, keep="all").equals(reference.code(segments, keep="all"))
        reference.min_score = compiled.min_score = 0


def test_pipeline_components_equal_spacys(nlp):
    """casecode's sentencizer and lemmatizer give spaCy's `sentencizer` sentences and `lemmatizer` (lookup) +
    `casecode_lower_lemma` lemmas, on the training transcripts and edge cases."""
    import spacy

    reference = spacy.blank("en")
    reference.add_pipe("sentencizer")
    reference.add_pipe("lemmatizer", config={"mode": "lookup"})
    reference.add_pipe("casecode_lower_lemma")
    reference.initialize()
    texts = _transcripts("corpus/training-transcripts/set*/*.txt") + [
        "", ".", "...", "Hi", "Hello. ", "! ? Yes!! (yes.) \"Quoted.\" Next one", "a . . b", "Mr. Smith went. Then?",
        "Partners’ developing we’re PUTTING it.", "?!", "Done.\n\nNew paragraph", "No. 10 Downing St.",
    ]
    sentences = lambda doc: [t.is_sent_start for t in doc]
    lemmas = lambda doc: [t.lemma_ for t in doc]
    for want, got in zip(reference.pipe(texts), nlp.pipe(texts)):
        assert sentences(got) == sentences(want), want.text[:100]
        assert lemmas(got) == lemmas(want), want.text[:100]
    # starts set before the sentencizer runs are kept, as spaCy's sentencizer keeps them
    for starts in ([None, False, None, True, None], [True, None, None, False, None], [None, None, None, None, True]):
        docs = [pipe.make_doc("One two. Three four") for pipe in (reference, nlp)]
        for doc in docs:
            for token, start in zip(doc, starts):
                if start is not None:
                    token.is_sent_start = start
        want = reference.get_pipe("sentencizer")(docs[0])
        assert sentences(nlp.get_pipe("casecode_sentencizer")(docs[1])) == sentences(want)


def test_sentencizer_rule_with_and_without_the_punctuation_shortcut(nlp):
    """The sentencizer looks only at punctuation positions when every sentence-final character is punctuation
    (as in English); its rule gives the same starts as looking at every position, which it does otherwise."""
    sentencizer = nlp.get_pipe("casecode_sentencizer")
    assert sentencizer.final_is_punct
    texts = _transcripts("corpus/training-transcripts/set[1-3]/*.txt")[:200] + [
        "a . . b", "?!", "! ? Yes!! (yes.) \"Quoted.\" Next one", "Done.\n\nNew", "x", "Mr. Smith went. Then?"]
    for doc in nlp.pipe(texts):
        orths, puncts = [t.orth for t in doc], [int(t.is_punct) for t in doc]
        fast = sentencizer.start_values(orths, puncts) if len(doc) else []
        sentencizer.final_is_punct = False
        try:
            slow = sentencizer.start_values(orths, puncts) if len(doc) else []
        finally:
            sentencizer.final_is_punct = True
        assert fast == slow == [1 if t.is_sent_start else -1 for t in doc], doc.text[:100]


def test_batch_sets_the_sentences_and_lemmas_the_pipeline_sets(nlp):
    """A batch given casecode's sentencizer and lemmatizer (as the rule coder's batches are: the pipeline runs
    without them) sets every doc's sentence starts and lemmas as the two components would, doc by doc, and its
    columns are those of the pipeline's docs: docs of every length (empty ones too) at the batch's edges, a doc
    in the batch twice, and starts set by hand before (kept, as the sentencizer keeps them)."""
    from spacy.attrs import IDS

    from casecode.coders import _columns

    names = ("casecode_sentencizer", "casecode_lemmatizer")
    annotate = tuple(nlp.get_pipe(name) for name in names)
    texts = _transcripts("corpus/training-transcripts/set[6-9]/*.txt")[:300] + [
        "", ".", "...", "Hi", "Hello. ", "! ? Yes!! (yes.) \"Quoted.\" Next one", "a . . b", "?!", ". Hello",
        "Mr. Smith went. Then?", "Partners’ developing we’re PUTTING it.", "Done.\n\nNew paragraph", "“Yes.” ok", ""]
    attrs = [IDS[a] for a in ("ORTH", "LEMMA", "SENT_START", "SPACY")]
    for size in (1, 7, 64, 512):
        for i in range(0, len(texts), size):
            chunk = texts[i:i + size]
            want = list(nlp.pipe(chunk))
            got = list(nlp.pipe(chunk, disable=list(names)))
            assert not any(doc.has_annotation("SENT_START") for doc in got if len(doc) > 1)
            batch = _columns.Batch(got + got[:1], annotate)
            for a, b in zip(want, got):
                assert (a.to_array(attrs) == b.to_array(attrs)).all(), a.text[:100]
                assert [s.start for s in a.sents] == [s.start for s in b.sents] if len(a) else True
            reference = _columns.Batch(want + want[:1])
            for attr in ("ORTH", "LEMMA", "SENT_START", "SPACY", "LOWER", "IS_PUNCT"):
                assert batch.column(attr) == reference.column(attr), attr
    for starts in ([None, False, None, True, None], [True, None, None, False, None], [False, None, None, None, True]):
        docs = [nlp.make_doc("One two. Three four") for _ in range(2)]
        for doc in docs:
            for token, start in zip(doc, starts):
                if start is not None:
                    token.is_sent_start = start
        want = annotate[1](annotate[0](docs[0]))
        _columns.Batch([docs[1]], annotate)
        assert (want.to_array(attrs) == docs[1].to_array(attrs)).all()


def test_rule_coder_finishes_the_docs_it_keeps(nlp, coders):
    """The rule coder runs the blank pipeline without its sentencizer and lemmatizer and its batches set what they
    would: the docs it keeps for the learned coder have them, and when coding stops part way, the docs it kept
    are dropped (some would have neither)."""
    from casecode.coders._nlp import recent_doc

    _, compiled = coders[0]
    assert compiled._annotators() is not None
    texts = _transcripts("corpus/training-transcripts/set10/*.txt")[:700]
    segs = [{"segment_id": f"s{i}", "document_id": "d", "start": 0, "text": t} for i, t in enumerate(texts)]
    compiled.code_records(segs, False)
    kept = recent_doc(nlp, texts[-1])
    assert kept is not None
    assert [t.lemma_ for t in kept] == [t.lemma_ for t in nlp(texts[-1])]
    assert [t.is_sent_start for t in kept] == [t.is_sent_start for t in nlp(texts[-1])]
    other = [{**seg, "text": seg["text"] + " And more."} for seg in segs]

    def stop(docs, first):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compiled.code_records(other, False, on_batch=stop)
    assert recent_doc(nlp, other[0]["text"]) is None and recent_doc(nlp, texts[-1]) is None


def test_batch_matches_equal_one_doc_at_a_time(nlp, coders):
    """`match_batch` over docs read end to end (as `code` matches them) gives each doc the matches the matcher
    gives it alone and spaCy's matchers give it, with docs of every length (empty ones too) at the batch's edges;
    and a doc's columns while its batch is open are those it has alone."""
    from casecode.coders import _columns

    texts = _transcripts("corpus/training-transcripts/set[2-5]/*.txt")[:300] + _generated(coders[0][0], n=200, seed=9)
    assert len(texts) == 500
    texts = ["", "we", ""] + texts + ["Wigan, next door.", ""]
    docs = list(nlp.pipe(texts))
    for reference, compiled in coders:
        for size in (1, 7, 64):
            for i in range(0, len(docs), size):
                chunk = docs[i:i + size]
                batch = _columns.Batch(chunk)
                got = compiled._compiled.match_batch(batch)
                for doc, found in zip(chunk, got):
                    assert found == compiled._compiled(doc), doc.text[:200]
                    assert compiled._raw_matches(doc, found) == _raw(reference, doc), doc.text[:200]
    batch = _columns.Batch(docs[:40])
    _columns.open_batch(batch)
    try:
        shared = [(_columns.token_columns(d).column("LOWER"), _columns.token_columns(d).column("SHAPE")) for d in docs[:40]]
    finally:
        _columns.close_batch()
    assert shared == [(_columns.Columns(d).column("LOWER"), _columns.Columns(d).column("SHAPE")) for d in docs[:40]]


def test_scope_sentence_equals_spacys(nlp):
    """The scope checks' `sentence` and `sentence_bounds` find the sentence spaCy's `Span.sent` and `Token.sent`
    find, for every token of docs with sentence starts from the sentencizer, set by hand, or only on the first
    token; a doc with no sentence starts gets spaCy's own error."""
    from casecode.coders.scope._clauses import sentence, sentence_bounds

    texts = _transcripts("corpus/training-transcripts/set1*/*.txt")[:150] + ["One. Two? Three!", "x", "No end"]
    assert len(texts) > 150
    docs = list(nlp.pipe(texts))
    hand = nlp.make_doc("a b c d e f")
    for i, start in enumerate([True, False, True, None, True, False]):
        hand[i].is_sent_start = start
    docs.append(hand)
    for doc in docs:
        for i in range(len(doc)):
            want = doc[i:i + 2].sent
            got = sentence(doc[i:i + 2])
            assert (got.start, got.end) == (want.start, want.end)
            assert sentence_bounds(doc, i) == (doc[i].sent.start, doc[i].sent.end)
    for first in (None, True):  # a new doc's first token may hold a start: spaCy does not count it
        bare = nlp.make_doc("no sentence starts here")
        bare[0].is_sent_start = first
        with pytest.raises(ValueError):
            doc_sent = bare[1:2].sent  # noqa: F841  (spaCy's error, which `sentence` gives too)
        with pytest.raises(ValueError):
            sentence(bare[1:2])


def test_codings_equal_reference_without_a_sentencizer():
    """A pipeline with no sentencizer: `code` makes each unit one sentence before it matches a batch, so the
    compiled engine's codings are still the reference engine's."""
    import pandas as pd
    import spacy

    plain = spacy.blank("en")
    plain.add_pipe("casecode_lemmatizer")
    codebook = read_codebook(CODEBOOKS[0])
    texts = _transcripts("corpus/training-transcripts/set[2-5]/*.txt")[:200]
    segments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(texts))], "document_id": "d", "start": 0,
                             "text": texts})
    expected = RuleCoder(codebook, plain, engine="spacy").code(segments)
    assert len(expected) > 20
    assert RuleCoder(codebook, plain, engine="compiled").code(segments).equals(expected)


def test_compiled_index_uses_least_frequent_word(nlp):
    """Patterns are indexed by their least frequent required word (by the shipped English word ranks), so common
    words such as "have" or "," are not looked up at every position; the matches stay spaCy's."""
    from spacy.matcher import Matcher

    compiled = CompiledMatcher(nlp.vocab, nlp.Defaults.stop_words)
    pattern = [{"LEMMA": "have"}, {"LOWER": "a"}, {"LOWER": "go"}, {"LOWER": "at"}]
    comma = [{"IS_TITLE": True}, {"ORTH": ","}, {"LOWER": {"IN": ["next", "over"]}}, {"LOWER": "door"}]
    assert compiled.add_tokens("go", pattern) and compiled.add_tokens("door", comma)
    anchored = {nlp.vocab.strings[h] for by_value in compiled._anchors.values() for h in by_value}
    assert anchored == {"go", "door"}
    compiled.add_phrase("else", "LOWER", ["and", "nothing", "else"])
    assert [nlp.vocab.strings[h] for h in compiled._phrases["LOWER"]] == ["else"]
    reference = Matcher(nlp.vocab)
    reference.add("go", [pattern])
    reference.add("door", [comma])
    doc = nlp("We have a go at it. Wigan, next door, and nothing else. We had a go at things.")
    want = {(nlp.vocab.strings[m], s, e) for m, s, e in reference(doc)} | {("else", 12, 15)}
    assert compiled(doc) == want and len(want) == 4


def test_scope_word_lists_of_a_batch_equal_a_docs_alone(nlp):
    """In an open batch the scope checks read sentence starts and phrase hits worked out once for all its docs
    (`Batch.starts_of`, `_batch_starts`): the same as each doc's own, for docs of every length at the batch's
    edges, and a doc with no sentence starts in a batch still gets spaCy's error."""
    from casecode.coders import _columns
    from casecode.coders.scope import _clauses
    from casecode.coders.scope._clauses import _all_hits, _info, _LISTS, sentence_bounds

    texts = ["", "x"] + _transcripts("corpus/training-transcripts/set[6-8]/*.txt")[:120] + ["One. Two? Three!", ""]
    segments = [{"segment_id": str(i), "document_id": "d", "start": 0, "text": t} for i, t in enumerate(texts)]
    assert RuleCoder(read_codebook(CODEBOOKS[0]), nlp).code_records(segments, False)  # the checks' phrase lists
    lists = list(_LISTS)
    assert len(lists) > 5
    alone = list(nlp.pipe(texts))
    def read(doc):  # sentence bounds of every word, and hits of every list (as lists: none may be a shared tuple)
        return [sentence_bounds(doc, k) for k in range(len(doc))], \
            [(list(starts), list(spans)) for starts, spans in (_all_hits(doc, p) for p in lists)]

    want = [read(doc) for doc in alone]
    docs = list(nlp.pipe(texts))
    bare = nlp.make_doc("no sentence starts here")
    batch = _columns.Batch(docs + [bare])
    _columns.open_batch(batch)
    try:
        got = [read(doc) for doc in docs]
        assert _clauses._STARTS in batch.shared and _clauses._HITS in batch.shared
        with pytest.raises(ValueError):
            sentence_bounds(bare, 1)
    finally:
        _columns.close_batch()
    assert got == want
    assert sum(len(starts) for _, hits in got for starts, _ in hits) > 40
    assert batch.starts_of("SENT_START", 1) == [i for i, v in enumerate(batch.column("SENT_START")) if v == 1]
    assert _info(docs[5]).lower == _info(alone[5]).lower


def test_scope_cue_positions_of_batches_equal_a_docs_own(nlp, monkeypatch):
    """The scope checks' one-word cues found for a whole batch, each word's answer kept from batch to batch (and
    the kept answers cleared when there are too many, even between two batches in use), are each doc's own."""
    from importlib import import_module

    from casecode.coders import _columns

    _clauses, _time, _titles, _wish = (import_module(f"casecode.coders.scope.{name}")
                                       for name in ("_clauses", "_time", "_titles", "_wish"))
    finders = [_clauses._may_open_at, _time._continuity_at, _time._stop_words_at, _time._first_person_at,
               _titles._tails_at, _wish._more_at, _wish._colons_at]
    texts = ["", "x"] + _transcripts("corpus/training-transcripts/set1[1-4]/*.txt")[:400] + ["We’d stopped: since.", ""]
    want = [[finder(_clauses._info(doc)) for finder in finders] for doc in nlp.pipe(texts)]
    docs = list(nlp.pipe(texts))

    def cues(batch, number):
        _columns.open_batch(batch)
        try:
            return [_clauses.within(_clauses._info(doc), finders[number], 0, len(doc)) for doc in batch.docs]
        finally:
            _columns.close_batch()

    for kept in (_clauses._WORDS_KEPT, 3000, 10):
        monkeypatch.setattr(_clauses, "_WORDS_KEPT", kept)
        batches = [(i, _columns.Batch(docs[i:i + 64])) for i in range(0, len(docs), 64)]
        for number in range(len(finders)):
            for i, batch in batches:  # each batch asked again after the others: answers kept, or cleared since
                assert cues(batch, number) == [w[number] for w in want[i:i + 64]], (kept, number, i)
    assert _clauses._CLEARED[0] > 0
    assert sum(len(w[1]) + len(w[0]) for w in want) > 100


def test_scope_checks_stop_at_the_first_reason(nlp):
    """`assess(first_reason=True)` (the compiled engine's `code`) stops at the first check that suppresses a match:
    the same verdict, score and remarks for every match of many transcripts, and one reason where every check
    would give two."""
    from casecode.coders.scope import assess

    coder = RuleCoder(read_codebook(CODEBOOKS[0]), nlp)
    texts = _transcripts("corpus/training-transcripts/set1[0-5]/*.txt")[:300]
    texts.append("We never used to run leadership programmes in those days.")
    checked = stopped = 0
    for doc in nlp.pipe(texts):
        codes, _ = coder._codes(doc)
        for (start, end), entry in codes:
            whole = assess(doc[start:end], pattern_negates=entry.negates)
            first = assess(doc[start:end], pattern_negates=entry.negates, first_reason=True)
            assert first.counts == whole.counts and first.suppressed == whole.suppressed[:len(first.suppressed)]
            if whole.counts:
                assert (first.notes, first.factor) == (whole.notes, whole.factor)
            checked += 1
            stopped += len(first.suppressed) < len(whole.suppressed)
    assert checked > 200 and stopped >= 1
