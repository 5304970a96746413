"""Built-in transforms and generators. Importing this package registers them all.

Transform modules import pyspark inside function bodies only, so validation and planning (which
import this package to read parameter schemas) never load Spark.
"""

from transforms import clickstream, generators, generic  # noqa: F401
