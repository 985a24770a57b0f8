"""Linked Data pages: the HTML page or the RDF description of every entity minted under ``/id/``.

A trial page opens with a summary card for a person (title, registry ids, status, phase, sponsor
and partners, conditions, sites by country) above the full table of its facts.  A trial has a
page under each of its registry ids: ``/id/trial/2016-001902-40`` redirects (303) to the page of
the trial's preferred id.  Runs in a worker process (:mod:`graph.serve.jobs`); the queries are
``.rq`` files beside the templates.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from graph.constants import BASE, ID_NS, INFERRED_GRAPH, PACKAGE_DIR
from graph.errors import QueryError
from graph.query.named import NamedQuery, catalogue
from graph.query.results import RDFLIB_FORMATS, namespaces
from graph.serve.protocol import HTML, Reply, problem
from graph.sparql import Result
from graph.store.base import Store
from graph.store.layout import is_reasoner_graph

TEMPLATES_DIR = PACKAGE_DIR / "templates" / "server"
TRIAL_NS = ID_NS + "trial/"
_REGISTRY_PAGE = URIRef(BASE + "ontology#registryPage")
_TRIAL = URIRef(BASE + "ontology#Trial")


@functools.cache
def _queries() -> dict[str, NamedQuery]:
    return catalogue(TEMPLATES_DIR / "queries")


@functools.cache
def _text(name: str) -> str:
    return _queries()[name].text


def _run(store: Store, name: str, bindings: dict[str, Node], limit: int | None = None) -> Result:
    return store.query(_text(name), bindings, limit=limit)


@functools.cache
def _templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))


def local_href(iri: str) -> str | None:
    """The server path of an IRI minted under ``/id/``; other IRIs are not served here."""
    return "/" + iri[len(BASE) :] if iri.startswith(ID_NS) else None


# -- the table of facts --------------------------------------------------------------------------


@dataclass
class Fact:
    """One row of an entity page: a predicate and the node at the other end (rows come in as
    ``(other end, predicate, graph, label of the other end)``)."""

    predicate: str
    text: str
    href: str | None = None
    external: bool = False
    detail: str = ""
    #: the full IRI of the other end, shown on hover
    iri: str = ""
    graphs: set[str] = field(default_factory=set)

    @property
    def inferred(self) -> bool:
        return bool(self.graphs) and all(is_reasoner_graph(g) for g in self.graphs)


def _facts(rows: list[tuple[Node | None, ...]], nm: NamespaceManager, *, incoming: bool) -> list[Fact]:
    facts: dict[tuple[str, str], Fact] = {}
    labels: dict[tuple[str, str], str] = {}
    for node, pred, graph, label_term in rows:
        assert node is not None and pred is not None
        key = (str(pred), node.n3())
        if key not in facts:
            facts[key] = _fact(node, pred, nm, incoming=incoming)
        facts[key].graphs.add(str(graph))
        if label_term is not None and (key not in labels or str(label_term) < labels[key]):
            labels[key] = str(label_term)
    for key, label in labels.items():
        fact = facts[key]
        if fact.iri and not fact.external:
            fact.text = label
    return sorted(facts.values(), key=lambda f: (f.predicate, f.text))


def _fact(node: Node, pred: Node, nm: NamespaceManager, *, incoming: bool) -> Fact:
    name = nm.normalizeUri(str(pred))
    if isinstance(node, Literal):
        detail = f"@{node.language}" if node.language else nm.normalizeUri(str(node.datatype)) if node.datatype else ""
        return Fact(name, str(node), detail=detail)
    text = str(node)
    if isinstance(node, URIRef):
        href = local_href(text)
        if href is not None:
            return Fact(name, text, href=href, iri=text)
        if pred == _REGISTRY_PAGE and not incoming and text.startswith(("https://", "http://")):
            return Fact(name, text, href=text, external=True, iri=text)
        short = nm.normalizeUri(text)
        return Fact(name, text if short.startswith("<") else short, iri=text)
    return Fact(name, f"_:{text}")


# -- the summary card of a trial ---------------------------------------------------------------


@dataclass
class Named:
    """A node of the card with its label, a code and a link."""

    label: str
    code: str = ""
    href: str | None = None
    note: str = ""


@dataclass
class CountrySites:
    """The sites of a trial in one country."""

    code: str
    name: str
    sites: list[Named] = field(default_factory=list)


@dataclass
class Summary:
    """What the card of a trial page shows."""

    titles: list[str] = field(default_factory=list)
    ids: list[Named] = field(default_factory=list)
    statuses: list[Named] = field(default_factory=list)
    phases: list[Named] = field(default_factory=list)
    sponsors: list[Named] = field(default_factory=list)
    partners: list[Named] = field(default_factory=list)
    conditions: list[Named] = field(default_factory=list)
    countries: list[CountrySites] = field(default_factory=list)


def _text_of(term: Node | None) -> str:
    return "" if term is None else str(term)


def _sorted_unique(items: list[Named]) -> list[Named]:
    seen: dict[tuple[str, str, str], Named] = {}
    for item in items:
        seen.setdefault((item.label, item.code, item.note), item)
    return sorted(seen.values(), key=lambda n: (n.label.casefold(), n.code, n.note))


def _organisations(rows: list[tuple[str, Node | None, str, str, str]]) -> tuple[list[Named], list[Named]]:
    """Lead sponsors, and the other organisations with their roles joined (one line each)."""
    names: dict[str, str] = {}
    roles: dict[str, set[str]] = defaultdict(set)
    lead: set[str] = set()
    for _part, node, label, code, role in rows:
        key = _text_of(node)
        if label and (key not in names or label < names[key]):
            names[key] = label
        if code == "LEAD_SPONSOR":
            lead.add(key)
        else:
            roles[key].add(role or code)
    sponsors = [Named(names.get(k, k), href=local_href(k)) for k in lead]
    partners = [Named(names.get(k, k), href=local_href(k), note=", ".join(sorted(r))) for k, r in roles.items()]
    return _sorted_unique(sponsors), _sorted_unique(partners)


def _countries(rows: list[tuple[str, Node | None, str, str, str]]) -> list[CountrySites]:
    """Sites grouped by country; countries the trial recruits in without a named site too."""
    names: dict[str, str] = {}
    sites: dict[str, list[Named]] = defaultdict(list)
    for part, node, label, code, extra in rows:
        if part == "country" and code:
            names[code] = min(label, names.get(code, label)) if label else names.get(code, code)
            sites.setdefault(code, [])
        elif part == "site":
            sites[code].append(Named(label or _text_of(node), href=local_href(_text_of(node)), note=extra))
    groups = [
        CountrySites(code, names.get(code, code or "country unknown"), _sorted_unique(s)) for code, s in sites.items()
    ]
    return sorted(groups, key=lambda g: (-len(g.sites), g.name))


def trial_summary(store: Store, iri: str) -> Summary:
    """The card of a trial, from ``trial-summary.rq``."""
    result = _run(store, "trial-summary", {"trial": URIRef(iri)})
    rows = [(str(r[0]), r[1], _text_of(r[2]), _text_of(r[3]), _text_of(r[4])) for r in result.rows]
    by_part: dict[str, list[tuple[str, Node | None, str, str, str]]] = defaultdict(list)
    for row in rows:
        by_part[row[0]].append(row)
    card = Summary(titles=sorted({label for _p, _n, label, _c, _e in by_part["title"]}))
    card.ids = _sorted_unique(
        [Named(label, code, href="/id/trial/" + quote(label, safe="")) for _p, _n, label, code, _e in by_part["id"]]
    )
    card.statuses = _sorted_unique([Named(label, code) for _p, _n, label, code, _e in by_part["status"]])
    card.phases = _sorted_unique([Named(label, code) for _p, _n, label, code, _e in by_part["phase"]])
    card.sponsors, card.partners = _organisations(by_part["organisation"])
    card.conditions = _sorted_unique(
        [
            Named(label or _text_of(node), href=local_href(_text_of(node)))
            for _p, node, label, _c, _e in by_part["condition"]
        ]
    )
    card.countries = _countries(by_part["site"] + by_part["country"])
    return card


def trial_of_id(store: Store, identifier: str) -> str | None:
    """The IRI of the trial that has ``identifier`` among its registry ids (as written, or in
    capitals: ``nct02849613`` finds NCT02849613)."""
    for candidate in dict.fromkeys((identifier, identifier.upper())):
        rows = _run(store, "trial-by-id", {"id": Literal(candidate)}).rows
        if rows:
            return str(rows[0][0])
    return None


# -- the answer --------------------------------------------------------------------------------


def _description(this: URIRef, out: Result, inc: Result, media: str) -> Reply:
    g = namespaces(Graph())
    for p, o, _g, _l in out.rows:
        g.add((this, p, o))  # type: ignore[arg-type]
    for s, p, _g, _l in inc.rows:
        g.add((s, p, this))  # type: ignore[arg-type]
    body = g.serialize(format=RDFLIB_FORMATS[media], encoding="utf-8")
    return Reply(200, media, body, truncated=out.truncated or inc.truncated)


def _redirect(store: Store, iri: str) -> Reply | None:
    """A 303 to the trial's page when ``iri`` is a trial page under another of its ids."""
    if not iri.startswith(TRIAL_NS) or "/" in iri[len(TRIAL_NS) :]:
        return None
    trial = trial_of_id(store, unquote(iri[len(TRIAL_NS) :]))
    href = local_href(trial) if trial is not None and trial != iri else None
    if href is None:
        return None
    text = f"{iri} is another registry id of {trial}\n".encode()
    return Reply(303, "text/plain; charset=utf-8", text, headers={"Location": href})


