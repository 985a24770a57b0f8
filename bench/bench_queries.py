"""Named-query benchmark: how long each named query takes, in process, on stores of 5,000,
20,000 and 100,000 synthetic studies.

Standalone script, never a test::

    python bench/bench_queries.py                          # 5,000, 20,000 and 100,000 studies
    python bench/bench_queries.py --sizes 5000 20000 --runs 9
    python bench/bench_queries.py --sizes 5000 --work /tmp/queries   # reuse stores kept there

The studies are :mod:`bench_import`'s synthetic set (real ClinicalTrials.gov API v2 files under
new NCT9xxxxxxx ids, ``--max-sites 40`` by default, so the set cycles through the 13 real
studies with at most 40 sites).  Each size is built once with ``trialgraph build`` into
``--work/store-N`` and reused by later runs (delete the folder to rebuild it).  Building 100,000
studies takes about an hour on 2 cores.

For every query and size the script prints, over ``--runs`` runs after one warm-up:

- ``page``: median and p95 of :func:`graph.query.named.run` with the CLI's default page (50 rows),
  which also counts the rows of the whole answer;
- ``all``: median and p95 of :func:`graph.query.named.run` for every row (rows converted to rdflib
  terms, as the CLI and the server get them);
- ``floor``: median of the same SPARQL text (parameters bound) run directly in pyoxigraph over
  the union of the named graphs, its rows read but not converted;
- ``rows``: the rows of the whole answer.

Parameters hit real data: each id is the synthetic copy of a real study chosen for its answer
(the 32-site study for ``trial-sites``, the study with five collaborators or four secondary ids
for the others), the same copy at every size, so look-ups whose answer does not grow with the
store can be compared across sizes.  Every condition of the set is shared by one study in 13,
so ``trials-by-condition`` answers grow with the store.  The machine's load average is printed
before and after each size; on a shared machine, compare figures from one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import cpu_calibration, real_studies, write_set  # noqa: E402

from graph.query.named import bind, resolve, run  # noqa: E402
from graph.query.paging import page as page_text  # noqa: E402
from graph.store.local import OxigraphStore  # noqa: E402
from graph.store.registry import open_store  # noqa: E402

#: Rows of a page: what `trialgraph query` shows in a table.
PAGE = 50


@dataclass(frozen=True)
class Case:
    query: str
    params: dict[str, str]


def cases(templates: list[str]) -> list[Case]:
    """The named queries, each with parameters that hit the synthetic set: a real study's copy
    number ``index + 13 * 200`` exists at every size from 5,000 on."""

    def copy_of(nct: str) -> str:
        index = templates.index(nct)
        return f"NCT9{index + len(templates) * 200:07d}"

    return [
        Case("identifiers", {"id": copy_of("NCT06388018").lower()}),  # four secondary ids; any case
        Case("trial-sites", {"id": copy_of("NCT04431453")}),  # 32 sites in 4 countries
        Case("trial-organizations", {"id": copy_of("NCT02299791")}),  # five collaborators
        Case("trials-by-condition", {"condition": "covid 19"}),  # NCT04431453's condition
        Case("trials", {}),
        Case("sponsors", {}),
        Case("countries", {}),
        Case("counts", {}),
    ]


# -- stores -------------------------------------------------------------------------------------------


def store_for(size: int, work: Path, max_sites: int) -> Path:
    """``work/store-N``, built from the synthetic set when it is not there yet."""
    path = work / f"store-{size}"
    if (path / "current").exists():
        return path
    from graph.pipeline.run import build

    with tempfile.TemporaryDirectory(prefix="trialgraph-bench-queries-") as tmp:
        data = write_set(Path(tmp), size, max_sites)
        started = time.perf_counter()
        report = build([data], open_store(path))
        print(f"built {size:,} studies into {path} in {time.perf_counter() - started:.0f} s ({report.triples:,} quads)")
    return path


# -- timing -----------------------------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """(median s, p95 s, last result) over ``runs`` runs after one warm-up."""
    result = fn()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return statistics.median(seconds), p95, result


def measure(path: Path, case: Case, runs: int) -> dict[str, object]:
    store = open_store(path, read_only=True)
    assert isinstance(store, OxigraphStore)
    query = resolve(case.query)
    bindings = bind(query, case.params)
    # every row, parameters bound as graph.query.named.run binds them (in a marked sub-select too)
    text = page_text(query.text, bindings, None, 0)
    page_s, page_p95, page = timed(lambda: run(store, case.query, case.params, limit=PAGE), runs)
    all_s, all_p95, _ = timed(lambda: run(store, case.query, case.params), runs)
    floor_s, _, _ = timed(lambda: list(store.reader().query(text, use_default_graph_as_union=True)), runs)
    return {
        "rows": page.total,  # type: ignore[attr-defined]
        "page": (page_s, page_p95),
        "all": (all_s, all_p95),
        "floor": floor_s,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000, 100_000])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per query (at least 5)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "trialgraph-bench-queries")
    parser.add_argument("--max-sites", type=int, default=40, help="leave out real studies with more locations")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs: at least 5")
    args.work.mkdir(parents=True, exist_ok=True)
    templates = [t.nct for t in real_studies(max_sites=args.max_sites)]
    print(f"machine: {os.cpu_count()} cores, 10M-add loop {cpu_calibration()} s; {args.runs} runs per figure")
    print("times in milliseconds")
    header = "| query | parameters | size | rows | page median | page p95 | all median | all p95 | floor |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for size in args.sizes:
        path = store_for(size, args.work, args.max_sites)
        load_before = os.getloadavg()[0]
        for case in cases(templates):
            m = measure(path, case, args.runs)
            params = ", ".join(f"{k}={v}" for k, v in case.params.items())
            page, every = m["page"], m["all"]
            cells = [case.query, params, f"{size:,}", f"{m['rows']:,}", ms(page[0]), ms(page[1])]  # type: ignore[index]
            cells += [ms(every[0]), ms(every[1]), ms(m["floor"])]  # type: ignore[index,arg-type]
            print("| " + " | ".join(cells) + " |", flush=True)
        print(f"(size {size:,}: load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
