"""The query stage: named queries found and bound (:mod:`graph.query.named`), paged
(:mod:`graph.query.paging`), checked before they run (:mod:`graph.query.guard`), and their
answers written in the result formats (:mod:`graph.query.results`)."""
