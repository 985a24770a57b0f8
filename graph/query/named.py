"""Named SPARQL queries: found by name in ``queries/``, parameters bound as RDF terms (never
pasted into the query text), and run one page at a time.  Their answers are written by
:mod:`graph.query.results` (machines) and :mod:`graph.query.table` (people)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

import graph.query.paging as paging
from graph.constants import QUERIES_DIR
from graph.errors import QueryError
from graph.keys import search_key
from graph.sparql import Result, with_values
from graph.store.base import Store
from graph.store.terms import from_ox


@dataclass(frozen=True)
class Param:
    name: str
    variable: str
    description: str
    #: Bound as its search key (:func:`graph.keys.search_key`): case, accents, punctuation and
    #: surrounding spaces do not matter.  Declared as ``?variable (search key)`` in the header.
    key: bool = False


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def is_gate(self) -> bool:
        """``*-violation.rq`` queries must return no rows."""
        return self.name.endswith("-violation")


_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")
_PARAM = re.compile(r"^([A-Za-z][\w-]*)\s+\?(\w+)\s*(\(search key\))?\s*(.*)$")
#: File name endings read as SPARQL query files.
QUERY_SUFFIXES = (".rq", ".sparql")
#: Folders of ``queries/`` that hold the stages' own queries (:func:`graph.sparql.internal_query`),
#: not named queries for users.
INTERNAL = ("summaries/", "internal/")


def parse_header(path: Path, name: str) -> NamedQuery:
    fields: dict[str, str] = {}
    params: list[Param] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "param":
            pm = _PARAM.match(value)
            if not pm:
                raise QueryError(
                    f"{path}: bad parameter line {line!r}",
                    hint="write '# param: NAME ?variable description' (or '?variable (search key) description')",
                )
            params.append(Param(pm.group(1), pm.group(2), pm.group(4), key=pm.group(3) is not None))
        else:
            fields[key] = value
    return NamedQuery(name, path, fields.get("title", name), fields.get("description", ""), tuple(params))


def catalogue(root: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """All named queries by name; ``qc/x-violation.rq`` is named ``qc/x-violation``."""
    out: dict[str, NamedQuery] = {}
    for path in sorted(root.rglob("*.rq")):
        name = path.relative_to(root).with_suffix("").as_posix()
        if not name.startswith(INTERNAL):
            out[name] = parse_header(path, name)
    return out


def gates(root: Path = QUERIES_DIR) -> list[NamedQuery]:
    return [q for q in catalogue(root).values() if q.is_gate]


def resolve(name_or_file: str) -> NamedQuery:
    """A named query, or a query file (``.rq`` or ``.sparql``)."""
    queries = catalogue()
    if name_or_file in queries:
        return queries[name_or_file]
    path = Path(name_or_file)
    if path.suffix in QUERY_SUFFIXES or path.exists():
        if not path.is_file():
            what = "is not a file" if path.exists() else "no such file"
            raise QueryError(f"{path}: {what}", hint="give a SPARQL file (.rq or .sparql) or a query name")
        return parse_header(path, path.stem)
    raise QueryError(
        f"no query named {name_or_file!r}",
        hint="`trialgraph queries` lists them: " + ", ".join(q for q in queries if not q.startswith("qc/")),
    )


def bind(query: NamedQuery, values: dict[str, str]) -> dict[str, Node]:
    """Parameter values as RDF terms, keyed by the query variable.  Every declared parameter
    is required; unknown ones are an error."""
    known = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)}",
            hint="its parameters: " + (", ".join(known) or "none"),
        )
    missing = [p.name for p in query.params if p.name not in values]
    if missing:
        raise QueryError(
            f"query {query.name!r} needs --param {missing[0]}=VALUE",
            hint=known[missing[0]].description,
        )
    out: dict[str, Node] = {}
    for name, raw in values.items():
        param = known[name]
        text = raw.strip()
        if param.key:
            out[param.variable] = Literal(search_key(text))
        elif text.startswith("<") and text.endswith(">"):
            out[param.variable] = URIRef(text[1:-1])
        else:
            out[param.variable] = Literal(text)
    return out


def run(
    store: Store,
    name_or_file: str,
    params: dict[str, str] | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> Result:
    """Run a named query (or a query file) with its parameters.

    A SELECT answers one page: at most ``limit`` rows (None: all) after skipping ``offset``,
    cut by the query engine (``LIMIT``/``OFFSET``), and ``Result.total`` says how many rows the
    whole answer has; ``Result.truncated`` is true when rows follow the page.  ASK and CONSTRUCT
    queries ignore ``offset``; a CONSTRUCT keeps at most ``limit`` triples."""
    if limit is not None and limit < 1:
        raise QueryError(f"limit must be 1 or more, not {limit}", hint="leave it out for every row")
    if offset < 0:
        raise QueryError(f"offset must be 0 or more, not {offset}")
    query = resolve(name_or_file)
    bindings = bind(query, params or {})
    text = query.text
    if paging.form(text) != "SELECT":
        return store.query(text, bindings, limit=limit)
    result = _page(store, text, bindings, limit, offset)
    if not result.rows and offset == 0:
        import graph.summaries as summaries  # (not imported for the gates, which never page)

        summaries.check(store, text)
    return result


def _page(store: Store, text: str, bindings: dict[str, Node], limit: int | None, offset: int) -> Result:
    if not paging.is_marked(text):
        return _window(store, with_values(text, bindings) if bindings else text, limit, offset)
    # paging.page binds the parameters inside the marked sub-select too: bound only in the
    # outer group, a sub-select that needs them is evaluated over the whole graph
    result = store.query(paging.page(text, bindings, limit, offset))
    if limit is None and offset == 0:
        result.total = len(result.rows)
        return result
    if offset == 0 and limit is not None and len(result.rows) < limit:
        result.total = len(result.rows)
    else:
        counted = store.query(paging.count(text, bindings)).rows
        result.total = int(str(counted[0][0])) if counted and counted[0][0] is not None else 0
    result.truncated = result.total > offset + len(result.rows)
    return result


def _window(store: Store, text: str, limit: int | None, offset: int) -> Result:
    """One page of the answer from one evaluation: the rows before and after the page are
    counted, not converted (the query engine would compute them all anyway to count them, and
    converting terms costs more than reading them)."""
    try:
        raw = store.reader().query(text, use_default_graph_as_union=True)
        variables = [v.value for v in raw.variables]
        rows: list[tuple[Node | None, ...]] = []
        end = None if limit is None else offset + limit
        total = 0
        for solution in raw:
            if total >= offset and (end is None or total < end):
                rows.append(tuple(from_ox(solution[v]) for v in variables))
            total += 1
    except SyntaxError as exc:
        raise QueryError(f"the query does not parse: {exc}") from None
    except (RuntimeError, OSError) as exc:
        raise QueryError(f"the query failed: {exc}") from None
    return Result("SELECT", variables, rows, truncated=total > offset + len(rows), total=total)
