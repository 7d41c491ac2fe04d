"""Coding many documents: in batches (streaming), across worker processes, or on a Dask cluster.

Documents are read, coded and written a batch at a time, so memory holds one batch per worker, not the corpus.
A batch (a *shard*) goes to a worker as file paths (local processes read the files themselves) or as the files'
bytes (Dask workers may be other machines); the worker builds its coder once, from a `CoderSpec`, and sends back
codings only, never spaCy Docs. Output order does not depend on the number of workers: batches follow the order of
document ids and each is sorted as `code_files` sorts.
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
import os
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from .._output import os_reason, safe_cell
from ..codebook import Codebook
from ..errors import CasecodeError, CorpusError, OutputError, warn

#: Documents per shard: big enough that a worker's start-up and the learned coder's batch scoring pay off, small
#: enough that memory stays flat and the progress bar moves.
BATCH_DOCUMENTS = 16
ENGINES = ("local", "dask")


@dataclass(frozen=True)
class CoderSpec:
    """How a worker builds the coder itself: `factory()`, a picklable callable (e.g. `functools.partial` of
    `make_coder` with the codebook, pipeline name, cases and saved model, or of `build_named_coder`)."""

    factory: Callable[[], object]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def build(self):
        return self.factory()


def build_named_coder(name: str, nlp_name: str | None, codebook: Codebook | None = None,
                      cases: pd.DataFrame | None = None):
    """The coder registered as `name` (casecode.studies.coders), built for `codebook` and `cases`."""
    from ..studies.coders import named_coder

    named = named_coder(name)
    if named is None:
        from ._coding import make_coder

        return make_coder(codebook, nlp_name, cases)
    return named.build(nlp_name, codebook=codebook, **({"cases": cases} if cases is not None else {}))


_WORKER: dict[str, object] = {}  # spec key -> coder, one per process


def check_engine(engine: str, workers: int) -> None:
    """Refuse an unknown engine or fewer than one worker (the CLI asks first, before it reads or builds anything)."""
    if engine not in ENGINES:
        raise CasecodeError(f"--engine {engine!r} is not known; use one of: {', '.join(ENGINES)}")
    if workers < 1:
        raise CasecodeError(f"--workers is {workers}; give 1 or more, the number of processes to code in "
                            f"(1 codes in this one)")


def _coder(spec: CoderSpec):
    coder = _WORKER.get(spec.key)
    if coder is None:
        _WORKER.clear()
        coder = _WORKER[spec.key] = spec.build()
    return coder


#: Allocations between the collector's passes over young objects, once the coder is built (Python's default: 700).
#: Coding makes and drops many short-lived lists; a pass every 700 of them costs about a tenth of a rules-only run.
GC_THRESHOLD = 10_000


def settle_memory() -> None:
    """After a long-lived coder is built: collect, then freeze what is alive, so the collector's later passes do
    not walk the pipeline's and codebook's objects again and again while documents are coded, and make those
    passes rarer (`GC_THRESHOLD`). For a command-line run or a worker process; not for a notebook, whose later
    garbage would be kept."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def _init_worker(spec: CoderSpec) -> None:
    os.environ.setdefault("CASECODE_PROGRESS", "0")
    _coder(spec)
    settle_memory()


def _pool(workers: int, spec: CoderSpec, coder=None) -> ProcessPoolExecutor:
    """Worker processes for `spec`. Where processes can be forked (Linux), a coder this process already holds is
    handed down by the fork, so no worker spends its first seconds building its own (loading the pipeline,
    compiling the codebook); elsewhere each worker builds one from `spec`."""
    context = None
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        if coder is not None:
            _WORKER.clear()
            _WORKER[spec.key] = coder
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(spec,))


def code_file_batch(spec: CoderSpec, paths: Sequence[str | Path], coder=None,
                    interviewers: Sequence[str] = (), digests: bool = False) -> pd.DataFrame:
    """Code one batch of files: FILE_CODING_COLUMNS rows, sorted by document, unit and start. `interviewers`
    names the interviewers whose turns are not coded, as `casecode add --interviewer` does. With `digests`,
    `attrs["words_digests"]` holds each file's (words digest, format), in the order of `paths`."""
    from ..corpus import read_documents, segments_frame
    from ._coding import file_codings, file_codings_of_records

    documents = read_documents([Path(p) for p in paths], interviewer_names=interviewers)
    for note in (note for d in documents for note in d.warnings):
        warn(note)  # e.g. read as Windows-1252, as `casecode add` says (a forked worker says it on stderr too)
    segments = [s for d in documents for s in d.segments]
    coder = coder if coder is not None else _coder(spec)
    if _codes_records(coder):  # the segments as dicts, no DataFrame until the codings
        codable = [{"segment_id": s.segment_id, "document_id": s.document_id, "start": s.start, "text": s.text,
                    "cases": s.cases, "speaker": s.speaker, "role": s.role}
                   for s in segments if s.codable is None or bool(s.codable)]
        table = file_codings_of_records(coder.code_records(codable, True), segments)
    else:
        frame = segments_frame(segments)  # one frame for the batch
        table = file_codings(coder.code(frame), frame)
    if digests:
        from ..corpus._readers import words_digest

        table.attrs["words_digests"] = [(words_digest(d.segments), d.format) for d in documents]
    return table


