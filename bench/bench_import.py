"""Import benchmark: a whole build against Oxigraph's own bulk load of the same quads.

Standalone script, never a test::

    python bench/bench_import.py                                  # 5,000, 20,000 and 100,000 studies
    python bench/bench_import.py --sizes 5000 --max-sites 40      # the issue's table, one row
    python bench/bench_import.py --sizes 100000 --max-sites 200   # registry-like mix, 100,000 studies
    python bench/bench_import.py --sizes 100000 --max-sites 40 --keep /tmp/q   # then bench_queries.py --work /tmp/q

For each size it prints one row:

- **build**: ``trialgraph build`` of a synthetic bulk-download zip into a fresh on-disk store
  (:func:`graph.pipeline.run.build` in a fresh process): wall and CPU seconds (workers included), peak
  resident memory of all processes together (sampled every 0.2 s), quads written, studies/s,
  quads/s, and the wall time of each step (read, identity, records, reasoning, the rest);
- **raw load**: the store dumped as N-Quads, then ``pyoxigraph.Store.bulk_load`` of that very file
  into a fresh on-disk store, in a fresh process, until its ``flush`` returns (the flush waits for
  RocksDB to compact the loaded files below its write-slowdown trigger, as the build's does);
  the ratio build / raw load (wall).  The dump is in Oxigraph's index order, which spares its load
  part of that compaction (docs/import.md, "Compaction after the bulk load"); ``--unsorted`` also
  times the load of the same lines shuffled, the order a build's records arrive in as far as the
  store's hashed keys go; ``--floor`` also builds the set twice more, once keeping each result
  of the workers on disk and once reading those results back instead of having them worked out:
  the second is what the build costs when its workers' work costs nothing, the floor that more
  cores could bring it down to (the reading of the zip, which workers also do, still counts);
- **refresh**: a build of newer versions of ``--refresh`` studies (50) into the store just built,
  and its share of the full build: the median of ``--refresh-runs`` (3) runs, each but the last
  into a copy of that store, every run's time shown;
- **validate**: ``trialgraph validate`` of the unchanged store (``graph.validate.check.check_store``,
  which reuses the results the build kept per record), and its share of the full build; the QC
  gates' part of it is shown apart, and so is the wall time of the command itself (a fresh
  process: imports, opening the store and writing the report included).

Each measurement runs in a fresh child process (imports not timed).  The synthetic set is made
from the real API v2 files in ``../shared/data/ctgov-v2``: each synthetic study is a real one with
its NCT id and its other ids (sponsor, EudraCT, grant) rewritten, so the mix of sizes is that of
the real files.  ``--max-sites N`` leaves out the real studies with more than N locations: with
all of them, one study in sixteen is the 1,148-site stress record; ``--max-sites 200`` keeps 15
of the 16 templates (about 13 sites a study); ``--max-sites 40`` keeps 13 (the issue's table).

The machine's load is printed with every row: other jobs on the machine stretch wall times, CPU
seconds much less.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_CTGOV = ROOT.parent / "shared" / "data" / "ctgov-v2"
sys.path.insert(0, str(ROOT))

DEFAULT_SIZES = (5_000, 20_000, 100_000)
#: Refreshes timed per row (the median is shown).
REFRESH_RUNS = 3


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
            before, after = (json.dumps(x, ensure_ascii=False).encode() for x in (other, copy_id(other, i)))
            body = body.replace(before, after)
        yield new, body


def write_set(folder: Path, n: int, max_sites: int | None = None) -> Path:
    """The set as a bulk-download zip (one JSON per study)."""
    path = folder / "ctg-studies.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for nct, body in synthetic(n, real_studies(max_sites=max_sites)):
            archive.writestr(f"{nct}.json", body)
    return path


def write_newer(source: Path, target: Path, n: int) -> None:
    """Newer versions of the first ``n`` studies of a set: updated yesterday, with a new title."""
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in archive.namelist()[:n]:
            study = json.loads(archive.read(name))
            protocol = study["protocolSection"]
            protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": yesterday, "type": "ACTUAL"}
            protocol["identificationModule"]["briefTitle"] += " (updated)"
            out.writestr(name, json.dumps(study))


# -- measurements, each in a fresh child process ---------------------------------------------------


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_build(zip_path: str, store_path: str, record: str = "", replay: str = "") -> dict[str, Any]:
    """A build; ``record``: each result of its workers is also kept in that folder; ``replay``:
    the workers' results are read back from that folder instead of being worked out."""
    from graph.pipeline.run import build
    from graph.store.registry import open_store

    if record or replay:
        _recorded_results(Path(record or replay), replay=bool(replay))

    steps: dict[str, float] = {}
    current = {"step": "start", "since": time.perf_counter()}

    def progress(step: str, _done: int, _total: int | None) -> None:
        step = step.split(":")[0]
        if step != current["step"]:
            now = time.perf_counter()
            steps[str(current["step"])] = steps.get(str(current["step"]), 0.0) + now - float(current["since"])
            current.update(step=step, since=now)

    store = open_store(Path(store_path))
    cpu, started = _cpu(), time.perf_counter()
    report = build([Path(zip_path)], store, progress=progress)
    seconds = time.perf_counter() - started
    progress("end", 0, None)
    store.close()
    return {
        "seconds": seconds,
        "cpu": _cpu() - cpu,
        "studies": len(report.loaded) + len(report.unchanged),
        "loaded": len(report.loaded),
        "quarantined": len(report.quarantined),
        "errors": len(report.errors),
        "quads": report.triples,
        "inferred": report.inferred_quads,
        "mode": report.reasoning.mode if report.reasoning else None,
        "steps": {k: round(v, 1) for k, v in steps.items() if k != "end"},
    }


