"""The combined coder: rule evidence and a model's probability merged into one suggestion per (segment, code).

Two ways to decide, both tuned on held-out data by `fit_combined`:
- *gate* (the rules lead; the model only corrects them when it is very sure): a rule match is kept, unless the rule
  is weak (score < `weak_rule`: a one-word or hedged match) and the model is confident the code is absent
  (p <= `veto`); with no rule match, the model alone adds the code when p >= `threshold`. `veto=None` never vetoes
  and `threshold=None` never adds, which is the rule coder exactly;
- *blend* (`blend` set: evidence adds up): suggested when the score reaches `blend`, so a rule match needs some
  support from the model and the model needs less when a rule agrees. This suits speech, where the codebook's words
  are rare and a keyword alone is weak evidence.
A code the model was not trained on is decided by its rule alone. The defaults (gate; model adds at p >= 0.9, never
vetoes) suit a model nobody tuned; `fit_combined` picks the mode and its settings by cross-validation grouped by
case on the training data, and keeps a setting only when it beats the rules alone there.

The council is the unit a chart counts, so a third setting decides at council level (`council`): with "max" a
council takes a code when its strongest turn scores at least `council_cut`, with "top2" when its two strongest
turns together do (noisy-or). Turn codings follow the council: a council that does not pass loses its codings of
the code, and one that passes with no turn decided gets its strongest turn. None (the default) counts any coded
turn, as a turn-level coder does. `fit_combined(council=True)` sets "max" with a cut COUNCIL_MARGIN above the
blend's, the margin chosen leaving whole writers (and so whole councils) out.

Score (for ranking): a noisy-or, 1 - (1 - rule_weight * rule_score) * (1 - p) (`blend_score`). The evidence is the rule's span when
a rule fired, else the whole segment; `rule` reads "rule:<id> + model p=0.74" or "model p=0.93 (top terms: ...)".
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Sequence

import numpy as np
import pandas as pd

from sklearn.base import BaseEstimator

from .._progress import progress
from ..errors import CoderError
from ..corpus import first_case
from ._codings import codable_segments, codings_frame, speaker_label_end, unit_texts
from ._learned import LearnedCoder, SavedModel, batch_marker, model_rule, model_scores, model_terms
from ._persist import codebook_digest, pack, read_bytes, unpack, write_bytes
from ._rules import RuleCoder, _records

# A rule coding as `CombinedCoder` reads it: (segment, code, then the tuple `_rule_matrix` keeps)
_RULE_ITEM = ("segment_id", "code", "score", "start", "end", "evidence", "rule", "pattern")


def _unit_texts(segs: list[dict]) -> list[str]:
    """`unit_texts` of segments given as dicts."""
    return [str(t)[speaker_label_end(str(t), s):].strip()
            for t, s in ((seg["text"], seg.get("speaker")) for seg in segs)]


def _rule_items(records: list[dict]) -> Iterable[tuple]:
    """The rule coder's coding dicts as `_RULE_ITEM` tuples (`pattern` as `codings_frame` makes it)."""
    return ((r["segment_id"], r["code"], r["score"], r["start"], r["end"], r["evidence"], r["rule"],
             "" if r["pattern"] is None else str(r["pattern"])) for r in records)

#: The grids `tune_combination` searches; None switches that correction off.
ADD_GRID = (None, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7)
VETO_GRID = (None, 0.02, 0.05, 0.1, 0.15, 0.2)
BLEND_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
RULE_WEIGHT_GRID = (0.3, 0.5, 0.7)
# Blends whose F1 lies within this of the best count as tied, and the strictest cut among them is taken. It was 0.01
# (a stricter cut wrongly credits fewer councils); leaving one of seventeen training writers out, 0 (the best cut)
# scored turn F1 0.827 and council kappa 0.820 against 0.818 and 0.800, recall 0.773 against 0.748.
BLEND_TOLERANCE = 0.0
COUNCIL_RULES = ("max", "top2")
# The council rule `fit_combined(council=True)` sets with a blend: a council takes a code when one of its turns
# scores at least this much above the turn cut. Chosen leaving one training writer out (13 sets): counting any coded
# turn gave council kappa 0.767 and turn F1 0.828; a margin of 0.05 gave 0.792 and 0.834, 0.10 gave 0.796 and 0.834,
# 0.15 fell to 0.744 and 0.809. A cut tuned per fold from a grid (max or top2, 0.3-0.9) gave 0.749 and 0.822.
# Re-chosen on 23 sets (turn F1 / council kappa): 0.05 gave 0.830 / 0.830, 0.075 0.832 / 0.839, 0.10 0.835 / 0.853,
# 0.125 0.837 / 0.862, 0.15 0.835 / 0.860, 0.20 0.831 / 0.856; 0.10 taken, the low end of the plateau.
# Re-chosen on 30 sets: 0.05 0.833 / 0.846, 0.075 0.836 / 0.858, 0.10 0.837 / 0.863, 0.125 0.841 / 0.883, 0.15
# 0.840 / 0.881, 0.20 0.841 / 0.889 (0.125 at or above 0.10 on 23, 26 and 30 sets and under every negation reach
# tried); 0.125 taken, the low end of the new plateau.
# Re-checked on 48 sets: 0.10 0.858 / 0.895, 0.125 0.859 / 0.900, 0.15 0.859 / 0.898, 0.20 0.857 / 0.895; chosen nested
# (on the other writers' scores) every fold picks 0.125, so it stays.
COUNCIL_MARGIN = 0.125