def _codes_records(coder) -> bool:
    """Whether `coder` is the rule coder or the combined coder, whose `code_records` gives `code`'s codings as dicts
    (a subclass that codes otherwise, or any other coder, is asked to `code` a segments frame)."""
    import sys

    from ..coders import RuleCoder

    if isinstance(coder, RuleCoder):
        return True
    combined = sys.modules.get("casecode.coders._combined")  # loaded whenever such a coder exists
    return combined is not None and isinstance(coder, combined.CombinedCoder) and \
        type(coder).code is combined.CombinedCoder.code


def _local_batch(args) -> pd.DataFrame:
    spec, paths, interviewers, digests = args
    return code_file_batch(spec, paths, interviewers=interviewers, digests=digests)


def _bytes_batch(spec: CoderSpec, files: list[tuple[str, bytes]], interviewers: Sequence[str] = (),
                 digests: bool = False) -> pd.DataFrame:
    """A Dask task: the files travel as (name, bytes) and are coded from a private temporary folder."""
    with tempfile.TemporaryDirectory(prefix="casecode-shard-") as folder:
        paths = []
        for name, data in files:
            path = Path(folder) / name
            path.write_bytes(data)
            paths.append(path)
        table = code_file_batch(spec, paths, interviewers=interviewers, digests=digests)
    return table


def _segments_batch(spec: CoderSpec, segments: pd.DataFrame) -> pd.DataFrame:
    return _coder(spec).code(segments)


def _local_segments(args) -> pd.DataFrame:
    return _segments_batch(*args)