def _recorded_results(folder: Path, *, replay: bool) -> None:
    """The build's second pass records its workers' results in ``folder``, or replays them from
    there: the replayed build is what the build costs when its workers' work costs nothing (the
    parent's own work, the bulk load and the reading of the zip)."""
    import pickle

    import graph.pipeline.outcomes as outcomes

    run_jobs = outcomes.run_jobs

    def recording(jobs: list[Any], *args: Any) -> Iterator[Any]:
        folder.mkdir(parents=True, exist_ok=True)
        for i, result in enumerate(run_jobs(jobs, *args)):
            if result.terms_file is not None:  # in the build's temporary folder, gone by the replay
                result.terms_file = Path(shutil.copy(result.terms_file, folder))
            (folder / f"{i:06d}.pickle").write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            yield result

    def replaying(jobs: list[Any], *_args: Any) -> Iterator[Any]:
        for i in range(len(jobs)):
            yield pickle.loads((folder / f"{i:06d}.pickle").read_bytes())

    outcomes.run_jobs = replaying if replay else recording  # type: ignore[assignment]


def child_dump(store_path: str, nquads: str) -> dict[str, Any]:
    from graph.store.local import OxigraphStore

    store = OxigraphStore(Path(store_path), read_only=True)
    import pyoxigraph as ox

    store.reader().dump(output=nquads, format=ox.RdfFormat.N_QUADS)  # type: ignore[attr-defined]
    return {"bytes": Path(nquads).stat().st_size}


def child_raw(nquads: str, folder: str) -> dict[str, Any]:
    import pyoxigraph as ox

    cpu, started = _cpu(), time.perf_counter()
    db = ox.Store(folder)
    db.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
    flushing = time.perf_counter()
    db.flush()  # returns when RocksDB has compacted the loads' level-0 files below its slowdown trigger
    done = time.perf_counter()
    return {"seconds": done - started, "cpu": _cpu() - cpu, "quads": len(db), "flush": done - flushing}


def child_validate(store_path: str) -> dict[str, Any]:
    from graph.store.local import OxigraphStore
    from graph.validate.check import check_store
    from graph.validate.gates import gate_issues

    store = OxigraphStore(Path(store_path), read_only=True)
    cpu, started = _cpu(), time.perf_counter()
    report, _trials = check_store(store)
    seconds = time.perf_counter() - started
    gates_started = time.perf_counter()
    gate_issues(store)
    gates = time.perf_counter() - gates_started
    return {"seconds": seconds, "cpu": _cpu() - cpu, "gates": gates, "issues": len(report.issues)}


CHILDREN = {"build": child_build, "dump": child_dump, "raw": child_raw, "validate": child_validate}


