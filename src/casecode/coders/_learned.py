"""The learned coder: TF-IDF words and word pairs, one logistic regression per code, calibrated where data allows.

It follows scikit-learn's estimator contract (`__init__` only stores its arguments, `fit` returns self, learned
state ends in `_`, predicting starts with `check_is_fitted`), so `clone`, grid search and cross-validation work.
X is an iterable of texts; y a 0/1 indicator matrix (DataFrame columns = code ids) or a list of label lists.

Probabilities: a code with at least `cv` positive and `cv` negative examples is calibrated with
CalibratedClassifierCV (`calibration`, `cv` folds); a code with fewer keeps the logistic regression's own
probabilities (`calibrated_` says which), and a code never or always present predicts its training rate.

Lemmatized texts are cached per (pipeline, text) for the process, so refitting on the same texts (cross-fitting,
threshold tuning) runs spaCy once; the default `liblinear` solver fits these small, sparse problems several times
faster than `lbfgs`. Fitting runs with single-threaded BLAS: on problems this small, BLAS threads only spin against
each other (sigmoid calibration was ten times slower on a busy two-core machine).
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..errors import CoderError
from ._codings import codable_segments, codings_frame, unit_texts
from .scope import scope_marks
from .scope._marks import parts_marks
from ._nlp import DEFAULT_PIPELINE, load_nlp, pipe_shared, recent_doc
from ._persist import FrozenBatch, FrozenProbability, pack, read_bytes, unpack, write_bytes
from ._tfidf import prepare as prepare_tfidf, tfidf_transform

# (pipeline name, marks, text) -> lower-case lemmas joined by spaces. Lemmas depend on nothing else, so the cache is
# never stale; it is dropped whole when it grows past _CACHE_LIMIT texts, which a long session could otherwise reach.
_LEMMAS: dict[tuple[str, bool, str], str] = {}
_CACHE_LIMIT = 200_000


class SavedModel:
    """What casecode's scikit-learn coders share: codings out, and saving as plain data (`casecode.coders._persist`:
    JSON and NumPy arrays, never pickle) for the project store and the model cache."""

    _kinds: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        SavedModel._kinds[cls.__name__] = cls

    def code(self, segments: pd.DataFrame, *, threshold: float | None = None) -> pd.DataFrame:
        """Codings for the codable segments: see `model_codings`."""
        return model_codings(self, segments, threshold=threshold)

    def to_bytes(self) -> bytes:
        """The fitted model as bytes that cannot run code when read; read back with `from_bytes`."""
        return pack(*self.state())

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "saved model", **fix):
        """A model saved by `to_bytes`; the old pickle format is refused with a one-line error, never unpickled."""
        return cls.from_state(*unpack(data, where, **fix), where=where)

    def to_disk(self, path: str | Path) -> Path:
        """Write `to_bytes()` to `path` (whole or not at all)."""
        return write_bytes(path, self.to_bytes())

    @classmethod
    def from_disk(cls, path: str | Path):
        return cls.from_bytes(read_bytes(path), where=str(path))

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON header, arrays) of the fitted model."""
        check_is_fitted(self)
        header = {"coder": type(self).__name__, "params": _jsonable(self.get_params()),
                  "classes": [c.item() if hasattr(c, "item") else c for c in self.classes_], "estimators": []}
        arrays: dict[str, np.ndarray] = {}
        for j, estimator in enumerate(self.estimators_):
            info, more = FrozenProbability.of(estimator).arrays(f"code{j}")
            header["estimators"].append(info)
            arrays.update(more)
        if hasattr(self, "vectorizer_"):
            vocabulary = sorted(self.vectorizer_.vocabulary_, key=self.vectorizer_.vocabulary_.get)
            header["vocabulary"] = vocabulary
            arrays.update(idf=self.vectorizer_.idf_, coef=self.coef_, calibrated=self.calibrated_)
        return header, arrays

    @classmethod
    def from_state(cls, header: dict, arrays: dict, where: str = "saved model"):
        kind = SavedModel._kinds.get(str(header.get("coder")))
        if kind is None or not issubclass(kind, cls):
            raise CoderError(f"{where} holds a {header.get('coder')}, not a {cls.__name__}; retrain the model")
        try:
            model = kind(**_from_jsonable(header["params"]))
            model.classes_ = np.asarray(header["classes"], dtype=object)
            model.estimators_ = [FrozenProbability.from_arrays(info, arrays, f"code{j}")
                                 for j, info in enumerate(header["estimators"])]
            if "vocabulary" in header:
                model.vectorizer_ = _vectorizer(model, header["vocabulary"], arrays["idf"])
                prepare_tfidf(model.vectorizer_)  # its lookup tables built with the rest of the model
                model.coef_, model.calibrated_ = arrays["coef"], arrays["calibrated"].astype(bool)
        except (KeyError, TypeError, ValueError) as exc:
            raise CoderError(f"{where} is incomplete ({type(exc).__name__}: {exc}); retrain the model") from None
        if len(model.estimators_) != len(model.classes_):
            raise CoderError(f"{where} has {len(model.estimators_)} estimators for {len(model.classes_)} codes; "
                             "retrain the model")
        return model


