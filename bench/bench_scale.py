"""Speed and scale of casecode against the bare text pipeline, in one run, written to bench/RESULTS.md.

    python bench/bench_scale.py                          # speed on 200k words, workers, memory at 100k and 1M words
    python bench/bench_scale.py --words 1000000          # the issue's 1M-word speed table (add --no-memory to skip)
    python bench/bench_scale.py --memory-only --ten-million   # memory at 1M and 10M words (long: run once)
    python bench/bench_scale.py --memory-only --memory-words 500000   # memory at 500k and 5M words
    python bench/bench_scale.py --words 1000000 --distinct-units   # the same, no unit text said twice

The corpus is built from the shipped training transcripts with varied names (bench/corpus_builder.py); as the 45
transcripts come round again, a unit naming no one is said again word for word (at 1M words a unit text about 1.9
times on average), which a coder keeping the docs of recent texts gains from; `--distinct-units` gives every line a
reference number of its own, so no unit text comes twice. Every
speed figure is words per second over the same codable units, and its ratio to B1 measured back to back in the same
round; each is the median of --repeat rounds:
- B1: spacy.blank("en") + sentencizer + lookup lemmatizer, nlp.pipe over the units' texts;
- bare spaCy with the codebook's patterns: B1 plus a spaCy Matcher and PhraseMatcher holding every pattern (once);
- casecode rules: `casecode code FILES --rules-only` as the CLI runs it (read, segment, code, write the CSV);
- casecode combined: `casecode code FILES` (rules + the learned transcript coder), the default; each round starts
  with the learned coder's caches empty (lemmas and scope marks, tf-idf tokens), as a fresh `casecode code` process
  does (a warm cache would skip spaCy and the scope marks for every unit seen in the round before);
- project path: `casecode add` then `casecode code -p` into a SQLite project, with the rules alone and with the
  default coder (a project whose `coder:` is the transcript coder). As the command does, the project's coder is
  built first and memory settled, then the coding (read units, code, store) is timed; building the coder (loading
  the pipeline and the saved model) and `add` are reported beside it, as the files rows' coders are built untimed;
- start-up: a fresh `casecode code ONE_FILE` process, as a user runs it (imports, the cached model, one file);
- the reference check: the rules' codings with spaCy's Matcher (engine "spacy") must equal the compiled engine's;
- workers: the rules-only run with N processes against 1 (both from a coder already built), a throughput ratio;
- memory: peak resident memory of `casecode code FILES` (default coder) in a child process at 1x and 10x words;
  the files are written to disk first and coded in batches, so nothing holds the whole corpus.
Each section of bench/RESULTS.md (Speed, Workers, Memory) is replaced by the run that measures it and keeps the
others (bench/bench_project.py writes "Project commands"). The load average is written beside every section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _results import header, load, write_section  # noqa: E402
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


def _memory_child(folder: str) -> None:
    """Child process: code the files in `folder` as `casecode code FILES` does by default; print peak RSS (MiB)."""
    from casecode.studies.transcripts import transcript_coder
    from casecode.workflow._shards import CoderSpec, settle_memory, write_file_codings

    paths = sorted(Path(folder).glob("*.txt"))
    coder = transcript_coder()
    settle_memory()
    with tempfile.TemporaryDirectory() as out:
        write_file_codings(paths, Path(out) / "codings.csv", CoderSpec(partial(transcript_coder)), coder=coder)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _peak_memory(words: int, work: Path) -> tuple[float, int, int, float]:
    """(peak MiB, words, files, seconds) of coding a corpus of `words` words in a child process."""
    folder = work / f"memory-{words}"
    paths, total = build(folder, words)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, __file__, "--memory-child", str(folder)],
                            capture_output=True, text=True, env={**os.environ, "CASECODE_PROGRESS": "0"})
    if result.returncode:
        raise SystemExit(f"memory run at {words:,} words failed:\n{result.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    for path in paths:  # the corpus is not needed any more: keep the disk free for the 10x one
        path.unlink()
    return float(result.stdout.strip().splitlines()[-1]), total, len(paths), seconds


def _fresh_caches() -> None:
    """Empty the learned coder's caches, as a fresh `casecode code` process starts: no unit's lemmas and scope marks
    known yet, and no text piece's tf-idf tokens. The vectorizer's vocabulary tables stay: a fresh process builds
    them when it reads the saved coder, before coding (as the rule coder compiles its codebook), and every coder
    here is built before its timed rows."""
    from casecode.coders import _learned, _tfidf

    _learned._LEMMAS.clear()
    _tfidf.forget_pieces()


def _rounds(repeat: int, functions: dict) -> dict[str, list[float]]:
    """Each function timed `repeat` times, round by round (one of each per round, back to back)."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            times[name].append(_timed(function)[0])
    return times