class Peak:
    """The peak resident memory of a process and all its descendants together, sampled."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(c for c, p in parents.items() if p == pid)
        return tree

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                except OSError:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_child(kind: str, *args: str) -> dict[str, Any]:
    """One measurement in a fresh process; its figures, with the peak memory of its processes."""
    command = [sys.executable, __file__, "--child", kind, *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = Peak(proc.pid)
    out, err = proc.communicate()
    figures = {"peak_bytes": peak.stop()}
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{kind} failed:\n{err}")
    figures.update(json.loads(lines[-1]))
    return figures


# -- the table ------------------------------------------------------------------------------------


def cpu_calibration() -> float:
    """Seconds for ten million additions in a Python loop: a yardstick for comparing figures
    taken on different (or busy) machines.  An idle 2020s laptop core takes about 0.5 s."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - started, 2)


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def shuffle_lines(source: Path, target: Path) -> None:
    """The lines of an N-Quads file in a fixed pseudo-random order (coreutils ``shuf``, seeded
    from the file itself, so that a rerun gives the same order)."""
    subprocess.run(["shuf", f"--random-source={source}", "-o", str(target), str(source)], check=True)


def raw_load(nquads: Path, work: Path) -> dict[str, Any]:
    """The raw load of an N-Quads file into a fresh store, which is removed afterwards."""
    figures = run_child("raw", str(nquads), str(work / "raw"))
    shutil.rmtree(work / "raw", ignore_errors=True)
    return figures


def measure(
    n: int,
    max_sites: int | None,
    refresh: int,
    work: Path,
    unsorted: bool = False,
    runs: int = REFRESH_RUNS,
    floor: bool = False,
) -> dict[str, Any]:
    zip_path = write_set(work, n, max_sites)
    store = work / "store"
    load = os.getloadavg()[0]
    build = run_child("build", str(zip_path), str(store))
    nquads = work / "store.nq"
    run_child("dump", str(store), str(nquads))
    raw = raw_load(nquads, work)
    if unsorted:
        shuffled = work / "shuffled.nq"
        shuffle_lines(nquads, shuffled)
        raw["unsorted"] = raw_load(shuffled, work)
        shuffled.unlink()
    nquads.unlink()
    replayed = None
    if floor:
        results = work / "results"
        run_child("build", str(zip_path), str(work / "store-recorded"), str(results), "")
        replayed = run_child("build", str(zip_path), str(work / "store-replayed"), "", str(results))
        if replayed["quads"] != build["quads"]:
            raise SystemExit(f"the replayed build wrote {replayed['quads']:,} quads, the build {build['quads']:,}")
        for scratch in (results, work / "store-recorded", work / "store-replayed"):
            shutil.rmtree(scratch, ignore_errors=True)
    newer = work / "newer.zip"
    write_newer(zip_path, newer, refresh)
    again = refresh_runs(newer, store, work, runs)
    check = run_child("validate", str(store))
    check["command"] = command_seconds(store)
    row = {"n": n, "load": load, "build": build, "raw": raw, "refresh": again, "validate": check}
    return row if replayed is None else {**row, "floor": replayed}


