"""A table's rows streamed from Parquet files into PostgreSQL's `COPY ... FROM STDIN` as CSV.

`ParquetRows` names the files (a published version's, or those the loader had Spark write for
what pyarrow cannot read as Spark meant it), the partition values their folders hold, and each
column's PostgreSQL type. `copy_rows` reads the files a row group at a time with pyarrow, writes
each batch as CSV with pyarrow (no Spark job), and feeds it through a pipe to `COPY` on the
calling thread: WRITERS threads, each taking the next file, format while the server parses (a
whole batch at a time into the pipe, so rows never interleave; their order between files does
not matter), and no more than a row group per writer and a pipe's worth of rows is in memory.

How each value is written, so that PostgreSQL stores what Parquet holds:

* every non-null value quoted, a null as nothing: CSV `COPY` reads `""` as the empty string and
  nothing as NULL, and a quoted `\\.` is never its end-of-data marker; a row of nulls in a
  one-column table is an empty line, which `COPY` reads as NULL;
* text as stored (the UTF-8 bytes unchanged, quotes doubled, new lines inside the quotes);
* doubles and reals in their shortest round-trip form (`0.1`, `1e+20`, `nan`, `inf`), decimals
  exactly, integers, booleans (`true`), dates (`2026-01-31`);
* timestamps to the microsecond without a zone (`2026-01-31 10:00:00.123456`): Spark's
  `timestamp` is a UTC instant and the load's session time zone is UTC, `timestamp_ntz` is a
  wall-clock time either way (writing the zone as well would cost pyarrow fifteen times more);
* binary as bytea hex (`\\x00ff`);
* partition columns from the folder names, as Spark wrote them: `%XX` decoded,
  `__HIVE_DEFAULT_PARTITION__` is NULL, the text parsed by PostgreSQL for the column's type.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framework.errors import EtlError

if TYPE_CHECKING:
    import pyarrow as pa

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
BATCH_ROWS = 65_536  # rows per batch read and formatted: ~20 MB of CSV for a wide fact table
WRITERS = 2  # threads reading and formatting files side by side (pyarrow lets go of the GIL)
PIPE_BYTES = 1 << 20  # the pipe between the formatter and COPY (Linux's default limit)
_ESCAPED = re.compile(r"%([0-9A-Fa-f]{2})")
_TIMESTAMP_TYPES = ("timestamp with time zone", "timestamp without time zone", "timestamptz",
                    "timestamp")


@dataclass(frozen=True)
class ParquetRows:
    """The rows of one table: Parquet data files under `folder` (relative paths; None: every
    data file there), each column's PostgreSQL type in table order, and which columns come
    from partition folders. `scratch`: the folder is the loader's own, removed after the load."""

    folder: str
    columns: tuple[tuple[str, str], ...]
    partition_columns: tuple[str, ...] = ()
    files: tuple[str, ...] | None = None
    scratch: bool = False

    def record(self) -> dict[str, Any]:
        """What the run record keeps of it (JSON): the postgres task builds it back from this."""
        return {"folder": self.folder, "columns": [list(c) for c in self.columns],
                "partition_columns": list(self.partition_columns),
                "files": None if self.files is None else list(self.files), "scratch": self.scratch}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> ParquetRows:
        files = data.get("files")
        return cls(data["folder"], tuple((n, t) for n, t in data["columns"]),
                   tuple(data.get("partition_columns", ())),
                   None if files is None else tuple(files), bool(data.get("scratch")))

    def paths(self) -> list[str]:
        """Relative paths of the data files, in a stable order."""
        from framework.runtime.publish import data_files

        return data_files(self.folder) if self.files is None else list(self.files)


def copy_rows(cur: Any, statement: Any, rows: ParquetRows) -> tuple[int, int]:
    """Run `statement` (a `COPY ... FROM STDIN WITH (FORMAT csv)` of `rows.columns`, in order)
    with the rows streamed into it; (rows PostgreSQL took, rows written). An error on either
    side stops both: a failed COPY makes the writer's next write fail; a failed read ends the
    input early and is what is raised here (inside the caller's transaction, which it ends)."""
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # a lower limit for pipes: the default size works, in smaller steps
        pass
    written: list[int] = [0]
    failed: list[BaseException] = []
    writer = threading.Thread(target=_write, args=(rows, write_end, written, failed),
                              name="pgcopy-writer", daemon=True)
    writer.start()
    try:
        with open(read_end, "rb", buffering=0) as source:
            cur.copy_expert(statement, source, size=PIPE_BYTES)
    except Exception:
        writer.join()  # the read end is closed: a writer still writing gets a broken pipe
        if failed:  # COPY failed on the input cut short: the cause is the writer's
            raise failed[0] from None
        raise
    writer.join()
    if failed:
        raise failed[0]
    return cur.rowcount, written[0]


