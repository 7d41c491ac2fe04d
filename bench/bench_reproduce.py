"""How long `casecode reproduce` takes, against the start-up of the same interpreter in the same run.

Run: python bench/bench_reproduce.py [--repeat 3]
Prints the median wall time of `casecode reproduce` (target: under 15 s after installation), the median time of
`casecode --version` (interpreter + CLI start-up, the baseline) and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "casecode.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        baseline = [_time(cli + ["--version"]) for _ in range(args.repeat)]
        runs = [_time(cli + ["reproduce", "--out", str(Path(tmp) / f"run{i}")]) for i in range(args.repeat)]
    base, run = statistics.median(baseline), statistics.median(runs)
    print(f"casecode --version (baseline): median {base:.2f} s over {args.repeat} runs")
    print(f"casecode reproduce:            median {run:.2f} s over {args.repeat} runs (target < 15 s)")
    print(f"ratio reproduce / baseline:    {run / base:.1f}x")
    print("PASS" if run < 15 else "FAIL", "reproduce under 15 s")


if __name__ == "__main__":
    main()
