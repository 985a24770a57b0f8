"""Resource paths and IRIs, defined once."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    """``ontology/``, ``shapes/`` and ``queries/`` sit at the top level of a source checkout and
    inside the package (``graph/_resources/NAME``) in an installed wheel."""
    installed = PACKAGE_DIR / "_resources" / name
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name


ONTOLOGY_DIR = _resource_dir("ontology")
SHAPES_DIR = _resource_dir("shapes")
QUERIES_DIR = _resource_dir("queries")
#: What ``trialgraph build`` reads when given no paths: ``data/`` in the current folder (like the
#: default store, ``.trialgraph/store``, it is relative to where the command runs).
DEFAULT_DATA = Path("data")
#: The organisation aliases a build falls back on when the folders it reads hold no
#: ``organizations.yaml`` and no ``--orgs`` file is given: a copy of the checkout's
#: ``data/organizations.yaml``, shipped in the wheel as ``graph/_resources/organizations.yaml``.
ORGS_NAME = "organizations.yaml"
DEFAULT_ORGS_FILE = (
    PACKAGE_DIR / "_resources" / ORGS_NAME
    if (PACKAGE_DIR / "_resources" / ORGS_NAME).is_file()
    else PACKAGE_DIR.parent / "data" / ORGS_NAME
)

#: Records per batch of a build's second pass: the most records (and their graphs) a process holds.
BATCH_SIZE = 500

#: Everything trialgraph mints lives under this base.
BASE = "https://w3id.org/trialgraph/"
ONTOLOGY_IRI = BASE + "ontology"
ONTOLOGY_NS = BASE + "ontology#"
VOCAB_NS = BASE + "vocab/"
ID_NS = BASE + "id/"
GRAPH_NS = BASE + "graph/"

#: Named graphs that are not source records.
ONTOLOGY_GRAPH = GRAPH_NS + "ontology"
INFERRED_GRAPH = GRAPH_NS + "inferred"
QUARANTINE_GRAPH = GRAPH_NS + "quarantine"
#: Rows of the whole-graph queries (trials, sponsors, countries), kept up to date by every build.
SUMMARY_GRAPH = GRAPH_NS + "summary"

MESH_NS = "http://id.nlm.nih.gov/mesh/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
ROR_NS = "https://ror.org/"

STORE_ENV = "TRIALGRAPH_STORE"
#: Reader modules outside the package, by dotted name, separated by commas (see graph.sources).
READERS_ENV = "TRIALGRAPH_READERS"
DEFAULT_STORE = ".trialgraph/store"


def default_store() -> str:
    return os.environ.get(STORE_ENV) or DEFAULT_STORE
