"""Import benchmark: how fast trialgraph reads ClinicalTrials.gov studies, and in how much memory.

Standalone script, never a test::

    python bench/bench_import.py                 # 100,000 synthetic studies: read, then the whole build
    python bench/bench_import.py --n 20000 --shape pages
    python bench/bench_import.py --stage rdf --n 2000
    python bench/bench_import.py --stage build --n 100000 --max-sites 200   # registry-like mix

The synthetic set is made from the real API v2 files in ``../shared/data/ctgov-v2``: each
synthetic study is a real one with its NCT id rewritten (``NCT9xxxxxxx``), so the mix of sizes
(a few sites, 105 sites, 1,148 sites, full results sections) is that of the real files.  It is
written once to a temporary folder, as the bulk download's shape (a ``.zip`` of one JSON per
study) or as API pages of 100 studies, and the timed part reads it back.

Stages, each timed on its own pass (``--stage``):

- ``read``: the ``ctgov`` reader, file to :class:`graph.model.TrialRecord`.
- ``rdf``: the reader, then :func:`graph.rdf.record_graph` per record.
- ``store``: the reader, ``record_graph`` and a write into an on-disk Oxigraph store.
- ``build``: the whole of ``trialgraph build`` (:func:`graph.build.build`) into a fresh on-disk
  store: read, organisation and identity resolution, triples, validation against the shapes,
  bulk load and reasoning, with the time of each step, the worker processes' peak memory and
  the store's size on disk.

``--max-sites N`` leaves out the real studies with more than N locations: with all of them, one
study in sixteen is the 1,148-site stress record and the set averages 84 sites a study, while a
ClinicalTrials.gov study has a handful (``--max-sites 200`` keeps 15 of the 16 templates, about
13 sites a study).

A stage whose modules cannot be imported is skipped with a message.  Peak memory is the
process's peak resident size (``getrusage``) measured in a fresh child process per stage, so the
set-up does not count; ``--tracemalloc`` also reports the peak of Python allocations (slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_CTGOV = ROOT.parent / "shared" / "data" / "ctgov-v2"
sys.path.insert(0, str(ROOT))

from graph.errors import RecordError  # noqa: E402
from graph.model import TrialRecord  # noqa: E402
from graph.sources.ctgov import read, read_document  # noqa: E402

PAGE_SIZE = 100


# -- the synthetic set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A real study: its NCT id, its JSON, and its other ids (sponsor, EudraCT, grant...)."""

    nct: str
    body: bytes
    other_ids: tuple[str, ...] = ()


def real_studies(folder: Path = SHARED_CTGOV, max_sites: int | None = None) -> list[Template]:
    """Every real study (with at most ``max_sites`` locations), in file order."""
    out = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for study in doc.get("studies", [doc]):
            locations = study["protocolSection"].get("contactsLocationsModule", {}).get("locations", [])
            if max_sites is not None and len(locations) > max_sites:
                continue
            ident = study["protocolSection"]["identificationModule"]
            others = [ident.get("orgStudyIdInfo", {}).get("id")]
            others += [info.get("id") for info in ident.get("secondaryIdInfos", [])]
            out.append(
                Template(
                    ident["nctId"],
                    json.dumps(study, ensure_ascii=False).encode(),
                    tuple(sorted({x for x in others if x}, key=len, reverse=True)),
                )
            )
    return out


_EUDRACT = re.compile(r"^(\d{4})-\d{6}-(\d{2})$")


def copy_id(value: str, i: int) -> str:
    """Study ``i``'s own version of a template's id: a EudraCT number stays one (``2015-001894-41``
    -> ``2015-000012-41``), any other id gets a suffix."""
    m = _EUDRACT.match(value)
    if m:
        return f"{m.group(1)}-{i % 1_000_000:06d}-{m.group(2)}"
    return f"{value}-S{i}"


def synthetic(n: int, templates: list[Template]) -> Iterator[tuple[str, bytes]]:
    """``n`` studies cycling through the templates, each under a new NCT id and with its own
    sponsor, EudraCT and grant ids, as in a registry (copies that kept the template's EudraCT
    number would all be one trial to identity resolution, and the QC gate on shared registry ids
    would report every pair of them)."""
    for i in range(n):
        t = templates[i % len(templates)]
        new = f"NCT9{i:07d}"
        body = t.body.replace(t.nct.encode(), new.encode())
        for other in t.other_ids:
            body = body.replace(
                json.dumps(other, ensure_ascii=False).encode(),
                json.dumps(copy_id(other, i), ensure_ascii=False).encode(),
            )
        yield new, body


