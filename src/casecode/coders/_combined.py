"""The combined coder: rule evidence and model probability merged into one suggestion per (segment, code).

Score: a noisy-or, 1 - (1 - rule_weight * rule_score) * (1 - p). A segment is suggested when the score reaches
`threshold`. With the defaults (rule_weight 0.7, threshold 0.5): the model alone needs p >= 0.5; a three-word
rule match passes alone (0.56); a two-word match needs p >= 0.09 and a one-word match p >= 0.23, so a model that
is confident the code is absent vetoes a weak rule. A code the model was not trained on is scored by its rule
alone. The evidence is the rule's span when a rule fired, else the whole segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CoderError
from ._codings import codable_segments, codings_frame
from ._learned import LearnedCoder, _top_terms, model_rule
from ._rules import RuleCoder


class CombinedCoder:
    """Merges a RuleCoder and a fitted LearnedCoder into one scored suggestion list (coder "combined")."""

    def __init__(self, rule_coder: RuleCoder, model: LearnedCoder, *, rule_weight: float = 0.7,
                 threshold: float = 0.5):
        if not 0.0 <= rule_weight <= 1.0 or not 0.0 < threshold <= 1.0:
            raise CoderError(f"rule_weight={rule_weight}, threshold={threshold}; both must lie in 0..1")
        self.rule_coder = rule_coder
        self.model = model
        self.rule_weight = rule_weight
        self.threshold = threshold

    def score(self, rule_score: float | None, p: float | None) -> float:
        """The combined score of one (segment, code); None means that coder had nothing to say."""
        if p is None:
            return float(rule_score or 0.0)
        return 1.0 - (1.0 - self.rule_weight * (rule_score or 0.0)) * (1.0 - p)

    def code(self, segments: pd.DataFrame) -> pd.DataFrame:
        """Codings for the codable segments, one per (segment, code) whose combined score reaches the threshold."""
        rows = codable_segments(segments)
        if rows.empty:
            return codings_frame([])
        rules = self.rule_coder.code(rows)
        by_pair = {(r.segment_id, r.code): r for r in rules.itertuples(index=False)}
        classes = [str(c) for c in self.model.classes_]
        order = self._order(classes)
        texts = rows["text"].astype(str).tolist()
        proba = self.model.predict_proba(texts)
        features = self.model.vectorizer_.transform(self.model._texts(texts))
        records = []
        for i, seg in rows.iterrows():
            for code in order:
                rule = by_pair.get((seg["segment_id"], code))
                p = float(proba[i, classes.index(code)]) if code in classes else None
                if rule is None and not p:
                    continue
                score = self.score(rule.score if rule is not None else None, p)
                if score >= self.threshold:
                    terms = [] if rule is not None or p is None else _top_terms(self.model, features[i],
                                                                                  classes.index(code))
                    records.append(self._record(seg, code, rule, p, score, terms))
        return codings_frame(records)

    def _order(self, classes: list[str]) -> list[str]:
        """Codes in codebook order: the rule coder's labels, then codes only the model knows."""
        labels = list(self.rule_coder.codebook.ids if self.rule_coder.codebook is not None else self.rule_coder.labels)
        if not set(classes) & set(labels):
            raise CoderError(
                f"the model knows codes {', '.join(classes)}, none of them in the codebook; fit it with code ids "
                f"as y columns or labels"
            )
        return labels + [c for c in classes if c not in labels]

    @staticmethod
    def _record(seg: pd.Series, code: str, rule, p: float | None, score: float, terms: list[str]) -> dict:
        if rule is not None:
            start, end, evidence = int(rule.start), int(rule.end), rule.evidence
            text = f"rule:{rule.rule}" + (f" + model p={p:.2f}" if p is not None else "")
        else:
            start, end, evidence = int(seg["start"]), int(seg["start"]) + len(str(seg["text"])), str(seg["text"])
            text = model_rule(p, terms)
        return {
            "segment_id": seg["segment_id"], "document_id": seg["document_id"], "code": code, "start": start,
            "end": end, "evidence": evidence, "rule": text, "score": round(float(np.clip(score, 0, 1)), 3),
            "coder": "combined",
        }
