"""Canonical Turtle for the hand-edited RDF files (``ontology/``, ``shapes/``).

A file is canonical when it is exactly what rdflib's ``longturtle`` serializer writes for it: the
serializer sorts subjects and predicates, writes RDF lists inline and so has no blank-node labels,
which makes its output stable across runs and machines.  Keeping the files in that form means a
diff shows a change of meaning, never a change of layout.  Comments are not kept, so anything a
reader needs goes into ``rdfs:comment`` or the README.

Fix a file in place::

    python -m tests.canonical ontology/vocab.ttl [more files...]

Check without writing (exit code 1 when a file is not canonical)::

    python -m tests.canonical --check ontology/*.ttl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rdflib import Graph

FIX_COMMAND = "python -m tests.canonical"


def canonical_text(text: str, *, source: str = "<string>") -> str:
    """The canonical form of a Turtle document.

    The document's own ``@prefix`` lines are kept (plus ``rdf``, ``rdfs``, ``owl``, ``xsd``, which
    rdflib may need for lists and datatypes), so the output reads like the input.
    """
    graph = Graph(bind_namespaces="core")
    try:
        graph.parse(data=text, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
        raise ValueError(f"{source}: not valid Turtle: {exc}") from exc
    return graph.serialize(format="longturtle")


def canonical_turtle(path: Path | str) -> str:
    """The canonical form of the Turtle file at ``path`` (see :func:`canonical_text`)."""
    file = Path(path)
    return canonical_text(file.read_text(encoding="utf-8"), source=str(file))


def is_canonical(path: Path | str) -> bool:
    """Whether the file already equals its canonical form, byte for byte."""
    file = Path(path)
    return file.read_text(encoding="utf-8") == canonical_turtle(file)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or, with ``--check``, only test) each file; 0 when all are canonical."""
    parser = argparse.ArgumentParser(prog=FIX_COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    args = parser.parse_args(argv)
    failed = 0
    for file in args.files:
        try:
            canonical = canonical_turtle(file)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if file.read_text(encoding="utf-8") == canonical:
            continue
        if args.check:
            print(f"{file}: not canonical; fix with: {FIX_COMMAND} {file}", file=sys.stderr)
            failed += 1
        else:
            file.write_text(canonical, encoding="utf-8")
            print(f"{file}: rewritten")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
