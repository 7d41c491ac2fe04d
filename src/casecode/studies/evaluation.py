"""The study's own evaluation of casecode's coders: four figures, each saying which coder made it.

1. Leave-one-council-out on the 2015 body segments, the author's placement (the heading a passage sits under)
   as gold: the learned part of each coder is trained on the other eight councils only.
2. Agreement with the reference coding on Appendix Two items (the learned part cross-fitted the same way).
3. The development transcripts (`tests/data/dev/`, fictional) against their hand coding, the learned part trained
   on the other transcripts (one council each) or on the 2015 reference.
4. Transcripts nobody wrote rules from (`tests/data/unseen/`, fictional), against a hand coding: unit level
   and council level.

"combined" is `fit_combined`: the model may add or veto only as far as cross-validation by council on its own
training data allowed. The embedding lines appear only when the embeddings extra is installed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis import evaluate
from ._paths import study_paths
from .solace2015 import BODY_KINDS, automatic_coding, cross_fit, label_matrix, load_study

DEV = Path("tests") / "data" / "dev"
DEV2 = Path("tests") / "data" / "dev2"
UNSEEN = Path("tests") / "data" / "unseen"


def _groups(segments: pd.DataFrame) -> list[str]:
    """One case per segment (the first it names), for grouped cross-validation."""
    return [cases[0] if len(cases) else "" for cases in segments.cases]


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


def _extra_models() -> dict:
    """Optional learned models to measure besides LearnedCoder: the sentence-embedding coder when installed."""
    from ..coders import EmbeddingCoder, embeddings_available

    return {"emb": EmbeddingCoder} if embeddings_available() else {}


def placement_evaluation(study, nlp_name: str | None = None, notes: list | None = None) -> dict:
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
    for name, make_model in _extra_models().items():
        results[f"{name}-model"] = cross_fit(body, labels, _model_only(make_model))
        results[f"{name}-comb"] = cross_fit(body, labels, _tuned(rules, body, make_model, None, rule_codings))
    _note_gates(notes, "placement", gates)
    return {name: evaluate(codings, gold, body, codes, cases=study.cases) for name, codings in results.items()}


def appendix_evaluation(study, nlp_name: str | None = None, notes: list | None = None) -> dict:
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
    for name, make_model in _extra_models().items():
        results[f"{name}-comb"] = cross_fit(study.scope, labels,
                                            _tuned(rules, study.scope, make_model, None, rules_codings))
    _note_gates(notes, "appendix2", gates)
    a2 = study.scope[study.scope.kind == "appendix2"]
    return {name: evaluate(codings, study.reference, a2, study.chart_codes, cases=study.cases)
            for name, codings in results.items()}


def transcript_units(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codable units of the transcripts in `folder` (cases from each file's `case`) and its gold.csv codings."""
    from ..corpus import read_documents, segments_frame
    from ..workflow._evaluate import read_file_codings
    from ..workflow._ingest import case_id_for

    documents = read_documents(sorted(folder.glob("*.txt")))
    segments = pd.concat([segments_frame(d.segments) for d in documents], ignore_index=True)
    segments["cases"] = [tuple(case_id_for(c) for c in cs) if cs else (case_id_for(d),)
                         for cs, d in zip(segments.cases, segments.document_id)]
    gold = read_file_codings(folder / "gold.csv", segments, "gold")
    return segments[segments.codable].reset_index(drop=True), gold


def dev_evaluation(root: Path, study, nlp_name: str | None = None, notes: list | None = None,
                   folder: Path = DEV) -> dict:
    """Coders against the hand coding of the development transcripts. "combined" trains on the other transcripts
    (leave one council out); "comb-2015" trains on the whole 2015 reference, its gate tuned by 2015 council."""
    from ..coders import LearnedCoder, RuleCoder, fit_combined, load_nlp

    set_name = folder.name
    folder = root / folder
    if not (folder / "gold.csv").is_file():
        return {}
    units, gold = transcript_units(folder)
    codes = study.codebook.ids
    labels = label_matrix(units, gold, codes)
    rules = RuleCoder(study.codebook, load_nlp(nlp_name))
    ref_labels = label_matrix(study.scope, study.reference, codes)
    gates, rule_codings = [], rules.code(units)
    scope_rules = rules.code(study.scope)
    results = {
        "rules": rule_codings,
        "combined": cross_fit(units, labels, _tuned(rules, units, LearnedCoder, gates, rule_codings)),
        "comb-2015": fit_combined(rules, study.scope, ref_labels, _groups(study.scope),
                                  rule_codings=scope_rules).code(units),
    }
    for name, make_model in _extra_models().items():
        results[f"{name}-comb"] = cross_fit(units, labels, _tuned(rules, units, make_model, None, rule_codings))
        results[f"{name}-2015"] = fit_combined(rules, study.scope, ref_labels, _groups(study.scope), make_model,
                                               rule_codings=scope_rules).code(units)
    _note_gates(notes, set_name, gates)
    cases = list(dict.fromkeys(c for cs in units.cases for c in cs))
    return {name: evaluate(codings, gold, units, study.chart_codes, cases=cases, labels=study.codebook)
            for name, codings in results.items()}


