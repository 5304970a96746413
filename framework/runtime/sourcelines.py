"""What a csv or json source's files hold, checked apart from Spark's own readers.

Spark's readers lose records without a word in a few cases, so `io.read_source` looks at the
lines of the files itself wherever a record is a line:

* CSV: a line made only of control characters (`\\x01\\x02`, a lone NUL, ...) is skipped like a
  blank line (Spark trims every character up to U+0020), so such lines count as malformed.
  Local files are searched for them with a byte scan (`control_lines`: such characters are
  rare, so it costs about one read of the files and no Spark job). Other files (compressed,
  remote, a custom `lineSep`) are read as text by Spark (`csv_line_flags`), which also counts
  the records they hold (non-blank lines, less one header per file): any other record the
  reader skipped shows up as a difference.
* JSON lines: Spark's reader turns `[]` into no row and `[{..}, {..}]` into two, and ignores
  whatever follows the first value on a line (`{"id": 1} garbage`, `{"id": 1}{"id": 2}`).
  `json_lines` parses each non-blank line with `from_json` instead, so each line is exactly one
  row, and marks as malformed a line that is not one JSON object and nothing else, and an
  object that sets none of the declared columns (`{}`).

It also looks at the first bytes of local files (`check_encoding`): a UTF-16 or UTF-32 file read
as UTF-8 gives rows of NUL characters, so it is refused with the `encoding` to set.
A record is a line unless `multiLine` is on or the encoding is UTF-16/32: such sources are read
by Spark's reader alone.
"""

from __future__ import annotations

import glob
import mmap
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from framework.errors import DataError, printable
from framework.spec import SourceSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import StructType

FILE_COLUMN = "_etl_file"
REASON_COLUMN = "_etl_reason"
_BLANK_CSV = r"^[ \t]*$"  # what the count calls a blank line (Spark skips these too)
_CONTROL_ONLY = r"^[\x00-\x20]*$"  # what Spark's CSV reader skips as empty (String.trim)
_BLANK_JSON = r"^[ \t\r\n]*$"  # JSON whitespace: Spark's JSON reader skips such lines
_JSON_STRING = r'"(?:[^"\\]|\\.)*+"'
_COMPRESSED = (".gz", ".bz2", ".deflate", ".lz4", ".snappy", ".zst", ".zstd", ".xz", ".br")
_SNIFF_FILES = 1000  # local files looked at for their encoding (the first bytes of each)
_BLOCK = 1 << 24  # bytes numpy looks at in one go in a byte scan (16 MB)


def option(options: dict[str, str], name: str) -> str | None:
    """A reader option's value, whatever the case of its name."""
    found = {k.lower(): str(v) for k, v in options.items()}
    return found.get(name.lower())


def wide_encoding(encoding: str | None) -> bool:
    """UTF-16/UTF-32 (and their aliases): a newline is not one byte, so lines cannot be split."""
    name = re.sub(r"[^a-z0-9]", "", (encoding or "").lower())
    return name.startswith(("utf16", "utf32", "ucs2", "ucs4", "unicode"))


def line_based(source: SourceSpec, options: dict[str, str]) -> bool:
    """Is each record of `source` (read with reader `options`) one line of its files?"""
    return (option(options, "multiLine") or "false").lower() != "true" \
        and not wide_encoding(option(options, "encoding"))


# -- encodings -----------------------------------------------------------------------------------


def check_encoding(source: SourceSpec, local_path: str, encoding: str | None) -> None:
    """Refuse a local file that looks UTF-16/32 encoded when the source does not say so."""
    if wide_encoding(encoding) or "://" in local_path:
        return
    for path in [p for p in _local_files(local_path) if not _compressed(p)][:_SNIFF_FILES]:
        try:
            with open(path, "rb") as fh:
                head = fh.read(512)
        except OSError:
            continue
        wide = _looks_wide(head)
        if wide:
            raise DataError(
                message=(f"source {source.id!r}{declared_at(source)}: {printable(path)} looks "
                         f"{wide} encoded, not {encoding or 'UTF-8'}"),
                hint=(f"set encoding: {wide} on the source" + (
                    " (UTF-16LE or UTF-16BE when the file has no byte-order mark)"
                    if wide == "UTF-16" else "")
                      + (", or convert the file to UTF-8" if source.format == "csv" else
                         "; JSON lines must be read line by line, so convert the file to UTF-8: "
                         f"iconv -f {wide} -t UTF-8")),
                details={"source": source.id, "file": path, "encoding": wide},
            )


