"""Pipeline tests (`etl test`): fixture rows in, expected rows out, on the pipeline's own code.

`testfile` reads `<pipeline>.tests.yaml` (`model` its dataclasses, `rows` inline and file rows,
`values` values as Spark types) and checks it against the pipeline; `scope` says which steps a
test computes and which tests `--select` picks; `suite` builds each test's pipeline with its
variables; `runner` runs them on one Spark session through the runtime's task runners;
`compare` makes the diff. Only `runner` imports pyspark.
"""
