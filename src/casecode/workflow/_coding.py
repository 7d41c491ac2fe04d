"""Running the coders: over a project's new units, or straight over files with no project."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..codebook import Codebook
from ..errors import CoderError, StoreError

#: Columns of `code_files` output (and of `casecode code --out`).
FILE_CODING_COLUMNS = ["document", "unit", "speaker", "code", "score", "start", "end", "evidence", "rule",
                       "pattern"]
MODEL_NAME = "combined"
#: `code_project` stores what it has coded at most this often (seconds): each commit waits for the disk.
STORE_SECONDS = 1.0
AUTOMATIC_CODERS = ("rules", "model", "combined")


def make_coder(codebook: Codebook, nlp_name: str | None = None, cases: pd.DataFrame | None = None,
               model_bytes: bytes | None = None, combination: dict | None = None, where: str = "saved model",
               fix: str | None = None):
    """The rule coder, combined with a learned model when one is given (bytes from `CombinedCoder.to_bytes`);
    `combination` replaces the decision settings saved with it (threshold, veto, blend, rule_weight)."""
    from ..coders import RuleCoder, load_nlp

    rules = RuleCoder(codebook, load_nlp(nlp_name), cases=cases)
    if model_bytes is None:
        return rules
    from ..coders import CombinedCoder  # only here: the rules alone do not load scikit-learn
    return CombinedCoder.from_bytes(model_bytes, rules, where=where, settings=combination,
                                    **({"fix": fix} if fix else {}))


def code_files(paths: Iterable[str | Path], codebook: Codebook, nlp_name: str | None = None,
               cases: pd.DataFrame | None = None, model_bytes: bytes | None = None, coder=None, *,
               workers: int = 1, engine: str = "local", scheduler: str | None = None,
               interviewers: Iterable[str] = ()) -> pd.DataFrame:
    """Code transcripts directly, with no project: one row per coding (FILE_CODING_COLUMNS).

    Units are paragraphs numbered from 1 in each file; interviewer turns (also those of the speakers named in
    `interviewers`) are not coded; offsets are into the
    file's decoded text with line endings normalised to \\n. Files are coded in batches; `workers` > 1 codes them
    in that many processes and `engine="dask"` on the Dask cluster at `scheduler` (see `write_file_codings` to
    stream them into a CSV instead of holding them all).
    """
    from functools import partial

    from ._shards import CoderSpec, iter_file_codings

    spec = CoderSpec(partial(make_coder, codebook, nlp_name, cases, model_bytes))
    tables = list(iter_file_codings(paths, spec, workers=workers, engine=engine, scheduler=scheduler,
                                    coder=coder, interviewers=tuple(interviewers)))
    if not tables:
        return pd.DataFrame(columns=FILE_CODING_COLUMNS)
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def file_codings(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """A coder's codings of `segments` as `code_files` rows, sorted by document, unit and start; `attrs` holds
    the batch's number of documents and words (for progress)."""
    seg = segments.set_index("segment_id")
    out = pd.DataFrame({
        "document": codings.document_id,
        "unit": codings.segment_id.map(seg.unit).astype(int),
        "speaker": codings.segment_id.map(seg.speaker),
        "code": codings.code,
        "score": codings.score.round(3),
        "start": codings.start.astype(int),
        "end": codings.end.astype(int),
        "evidence": codings.evidence,
        "rule": codings.rule,
        "pattern": codings.pattern,
    }, columns=FILE_CODING_COLUMNS)
    out = out.sort_values(["document", "unit", "start"], kind="stable").reset_index(drop=True)
    out.attrs = {"documents": int(segments.document_id.nunique()) if len(segments) else 0,
                 "words": sum(len(t.split()) for t in segments.text if isinstance(t, str))}
    return out


def file_codings_of_records(records: list[dict], segments: list) -> pd.DataFrame:
    """`file_codings(codings_frame(records), segments_frame(segments))` from a coder's coding dicts and the
    `Segment`s they code, with no DataFrame on the way (the same table: columns, dtypes, order and attrs)."""
    import numpy

    from ..coders._codings import codings_frame
    from ..corpus import segments_frame

    if not records:
        return file_codings(codings_frame(records), segments_frame(segments))
    by_id = {seg.segment_id: seg for seg in segments}
    units = [by_id[r["segment_id"]].unit for r in records]
    order = sorted(range(len(records)), key=lambda i: (records[i]["document_id"], units[i], records[i]["start"]))
    rows = [records[i] for i in order]
    column = {name: [r[key] for r in rows] for name, key in (
        ("document", "document_id"), ("code", "code"), ("start", "start"), ("end", "end"),
        ("evidence", "evidence"), ("rule", "rule"), ("pattern", "pattern"))}
    out = pd.DataFrame({
        "document": column["document"],
        "unit": numpy.array([units[i] for i in order], dtype=numpy.int64),
        "speaker": [by_id[r["segment_id"]].speaker for r in rows],
        "code": column["code"],
        "score": numpy.round(numpy.array([r["score"] for r in rows], dtype=numpy.float64), 3),
        "start": numpy.array(column["start"], dtype=numpy.int64),
        "end": numpy.array(column["end"], dtype=numpy.int64),
        "evidence": column["evidence"],
        "rule": column["rule"],
        "pattern": ["" if p is None else str(p) for p in column["pattern"]],
    }, columns=FILE_CODING_COLUMNS)
    out.attrs = {"documents": len({seg.document_id for seg in segments}),
                 "words": sum(map(len, map(str.split, [seg.text for seg in segments if isinstance(seg.text, str)])))}
    return out


