"""Atomic publishing of sink tables into the Parquet warehouse, and cleaning up after it.

This module owns the warehouse layout and the only code that changes it:

    <warehouse>/<table>                          symlink -> .versions/<table>/<version>
    <warehouse>/.versions/<table>/<version>/     one complete, immutable copy of the table
    <warehouse>/.staging/<table>-<version>/      a version being written (never read)

A publish writes a complete new version into `.staging/` (Spark Parquet write: the sink's
repartition, then partitionBy and compression), checks it (every file's footer is readable, the
rows in the footers equal the rows Spark counted while writing; then the caller's data-quality
checks on the staged version, when it passes some, with the aggregates it asked to observe
while writing), moves it under `.versions/`, and
only then swaps the table's symlink: a temporary symlink is created and `os.replace`d onto
`<warehouse>/<table>`, which is one atomic rename. A reader resolving the table sees the old
version or the new one, never a mix; a run killed at any moment leaves the old version in place
(at worst with a staging folder or an unreferenced version beside it, which `cleanup` removes).

Modes build the new version differently; all of them leave the current version untouched:

* overwrite: the new version is the DataFrame.
* append: the DataFrame's files plus hard links to every file of the current version.
* overwrite_partitions: the DataFrame's partitions, plus hard links to the current version's
  partitions the DataFrame does not contain (dynamic partition overwrite).

Hard links cost no copy; files are never modified in place, so versions can share them. Rerunning
with the same inputs yields the same table contents (append, by its nature, appends again).
`cleanup` runs at the start of a run: it removes staging leftovers and keeps, per table, the
current version plus `keep` previous ones. One run at a time per warehouse: `WarehouseLock`
(an exclusive `flock` on `<warehouse>/.lock`, held from cleanup to the last publish and let go by
the kernel when a run dies) refuses a second run instead of letting its cleanup remove a version
the first is about to swap in. Local or mounted file systems only (symlinks and hard links).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.dialects import spark_ident
from framework.errors import EtlError, printable
from framework.spec import COMPRESSIONS, SINK_MODES, Repartition, SinkSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

VERSIONS = ".versions"
STAGING = ".staging"
LINK_TMP = ".link-"
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^(\d{6})-")


@dataclass(frozen=True)
class PublishResult:
    table: str
    path: str  # <warehouse>/<table>, the symlink readers use
    rows: int
    bytes: int  # data bytes of the published version (hard-linked files included)
    files: int  # Parquet data files in the published version
    version: str
    # what this publish wrote itself (the rest is hard-linked from the previous
    # version by append and overwrite_partitions): relative paths, and their rows
    written: tuple[str, ...] = ()
    written_rows: int = 0


def publish_table(
    df: DataFrame, warehouse_dir: str, sink: SinkSpec, compression: str, run_id: str,
    check: Callable[[str, dict[str, Any]], None] | None = None, observe: Sequence[Column] = (),
) -> PublishResult:
    """Write `df` as a new version of `sink.table` and swap it in atomically. `check` is called
    with the staged version's folder once it is verified, before it is promoted, and the
    metrics `observe` asked for (aggregates over the rows written, counted while writing):
    whatever it raises stops the publish (the staged version is removed, the current one
    stays)."""
    _check_sink(sink, compression)
    os.makedirs(os.path.join(warehouse_dir, STAGING), exist_ok=True)
    current = current_version_dir(warehouse_dir, sink.table)
    version = _next_version(warehouse_dir, sink.table, run_id)
    staging = os.path.join(warehouse_dir, STAGING, f"{sink.table}-{version}")
    try:
        new_rows, observed = _write(df, staging, sink, compression, observe)
        written = tuple(data_files(staging))  # before the current files join them
        kept_rows = _merge_current(current, staging, sink)
        if sink.partition_by and not data_files(staging):
            _write_empty(df, staging, compression)
        rows, files, size = _verify(staging, sink.table, new_rows + kept_rows)
        if check is not None:
            check(staging, observed)
        final = _promote(warehouse_dir, sink.table, version, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_link(warehouse_dir, sink.table, final)
    return PublishResult(sink.table, os.path.join(warehouse_dir, sink.table), rows, size, files,
                         version, written, new_rows)


def _check_sink(sink: SinkSpec, compression: str) -> None:
    if not _TABLE_NAME.match(sink.table):
        raise EtlError(f"sink table name {sink.table!r} is not a plain identifier",
                       hint="use letters, digits and underscores, starting with a letter")
    if sink.mode not in SINK_MODES:
        raise EtlError(f"sink {sink.table!r}: unknown mode {sink.mode!r}",
                       hint=f"use one of {', '.join(SINK_MODES)}")
    if compression not in COMPRESSIONS:
        raise EtlError(f"sink {sink.table!r}: unknown compression {compression!r}",
                       hint=f"use one of {', '.join(COMPRESSIONS)}")
    if sink.mode == "overwrite_partitions" and not sink.partition_by:
        raise EtlError(f"sink {sink.table!r}: mode overwrite_partitions needs partition_by",
                       hint="add partition_by: [...] to the sink, or use mode: overwrite")


def current_version_dir(warehouse_dir: str, table: str) -> str | None:
    """The folder the table's symlink points at; None before the first publish."""
    link = os.path.join(warehouse_dir, table)
    if not os.path.lexists(link):
        return None
    versions = os.path.realpath(os.path.join(warehouse_dir, VERSIONS, table))
    target = os.path.realpath(link)
    if not os.path.islink(link) or os.path.dirname(target) != versions:
        raise EtlError(
            f"{printable(link)} exists but is not a table this warehouse published "
            "(expected a symlink into .versions/)",
            hint=f"move or delete {link}, or point warehouse.path at another folder",
        )
    if not os.path.isdir(target):
        folder = os.path.join(warehouse_dir, VERSIONS, table)
        kept = [v for v in _listdir(folder) if _VERSION.match(v)
                and os.path.isdir(os.path.join(folder, v))]
        hint = (f"point it back at the newest version kept: ln -sfn {VERSIONS}/{table}/{kept[-1]} "
                f"{link}" if kept else f"delete the dangling symlink {link} and rerun to "
                                       f"republish the table")
        raise EtlError(f"{printable(link)} points at a missing version {printable(target)}",
                       hint=hint)
    return target


