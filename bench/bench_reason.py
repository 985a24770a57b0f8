"""Reasoning benchmark: owlrl (the reference) against the fast engine, side by side, on synthetic
sets of 100 to 100,000 trials.  Standalone script, never a test::

    python bench/bench_reason.py                       # 100, 1,000, 10,000 and 100,000 trials
    python bench/bench_reason.py --sizes 1000,10000    # some sizes only
    python bench/bench_reason.py --quick               # 100 and 1,000 trials, owlrl capped at 2 min

The synthetic set is made from the real ClinicalTrials.gov files in ``../shared/data/ctgov-v2``:
each record is read with :mod:`graph.sources.ctgov`, turned into its named graph with
:func:`graph.rdf.record_graph`, and copied under new ids (``NCT9xxxxxxx``; its secondary ids get
the same suffix), so the copies share sites, organisations, countries and conditions the way
real trials do.  The records cycle in file order, except the 1,148-site stress record
(NCT04267848), which appears once per 1,000 trials: with it in every 16th slot the 100,000-trial
store would not fit in memory.

Each engine and size runs in a fresh child process, which reports the reasoning time (wall
clock, loading excluded) and the process's peak resident memory (``getrusage``; for the fast
engine that includes the in-memory Oxigraph store holding the data).  owlrl runs at a size only
while the previous size finished within ``--owlrl-timeout`` (10 minutes): larger sizes print
"not run".  Where both ran, the two inferred graphs are compared triple by triple.

The fast engine's child also times an incremental refresh: one record replaced by a version
with one condition less, maintained in place.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_CTGOV = ROOT.parent / "shared" / "data" / "ctgov-v2"
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402
from rdflib import Graph, URIRef  # noqa: E402

import graph.resolve.identity as ids  # noqa: E402
from graph import rdf  # noqa: E402
from graph.constants import INFERRED_GRAPH  # noqa: E402
from graph.errors import RecordError  # noqa: E402
from graph.model import TrialRecord  # noqa: E402
from graph.reason.engine import ontology_graph  # noqa: E402
from graph.reason.full import recompute  # noqa: E402
from graph.reason.graphs import graph_of, inferred_triples, premises_graph  # noqa: E402
from graph.reason.incremental import maintain  # noqa: E402
from graph.reason.reference import owlrl_inferred  # noqa: E402
from graph.sources.ctgov import read  # noqa: E402
from graph.store.terms import graph_quads  # noqa: E402

STRESS = "NCT04267848"
STRESS_EVERY = 1000
LOADED_AT = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_SIZES = (100, 1_000, 10_000, 100_000)


# -- the synthetic set ----------------------------------------------------------------------------


def real_records(folder: Path = SHARED_CTGOV) -> list[TrialRecord]:
    out = []
    for path in sorted(folder.glob("*.json")):
        for item in read(path):
            if not isinstance(item, RecordError):
                out.append(item)
    return out


def template(record: TrialRecord) -> tuple[str, list[str], str]:
    """(NCT id, secondary id values, N-Quads of the record's named graph)."""
    g = rdf.record_graph(record, loaded_at=LOADED_AT)
    name = ids.record_graph(record.source, record.record_id)
    tmp = ox.Store()
    tmp.extend(graph_quads(g, name))
    text = bytes(tmp.dump(format=ox.RdfFormat.N_QUADS) or b"").decode()
    secondary = sorted({i.value for i in record.identifiers if i.registry != "NCT"}, key=len, reverse=True)
    return record.record_id, secondary, text


def rewrite(tpl: tuple[str, list[str], str], k: int) -> str:
    """Copy ``k`` of a template: a new NCT id, and secondary ids suffixed with it."""
    nct, secondary, text = tpl
    new = f"NCT9{k:07d}"
    text = text.replace(nct, new)
    for value in secondary:
        text = text.replace(value, f"{value}-{new}")
    return text


def schedule(n: int, names: list[str]) -> list[int]:
    """Template index per synthetic trial: file order, the stress record once per 1,000."""
    regular = [i for i, name in enumerate(names) if name != STRESS]
    stress = [i for i, name in enumerate(names) if name == STRESS]
    out = []
    for k in range(n):
        if stress and k % STRESS_EVERY == STRESS_EVERY - 1:
            out.append(stress[0])
        else:
            out.append(regular[k % len(regular)])
    return out


def write_set(path: Path, n: int) -> None:
    records = real_records()
    templates = [template(r) for r in records]
    order = schedule(n, [t[0] for t in templates])
    with path.open("w", encoding="utf-8") as fh:
        for k, i in enumerate(order):
            fh.write(rewrite(templates[i], k))


def load_store(path: Path, folder: Path | None = None) -> ox.Store:
    """The set in an Oxigraph store: in memory, or on disk in ``folder`` (RocksDB, as
    ``trialgraph build`` uses by default)."""
    if folder is None:
        db = ox.Store()
        with path.open("rb") as fh:
            db.load(fh, format=ox.RdfFormat.N_QUADS)
        return db
    db = ox.Store(str(folder))
    with path.open("rb") as fh:
        db.bulk_load(fh, format=ox.RdfFormat.N_QUADS)
    return db


# -- children --------------------------------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_fast(data: Path, out: Path, folder: Path | None = None) -> dict[str, object]:
    onto = ontology_graph()
    started = time.perf_counter()
    db = load_store(data, folder)
    quads = len(db)
    load_s = time.perf_counter() - started
    mb_loaded = peak_mb()
    stats = recompute(db, ontology=onto)
    result: dict[str, object] = {
        "quads": quads,
        "load_s": load_s,
        "reason_s": stats.seconds,
        "inferred": stats.inferred,
        "rounds": stats.rounds,
        "peak_mb_loaded": mb_loaded,
        "peak_mb": peak_mb(),
    }
    dump_inferred(db, out)
    result["refresh_s"] = refresh_one(db, onto)
    return result


def refresh_one(db: ox.Store, onto: Graph) -> float:
    """Replace synthetic trial 0 by a version with one condition less, incrementally; returns the
    seconds it took."""
    records = real_records()
    record = records[schedule(1, [r.record_id for r in records])[0]]
    name = URIRef(str(ids.record_graph(record.source, "NCT90000000")))
    tmp = ox.Store()
    tmp.load(rewrite(template(record), 0).encode(), format=ox.RdfFormat.N_QUADS)
    g = graph_of(tmp, str(name))
    condition = URIRef("https://w3id.org/trialgraph/ontology#condition")
    dropped = min(g.objects(None, condition), key=str)
    smaller = Graph()
    for t in g:
        if not (t[1] == condition and t[2] == dropped):
            smaller.add(t)
    started = time.perf_counter()
    maintain(db, {name: smaller}, ontology=onto)
    return time.perf_counter() - started


def child_owlrl(data: Path, out: Path) -> dict[str, object]:
    onto = ontology_graph()
    db = load_store(data)
    quads = len(db)
    g = premises_graph(db)
    del db
    started = time.perf_counter()
    inferred = owlrl_inferred(g, onto)
    seconds = time.perf_counter() - started
    tmp = ox.Store()
    tmp.extend(graph_quads(inferred, URIRef(INFERRED_GRAPH)))
    dump_inferred(tmp, out)
    return {"quads": quads, "reason_s": seconds, "inferred": len(inferred), "peak_mb": peak_mb()}


def dump_inferred(db: ox.Store, out: Path) -> None:
    """The union of the inferred graphs (each record's own and the shared one), sorted."""
    lines = sorted({str(q.triple) for q in inferred_triples(db)})
    out.write_text("\n".join(lines), encoding="utf-8")


# -- the runner ------------------------------------------------------------------------------------


def run_child(engine: str, data: Path, out: Path, timeout: float | None) -> dict[str, object] | str:
    cmd = [sys.executable, __file__, "--child", engine, str(data), str(out)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"timeout (> {timeout:.0f} s)"
    if done.returncode != 0:
        return f"failed ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})"
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fmt_s(value: object) -> str:
    return f"{value:.1f} s" if isinstance(value, float) else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 trials; owlrl capped at 2 minutes")
    parser.add_argument("--owlrl-timeout", type=float, default=600.0)
    parser.add_argument("--disk", action="store_true", help="also run the fast engine on an on-disk store")
    parser.add_argument("--no-owlrl", action="store_true", help="run the fast engine only")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, data, out = args.child
        if engine == "owlrl":
            result = child_owlrl(Path(data), Path(out))
        else:
            result = child_fast(Path(data), Path(out), Path(out).with_suffix(".db") if engine == "disk" else None)
        print(json.dumps(result))
        return 0
    sizes = [100, 1_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    timeout = 120.0 if args.quick else args.owlrl_timeout
    print(f"{'trials':>8} {'quads':>11} {'engine':>6} {'reasoning':>12} {'peak MB':>9} {'inferred':>10}  notes")
    owlrl_ok = not args.no_owlrl
    with tempfile.TemporaryDirectory(prefix="trialgraph-bench-reason-") as tmp:
        for n in sizes:
            data = Path(tmp) / f"set-{n}.nq"
            write_set(data, n)
            fast = run_child("fast", data, Path(tmp) / f"fast-{n}.txt", None)
            if args.disk:
                disk = run_child("disk", data, Path(tmp) / f"disk-{n}.txt", None)
                report_fast(n, disk, "disk")
            slow: dict[str, object] | str = "not run"
            if owlrl_ok:
                slow = run_child("owlrl", data, Path(tmp) / f"owlrl-{n}.txt", timeout)
                owlrl_ok = isinstance(slow, dict)
            report(n, fast, slow, Path(tmp), timeout)
            data.unlink()
    return 0


def report_fast(n: int, fast: dict[str, object] | str, label: str) -> None:
    if isinstance(fast, str):
        print(f"{n:>8} {'':>11} {label:>6} {fast}", flush=True)
        return
    notes = (
        f"load {fmt_s(fast['load_s'])}, peak after load {fast['peak_mb_loaded']:.0f} MB, "
        f"{fast['rounds']} rounds, refresh one record {fmt_s(fast['refresh_s'])}"
    )
    print(
        f"{n:>8} {fast['quads']:>11,} {label:>6} {fmt_s(fast['reason_s']):>12} "
        f"{fast['peak_mb']:>9.0f} {fast['inferred']:>10,}  {notes}",
        flush=True,
    )


def report(n: int, fast: dict[str, object] | str, slow: dict[str, object] | str, tmp: Path, timeout: float) -> None:
    report_fast(n, fast, "fast")
    if isinstance(slow, str):
        print(f"{n:>8} {'':>11} {'owlrl':>6} {slow:>12}")
        return
    same = isinstance(fast, dict) and (tmp / f"fast-{n}.txt").read_text() == (tmp / f"owlrl-{n}.txt").read_text()
    speedup = ""
    if isinstance(fast, dict) and isinstance(fast["reason_s"], float) and isinstance(slow["reason_s"], float):
        speedup = f", fast is {slow['reason_s'] / max(fast['reason_s'], 1e-9):,.0f}x faster"
    print(
        f"{n:>8} {slow['quads']:>11,} {'owlrl':>6} {fmt_s(slow['reason_s']):>12} {slow['peak_mb']:>9.0f} "
        f"{slow['inferred']:>10,}  same inferred graph: {'yes' if same else 'NO'}{speedup}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
