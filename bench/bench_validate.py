"""Validation benchmark: plain pyshacl against :mod:`graph.fastvalidate` on synthetic trials.

Standalone script, never a test::

    python bench/bench_validate.py                       # 1,000, 10,000 and 100,000 trials
    python bench/bench_validate.py --sizes 1000 5000 --workers 2
    python bench/bench_validate.py --plain-limit 120     # skip plain runs estimated over 2 min

The synthetic trials are the real records (``../shared/data/ctgov-v2``, the ICTRP export in
``../shared/data/ictrp`` and the seed records in ``data/``) turned into record graphs once, then
copied with their ids changed: the longest run of digits of each id holds the copy's number
(NCT02849613 becomes NCT00000042, 2016-001902-40 becomes 2016-000042-40), so every copy is a
distinct trial whose ids still match their registry's pattern, with the real mix of sizes and
problems.  ``--max-triples`` leaves out the base records whose graph is larger (default 1,200:
the 1,148-site stress record is left out, the 105-site one is in).

Each size is loaded into an on-disk Oxigraph store (not timed), then timed:

- ``fast``: :func:`graph.fastvalidate.validate_store` (what ``trialgraph validate`` runs);
- ``plain``: plain pyshacl over the union of the record graphs, attributed to records
  (:func:`graph.validate.validate_units_plain`, the reference the tests compare with).

Plain runs only while its time, estimated from the previous size (it grows faster than the
graph), stays under ``--plain-limit`` seconds (default 600; 0: never); beyond that it prints
``not run``.  Under each size the script prints the fast engine's time per stage.
When both ran, the script also says whether their reports are identical.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SOURCES = [SHARED / "ctgov-v2", SHARED / "ictrp", ROOT / "data"]
sys.path.insert(0, str(ROOT))

from rdflib import Literal  # noqa: E402

from graph import identity, rdf, sources  # noqa: E402
from graph.errors import RecordError  # noqa: E402

LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Base:
    """One real record as N-Triples text, with the id spellings to rewrite in each copy."""

    text: str
    ids: list[tuple[str, str]]  # (registry, value)
    triples: int


def bases(max_triples: int) -> list[Base]:
    out = []
    for item in sources.read_all([p for p in SOURCES if p.exists()]):
        if isinstance(item, RecordError):
            continue
        g = rdf.record_graph(item, loaded_at=LOADED_AT)
        if len(g) > max_triples:
            continue
        text = g.serialize(format="nt")
        out.append(
            Base(text, [(i.registry, i.value) for i in item.identifiers] + [(item.source, item.record_id)], len(g))
        )
    if not out:
        raise SystemExit(f"no records of at most {max_triples} triples in {SOURCES}")
    return out


_DIGITS = re.compile(r"\d{6,}")


def new_id(value: str, n: int) -> str:
    """The id of copy ``n``: the longest run of 6 or more digits holds ``n`` (so NCT02849613
    becomes NCT00000042 and 2016-001902-40 becomes 2016-000042-40, still valid ids); an id
    without such a run gets a suffix."""
    runs = list(_DIGITS.finditer(value))
    if not runs:
        return f"{value}-S{n}"
    run = max(runs, key=lambda m: len(m.group()))
    return value[: run.start()] + f"{n:0{len(run.group())}d}"[-len(run.group()) :] + value[run.end() :]


def copy_of(base: Base, n: int) -> str:
    """The base record as N-Quads with every id rewritten for copy ``n``."""
    text = base.text
    source, record_id = base.ids[-1][0], base.ids[-1][1]
    for _registry, value in base.ids:
        new = new_id(value, n)
        text = text.replace(Literal(value).n3(), Literal(new).n3())
        old_seg, new_seg = quote(value.strip(), safe="-_.~"), quote(new.strip(), safe="-_.~")
        text = text.replace(f"/{old_seg}>", f"/{new_seg}>").replace(f"/{old_seg}/", f"/{new_seg}/")
    graph = f"<{identity.record_graph(source, new_id(record_id, n))}>"
    return "".join(line[:-2] + graph + " .\n" for line in text.splitlines(keepends=True) if line.endswith(" .\n"))


def build_store(path: Path, size: int, base_list: list[Base]) -> tuple[object, int]:
    import pyoxigraph as ox

    from graph.store import OxigraphStore

    store = OxigraphStore(path)
    triples = 0
    batch: list[str] = []
    with store.write() as w:
        for n in range(size):
            b = base_list[n % len(base_list)]
            batch.append(copy_of(b, n))
            triples += b.triples
            if len(batch) >= 2000:
                w.db.bulk_load("".join(batch).encode(), format=ox.RdfFormat.N_QUADS)
                batch = []
        if batch:
            w.db.bulk_load("".join(batch).encode(), format=ox.RdfFormat.N_QUADS)
        w.db.optimize()  # compact the bulk-loaded files, as a store grown by builds would be
    return store, triples


def run_fast(store: object, workers: int | None) -> tuple[float, list[object], str]:
    from graph.fastvalidate import validate_store

    started = time.perf_counter()
    result = validate_store(store, workers=workers)
    seconds = time.perf_counter() - started
    stages = ", ".join(f"{name} {s:.1f}" for name, s in result.timings.items())
    note = f"{stages}; {result.divergent_nodes} nodes seen differently, {result.rechecked_nodes} evaluated again"
    return seconds, list(result.issues), note


def run_plain(store: object) -> tuple[float, list[object]]:
    from graph.build import asserted_graph_names
    from graph.validate import shapes_graph, validate_units_plain

    started = time.perf_counter()
    units = {str(n): store.graph(n) for n in asserted_graph_names(store)}  # type: ignore[attr-defined]
    issues = validate_units_plain(units, shapes_graph())
    return time.perf_counter() - started, list(issues)


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--plain-limit", type=float, default=600.0, help="skip plain runs estimated longer (s)")
    parser.add_argument("--max-triples", type=int, default=1200, help="largest base record graph to copy")
    parser.add_argument("--keep", type=Path, default=None, help="keep the stores in a new folder under this one")
    args = parser.parse_args(argv)

    base_list = bases(args.max_triples)
    print(
        f"{len(base_list)} base records (ClinicalTrials.gov, ICTRP, seed), "
        f"{sum(b.triples for b in base_list) / len(base_list):.0f} triples per trial on average; "
        f"{os.cpu_count()} cores, workers={args.workers or os.cpu_count()}",
        flush=True,
    )
    print(f"{'trials':>8} {'triples':>10} {'fast s':>8} {'plain s':>9} {'speed-up':>9}  identical  issues", flush=True)
    root = Path(tempfile.mkdtemp(prefix="bench-validate-", dir=args.keep))
    estimate_per_trial: float | None = None
    try:
        for size in args.sizes:
            store, triples = build_store(root / f"s{size}", size, base_list)
            fast_s, fast_issues, note = run_fast(store, args.workers)
            plain_cell, speed, same = "not run", "", ""
            # plain pyshacl grows faster than the graph: estimate from the last size, with margin
            estimated = 0.0 if estimate_per_trial is None else estimate_per_trial * size * 1.5
            if args.plain_limit > 0 and estimated <= args.plain_limit:
                plain_s, plain_issues = run_plain(store)
                estimate_per_trial = plain_s / size
                plain_cell, speed = f"{plain_s:9.1f}", f"{plain_s / fast_s:8.1f}x"
                same = "yes" if plain_issues == fast_issues else "NO"
            print(
                f"{size:>8} {triples:>10} {fast_s:8.1f} {plain_cell:>9} {speed:>9}  {same:>9}  {len(fast_issues)}",
                flush=True,
            )
            print(f"{'':>8} fast, seconds per stage: {note}", flush=True)
            store.close()  # type: ignore[attr-defined]
            if args.keep is None:
                shutil.rmtree(root / f"s{size}", ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"peak resident memory {peak_mb():.0f} MB (this process or one worker)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
