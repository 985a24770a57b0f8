"""The interactive HTML view: one self-contained UTF-8 page, drawn by vis-network, of a projection
of the store (:func:`graph.network.projection.project`).

The page opens aggregated above a size (communities as clusters, sites folded into their city or
country), carries an Insights panel and can colour the nodes by community.  Registry text is data:
it travels as escaped JSON and the page's script renders it with ``textContent``.

The modules, in the order they build on each other:

- :mod:`graph.view.styles`: colours, shapes, sizes and labels of nodes and relations;
- :mod:`graph.view.layout`: node positions in Python, and the packing of circles apart;
- :mod:`graph.view.facts`: what the page tells about each node, and the filter choices;
- :mod:`graph.view.insights`: the Insights panel;
- :mod:`graph.view.clusters`: the aggregated first picture of a large network;
- :mod:`graph.view.data`: everything the page draws, from a projection;
- :mod:`graph.view.page`: the page itself (template, inlined scripts, escaping, CSP);
- :mod:`graph.view.output`: the page of a store written to a file, and its PNG snapshot.
"""
