"""Calibrated piece scores for multi-action turns, leaving one training set (one writer) out (round twelve, #10).

Run: python bench/ablation_piece_scores.py --shard I/N --dump DIR   (N processes, then)
     python bench/ablation_piece_scores.py --merge DIR
For each held-out writer the transcript model is fitted as `fit_transcript_coder` fits it (the other sets plus the
2015 reference; `held_out_proba`'s five folds over writers, the same folds and models), and for every unit the
dump keeps the turn's probability and, from the same models, the max over its sentences (the pipeline's
sentencizer) and over its lexical clauses (the scope checks' splitter `clauses`), cross-fitted on the training
units and from the fold's final model on the held-out ones; beside it, a *piece model* fitted on the training
turns' sentences with weak labels (a sentence of a turn coded X is an X example when it holds X's rule evidence,
else when the turn model rates it highest among the turn's sentences; the turn's other sentences are not X).
`--merge` scores, with the shipped blend tuning (`tune_combination` on the cross-fitted scores) and council rule
(cut + COUNCIL_MARGIN): `base` (the turn's probability: the codings of bench/ablation_transcript_coder.py's `base`,
fold by fold); `stack-sent`, `stack-sentclause`, `stack-pm` (a per-code logistic regression over [logit turn p,
logit max piece p - logit turn p, log pieces], fitted on the cross-fitted training scores, itself cross-fitted
over the same writer folds for the blend tuning); `shrink-pm` (turn p + w x (max(turn p, piece-model p) - turn p),
w from 0 / 0.25 / 0.5 chosen inside each fold by the training writers' cross-fitted turn F1).
Held-out test sets (tests/data/unseen*) are not read.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd


def _pieces(nlp, cache: dict, texts: list[str]) -> list[tuple[list[str], list[str]]]:
    from casecode.coders.scope import clauses

    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    for text, doc in zip(missing, nlp.pipe(missing, batch_size=64)):
        sents = [s.text.strip() for s in doc.sents]
        cut = [c.text.strip() for s in doc.sents for c in clauses(s)]
        cache[text] = ([s for s in sents if any(ch.isalnum() for ch in s)],
                       [c for c in cut if any(ch.isalnum() for ch in c)])
    return [cache[t] for t in texts]


def _max_over(model, pieces: list[list[str]], classes: list[str]) -> np.ndarray:
    """Per text (one list of pieces each; a text of one piece is read whole) and code in `classes`, the max of
    `model`'s probability over its pieces (0 for a code the model does not know)."""
    owner = np.array([i for i, cut in enumerate(pieces) for _ in cut])
    proba = model.predict_proba([p for cut in pieces for p in cut])
    known = [str(c) for c in model.classes_]
    best = np.full((len(pieces), proba.shape[1]), -1.0)
    np.maximum.at(best, owner, proba)
    out = np.zeros((len(pieces), len(classes)))
    for j, code in enumerate(classes):
        if code in known:
            out[:, j] = best[:, known.index(code)]
    return out