def _next_version(warehouse_dir: str, table: str, run_id: str) -> str:
    """`<6-digit sequence>-<run id>`: sorts by publish order, names the run that wrote it."""
    seqs = [int(m.group(1)) for name in _listdir(os.path.join(warehouse_dir, VERSIONS, table))
            if (m := _VERSION.match(name))]
    safe_run = re.sub(r"[^A-Za-z0-9_.]", "_", run_id)[:64] or "run"
    return f"{max(seqs, default=0) + 1:06d}-{safe_run}"


def _listdir(path: str) -> list[str]:
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


# -- writing -------------------------------------------------------------------------------------


def _write(df: DataFrame, staging: str, sink: SinkSpec, compression: str,
           observe: Sequence[Column] = ()) -> tuple[int, dict[str, Any]]:
    """Spark-write `df` into `staging`; the rows it wrote and the metrics `observe` asked for,
    counted while writing (no extra pass)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    observed = Observation(f"publish_{sink.table}_{uuid.uuid4().hex[:8]}")
    text_keys = [c for c in sink.partition_by if dict(df.dtypes).get(c) == "string"]
    empties = [F.count_if(F.col(spark_ident(c)) == "").alias(f"empty_{i}")
               for i, c in enumerate(text_keys)]
    out = repartitioned(df.observe(observed, F.count(F.lit(1)).alias("rows"), *empties,
                                   *observe),
                        sink.repartition)
    writer = out.write.mode("errorifexists").option("compression", compression)
    if sink.partition_by:
        writer = writer.partitionBy(*sink.partition_by)
    writer.parquet(staging)
    counts = observed.get
    for i, column in enumerate(text_keys):
        if counts.get(f"empty_{i}"):
            raise EtlError(
                f"sink {sink.table!r}: {counts[f'empty_{i}']} row(s) have an empty string in "
                f"partition column {printable(column)!r}; a partition folder cannot hold '' "
                f"(Spark writes it like null, as __HIVE_DEFAULT_PARTITION__, and it reads back "
                f"as null), so the table was not published",
                hint=f"map it in a step before the sink: nullif({column}, '') to publish null, "
                     f"or coalesce(nullif({column}, ''), 'unknown') to keep a value",
            )
    return int(counts.get("rows", 0)), dict(counts)


def _write_empty(df: DataFrame, staging: str, compression: str) -> None:
    """An empty partitioned table has no partition folders, and so no file a reader could take
    its columns from: put one zero-row file with every column (partition columns included) at
    the top instead. A later append or partition overwrite drops it (`_merge_current`)."""
    empty = f"{staging}.empty"
    try:
        df.limit(0).coalesce(1).write.mode("overwrite").option("compression", compression) \
            .parquet(empty)
        for rel in data_files(empty):
            os.replace(os.path.join(empty, rel), os.path.join(staging, os.path.basename(rel)))
    finally:
        shutil.rmtree(empty, ignore_errors=True)


def repartitioned(df: DataFrame, rep: Repartition | None) -> DataFrame:
    """`df` shaped as a step's or sink's `repartition:` asks (coalesce avoids a shuffle)."""
    if rep is None:
        return df
    if rep.coalesce and rep.num:
        return df.coalesce(rep.num)
    cols = [spark_ident(c) for c in rep.by]
    if rep.num and cols:
        return df.repartition(rep.num, *cols)
    return df.repartition(rep.num) if rep.num else df.repartition(*cols)


def _merge_current(current: str | None, staging: str, sink: SinkSpec) -> int:
    """Hard-link the current version's files that the mode keeps into `staging`; their rows."""
    import pyarrow.parquet as pq

    if current is None or sink.mode == "overwrite":
        return 0
    rows = {rel: pq.read_metadata(os.path.join(current, rel)).num_rows
            for rel in data_files(current)}  # each footer read once
    if not any(rows.values()):
        return 0  # an empty table (at most a zero-row file naming its columns): nothing to keep
    _check_compatible(current, staging, sink)
    new_parts = {os.path.dirname(p) for p in data_files(staging)}
    kept = [rel for rel in rows if sink.mode == "append" or os.path.dirname(rel) not in new_parts]
    for rel in kept:
        _link(os.path.join(current, rel), os.path.join(staging, rel))
    return sum(rows[rel] for rel in kept)