def speed(args, command: str) -> list[str]:
    from casecode.codebook import read_codebook
    from casecode.coders import RuleCoder
    from casecode.store import init_project
    from casecode.studies.coders import coder_for
    from casecode.studies.transcripts import transcript_coder
    from casecode.workflow import add_files, code_project, project_coder
    from casecode.workflow._coding import code_files, make_coder
    from casecode.workflow._shards import CoderSpec, settle_memory, write_file_codings

    started, load_before = dt.datetime.now(dt.timezone.utc), load()
    work = Path(tempfile.mkdtemp(prefix="casecode-bench-"))
    paths, _ = build(work / "corpus", args.words, args.distinct_units)
    texts, words = _units(paths)
    codebook = read_codebook(CODEBOOK)
    repeats = len(texts) / max(1, len(set(texts)))
    print(f"corpus: {len(paths)} transcripts, {words:,} words in {len(texts):,} codable units "
          f"({repeats:.2f} per distinct text)", flush=True)

    b1 = _b1()
    out = work / "codings.csv"
    spec = CoderSpec(partial(make_coder, codebook))
    rules_coder = spec.build()
    combined_spec = CoderSpec(partial(transcript_coder))
    combined = combined_spec.build()
    settle_memory()  # as `casecode code` does once its coder is built
    list(b1.pipe(texts[:50]))  # warm up
    write_file_codings(paths[:3], out, spec, coder=rules_coder)
    write_file_codings(paths[:3], out, combined_spec, coder=combined)
    counts = {}

    def rules():
        counts["rules"] = write_file_codings(paths, out, spec, coder=rules_coder)

    def default():
        _fresh_caches()
        counts["combined"] = write_file_codings(paths, out, combined_spec, coder=combined)

    times = _rounds(args.repeat, {"B1": lambda: [None for _ in b1.pipe(texts)], "rules": rules, "combined": default})
    print(f"B1 {words / statistics.median(times['B1']):,.0f} words/s; rules "
          f"{words / statistics.median(times['rules']):,.0f}; combined {words / statistics.median(times['combined']):,.0f}",
          flush=True)

    bare = RuleCoder(codebook, b1, engine="spacy")

    def bare_spacy():
        for doc in b1.pipe(texts):
            bare.matcher(doc)
            bare.phrase_matcher(doc)

    times["bare"] = [_timed(bare_spacy)[0]]
    reference = RuleCoder(codebook, rules_coder.nlp, engine="spacy")
    compiled_table = code_files(paths, codebook, coder=rules_coder)
    reference_seconds, reference_table = _timed(lambda: code_files(paths, codebook, coder=reference))
    times["reference"] = [reference_seconds]
    identical = compiled_table.equals(reference_table)

    project = init_project(work / "project", codebook, name="bench")
    add_seconds, _ = _timed(lambda: add_files(project, paths))
    # as `casecode code -p` runs: the project's coder built (timed apart), memory settled, then the coding timed
    build_seconds, (project_rules, _) = _timed(lambda: project_coder(project))
    settle_memory()
    seconds, stored = _timed(lambda: code_project(project, coder=project_rules))
    again, _ = _timed(lambda: code_project(project))
    project.close()
    times["project"] = [seconds]
    named = coder_for(codebook)
    project = init_project(work / "project-default", codebook, name="bench", coder=named.name)
    add_files(project, paths)
    default_build, (project_default, _) = _timed(lambda: project_coder(project))
    settle_memory()
    _fresh_caches()
    default_seconds, default_stored = _timed(lambda: code_project(project, coder=project_default))
    times["project default"] = [default_seconds]
    project.close()
    started_cli = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "casecode.cli", "code", str(paths[0]), "--codebook", str(CODEBOOK),
                          "--out", str(work / "one.csv")], capture_output=True, text=True,
                         env={**os.environ, "CASECODE_PROGRESS": "0"})
    cli_seconds = time.perf_counter() - started_cli
    if cli.returncode:
        raise SystemExit(f"casecode code on one file failed:\n{cli.stderr[-3000:]}")

    def row(name, key, note=""):
        mine = statistics.median(times[key])
        if len(times[key]) == len(times["B1"]):  # the median of each round's own ratio
            ratio = statistics.median(b / m for b, m in zip(times["B1"], times[key]))
        else:
            ratio = statistics.median(times["B1"]) / mine
        return f"| {name} | {mine:.1f} | {words / mine:,.0f} | {ratio:.3f} | {note} |"

    lines = header(command, started, load_before) + [
        "",
        f"Corpus: {len(paths)} transcripts built from the shipped training transcripts with varied names"
        f"{', every line numbered (--distinct-units)' if args.distinct_units else ''}, "
        f"{words:,} words in {len(texts):,} codable units, {repeats:.2f} per distinct unit text. Rows timed in {args.repeat} rounds (B1, rules, combined "
        "back to back in each) give the median seconds and the median of each round's ratio to B1; the others ran "
        "once.",
        "",
        "| pipeline on the same words | seconds | words/s | ratio to B1 | note |",
        "|---|---|---|---|---|",
        row("B1: spacy.blank('en') + sentencizer + lookup lemmatizer, nlp.pipe", "B1"),
        row(f"bare spaCy: B1 + Matcher and PhraseMatcher with the codebook's {len(bare)} patterns", "bare"),
        row("casecode code FILES --rules-only (read, code, write CSV)", "rules", f"{counts['rules']:,} codings"),
        row("rules with spaCy's Matcher (the reference engine)", "reference",
            f"codings identical to the compiled engine: {'yes' if identical else 'NO'}"),
        row("casecode code FILES (rules + learned transcript coder, the default)", "combined",
            f"{counts['combined']:,} codings"),
        row("casecode code -p (rules; project store, SQLite)", "project",
            f"{len(stored):,} suggestions; add took {add_seconds:.1f} s; building the coder {build_seconds:.1f} s "
            f"(not in the time); code -p again with nothing new {again:.2f} s (all of it)"),
        row("casecode code -p (the default: rules + learned transcript coder; SQLite)", "project default",
            f"{len(default_stored):,} suggestions; building the coder {default_build:.1f} s (not in the time)"),
        "",
        f"Start-up: a fresh `casecode code FILE --codebook <2015> --out OUT.csv` process on one transcript "
        f"({_units([paths[0]])[1]:,} words) took {cli_seconds:.1f} s: imports, loading the cached transcript "
        "coder, coding and writing.",
    ]
    if args.workers > 1:
        worker_lines = workers(args, paths, spec, rules_coder, out, words, counts["rules"])
        print("\n".join(worker_lines), flush=True)
        write_section(args.out, "Workers", worker_lines)
    return lines


