"""Landing generated tables as raw files, and the generator's landing folder.

This module owns how generated tables land as files (`land_tables`: each table written beside
its folder and swapped in whole, so a reader never sees half a table) and what a generator's
folder may hold: its manifest, what landing may replace (`check_landing`), landing with the
manifest kept (`land_generated`), and whether the tables there were landed with the parameters
a run asks for (`landed_with`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from typing import TYPE_CHECKING, Any

from framework.errors import EtlError
from framework.spec import FILE_FORMATS, GeneratorSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

CSV_WRITE_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',  # RFC 4180: a quote inside a field is doubled, which every CSV reader knows
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",  # ISO 8601, microseconds, offset
    "dateFormat": "yyyy-MM-dd",
}


MANIFEST = "_generator.json"  # what a generator landed in its folder, and with which parameters
_LEFTOVER = re.compile(r"^\..+\.(landing|old)-[0-9a-f]+$")  # a killed landing's own folders
_OWN_FILE = re.compile(rf"^{re.escape(MANIFEST)}(\.\d+\.tmp)?$")  # and its next copy
_SPARK_FILE = re.compile(r"^(part-.*|_SUCCESS|\.part-.*\.crc|\._SUCCESS\.crc)$")


def land_tables(tables: dict[str, DataFrame], folder: str, fmt: str,
                threads: int = 1) -> dict[str, str]:
    """Write each table to `<folder>/<name>` as csv/json/parquet, swapping each in whole, up to
    `threads` tables at once (a small table's write fills the gaps of a big one's).

    Each table is written beside its target (`.<name>.landing-*`) and renamed into place, so a
    reader never sees half a table. Returns table name -> path.
    """
    if fmt not in FILE_FORMATS:
        raise EtlError(f"unknown landing format {fmt!r}",
                       hint=f"use one of {', '.join(FILE_FORMATS)}")
    os.makedirs(folder, exist_ok=True)
    if threads <= 1 or len(tables) <= 1:
        return {name: _land_one(df, folder, name, fmt) for name, df in tables.items()}
    from concurrent.futures import ThreadPoolExecutor

    from pyspark import inheritable_thread_target

    land = inheritable_thread_target(_land_one)  # the writes keep the task's job group
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="etl-land") as pool:
        futures = {name: pool.submit(land, df, folder, name, fmt) for name, df in tables.items()}
        return {name: future.result() for name, future in futures.items()}


def _land_one(df: DataFrame, folder: str, name: str, fmt: str) -> str:
    target = os.path.join(folder, name)
    _remove_leftovers(folder, name)
    aside = os.path.join(folder, f".{name}.landing-{uuid.uuid4().hex[:12]}")
    try:
        writer = df.write.mode("errorifexists")
        if fmt == "csv":
            writer.options(**CSV_WRITE_OPTIONS).csv(aside)
        else:
            getattr(writer, fmt)(aside)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    _drop_checksums(aside)
    _swap_dir(aside, target)
    return target


def _drop_checksums(folder: str) -> None:
    """Remove the hidden `.<file>.crc` checksums Hadoop's local file system writes beside each
    file. A read checks a file against its checksum when there is one, so a landed file fixed by
    hand would fail to read (FAILED_READ_FILE); landed files carry none."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if name.startswith(".") and name.endswith(".crc"):
                os.remove(os.path.join(root, name))


def _remove_leftovers(folder: str, name: str) -> None:
    """Remove what a killed landing of `name` left behind (`.<name>.landing-*`, `.<name>.old-*`)."""
    for entry in os.listdir(folder):
        if entry.startswith((f".{name}.landing-", f".{name}.old-")):
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)


def _swap_dir(new: str, target: str) -> None:
    """Put `new` at `target`: the old one is renamed away first, then deleted."""
    old = None
    if os.path.lexists(target):
        old = f"{os.path.dirname(target)}/.{os.path.basename(target)}.old-{uuid.uuid4().hex[:12]}"
        os.replace(target, old)
    os.replace(new, target)
    if old:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.remove(old)