def _check_compatible(current: str, staging: str, sink: SinkSpec) -> None:
    """Appending or merging partitions only makes sense onto the same layout and columns."""
    old_keys, new_keys = _partition_keys(current), tuple(sink.partition_by)
    if (old_keys and old_keys != new_keys) or (not old_keys and new_keys and data_files(current)):
        raise EtlError(
            f"sink {sink.table!r}: mode {sink.mode} onto a table partitioned by "
            f"{list(old_keys)}, but the sink partitions by {list(new_keys)}",
            hint="publish once with mode: overwrite to change the partitioning",
        )
    old_schema, new_schema = _file_schema(current), _file_schema(staging)
    if old_schema and new_schema and old_schema != new_schema:
        raise EtlError(
            f"sink {sink.table!r}: mode {sink.mode} with different columns: the table has "
            f"{_show_schema(old_schema)}, the new data {_show_schema(new_schema)}",
            hint="publish once with mode: overwrite to change the table's columns",
        )


def _partition_keys(version_dir: str) -> tuple[str, ...]:
    """Partition column names from the first data file's `key=value` folders."""
    files = data_files(version_dir)
    if not files:
        return ()
    return tuple(seg.split("=", 1)[0] for seg in os.path.dirname(files[0]).split(os.sep) if seg)


def _file_schema(version_dir: str) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    files = data_files(version_dir)
    if not files:
        return []
    schema = pq.read_schema(os.path.join(version_dir, files[0]))
    return [(f.name, str(f.type)) for f in schema]