def write_set(folder: Path, n: int, shape: str, max_sites: int | None = None) -> tuple[Path, int]:
    """The set on disk; returns (path to read, bytes of JSON)."""
    templates = real_studies(max_sites=max_sites)
    total = 0
    if shape == "zip":
        path = folder / "ctg-studies.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for nct, body in synthetic(n, templates):
                archive.writestr(f"{nct}.json", body)
                total += len(body)
        return path, total
    pages = folder / "pages"
    pages.mkdir()
    batch: list[bytes] = []
    for _nct, body in synthetic(n, templates):
        batch.append(body)
        total += len(body)
        if len(batch) == PAGE_SIZE:
            _write_page(pages, batch)
            batch = []
    if batch:
        _write_page(pages, batch)
    return pages, total


def _write_page(folder: Path, studies: list[bytes]) -> None:
    number = len(list(folder.iterdir())) + 1
    (folder / f"page-{number:05d}.json").write_bytes(b'{"studies": [' + b",".join(studies) + b"]}")


# -- stages ---------------------------------------------------------------------------------------


def read_records(path: Path) -> Iterator[TrialRecord | RecordError]:
    files = [path] if path.is_file() else sorted(path.glob("*.json"))
    for file in files:
        yield from read(file)


@dataclass
class Counts:
    studies: int = 0
    errors: int = 0
    sites: int = 0
    triples: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def stage_read(path: Path, _work: Path) -> Counts:
    counts = Counts()
    for result in read_records(path):
        if isinstance(result, RecordError):
            counts.errors += 1
        else:
            counts.studies += 1
            counts.sites += len(result.sites)
    return counts


def stage_rdf(path: Path, _work: Path) -> Counts:
    from graph.rdf import record_graph

    counts = Counts()
    for result in read_records(path):
        if isinstance(result, RecordError):
            counts.errors += 1
            continue
        counts.studies += 1
        counts.sites += len(result.sites)
        counts.triples += len(record_graph(result))
    return counts


def stage_store(path: Path, work: Path) -> Counts:
    from graph.identity import record_graph as graph_name
    from graph.rdf import record_graph
    from graph.store import open_store

    store = open_store(work / "store")
    counts = Counts()
    try:
        with store.write() as writer:
            for result in read_records(path):
                if isinstance(result, RecordError):
                    counts.errors += 1
                    continue
                g = record_graph(result)
                writer.replace_graph(graph_name(result.source, result.record_id), g)
                counts.studies += 1
                counts.sites += len(result.sites)
                counts.triples += len(g)
    finally:
        store.close()
    return counts


def stage_build(path: Path, work: Path) -> Counts:
    from graph.build import build
    from graph.store import open_store

    steps: dict[str, float] = {}
    current = {"step": "start"}
    since = [time.perf_counter()]

    def progress(step: str, _done: int, _total: int | None) -> None:
        step = step.split(":")[0]
        if step != current["step"]:
            now = time.perf_counter()
            steps[current["step"]] = steps.get(current["step"], 0.0) + now - since[0]
            current["step"], since[0] = step, now

    store = open_store(work / "store")
    report = build([path], store, progress=progress)
    progress("end", 0, None)
    sites = store.query(
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> "
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?t tg:site ?s } }"
    ).rows[0][0]
    disk = sum(f.stat().st_size for f in (work / "store").rglob("*") if f.is_file())
    inferred = report.reasoning.inferred if report.reasoning is not None else 0
    store.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Counts(
        studies=len(report.loaded),
        errors=len(report.errors),
        sites=int(str(sites)),
        triples=report.triples,
        extra={
            "quarantined": len(report.quarantined),
            "inferred": inferred,
            "steps_s": {k: round(v, 1) for k, v in steps.items() if k != "start"},
            "worker_peak_rss_mib": round(children, 1),
            "store_mib": round(disk / 2**20),
        },
    )


STAGES: dict[str, Callable[[Path, Path], Counts]] = {
    "read": stage_read,
    "rdf": stage_rdf,
    "store": stage_store,
    "build": stage_build,
}


# -- measuring ------------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """Peak resident size of this process.  ``VmHWM`` where Linux has it: ``getrusage`` keeps
    the peak of the parent's pages across fork and exec, which would hide the stage's own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 2**20)


