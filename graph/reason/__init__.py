"""Reasoning: the OWL 2 RL closure of the ontology plus the data, kept apart from the asserted data.

What counts as inferred (the definition both engines are compared on; docs/reasoning.md lists
it in full): a triple is inferred when owlrl's OWL-RL semantics derives it from ``ontology/`` plus
the premises (every source-record graph and the ontology graph; not the quarantine) and

- it is not asserted already (in any premise graph),
- its subject is an IRI of a data node (not a term of the ontology or of a vocabulary), and
- its predicate is a trialgraph ontology property, or it is ``rdf:type`` with a trialgraph class.

Everything else owlrl derives (``owl:sameAs`` reflexivity, axiomatic RDF/RDFS/OWL triples,
literal typing, ``owl:Thing`` memberships, schema-level consequences) is noise for users and is
left out.

Two engines compute it:

- ``"owlrl"``, the reference (:mod:`graph.reason.reference`): owlrl's forward chainer over
  everything, then the filter above.  Pure Python; minutes for a few thousand triples.  It writes
  one inferred graph.
- ``"fast"``, the default: the ontology compiled once (:mod:`graph.reason.rules`,
  :mod:`graph.reason.engine`) into rules that run in Python (:mod:`graph.reason.closure`).  Each
  record is reasoned about on its own, with the ontology (a build does it in its worker
  processes), and what it entails goes to that record's own inferred graph (:mod:`graph.store.layout`),
  replaced with the record.  What only records taken together entail (a chain through a node that
  two records describe differently) goes to the shared inferred graph: the places where that can
  happen are found by comparing signatures of the records (:func:`graph.reason.closure.signatures`),
  and only those places are worked out in the store (:mod:`graph.reason.full`).  A change of some
  records is maintained incrementally (delete, rederive, insert: the DRed scheme) by probing the
  store, so it costs what the changed records entail (:mod:`graph.reason.incremental`).

The modules, in the order they build on each other:

- :mod:`graph.reason.rules`: the ontology's axioms compiled into rule tables;
- :mod:`graph.reason.closure`: those rules applied to one record in Python, and its signatures;
- :mod:`graph.reason.reference`: owlrl's closure, filtered by the definition;
- :mod:`graph.reason.engine`: the engines by name, the ontology files, the ontology compiled once
  per process, and the inferred triples of an in-memory graph;
- :mod:`graph.reason.graphs`: the reasoner's named graphs in a store, and its state;
- :mod:`graph.reason.facts`: what is true in a store, and saturation of the shared graph;
- :mod:`graph.reason.full`: every inference from scratch, with the cross-record pass, and what
  a run did;
- :mod:`graph.reason.incremental`: a change of some records, maintained in place.
"""
