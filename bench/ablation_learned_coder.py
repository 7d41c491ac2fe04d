"""Which parts of the learned transcript coder earn their place: leave one training set (writer) out.

Run: python bench/ablation_learned_coder.py [--embeddings]
For each variant, the model is fitted on the other training sets plus the 2015 reference coding and predicts the
held-out set; printed are turn-level micro-F1 and council-level kappa of the model alone at p >= 0.5, over the
eleven chart actions, using casecode's own `evaluate`. Variants: the default LearnedCoder, the same without scope
marks (neg_/irr_), and with --embeddings (needs the `embeddings` extra) the sentence-embedding coder.
Held-out test sets (tests/data/unseen*) are not read.
"""

from __future__ import annotations

import argparse

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", action="store_true", help="also measure the sentence-embedding coder")
    args = parser.parse_args()

    from casecode.analysis import evaluate
    from casecode.coders import EmbeddingCoder, LearnedCoder
    from casecode.coders._codings import unit_texts
    from casecode.studies import load_study
    from casecode.studies.transcripts import shipped_training, training_transcripts

    study = load_study()
    units, gold = training_transcripts()
    variants = {"LearnedCoder (default)": LearnedCoder, "LearnedCoder(scope_marks=False)":
                lambda: LearnedCoder(scope_marks=False)}
    if args.embeddings:
        variants["EmbeddingCoder"] = EmbeddingCoder
    cases = list(dict.fromkeys(c for cs in units.cases for c in cs))
    for name, make_model in variants.items():
        codings = []
        for held_set in dict.fromkeys(units.set):
            held = (units.set == held_set).to_numpy()
            train_gold = gold[gold.segment_id.isin(set(units.segment_id[~held]))]
            segments, labels = shipped_training(study, units[~held], train_gold)
            codings.append(make_model().fit(unit_texts(segments), labels).code(units[held], threshold=0.5))
        ev = evaluate(pd.concat(codings, ignore_index=True), gold, units, study.chart_codes, cases=cases)
        print(f"{name:34s} turn-level micro-F1 {ev.micro['f1']:.3f}   council-level kappa {ev.case_kappa:.3f}")


if __name__ == "__main__":
    main()
