"""Validation benchmark: plain pyshacl against :mod:`graph.validate.fast` on synthetic trials.

Standalone script, never a test::

    python bench/bench_validate.py                       # 1,000, 10,000 and 100,000 trials
    python bench/bench_validate.py --sizes 1000 5000 --workers 2
    python bench/bench_validate.py --plain-limit 120     # plain pyshacl gets at most 2 minutes

The synthetic trials are the real records (``../shared/data/ctgov-v2``, the ICTRP export in
``../shared/data/ictrp`` and the seed records in ``data/``) turned into record graphs once, then
copied with their ids changed: the longest run of digits of each id holds the copy's number
(NCT02849613 becomes NCT00000042, 2016-001902-40 becomes 2016-000042-40), so every copy is a
distinct trial whose ids still match their registry's pattern, with the real mix of sizes and
problems.  ``--max-triples`` leaves out the base records whose graph is larger (default 1,200:
the 1,148-site stress record is left out, the 105-site one is in).

Each size is loaded into an on-disk Oxigraph store (not timed), then each engine runs in a
fresh process of its own (so that its peak memory is its own):

- ``fast``: :func:`graph.validate.fast.union.validate_store` (what ``trialgraph validate`` runs);
- ``plain``: plain pyshacl over the union of the record graphs, attributed to records
  (:func:`graph.validate.plain.validate_units_plain`, the reference the tests compare with).

Plain pyshacl is given at most ``--plain-limit`` seconds (default 600; 0: never run).  It is
not started when a linear estimate from the last size it finished already passes the limit
(``not run (estimated >= N s)``: plain grows faster than the graph, so the estimate is a lower
bound), and it is stopped at the limit (``> N s (stopped)``).  For each size the script prints
seconds, trials per second, peak resident memory of the engine's process and its workers, the
machine's load average (``/proc/loadavg``, 1 minute) before and after, and, where both engines
ran, whether their reports are identical.  ``--json FILE`` also writes one JSON object per
measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
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

from graph import rdf, sources  # noqa: E402
from graph.errors import RecordError  # noqa: E402
from graph.resolve import identity  # noqa: E402

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

    from graph.store.local import OxigraphStore

    store = OxigraphStore(path)
    triples = 0
    batch: list[str] = []
    with store.write() as w:
        for n in range(size):
            b = base_list[n % len(base_list)]
            batch.append(copy_of(b, n))
            triples += b.triples
            if len(batch) >= 2000:
                w.staging().bulk_load("".join(batch).encode(), format=ox.RdfFormat.N_QUADS)
                batch = []
        if batch:
            w.staging().bulk_load("".join(batch).encode(), format=ox.RdfFormat.N_QUADS)
        w.staging().optimize()  # compact the bulk-loaded files, as a store grown by builds would be
    return store, triples


def _child(engine: str, store_path: Path, out: Path, workers: int | None) -> None:
    """One measurement in this (fresh) process: writes seconds, peak memory and the issues."""
    import pickle

    from graph.store.local import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)  # the benchmark's own handle stays open
    started = time.perf_counter()
    if engine == "fast":
        from graph.validate.fast.union import validate_store

        result = validate_store(store, workers=workers)
        issues, note = list(result.issues), ", ".join(f"{k} {s:.1f}" for k, s in result.timings.items())
        note += f"; {result.divergent_nodes} nodes seen differently, {result.rechecked_nodes} evaluated again"
    else:
        from graph.store.layout import asserted_graph_names
        from graph.validate.plain import validate_units_plain
        from graph.validate.shapes import shapes_graph

        units = {str(n): store.graph(n) for n in asserted_graph_names(store)}
        issues, note = list(validate_units_plain(units, shapes_graph())), ""
    seconds = time.perf_counter() - started
    store.close()
    with out.open("wb") as f:
        pickle.dump({"seconds": seconds, "peak_mb": peak_mb(), "issues": issues, "note": note}, f)


@dataclass
class Run:
    seconds: float | None  # None: not run or stopped
    peak_mb: float | None = None
    issues: list[object] | None = None
    note: str = ""
    load: str = ""
    cell: str = ""


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def measure(engine: str, store_path: Path, workers: int | None, limit: float | None) -> Run:
    """Runs one engine in a child process, stopped after ``limit`` seconds."""
    import pickle

    out = store_path.parent / f"{store_path.name}-{engine}.pickle"
    command = [sys.executable, __file__, "--child", engine, str(store_path), str(out)]
    if workers is not None:
        command.append(f"--workers={workers}")
    before = load_average()
    started = time.perf_counter()
    child = subprocess.Popen(command)
    try:
        child.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        child.kill()  # the child alone: it was started here
        child.wait()
        return Run(None, load=f"{before}->{load_average()}", cell=f"> {limit:.0f} s (stopped)")
    if child.returncode != 0:
        raise SystemExit(f"the {engine} run failed (exit {child.returncode})")
    with out.open("rb") as f:
        data = pickle.load(f)
    out.unlink()
    wall = time.perf_counter() - started
    return Run(
        data["seconds"],
        data["peak_mb"],
        data["issues"],
        f"{data['note']}; process wall time {wall:.1f} s",
        f"{before}->{load_average()}",
        f"{data['seconds']:.1f}",
    )


def peak_mb() -> float:
    """Peak resident memory of this process or of one of its (finished) worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--plain-limit", type=float, default=600.0, help="seconds plain pyshacl may take (0: never)")
    parser.add_argument("--max-triples", type=int, default=1200, help="largest base record graph to copy")
    parser.add_argument("--keep", type=Path, default=None, help="keep the stores in a new folder under this one")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here, one JSON per line")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "STORE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.workers)
        return 0

    base_list = bases(args.max_triples)
    print(
        f"{len(base_list)} base records (ClinicalTrials.gov, ICTRP, seed), "
        f"{sum(b.triples for b in base_list) / len(base_list):.0f} triples per trial on average; "
        f"{os.cpu_count()} cores, workers={args.workers or os.cpu_count()}",
        flush=True,
    )
    header = (
        f"{'trials':>8} {'triples':>10} {'fast s':>7} {'trials/s':>8} {'fast MB':>7} {'load':>9}  "
        f"{'plain s':>28} {'plain MB':>8} {'load':>9}  identical  issues"
    )
    print(header, flush=True)
    root = Path(tempfile.mkdtemp(prefix="bench-validate-", dir=args.keep))
    last_plain: tuple[int, float] | None = None
    try:
        for size in args.sizes:
            store, triples = build_store(root / f"s{size}", size, base_list)
            store.close()  # type: ignore[attr-defined]
            fast = measure("fast", root / f"s{size}", args.workers, None)
            assert fast.seconds is not None and fast.issues is not None
            plain = Run(None, cell="not run")
            if args.plain_limit > 0:
                estimate = None if last_plain is None else last_plain[1] * size / last_plain[0]
                if estimate is not None and estimate > args.plain_limit:
                    plain.cell = f"not run (estimated >= {estimate:.0f} s)"
                else:
                    plain = measure("plain", root / f"s{size}", None, args.plain_limit)
                    last_plain = (size, plain.seconds if plain.seconds is not None else args.plain_limit)
            same = "" if plain.issues is None else ("yes" if plain.issues == fast.issues else "NO")
            plain_mb = "" if plain.peak_mb is None else f"{plain.peak_mb:.0f}"
            print(
                f"{size:>8} {triples:>10} {fast.seconds:7.1f} {size / fast.seconds:8.0f} {fast.peak_mb:7.0f} "
                f"{fast.load:>9}  {plain.cell:>28} {plain_mb:>8} {plain.load:>9}  {same:>9}  {len(fast.issues)}",
                flush=True,
            )
            print(f"{'':>8} fast, seconds per stage: {fast.note}", flush=True)
            if args.json is not None:
                row = {
                    "trials": size,
                    "triples": triples,
                    "fast_s": round(fast.seconds, 2),
                    "fast_peak_mb": round(fast.peak_mb or 0),
                    "fast_load": fast.load,
                    "fast_stages": fast.note,
                    "plain": plain.cell,
                    "plain_s": None if plain.seconds is None else round(plain.seconds, 2),
                    "plain_peak_mb": None if plain.peak_mb is None else round(plain.peak_mb),
                    "plain_load": plain.load,
                    "identical": same or None,
                    "issues": len(fast.issues),
                }
                with args.json.open("a") as f:
                    f.write(json.dumps(row) + "\n")
            if args.keep is None:
                shutil.rmtree(root / f"s{size}", ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
