"""The network stage: the store projected into networkx, and what is read from that projection.

- :mod:`.projection`: one node per trial, organisation, site, condition, intervention and
  country, one typed edge per relation (read with the named queries ``queries/network-*.rq``);
  the part of it around a focus or a query;
- :mod:`.sites`: sites folded into their cities or countries, and the sites trials share;
- :mod:`.organisations`: the trial-organisation network, its partners, centrality and
  communities, and the scores it gives every node;
- :mod:`.paths`: the shortest chain of links between two nodes;
- :mod:`.analyses`: the analyses by name (``trialgraph analyze``, ``graph.analyze``);
- :mod:`.graphml`: the projection as GraphML.

The view (:mod:`graph.view`) draws the same projection.  Nothing is re-exported here: a name is
imported from the module that defines it.
"""