def workers(args, paths, spec, coder, out, words, n_rules) -> list[str]:
    """N worker processes against one, rules only, both from the coder already built in this process."""
    from casecode.workflow._shards import write_file_codings

    started, load_before = dt.datetime.now(dt.timezone.utc), load()
    counts = []

    def many():
        counts.append(write_file_codings(paths, out, spec, coder=coder, workers=args.workers))

    times = _rounds(args.repeat, {"one": lambda: write_file_codings(paths, out, spec, coder=coder), "many": many})
    assert all(c == n_rules for c in counts), "the workers' codings differ in number from one process's"
    ratios = [one / many for one, many in zip(times["one"], times["many"])]
    return header(f"python bench/bench_scale.py --words {args.words} --workers {args.workers}", started,
                  load_before) + [
        "",
        f"`casecode code FILES --rules-only --workers {args.workers}` against one process on {words:,} words "
        f"({len(paths)} files), {args.repeat} rounds: one process {statistics.median(times['one']):.1f} s, "
        f"{args.workers} workers {statistics.median(times['many']):.1f} s (median); throughput "
        f"{statistics.median(ratios):.2f}x one process (each round: {', '.join(f'{r:.2f}x' for r in ratios)}). "
        f"Worker processes are forked from the process holding the coder, so none builds its own. With other work "
        f"on the machine the workers cannot each have a core, and the ratio falls.",
    ]


def memory(args, command: str) -> list[str]:
    started, load_before = dt.datetime.now(dt.timezone.utc), load()
    base = 1_000_000 if args.ten_million else args.memory_words
    work = Path(tempfile.mkdtemp(prefix="casecode-bench-memory-"))
    runs = []
    for size in (base, 10 * base):
        peak, total, files, seconds = _peak_memory(size, work)
        runs.append((total, files, peak, seconds))
        print(f"memory at {total:,} words ({files} files): {peak:.0f} MiB, {seconds:.0f} s", flush=True)
    (w1, _, m1, _), (w10, _, m10, _) = runs
    return header(command, started, load_before) + [
        "",
        "Peak resident memory of `casecode code FILES` (rules + learned transcript coder, the default), each size "
        "in its own process; the files are on disk and are read, coded and written a batch at a time:",
        "",
        "| words | files | peak MiB | seconds |",
        "|---|---|---|---|",
        *(f"| {w:,} | {f:,} | {m:.0f} | {s:.0f} |" for w, f, m, s in runs),
        "",
        f"10x the words: {m10 / m1:.2f}x the peak memory (target: at most 1.2x).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=200_000, help="corpus size for the speed table")
    parser.add_argument("--repeat", type=int, default=3, help="rounds for the timed rows (median)")
    parser.add_argument("--memory-words", type=int, default=100_000, help="1x corpus for memory (10x is also run)")
    parser.add_argument("--ten-million", action="store_true", help="memory at 1M and 10M words")
    parser.add_argument("--workers", type=int, default=2, help="worker processes to compare with one (1: skip)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--distinct-units", action="store_true",
                        help="build the corpus with no unit text said twice (see bench/corpus_builder.py)")
    parser.add_argument("--memory-only", action="store_true", help="only the memory runs")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return
    os.environ.setdefault("CASECODE_PROGRESS", "0")
    command = f"python bench/bench_scale.py {' '.join(sys.argv[1:])}".rstrip()
    if not args.memory_only:
        lines = speed(args, command)
        print(write_section(args.out, "Speed", lines), flush=True)
    if not args.no_memory:
        print(write_section(args.out, "Memory", memory(args, command)), flush=True)


if __name__ == "__main__":
    main()