def _vectorizer(model, vocabulary: list[str], idf: np.ndarray) -> TfidfVectorizer:
    """A fitted TfidfVectorizer from its vocabulary (terms in column order) and idf weights."""
    vectorizer = TfidfVectorizer(min_df=model.min_df, ngram_range=tuple(model.ngram_range), sublinear_tf=True)
    vectorizer.vocabulary_ = {str(term): i for i, term in enumerate(vocabulary)}
    vectorizer.idf_ = np.asarray(idf, dtype=float)
    return vectorizer


def _jsonable(params: dict) -> dict:
    """scikit-learn parameters as JSON values: tuples as lists, dicts as [key, value] pairs (keys keep type)."""
    def one(value):
        if isinstance(value, tuple):
            return {"tuple": [one(v) for v in value]}
        if isinstance(value, dict):
            return {"dict": [[one(k), one(v)] for k, v in value.items()]}
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise CoderError(f"parameter value {value!r} cannot be saved; use numbers, strings, tuples or dicts")
    return {name: one(value) for name, value in params.items()}


def _from_jsonable(params: dict) -> dict:
    def one(value):
        if isinstance(value, dict) and set(value) == {"tuple"}:
            return tuple(one(v) for v in value["tuple"])
        if isinstance(value, dict) and set(value) == {"dict"}:
            return {one(k): one(v) for k, v in value["dict"]}
        return value
    return {str(name): one(value) for name, value in params.items()}


