"""Time the transcript coder: its first fit, and `casecode code` on three transcripts once it is fitted.

Run: python bench/bench_transcript_coder.py
Three runs of the CLI in fresh processes, against `casecode --version` in the same run as the baseline (start-up
cost): (1) `casecode code` on three training transcripts with an empty model cache, which fits the coder first;
(2) the same again, with the fitted coder read from the cache; (3) the same with `--rules-only`. Targets: (1) under
a minute, (2) under 10 s. Held-out sets are not read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASECODE = [sys.executable, "-m", "casecode.cli"] if not (Path(sys.executable).parent / "casecode").exists() \
    else [str(Path(sys.executable).parent / "casecode")]


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(CASECODE + args, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    files = sorted((ROOT / "corpus" / "training-transcripts" / "set1").glob("*.txt"))[:3]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "CASECODE_CACHE": cache}
        out = str(Path(cache) / "codings.csv")
        code = ["code", *map(str, files), "--codebook", "codebooks/leadership-actions-2015.yaml", "--out", out]
        baseline = timed(["--version"], env)
        first = timed(code, env)
        cached = timed(code, env)
        rules = timed(code + ["--rules-only"], env)
    print(f"baseline `casecode --version`: {baseline:.1f} s")
    for name, seconds, target in (("first fit + code (empty cache)", first, 60), ("code, fitted coder cached", cached, 10),
                                  ("code --rules-only", rules, None)):
        mark = "" if target is None else f"  target < {target} s: {'met' if seconds < target else 'NOT met'}"
        print(f"{name:32s} {seconds:6.1f} s  = {seconds / baseline:5.1f} x baseline{mark}")


if __name__ == "__main__":
    main()
