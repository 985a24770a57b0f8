"""Named SPARQL queries: found by name in ``queries/``, parameters bound as RDF terms (never
pasted into the query text), results formatted for people and machines."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.constants import QUERIES_DIR
from graph.errors import QueryError
from graph.store import Result, Store


@dataclass(frozen=True)
class Param:
    name: str
    variable: str
    description: str


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
_PARAM = re.compile(r"^([A-Za-z][\w-]*)\s+\?(\w+)\s*(.*)$")


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
                    hint="write '# param: NAME ?variable description'",
                )
            params.append(Param(pm.group(1), pm.group(2), pm.group(3)))
        else:
            fields[key] = value
    return NamedQuery(name, path, fields.get("title", name), fields.get("description", ""), tuple(params))


def catalogue(root: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """All named queries by name; ``qc/x-violation.rq`` is named ``qc/x-violation``."""
    out: dict[str, NamedQuery] = {}
    for path in sorted(root.rglob("*.rq")):
        name = path.relative_to(root).with_suffix("").as_posix()
        out[name] = parse_header(path, name)
    return out


def gates(root: Path = QUERIES_DIR) -> list[NamedQuery]:
    return [q for q in catalogue(root).values() if q.is_gate]


def resolve(name_or_file: str) -> NamedQuery:
    path = Path(name_or_file)
    if path.suffix == ".rq" and path.is_file():
        return parse_header(path, path.stem)
    queries = catalogue()
    if name_or_file in queries:
        return queries[name_or_file]
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
        text = raw.strip()
        out[known[name].variable] = URIRef(text[1:-1]) if text.startswith("<") and text.endswith(">") else Literal(text)
    return out


def run(store: Store, name_or_file: str, params: dict[str, str] | None = None, *, limit: int | None = None) -> Result:
    query = resolve(name_or_file)
    return store.query(query.text, bind(query, params or {}), limit=limit)


# -- formatting --------------------------------------------------------------------------------


def cell(term: Node | None) -> str:
    if term is None:
        return ""
    return str(term)


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if result.kind == "ASK":
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = []
    for row in result.rows:
        b: dict[str, dict[str, str]] = {}
        for var, term in zip(result.variables, row, strict=True):
            if term is None:
                continue
            if isinstance(term, URIRef):
                b[var] = {"type": "uri", "value": str(term)}
            elif isinstance(term, Literal):
                d: dict[str, str] = {"type": "literal", "value": str(term)}
                if term.language:
                    d["xml:lang"] = term.language
                elif term.datatype is not None:
                    d["datatype"] = str(term.datatype)
                b[var] = d
            else:
                b[var] = {"type": "bnode", "value": str(term)}
        bindings.append(b)
    return json.dumps(
        {"head": {"vars": result.variables}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=1
    )


def to_csv(result: Result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(result.variables)
    for row in result.rows:
        w.writerow([cell(t) for t in row])
    return buf.getvalue()