def refresh_runs(newer: Path, store: Path, work: Path, runs: int) -> dict[str, Any]:
    """The refresh of ``newer`` into ``store``, ``runs`` times: each but the last into a copy
    of the store as the build left it, the last into the store itself.  The figures are those of
    the run with the median wall time (the faster middle one of an even number of runs), with
    every run's time in ``runs``: a refresh takes a second or two, which the machine's other
    work moves by a third from one run to the next."""
    timed = []
    for i in range(runs - 1):
        copy = work / f"store-refresh-{i}"
        shutil.copytree(store, copy, symlinks=True)
        timed.append(run_child("build", str(newer), str(copy)))
        shutil.rmtree(copy, ignore_errors=True)
    timed.append(run_child("build", str(newer), str(store)))
    figures = sorted(timed, key=lambda r: r["seconds"])[(len(timed) - 1) // 2]
    return {**figures, "runs": [r["seconds"] for r in timed]}


def command_seconds(store: Path) -> float:
    """Wall seconds of ``trialgraph validate`` of the store as a user runs it: a fresh process,
    its imports and the written report included (exit code 1 only says the report has
    violations)."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "graph.cli", "validate", "--store", str(store), "--output", os.devnull]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"trialgraph validate failed:\n{done.stderr}")
    return time.perf_counter() - started


def print_row(row: dict[str, Any]) -> None:
    b, raw, ref, val = row["build"], row["raw"], row["refresh"], row["validate"]
    print(
        f"{row['n']:>7,} studies | build {b['seconds']:.1f} s wall, {b['cpu']:.1f} CPU s, peak {_gb(b['peak_bytes'])}"
        f" | {b['quads']:,} quads ({b['inferred']:,} inferred) | {row['n'] / b['seconds']:.0f} studies/s,"
        f" {b['quads'] / b['seconds']:,.0f} quads/s | raw bulk_load {raw['seconds']:.1f} s wall,"
        f" {raw['cpu']:.1f} CPU s (flush {raw['flush']:.1f} s) | build/raw {b['seconds'] / raw['seconds']:.2f}x"
        f"{unsorted_label(raw, b)}{floor_label(row.get('floor'), raw)}"
        f" | refresh {refresh_label(ref, b)} | validate {val['seconds']:.2f} s"
        f" ({100 * val['seconds'] / b['seconds']:.1f}%; QC gates {val['gates']:.2f} s; the command"
        f" {val['command']:.2f} s, {100 * val['command'] / b['seconds']:.1f}%) | load {row['load']:.1f}",
        flush=True,
    )
    print(f"          steps (wall s): {b['steps']}", flush=True)


def unsorted_label(raw: dict[str, Any], build: dict[str, Any]) -> str:
    other = raw.get("unsorted")
    if other is None:
        return ""
    return (
        f" | raw bulk_load of the same quads shuffled {other['seconds']:.1f} s wall (flush {other['flush']:.1f} s),"
        f" build/raw {build['seconds'] / other['seconds']:.2f}x"
    )


def floor_label(floor: dict[str, Any] | None, raw: dict[str, Any]) -> str:
    if floor is None:
        return ""
    return (
        f" | the build with its workers' results replayed {floor['seconds']:.1f} s wall, {floor['cpu']:.1f} CPU s,"
        f" {floor['seconds'] / raw['seconds']:.2f}x raw (steps {floor['steps']})"
    )


def refresh_label(ref: dict[str, Any], build: dict[str, Any]) -> str:
    runs = ref["runs"]
    spread = f", median of {len(runs)}: {' / '.join(f'{r:.2f}' for r in runs)} s" if len(runs) > 1 else ""
    return (
        f"{ref['loaded']} newer in {ref['seconds']:.2f} s ({100 * ref['seconds'] / build['seconds']:.1f}%,"
        f" {ref['mode']}{spread})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="studies per row (comma-separated)")
    parser.add_argument("--max-sites", type=int, default=200, help="leave out real studies with more locations")
    parser.add_argument("--refresh", type=int, default=50, help="newer versions built into the store (default 50)")
    parser.add_argument(
        "--refresh-runs",
        type=int,
        default=REFRESH_RUNS,
        help="refreshes timed, each but the last into a copy of the built store; the median is shown"
        f" (default {REFRESH_RUNS})",
    )
    parser.add_argument("--json", action="store_true", help="also print each row as JSON")
    parser.add_argument(
        "--unsorted",
        action="store_true",
        help="also time the raw bulk_load of the same quads in a shuffled order (the dump is in"
        " Oxigraph's index order, which spares that load part of RocksDB's compaction)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also build once more recording the workers' results, and once replaying them: what the"
        " build costs when its workers' work costs nothing",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep each store (after the refresh) as KEEP/store-N, where bench_queries.py --work KEEP reuses it",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)), flush=True)
        return 0
    if args.refresh_runs < 1:
        parser.error("--refresh-runs must be at least 1")
    if args.unsorted and shutil.which("shuf") is None:
        parser.error("--unsorted shuffles the dump with coreutils' shuf, which is not on PATH")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, 10M-add loop {cpu_calibration()} s")
    templates = real_studies(max_sites=args.max_sites)
    if not templates:
        parser.error(
            f"no real study to copy in {SHARED_CTGOV} (with at most {args.max_sites} sites):"
            " run from a checkout next to ../shared"
        )
    print(f"synthetic studies from {len(templates)} real ones (--max-sites {args.max_sites})", flush=True)
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="trialgraph-bench-", ignore_cleanup_errors=True) as tmp:
            row = measure(n, args.max_sites, args.refresh, Path(tmp), args.unsorted, args.refresh_runs, args.floor)
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(args.keep / f"store-{n}", ignore_errors=True)
                shutil.move(str(Path(tmp) / "store"), args.keep / f"store-{n}")
        print_row(row)
        if args.json:
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
