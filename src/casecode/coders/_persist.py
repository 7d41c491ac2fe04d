"""One way to save a fitted coder: plain data that cannot run code when read.

A saved coder is a NumPy `.npz` archive read with `allow_pickle=False`: a JSON header (`casecode.json`: format,
version, the coder's class and scikit-learn parameters, its codes, the tf-idf vocabulary, what each code's
estimator is, and for a CombinedCoder its decision settings and codebook digest) and numeric arrays (idf weights,
the logistic regressions' coefficients and intercepts, the sigmoid calibrators' a and b). Reading it back builds
`FrozenProbability` objects that compute exactly what the scikit-learn estimators computed, with the same NumPy
operations, so a coder read back codes like the coder that was saved.

Bytes written by an older casecode (pickle) are refused, never unpickled: pickle runs code when it loads.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from scipy.special import expit
from sklearn.utils.extmath import safe_sparse_dot

from ..errors import CoderError

FORMAT = "casecode-coder"
VERSION = 1
HEADER = "casecode.json"
#: What an old model looked like: a pickle stream starts with the PROTO opcode.
_PICKLE_START = b"\x80"
RETRAIN = "retrain it with 'casecode train -p PROJECT' (or fit the coder again)"


class FrozenProbability:
    """One code's fitted probability as plain arrays.

    `kind` "prior": a constant (the code was never, or always, present in training); "logistic": expit(X.w + b);
    "calibrated": the mean over folds of a sigmoid-calibrated logistic regression, as CalibratedClassifierCV does.
    """

    classes_ = np.array([0, 1])

    def __init__(self, kind: str, coef: np.ndarray | None = None, intercept: np.ndarray | None = None,
                 a: np.ndarray | None = None, b: np.ndarray | None = None, prior: float = 0.0):
        self.kind, self.prior = kind, float(prior)
        self.coef, self.intercept, self.a, self.b = coef, intercept, a, b

    @classmethod
    def of(cls, estimator) -> "FrozenProbability":
        """The frozen form of a fitted DummyClassifier, binary LogisticRegression or sigmoid CalibratedClassifierCV."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.dummy import DummyClassifier
        from sklearn.linear_model import LogisticRegression

        if isinstance(estimator, FrozenProbability):
            return estimator
        if isinstance(estimator, DummyClassifier):
            classes = list(estimator.classes_)
            prior = float(np.asarray(estimator.class_prior_)[classes.index(1)]) if 1 in classes else 0.0
            return cls("prior", prior=prior)
        if isinstance(estimator, LogisticRegression):
            return cls("logistic", coef=estimator.coef_.copy(), intercept=estimator.intercept_.copy())
        if isinstance(estimator, CalibratedClassifierCV) and estimator.method == "sigmoid":
            folds = estimator.calibrated_classifiers_
            return cls("calibrated",
                       coef=np.stack([f.estimator.coef_ for f in folds]),
                       intercept=np.stack([f.estimator.intercept_ for f in folds]),
                       a=np.array([f.calibrators[0].a_ for f in folds], dtype=float),
                       b=np.array([f.calibrators[0].b_ for f in folds], dtype=float))
        raise CoderError(f"cannot save a {type(estimator).__name__} per code; use logistic regression, optionally "
                         "with sigmoid calibration")

    def positive(self, X) -> np.ndarray:
        """Probability that the code applies, one per row of X."""
        return self.positive_of(X.shape[0], [_decision(X, coef, intercept) for coef, intercept in self.linear()])

    def linear(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(coef, intercept) of each linear model whose decision values `positive_of` reads, in order."""
        if self.kind == "prior":
            return []
        if self.kind == "logistic":
            return [(self.coef, self.intercept)]
        return list(zip(self.coef, self.intercept))

    def positive_of(self, n: int, decisions: list[np.ndarray]) -> np.ndarray:
        """`positive` of n rows from the decision values of `linear()`'s models (X.coef + intercept, each)."""
        if self.kind == "prior":
            return np.full(n, self.prior)
        if self.kind == "logistic":
            return expit(decisions[0])
        mean = np.zeros(n)
        for decision, a, b in zip(decisions, self.a, self.b):
            p = expit(-(a * decision + b))
            p[(1.0 < p) & (p <= 1.0 + 1e-5)] = 1.0
            mean += p
        mean /= len(self.coef)
        return mean

    def predict_proba(self, X) -> np.ndarray:
        p = self.positive(X)
        return np.stack([1 - p, p], axis=1)

    def arrays(self, prefix: str) -> tuple[dict, dict[str, np.ndarray]]:
        info = {"kind": self.kind, "prior": self.prior}
        names = ("coef", "intercept", "a", "b")
        return info, {f"{prefix}.{n}": getattr(self, n) for n in names if getattr(self, n) is not None}

    @classmethod
    def from_arrays(cls, info: dict, arrays, prefix: str) -> "FrozenProbability":
        kind = info.get("kind")
        if kind not in ("prior", "logistic", "calibrated"):
            raise CoderError(f"saved coder: unknown estimator kind {kind!r}; {RETRAIN}")
        got = {n: arrays[f"{prefix}.{n}"] for n in ("coef", "intercept", "a", "b") if f"{prefix}.{n}" in arrays}
        return cls(kind, prior=float(info.get("prior", 0.0)), **got)


def _decision(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """What LogisticRegression.decision_function computes for a binary model."""
    scores = safe_sparse_dot(X, coef.T, dense_output=True) + intercept
    return scores.reshape(-1)


class FrozenBatch:
    """Several FrozenProbability estimators scored together: every linear model's decision values from one sparse
    product (X by a matrix holding all their coefficients) instead of one pass over X each. scipy's product sums
    each row's terms in the same order as the one-column product, so each probability is the one `positive` gives
    (a test compares them)."""

    def __init__(self, estimators: list[FrozenProbability]):
        self.estimators = estimators
        models = [model for estimator in estimators for model in estimator.linear()]
        self.counts = [len(estimator.linear()) for estimator in estimators]
        self.intercepts = [intercept for _, intercept in models]
        self.weights = np.ascontiguousarray(np.concatenate([coef.reshape(1, -1) for coef, _ in models]).T) \
            if models else None

    def positives(self, X) -> np.ndarray:
        """`np.column_stack([e.positive(X) for e in estimators])`."""
        n = X.shape[0]
        products = safe_sparse_dot(X, self.weights, dense_output=True) if self.weights is not None else None
        columns, k = [], 0
        for estimator, count in zip(self.estimators, self.counts):
            decisions = [(products[:, j:j + 1] + self.intercepts[j]).reshape(-1) for j in range(k, k + count)]
            columns.append(estimator.positive_of(n, decisions))
            k += count
        return np.column_stack(columns)


# --------------------------------------------------------------------------------------------- the archive

def pack(header: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz archive: the JSON header as UTF-8 bytes, then the arrays."""
    buffer = io.BytesIO()
    body = json.dumps({"format": FORMAT, "version": VERSION, **header}, ensure_ascii=False).encode("utf-8")
    np.savez_compressed(buffer, **{HEADER: np.frombuffer(body, dtype=np.uint8)}, **arrays)
    return buffer.getvalue()


def unpack(data: bytes, where: str = "saved coder", fix: str = RETRAIN) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of bytes written by `pack`; a pickle (an older casecode) or anything else is refused
    with a one-line error naming `where` and ending in `fix`."""
    data = bytes(data)
    if data.startswith(_PICKLE_START):
        raise CoderError(f"{where} is in the old pickle format, which can run code when read, so it was not read; "
                         f"{fix}")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(arrays.pop(HEADER).tobytes().decode("utf-8"))
    except (ValueError, OSError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise CoderError(f"{where} could not be read ({type(exc).__name__}); {fix}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CoderError(f"{where} is not a casecode coder; {fix}")
    if header.get("version") != VERSION:
        raise CoderError(f"{where} has format version {header.get('version')!r}; this casecode reads version "
                         f"{VERSION}; {fix}")
    return header, arrays


def codebook_digest(codebook) -> str:
    """A short digest of a codebook's content: which codebook a coder was fitted with."""
    import hashlib

    if codebook is None:
        return ""
    text = json.dumps(codebook.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` whole (a temporary file, then a rename)."""
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CoderError(f"{path}: cannot read the saved coder ({exc.strerror}); check the path") from None