class LearnedCoder(SavedModel, ClassifierMixin, BaseEstimator):
    """A multi-label text classifier for codes; `predict_proba` gives one probability per code."""

    def __init__(
        self,
        *,
        lemmatize: bool = True,
        scope_marks: bool = True,
        pipeline: str | None = None,
        min_df: int | float = 1,
        ngram_range: tuple[int, int] = (1, 2),
        C: float = 4.0,
        class_weight: str | dict | None = "balanced",
        calibration: str | None = "sigmoid",
        cv: int = 3,
        threshold: float = 0.5,
        max_iter: int = 1000,
        solver: str = "liblinear",
    ):
        self.lemmatize = lemmatize
        self.scope_marks = scope_marks
        self.pipeline = pipeline
        self.min_df = min_df
        self.ngram_range = ngram_range
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.threshold = threshold
        self.max_iter = max_iter
        self.solver = solver

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # X is text: the numeric estimator checks do not apply
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        tags.target_tags.two_d_labels = True
        return tags

    # --- fitting ---

    def fit(self, X: Iterable[str], y) -> "LearnedCoder":
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X, y)

    def _fit(self, X: Iterable[str], y) -> "LearnedCoder":
        X = X if isinstance(X, str) else list(X)  # read once here, and again by a variant's _fit_features
        texts = self._texts(X)
        Y, classes = _indicator(y, len(texts))
        self.vectorizer_ = TfidfVectorizer(min_df=self.min_df, ngram_range=tuple(self.ngram_range), sublinear_tf=True)
        features = self._fit_features(X, texts)
        self.classes_ = np.asarray(classes, dtype=object)
        self.estimators_, self.calibrated_ = [], np.zeros(len(classes), dtype=bool)
        self.coef_ = np.zeros((len(classes), features.shape[1]))
        for j in range(Y.shape[1]):
            estimator, coef, calibrated = self._fit_one(features, Y[:, j])
            self.estimators_.append(FrozenProbability.of(estimator))  # the form it is saved in, so saved == fitted
            self.coef_[j] = coef
            self.calibrated_[j] = calibrated
        return self

    def _fit_features(self, X, texts: list[str]):
        """The training matrix, fitting `vectorizer_` on `texts` (`X` as given; variants with other features
        override this alone)."""
        return self.vectorizer_.fit_transform(texts)

    def _logistic(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                  solver=self.solver)

    def _fit_one(self, features, y: np.ndarray):
        positives = int(y.sum())
        negatives = len(y) - positives
        if positives == 0 or negatives == 0:  # nothing to separate: predict the training rate
            return DummyClassifier(strategy="prior").fit(features, y), np.zeros(features.shape[1]), False
        logistic = self._logistic().fit(features, y)
        if self.calibration and min(positives, negatives) >= self.cv:
            calibrated = CalibratedClassifierCV(self._logistic(), method=self.calibration, cv=self.cv)
            return calibrated.fit(features, y), logistic.coef_[0], True
        # Too few examples for calibration folds: the logistic probabilities are used as they are.
        return logistic, logistic.coef_[0], False

    # --- predicting ---

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Probability of each code (columns in `classes_` order) for each text."""
        check_is_fitted(self)
        return self._proba(self.vectorizer_.transform(self._texts(X)))

    def _proba(self, features) -> np.ndarray:
        """`predict_proba` of texts already turned into tf-idf rows (`vectorizer_.transform(_texts(X))`)."""
        if features.shape[0] == 0:
            return np.zeros((0, len(self.classes_)))
        return np.column_stack([_positive(est, features) for est in self.estimators_])

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """0/1 indicator matrix: probability >= `threshold`."""
        check_is_fitted(self)
        return (self.predict_proba(X) >= self.threshold).astype(int)

    # --- helpers ---

    def _texts(self, X) -> list[str]:
        if isinstance(X, str):
            raise CoderError("X is one string; pass a list of texts, e.g. [text]")
        texts = ["" if t is None else str(t) for t in X]
        return lemmatized(texts, self.pipeline, self.scope_marks) if self.lemmatize else texts


def lemmatized(texts: list[str], pipeline: str | None = None, marks: bool = False,
               sources: list[str] | None = None) -> list[str]:
    """Each text as its lower-case lemmas without punctuation; spaCy runs only on texts not seen before.

    With `marks`, words carry the rule coder's scope (`casecode.coders.scope.scope_marks`: the same lexicon and
    clause splitter): "we never had a fund" -> "we never neg_have neg_a neg_fund", and likewise "irr_" after a
    wish, condition or modal, "past_" after a past cue and "oth_" after another council, so the model can learn
    that "fund" and "neg_fund" are not the same evidence.

    `sources` (with `marks`): the text each text was cut from (a turn with its speaker label, one per text); where
    the pipeline made a doc of the source lately (the rule coder's), the marks are worked out from that doc's words
    (`part_marks`) instead of running the pipeline on the text again.
    """
    name = pipeline or DEFAULT_PIPELINE
    missing = list(dict.fromkeys(t for t in texts if (name, marks, t) not in _LEMMAS))
    if missing:
        if len(_LEMMAS) + len(missing) > _CACHE_LIMIT:
            _LEMMAS.clear()
        nlp = load_nlp(pipeline)
        if marks and sources is not None:
            missing = _marks_from_sources(nlp, name, missing, dict(zip(reversed(texts), reversed(sources))))
        for text, doc in zip(missing, pipe_shared(nlp, missing)):  # the rule coder's docs of these units, if any
            _LEMMAS[name, marks, text] = " ".join(scope_marks(doc) if marks else
                                                  (t.lemma_.lower() for t in doc if not (t.is_punct or t.is_space)))
    return [_LEMMAS[name, marks, t] for t in texts]


def _marks_from_sources(nlp, name: str, texts: list[str], source_of: dict[str, str]) -> list[str]:
    """Mark the texts cut from a source the pipeline made a doc of lately (see `lemmatized`); the others are
    returned, for the pipeline to run on."""
    if "casecode_sentencizer" not in nlp.pipe_names:
        return texts
    sentencizer = nlp.get_pipe("casecode_sentencizer")
    parts, where = [], {}
    for text in texts:
        source = source_of.get(text)
        doc = recent_doc(nlp, source) if source is not None and source != text else None
        if doc is not None:
            end = len(source.rstrip())
            start = end - len(text)
            if start >= 0 and source[start:end] == text:
                where[text] = len(parts)
                parts.append((doc, start, end, source))
    marked = parts_marks(parts, sentencizer)
    left = []
    for text in texts:
        found = marked[where[text]] if text in where else None
        if found is None:
            left.append(text)
        else:
            _LEMMAS[name, True, text] = " ".join(found)
    return left


def batch_marker(model, nlp, texts: list[str], sources: list[str]):
    """An `on_batch` for `RuleCoder.code_records` coding the segments `sources` (a turn's text with its speaker
    label) with `nlp`, or None: while each of the rule coder's batches is open, the scope marks of the units
    `texts` (one per source) not yet known are worked out from its docs (`parts_marks` in that batch, sharing its
    word lists and columns), as `lemmatized(texts, ..., sources=sources)` would work them out after it. None for
    a model that does not read its units' marks that way, or a pipeline other than `nlp`."""
    if not (isinstance(model, LearnedCoder) and type(model).predict_proba is LearnedCoder.predict_proba and
            model.lemmatize and model.scope_marks and type(model)._texts is LearnedCoder._texts):
        return None
    if load_nlp(model.pipeline) is not nlp or "casecode_sentencizer" not in nlp.pipe_names:
        return None
    from ._columns import batch_columns

    name = model.pipeline or DEFAULT_PIPELINE
    sentencizer = nlp.get_pipe("casecode_sentencizer")
    first: dict[str, int] = {}
    for j, text in enumerate(texts):  # a text is marked from its first segment's doc, as `lemmatized` does
        first.setdefault(text, j)

    def on_batch(docs: list, start: int) -> None:
        parts, marked = [], []
        for j, doc in enumerate(docs, start):
            text, source = texts[j], sources[j]
            if first[text] != j or source == text or (name, True, text) in _LEMMAS:
                continue
            end = len(source.rstrip())
            begin = end - len(text)
            if begin >= 0 and source[begin:end] == text:
                parts.append((doc, begin, end, source))
                marked.append(text)
        if not parts:
            return
        columns = batch_columns(parts[0][0])
        if columns is None or columns.batch is None:
            return
        if len(_LEMMAS) + len(parts) > _CACHE_LIMIT:
            _LEMMAS.clear()
        for text, found in zip(marked, parts_marks(parts, sentencizer, batch=columns.batch)):
            if found is not None:
                _LEMMAS[name, True, text] = " ".join(found)

    return on_batch


def model_codings(model, segments: pd.DataFrame, *, threshold: float | None = None) -> pd.DataFrame:
    """One coding per (segment, code) with probability >= threshold (default: the model's). Evidence is the
    whole segment; `rule` reads "model p=0.82 (top terms: listen, staff)"."""
    check_is_fitted(model)
    threshold = model.threshold if threshold is None else threshold
    rows = codable_segments(segments)
    if rows.empty:
        return codings_frame([])
    texts = unit_texts(rows)
    proba = model.predict_proba(texts)
    records = []
    for i, j in zip(*np.nonzero(proba >= threshold)):
        seg = rows.iloc[i]
        records.append(_model_record(seg, str(model.classes_[j]), proba[i, j], model_terms(model, texts[i], j)))
    return codings_frame(records)


def model_scores(model, texts: list[str], sources: list[str] | None = None) -> tuple[np.ndarray, object]:
    """(`model.predict_proba(texts)`, the texts' tf-idf rows or None): a LearnedCoder reads the texts once for
    both, where its top terms are wanted as well; any other model is simply asked for its probabilities.
    `sources`: the text each was cut from (see `lemmatized`), which saves running the pipeline again."""
    if isinstance(model, LearnedCoder) and type(model).predict_proba is LearnedCoder.predict_proba:
        check_is_fitted(model)
        if sources is not None and model.lemmatize and model.scope_marks and \
                type(model)._texts is LearnedCoder._texts and len(sources) == len(texts):
            read = lemmatized(["" if t is None else str(t) for t in texts], model.pipeline, True, sources)
        else:
            read = model._texts(texts)
        # each distinct text read once (a row depends on its own text alone), its rows then placed at every copy
        number = dict.fromkeys(read)
        if len(number) < len(read):
            number.update(zip(number, range(len(number))))
            features = tfidf_transform(model.vectorizer_, list(number))
            rows = np.fromiter(map(number.__getitem__, read), dtype=np.int64, count=len(read))
            return _batch_proba(model, features)[rows], features[rows]
        features = tfidf_transform(model.vectorizer_, read)  # = vectorizer_.transform, faster
        return _batch_proba(model, features), features
    return model.predict_proba(texts), None


_BATCHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _batch_proba(model: LearnedCoder, features) -> np.ndarray:
    """`model._proba(features)`, every code's linear models applied in one sparse product (`FrozenBatch`)."""
    estimators = model.estimators_
    if not features.shape[0] or not all(isinstance(e, FrozenProbability) for e in estimators):
        return model._proba(features)
    batch = _BATCHES.get(model)
    if batch is None or len(batch.estimators) != len(estimators) or \
            any(a is not b for a, b in zip(batch.estimators, estimators)):  # refitted, or an estimator replaced
        batch = _BATCHES[model] = FrozenBatch(list(estimators))
    return batch.positives(features)


def model_terms(model, text: str, j: int, k: int = 3, row=None) -> list[str]:
    """The top terms of `text` for class index j, or [] for a model without word features (embeddings).
    `row`: the text's tf-idf row, when the caller has already transformed a batch."""
    if not hasattr(model, "vectorizer_"):
        return []
    if row is None:
        row = model.vectorizer_.transform(model._texts([text]))[0]
    return _top_terms(model, row, j, k)


def model_rule(p: float, terms: list[str]) -> str:
    """The `rule` text of a model coding."""
    return f"model p={p:.2f}" + (f" (top terms: {', '.join(terms)})" if terms else "")


def _model_record(seg: pd.Series, code: str, p: float, terms: list[str]) -> dict:
    return {
        "segment_id": seg["segment_id"], "document_id": seg["document_id"], "code": code,
        "start": int(seg["start"]), "end": int(seg["start"]) + len(str(seg["text"])), "evidence": str(seg["text"]),
        "rule": model_rule(p, terms), "score": round(float(p), 3), "coder": "model",
    }


def _top_terms(model: LearnedCoder, row, j: int, k: int = 3) -> list[str]:
    """Features present in one tf-idf row with the largest positive contribution to code j."""
    names = _feature_names(model.vectorizer_)
    indices = np.asarray(row.indices)
    weights = np.asarray(row.data) * model.coef_[j, indices]
    positive = weights > 0
    indices, weights = indices[positive], weights[positive]
    best = np.lexsort((indices, weights))[::-1][:k]  # the largest weights; a tie: the later feature first
    return [str(names[idx]) for idx in indices[best]]


_FEATURE_NAMES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _feature_names(vectorizer) -> np.ndarray:
    """The vectorizer's feature names, worked out once per fitted vectorizer (scikit-learn sorts the whole
    vocabulary on every call, which cost more than coding when every model coding names its top terms)."""
    names = _FEATURE_NAMES.get(vectorizer)
    if names is None:
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        names = None
        if isinstance(vocabulary, dict) and vocabulary:
            # get_feature_names_out's array (terms by column, dtype object), by placing each term at its column
            # rather than sorting the vocabulary by column: a third of a second per process, at the first model
            # coding
            columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
            if columns.min() == 0 and columns.max() == len(columns) - 1 and \
                    np.bincount(columns, minlength=len(columns)).max() == 1:  # each column once
                names = np.empty(len(vocabulary), dtype=object)
                names[columns] = list(vocabulary)
        if names is None:
            names = vectorizer.get_feature_names_out()
        _FEATURE_NAMES[vectorizer] = names
    return names


def _positive(estimator, features) -> np.ndarray:
    """Probability of the positive class, also for a model that only ever saw one class."""
    proba = estimator.predict_proba(features)
    classes = list(estimator.classes_)
    return proba[:, classes.index(1)] if 1 in classes else np.zeros(features.shape[0])


def _indicator(y, n: int) -> tuple[np.ndarray, list]:
    """y as an (n, codes) 0/1 matrix and the code names."""
    if not isinstance(y, (pd.DataFrame, np.ndarray)):
        y = list(y)  # a generator would be used up by the first look
    if isinstance(y, pd.DataFrame):
        matrix, classes = y.to_numpy(), [str(c) for c in y.columns]
    elif _is_label_lists(y):
        binarizer = MultiLabelBinarizer()
        matrix = binarizer.fit_transform([list(labels) for labels in y])
        classes = [str(c) for c in binarizer.classes_]
    else:
        matrix = np.asarray(y)
        if matrix.ndim != 2:
            raise CoderError(f"y has shape {matrix.shape}; pass a 0/1 matrix (one column per code) or label lists")
        classes = list(range(matrix.shape[1]))
    if matrix.shape[0] != n:
        raise CoderError(f"y has {matrix.shape[0]} rows for {n} texts; give one row of codes per text")
    if matrix.shape[1] == 0:
        raise CoderError("y names no codes; give at least one code column or label")
    try:
        return (matrix.astype(float) > 0).astype(int), classes
    except (TypeError, ValueError):
        raise CoderError("y holds values that are not 0/1; use 1 where a code applies and 0 elsewhere") from None


def _is_label_lists(y) -> bool:
    if isinstance(y, (np.ndarray, pd.Series)) and getattr(y, "ndim", 1) == 2:
        return False
    rows = y.tolist() if isinstance(y, np.ndarray) else y
    return bool(rows) and all(isinstance(r, (list, tuple, set, frozenset)) for r in rows) and any(
        isinstance(v, str) for r in rows for v in r
    )
