"""The build pipeline: what ``trialgraph build`` and :func:`graph.build` run, one module per step.

- :mod:`.run`: the steps in order (:func:`graph.pipeline.run.build`);
- :mod:`.read`: the first pass, every record read and spilled (:mod:`.spill`), its head kept;
- :mod:`.assign`: which trial each record belongs to, decided across all records;
- :mod:`.jobs`: what a batch of the second pass carries to a worker and brings back;
- :mod:`.batch`: a batch in a worker process: triples, validation, inferences, N-Quads
  (:mod:`.terms`: the terms a worker converts, caches and sends);
- :mod:`.outcomes`: the parent's side of the second pass: the report, the quarantine, the ledger
  entries, the places where records meet;
- :mod:`.local` (with :mod:`.refresh` for a store whose inferences are current) and
  :mod:`.endpoint`: loading and publishing into an embedded store or a SPARQL endpoint;
- :mod:`.report` and :mod:`.summary`: what a build reports.

The shared foundations the pipeline runs on stay beside it: worker processes
(:mod:`graph.processes`), progress (:mod:`graph.progress`), digests (:mod:`graph.digest`) and the
quarantine graph, which ``trialgraph validate`` reads too (:mod:`graph.validate.quarantine`).
"""
