"""Which learned models earn their place in the transcript coder: leave one training set (writer) out.

Run: python bench/ablation_learned_coder.py [--embeddings] [--model-only] [VARIANT ...]
For each variant and each training set, the model is fitted on the other training sets plus the 2015 reference
coding and predicts the held-out set; printed are turn-level micro precision, recall, F1 and council-level kappa over
the eleven chart actions, for the model alone (p >= 0.5) and, unless --model-only, inside the combined coder
(`fit_transcript_coder`: rules + model, blend and council rule tuned by cross-validation over the other writers,
exactly as `casecode code` fits it). Every variant is measured in the same run as the default.
Variants: `word` (LearnedCoder, the default), `word-nomarks` (without scope marks); with --embeddings (needs the
`embeddings` extra; sentence vectors are kept in the casecode cache folder between runs):
  emb        all-MiniLM-L6-v2 turn vectors, one logistic regression per code (class-balanced)
  emb-max    the same on [turn vector, element-wise max over the turn's and its sentences' vectors]
  embcal     turn vectors, logistic regression without class weights, sigmoid-calibrated like the word model
  cat0.25, cat0.5  TF-IDF word features with the turn vector (times 0.25 / 0.5) beside them, one calibrated model
  blend.7, blendcal.7, blendcal.7-max  0.7 x the word model's probability + 0.3 x emb's / embcal's / embcal-max's
  proto      per code, similarity to the positive and the negative centroid, then a two-feature logistic regression
Held-out test sets (tests/data/unseen*) are not read.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator


def embedding_variants() -> dict:
    """The embedding variants (built only when asked: they import the embeddings extra's model lazily)."""
    from scipy import sparse
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from casecode.coders import EmbeddingCoder, LearnedCoder
    from casecode.coders._embed import turn_vectors
    from casecode.coders._learned import _indicator, _positive

    class Concat(LearnedCoder):
        """The word model's TF-IDF features and `weight` x the turn's sentence vector, one model per code."""

        def __init__(self, weight: float = 0.5):
            super().__init__()
            self.weight = weight

        def _features(self, X, fit=False):
            texts = self._texts(X)
            words = self.vectorizer_.fit_transform(texts) if fit else self.vectorizer_.transform(texts)
            return sparse.hstack([words, sparse.csr_matrix(self.weight * turn_vectors(X))]).tocsr()

        def _fit_features(self, X, texts):
            return self._features(list(X), fit=True)

        def predict_proba(self, X):
            features = self._features(list(X))
            return np.column_stack([_positive(e, features) for e in self.estimators_])

    class Blend(BaseEstimator):
        """`weight` x the word model's probability + (1 - weight) x an embedding model's."""

        def __init__(self, weight: float = 0.7, embedding=EmbeddingCoder):
            self.weight, self.embedding = weight, embedding

        def fit(self, X, y):
            X = list(X)
            self.word_, self.embedding_ = LearnedCoder().fit(X, y), self.embedding().fit(X, y)
            self.classes_ = self.word_.classes_
            return self

        def predict_proba(self, X):
            X = list(X)
            return self.weight * self.word_.predict_proba(X) + (1 - self.weight) * self.embedding_.predict_proba(X)

        def code(self, segments, threshold=0.5):
            from casecode.coders._learned import model_codings

            return model_codings(self, segments, threshold=threshold)

        vectorizer_ = property(lambda self: self.word_.vectorizer_)  # top terms come from the word model
        coef_ = property(lambda self: self.word_.coef_)
        _texts = property(lambda self: self.word_._texts)

    class Prototypes(EmbeddingCoder):
        """Per code: cosine similarity to the positive and the negative centroid, then logistic regression."""

        def fit(self, X, y):
            vectors = self._vectors(X)
            Y, classes = _indicator(y, len(vectors))
            self.classes_ = np.asarray(classes, dtype=object)
            self.centroids_, self.estimators_ = [], []
            for j in range(Y.shape[1]):
                column = Y[:, j]
                if column.min() == column.max():
                    self.centroids_.append(np.zeros((2, vectors.shape[1])))
                    self.estimators_.append(DummyClassifier(strategy="prior").fit(vectors[:, :2], column))
                    continue
                centroids = np.vstack([vectors[column == 1].mean(0), vectors[column == 0].mean(0)])
                centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
                self.centroids_.append(centroids)
                self.estimators_.append(LogisticRegression(class_weight="balanced").fit(vectors @ centroids.T, column))
            return self

        def predict_proba(self, X):
            vectors = self._vectors(X)
            return np.column_stack([_positive(e, vectors @ c.T) for e, c in zip(self.estimators_, self.centroids_)])

    calibrated = dict(C=4.0, class_weight=None, calibration="sigmoid")
    return {
        "emb": EmbeddingCoder,
        "emb-max": lambda: EmbeddingCoder(pooling="max"),
        "embcal": lambda: EmbeddingCoder(**calibrated),
        "cat0.25": lambda: Concat(0.25),
        "cat0.5": lambda: Concat(0.5),
        "blend.7": lambda: Blend(0.7),
        "blendcal.7": lambda: Blend(0.7, lambda: EmbeddingCoder(**calibrated)),
        "blendcal.7-max": lambda: Blend(0.7, lambda: EmbeddingCoder(pooling="max", **calibrated)),
        "proto": Prototypes,
    }


def vector_cache(texts: list[str]) -> None:
    """Encode `texts` and their sentences once, keeping the vectors in the casecode cache folder between runs."""
    from casecode.coders import _embed
    from casecode.studies.transcripts import cache_folder

    path = cache_folder() / "bench-minilm-vectors.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as saved:
            _embed._VECTORS.update(zip(map(str, saved["texts"]), saved["vectors"]))
    known, started = len(_embed._VECTORS), time.time()
    _embed.turn_vectors(texts, "max")
    if len(_embed._VECTORS) > known:
        path.parent.mkdir(parents=True, exist_ok=True)
        order = list(_embed._VECTORS)
        np.savez(path, texts=np.array(order, dtype=str), vectors=np.vstack([_embed._VECTORS[t] for t in order]))
    print(f"sentence vectors: {len(_embed._VECTORS) - known} encoded in {time.time() - started:.0f} s, "
          f"{known} from {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", help="variants to measure (default: all); `word` always runs")
    parser.add_argument("--embeddings", action="store_true", help="also measure the sentence-embedding variants")
    parser.add_argument("--model-only", action="store_true", help="skip the combined coder (much faster)")
    args = parser.parse_args()

    from casecode.analysis import evaluate
    from casecode.coders import LearnedCoder, RuleCoder, load_nlp
    from casecode.coders._codings import unit_texts
    from casecode.studies import load_study
    from casecode.studies.transcripts import fit_transcript_coder, shipped_training, training_transcripts

    study = load_study()
    units, gold = training_transcripts()
    variants = {"word": LearnedCoder, "word-nomarks": lambda: LearnedCoder(scope_marks=False)}
    if args.embeddings:
        variants.update(embedding_variants())
        vector_cache(unit_texts(shipped_training(study, units, gold)[0]))
    unknown = [v for v in args.variants if v not in variants]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; use {', '.join(variants)} (embedding ones with --embeddings)")
    names = ["word", *[v for v in args.variants or variants if v != "word"]]
    rules = RuleCoder(study.codebook, load_nlp(None))
    rule_codings = pd.concat([rules.code(units), rules.code(study.scope)], ignore_index=True)
    cases = list(dict.fromkeys(c for cs in units.cases for c in cs))

    def scores(codings: list) -> str:
        ev = evaluate(pd.concat(codings, ignore_index=True), gold, units, study.chart_codes, cases=cases,
                      labels=study.codebook)
        m = ev.micro
        return f"{m['precision']:.3f} {m['recall']:.3f} {m['f1']:.3f} {ev.case_kappa:.3f}"

    print(f"Leaving one of {units.set.nunique()} training sets (writers) out; {len(units)} turns; "
          "P R F1 = turn-level micro, kappa = council level")
    print(f"{'variant':15s} | model alone (p >= 0.5): P R F1 kappa | combined with the rules: P R F1 kappa | time")
    for name in names:
        make_model, started, alone, both = variants[name], time.time(), [], []
        for held_set in dict.fromkeys(units.set):
            held = (units.set == held_set).to_numpy()
            train, test = units[~held], units[held]
            train_gold = gold[gold.segment_id.isin(set(train.segment_id))]
            segments, labels = shipped_training(study, train, train_gold)
            alone.append(make_model().fit(unit_texts(segments), labels).code(test, threshold=0.5))
            if not args.model_only:
                coder = fit_transcript_coder(study, train, train_gold, rules=rules, rule_codings=rule_codings,
                                             make_model=make_model)
                both.append(coder.code(test, rule_codings=rule_codings))
        combined = scores(both) if both else "-"
        print(f"{name:15s} | {scores(alone):34s} | {combined:37s} | {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