def iter_segment_codings(segments: pd.DataFrame, spec: CoderSpec | None, *, workers: int = 1,
                         engine: str = "local", scheduler: str | None = None,
                         batch_documents: int = BATCH_DOCUMENTS, coder=None
                         ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """(segments of a batch of documents, their codings), batch by batch; a document is never split. `coder`,
    with local processes, is used instead of building one from `spec` (by this process, or by forked workers)."""
    check_engine(engine, workers)
    batches = _document_batches(segments, batch_documents)
    if engine == "dask":
        results = _dask_map(_segments_batch, spec, batches, scheduler)
    elif workers == 1 or len(batches) < 2:
        coder = coder if coder is not None else _coder(spec)
        results = (coder.code(b) for b in batches)
    else:
        pool = _pool(workers, spec, coder)
        results = _closing(pool, pool.map(_local_segments, [(spec, b) for b in batches]))
    yield from zip(batches, results)


def _document_batches(segments: pd.DataFrame, batch_documents: int) -> list[pd.DataFrame]:
    """The segments split into batches of `batch_documents` documents (in order of first appearance), each
    batch's rows in their order in `segments`, indexed from 0. The rows are placed in one pass (each document's
    batch number, then a stable sort), not by testing every row against every batch, which grew with the square
    of the project's size."""
    ids = segments.document_id.tolist()
    number = {doc: k // batch_documents for k, doc in enumerate(dict.fromkeys(ids))}
    of_row = np.fromiter(map(number.__getitem__, ids), dtype=np.int64, count=len(ids))
    order = np.argsort(of_row, kind="stable")
    ends = np.cumsum(np.bincount(of_row, minlength=len(set(number.values()))))
    return [segments.iloc[rows].reset_index(drop=True) for rows in np.split(order, ends[:-1])] if len(ids) else []


def _closing(pool, results):
    with pool:
        yield from results


def document_order(paths: Iterable[str | Path]) -> list[Path]:
    """The files in document-id order (the order `code_files` writes), refusing two files with one id."""
    from ..corpus._readers import slugify

    seen: dict[str, Path] = {}
    for path in map(Path, paths):
        doc_id = slugify(path.stem)
        if doc_id in seen and seen[doc_id].resolve() == path.resolve():
            raise CorpusError(f"{path}: the file is named twice; name each file once")
        if doc_id in seen:
            raise CorpusError(f"{path}: document_id '{doc_id}' is already used by {seen[doc_id]}; rename one of "
                              f"the files")
        seen[doc_id] = path
    return [seen[k] for k in sorted(seen)]


def _warn_copies(paths: list[Path]) -> None:
    """Warn of a file whose bytes another file given has too (a copy under another name): its codings would be
    written twice, under two documents, and counted twice. Only files of one size are read to compare."""
    import hashlib
    from collections import defaultdict

    by_size: dict[int, list[Path]] = defaultdict(list)
    for path in paths:
        by_size[path.stat().st_size].append(path)
    for group in (group for group in by_size.values() if len(group) > 1):
        first: dict[str, Path] = {}
        for path in group:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in first:
                warn(f"{path}: the same text as {first[digest]}; if it is the same transcript, leave one of them "
                     f"out, or its codings are written (and counted) twice")
            first.setdefault(digest, path)


def warn_same_words(documents, other_format: bool = False,
                    effect: str = "its codings are written (and counted) twice") -> None:
    """Warn of each document whose words an earlier one has (a copy, or the .txt and .docx of one transcript):
    its codings would be written, and counted, twice. With `other_format`, only a pair in two formats is told."""
    from ..corpus._readers import words_digest

    _warn_same_words(((words_digest(doc.segments), doc.format, doc.path) for doc in documents), other_format, effect)


def _warn_same_words(files, other_format: bool = False, effect: str = "its codings are written (and counted) twice",
                     seen: dict | None = None) -> None:
    """`warn_same_words` of (words digest, format, path) triples, `seen` as for `same_words`."""
    from ..corpus._readers import same_words

    for path, other, _ in same_words(files, other_format, seen):
        warn(f"{path}: the same words as {other}; if it is the same transcript, leave one of them out, or {effect}")


def iter_file_codings(paths: Iterable[str | Path], spec: CoderSpec, *, workers: int = 1, engine: str = "local",
                      scheduler: str | None = None, batch_documents: int = BATCH_DOCUMENTS,
                      coder=None, interviewers: Sequence[str] = ()) -> Iterator[pd.DataFrame]:
    """Codings of `paths`, one DataFrame per batch of documents, in document order; `interviewers` as for
    `code_file_batch`.

    `workers` > 1 codes batches in that many processes; `engine="dask"` sends them to the Dask scheduler at
    `scheduler` (an address such as tcp://10.0.0.5:8786, or a `distributed.Client`). `coder`, with local
    processes, is used instead of building one from `spec` (by this process, or by forked workers).
    """
    check_engine(engine, workers)
    ordered = document_order(paths)
    from ..corpus import SUPPORTED_EXTENSIONS

    for path in ordered:  # refuse a bad file before any worker starts
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS or not path.is_file():
            from ..corpus import read_document

            read_document(path)  # raises the reader's own one-line error
    _warn_copies(ordered)
    digests = len({path.suffix.lower() for path in ordered}) > 1  # see _same_words_told
    batches = [ordered[i:i + batch_documents] for i in range(0, len(ordered), batch_documents)]
    if engine == "dask":
        yield from _same_words_told(batches, _dask_batches(spec, batches, scheduler, tuple(interviewers), digests),
                                    digests)
    elif workers == 1 or len(batches) < 2:
        coder = coder if coder is not None else _coder(spec)
        yield from _same_words_told(batches, (code_file_batch(spec, batch, coder=coder, interviewers=interviewers,
                                                              digests=digests) for batch in batches), digests)
    else:
        with _pool(workers, spec, coder) as pool:
            yield from _same_words_told(batches, pool.map(_local_batch, [
                (spec, [str(p) for p in b], tuple(interviewers), digests) for b in batches]), digests)


def _same_words_told(batches: list[list[Path]], tables: Iterable[pd.DataFrame], digests: bool
                     ) -> Iterator[pd.DataFrame]:
    """The batches' tables as they come; with `digests` (files in more than one format), each after warning of a
    file of its batch whose words a file in another format has (the .txt and the .docx of one transcript, which
    `_warn_copies` cannot see), from the words digests its batch took of the documents it read."""
    seen: dict = {}
    for batch, table in zip(batches, tables):
        if digests:
            _warn_same_words(((digest, fmt, path) for path, (digest, fmt) in
                              zip(batch, table.attrs.pop("words_digests"))), other_format=True, seen=seen)
        yield table


def _dask_batches(spec: CoderSpec, batches: list[list[Path]], scheduler, interviewers: tuple[str, ...] = (),
                  digests: bool = False) -> Iterator[pd.DataFrame]:
    # the files travel as bytes: a worker on another machine cannot read this one's paths
    from functools import partial

    return _dask_map(partial(_bytes_batch, interviewers=interviewers, digests=digests), spec,
                     ([(p.name, p.read_bytes()) for p in b] for b in batches), scheduler)


def _dask_map(function, spec: CoderSpec, batches: Iterable, scheduler) -> Iterator[pd.DataFrame]:
    """function(spec, batch) on the Dask cluster for each batch, in order, a bounded number in flight."""
    try:
        from distributed import Client
    except ImportError:
        raise CasecodeError("--engine dask needs dask.distributed; install it with pip install -e \".[dask]\"") \
            from None
    if scheduler is None:
        raise CasecodeError("--engine dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="20s") if own else scheduler
    except (OSError, TimeoutError, ValueError) as exc:
        raise CasecodeError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); start one with "
                            f"'dask scheduler' and check the address") from None
    try:
        remote_spec = client.scatter(spec, broadcast=True)
        window = max(2, 2 * sum(client.nthreads().values()))
        pending = []
        for batch in batches:
            pending.append(client.submit(function, remote_spec, batch, pure=False))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
    finally:
        if own:
            client.close()


def write_file_codings(paths: Sequence[str | Path], out: str | Path, spec: CoderSpec, *, workers: int = 1,
                       engine: str = "local", scheduler: str | None = None, coder=None,
                       batch_documents: int = BATCH_DOCUMENTS, interviewers: Sequence[str] = ()) -> int:
    """Code `paths` batch by batch into the CSV `out` (FILE_CODING_COLUMNS); returns the number of codings.

    The CSV is written to a temporary file next to `out` and renamed when complete, so an interrupted run leaves
    no half-written file. A progress bar (documents, words/s, time left) shows on a terminal.
    """
    from ._coding import FILE_CODING_COLUMNS

    out = Path(out)
    if out.is_dir():
        raise CasecodeError(f"{out}: is a folder; give the CSV's file name, e.g. {out / 'codings.csv'}")
    if out.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods"):  # a spreadsheet program would refuse the file
        raise CasecodeError(f"{out}: casecode code writes CSV, which a spreadsheet opens as it is; name the file "
                            f"{out.with_suffix('.csv').name}")
    paths = list(paths)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=out.name + ".", suffix=".part", dir=out.parent)
    except OSError as exc:  # an error naming the temporary file would send the user looking for it
        raise OutputError(f"cannot write '{out}': {os_reason(exc)}") from None
    bar = _Bar(len(paths))
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            # the csv module as pandas' to_csv drives it (minimal quoting, "\n"), row by row from plain lists
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(FILE_CODING_COLUMNS)
            for table in iter_file_codings(paths, spec, workers=workers, engine=engine, scheduler=scheduler,
                                           coder=coder, batch_documents=batch_documents,
                                           interviewers=interviewers):
                writer.writerows(_csv_rows(table))
                count += len(table)
                bar.update(table)
        os.replace(temp, out)
    except OSError as exc:
        if exc.filename not in (None, temp):  # a transcript that could not be read names itself
            raise
        raise OutputError(f"cannot write '{out}': {os_reason(exc)}") from None  # a full disk, a vanished drive
    finally:
        bar.close()
        if os.path.exists(temp):
            os.unlink(temp)
    return count


