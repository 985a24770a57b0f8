"""The read-only HTTP endpoint: the app and its routes (:mod:`graph.serve.app`), the SPARQL
Protocol (:mod:`graph.serve.protocol`), the worker pool (:mod:`graph.serve.pool`) and the work
it runs (:mod:`graph.serve.jobs`), the entity pages (:mod:`graph.serve.pages`), the result cache
(:mod:`graph.serve.cache`) and the limits (:mod:`graph.serve.settings`)."""