# -- a generator's landing folder ----------------------------------------------------------------
# The folder belongs to the generator: landing replaces the table folders in it whole. Its
# manifest lists every file the generator wrote there, so a file it did not write is refused
# before anything is replaced. While tables are being landed the manifest names them instead of
# the parameters, so a landing killed half-way is landed again, and its files are still known.


def landed_with(folder: str, wanted: dict[str, Any]) -> bool:
    """The folder's manifest says its tables were landed with exactly `wanted` (generator,
    params, format)."""
    manifest, wanted = _manifest(folder), json.loads(json.dumps(wanted, default=str))  # as kept
    return all(k in manifest for k in wanted) and {k: manifest[k] for k in wanted} == wanted


def check_landing(folder: str, gen: GeneratorSpec, landed: bool = False) -> None:
    """Refuse to land into `folder` while it holds files the generator did not write: landing
    would replace the folders they are in (or the files themselves), and they would be gone.
    An empty folder, or one holding only empty folders, is fine. With `landed` (generation is
    skipped: the data is already there), refuse the same files because the sources would read
    them as the generator's rows."""
    foreign = _foreign_files(folder)
    if not foreign:
        return
    loc = gen.locs.get("landing.path", gen.loc)
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    what = ("Its sources would read them as generated rows; nothing was read" if landed else
            "Landing replaces the folders there and would delete them; nothing was changed")
    raise EtlError(
        f"{f'{loc}: ' if loc else ''}generator {gen.id!r} lands its tables in {folder}, which "
        f"holds {len(foreign)} file{'s' if len(foreign) != 1 else ''} it did not write: {shown}. "
        f"{what}",
        hint=f"move those files out of {folder}, or give the generator a landing folder of its "
             f"own (landing: {{path: ...}}, a new or empty folder)")


def land_generated(tables: dict[str, DataFrame], folder: str, fmt: str, threads: int,
                   wanted: dict[str, Any]) -> dict[str, str]:
    """`land_tables` for a generator: the manifest names the tables while they land, then lists
    every file in the folder with the parameters they were landed with (`wanted`). Call
    `check_landing` first: every file found here is then the generator's own."""
    from framework.runtime.record import write_json

    os.makedirs(folder, exist_ok=True)
    manifest = os.path.join(folder, MANIFEST)
    write_json(manifest, {"landing": sorted(tables), "files": _files_in(folder)})
    paths = land_tables(tables, folder, fmt, threads)
    write_json(manifest, {**wanted, "files": _files_in(folder)})
    return paths


def _manifest(folder: str) -> dict[str, Any]:
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _files_in(folder: str) -> list[str]:
    """Every file under `folder` but the manifest, as relative paths (`/`-separated), sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = os.path.relpath(root, folder)
        dirs.sort()
        found += [name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
                  for name in files]
    return sorted(f for f in found if not _OWN_FILE.match(f))


def _foreign_files(folder: str) -> list[str]:
    """Files under `folder` its manifest does not vouch for. A manifest from before manifests
    listed files vouches for the files Spark writes (`part-*`, `_SUCCESS`) in table folders."""
    if not os.path.isdir(folder):
        return []
    manifest = _manifest(folder)
    listed = manifest.get("files")
    listed = {f for f in listed if isinstance(f, str)} if isinstance(listed, list) else set()
    landing = manifest.get("landing")
    landing = {t for t in landing if isinstance(t, str)} if isinstance(landing, list) else set()
    legacy = "generator" in manifest and "files" not in manifest
    foreign = []
    for rel in _files_in(folder):
        top, _, rest = rel.partition("/")
        if _LEFTOVER.match(top) and rest:  # what a killed landing left: removed when it lands
            continue
        if rel in listed or (rest and top in landing):
            continue
        if legacy and rest and _SPARK_FILE.match(os.path.basename(rel)):
            continue
        foreign.append(rel)
    return foreign