def dump(shard: str, folder: Path) -> None:
    from sklearn.model_selection import GroupKFold

    from casecode.coders import CombinedCoder, RuleCoder, load_nlp, tune_combination
    from casecode.coders._codings import unit_texts
    from casecode.corpus import first_case
    from casecode.studies import load_study
    from casecode.studies.transcripts import shipped_training, training_transcripts, transcript_model

    index, count = (int(x) for x in shard.split("/"))
    folder.mkdir(parents=True, exist_ok=True)
    study, (units, gold) = load_study(), training_transcripts()
    nlp = load_nlp(None)
    rules = RuleCoder(study.codebook, nlp)
    rule_codings = pd.concat([rules.code(units), rules.code(study.scope)], ignore_index=True)
    evidence: dict = {}
    for r in rule_codings.itertuples(index=False):
        evidence.setdefault((r.segment_id, r.code), []).append(str(r.evidence))
    cache: dict = {}

    def whole(cuts):  # a text of one piece is read whole
        return [cut if len(cut) > 1 else [t] for t, cut in cuts]

    def scores(model, texts, classes):
        cuts = _pieces(nlp, cache, texts)
        return {"turn": _max_over(model, [[t] for t in texts], classes),
                "sent": _max_over(model, whole(zip(texts, [c[0] for c in cuts])), classes),
                "clause": _max_over(model, whole(zip(texts, [c[1] for c in cuts])), classes),
                "pieces": np.array([len(c[0]) for c in cuts])}

    def piece_model(texts, ids, Y, classes, turn):
        cuts = whole(zip(texts, [c[0] for c in _pieces(nlp, cache, texts)]))
        flat = [p for cut in cuts for p in cut]
        owner = np.array([i for i, cut in enumerate(cuts) for _ in cut])
        labels = Y[owner].copy()
        rated = _max_over(turn, [[p] for p in flat], classes)
        for i in np.nonzero((np.bincount(owner, minlength=len(texts)) > 1) & (Y.sum(1) > 0))[0]:
            rows = np.nonzero(owner == i)[0]
            for j in np.nonzero(Y[i])[0]:
                hits = [r for r in rows if any(e and e in flat[r] for e in evidence.get((ids[i], classes[j]), []))]
                labels[rows, j] = 0
                labels[hits or [rows[int(np.argmax(rated[rows, j]))]], j] = 1
        return flat, owner, labels

    sets = sorted(set(units.set), key=lambda s: int(s[3:]))
    started = time.time()
    for k, held_set in enumerate(sets):
        if k % count != index or (folder / f"{held_set}.pkl").exists():
            continue
        held = (units.set == held_set).to_numpy()
        train, test = units[~held], units[held]
        segments, labels = shipped_training(study, train, gold[gold.segment_id.isin(set(train.segment_id))])
        groups = list(train["set"]) + [f"2015:{first_case(cs)}" for cs in study.scope.cases]
        texts, ids = unit_texts(segments), list(segments.segment_id)
        labels = labels.set_axis(ids, axis=0)
        classes, Y = [str(c) for c in labels.columns], labels.to_numpy().astype(int)
        model = transcript_model().fit(texts, labels)  # fit_combined's order: the final model, then the folds
        folds = list(GroupKFold(n_splits=5).split(texts, groups=np.asarray(groups, dtype=object)))
        cross = {key: np.zeros((len(texts), len(classes))) for key in ("turn", "sent", "clause", "pm")}
        cross["pieces"], fold_of = np.zeros(len(texts), int), np.zeros(len(texts), int)
        for f, (tr, te) in enumerate(folds):
            inner = transcript_model().fit([texts[i] for i in tr], labels.iloc[tr])
            for key, value in scores(inner, [texts[i] for i in te], classes).items():
                cross[key][te] = value
            fold_of[te] = f
        tuned = tune_combination(rule_codings, cross["turn"], classes, ids, labels)
        flat, owner, plabels = piece_model(texts, ids, Y, classes, model)
        for f, (tr, te) in enumerate(folds):
            rows = np.isin(owner, tr)
            inner = transcript_model().fit([flat[r] for r in np.nonzero(rows)[0]],
                                           pd.DataFrame(plabels[rows], columns=classes))
            cross["pm"][te] = _max_over(inner, whole((texts[i], [p for p, o in zip(flat, owner) if o == i])
                                                     for i in te), classes)
        pieces_model = transcript_model().fit(flat, pd.DataFrame(plabels, columns=classes))
        test_texts = unit_texts(test)
        held_scores = scores(model, test_texts, classes)
        sentences = [c[0] for c in _pieces(nlp, cache, test_texts)]
        held_scores["pm"] = _max_over(pieces_model, whole(zip(test_texts, sentences)), classes)
        coder = CombinedCoder(rules, model, **tuned)
        order = coder._order([str(c) for c in model.classes_])
        mine = rule_codings[rule_codings.segment_id.isin(set(test.segment_id))]
        strength, _ = coder._rule_matrix(list(test.segment_id), zip(*(mine[n].tolist() for n in (
            "segment_id", "code", "score", "start", "end", "evidence", "rule", "pattern"))), order)
        pd.to_pickle({"classes": classes, "order": order, "tuned": tuned, "train_ids": ids, "train_labels": Y,
                      "train_fold": fold_of, "cross": cross, "test_ids": list(test.segment_id),
                      "test": held_scores, "strength": strength}, folder / f"{held_set}.pkl")
        print(f"{held_set} dumped | {time.time() - started:.0f} s", flush=True)


