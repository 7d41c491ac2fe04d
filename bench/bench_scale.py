"""Speed and scale of casecode against the bare text pipeline, in one run, written to bench/RESULTS.md.

    python bench/bench_scale.py                      # 200k words; memory at 50k and 500k; 2 workers
    python bench/bench_scale.py --words 1000000      # the issue's 1M-word table
    python bench/bench_scale.py --ten-million        # memory at 1M and 10M words (long: run once)

The corpus is built from the shipped training transcripts with varied names (bench/corpus_builder.py). Every
figure is words per second over the same codable units, and its ratio to B1, measured in this run:
- B1: spacy.blank("en") + sentencizer + lookup lemmatizer, nlp.pipe over the units' texts;
- bare spaCy with the codebook's patterns: B1 plus a spaCy Matcher and PhraseMatcher holding every pattern;
- casecode rules: `casecode code FILES --rules-only` as the CLI runs it (read, segment, code, write the CSV);
- casecode combined: `casecode code FILES` (rules + the learned transcript coder), the default;
- project path: `casecode add` then `casecode code -p` into a SQLite project (code -p timed; add reported too);
- the reference check: the rules' codings with spaCy's Matcher (engine "spacy") must equal the compiled engine's;
- workers: the rules-only run with N processes against 1, as a throughput ratio;
- memory: peak resident memory of `casecode code FILES` (default coder) in a child process at 1x and 10x words.
The machine is shared, so absolute figures move with load; compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from corpus_builder import build  # noqa: E402

CODEBOOK = ROOT / "codebooks" / "leadership-actions-2015.yaml"


def _units(paths):
    from casecode.corpus import read_documents

    texts = [seg.text for doc in read_documents(paths) for seg in doc.segments if seg.codable]
    return texts, sum(len(t.split()) for t in texts)


def _b1():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def _timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _memory_child(words: int, folder: str) -> None:
    """Child process: code the corpus in `folder` as `casecode code FILES` does by default; print peak RSS (MiB)."""
    from casecode.codebook import read_codebook
    from casecode.studies.transcripts import transcript_coder
    from casecode.workflow._shards import CoderSpec, write_file_codings

    paths = sorted(Path(folder).glob("*.txt"))
    codebook = read_codebook(CODEBOOK)
    coder = transcript_coder()
    with tempfile.TemporaryDirectory() as out:
        write_file_codings(paths, Path(out) / "codings.csv", CoderSpec(partial(transcript_coder)), coder=coder)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _peak_memory(words: int, work: Path) -> tuple[float, int]:
    folder = work / f"memory-{words}"
    paths, total = build(folder, words)
    result = subprocess.run([sys.executable, __file__, "--memory-child", str(words), str(folder)],
                            capture_output=True, text=True, check=True, env={**os.environ, "CASECODE_PROGRESS": "0"})
    return float(result.stdout.strip().splitlines()[-1]), total


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores ({model or platform.processor()}), Python " \
           f"{platform.python_version()}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=200_000, help="corpus size for the speed table")
    parser.add_argument("--memory-words", type=int, default=50_000, help="1x corpus for memory (10x is also run)")
    parser.add_argument("--ten-million", action="store_true", help="memory at 1M and 10M words")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(int(args.memory_child[0]), args.memory_child[1])
        return
    os.environ.setdefault("CASECODE_PROGRESS", "0")

    from casecode.codebook import read_codebook
    from casecode.coders import RuleCoder
    from casecode.store import init_project
    from casecode.studies.transcripts import transcript_coder
    from casecode.workflow import add_files, code_project
    from casecode.workflow._coding import code_files, make_coder
    from casecode.workflow._shards import CoderSpec, settle_memory, write_file_codings

    started_at = dt.datetime.now(dt.timezone.utc)
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="casecode-bench-"))
    paths, built_words = build(work / "corpus", args.words)
    texts, words = _units(paths)
    codebook = read_codebook(CODEBOOK)
    print(f"corpus: {len(paths)} transcripts, {words:,} words in {len(texts):,} codable units", flush=True)

    rows = []  # (name, seconds, note)
    b1 = _b1()
    list(b1.pipe(texts[:50]))  # warm up
    seconds, _ = _timed(lambda: [None for _ in b1.pipe(texts)])
    rows.append(("B1: spacy.blank('en') + sentencizer + lookup lemmatizer, nlp.pipe", seconds, ""))
    print(f"B1 {words / seconds:,.0f} words/s", flush=True)

    bare = RuleCoder(codebook, b1, engine="spacy")

    def bare_spacy():
        for doc in b1.pipe(texts):
            bare.matcher(doc)
            bare.phrase_matcher(doc)
    seconds, _ = _timed(bare_spacy)
    rows.append((f"bare spaCy: B1 + Matcher and PhraseMatcher with the codebook's {len(bare)} patterns", seconds, ""))

    out = work / "codings.csv"
    spec = CoderSpec(partial(make_coder, codebook))
    rules_coder = spec.build()
    settle_memory()  # as `casecode code` does once its coder is built
    write_file_codings(paths[:3], out, spec, coder=rules_coder)  # warm up
    seconds, n_rules = _timed(lambda: write_file_codings(paths, out, spec, coder=rules_coder))
    rows.append(("casecode code FILES --rules-only (read, code, write CSV)", seconds, f"{n_rules:,} codings"))
    rules_seconds = seconds
    print(f"rules {words / seconds:,.0f} words/s", flush=True)

    reference = RuleCoder(codebook, rules_coder.nlp, engine="spacy")
    compiled_table = code_files(paths, codebook, coder=rules_coder)
    reference_seconds, reference_table = _timed(lambda: code_files(paths, codebook, coder=reference))
    identical = compiled_table.equals(reference_table)
    rows.append(("rules with spaCy's Matcher (the reference engine)", reference_seconds,
                 f"codings identical to the compiled engine: {'yes' if identical else 'NO'}"))

    combined = transcript_coder()
    combined_spec = CoderSpec(partial(transcript_coder))
    write_file_codings(paths[:3], out, combined_spec, coder=combined)  # warm up
    seconds, n_combined = _timed(lambda: write_file_codings(paths, out, combined_spec, coder=combined))
    rows.append(("casecode code FILES (rules + learned transcript coder, the default)", seconds,
                 f"{n_combined:,} codings"))
    print(f"combined {words / seconds:,.0f} words/s", flush=True)

    project = init_project(work / "project", codebook, name="bench")
    add_seconds, _ = _timed(lambda: add_files(project, paths))
    seconds, stored = _timed(lambda: code_project(project))
    again, _ = _timed(lambda: code_project(project))
    project.close()
    rows.append(("casecode code -p (rules; project store, SQLite)", seconds,
                 f"{len(stored):,} suggestions; add took {add_seconds:.1f} s; code -p again with nothing new "
                 f"{again:.2f} s"))

    worker_seconds = None
    if args.workers > 1:
        worker_seconds, n_workers = _timed(lambda: write_file_codings(paths, out, spec, workers=args.workers))
        assert n_workers == n_rules

    memory = []
    if not args.no_memory:
        base = 1_000_000 if args.ten_million else args.memory_words
        for size in (base, 10 * base):
            peak, total = _peak_memory(size, work)
            memory.append((total, peak))
            print(f"memory at {total:,} words: {peak:.0f} MiB", flush=True)

    load_after = os.getloadavg()
    base_seconds = rows[0][1]
    lines = [
        "# casecode speed and scale",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC on {_machine()}.",
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; after: "
        f"{', '.join(f'{x:.1f}' for x in load_after)}. The machine is shared with other work, so absolute "
        "figures move with its load; the ratios compare runs made minutes apart in this one process.",
        "",
        f"Command: `python bench/bench_scale.py {' '.join(sys.argv[1:])}`".rstrip(),
        "",
        f"Corpus: {len(paths)} transcripts built from the shipped training transcripts with varied names, "
        f"{words:,} words in {len(texts):,} codable units.",
        "",
        "| pipeline on the same words | seconds | words/s | ratio to B1 | note |",
        "|---|---|---|---|---|",
    ]
    for name, seconds, note in rows:
        lines.append(f"| {name} | {seconds:.1f} | {words / seconds:,.0f} | {base_seconds / seconds:.3f} | {note} |")
    if worker_seconds:
        lines += ["", f"Workers: `--workers {args.workers}` coded the rules-only run in {worker_seconds:.1f} s against "
                      f"{rules_seconds:.1f} s for one process: {rules_seconds / worker_seconds:.2f}x the throughput "
                      f"(same codings). On a shared machine this depends on how many cores are free."]
    if memory:
        (w1, m1), (w10, m10) = memory
        lines += ["", "Peak resident memory of `casecode code FILES` (rules + learned coder, streamed in batches):",
                  "", "| words | peak MiB |", "|---|---|", f"| {w1:,} | {m1:.0f} |", f"| {w10:,} | {m10:.0f} |",
                  "", f"10x the words: {m10 / m1:.2f}x the memory."]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
