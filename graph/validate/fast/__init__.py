"""The fast engine of SHACL validation: the findings of plain pyshacl, record by record, in parallel.

Plain pyshacl re-reads the shapes graph and rebuilds every constraint for each call and looks every
value up in an rdflib graph; on this project's shapes that is about 50 ms for one small record and
grows faster than the graph.  Most shapes only look at one node and its direct neighbours, so this
package:

- builds the shapes once per process with pyshacl's own parser (``ShapesGraph``), and evaluates
  pyshacl's own value constraint components (``sh:datatype``, ``sh:in``, ``sh:pattern``, counts,
  ranges, ...) over a plain in-memory index of one record (or a chunk of records) instead of an
  rdflib graph.  The logical and shape-based components (``sh:node``, ``sh:or``, ``sh:property``...)
  are re-implemented with pyshacl's semantics;
- runs the records in parallel (``ProcessPoolExecutor``; each worker builds the shapes once);
- answers the SPARQL parts (SPARQL targets, ``sh:sparql`` constraints) either per record with
  rdflib, exactly as pyshacl does, on a copy of only the triples the query can match
  (:func:`.records.validate_records`), or once over the whole store with Oxigraph
  (:func:`.union.validate_store`); a SPARQL target that is one triple pattern is read from the index.

Two modes:

``validate_records(graphs)``
    each record on its own, as if plain pyshacl ran on each graph (the import check).

``validate_store(store)``
    the union of all source-record graphs, as if plain pyshacl ran on that union (``trialgraph
    validate``).  Records are validated in chunks (the records of one trial together); a node that
    chunks see differently (two records of one trial giving two lead sponsors, an organisation
    with a country in one record and none in another) is found by comparing a digest of the
    triples the shapes read, and it and the nodes whose result depends on it are evaluated again
    on everything the store says about them.  That is how the cross-record checks (exactly one
    lead sponsor, start before completion across records) stay exact.  Results are attributed to
    every record that mentions the focus node, as :func:`graph.validate.plain.validate_units_plain`
    does.

    Reading is the cost at registry scale: an on-disk Oxigraph store decodes each term with a
    RocksDB look-up (3 to 4 microseconds).  So a chunk is read with one ``SELECT DISTINCT ?s ?p
    ?o`` over its graphs, serialised as TSV: Oxigraph joins and deduplicates on encoded terms
    and decodes each distinct triple once, never the graph names; Python splits the text and
    turns each distinct token into an rdflib term once per process.  Which records mention a
    node is asked of the store only for the nodes that have findings, at the end.

A shape that uses something this package does not evaluate (complex property paths, SHACL rules,
``sh:qualifiedValueShape``, custom components, constraints without ``sh:message``...) is validated
by plain pyshacl instead, so results never depend on which engine ran.  ``tests/test_validate.py``
holds both modes to plain pyshacl on the real registry files.

The package, one concern a module, in the order the flow uses them (each imports only those
above it): :mod:`.terms` (terms as the store writes them), :mod:`.sparql` (the SPARQL parts),
:mod:`.index` (the data the shapes read), :mod:`.components` and :mod:`.plan` (the compiled
shapes), :mod:`.evaluate`, :mod:`.kept` (results kept per record version), :mod:`.records` (the
import check), :mod:`.chunks` (a chunk of the store in a worker), :mod:`.correct` (cross-record
correction) and :mod:`.union` (the whole store).  The entry points: :func:`.records.validate_records`
and :func:`.records.validate_and_keep` (records one by one), :func:`.union.validate_store` and
:func:`.union.validate_union` (the union).
"""
