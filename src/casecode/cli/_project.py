"""Project commands: init, add, code, review, undo, memo, train, agree, report, evaluate."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .._output import write_csv
from ..studies.catalogue import EVALUABLE, REPLICABLE
from ._app import command, fail

PROJECT_OPTION = typer.Option(Path("."), "--project", "-p", help="The project folder (default: the current one).")


def open_project_at(path: Path):
    """The project in `path` (store imported on first use, so `casecode --help` stays quick)."""
    from ..store import open_project

    return open_project(path)


@command("init")
def init(
    project: Path = typer.Argument(..., help="Folder to create the project in."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="A YAML codebook, or a shipped one's name."),
    from_study: Optional[str] = typer.Option(None, "--from-study", help="Start a replication: "
                                              f"{', '.join(repr(name) for name in REPLICABLE)}."),
    name: Optional[str] = typer.Option(None, "--name", help="A name for the project."),
    database: Optional[str] = typer.Option(None, "--database", help="A database URL (default: SQLite in the folder)."),
    coder: Optional[str] = typer.Option(None, "--coder", help="The coder to use: 'rules' or a named coder "
                                        "(default: the one made for this codebook, if any)."),
):
    """Create a project folder with its store and codebook.

    Example: casecode init my-study --codebook codebooks/leadership-actions-2015.yaml
    """
    from ..codebook import read_codebook
    from ..store import init_project
    from ..studies.coders import coder_for, describe, named_coder

    if from_study is not None:
        from ..studies.replication import check_study, start_replication

        check_study(from_study)  # before any output, so an unknown study is refused first and alone
        given = [flag for flag, value in (("--codebook", codebook), ("--coder", coder)) if value is not None]
        if given:  # they were passed over without a word: the study brings its own codebook and coder
            fail(f"--from-study {from_study} starts from the study's own codebook and coder; leave out "
                 f"{' and '.join(given)} (or use them without --from-study)")
        typer.echo("Preparing the transcript coder (fitted once on the training transcripts, then cached) ...")
        with start_replication(project, study=from_study, name=name, database_url=database) as created:
            typer.echo(f"Created replication project {created.path} with the 2015 codebook, baseline and model.")
        return
    book = read_codebook(codebook) if codebook else None
    chosen = named_coder(coder) if coder else coder_for(book)
    created = init_project(project, book, name=name, database_url=database, coder=chosen.name if chosen else None)
    typer.echo(f"Created project {created.path}" + ("" if book else "; set a codebook with --codebook next time"))
    if book is not None:
        typer.echo(f"Coder: {describe(chosen)}")


@command("add")
def add(
    files: List[Path] = typer.Argument(None, help="Transcripts: .txt, .md, .docx, .vtt, .srt."),
    project: Path = PROJECT_OPTION,
    case: Optional[str] = typer.Option(None, "--case", help="The case (e.g. council) every file belongs to."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="A CSV listing files and their metadata."),
    interviewer: List[str] = typer.Option([], "--interviewer", help="Name of an interviewer (repeatable)."),
    override_case: bool = typer.Option(False, "--override-case", help="Let --case or the manifest replace a "
                                       "file's own front-matter case and case_type (default: a conflict is an error)."),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate", help="Add a file whose text (or words, in "
                                         "another format) a document of the project has, with a warning (default: "
                                         "refused, since its codings would count twice)."),
):
    """Add transcripts to a project; an unchanged file is skipped, a changed one or a copy refused.

    Example: casecode add interviews/*.txt --case "Fenmoor District Council" -p my-study
    """
    from ..workflow import add_files

    with open_project_at(project) as proj:
        result = add_files(proj, files or [], case=case, manifest=manifest, interviewer_names=interviewer,
                           override_case=override_case, allow_duplicate=allow_duplicate)
    for row in result.itertuples():
        typer.echo(f"{row.status}: {row.document_id} ({row.path})" + (f" [case {row.case_id}]" if row.case_id else ""))
        if row.warnings:
            typer.echo(f"Warning: {row.warnings}", err=True)


@command("code")
def code(
    files: List[Path] = typer.Argument(None, help="Code these files directly, with no project."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook for coding files directly."),
    out: Optional[Path] = typer.Option(None, "--out", help="CSV for codings of files coded directly."),
    project: Path = PROJECT_OPTION,
    model: Optional[str] = typer.Option(None, "--model", help="An installed trained spaCy pipeline."),
    no_model: bool = typer.Option(False, "--no-model", help="Use the rules only, not the learned model (same as "
                                  "--rules-only)."),
    recode: bool = typer.Option(False, "--recode", help="Code the units of every document again, suggesting only "
                                "codes a unit does not already carry (suggested, accepted, rejected or added by "
                                "hand)."),
    rules_only: bool = typer.Option(False, "--rules-only", help="The rule coder alone, even with the 2015 codebook "
                                    "(whose default is the learned transcript coder as well) or a trained model."),
    workers: int = typer.Option(1, "--workers", help="Code in this many processes (files: documents are "
                                "sharded across them; a project: its new units)."),
    engine: str = typer.Option("local", "--engine", help="local (this machine) or dask (a Dask cluster, with "
                               "--scheduler; needs the dask extra)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. "
                                            "tcp://10.0.0.5:8786."),
    interviewer: List[str] = typer.Option([], "--interviewer", help="Files: name of an interviewer, whose turns "
                                          "are not coded (repeatable), as for 'casecode add'."),
):
    """Suggest codes: for the documents of a project not coded before, or for FILES straight into a CSV.

    In a project, documents already coded are left alone, even after 'casecode train'; --recode codes them again.
    Example: casecode code transcripts/*.txt --codebook codebooks/leadership-actions-2015.yaml --out codings.csv
    """
    from ..workflow._shards import check_engine

    check_engine(engine, workers)  # before a file is read or a coder built
    if files:
        from functools import partial

        from ..codebook import read_codebook
        from ..studies.coders import coder_for
        from ..workflow._coding import make_coder
        from ..workflow._shards import CoderSpec, build_named_coder, settle_memory, write_file_codings

        if codebook is None or out is None:
            fail("coding files directly needs --codebook CODEBOOK and --out OUT.csv")
        book = read_codebook(codebook)

        coder = None if rules_only or no_model else _files_coder(book, model)
        named = coder_for(book) if coder is not None else None
        spec = CoderSpec(partial(build_named_coder, named.name, model, book) if named is not None
                         else partial(make_coder, book, model))
        settle_memory()
        count = write_file_codings(files, out, spec, workers=workers, engine=engine, scheduler=scheduler,
                                   coder=coder, interviewers=interviewer)
        typer.echo(f"Wrote {count} codings of {len(files)} file(s) to {out}")
        return
    from ..workflow import code_project, documents_to_code, project_coder

    if interviewer:
        fail(f"--interviewer names the interviewers of FILES coded directly; a project's are named as they are added: "
             f"casecode add FILES --interviewer NAME -p {project}")
    if codebook is not None or out is not None:  # FILES' options: never pass them over in silence
        given = " and ".join(name for name, value in (("--codebook", codebook), ("--out", out)) if value is not None)
        fail(f"{given} {'are' if ' and ' in given else 'is'} for coding FILES directly, and no FILES were given; "
             f"name them (e.g. interviews/*.txt), or drop {given} to code project {project} (its codings: "
             f"casecode export segments -p {project} --include-suggested --out FILE)")
    no_model = no_model or rules_only  # a project's rules alone, as for FILES
    with open_project_at(project) as proj:
        documents = documents_to_code(proj, recode)
        total = len(proj.documents())
        if not total:
            typer.echo(f"Nothing to code: the project has no documents yet; add transcripts first with "
                       f"'casecode add FILES -p {project}'")
            return
        if not documents:
            typer.echo(f"Nothing to code: all {total} documents were coded before; 'casecode code --recode' codes "
                       f"them again, suggesting only codes their units do not carry yet")
            return
        coder, what = project_coder(proj, nlp_name=model, use_model=not no_model)
        typer.echo(f"Coder: {what}", err=True)
        from ..workflow._manage import first_names
        from ..workflow._shards import settle_memory

        settle_memory()
        units = len(proj.segments(documents, codable=True))
        why = "documents, every one again (--recode)" if recode else "documents not coded before"
        typer.echo(f"Coding {units} units of {len(documents)} {why}: {first_names(documents)}")
        codings = code_project(proj, nlp_name=model, use_model=not no_model, recode=recode, coder=coder,
                               workers=workers, engine=engine, scheduler=scheduler)
    skipped = total - len(documents)
    typer.echo(f"Stored {len(codings)} suggestions" + (f"; {skipped} documents coded before were left alone"
                                                        if skipped else "")
               + f"; review them with 'casecode review -p {project}'")


def _files_coder(codebook, nlp_name):
    """The named coder made for `codebook` (for the 2015 codes: rules and the learned transcript coder), or None:
    the rules alone. Says which on stderr."""
    from ..errors import CorpusError
    from ..studies.coders import coder_for, describe

    named = coder_for(codebook)
    if named is not None:
        try:
            built = named.build(nlp_name, codebook=codebook)
        except CorpusError as exc:  # its training record is missing here: the rules still code
            typer.echo(f"Warning: coding with the rules alone; coder {named.name} needs: {exc}", err=True)
            return None
        typer.echo(f"Coder: {describe(named)}", err=True)
        return built
    typer.echo(f"Coder: {describe(None)}", err=True)
    return None


@command("review")
def review(
    project: Path = PROJECT_OPTION,
    out: Path = typer.Option(Path("review.xlsx"), "--out", help="The review workbook to write."),
    html: Optional[Path] = typer.Option(None, "--html", help="Folder for highlighted HTML transcripts."),
    apply: Optional[Path] = typer.Option(None, "--apply", help="Read decisions back from this workbook."),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", help="Who decided, where a row's 'decided_by' cell "
                                           "is empty (a filled cell names its own reviewer, with a warning)."),
    force: bool = typer.Option(False, "--force", help="Replace --out even if it holds decisions not yet applied."),
):
    """Write suggestions to a review workbook (and HTML), or apply a reviewed workbook's decisions.

    Example: casecode review -p my-study --out review.xlsx --html review-html
    """
    from ..workflow import apply_review, write_review

    with open_project_at(project) as proj:
        if apply is not None:
            decisions = apply_review(proj, apply, reviewer=reviewer)
            counts = decisions.decision.value_counts().to_dict() if len(decisions) else {}
            skipped = decisions.attrs.get("skipped", 0)
            by = decisions.decided_by.value_counts().to_dict() if len(decisions) else {}
            typer.echo(f"Recorded {len(decisions)} decisions from {apply}: "
                       + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none")
                       + (f" (by {', '.join(f'{name} {n}' for name, n in by.items())})" if by else "")
                       + (f"; {skipped} already recorded, skipped" if skipped else ""))
            return
        written = write_review(proj, out, html_dir=html, force=force)
    typer.echo(f"Wrote {written['suggestions']} suggestions to {written['workbook']}")
    for page in written["pages"]:
        typer.echo(f"Wrote {page}")


@command("undo")
def undo(
    project: Path = PROJECT_OPTION,
    last: int = typer.Option(1, "--last", help="How many decisions to take back, newest first (all or none)."),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", help="Only this reviewer's decisions (default: the "
                                           "project's latest, whoever made them); 'casecode' for a merge's folds."),
):
    """Take back the last review decision(s) (accept, reject, recode, add); the history keeps both.

    Example: casecode undo -p my-study --last 2
    """
    from ..workflow import undo_decisions

    with open_project_at(project) as proj:
        undone = undo_decisions(proj, last=last, reviewer=reviewer)
        codings = proj.codings()
        status = dict(zip(codings.coding_id, codings.status))
    for row in undone.to_dict("records"):
        typer.echo(f"Undid decision {row['decision_id']} by {row['decided_by']}: {_decision_text(row, status)}")


def _decision_text(row: dict, status: dict | None = None) -> str:
    unit = f"on unit {row['segment_id']}"
    if row["decision"] == "add" and (status or {}).get(row["new_coding_id"]) in ("accepted", "manual"):
        return (f"add of {row['code']} {unit} (coding {row['new_coding_id']} still stands: another reviewer "
                f"coded it too)")
    if row["decision"] == "add":
        return f"add of {row['code']} {unit} (coding {row['new_coding_id']} no longer stands)"
    if row["decision"] == "recode":
        return (f"recode of coding {row['coding_id']} from {row['code']} to {row['new_code']} {unit} (coding "
                f"{row['new_coding_id']} no longer stands)")
    if row["decision"] == "fold":
        return f"fold of coding {row['coding_id']} into coding {row['new_coding_id']} ({row['code']} {unit})"
    return f"{row['decision']} of coding {row['coding_id']} ({row['code']} {unit})"


@command("check")
def check(project: Path = PROJECT_OPTION):
    """Check a project's store: the database file, links, offsets, doubled suggestions, decisions, codebook.

    Example: casecode check -p my-study
    """
    with open_project_at(project) as proj:
        result = proj.check()
    found = result["counts"]
    summary = ", ".join(f"{n} {name}" for name, n in found.items())
    if result["problems"]:
        for line in result["problems"]:
            typer.echo(f"Problem: {line}")
        fail(f"{len(result['problems'])} kind(s) of problem in project {project} ({summary}); restore the database "
             f"from a backup, or remove and re-add the documents named")
    typer.echo(f"OK: project {project} ({summary}); no problems found")


@command("memo")
def memo(
    text: Optional[str] = typer.Argument(None, help="The note. Omit it to list memos."),
    on: str = typer.Option("project", "--on", help="What it is about: project, document:ID, segment:ID, code:ID, case:ID."),
    author: str = typer.Option("", "--author", help="Who wrote it."),
    project: Path = PROJECT_OPTION,
):
    """Attach a memo to the project, a document, a segment, a code or a case; without text, list memos.

    Example: casecode memo "Speaker 2 is the deputy" --on document:fenmoor --author Ana -p my-study
    """
    target_type, _, target_id = on.partition(":")
    with open_project_at(project) as proj:
        if text is None:
            memos = proj.memos(target_type if on != "project" else None, target_id or None)
            for row in memos.itertuples():
                typer.echo(f"[{row.target_type}:{row.target_id}] {row.author or '-'} {row.created_at}: {row.text}")
            return
        target = target_id if target_type != "project" else ""
        same = proj.memos(target_type, target)
        same = same[(same.text == text) & (same.author == author)]
        if len(same):  # running a script of commands again must not double its memos
            typer.echo(f"Memo {int(same.memo_id.iloc[0])} on {on} already says this; nothing stored")
            return
        memo_id = proj.add_memo(target_type, target, text, author=author)
    typer.echo(f"Stored memo {memo_id} on {on}")


@command("train")
def train(
    project: Path = PROJECT_OPTION,
    own_only: bool = typer.Option(False, "--own-only", help="Train on this project's reviewed units only, even "
                                  "with the 2015 codebook (default then: add the shipped training transcripts)."),
):
    """Fit the learned coder on the project's reviewed codings and save it with the project.

    With the 2015 codebook it also learns from the shipped training transcripts and the 2015 reference coding.
    Example: casecode train -p my-study
    """
    from ..workflow import train_model

    with open_project_at(project) as proj:
        extra = None if own_only else _shipped_training(proj)
        info = train_model(proj, extra=extra)
    also = f" and {info['extra_units']} shipped training units" if info["extra_units"] else ""
    typer.echo(f"Trained on {info['units']} reviewed units{also} ({info['positives']} codings); saved in the project")


def _shipped_training(project):
    """The extra training the project's coder brings (for the 2015 codes: the shipped training transcripts and the
    2015 reference), or None."""
    from ..studies.coders import coder_for, named_coder

    named = named_coder(project.coder) if project.coder else coder_for(project.codebook())
    return None if named is None else named.training()


@command("agree")
def agree(
    sources: List[Path] = typer.Argument(..., help="Review workbooks, coding CSVs or project folders, one per coder."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="The codebook (default: the project's)."),
    project: Optional[Path] = typer.Option(None, "--project", "-p", help="Project whose units all count as seen."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for agreement.csv and disagreements.csv."),
    by_reviewer: bool = typer.Option(False, "--by-reviewer", help="Count each 'decided_by' name in a workbook as "
                                     "a coder (default: one workbook is one coder)."),
):
    """Agreement between coders per code: percentage, Cohen's kappa, Krippendorff's alpha, and disagreements.

    Example: casecode agree review-ana.xlsx review-ben.xlsx -p my-study --out agreement
    """
    from ..codebook import read_codebook
    from ..workflow import agree as run

    if project is not None:
        with open_project_at(project) as proj:
            book = read_codebook(codebook) if codebook else proj.codebook()
            # its segments (interviewers' turns too, so a row coding one is named, not lost) and codings' codes now
            per_code, disagreements = run(sources, book, by_reviewer=by_reviewer, project=proj)
    elif codebook is not None:
        per_code, disagreements = run(sources, read_codebook(codebook), by_reviewer=by_reviewer)
    else:
        fail("give --codebook CODEBOOK or --project PROJECT so the codes are known")
    shown = per_code[["code", "units", "percent_agreement", "kappa", "alpha"]]
    typer.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"{len(disagreements)} disagreements")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_csv(per_code, out / "agreement.csv")
        write_csv(disagreements, out / "disagreements.csv")
        typer.echo(f"Wrote {out / 'agreement.csv'} and {out / 'disagreements.csv'}")


@command("report")
def report(
    project: Path = PROJECT_OPTION,
    out: Path = typer.Option(Path("report"), "--out", help="Folder for the tables, chart and Word report."),
    title: Optional[str] = typer.Option(None, "--title", help="Title of the Word report."),
    suggested: bool = typer.Option(False, "--include-suggested", help="Count unreviewed suggestions too."),
    agreement: Optional[Path] = typer.Option(None, "--agreement",
                                             help="agreement.csv from 'casecode agree', quoted in the method."),
):
    """Write the findings report (Word, Markdown, HTML) with its charts and tables.

    Example: casecode report -p my-study --out report --agreement agreement/agreement.csv
    """
    from ..workflow import project_report, read_agreement

    statuses = ("accepted", "manual", "reference") + (("suggested",) if suggested else ())
    table = read_agreement(agreement) if agreement is not None else None
    with open_project_at(project) as proj:
        paths = project_report(proj, out, title=title, statuses=statuses, agreement=table)
    for path in paths:
        typer.echo(f"Wrote {path}")


@command("evaluate")
def evaluate(
    predicted: Optional[Path] = typer.Argument(None, help="Coding CSV to judge (document, unit, code)."),
    gold: Optional[Path] = typer.Argument(None, help="Gold coding CSV (document, unit, code)."),
    files: List[Path] = typer.Argument(None, help="The transcripts both codings cover."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="The codebook."),
    study: Optional[str] = typer.Option(None, "--study", help="Run a study's evaluations: "
                                        f"{', '.join(repr(name) for name in EVALUABLE)}."),
    heldout: List[Path] = typer.Option(None, "--heldout", help="With --study: a folder of held-out transcripts and "
                                       "their gold.csv, scored by the study's transcript coder; repeat for more."),
    embeddings: bool = typer.Option(False, "--embeddings", help="With --study: also measure the sentence-embedding "
                                    "coder (slow; needs the embeddings extra)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the per-code tables."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="A CSV listing the transcripts and their "
                                            "cases, as for 'casecode add'."),
):
    """Score a coding against a gold coding: per-code P/R/F1/kappa, micro/macro, case-level kappa.

    Example: casecode evaluate codings.csv gold.csv transcripts/*.txt --codebook codebooks/leadership-actions-2015.yaml
    """
    if study is not None:
        from ..studies.evaluation import evaluate_study

        for line in evaluate_study(study, out, heldout=heldout or (), embeddings=embeddings):
            typer.echo(line)
        return
    if heldout or embeddings:
        option = "--heldout DIR" if heldout else "--embeddings"
        fail(f"{option.split()[0]} goes with --study (casecode evaluate --study {EVALUABLE[0]} {option})")
    from ..codebook import read_codebook
    from ..workflow._evaluate import evaluate_files

    if predicted is None or gold is None or not (files or manifest) or codebook is None:
        fail("give PREDICTED and GOLD coding CSVs, then the transcripts they cover (or --manifest), and --codebook")
    result = evaluate_files(predicted, gold, files or [], read_codebook(codebook), manifest=manifest)
    typer.echo(result.to_markdown())
    if out is not None:
        for path in result.write(out):
            typer.echo(f"Wrote {path}")