def _saved_model(project) -> tuple[bytes | None, dict | None]:
    """The project's saved coder (model and its tuned combination, as `CombinedCoder.to_bytes`), or None; the
    second item is kept for callers that pass settings of their own (None: the saved ones count)."""
    try:
        return project.load_model(MODEL_NAME), None
    except StoreError:
        return None, None


def project_coder(project, nlp_name: str | None = None, use_model: bool = True) -> tuple[object, str]:
    """(coder, what it is, in words) for coding this project: the model trained and saved in the project, else
    the coder named in casecode.yaml (`coder:`, resolved by casecode.studies.coders), else the rules alone.
    `use_model=False` always gives the rules."""
    spec, what = project_coder_spec(project, nlp_name, use_model)
    return spec.build(), what


def project_coder_spec(project, nlp_name: str | None = None, use_model: bool = True):
    """(CoderSpec, what it is, in words): `project_coder` as a recipe that worker processes or a Dask cluster can
    build the same coder from, without the project."""
    from functools import partial

    from ..studies.coders import describe, named_coder
    from ._shards import CoderSpec, build_named_coder

    pipeline = nlp_name or project.pipeline
    if use_model:
        payload, combination = _saved_model(project)
        if payload is not None:
            spec = CoderSpec(partial(make_coder, project.codebook(), pipeline, project.cases(), payload, combination,
                                     where=f"{project.path}: the saved model {MODEL_NAME!r}",
                                     fix=f"retrain it with 'casecode train -p {project.path}', or code with "
                                         f"--no-model"))
            meta = project.models().set_index("name").meta.get(MODEL_NAME) or {}
            if meta.get("coder") and meta.get("coder") == project.coder:
                return spec, f"{describe(named_coder(project.coder))}; its model is saved in the project"
            return spec, "the rules and the model trained for this project (saved by 'casecode train')"
        named = named_coder(project.coder)
        if named is not None:
            spec = CoderSpec(partial(build_named_coder, named.name, pipeline, project.codebook(), project.cases()))
            return spec, describe(named)
    return CoderSpec(partial(make_coder, project.codebook(), pipeline, project.cases())), describe(None)


def documents_to_code(project, recode: bool = False) -> list[str]:
    """The documents `code_project` codes: those no automatic coder has finished, or all of them with `recode`."""
    documents = list(project.documents().document_id)
    if recode:
        return documents
    done = coded_documents(project)
    return [d for d in documents if d not in done]


def code_project(project, nlp_name: str | None = None, use_model: bool = True, recode: bool = False,
                 coder=None, *, workers: int = 1, engine: str = "local", scheduler: str | None = None
                 ) -> pd.DataFrame:
    """Code every codable unit of the documents not coded before; store suggestions as `suggested`.

    Documents already coded are left alone, even after `train` brings a new model; `recode` codes every document
    again but suggests only codes a unit does not already carry in any status (suggested, accepted, rejected, or
    added by hand), so a reviewer's work is never suggested back to them. `coder` defaults to
    `project_coder(project, nlp_name, use_model)`. Units are coded a batch of documents at a time and stored about
    once a second (an interrupted run keeps what it stored, and the next run goes on from there); `workers` > 1
    codes batches in that many processes and `engine="dask"` on a Dask cluster, each building the project's coder
    (`project_coder_spec`), and the store is written from this process only.
    """
    from ._shards import iter_segment_codings

    from ..store._project import STORED_CODING_COLUMNS

    if not recode and not documents_to_code(project):  # nothing new: no need to read every unit and coding
        return pd.DataFrame(columns=STORED_CODING_COLUMNS)
    segments = project.segments(codable=True)
    automatic = project.codings(coder=list(AUTOMATIC_CODERS))
    previous = project.codings()
    done = coded_documents(project)
    if not recode:
        segments = segments[~segments.segment_id.isin(set(automatic.segment_id))
                            & ~segments.document_id.isin(done)]
    if segments.empty:
        return pd.DataFrame(columns=previous.columns)
    spec = None
    if workers > 1 or engine != "local" or coder is None:
        spec, _ = project_coder_spec(project, nlp_name, use_model)
    seen = set(zip(previous.segment_id, previous.code))  # any coder, any status: a reviewer's codes too
    stored: list[pd.DataFrame] = []
    waiting: list[pd.DataFrame] = []  # coded, not stored yet
    coded: set[str] = set()  # their documents
    last = time.monotonic()

    def store() -> None:
        with project.transaction():  # the codings and their documents' mark: one commit, all or nothing
            codings = pd.concat(waiting, ignore_index=True) if waiting else None
            if codings is not None:  # a code renamed or merged since these were coded moves with them, under the lock
                codings = _renamed(codings, project)
            if codings is not None and not codings.empty:
                # Checked again under the store's write lock: another `casecode code` may have stored these
                # meanwhile.
                ids = project.add_codings(codings, status="suggested", run=f"code:{codings.coder.iloc[0]}",
                                          skip_coded_by=AUTOMATIC_CODERS)
                stored.append(codings[[i is not None for i in ids]])
            done.update(coded)
            mark_coded_documents(project, done)
        waiting.clear()
        coded.clear()

    for batch, codings in iter_segment_codings(segments, spec, workers=workers, engine=engine, scheduler=scheduler,
                                               coder=coder):
        codings = _renamed(codings, project)
        codings = codings[[pair not in seen for pair in zip(codings.segment_id, codings.code)]]
        if not codings.empty:
            waiting.append(codings)
        coded.update(batch.document_id)
        if time.monotonic() - last >= STORE_SECONDS:  # a commit waits for the disk: not one per batch
            store()
            last = time.monotonic()
    if coded:
        store()
    if not stored:
        return pd.DataFrame(columns=previous.columns)
    return pd.concat(stored, ignore_index=True)


