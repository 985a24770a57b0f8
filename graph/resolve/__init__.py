"""The resolve stage of the flow: from the records the readers give to the things they describe.

- :mod:`graph.resolve.orgs`: an organisation's names resolved to one organisation (the curated
  register, ROR ids, look-alike folding);
- :mod:`graph.resolve.merge`: the records of one trial found by the registry ids they share;
- :mod:`graph.resolve.identity`: the IRI of each trial, organisation, site, condition and
  intervention, minted from registry ids and normalised names.

It reads the model and the value normalisation (:mod:`graph.normalize`) and nothing later in the
flow; the RDF mapping and the build pipeline call it.  This package itself defines nothing.
"""
