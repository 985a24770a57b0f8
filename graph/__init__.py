"""trialgraph: a knowledge graph of clinical trials, sponsors and conditions.

The public Python API; each name lives in a module of its own::

    import graph
    store = graph.open_store("memory")
    graph.build(["data/"], store)
    rows = graph.run_query(store, "trials").rows
    disagreements = graph.trial_conflicts(store)
    partners = graph.analyze(store, "partners")   # plain rows: pandas.DataFrame(partners)

A name is imported from its module when it is first used, so that ``import graph.cli`` (and
``trialgraph --help``) does not load the RDF libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.conflicts import Conflict, trial_conflicts
    from graph.errors import InputError, QueryError, RecordError, StoreError, TrialgraphError
    from graph.model import TrialRecord
    from graph.network.analyses import analyze
    from graph.pipeline.report import BuildReport
    from graph.pipeline.run import build
    from graph.query.named import catalogue as query_catalogue
    from graph.query.named import run as run_query
    from graph.sparql import Result
    from graph.store.base import Store
    from graph.store.registry import open_store

#: Each public name: the module that defines it, and its name there.
_HOMES: dict[str, tuple[str, str]] = {
    "BuildReport": ("graph.pipeline.report", "BuildReport"),
    "Conflict": ("graph.conflicts", "Conflict"),
    "InputError": ("graph.errors", "InputError"),
    "QueryError": ("graph.errors", "QueryError"),
    "RecordError": ("graph.errors", "RecordError"),
    "Result": ("graph.sparql", "Result"),
    "Store": ("graph.store.base", "Store"),
    "StoreError": ("graph.errors", "StoreError"),
    "TrialRecord": ("graph.model", "TrialRecord"),
    "TrialgraphError": ("graph.errors", "TrialgraphError"),
    "analyze": ("graph.network.analyses", "analyze"),
    "build": ("graph.pipeline.run", "build"),
    "open_store": ("graph.store.registry", "open_store"),
    "query_catalogue": ("graph.query.named", "catalogue"),
    "run_query": ("graph.query.named", "run"),
    "trial_conflicts": ("graph.conflicts", "trial_conflicts"),
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # a module of the package (``graph.store``), as when every name was imported at once
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home[0]), home[1])
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