def _write(rows: ParquetRows, fd: int, written: list[int], failed: list[BaseException]) -> None:
    """The writer thread: with WRITERS - 1 helpers, each taking the next file, every batch's CSV
    into the pipe (a whole batch at a time: rows never interleave, their order between files
    does not matter to COPY), then the pipe closed (end of data)."""
    files = iter(rows.paths())
    take, put = threading.Lock(), threading.Lock()

    def work() -> None:
        try:
            while not failed:
                with take:
                    rel = next(files, None)
                if rel is None:
                    return
                for chunk, count in _csv_chunks(rows, rel):
                    with put:
                        while chunk:
                            chunk = chunk[os.write(fd, chunk):]
                        written[0] += count
        except BrokenPipeError:
            pass  # COPY stopped reading: its own error is raised
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that runs COPY
            failed.append(exc)

    helpers = [threading.Thread(target=work, name="pgcopy-writer", daemon=True)
               for _ in range(WRITERS - 1)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    os.close(fd)


def csv_chunks(rows: ParquetRows) -> Iterator[tuple[Any, int]]:
    """(CSV bytes, rows in them) for each batch of every file, in order."""
    for rel in rows.paths():
        yield from _csv_chunks(rows, rel)


def _csv_chunks(rows: ParquetRows, rel: str) -> Iterator[tuple[Any, int]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid",
                                 batch_size=BATCH_ROWS)
    for batch in _batches(rows, rel):
        if batch.num_rows:
            out = pa.BufferOutputStream()
            pacsv.write_csv(batch, out, options)
            yield memoryview(out.getvalue()), batch.num_rows


def _batches(rows: ParquetRows, rel: str) -> Iterator[pa.RecordBatch]:
    """The batches of one file, its columns as `rows.columns` says, partition values added."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [n for n, _ in rows.columns]
    path = os.path.join(rows.folder, rel)
    values = partition_values(rel, rows.partition_columns)
    try:
        parquet = pq.ParquetFile(path, coerce_int96_timestamp_unit="us")
        present = set(parquet.schema_arrow.names)
        stored = [n for n in names if n in present and n not in values]
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=stored):
            arrays = []
            for name, kind in rows.columns:
                if name in values or name not in present:  # Spark reads a missing column as
                    arrays.append(pa.repeat(pa.scalar(values.get(name), pa.string()),
                                            batch.num_rows))  # nulls
                else:
                    arrays.append(_as_text(batch.column(name), kind))
            yield pa.RecordBatch.from_arrays(arrays, names=names)
    except (OSError, pa.ArrowException) as exc:
        raise EtlError(f"cannot read {path} for PostgreSQL: {exc}",
                       hint="the PostgreSQL tables are as they were; the published file is "
                            "damaged or gone: rerun the sink to publish it again") from None


def partition_values(rel: str, columns: tuple[str, ...]) -> dict[str, str | None]:
    """The partition columns' values a file's folders hold (`day=2026-01-01/part-0.parquet`):
    decoded as Spark escapes them; NULL_PARTITION is None. A column without a folder (the
    zero-row file of an empty partitioned table) is None too."""
    found: dict[str, str | None] = dict.fromkeys(columns)
    for part in rel.replace(os.sep, "/").split("/")[:-1]:
        key, sep, value = part.partition("=")
        key = _unescape(key)
        if sep and key in found:
            found[key] = None if value == NULL_PARTITION else _unescape(value)
    return found


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _as_text(array: pa.Array, pg_type: str) -> pa.Array:
    """`array` as pyarrow's CSV writer should print it for a column of `pg_type`."""
    import pyarrow as pa

    if pa.types.is_timestamp(array.type) and pg_type in _TIMESTAMP_TYPES:
        return array.cast(pa.timestamp("us"))  # the UTC (or wall-clock) time, no zone
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        return bytea_hex(array)
    return array


def bytea_hex(array: pa.Array) -> pa.Array:
    """Binary values as PostgreSQL's bytea hex input (`\\x` and two digits a byte), nulls kept."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.concat_arrays([array.cast(pa.large_binary())])  # offset 0, 64-bit offsets
    count = len(array)
    offsets = np.frombuffer(array.buffers()[1], np.int64, count + 1)
    data = array.buffers()[2]
    raw = bytes(memoryview(data)[offsets[0]:offsets[-1]]) if data is not None else b""
    digits = np.frombuffer(raw.hex().encode(), np.uint8)
    starts = 2 * (offsets - offsets[0]) + 2 * np.arange(count + 1)  # each value gains `\x`
    text = np.empty(int(starts[-1]), np.uint8)
    prefix = starts[:-1]
    is_digit = np.ones(len(text), bool)
    is_digit[prefix] = is_digit[prefix + 1] = False
    text[prefix], text[prefix + 1] = ord("\\"), ord("x")
    text[is_digit] = digits
    strings = pa.LargeStringArray.from_buffers(count, pa.py_buffer(starts), pa.py_buffer(text))
    return pc.if_else(array.is_valid(), strings, pa.scalar(None, pa.large_string()))
