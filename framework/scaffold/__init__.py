"""`etl init`: a new pipeline's folder that validates, plans, runs and tests as it is.

`create(name, parent, samples)` writes `<parent>/<name>/`: the pipeline YAML (the editor
modeline, commented examples of the sections it does not use yet), its tests, a schema file per
source, a SQL templates folder (a view and a query; macros and DDL are the built-in ones of
`framework/sql/`), a report definition, the sample data the sources read through
`${pipeline_dir}`, the JSON Schema for the editor and a README. Without samples it is a small
orders example (`example`); with a folder of CSV files, sources proposed from them (`infer`,
`fromcsv`). The folder is made whole in a temporary folder beside it and renamed into place, so
a failure leaves nothing half-written. No pyspark.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from dataclasses import dataclass

from framework.errors import UsageError
from framework.registry import Registry
from framework.scaffold import example, fromcsv
from framework.scaffold.infer import Sample, read_sample
from framework.spec import PIPELINE_NAME_PATTERN

SCHEMA_FILE = "pipeline.schema.json"


@dataclass(frozen=True)
class Created:
    folder: str
    files: tuple[str, ...]  # relative to the folder, sorted
    samples: tuple[Sample, ...] = ()


def check_name(name: str) -> None:
    if not re.search(PIPELINE_NAME_PATTERN, name):
        raise UsageError(f"{name!r} cannot name a pipeline",
                         hint="use a letter, then up to 63 letters, digits, '_' or '-' "
                              "(it names the folder, the files and every run)")


def read_samples(folder: str) -> list[Sample]:
    """The CSV files of `folder` (not its subfolders), each with its proposed schema."""
    if not os.path.isdir(folder):
        raise UsageError(f"--from {folder}: not a folder",
                         hint="give the folder that holds your sample CSV files")
    paths = sorted(p for p in glob.glob(os.path.join(glob.escape(folder), "*"))
                   if p.lower().endswith(".csv") and os.path.isfile(p))
    if not paths:
        raise UsageError(f"--from {folder}: no .csv file in it",
                         hint="put a few sample CSV files (with a header line) there")
    taken = set(fromcsv.RESERVED)
    samples = []
    for path in paths:
        sample = read_sample(path, taken)
        taken.add(sample.id)
        samples.append(sample)
    return samples


def create(name: str, parent: str, registry: Registry, samples_from: str | None = None,
           ) -> Created:
    check_name(name)
    target = os.path.normpath(os.path.join(parent, name))
    if os.path.lexists(target) and (not os.path.isdir(target) or os.listdir(target)):
        raise UsageError(f"{target} already exists",
                         hint="choose another name, or --dir for another parent folder")
    samples = read_samples(samples_from) if samples_from is not None else []
    texts = fromcsv.files(name, samples, samples_from) if samples else example.files(name)
    os.makedirs(parent or ".", exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{name}-", dir=parent or ".")
    try:
        for path, text in texts.items():
            _write(os.path.join(staging, path), text)
        for sample in samples:
            _copy_sample(sample, os.path.join(staging, "sample"))
        from framework.schema import write_schema

        write_schema(os.path.join(staging, SCHEMA_FILE), registry)
        if os.path.isdir(target):
            os.rmdir(target)  # empty: checked above
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = sorted(os.path.relpath(os.path.join(root, f), target)
                     for root, _, names in os.walk(target) for f in names)
    return Created(target, tuple(written), tuple(samples))


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _copy_sample(sample: Sample, folder: str) -> None:
    """The sample as it is, less a UTF-8 byte order mark (Spark would read it into the first
    column's name, which then no longer matches the schema)."""
    os.makedirs(folder, exist_ok=True)
    with open(sample.path, "rb") as src, \
            open(os.path.join(folder, os.path.basename(sample.path)), "wb") as dst:
        src.seek(3 if sample.bom else 0)
        shutil.copyfileobj(src, dst)
