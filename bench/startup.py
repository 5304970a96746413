"""Seconds from nothing to a SparkSession that has answered its first query, as `etl run`
builds it (same settings; the class-data archive when ETL_CLASS_ARCHIVE allows). Prints one number.

usage: python bench/startup.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    t0 = time.monotonic()
    from framework.runtime import classarchive
    from framework.runtime.session import build_session, session_settings
    from framework.spec import Optimizations, SparkSpec

    log = os.path.join(tempfile.mkdtemp(prefix="etl-startup-"), "spark.log")
    settings = session_settings(SparkSpec(), Optimizations(jit="quick"), "etl-startup", log,
                                classarchive.runtime_options())
    spark = build_session(settings, log)
    spark.range(1000).selectExpr("id % 7 AS k").groupBy("k").count().collect()
    print(f"{time.monotonic() - t0:.2f}")
    spark.stop()


if __name__ == "__main__":
    main()