class CombinedCoder(BaseEstimator):
    """Merges a RuleCoder and a fitted model (a LearnedCoder or anything with `classes_` and `predict_proba`)
    into one scored suggestion list (coder "combined").

    The decision settings are its scikit-learn parameters: `__init__` only stores them (so `get_params`,
    `set_params` and `clone` work); they are checked when the coder is fitted, read back or used to code.
    """

    def __init__(self, rule_coder: RuleCoder, model, *, rule_weight: float = 0.7, threshold: float | None = 0.9,
                 veto: float | None = None, weak_rule: float = 0.6, blend: float | None = None,
                 council: str | None = None, council_cut: float = 0.5):
        self.rule_coder = rule_coder
        self.model = model
        self.rule_weight = rule_weight
        self.threshold = threshold
        self.veto = veto
        self.weak_rule = weak_rule
        self.blend = blend
        self.council = council
        self.council_cut = council_cut

    def fit(self, segments: pd.DataFrame, labels) -> "CombinedCoder":
        """Check the settings and fit the model on the segments' unit texts (`labels`: one row per segment, a 0/1
        column per code id, or label lists); the settings stay as given (`fit_combined` tunes them)."""
        self._check_settings()
        self.model.fit(unit_texts(segments), labels)
        return self

    def _check_settings(self, where: str = "") -> None:
        """A one-line CoderError for a setting out of range (`where`: the file the settings came from)."""
        place = f"{where}: " if where else ""
        for name in ("rule_weight", "threshold", "veto", "weak_rule", "blend", "council_cut"):
            value = getattr(self, name)
            if value is None and name in ("threshold", "veto", "blend"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise CoderError(f"{place}{name}={value!r}; it must be a number in 0..1 (threshold, veto and blend "
                                 "may be None: off)")
        if self.council is not None and self.council not in COUNCIL_RULES:
            raise CoderError(f"{place}council={self.council!r}; use one of {', '.join(COUNCIL_RULES)}, or None for "
                             "any turn")

    def settings(self) -> dict:
        """The decision settings as keyword arguments, to store beside the model and rebuild this coder with."""
        settings = {"rule_weight": self.rule_weight, "threshold": self.threshold, "veto": self.veto,
                    "weak_rule": self.weak_rule, "blend": self.blend}
        if self.council is not None:  # only when set, so settings saved before the council rule still load
            settings.update(council=self.council, council_cut=self.council_cut)
        return settings

    # --- saving: the model's arrays, these settings and the codebook's digest, as plain data (never pickle) ---

    def to_bytes(self) -> bytes:
        """The model, the decision settings and the codebook digest; read back with `from_bytes`."""
        self._check_settings()
        if not isinstance(self.model, SavedModel):
            raise CoderError(f"cannot save a CombinedCoder whose model is a {type(self.model).__name__}; use a "
                             "LearnedCoder or EmbeddingCoder")
        header, arrays = self.model.state()
        codebook = self.rule_coder.codebook if self.rule_coder is not None else None
        header["combined"] = {"settings": self.settings(), "codebook": codebook_digest(codebook)}
        return pack(header, arrays)

    @classmethod
    def from_bytes(cls, data: bytes, rule_coder: RuleCoder, where: str = "saved coder",
                   settings: dict | None = None, **fix) -> "CombinedCoder":
        """A coder saved by `to_bytes`, deciding with `rule_coder`; `settings` replace the saved ones. Bytes that
        hold only a model (LearnedCoder.to_bytes) get the default settings."""
        header, arrays = unpack(data, where, **fix)
        model = SavedModel.from_state(header, arrays, where)
        saved = (header.get("combined") or {}).get("settings") or {}
        try:
            coder = cls(rule_coder, model, **(settings if settings is not None else saved))
        except TypeError as exc:
            raise CoderError(f"{where}: unknown combination setting ({exc}); retrain the model") from None
        coder._check_settings(where)
        return coder

    def to_disk(self, path) -> Path:
        return write_bytes(path, self.to_bytes())

    @classmethod
    def from_disk(cls, path, rule_coder: RuleCoder) -> "CombinedCoder":
        return cls.from_bytes(read_bytes(path), rule_coder, where=str(path))

    def score(self, rule_score: float | None, p: float | None) -> float:
        """The combined score of one (segment, code); None means that coder had nothing to say."""
        if p is None:
            return float(rule_score or 0.0)
        return blend_score(rule_score or 0.0, p, self.rule_weight)

    def decide(self, rule_score: float | None, p: float | None) -> bool:
        """Whether a (segment, code) is suggested: see the module docstring."""
        return decide(rule_score, p, threshold=self.threshold, veto=self.veto, weak_rule=self.weak_rule,
                      blend=self.blend, rule_weight=self.rule_weight)

    def code(self, segments: pd.DataFrame, rule_codings: pd.DataFrame | None = None) -> pd.DataFrame:
        """Codings for the codable segments: the rule matches the model does not veto, and the model's additions.

        `rule_codings`, when the caller already ran the rule coder over these segments, saves running it again.
        The batch is scored at once: the model reads every unit in one call, and scores and decisions are worked
        out as arrays (segments x codes); `decide` and `score` are the same rule for one (segment, code).
        """
        self._check_settings()
        rows = codable_segments(segments)
        if rows.empty:
            return codings_frame([])
        segs = _records(rows)
        if rule_codings is None:
            return codings_frame(self._rules_and_model(segs, "cases" in rows.columns))
        rules = rule_codings[rule_codings.segment_id.isin(set(rows.segment_id))]
        return codings_frame(self._code(segs, zip(*(rules[name].tolist() for name in _RULE_ITEM))))

    def code_records(self, segs: list[dict], has_cases: bool) -> list[dict]:
        """`code` on codable segments given as plain dicts (`RuleCoder.code_records`' columns), its codings as
        dicts in `code`'s order; for a caller that has the segments as objects and wants no DataFrame on the way."""
        self._check_settings()
        return self._rules_and_model(segs, has_cases) if segs else []

    def _rules_and_model(self, segs: list[dict], has_cases: bool) -> list[dict]:
        """The rule coder run on `segs`, then `_code`; the model's scope marks of the units are worked out in the
        rule coder's batches, from its docs (`batch_marker`)."""
        texts, sources = _unit_texts(segs), [str(seg["text"]) for seg in segs]
        on_batch = batch_marker(self.model, self.rule_coder.nlp, texts, sources)
        rules = self.rule_coder.code_records(segs, has_cases, on_batch=on_batch)
        return self._code(segs, _rule_items(rules), texts)

    def _code(self, segs: list[dict], rules: Iterable[tuple], texts: list[str] | None = None) -> list[dict]:
        """The codings of `segs` as dicts, given the rule coder's codings of them as `_RULE_ITEM` tuples (and the
        segments' `_unit_texts`, when the caller has them)."""
        classes = [str(c) for c in self.model.classes_]
        order = self._order(classes)
        texts = _unit_texts(segs) if texts is None else texts
        proba, features = model_scores(self.model, texts, sources=[str(seg["text"]) for seg in segs])
        strength, matched = self._rule_matrix([seg["segment_id"] for seg in segs], rules, order)
        known = np.array([code in classes for code in order])
        p = np.zeros((len(segs), len(order)))
        p[:, known] = proba[:, [classes.index(code) for code in order if code in classes]]
        scores = np.where(known, blend_score(np.nan_to_num(strength, nan=0.0), p, self.rule_weight),
                          np.nan_to_num(strength, nan=0.0))
        chosen = self._decisions(strength, p, known, scores)
        if self.council is not None:
            chosen = self._by_council(segs, [order.index(c) for c in classes], chosen, scores)
        return self._records(segs, texts, order, classes, matched, p, known, scores, chosen, features)

    @staticmethod
    def _rule_matrix(segment_ids: list, rules: Iterable[tuple], order: list[str]):
        """(rule score per segment and code, NaN where no rule matched; {(row, column): the rule's coding as a
        tuple (score, start, end, evidence, rule, pattern)}), from the rule codings as `_RULE_ITEM` tuples."""
        strength = np.full((len(segment_ids), len(order)), np.nan)
        matched: dict[tuple[int, int], object] = {}
        # the last coding of a (segment, code) pair stands, as a dict built over the rows would keep it
        by_pair = {(segment, code): rule for segment, code, *rule in rules}
        if not by_pair:
            return strength, matched
        positions: dict[object, list[int]] = {}
        for i, segment in enumerate(segment_ids):
            positions.setdefault(segment, []).append(i)
        column = {code: k for k, code in enumerate(order)}
        for (segment, code), rule in by_pair.items():
            k = column.get(code)
            for i in positions.get(segment, ()) if k is not None else ():
                strength[i, k] = rule[0]
                matched[i, k] = rule
        return strength, matched

    def _decisions(self, strength: np.ndarray, p: np.ndarray, known: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """`decide` for every (segment, code) at once: True where the code is suggested."""
        has_rule = ~np.isnan(strength)
        rule = np.nan_to_num(strength, nan=0.0)
        if self.blend is not None:
            with_model = scores >= self.blend
        elif self.veto is not None:
            with_model = has_rule & ((rule >= self.weak_rule) | (p > self.veto))
        else:
            with_model = has_rule.copy()
        if self.blend is None:
            added = ~has_rule & (p >= self.threshold) if self.threshold is not None else np.zeros_like(has_rule)
            with_model |= added
        return np.where(known, with_model, has_rule)

    def _records(self, segs: list[dict], texts: list[str], order: list[str], classes: list[str], matched: dict,
                 p: np.ndarray, known: np.ndarray, scores: np.ndarray, chosen: np.ndarray, features) -> list[dict]:
        """The chosen (segment, code) pairs as codings, by segment then code in `order`."""
        clipped = np.clip(scores, 0, 1)
        records = []
        for i, k in zip(*np.nonzero(chosen)):
            i, k = int(i), int(k)
            seg = segs[i]
            rule, code = matched.get((i, k)), order[k]
            prob = float(p[i, k]) if known[k] else None
            if rule is not None:
                _, start, end, evidence, rule_text, pattern = rule
                start, end = int(start), int(end)
                text = f"rule:{rule_text}" + (f" + model p={prob:.2f}" if prob is not None else "")
            else:
                if features is None and hasattr(self.model, "vectorizer_"):  # a model without `model_scores`' path
                    features = self.model.vectorizer_.transform(self.model._texts(texts))
                terms = model_terms(self.model, texts[i], classes.index(code),
                                    row=None if features is None else _row(features, i))
                segment_text = str(seg["text"])
                start, end, evidence = int(seg["start"]), int(seg["start"]) + len(segment_text), segment_text
                text, pattern = model_rule(prob, terms), ""
            records.append({
                "segment_id": seg["segment_id"], "document_id": seg["document_id"], "code": code, "start": start,
                "end": end, "evidence": evidence, "rule": text, "pattern": pattern,
                "score": round(float(clipped[i, k]), 3), "coder": "combined",
            })
        return records

    def _by_council(self, segs: list[dict], columns: list[int], chosen: np.ndarray, scores: np.ndarray
                    ) -> np.ndarray:
        """Turn decisions made to agree with the council rule, for the codes the model knows (`columns`); a
        segment's council is its first case (`cases`, where the segments have that column), else its document."""
        cases = [first_case(seg["cases"]) for seg in segs] if segs and "cases" in segs[0] else [""] * len(segs)
        cases = [case or seg["document_id"] for case, seg in zip(cases, segs)]
        members: dict[str, list[int]] = {}
        for i, case in enumerate(cases):
            members.setdefault(case, []).append(i)
        chosen = chosen.copy()
        for k in columns:
            for units in members.values():
                strength = scores[units, k]
                if council_evidence(strength.tolist(), self.council) < self.council_cut:
                    chosen[units, k] = False
                elif not chosen[units, k].any():
                    chosen[units[int(np.argmax(strength))], k] = True  # the first of the strongest
        return chosen

    def _order(self, classes: list[str]) -> list[str]:
        """Codes in codebook order: the rule coder's labels, then codes only the model knows."""
        labels = list(self.rule_coder.codebook.ids if self.rule_coder.codebook is not None else self.rule_coder.labels)
        if not set(classes) & set(labels):
            raise CoderError(
                f"the model knows codes {', '.join(classes)}, none of them in the codebook; fit it with code ids "
                f"as y columns or labels"
            )
        return labels + [c for c in classes if c not in labels]


class _Row(NamedTuple):
    """One row of a CSR matrix as its column indices and values (what `model_terms` reads of a row)."""

    indices: np.ndarray
    data: np.ndarray


def _row(features, i: int):
    """Row i of the batch's tf-idf matrix: a slice of its CSR arrays (scipy's `features[i]` builds a whole
    matrix per row, which cost more than the rest of a model coding)."""
    if not hasattr(features, "indptr"):
        return features[i]
    start, end = features.indptr[i], features.indptr[i + 1]
    return _Row(features.indices[start:end], features.data[start:end])


def council_evidence(scores, rule: str) -> float:
    """A council's evidence for a code from its turns' combined scores: the strongest ("max"), or the two
    strongest together ("top2", noisy-or)."""
    top = sorted(scores, reverse=True)[:2] + [0.0, 0.0]
    return top[0] if rule == "max" else 1.0 - (1.0 - top[0]) * (1.0 - top[1])


def blend_score(rule_score, p, rule_weight: float):
    """The combined evidence of a rule score and a model probability (numbers or NumPy arrays, 0 for no rule
    match): a noisy-or, 1 - (1 - rule_weight * rule_score) * (1 - p). Written once: scoring, deciding, tuning."""
    return 1.0 - (1.0 - rule_weight * rule_score) * (1.0 - p)


def decide(rule_score: float | None, p: float | None, *, threshold: float | None, veto: float | None,
           weak_rule: float, blend: float | None = None, rule_weight: float = 0.7) -> bool:
    """The combination rule for one (segment, code): rule_score None = no rule match, p None = code unknown to the
    model."""
    if blend is not None and p is not None:
        return blend_score(rule_score or 0.0, p, rule_weight) >= blend
    if rule_score is not None:
        return p is None or veto is None or rule_score >= weak_rule or p > veto
    return p is not None and threshold is not None and p >= threshold


def tune_combination(rule_codings: pd.DataFrame, proba: np.ndarray, classes: Sequence[str], segment_ids: Sequence[str],
                     labels: pd.DataFrame, *, weak_rule: float = 0.6, min_gain: int = 2) -> dict:
    """The combination (gate `threshold` and `veto`, or `blend` and `rule_weight`) that maximises micro-F1 over
    `labels`' codes, given held-out probabilities; CombinedCoder's keyword arguments.

    `proba` rows follow `segment_ids` (each predicted by a model that did not train on it); `labels` is the gold
    0/1 matrix indexed by segment id. A setting must gain at least `min_gain` correct decisions (true positives
    added plus false positives removed, net of the errors it makes) over the rules alone, else the rules decide.
    """
    classes = [str(c) for c in classes]
    codes = [c for c in labels.columns if c in classes]
    gold = labels.reindex(index=list(segment_ids), columns=codes, fill_value=0).to_numpy() > 0
    p = proba[:, [classes.index(c) for c in codes]]
    rule = np.full(gold.shape, np.nan)
    position = {s: i for i, s in enumerate(segment_ids)}
    for r in rule_codings.itertuples(index=False):
        if r.segment_id in position and r.code in codes:
            i, j = position[r.segment_id], codes.index(r.code)
            rule[i, j] = np.nanmax([rule[i, j], float(r.score)])
    matched = ~np.isnan(rule)
    weak = matched & (np.nan_to_num(rule, nan=1.0) < weak_rule)
    base_tp, base_fp = int((matched & gold).sum()), int((matched & ~gold).sum())
    positives = int(gold.sum())

    best = (_f1(base_tp, base_fp, positives), 0, (None, None))
    for add in ADD_GRID:
        added = ~matched & (p >= add) if add is not None else np.zeros_like(gold)
        for veto in VETO_GRID:
            vetoed = weak & (p <= veto) if veto is not None else np.zeros_like(gold)
            tp = base_tp + int((added & gold).sum()) - int((vetoed & gold).sum())
            fp = base_fp + int((added & ~gold).sum()) - int((vetoed & ~gold).sum())
            gain = (tp - base_tp) - (fp - base_fp)
            if gain >= min_gain and _f1(tp, fp, positives) > best[0]:
                best = (_f1(tp, fp, positives), gain, (add, veto))
    mode = {"threshold": best[2][0], "veto": best[2][1], "weak_rule": weak_rule}
    strength = np.nan_to_num(rule, nan=0.0)
    blends = []
    for weight in RULE_WEIGHT_GRID:
        score = blend_score(strength, p, weight)
        for blend in BLEND_GRID:
            chosen = score >= blend
            tp, fp = int((chosen & gold).sum()), int((chosen & ~gold).sum())
            if (tp - base_tp) - (fp - base_fp) >= min_gain:
                blends.append((_f1(tp, fp, positives), blend, weight))
    top = max((f1 for f1, _, _ in blends), default=0.0)
    if top > best[0]:
        # Among blends within BLEND_TOLERANCE of the best F1 (now only ties), the strictest cut.
        blend, _, weight = max((b, f1, w) for f1, b, w in blends if f1 >= top - BLEND_TOLERANCE)
        mode = {"threshold": None, "veto": None, "weak_rule": weak_rule, "blend": blend, "rule_weight": weight}
    return mode


def _f1(tp: int, fp: int, positives: int) -> float:
    return 2 * tp / (positives + tp + fp) if positives + tp + fp else 0.0


def held_out_proba(make_model: Callable, texts: list[str], labels: pd.DataFrame, groups: Sequence[str],
                   folds: int = 3) -> tuple[np.ndarray, list[str]]:
    """Probabilities for every text from a model fitted without its group (GroupKFold), and the model's classes."""
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(list(groups), dtype=object)
    n_groups = len(set(groups))
    if n_groups < 2:
        raise CoderError(f"held-out probabilities need at least 2 groups (cases); got {n_groups}")
    classes = [str(c) for c in labels.columns]
    proba = np.zeros((len(texts), len(classes)))
    splits = list(GroupKFold(n_splits=min(folds, n_groups)).split(texts, groups=groups))
    for train, test in progress(splits, desc="cross-validating", unit="fold", min_total=2):
        model = make_model().fit([texts[i] for i in train], labels.iloc[train])
        known = [str(c) for c in model.classes_]
        fold = model.predict_proba([texts[i] for i in test])
        for j, code in enumerate(classes):
            if code in known:
                proba[test, j] = fold[:, known.index(code)]
    return proba, classes


def fit_combined(rule_coder: RuleCoder, segments: pd.DataFrame, labels: pd.DataFrame, groups: Sequence[str],
                 make_model: Callable = LearnedCoder, folds: int = 3, weak_rule: float = 0.6,
                 rule_codings: pd.DataFrame | None = None, council: bool = False) -> CombinedCoder:
    """A CombinedCoder whose model is fitted on `segments` (gold `labels`, one row per segment in order) and whose
    `threshold` and `veto` are tuned by `folds`-fold cross-validation grouped by `groups` (one case per segment).

    `rule_codings`: the rule coder's codings of (at least) `segments`, when the caller already has them.
    `council`: with a blend, a council takes a code only when one of its turns scores COUNCIL_MARGIN above the
    blend's cut (council="max"); without it, any coded turn counts for its council.
    """
    texts = unit_texts(segments)
    labels = labels.set_axis(segments["segment_id"].tolist(), axis=0)
    model = make_model().fit(texts, labels)
    if len(set(groups)) < 2:  # nothing to cross-validate with: the untuned defaults
        return CombinedCoder(rule_coder, model, weak_rule=weak_rule)
    proba, classes = held_out_proba(make_model, texts, labels, groups, folds)
    if rule_codings is None:
        rule_codings = rule_coder.code(segments)
    tuned = tune_combination(rule_codings, proba, classes, labels.index, labels, weak_rule=weak_rule)
    if council and tuned.get("blend") is not None:
        tuned.update(council="max", council_cut=round(min(1.0, tuned["blend"] + COUNCIL_MARGIN), 3))
    return CombinedCoder(rule_coder, model, **tuned)