_CODED_KEY = "auto_coded_documents"


def coded_documents(project) -> set[str]:
    """Documents whose every codable unit an automatic coder has coded (whatever it suggested)."""
    import json

    with project._begin() as conn:
        value = project._info(conn, _CODED_KEY)
    try:
        found = json.loads(value) if value else []
    except ValueError:  # unreadable: forget it, and units with no suggestion are coded again (no duplicates)
        found = []
    return {str(d) for d in found} if isinstance(found, list) else set()


def mark_coded_documents(project, documents: set[str]) -> None:
    """Add `documents` to the coded ones, under the store's write lock (so two runs at once keep both's marks)."""
    import json

    with project._begin(write=True) as conn:
        try:
            found = json.loads(project._info(conn, _CODED_KEY) or "[]")
        except ValueError:
            found = []
        known = {str(d) for d in found} if isinstance(found, list) else set()
        project._set_info(conn, _CODED_KEY, json.dumps(sorted(known | set(documents))))


def _renamed(codings: pd.DataFrame, project) -> pd.DataFrame:
    """Codings with codes renamed or merged since the model was trained moved to their new id (one per unit and
    code, the best-scored), and codes no longer in the codebook left out."""
    mapping = project.code_map()
    if not mapping or codings.empty:
        return codings
    codings = codings.assign(code=codings.code.replace(mapping))
    codings = codings[codings.code.isin(project.codebook().ids)]
    best = codings.sort_values("score", ascending=False, kind="stable").drop_duplicates(["segment_id", "code"])
    return codings.loc[sorted(best.index)]


def train_model(project, min_units: int = 10, extra: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> dict:
    """Fit the learned coder on the project's accepted codings, tune its combination with the rules, and save both.

    Training units are those a person has decided on (or the reference coding covers); their current codings
    (accepted, manual, reference) are the labels, so a unit whose suggestions were all rejected is a negative.
    `extra` adds more coded units (segments, 0/1 labels by code), e.g. the shipped training transcripts. The
    combination (see CombinedCoder) is tuned by cross-validation grouped by case when there are two cases or more.
    """
    from ..coders import RuleCoder, fit_combined, load_nlp
    from ..corpus import first_case

    current = project.current_codings()
    history = project.decisions()
    decided = set(history[history.decision != "fold"].segment_id) | set(current.segment_id)  # folds decide nothing
    segments = project.segments()
    units = segments[segments.segment_id.isin(decided)]
    if len(units) < min_units:
        raise CoderError(f"only {len(units)} reviewed units; review at least {min_units} before training "
                         f"(casecode review --apply WORKBOOK)")
    codebook = project.codebook()
    codes = codebook.ids
    present = current[current.code.isin(codes)][["segment_id", "code"]].drop_duplicates()
    labels = pd.crosstab(present.segment_id, present.code).reindex(index=units.segment_id, columns=codes,
                                                                   fill_value=0).clip(upper=1)
    own = len(units)
    if extra is not None:
        units = pd.concat([units, extra[0]], ignore_index=True)
        labels = pd.concat([labels.reset_index(drop=True),
                            extra[1].reindex(columns=codes, fill_value=0).reset_index(drop=True)], ignore_index=True)
    labels = labels.reset_index(drop=True)
    units = units.reset_index(drop=True)
    groups = [first_case(cs) for cs in units.cases]
    rules = RuleCoder(codebook, load_nlp(project.pipeline), cases=project.cases())
    # With a single case there is nothing to cross-validate: fit_combined keeps the untuned defaults.
    coder = fit_combined(rules, units, labels, groups, folds=min(5, len(set(groups))))
    project.save_model(MODEL_NAME, coder.to_bytes(), kind="CombinedCoder",
                       meta={"units": own, "extra_units": len(units) - own, "combination": coder.settings(),
                             "codes": {c: int(labels[c].sum()) for c in codes}})
    return {"units": own, "extra_units": len(units) - own, "positives": int(labels.to_numpy().sum())}
