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
#: Curated records shipped with a source checkout (``trialgraph build`` reads it by default).
DATA_DIR = PACKAGE_DIR.parent / "data"

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
ROR_NS = "https://ror.org/"

STORE_ENV = "TRIALGRAPH_STORE"
DEFAULT_STORE = ".trialgraph/store"


def default_store() -> str:
    return os.environ.get(STORE_ENV) or DEFAULT_STORE