def _show_schema(schema: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(f"{n} {t}" for n, t in schema) + ")"


def data_files(root: str) -> list[str]:
    """Parquet data files under `root`, relative paths, sorted (hidden files skipped)."""
    found = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        rel = os.path.relpath(dirpath, root)
        found += [os.path.normpath(os.path.join(rel, f)) for f in files if not _hidden(f)]
    return sorted(found)


def _hidden(name: str) -> bool:
    """Spark's rule: `.x` and `_x` are not data, except `_x=...` partition folders."""
    return name.startswith(".") or (name.startswith("_") and "=" not in name)


def _link(src: str, dst: str) -> None:
    """Hard-link `src` to `dst` (copy where the file system has no hard links)."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.exists(dst):
        raise EtlError(f"cannot merge {printable(src)}: {printable(dst)} already exists",
                       hint="publish with mode: overwrite to rebuild the table")
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# -- checking and swapping -----------------------------------------------------------------------


def _verify(staging: str, table: str, expected: int) -> tuple[int, int, int]:
    """Every footer readable and the rows in them as expected. Returns (rows, files, bytes)."""
    import pyarrow.parquet as pq

    files = data_files(staging)
    rows = size = 0
    for rel in files:
        path = os.path.join(staging, rel)
        rows += pq.read_metadata(path).num_rows
        size += os.path.getsize(path)
    if rows != expected:
        raise EtlError(f"table {table!r}: wrote {rows} rows, expected {expected}; not published",
                       hint="the previous version is still published; rerun the run")
    return rows, len(files), size


def _promote(warehouse_dir: str, table: str, version: str, staging: str) -> str:
    final = os.path.join(warehouse_dir, VERSIONS, table, version)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    os.replace(staging, final)
    return final


def _swap_link(warehouse_dir: str, table: str, final: str) -> None:
    """Point `<warehouse>/<table>` at `final` with one atomic rename of a fresh symlink."""
    tmp = os.path.join(warehouse_dir, f".{table}{LINK_TMP}{uuid.uuid4().hex[:12]}")
    os.symlink(os.path.relpath(final, warehouse_dir), tmp)
    try:
        os.replace(tmp, os.path.join(warehouse_dir, table))
    except BaseException:
        os.remove(tmp)
        raise


# -- one run at a time ---------------------------------------------------------------------------
LOCK_FILE = ".lock"


class WarehouseLock:
    """Held by the one run that may clean up and publish in a warehouse folder."""

    def __init__(self, warehouse_dir: str, run_id: str):
        self.path = os.path.join(warehouse_dir, LOCK_FILE)
        self.run_id = run_id
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another run"
            os.close(fd)
            raise EtlError(f"{os.path.dirname(self.path)} is in use by {holder}: one run at a "
                           f"time publishes to a warehouse; nothing was run",
                           hint="wait for that run to finish, or give this one another "
                                "--data-dir") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"run {self.run_id} (pid {os.getpid()})".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:  # closing the descriptor lets the lock go
            os.close(self._fd)
            self._fd = None


# -- cleanup -------------------------------------------------------------------------------------


def cleanup(warehouse_dir: str, keep: int = 1) -> list[str]:
    """Remove staging leftovers and versions beyond the current one plus `keep` previous.

    Versions newer than the current one (a run killed between writing and swapping) go too.
    Returns the removed paths. Call it at the start of a run, never while one is publishing.
    """
    if not os.path.isdir(warehouse_dir):
        return []
    removed = _remove_all(os.path.join(warehouse_dir, STAGING), _listdir(
        os.path.join(warehouse_dir, STAGING)))
    removed += _remove_all(warehouse_dir, [n for n in _listdir(warehouse_dir)
                                           if n.startswith(".") and LINK_TMP in n])
    for table in _listdir(os.path.join(warehouse_dir, VERSIONS)):
        removed += _prune_versions(warehouse_dir, table, keep)
    return removed


def _prune_versions(warehouse_dir: str, table: str, keep: int) -> list[str]:
    folder = os.path.join(warehouse_dir, VERSIONS, table)
    versions = [v for v in _listdir(folder) if _VERSION.match(v)]
    link = os.path.join(warehouse_dir, table)
    current = os.path.basename(os.path.realpath(link)) if os.path.islink(link) else None
    if current not in versions:
        doomed = versions[: max(len(versions) - keep - 1, 0)]  # no current: keep the newest
    else:
        at = versions.index(current)
        doomed = versions[: max(at - keep, 0)] + versions[at + 1:]
    return _remove_all(folder, doomed)


def _remove_all(folder: str, names: list[str]) -> list[str]:
    removed = []
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
        removed.append(path)
    return removed