def _csv_rows(table: pd.DataFrame):
    """The table's rows as `to_csv` writes them, text made safe (`safe_cell`: text columns are pandas' `str` or
    `object` dtype, both of kind "O"), numbers as they are."""
    columns = []
    for name in table.columns:
        column = table[name]
        values = column.tolist()
        if column.dtype.kind == "O":
            values = _safe_cells(values)
        elif column.dtype.kind == "f":
            values = [None if v != v else v for v in values]  # NaN: an empty cell, as to_csv writes it
        columns.append(values)
    return zip(*columns)


def _safe_cells(values: list) -> list:
    """`safe_cell` of each value, worked out once per distinct text: a table repeats its documents, speakers,
    codes and rules on row after row."""
    done: dict[str, str] = {}
    out = []
    for value in values:
        if type(value) is str:
            safe = done.get(value)
            if safe is None:
                safe = done[value] = safe_cell(value)
            out.append(safe)
        else:
            out.append(safe_cell(value))
    return out


class _Bar:
    """Documents done, words per second and time left, through casecode._progress's on/off rule (a terminal only)."""

    def __init__(self, total: int):
        from .._progress import progress_enabled

        self.bar = None
        self.started = time.perf_counter()
        self.words = 0
        if progress_enabled():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="doc", desc="coding", leave=False, dynamic_ncols=True)

    def update(self, table: pd.DataFrame) -> None:
        if self.bar is None:
            return
        docs = int(table.attrs.get("documents", 0))
        self.words += int(table.attrs.get("words", 0))
        rate = self.words / max(time.perf_counter() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{rate:,.0f} words/s", refresh=False)
        self.bar.update(docs)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
