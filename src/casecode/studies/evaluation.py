"""The study's own evaluation of casecode's coders: three figures, each saying which coder made it.

1. Leave-one-council-out on the 2015 body segments, the author's placement (the heading a passage sits under)
   as gold: the learned part of each coder is trained on the other eight councils only.
2. Agreement with the reference coding on Appendix Two items (the learned part cross-fitted the same way).
3. Transcripts nobody wrote rules from (`tests/data/unseen/`, fictional), against a hand coding: unit level
   and council level.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis import evaluate
from ._paths import study_paths
from .solace2015 import BODY_KINDS, automatic_coding, cross_fit, label_matrix, load_study

UNSEEN = Path("tests") / "data" / "unseen"


def placement_evaluation(study, nlp_name: str | None = None) -> dict:
    """Coders against the author's placement on council-attributed body segments, leave one council out."""
    from ..coders import CombinedCoder, LearnedCoder, RuleCoder, load_nlp

    body = study.scope[study.scope.kind.isin(BODY_KINDS)].reset_index(drop=True)
    gold = pd.DataFrame({"segment_id": body.segment_id, "code": body.heading.map(study.heading_codes),
                         "coder": "author"})
    codes = study.chart_codes
    labels = label_matrix(body, gold, codes)
    rules = RuleCoder(study.codebook, load_nlp(nlp_name), cases=study.cases)

    def combined(texts, y, test):
        return CombinedCoder(rules, LearnedCoder().fit(texts, y)).code(test)

    def model_only(texts, y, test):
        return LearnedCoder().fit(texts, y).code(test)

    results = {
        "rules": rules.code(body),
        "model": cross_fit(body, labels, model_only),
        "combined": cross_fit(body, labels, combined),
    }
    return {name: evaluate(codings, gold, body, codes, cases=study.cases) for name, codings in results.items()}


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


def evaluate_study(study_name: str = "2015", out: str | Path | None = None, nlp_name: str | None = None) -> list[str]:
    """Run the three evaluations; print-ready lines, and per-code tables under `out` when given."""
    if str(study_name) != "2015":
        from ..errors import CorpusError

        raise CorpusError(f"unknown study {study_name!r}; the study casecode can evaluate is '2015'")
    paths = study_paths()
    study = load_study(paths)
    rules_codings, combined, _ = automatic_coding(study, nlp_name)
    a2 = study.scope[study.scope.kind == "appendix2"]
    sections = {
        "placement": placement_evaluation(study, nlp_name),
        "appendix2": {
            "rules": evaluate(rules_codings, study.reference, a2, study.chart_codes, cases=study.cases),
            "combined": evaluate(combined, study.reference, a2, study.chart_codes, cases=study.cases),
        },
        "unseen": unseen_evaluation(paths.root, study, nlp_name),
    }
    titles = {
        "placement": "2015 body segments, author's placement as gold, leave one council out",
        "appendix2": "2015 Appendix Two items against the reference coding (model part cross-fitted by council)",
        "unseen": "Unseen fictional transcripts (tests/data/unseen) against the hand coding",
    }
    lines = []
    for section, results in sections.items():
        lines.append(titles[section])
        for coder, ev in results.items():
            micro, macro = ev.micro, ev.macro
            lines.append(f"  {coder:9s} micro P {micro['precision']:.3f} R {micro['recall']:.3f} "
                         f"F1 {micro['f1']:.3f} | macro F1 {macro['f1']:.3f} | case-level kappa {ev.case_kappa:.3f}")
            if out is not None:
                ev.write(Path(out) / section / coder)
    return lines
