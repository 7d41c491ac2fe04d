"""The fictional training transcripts (`corpus/training-transcripts/set*/`) and the coder fitted on them.

Interview speech rarely uses the codebook's words, and a model fitted on the 2015 report's prose barely finds
anything in it. So the coder for transcripts is fitted on these hand-coded units as well as on the 2015 reference
coding, and its rule/model combination is tuned by cross-validation that holds out whole writers (`fit_combined`).

`transcript_coder()` fits it once and keeps the model in the user's cache (`$CASECODE_CACHE`, else
`$XDG_CACHE_HOME/casecode` or `~/.cache/casecode`) under a key made of everything it learns from, so a changed
training file, codebook or library version means a fresh fit, never a stale model.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from ._paths import study_paths
from .coders import NamedCoder, register

TRAINING = Path("corpus") / "training-transcripts"


def transcript_units(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codable units of the transcripts in `folder` (cases from each file's `case`) and its gold.csv codings."""
    from ..corpus import cases_or_document, read_documents, segments_frame
    from ..workflow._evaluate import read_file_codings
    from ..workflow._ingest import case_id_for

    documents = read_documents(sorted(Path(folder).glob("*.txt")))
    segments = pd.concat([segments_frame(d.segments) for d in documents], ignore_index=True)
    segments["cases"] = cases_or_document(segments, case_id_for)
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


#: The transcript coder's model drops words and word pairs found in only one training unit (`min_df`). Leaving one
#: of thirty-four training writers out (`python bench/ablation_transcript_coder.py base mindf1`): combined P 0.894
#: -> 0.892, R 0.796 -> 0.809, F1 0.842 -> 0.849, council kappa 0.878 -> 0.887; the model alone at p >= 0.5 P
#: 0.844 -> 0.901, F1 0.835 -> 0.842, kappa 0.843 -> 0.881 (a word seen once is mostly a name or a misheard word).
TRANSCRIPT_MIN_DF = 2


def transcript_model():
    """A new, unfitted model of the transcript coder (`fit_transcript_coder`'s default `make_model`)."""
    from ..coders import LearnedCoder

    return LearnedCoder(min_df=TRANSCRIPT_MIN_DF)


def fit_transcript_coder(study, units: pd.DataFrame, gold: pd.DataFrame, nlp_name: str | None = None,
                         make_model=None, rules=None, rule_codings: pd.DataFrame | None = None,
                         council: bool = True):
    """A CombinedCoder for interview transcripts: its model fitted on `units` (gold codings `gold`) plus the 2015
    reference coding, the combination tuned by cross-validation that holds out whole training sets, and the
    council rule of `fit_combined(council=True)` (`council=False`: any coded turn counts for its council).
    `rule_codings`: the rules' codings of (at least) these units and the 2015 scope, when the caller has them."""
    from ..coders import RuleCoder, fit_combined, load_nlp
    from ..corpus import first_case

    rules = RuleCoder(study.codebook, load_nlp(nlp_name)) if rules is None else rules
    segments, labels = shipped_training(study, units, gold)
    # Folds hold out whole writers (training sets), as new interviews come from a new hand; the 2015 prose is
    # grouped by council.
    groups = list(units["set"]) if "set" in units.columns else [first_case(cs) for cs in units.cases]
    groups += [f"2015:{first_case(cs)}" for cs in study.scope.cases]
    return fit_combined(rules, segments, labels, groups, make_model or transcript_model, folds=5,
                        rule_codings=rules.code(segments) if rule_codings is None else rule_codings, council=council)


def transcript_coder(nlp_name: str | None = None, cache: bool = True, codebook=None, cases=None):
    """The transcript coder for the 2015 codebook, from the cache when its inputs have not changed. Its rules read
    `codebook` (a project's copy of the 2015 codebook) and know the project's `cases` when given; the model is the
    same either way."""
    from ..coders import CombinedCoder, RuleCoder, load_nlp
    from ..errors import CasecodeError
    from .solace2015 import load_study

    paths = study_paths()
    study = load_study(paths)
    nlp = load_nlp(nlp_name)
    own = (codebook is None or codebook == study.codebook) and cases is None
    rules = RuleCoder(study.codebook if codebook is None else codebook, nlp, cases=cases)
    path = cache_folder() / f"transcript-coder-{_inputs_key(paths, nlp_name)}.npz"
    if cache and path.is_file():
        try:
            return CombinedCoder.from_disk(path, rules)
        except CasecodeError:  # a damaged or foreign cache file: fit again and overwrite it
            pass
    coder = fit_transcript_coder(study, *training_transcripts(paths.root), nlp_name,
                                 rules=rules if own else RuleCoder(study.codebook, nlp))
    if cache:
        _write_quietly(path, coder.to_bytes())
    coder.rule_coder = rules
    return coder


def cache_folder() -> Path:
    """Where fitted models are kept between runs."""
    if os.environ.get("CASECODE_CACHE"):
        return Path(os.environ["CASECODE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "casecode"


def _inputs_key(paths, nlp_name: str | None) -> str:
    """A digest of what the transcript coder learns from and of the code and libraries that fit it. The blank
    pipeline has one key under all its names (None, "blank", "blank:en"), as `load_nlp` gives one pipeline for them:
    a project (whose pipeline is named "blank:en") uses the coder `casecode code FILES` cached."""
    import sklearn
    import spacy

    from .. import __version__
    from .._shared import DEFAULT_PIPELINE

    if nlp_name in (None, "", "blank", DEFAULT_PIPELINE):
        nlp_name = None

    digest = hashlib.sha256(f"{__version__}|{sklearn.__version__}|{spacy.__version__}|{nlp_name}".encode())
    files = [paths.codebook, paths.report, paths.councils, paths.reference,
             *sorted((paths.root / TRAINING).rglob("*"))]
    for file in files:
        if file.is_file():
            digest.update(str(file.relative_to(paths.root)).encode() + b"\0" + file.read_bytes())
    package = Path(__file__).resolve().parents[1]
    lexicon = package / "data" / "scope-lexicon-en.yaml"  # the scope checks' and scope marks' words
    for module in [*sorted((package / "coders").rglob("*.py")), lexicon, Path(__file__).resolve()]:
        digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


def _write_quietly(path: Path, data: bytes) -> None:
    """Write `path` whole (a temporary file, then a rename) or not at all; a cache that cannot be written is
    skipped, as it only saves time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        pass


def _shipped_training_of_the_study():
    from .solace2015 import load_study

    return shipped_training(load_study())


register(NamedCoder(
    name="solace2015-transcripts",
    description="rules and the learned transcript coder, fitted once on the shipped training transcripts and the "
                "2015 reference, then cached",
    codebook="leadership-actions-2015",
    build=lambda nlp_name=None, codebook=None, cases=None: transcript_coder(nlp_name, codebook=codebook, cases=cases),
    training=_shipped_training_of_the_study,
))
