"""Text benchmark: readers take time linear in the length of a hostile field.

Standalone script, never a test::

    python bench/bench_text.py            # sizes 10,000 to 80,000 characters
    python bench/bench_text.py --max 320000

For each size it writes one ICTRP record whose ``Public_title`` is a hostile text (a long word
run, which made the old e-mail pattern quadratic; a run of ``@``; unclosed ``<br`` tags) and one
ClinicalTrials.gov study whose ``briefTitle`` is the same text, reads each with its reader, and
prints the seconds and the ratio to the previous size (about 2 when the time is linear, about 4
when quadratic).  Beside them, in the same run, the old ICTRP e-mail pattern
(``[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+``) on the word run: the reference the fix is measured against
(up to 40,000 characters, as it takes 21 s at 80,000).  Fields over 100,000 characters are cut
before any pattern runs, so sizes above that measure the cut.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.sources import ctgov, ictrp  # noqa: E402

OLD_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REFERENCE_MAX = 40_000

HOSTILE: dict[str, Callable[[int], str]] = {
    "word run": lambda n: "a" * n,
    "at signs": lambda n: "@" * n,
    "open tags": lambda n: ("&lt;br" * (n // 6 + 1))[:n],
}


def _ictrp(folder: Path, text: str) -> Path:
    path = folder / "t.xml"
    path.write_text(
        "<Trials_downloaded_from_ICTRP><Trial><TrialID>NCT09999991</TrialID>"
        f"<Public_title>{text}</Public_title></Trial></Trials_downloaded_from_ICTRP>",
        encoding="utf-8",
    )
    return path


def _ctgov(folder: Path, text: str) -> Path:
    path = folder / "t.json"
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT09999991", "briefTitle": text}}}
    path.write_text(json.dumps(study), encoding="utf-8")
    return path


def _seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=80_000, help="largest field, in characters (default 80000)")
    args = parser.parse_args()
    sizes = []
    n = 10_000
    while n <= args.max:
        sizes.append(n)
        n *= 2
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}, {os.cpu_count()} cores")
    print(f"{'input':<10} {'reader':<10} " + " ".join(f"{s:>16,}" for s in sizes))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, make in HOSTILE.items():
            for reader, write, read in (
                ("ictrp", _ictrp, ictrp.read),
                ("ctgov", _ctgov, ctgov.read),
            ):
                cells, last = [], None
                for size in sizes:
                    path = write(folder, make(size))
                    s = _seconds(lambda p=path, r=read: list(r(p)))  # type: ignore[misc]
                    cells.append(f"{s:8.4f}s" + (f" x{s / last:4.1f}" if last else "      "))
                    last = s
                print(f"{name:<10} {reader:<10} " + " ".join(f"{c:>16}" for c in cells))
        cells, last = [], None
        for size in sizes:
            if size > REFERENCE_MAX:
                cells.append("skipped")
                continue
            text = "a" * size
            s = _seconds(lambda t=text: OLD_EMAIL.sub("x", t))  # type: ignore[misc]
            cells.append(f"{s:8.4f}s" + (f" x{s / last:4.1f}" if last else "      "))
            last = s
        print(f"{'word run':<10} {'old regex':<10} " + " ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
