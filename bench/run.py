"""Runs every benchmark in bench/ one after another and prints their figures.

Usage: ``python bench/run.py [NAME ...]`` (``import``, ``validate``, ``reason``, ``view``; default
all).  Each script uses its default sizes, up to 100,000 trials: an hour or more on 2 cores.  Run a script on its own
for its options (``python bench/bench_import.py --help``).  Benchmarks print figures (trials/s,
seconds, MB); they never assert timings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = set(sys.argv[1:])
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted and script.stem.removeprefix("bench_") not in wanted:
            continue
        print(f"== {script.name}", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
