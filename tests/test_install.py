"""An installed wheel builds the same graph as the checkout (issue 20: data travels with the
data, and the package's own organisation aliases are only a default).

The wheel is built with ``pip wheel .`` from a copy of the checkout (so no ``build/`` folder of an
earlier run leaks into it) and installed with ``--no-deps`` into a fresh virtual environment made
outside the checkout; that environment borrows its dependencies from the running one through a
``.pth`` line, so nothing but the wheel's build backend comes from the package index (pip's cache
serves it after ``make install``).  Both builds read the five seed records from a folder outside
the checkout that holds no ``organizations.yaml``, so each falls back on the aliases its package
ships, and both run from that folder with no paths (``./data``), so the stored file paths agree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from rdflib import Dataset, URIRef
from rdflib.compare import to_isomorphic

from .conftest import ROOT, SEED_DATA

GENERATED_AT = URIRef("http://www.w3.org/ns/prov#generatedAtTime")
#: What a wheel is built from: everything but the environments, caches and earlier outputs.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", ".trialgraph", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests", "bench"
)


def run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def graphs(store: Path) -> dict[str, object]:
    """Each named graph of the store, load timestamps removed, in canonical form."""
    ds = Dataset()
    dump = run([sys.executable, "-m", "graph", "export", "--format", "nquads", "--store", store], cwd=store.parent)
    ds.parse(data=dump.stdout, format="nquads")
    out = {}
    for g in ds.graphs():
        for t in list(g.triples((None, GENERATED_AT, None))):
            g.remove(t)
        if len(g):
            out[str(g.identifier)] = to_isomorphic(g)
    return out


def test_an_installed_wheel_builds_the_seeds_to_the_checkout_graph(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "-w", tmp_path / "wheels"], cwd=source)
    (wheel,) = (tmp_path / "wheels").glob("trialgraph-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "graph/_resources/organizations.yaml" in archive.namelist()

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    site = Path(
        run([venv / "bin" / "python", "-c", "import site; print(site.getsitepackages()[0])"], tmp_path).stdout.strip()
    )
    (site / "checkout-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--quiet", wheel],
        cwd=tmp_path,
    )
    where = run([venv / "bin" / "python", "-c", "import graph; print(graph.__file__)"], cwd=tmp_path).stdout
    assert where.startswith(str(site)), where  # the wheel's package, not the checkout's

    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    for record in SEED_DATA.glob("*.yaml"):
        if record.name != "organizations.yaml":
            shutil.copy(record, work / "data" / record.name)
    run([venv / "bin" / "trialgraph", "build", "--store", "wheel-store", "--quiet"], cwd=work)
    run([sys.executable, "-m", "graph", "build", "--store", "checkout-store", "--quiet"], cwd=work)

    installed, checkout = graphs(work / "wheel-store"), graphs(work / "checkout-store")
    assert installed.keys() == checkout.keys()
    for name, g in checkout.items():
        assert installed[name] == g, f"graph {name} differs between the wheel and the checkout"
    # the seed's truncated sponsor name (data/nl-omon47582.yaml) was corrected by the default aliases
    labels = {str(o) for g in installed.values() for o in g.objects()}  # type: ignore[attr-defined]
    assert "University Medical Center Utrecht" in labels
