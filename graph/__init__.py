"""trialgraph: a knowledge graph of clinical trials, sponsors and conditions.

The public Python API; each name lives in a module of its own::

    import graph
    store = graph.open_store("memory")
    graph.build(["data/"], store)
    rows = graph.run_query(store, "trials").rows
    disagreements = graph.trial_conflicts(store)
    partners = graph.analyze(store, "partners")   # plain rows: pandas.DataFrame(partners)
"""

from graph.analytics import analyze
from graph.build import BuildReport, build
from graph.conflicts import Conflict, trial_conflicts
from graph.errors import InputError, QueryError, RecordError, StoreError, TrialgraphError
from graph.model import TrialRecord
from graph.query.named import catalogue as query_catalogue
from graph.query.named import run as run_query
from graph.sparql import Result
from graph.store.base import Store
from graph.store.registry import open_store

__all__ = [
    "BuildReport",
    "Conflict",
    "InputError",
    "QueryError",
    "RecordError",
    "Result",
    "Store",
    "StoreError",
    "TrialRecord",
    "TrialgraphError",
    "analyze",
    "build",
    "open_store",
    "query_catalogue",
    "run_query",
    "trial_conflicts",
]
