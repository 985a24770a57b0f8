"""Analysis benchmark: `trialgraph analyze` on stores of 5,000 and 20,000 studies.

Standalone script, never a test::

    python bench/bench_analyze.py                           # builds 5,000 and 20,000 studies (about 10 min)
    python bench/bench_analyze.py --studies 2000
    python bench/bench_analyze.py --store /tmp/network/s20000/store   # an existing store

The stores are built the way ``bench/bench_import.py`` builds its registry-like set: real
ClinicalTrials.gov API v2 studies from ``../shared/data/ctgov-v2`` with new NCT ids
(``NCT9xxxxxxx``, :func:`bench_import.write_set`, the studies with at most 200 sites), read,
validated, loaded and reasoned by :func:`graph.pipeline.run.build` into an on-disk Oxigraph store.

Each analysis is timed as a user runs it, through :func:`graph.analyze`: reading the part of the
network it needs from the store (``queries/network-*.rq``) and computing.  Printed per analysis:
rows, wall-clock seconds, CPU seconds of this process (Oxigraph evaluates queries in the calling
thread, so the CPU figure does not grow when other processes compete for the cores) and the load
average.  The reference line, in the same run, is the whole projection (every link family and
every trial's facts, what the HTML view reads).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph import analyze  # noqa: E402
from graph.network.projection import full_projection  # noqa: E402
from graph.store.base import Store  # noqa: E402
from graph.store.registry import open_store  # noqa: E402


def build_store(studies: int, work: Path) -> Path:
    """``studies`` registry-like synthetic studies, built into ``work/store``."""
    from bench_import import write_set

    from graph.pipeline.run import build

    started = time.perf_counter()
    source = write_set(work, studies, max_sites=200)
    store = open_store(work / "store")
    report = build([source], store)
    store.close()
    print(
        f"built {len(report.loaded):,} studies: {report.triples:,} triples in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return work / "store"


def measure(label: str, fn: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    rows = isinstance(result, list)
    size = len(result) if rows else result.number_of_nodes()
    print(
        f"  {label:<34} {size:>8,} {'rows ' if rows else 'nodes'}"
        f"  {time.perf_counter() - wall:6.1f} s wall  {time.process_time() - cpu:6.1f} s CPU"
        f"  load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return result


def run_all(store: Store) -> None:
    whole = measure("reference: whole projection", lambda: full_projection(store))
    studies = sum(1 for _n, kind in whole.nodes(data="kind") if kind == "trial")
    first, last = "NCT90000000", f"NCT9{studies - 1:07d}"  # the ids write_set gives
    measure("shared-sites", lambda: analyze(store, "shared-sites"))
    measure("partners", lambda: analyze(store, "partners"))
    for m in ("degree", "betweenness", "eigenvector"):
        measure(f"centrality --measure {m}", lambda m=m: analyze(store, "centrality", measure=m))
    measure("communities", lambda: analyze(store, "communities"))
    measure(f"path --from {first} --to {last}", lambda: analyze(store, "path", source=first, target=last))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, nargs="+", default=[5_000, 20_000], help="sizes to build")
    parser.add_argument("--store", type=Path, help="measure this store instead (built by this script)")
    parser.add_argument("--work", type=Path, help="build the stores here (default: a temporary folder)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    if args.store is not None:
        print(f"== {args.store}")
        run_all(open_store(args.store, read_only=True))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-analyze-", dir=args.work) as tmp:
        for studies in args.studies:
            work = Path(tmp) / f"s{studies}"
            work.mkdir()
            print(f"== {studies:,} studies", flush=True)
            path = build_store(studies, work)
            run_all(open_store(path, read_only=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
