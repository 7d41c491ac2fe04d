"""The fictional training transcripts (`corpus/training-transcripts/set*/`) and the coder fitted on them.

Interview speech rarely uses the codebook's words, and a model fitted on the 2015 report's prose barely finds
anything in it. So the coder for transcripts is fitted on these hand-coded units as well as on the 2015 reference
coding, and its rule/model combination is tuned by cross-validation grouped by council (`fit_combined`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._paths import study_paths

TRAINING = Path("corpus") / "training-transcripts"


def transcript_units(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codable units of the transcripts in `folder` (cases from each file's `case`) and its gold.csv codings."""
    from ..corpus import read_documents, segments_frame
    from ..workflow._evaluate import read_file_codings
    from ..workflow._ingest import case_id_for

    documents = read_documents(sorted(Path(folder).glob("*.txt")))
    segments = pd.concat([segments_frame(d.segments) for d in documents], ignore_index=True)
    segments["cases"] = [tuple(case_id_for(c) for c in cs) if cs else (case_id_for(d),)
                         for cs, d in zip(segments.cases, segments.document_id)]
    gold = read_file_codings(Path(folder) / "gold.csv", segments, "gold")
    return segments[segments.codable].reset_index(drop=True), gold


def training_transcripts(root: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every training set's codable units (with a `set` column: the writer) and their gold codings."""
    root = study_paths().root if root is None else Path(root)
    folders = sorted(p for p in (root / TRAINING).glob("set*") if (p / "gold.csv").is_file())
    if not folders:
        from ..errors import CorpusError

        raise CorpusError(f"{root / TRAINING}: no training sets (set*/gold.csv); restore corpus/ from the repository")
    units, gold = [], []
    for folder in folders:
        u, g = transcript_units(folder)
        units.append(u.assign(set=folder.name))
        gold.append(g)
    return pd.concat(units, ignore_index=True), pd.concat(gold, ignore_index=True)


def shipped_training(study, units: pd.DataFrame | None = None, gold: pd.DataFrame | None = None):
    """(segments, 0/1 labels) to train on: transcript units (default: every training set) and the 2015 scope."""
    from .solace2015 import label_matrix

    if units is None:
        units, gold = training_transcripts()
    codes = study.codebook.ids
    segments = pd.concat([units.drop(columns=["set"], errors="ignore"), study.scope], ignore_index=True)
    labels = pd.concat([label_matrix(units, gold, codes), label_matrix(study.scope, study.reference, codes)],
                       ignore_index=True)
    return segments, labels


def fit_transcript_coder(study, units: pd.DataFrame, gold: pd.DataFrame, nlp_name: str | None = None,
                         make_model=None, rules=None):
    """A CombinedCoder for interview transcripts: its model fitted on `units` (gold codings `gold`) plus the 2015
    reference coding, the combination tuned by cross-validation that holds out whole training sets."""
    from ..coders import LearnedCoder, RuleCoder, fit_combined, load_nlp

    rules = RuleCoder(study.codebook, load_nlp(nlp_name)) if rules is None else rules
    segments, labels = shipped_training(study, units, gold)
    # Folds hold out whole writers (training sets), as new interviews come from a new hand; the 2015 prose is
    # grouped by council.
    groups = list(units["set"]) if "set" in units.columns else [cs[0] if len(cs) else "" for cs in units.cases]
    groups += [f"2015:{cs[0] if len(cs) else ''}" for cs in study.scope.cases]
    return fit_combined(rules, segments, labels, groups, make_model or LearnedCoder, folds=5,
                        rule_codings=rules.code(segments))
