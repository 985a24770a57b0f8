"""The export formats of `trialgraph export`, registered by name.

Each format says its media type (how the embedded store names it), its rdflib serializer (how the
remote store writes it) and whether it carries the named graphs or only their union; a network
format (GraphML) is the projection of the view instead, written by networkx (:mod:`graph.export`).
Both stores, :func:`graph.export.export` and the CLI's `--format` choice read this one registry; a
new format is one `register` line.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.errors import StoreError


@dataclass(frozen=True)
class ExportFormat:
    """One way to write the whole store as RDF."""

    name: str
    media_type: str
    rdflib_format: str
    union: bool  # True: one graph, the union of all named graphs, duplicates folded
    prefixed: bool  # True: the format writes prefixed names
    #: True: the network projection of the store (:mod:`graph.network.projection`), not its RDF; the
    #: stores dump only the others
    network: bool = False


EXPORT_FORMATS: dict[str, ExportFormat] = {}


def register(fmt: ExportFormat) -> None:
    """Add an export format under its name."""
    EXPORT_FORMATS[fmt.name] = fmt


register(ExportFormat("trig", "application/trig", "trig", union=False, prefixed=True))
register(ExportFormat("nquads", "application/n-quads", "nquads", union=False, prefixed=False))
register(ExportFormat("turtle", "text/turtle", "turtle", union=True, prefixed=True))
register(ExportFormat("ntriples", "application/n-triples", "nt", union=True, prefixed=False))
register(ExportFormat("jsonld", "application/ld+json", "json-ld", union=False, prefixed=False))
register(ExportFormat("graphml", "application/graphml+xml", "", union=True, prefixed=False, network=True))


def export_format(name: str) -> ExportFormat:
    """The export format registered as `name`; an unknown name is a StoreError listing the known ones."""
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise StoreError(f"unknown export format {name!r}", hint="use " + ", ".join(EXPORT_FORMATS)) from None