def merge(folder: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    from casecode.analysis import evaluate
    from casecode.coders import tune_combination
    from casecode.coders._combined import COUNCIL_MARGIN, blend_score
    from casecode.corpus import first_case
    from casecode.studies import load_study
    from casecode.studies.transcripts import training_transcripts

    from ablation_transcript_coder import ASR_SETS, OUTSIDER_SETS

    study, (units, gold) = load_study(), training_transcripts()
    rule_codings = None
    sets = sorted((s for s in set(units.set) if (folder / f"{s}.pkl").is_file()), key=lambda s: int(s[3:]))
    folds = {s: pd.read_pickle(folder / f"{s}.pkl") for s in sets}
    print(f"{len(sets)} folds dumped in {folder}")
    by_id = units.set_index("segment_id")

    def logit(p):
        p = np.clip(p, 1e-4, 1 - 1e-4)
        return np.log(p / (1 - p))

    def features(sc, kind):
        turn = logit(sc["turn"])
        pieces = np.log1p(sc["pieces"])[:, None] * np.ones_like(turn)
        more = {"sent": [logit(np.maximum(sc["sent"], sc["turn"])) - turn, pieces],
                "sentclause": [logit(np.maximum(sc["sent"], sc["turn"])) - turn,
                               logit(np.maximum(sc["clause"], sc["turn"])) - turn, pieces],
                "pm": [logit(sc["pm"]) - turn]}[kind]
        return [turn, *more]

    def stacked(d, kind):
        train, test = features(d["cross"], kind), features(d["test"], kind)
        cross, held = d["cross"]["turn"].copy(), d["test"]["turn"].copy()
        for j in range(len(d["classes"])):
            y = d["train_labels"][:, j]
            if min(y.sum(), len(y) - y.sum()) < 3:
                continue
            X, Xt = np.column_stack([a[:, j] for a in train]), np.column_stack([a[:, j] for a in test])
            held[:, j] = LogisticRegression(max_iter=1000).fit(X, y).predict_proba(Xt)[:, 1]
            for f in np.unique(d["train_fold"]):
                out = d["train_fold"] == f
                if min(y[~out].sum(), (~out).sum() - y[~out].sum()) >= 3:
                    cross[out, j] = LogisticRegression(max_iter=1000).fit(X[~out], y[~out]).predict_proba(
                        X[out])[:, 1]
        return cross, held

    def codings(d, p, tuned) -> pd.DataFrame:
        """The fold's combined codings from held-out probabilities `p` (columns in `classes` order)."""
        order, classes = d["order"], d["classes"]
        known = np.array([c in classes for c in order])
        prob = np.zeros((len(d["test_ids"]), len(order)))
        prob[:, known] = p[:, [classes.index(c) for c in order if c in classes]]
        rule = np.nan_to_num(d["strength"], nan=0.0)
        score = np.where(known, blend_score(rule, prob, tuned["rule_weight"]), rule)
        chosen = np.where(known, score >= tuned["blend"], ~np.isnan(d["strength"]))
        cut = round(min(1.0, tuned["blend"] + COUNCIL_MARGIN), 3)
        rows = by_id.loc[d["test_ids"]]
        members: dict = {}
        for i, (cs, doc) in enumerate(zip(rows.cases, rows.document_id)):
            members.setdefault(first_case(cs) or doc, []).append(i)
        for k in np.nonzero(known)[0]:
            for idx in members.values():
                if score[idx, k].max() < cut:
                    chosen[idx, k] = False
                elif not chosen[idx, k].any():
                    chosen[idx[int(np.argmax(score[idx, k]))], k] = True
        return pd.DataFrame([(d["test_ids"][i], order[k]) for i, k in zip(*np.nonzero(chosen))],
                            columns=["segment_id", "code"])

    def line(label, per_set):
        both = pd.concat(per_set.values(), ignore_index=True)
        out = []
        for name, part in (("all", sets), ("asr", [s for s in ASR_SETS if s in sets]),
                           ("outsiders", [s for s in OUTSIDER_SETS if s in sets])):
            u = units[units.set.isin(part)]
            ev = evaluate(both[both.segment_id.isin(set(u.segment_id))], gold[gold.segment_id.isin(set(u.segment_id))],
                          u, study.chart_codes, cases=list(dict.fromkeys(x for cs in u.cases for x in cs)),
                          labels=study.codebook)
            m = ev.micro
            out.append(f"P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} kappa {ev.case_kappa:.3f}"
                       if name == "all" else f"{name} F1 {m['f1']:.3f}")
        print(f"{label:12s} | {' | '.join(out)}", flush=True)

    def rules_of():
        nonlocal rule_codings
        if rule_codings is None:
            from casecode.coders import RuleCoder, load_nlp

            rules = RuleCoder(study.codebook, load_nlp(None))
            rule_codings = pd.concat([rules.code(units), rules.code(study.scope)], ignore_index=True)
        return rule_codings

    def tuned_on(d, cross):
        labels = pd.DataFrame(d["train_labels"], index=d["train_ids"], columns=d["classes"])
        return tune_combination(rules_of(), cross, d["classes"], d["train_ids"], labels)

    line("base", {s: codings(d, d["test"]["turn"], d["tuned"]) for s, d in folds.items()})
    for kind in ("sent", "sentclause", "pm"):
        per_set = {}
        for s, d in folds.items():
            cross, held = stacked(d, kind)
            per_set[s] = codings(d, held, tuned_on(d, cross))
        line(f"stack-{kind}", per_set)
    per_set, picks = {}, Counter()
    for s, d in folds.items():
        best = None
        for w in (0.0, 0.25, 0.5):
            cross = d["cross"]["turn"] + w * (np.maximum(d["cross"]["turn"], d["cross"]["pm"]) - d["cross"]["turn"])
            tuned = tuned_on(d, cross)
            gold_ = d["train_labels"].astype(bool)
            strength = np.zeros_like(cross)
            pos = {x: i for i, x in enumerate(d["train_ids"])}
            for r in rules_of().itertuples(index=False):
                if r.segment_id in pos and r.code in d["classes"]:
                    i, j = pos[r.segment_id], d["classes"].index(r.code)
                    strength[i, j] = max(strength[i, j], float(r.score))
            chosen = blend_score(strength, cross, tuned["rule_weight"]) >= tuned["blend"]
            f1 = 2 * (chosen & gold_).sum() / (gold_.sum() + chosen.sum())
            if best is None or f1 > best[0] + 1e-9:
                best = (f1, w, tuned)
        _, w, tuned = best
        picks[w] += 1
        held = d["test"]["turn"] + w * (np.maximum(d["test"]["turn"], d["test"]["pm"]) - d["test"]["turn"])
        per_set[s] = codings(d, held, tuned)
    line("shrink-pm", per_set)
    print("shrink-pm weights chosen:", dict(picks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shard", metavar="I/N", default="0/1")
    parser.add_argument("--dump", metavar="DIR")
    parser.add_argument("--merge", metavar="DIR")
    args = parser.parse_args()
    if args.merge:
        merge(Path(args.merge))
    elif args.dump:
        dump(args.shard, Path(args.dump))
    else:
        parser.error("give --dump DIR (with --shard I/N) or --merge DIR")


if __name__ == "__main__":
    main()
