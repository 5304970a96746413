"""Folder paths compared as text (one folder, or one inside the other), and where a data
location of the spec is.

Pure functions on paths as strings (no file system), shared by validation, which sees the paths as
written, and the run, which compares them resolved against the data directory.
"""

from __future__ import annotations

import os
import posixpath


def overlap(a: str, b: str, same: bool = False) -> bool:
    """Folders `a` and `b` are one, or (unless `same`) one lies inside the other, in any case
    (file systems that ignore case make `raw` and `RAW` one folder). Relative and absolute paths
    are compared only with their own kind: resolve them first to compare across kinds."""
    (abs_a, pa), (abs_b, pb) = _parts(a), _parts(b)
    n = min(len(pa), len(pb))
    return abs_a == abs_b and pa[:n] == pb[:n] and (not same or len(pa) == len(pb))


def depth(path: str) -> int:
    """How many folder names `path` has, as `overlap` counts them: the longer of two
    overlapping paths lies inside the other."""
    return len(_parts(path)[1])


def _parts(path: str) -> tuple[bool, tuple[str, ...]]:
    absolute = "://" in path or path.startswith("/")
    return absolute, tuple(x for x in posixpath.normpath(path).casefold().split("/")
                           if x not in ("", "."))


def data_path(data_dir: str, path: str) -> str:
    """A data location from the spec: a URI or absolute path as written, else under the data
    directory."""
    return path if "://" in path or os.path.isabs(path) else os.path.join(data_dir, path)


def written_uri(path: str | None) -> bool:
    """`path` is a URI (`s3a://bucket/x`, `hdfs://nn/x`, `file:///x`): a folder a run writes
    (the data directory, the warehouse, a landing folder) cannot be one."""
    return bool(path) and "://" in path


LOCAL_ONLY_HINT = ("the data directory, the warehouse and landing folders must be local or "
                   "mounted POSIX folders (publishing renames folders, swaps symlinks and locks "
                   "files, which object stores and HDFS cannot do atomically); use a local or "
                   "NFS-mounted path, then copy the published tables out, or load PostgreSQL "
                   "with --target postgres. Sources may be URIs")
