"""The Spark runtime: session, readers, writers, the executor; the engine part that uses pyspark."""
