"""Normalisation of the values registers write: controlled vocabularies, registry ids, dates,
countries, organisation names and text.

A shared foundation of the flow: the readers (:mod:`graph.sources`) turn registry text into model
values with it, and the later stages (identity, RDF, the view and the network) read the same
vocabularies.  One module per kind of value; this package itself defines nothing.
"""