def run_stage(stage: str, path: Path, work: Path, json_bytes: int, use_tracemalloc: bool) -> dict[str, object]:
    """Time one stage in this process; the caller runs it in a fresh child."""
    if use_tracemalloc:
        tracemalloc.start()
    start_rss = peak_rss_mib()
    started = time.perf_counter()
    try:
        counts = STAGES[stage](path, work)
    except ImportError as exc:
        return {"stage": stage, "skipped": f"cannot import what the {stage} stage needs ({exc})"}
    seconds = time.perf_counter() - started
    figures: dict[str, object] = {
        "stage": stage,
        "studies": counts.studies,
        "errors": counts.errors,
        "sites": counts.sites,
        "triples": counts.triples,
        "seconds": round(seconds, 2),
        "studies_per_s": round(counts.studies / seconds),
        "triples_per_s": round(counts.triples / seconds),
        "json_mib_per_s": round(json_bytes / seconds / 2**20, 1),
        "peak_rss_mib_before": round(start_rss, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        **counts.extra,
    }
    if use_tracemalloc:
        figures["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return figures


def parser_figures(repeat: int = 20) -> dict[str, float]:
    """JSON parse time alone over the real files: why the reader uses orjson."""
    import orjson

    blobs = [p.read_bytes() for p in sorted(SHARED_CTGOV.glob("*.json"))]
    size = sum(len(b) for b in blobs) * repeat
    out = {}
    for name, loads in (("json", json.loads), ("orjson", orjson.loads)):
        started = time.perf_counter()
        for _ in range(repeat):
            for blob in blobs:
                loads(blob)
        out[f"{name}_mib_per_s"] = round(size / (time.perf_counter() - started) / 2**20, 1)
    # the whole reader on the same bytes, from memory (no file or zip)
    started = time.perf_counter()
    for _ in range(repeat):
        for i, blob in enumerate(blobs):
            for _result in read_document(blob, f"mem{i}.json"):
                pass
    out["reader_from_memory_studies_per_s"] = round(len(blobs) * repeat / (time.perf_counter() - started))
    return out


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (and theirs, recursively)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_calibration() -> float:
    """Seconds for ten million additions in a Python loop: a yardstick for comparing figures
    taken on different (or busy) machines.  An idle 2020s laptop core takes about 0.5 s."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - started, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="synthetic studies (default 100000)")
    parser.add_argument("--stage", choices=sorted(STAGES), action="append", help="stage(s) (default: read, build)")
    parser.add_argument("--shape", choices=("zip", "pages"), default="zip", help="bulk zip or API pages")
    parser.add_argument("--max-sites", type=int, help="leave out real studies with more locations than this")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--child", nargs=3, metavar=("STAGE", "PATH", "BYTES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one stage, in a fresh process, figures as JSON on stdout
        stage, path, json_bytes = args.child
        # the figures are printed (and flushed) before the work folder goes, and a folder that
        # cannot be removed costs no figures
        with tempfile.TemporaryDirectory(prefix="trialgraph-bench-work-", ignore_cleanup_errors=True) as work:
            print(json.dumps(run_stage(stage, Path(path), Path(work), int(json_bytes), args.tracemalloc)), flush=True)
        return 0

    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, 10M-add loop {cpu_calibration()} s")
    print(f"parsers and reader over the {len(list(SHARED_CTGOV.glob('*.json')))} real files:", parser_figures())
    with tempfile.TemporaryDirectory(prefix="trialgraph-bench-") as tmp:
        started = time.perf_counter()
        path, json_bytes = write_set(Path(tmp), args.n, args.shape, args.max_sites)
        disk = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.iterdir())
        print(
            f"synthetic set: {args.n} studies from {len(real_studies(max_sites=args.max_sites))} real ones, "
            f"{json_bytes / 2**20:.0f} MiB of JSON, "
            f"{disk / 2**20:.0f} MiB on disk as {args.shape} (made in {time.perf_counter() - started:.0f} s)"
        )
        for stage in args.stage or ["read", "build"]:
            command = [sys.executable, __file__, "--child", stage, str(path), str(json_bytes)]
            if args.tracemalloc:
                command.append("--tracemalloc")
            cpu_before = _children_cpu()
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
            cpu = _children_cpu() - cpu_before
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0:
                print(f"stage {stage} failed:\n{done.stderr}", file=sys.stderr)
                if not lines or not lines[-1].startswith("{"):
                    return 1
            figures = json.loads(lines[-1])
            if "skipped" in figures:
                print(f"stage {stage}: skipped: {figures['skipped']}")
            else:
                # CPU seconds of the stage and its worker processes: unlike wall time, hardly
                # changed by other jobs on the machine
                figures["cpu_s"] = round(cpu, 1)
                figures["studies_per_cpu_s"] = round(int(figures["studies"]) / cpu, 1) if cpu else None
                figures["load_after"] = round(os.getloadavg()[0], 1)
                print(f"stage {stage}: " + ", ".join(f"{k}={v}" for k, v in figures.items() if k != "stage"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