def unseen_evaluation(root: Path, study, nlp_name: str | None = None) -> dict:
    """Coders against the hand coding of the fictional unseen transcripts, unit and council level."""
    from ..coders import LearnedCoder
    from ..workflow import code_files
    from ..workflow._evaluate import evaluate_files

    folder = root / UNSEEN
    files = sorted(folder.glob("*.txt"))
    if not files:
        return {}
    labels = label_matrix(study.scope, study.reference, study.codebook.ids)
    model = LearnedCoder().fit(list(study.scope.text), labels).to_bytes()
    out = {}
    for name, model_bytes in (("rules", None), ("combined", model)):
        table = code_files(files, study.codebook, nlp_name=nlp_name, model_bytes=model_bytes)
        predicted = folder.parent / f".unseen-{name}.csv"
        table.to_csv(predicted, index=False)
        try:
            out[name] = evaluate_files(predicted, folder / "gold.csv", files, study.codebook)
        finally:
            predicted.unlink(missing_ok=True)
    return out


def _note_gates(notes: list | None, section: str, gates: list) -> None:
    """Record the (threshold, veto) each fold's cross-validation chose, so a reader sees how often the model acts."""
    if notes is None or not gates:
        return
    shown = ", ".join(f"add {'off' if t is None else f'p>={t:g}'} / veto {'off' if v is None else f'p<={v:g}'}"
                      for t, v in dict.fromkeys(gates))
    notes.append(f"  ({section} combined gate, per fold: {shown})")


def evaluate_study(study_name: str = "2015", out: str | Path | None = None, nlp_name: str | None = None) -> list[str]:
    """Run the evaluations; print-ready lines, and per-code tables under `out` when given."""
    if str(study_name) != "2015":
        from ..errors import CorpusError

        raise CorpusError(f"unknown study {study_name!r}; the study casecode can evaluate is '2015'")
    paths = study_paths()
    study = load_study(paths)
    notes = {section: [] for section in ("placement", "appendix2", "dev", "dev2")}
    sections = {
        "placement": placement_evaluation(study, nlp_name, notes["placement"]),
        "appendix2": appendix_evaluation(study, nlp_name, notes["appendix2"]),
        "dev": dev_evaluation(paths.root, study, nlp_name, notes["dev"]),
        "dev2": dev_evaluation(paths.root, study, nlp_name, notes["dev2"], folder=DEV2),
        "unseen": unseen_evaluation(paths.root, study, nlp_name),
    }
    titles = {
        "placement": "2015 body segments, author's placement as gold, leave one council out",
        "appendix2": "2015 Appendix Two items against the reference coding (model part cross-fitted by council)",
        "dev": "Development transcripts (tests/data/dev) against the hand coding (model part cross-fitted by council)",
        "dev2": "Second development set (tests/data/dev2, written after the first tuning round) against its hand coding",
        "unseen": "Unseen fictional transcripts (tests/data/unseen) against the hand coding",
    }
    lines = []
    for section, results in sections.items():
        if not results:
            continue
        lines.append(titles[section])
        for coder, ev in results.items():
            micro, macro = ev.micro, ev.macro
            lines.append(f"  {coder:9s} micro P {micro['precision']:.3f} R {micro['recall']:.3f} "
                         f"F1 {micro['f1']:.3f} | macro F1 {macro['f1']:.3f} | case-level kappa {ev.case_kappa:.3f}")
            if out is not None:
                ev.write(Path(out) / section / coder)
        lines += notes.get(section, [])
    return lines
