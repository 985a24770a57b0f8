"""The store: where the graphs live, and the one interface every stage reads and writes them
through.

- :mod:`graph.store.base`: the interface (:class:`~graph.store.base.Store`, its writer, and the
  bulk reads of :class:`~graph.store.base.QuadReader`);
- :mod:`graph.store.registry`: which store a ``--store`` value opens, by name;
- :mod:`graph.store.local`: the embedded Oxigraph store, with atomic writes;
- :mod:`graph.store.disk`: the on-disk layout of an embedded store's folder;
- :mod:`graph.store.remote`: a remote SPARQL 1.1 endpoint with the Graph Store Protocol;
- :mod:`graph.store.terms`: RDF terms between pyoxigraph and rdflib;
- :mod:`graph.store.layout`: which named graph holds what;
- :mod:`graph.store.bulkload`: record graphs into a staging database in bulk;
- :mod:`graph.store.ledger`: what a build knows about each record, kept in the store.

Import a name from the module that defines it; this package re-exports nothing.
"""
