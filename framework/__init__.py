"""sparketl: a declarative, config-driven ETL engine on Apache Spark."""

__version__ = "0.1.0"
