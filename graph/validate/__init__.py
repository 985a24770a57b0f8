"""Validation, the stage after the store: the SHACL shapes, the QC gates and the quarantine, in
reports that read like a linter's.

The modules, from the plain data up:

- :mod:`.report`: the severity scale, findings, issues and the report (plain data);
- :mod:`.render`: the report formats of ``trialgraph validate --format``, registered by name;
- :mod:`.shapes`: the shapes graph, the sources registered by readers, its fingerprint;
- :mod:`.findings`: a SHACL result labelled as a finding, and the records that hold its focus;
- :mod:`.plain`: the reference engine (plain pyshacl) and the data as the store holds it;
- :mod:`.fast`: the fast engine, which gives the same findings record by record, in parallel;
- :mod:`.gates`: the QC gate queries (``queries/qc/*-violation.rq``) as issues;
- :mod:`.quarantine`: the graph of records a build refused;
- :mod:`.check`: the whole validation of a store (``trialgraph validate``), and its scope.

The build checks each record with :mod:`.fast` before it loads it, and quarantines a record that
fails.  Nothing is re-exported here: a name is imported from the module that defines it.
"""