def _page(store: Store, iri: str, out: Result, inc: Result, limit: int) -> Reply:
    nm = namespaces(Graph()).namespace_manager
    facts = _facts([(o, p, g, label) for p, o, g, label in out.rows], nm, incoming=False)
    labels = sorted(str(o) for p, o, _g, _l in out.rows if p == RDFS.label)
    types = sorted({nm.normalizeUri(str(o)) for p, o, _g, _l in out.rows if p == RDF.type})
    is_trial = any(p == RDF.type and o == _TRIAL for p, o, _g, _l in out.rows)
    html = (
        _templates()
        .get_template("entity.html")
        .render(
            iri=iri,
            title=labels[0] if labels else iri.rsplit("/", 1)[-1],
            types=types,
            summary=trial_summary(store, iri) if is_trial else None,
            facts=facts,
            registry_pages=[f for f in facts if f.external],
            incoming=_facts(inc.rows, nm, incoming=True),
            truncated=out.truncated or inc.truncated,
            limit=limit,
            inferred_graph=INFERRED_GRAPH,
        )
    )
    return Reply(200, "text/html; charset=utf-8", html.encode("utf-8"))


def entity_answer(store: Store, iri: str, media: str, *, limit: int) -> Reply:
    """The page (HTML) or the description (RDF) of one entity; a redirect for a trial named by
    another of its ids; 404 when the store knows nothing about it."""
    this = URIRef(iri)
    try:
        out = _run(store, "entity-out", {"this": this}, limit)
        inc = _run(store, "entity-in", {"this": this}, limit)
    except QueryError:
        return problem(404, f"not an IRI this server knows: {iri}")
    if not out.rows and not inc.rows:
        return _redirect(store, iri) or problem(404, f"nothing is known about {iri}")
    if media != HTML:
        return _description(this, out, inc, media)
    return _page(store, iri, out, inc, limit)