def _looks_wide(head: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' for a byte-order mark, or for text whose every other byte is NUL."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = head[:256]
    if len(sample) < 4 or 0 not in sample:
        return None
    halves = (sample[0::2], sample[1::2])
    if any(half.count(0) >= 0.9 * len(half) for half in halves):
        quarters = [sample[i::4] for i in range(4)]
        zero_quarters = sum(q.count(0) >= 0.9 * len(q) for q in quarters)
        return "UTF-32" if zero_quarters >= 3 else "UTF-16"
    return None


def _local_files(path: str) -> list[str]:
    """The data files Spark reads at a local path (a file, a folder with its `key=value`
    partition folders, or a glob pattern), hidden ones (`.x`, `_x`) left out."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        return [f for match in sorted(glob.glob(path)) for f in _local_files(match)]
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if "=" in d and not d.startswith("."))
        found += [os.path.join(root, f) for f in sorted(files) if not f.startswith(("_", "."))]
    return found


def _compressed(path: str) -> bool:
    return path.lower().endswith(_COMPRESSED)


def declared_at(source: SourceSpec) -> str:
    """` (declared at file:line)` for a message about `source`, or nothing."""
    return f" (declared at {source.loc})" if source.loc else ""


# -- the lines of a source -----------------------------------------------------------------------


def text_lines(spark: SparkSession, source: SourceSpec, path: str,
               options: dict[str, str]) -> DataFrame:
    """Each line of the files as `line` (decoded with the source's encoding; bytes that do not
    decode become U+FFFD, as in Spark's CSV reader) and the URI of its file."""
    from pyspark.sql import functions as F

    sep = option(options, "lineSep")
    raw = spark.read.options(**({"lineSep": sep} if sep else {})).text(path)
    encoding = option(options, "encoding") or "UTF-8"
    if re.sub(r"[^a-z0-9]", "", encoding.lower()) == "utf8":
        line = F.expr("make_valid_utf8(value)")
    else:
        line = F.decode(F.col("value").cast("binary"), encoding)
    return raw.select(line.alias("line"), F.col("_metadata.file_path").alias(FILE_COLUMN))


@dataclass(frozen=True)
class LineCount:
    """What the lines of a line-based CSV source hold."""

    records: int | None  # records Spark's reader should return (non-blank lines less the
    # headers); None: not counted
    skipped: int  # lines of control characters only: records the reader skips
    example: str | None  # one of those


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what makes a line "not blank"
_BREAK = re.compile(rb"[\r\n]")


def control_lines(files: list[str], options: dict[str, str],
                  encoding: str | None) -> list[tuple[str, str]] | None:
    """The lines of control characters only in `files` (the URIs Spark reads), as (file URI,
    text): a byte scan, quick since such characters are rare in text files. None when the
    files cannot be scanned this way (not local, compressed, a custom `lineSep`): then
    `csv_line_flags` over Spark's text reader finds them, and counts every record too."""
    local = _local_paths(files, options)
    if local is None:
        return None
    found = []
    for uri, path in local:
        if os.path.getsize(path):
            with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                found += [(uri, line.decode(encoding or "utf-8", "replace"))
                          for line in _control_only(data)]
    return found


def _local_paths(files: list[str], options: dict[str, str]) -> list[tuple[str, str]] | None:
    """(URI as Spark shows it, local path) of each of `files` (the URIs Spark reads); None when
    one is not a local uncompressed file, or lines end with a custom `lineSep`."""
    from urllib.parse import unquote, urlparse

    if option(options, "lineSep"):
        return None
    local = []
    for uri in files:
        parsed = urlparse(uri)
        if parsed.scheme not in ("", "file") or _compressed(parsed.path):
            return None
        local.append((f"file:{parsed.path}", unquote(parsed.path)))  # `file:/x`, as Spark shows
    return local


def replacement_free(files: list[str], options: dict[str, str], encoding: str | None) -> bool:
    """True when Spark's CSV reader cannot produce a U+FFFD from `files` (the URIs it reads):
    they are local UTF-8 files whose bytes all decode and hold no U+FFFD of their own (a CSV
    field has no escape that could make one). Then the count of replaced characters is 0
    without a pass over the parsed records. False when that is not known."""
    if re.sub(r"[^a-z0-9]", "", (encoding or "utf-8").lower()) != "utf8":
        return False
    local = _local_paths(files, options)
    if local is None:
        return False
    for _uri, path in local:
        if os.path.getsize(path):
            with open(path, "rb") as fh, \
                    mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if not _decodes_clean(data):
                    return False
    return True


def _decodes_clean(data) -> bool:
    """`data` (a memory map) is valid UTF-8 without U+FFFD: numpy skips the 16 MB blocks of
    ASCII only (about 1 GB/s); the others go through Python's strict decoder."""
    import codecs

    import numpy as np

    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = np.frombuffer(data, np.uint8)
    try:
        step, pending = _BLOCK, False
        for block in range(0, len(view), step):
            if not pending and not (view[block:block + step] >= 0x80).any():
                continue  # ASCII, with no sequence open from the block before
            decoder.decode(data[block:block + step])
            pending = decoder.getstate()[0] != b""
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        del view  # a memory map cannot close while numpy holds a view of it
    return data.find(b"\xef\xbf\xbd") == -1  # U+FFFD in UTF-8


def _control_only(data) -> list[bytes]:
    """The lines of `data` (bytes or a memory map) made of control characters and spaces only,
    with at least one control character. numpy finds the 16 MB blocks holding any control
    character (about 1 GB/s); only those are searched line by line."""
    import numpy as np

    found: list[bytes] = []
    view = np.frombuffer(data, np.uint8)
    try:
        pos, step = 0, _BLOCK
        for block in range(0, len(view), step):
            part = view[block:block + step]
            if not ((part < 32) & (part != 9) & (part != 10) & (part != 13)).any():
                continue
            pos = max(pos, block)
            while (hit := _CONTROL.search(data, pos, block + step)) is not None:
                at = hit.start()
                newline = data.rfind(b"\n", 0, at)  # then a CR after it: both searches short
                start = max(newline, data.rfind(b"\r", newline + 1, at)) + 1
                end_hit = _BREAK.search(data, at)
                pos = end_hit.start() if end_hit else len(data)
                line = data[start:pos]
                if max(line) <= 0x20:
                    found.append(line)
    finally:
        del view  # a memory map cannot close while numpy holds a view of it
    return found


def csv_line_flags(lines: DataFrame, options: dict[str, str]) -> DataFrame:
    """`lines` with `record` (a line that is a record or a header), `skipped` (a record Spark's
    reader skips: control characters only) and `visible` (a record it reads)."""
    from pyspark.sql import functions as F

    line = F.col("line")
    record = ~line.rlike(_BLANK_CSV)
    comment = option(options, "comment")
    if comment:
        record = record & ~line.startswith(comment)
    skipped = record & line.rlike(_CONTROL_ONLY)
    return lines.select("line", FILE_COLUMN, record.alias("record"), skipped.alias("skipped"),
                        (record & ~skipped).alias("visible"))


def csv_count_columns(options: dict[str, str]) -> list[Column]:
    """Aggregates over `csv_line_flags` rows giving a `LineCount` (see `line_count`)."""
    from pyspark.sql import functions as F

    header = (option(options, "header") or "false").lower() == "true"
    # the files with a record, one header each (no DISTINCT: observed metrics refuse it)
    files = F.size(F.collect_set(F.when(F.col("visible"), F.col(FILE_COLUMN)))) if header \
        else F.lit(0)
    return [F.count_if(F.col("visible")).alias("visible"), files.alias("headers"),
            F.count_if(F.col("skipped")).alias("skipped"),
            F.first(F.when(F.col("skipped"), F.col("line")), ignorenulls=True).alias("example")]


def line_count(row) -> LineCount:
    """A `LineCount` from the values of `csv_count_columns`."""
    return LineCount(int(row["visible"] or 0) - int(row["headers"] or 0),
                     int(row["skipped"] or 0), row["example"])


SKIPPED_REASON = ("a line of control characters only, which Spark's CSV reader skips as if it "
                  "were blank")


def json_lines(spark: SparkSession, source: SourceSpec, path: str, schema: StructType,
               corrupt: str, options: dict[str, str]) -> DataFrame:
    """One row per non-blank line: the declared columns, `corrupt` (the raw line when it is
    malformed), the file and why the line is malformed (null: see the columns)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    lines = text_lines(spark, source, path, options).filter(~F.col("line").rlike(_BLANK_JSON))
    with_corrupt = StructType([*schema.fields, StructField(corrupt, StringType(), True)])
    opts = {k: v for k, v in options.items() if k.lower() not in ("encoding", "multiline",
                                                                    "linesep")}
    opts.update(mode="PERMISSIVE", columnNameOfCorruptRecord=corrupt)
    parsed = lines.select(F.from_json("line", with_corrupt, opts).alias("r"), "line", FILE_COLUMN)
    record = F.col("r")
    nothing = _all_null([record[f.name] for f in schema.fields])
    lenient = any((option(options, o) or "").lower() == "true"
                  for o in ("allowSingleQuotes", "allowComments"))
    one_object = F.lit(True) if lenient else _one_object(F.col("line"))
    reason = (F.when(~one_object, F.lit("not one JSON object: a line must hold one object and "
                                        "nothing after it"))
              .when(record[corrupt].isNull() & nothing,
                    F.lit("none of the declared columns has a value")))
    bad = record.isNull() | record[corrupt].isNotNull() | reason.isNotNull()
    return parsed.select(*[record[f.name].alias(f.name) for f in schema.fields],
                         F.when(bad, F.col("line")).alias(corrupt), F.col(FILE_COLUMN),
                         reason.alias(REASON_COLUMN))


def _all_null(cols: list[Column]) -> Column:
    from pyspark.sql import functions as F

    result = F.lit(True)
    for col in cols:
        result = result & col.isNull()
    return result


def _one_object(line: Column) -> Column:
    """True when `line` is one JSON object and nothing else (surrounding whitespace aside).
    Strings are blanked first (on a valid line, the leftmost match of a string pattern is always
    a whole string), then the braces and brackets left must open at the first character and
    close for good at the last: `{..} x`, `{..}{..}` and `[..]` are not one object."""
    from pyspark.sql import functions as F

    bare = F.regexp_replace(line, _JSON_STRING, '""')
    shape = bare.rlike(r"^[ \t\r\n]*\{") & bare.rlike(r"\}[ \t\r\n]*$")
    nesting = F.regexp_replace(bare, r"[^{}\[\]]", "")
    depth_ok = F.aggregate(
        F.split(nesting, ""),
        F.struct(F.lit(0).alias("d"), F.lit(True).alias("ok"), F.lit(0).alias("i")),
        lambda acc, c: F.struct(
            (acc["d"] + F.when(c.isin("{", "["), 1).when(c.isin("}", "]"), -1).otherwise(0))
            .alias("d"),
            (acc["ok"] & ((acc["i"] == 0) | (acc["d"] > 0))).alias("ok"),
            (acc["i"] + 1).alias("i")),
        lambda acc: acc["ok"] & (acc["d"] == 0))
    return shape & depth_ok


def replaced_chars(text: Column) -> Column:
    """How many U+FFFD (a byte that did not decode) `text` holds; 0 for null."""
    from pyspark.sql import functions as F

    mark = F.lit("\ufffd")
    return F.when(F.instr(text, "\ufffd") > 0,  # a byte search: cheap on the usual clean text
                  F.length(text) - F.length(F.replace(text, mark, F.lit("")))).otherwise(0)
