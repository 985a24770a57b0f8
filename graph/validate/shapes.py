"""The shapes ``trialgraph validate`` and the build check records against: the built-in
``shapes/*.ttl`` and any ``--shapes`` files in one graph, the sources registered by readers added
to the ``sh:in`` list of a record's source (so that a new register needs no change to a shape),
and the fingerprint of the shapes and of the code that evaluates them (validation results kept
for a record apply while both are unchanged).  The parsed graph is cached on disk
(:mod:`graph.cache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import SH

import graph.cache as cache
from graph.constants import SHAPES_DIR
from graph.namespace import TG


def shapes_graph(extra: Sequence[Path] = ()) -> Graph:
    """The built-in shapes plus any ``--shapes`` folders or files (Turtle).  A file that does
    not parse is an :class:`~graph.errors.InputError` naming it."""
    from graph.errors import InputError

    paths = sorted(SHAPES_DIR.glob("*.ttl"))
    for p in extra:
        if p.is_dir():
            found = sorted(p.glob("*.ttl"))
            if not found:
                raise InputError(f"{p}: no .ttl files", hint="--shapes takes Turtle files or folders of them")
            paths.extend(found)
        else:
            paths.append(p)
    contents = []
    for path in paths:
        try:
            contents.append(path.read_bytes())
        except OSError as exc:
            hint = "fix the file or leave it out of --shapes"
            raise InputError(f"{path}: cannot be read: {exc}", hint=hint) from None
    parts = [*contents, *_readers_key()]
    g, fingerprint = cache.cached("shapes", parts, lambda: _parse_shapes(paths, contents), _is_shapes)
    setattr(g, _FINGERPRINT, fingerprint)  # see shapes_fingerprint
    return g


def _readers_key() -> list[bytes]:
    """What decides the reader names :func:`with_registered_sources` adds: the built-in readers
    are a matter of trialgraph's code (which the cache's digest covers), plug-in readers are
    imported to learn their names (the built-in ones are not, for a command that reads none)."""
    from graph.sources import formats, plugins

    named = plugins()
    return [b"plugins", *(m.encode() for m in named), *(n.encode() for n in (formats() if named else ()))]


def _parse_shapes(paths: list[Path], contents: list[bytes]) -> tuple[Graph, str]:
    """The shapes files in one graph, with the registered readers added, and its fingerprint."""
    from graph.errors import InputError
    from graph.store.terms import turtle_graph

    g = Graph()
    for path in paths:
        try:
            g += turtle_graph(path)
        except Exception as exc:  # a syntax error, or a file that cannot be read
            raise InputError(
                f"{path}: not valid Turtle: {exc}", hint="fix the file or leave it out of --shapes"
            ) from None
    added = with_registered_sources(g)
    return g, _with_code([*contents, *(name.encode() for name in added)])


def _is_shapes(found: object) -> bool:
    return isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], Graph) and isinstance(found[1], str)


def with_registered_sources(shapes: Graph) -> list[str]:
    """Add the name of every registered reader that the ``sh:in`` list of a source record's
    ``tg:sourceKind`` lacks (the shape file lists the built-in ones), so that a new register
    needs no change to a shape; the names added."""
    from rdflib.collection import Collection

    from graph.sources import formats

    added: list[str] = []
    for shape in set(shapes.subjects(SH.path, TG.sourceKind)):
        for head in list(shapes.objects(shape, SH["in"])):
            listed = Collection(shapes, head)  # type: ignore[arg-type]
            for name in formats():
                if Literal(name) not in listed:
                    listed.append(Literal(name))
                    added.append(name)
    return added


_FINGERPRINT = "_trialgraph_fingerprint"


def shapes_fingerprint(shapes: Graph) -> str:
    """A digest of a shapes graph and of the code that evaluates shapes: validation results kept
    for a record apply while it is unchanged.  For a graph :func:`shapes_graph` made, a digest of
    its files (cheap); for any other, of its triples with the blank nodes labelled from what they
    hold (a second or so)."""
    found = getattr(shapes, _FINGERPRINT, None)
    if found is None:
        from rdflib.compare import to_canonical_graph

        lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in to_canonical_graph(shapes))
        found = _with_code([("\n".join(lines)).encode("utf-8", "surrogatepass")])
    return str(found)


#: The modules of :mod:`graph.validate` whose code decides a finding: both engines, the shapes,
#: the labels of results and the report model (not the renderers, the gates or the quarantine).
_ENGINE_CODE = ("fast/*.py", "findings.py", "plain.py", "report.py", "shapes.py")


def _with_code(parts: list[bytes]) -> str:
    from graph.constants import PACKAGE_DIR
    from graph.digest import hex_digest

    here = PACKAGE_DIR / "validate"
    code = [path.read_bytes() for pattern in _ENGINE_CODE for path in sorted(here.glob(pattern))]
    return hex_digest((*parts, *code))
