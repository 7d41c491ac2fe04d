"""Coding speed of the rule coder against the bare text pipeline it runs on, in the same run.

Run: python bench/bench_coding_speed.py [--words 200000]
Builds a synthetic corpus by repeating the 2015 report's body paragraphs, then times (1) `nlp.pipe` alone,
(2) the RuleCoder over the same segments. Prints words per second and the ratio (coder / pipeline time).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=200_000)
    args = parser.parse_args()

    from casecode.codebook import read_codebook
    from casecode.coders import RuleCoder, load_nlp
    from casecode.studies import study_paths
    from casecode.studies import parse_report

    paths = study_paths()
    report = parse_report(paths.report, paths.councils)
    body = report.segments[report.segments.kind.isin(["body", "quote"])]
    words_per_round = int(body.text.str.split().map(len).sum())
    rounds = max(1, args.words // words_per_round)
    segments = pd.concat([body.assign(segment_id=body.segment_id + f"#{i}") for i in range(rounds)],
                         ignore_index=True)
    words = words_per_round * rounds
    nlp = load_nlp()
    coder = RuleCoder(read_codebook(paths.codebook), nlp, cases=report.cases)

    started = time.perf_counter()
    for _ in nlp.pipe(segments.text, batch_size=256):
        pass
    pipe_seconds = time.perf_counter() - started

    started = time.perf_counter()
    codings = coder.code(segments)
    code_seconds = time.perf_counter() - started

    print(f"corpus: {len(segments)} segments, {words} words")
    print(f"nlp.pipe alone (baseline): {pipe_seconds:.2f} s, {words / pipe_seconds:,.0f} words/s")
    print(f"RuleCoder.code:            {code_seconds:.2f} s, {words / code_seconds:,.0f} words/s, {len(codings)} codings")
    print(f"ratio coder / pipeline:    {code_seconds / pipe_seconds:.2f}x")


if __name__ == "__main__":
    main()
