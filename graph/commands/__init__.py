"""The commands of ``trialgraph``, one module per stage they drive; :mod:`graph.cli` gathers them
in one group.  Each command parses its options and calls library functions."""
