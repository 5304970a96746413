"""Text the scaffolds share: the pipeline file's head, the commented examples of the sections a
new pipeline does not need yet, the folder's README, and YAML values written safely."""

from __future__ import annotations

import json
import re
from typing import Any

MODELINE = "# yaml-language-server: $schema=pipeline.schema.json"
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ./&+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def head(name: str, what: str) -> str:
    return f"""\
{MODELINE}
# {name}: {what}
# Scaffolded by `etl init`. Check it, then (from the folder above this one):
#   etl validate {name}/{name}.yaml    every problem at once, located
#   etl test {name}/{name}.yaml        the tests in {name}.tests.yaml, on local Spark
#   etl plan {name}/{name}.yaml        what a run would do, without Spark
#   etl run {name}/{name}.yaml         publish the tables (under ./data), then the report
# The reference of every key: docs/pipeline.md (or `etl docs`); transforms: `etl transforms`.
# pipeline.schema.json beside this file gives your editor completion (`etl schema -o
# {name}/pipeline.schema.json` writes it again after you add a plugin).
pipeline: {name}
"""


SPARK_AND_OPTIMIZATIONS = """\
# spark:                        # where Spark runs; the default is local[*]
#   master: ${ETL_SPARK_MASTER:-local[*]}
#   driver_memory: 2g
#   conf: {spark.sql.session.timeZone: UTC}

# optimizations:                # the defaults suit small and medium data
#   shuffle_partitions: auto    # or a number
#   broadcast_threshold: 10MB
#   parallel_tasks: auto
"""

GENERATORS = """\
# generators:                   # synthetic data instead of files (`etl transforms` lists them)
#   demo:
#     generator: clickstream
#     params: {users: 100, products: 20, sessions: 500, seed: 7}
#     landing: {path: raw/demo, format: csv}
# and a source reading one of its tables:  events: {generated: demo.events, schema: ...}
"""

WAREHOUSE = """\
# warehouse:                    # Parquet under <data-dir>/warehouse by default
#   path: warehouse
#   postgres: {dsn: "${PG_DSN}", schema: analytics}   # with `targets: [parquet, postgres]`
#                                                     # on a sink, or `etl run --target postgres`
"""


def readme(name: str, data: str) -> str:
    return f"""\
# {name}

Scaffolded by `etl init`. {data}

| file | what it holds |
| --- | --- |
| `{name}.yaml` | the pipeline: sources, steps, sinks, checks, SQL and report |
| `{name}.tests.yaml` | pipeline tests: rows in, expected rows out (`etl test`) |
| `schemas/` | the sources' column types |
| `sql/views/`, `sql/queries/` | the analysts' SQL over the published tables |
| `report.yaml` | the report `etl run` builds after a run |
| `sample/` | the sample data the sources read (`${{pipeline_dir}}/sample/...`) |
| `pipeline.schema.json` | the JSON Schema your editor uses for completion |

From the folder above this one:

```bash
etl validate {name}/{name}.yaml
etl test {name}/{name}.yaml
etl plan {name}/{name}.yaml
etl run {name}/{name}.yaml --data-dir data     # tables, run record and report under data/
etl sql render {name}/{name}.yaml              # the views and queries, for Spark or PostgreSQL
```

To read your own data instead of the sample, point the source's `path:` at it: a relative path
is read under `--data-dir`, `${{pipeline_dir}}/...` beside this file.
"""


def scalar(value: Any) -> str:
    """A value written in YAML so that it reads back as it is: text quoted when YAML would
    take it for something else (a number, a date, true, null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)


def key(name: str) -> str:
    """A mapping key written in YAML."""
    return scalar(name)


def flow(mapping: dict[str, Any]) -> str:
    """`{a: 1, b: text}`: a one-line YAML mapping."""
    return "{" + ", ".join(f"{key(k)}: {scalar(v)}" for k, v in mapping.items()) + "}"
