"""The folders a run writes: checked before any work starts, and file-system errors said plainly.

A run writes its record and logs under `runs/`, tables under the warehouse, raw data under each
generator's landing folder and bad rows under `quarantine/`. A folder that cannot be written (a
read-only disk, no permission, a file where a folder should be) is a missing prerequisite (exit
3) named before anything runs; an `OSError` met later (a disk that fills up) becomes one sentence
naming the path and what to do, never a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable
from typing import NamedTuple

from framework.errors import EnvironmentProblem, Location, Problem, SpecError, format_path
from framework.paths import data_path, depth, overlap
from framework.plan import Plan, Task
from framework.spec import GeneratorSpec, PipelineSpec
from framework.text import human_size

_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "no such file or folder, and it cannot be created there",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "a file is in the way",
    errno.ENAMETOOLONG: "the name is too long",
}
_FULL = (errno.ENOSPC, errno.EDQUOT)
DATA_DIR_HINT = "choose another --data-dir (or ETL_DATA_DIR)"
RUNS_DIR, QUARANTINE_DIR = "runs", "quarantine"  # under the data directory


def reason(exc: OSError) -> str:
    """What went wrong, in words (the system's own text for an errno we do not name)."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def is_disk_full(exc: BaseException) -> bool:
    """A write failed for want of space: an OSError, or Spark's Java error saying so."""
    if isinstance(exc, OSError):
        return exc.errno in _FULL
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


def free_space(path: str) -> str:
    """The space left on the file system holding `path` (or its nearest existing folder)."""
    try:
        free = shutil.disk_usage(_existing(path)).free
    except OSError:
        return "unknown"
    return human_size(free)


def full_disk_hint(path: str, elsewhere: str | None = DATA_DIR_HINT) -> str:
    return (f"free some space on the disk holding {path} ({free_space(path)} free after the "
            f"failed write; `df -h {_existing(path)}` shows it)"
            + (f" or {elsewhere}" if elsewhere else ""))


_HINTS = {
    errno.EROFS: "that file system is mounted read-only: use a place on a writable one",
    errno.EACCES: "check the permissions of {path} and of its folders for this user",
    errno.EPERM: "check the permissions of {path} and of its folders for this user",
    errno.ENOTDIR: "a part of {path} is a file: use another path",
}


def os_problem(exc: OSError, doing: str = "cannot use", path: str = "",
               elsewhere: str | None = None) -> EnvironmentProblem:
    """An OSError as one message naming the path (the error's own, else `path`: a write that
    fails for want of space names no file), with what to do next (exit 3); `elsewhere` says
    how to choose another place (`--data-dir`, say)."""
    path = os.fsdecode(exc.filename) if exc.filename is not None else path
    where = f" {path}" if path else ""
    if exc.errno in _FULL:
        return EnvironmentProblem(f"{doing}{where}: {reason(exc)}",
                                  hint=full_disk_hint(path or ".", elsewhere))
    hint = _HINTS.get(exc.errno or 0, "check that {path} exists and this user may use it")
    hint = hint.format(path=path or "the path")
    return EnvironmentProblem(f"{doing}{where}: {reason(exc)}",
                              hint=f"{hint}, or {elsewhere}" if elsewhere else hint)


def _existing(path: str) -> str:
    """`path` or its nearest ancestor that exists."""
    path = os.path.abspath(path)
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def require_writable(folders: Iterable[tuple[str, str, str]]) -> None:
    """Each (what, folder, elsewhere) can be written: the folder, or the nearest ancestor it
    would be created in, is a folder this process may write on a writable file system.
    `elsewhere` says how to choose another place (`--data-dir`, a key of the pipeline)."""
    for what, folder, elsewhere in folders:
        if "://" in folder:  # a remote store (s3a://, hdfs://): Spark checks it
            continue
        base = _existing(folder)
        if os.path.islink(base) and not os.path.exists(base):
            problem, fix = f"is a link to {os.readlink(base)}, which does not exist", elsewhere
        elif not os.path.isdir(base):
            problem, fix = "is a file, not a folder", elsewhere
        elif _read_only(base):
            problem, fix = "is on a read-only file system", elsewhere
        elif not os.access(base, os.W_OK | os.X_OK):
            problem, fix = "is not writable by this user", f"make {base} writable, or {elsewhere}"
        else:
            continue
        if base == os.path.abspath(folder):
            message = f"the {what} {folder} {problem}"
        else:
            message = f"the {what} {folder} cannot be created: {base} {problem}"
        raise EnvironmentProblem(message, hint=fix)


def _read_only(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def written_folders(spec: PipelineSpec, plan: Plan, data_dir: str) -> list[tuple[str, str, str]]:
    """Every local folder a run of `plan` writes, with how to choose another place (the
    `require_writable` triples)."""
    folders = [("data folder", data_dir, DATA_DIR_HINT),
               ("runs folder", os.path.join(data_dir, RUNS_DIR), DATA_DIR_HINT)]
    spec_path = {"warehouse": spec.warehouse.path}
    for task in plan.tasks():
        if task.kind == "generator":
            spec_path[f"landing folder of generator {task.id!r}"] = \
                spec.generator(task.id).landing_path
    for what, path in spec_path.items():
        own = os.path.isabs(path)
        folders.append((what, data_path(data_dir, path),
                        "set another path for it in the pipeline" if own else DATA_DIR_HINT))
    return folders


def written_by(spec: PipelineSpec, data_dir: str, task: Task, exc: BaseException,
               spark=None) -> str:
    """The folder a task writes (where a full disk hit it): the file an OSError names, else
    the task's own output folder (a step spills to Spark's local folder)."""
    if isinstance(exc, OSError) and exc.filename:
        return os.path.dirname(os.path.abspath(os.fsdecode(exc.filename)))
    if task.kind == "generator":
        return data_path(data_dir, spec.generator(task.id).landing_path)
    if task.kind == "sink":
        return data_path(data_dir, spec.warehouse.path)
    if task.kind == "source":
        return os.path.join(data_dir, QUARANTINE_DIR)
    import tempfile

    local = spark.conf.get("spark.local.dir", None) if spark is not None else None
    return local or tempfile.gettempdir()


def require_apart(spec: PipelineSpec, data_dir: str) -> None:
    """No generator's landing folder is, holds or lies inside another's, the warehouse, `runs/`
    or `quarantine/`, once resolved against `data_dir` (links followed): a landing folder is its
    generator's own (its swap replaces it whole). Validation compares the paths as written, so
    a relative path and an absolute one into the data directory meet only here. SpecError
    (exit 2) at the later landing folder's line, naming the other; before any work."""
    owned = [_Owned("the warehouse", spec.warehouse.path, None),
             _Owned("the runs folder", RUNS_DIR, None),
             _Owned("the quarantine folder", QUARANTINE_DIR, None)]
    for gen in spec.generators:
        if gen.landing_path:
            where = gen.locs.get("landing.path", gen.loc)
            _refuse_overlap(data_dir, gen, where, owned)
            owned.append(_Owned(f"the landing folder of generator {gen.id!r}", gen.landing_path,
                                where))


class _Owned(NamedTuple):
    what: str
    path: str  # as written
    loc: Location | None


def _refuse_overlap(data_dir: str, gen: GeneratorSpec, where: Location | None,
                    others: list[_Owned]) -> None:
    a = _resolved(data_dir, gen.landing_path)
    for other in others:
        b = _resolved(data_dir, other.path)
        if not overlap(a, b):
            continue
        how = "the same folder as" if overlap(a, b, same=True) \
            else "inside" if depth(a) > depth(b) else "a folder holding"
        line = f", line {other.loc.line}" if other.loc and other.loc.line else ""
        which = f", which is {b}" if b != other.path else ""
        mine = f" ({a})" if a != gen.landing_path else ""
        raise SpecError([Problem(
            f"generator {gen.id!r} lands in {gen.landing_path!r}{mine}, {how} {other.what} "
            f"({other.path!r}{line}{which}): its landing would replace or remove the other's "
            "files", where, format_path(("generators", gen.id, "landing", "path")),
            "give each generator a landing folder of its own, outside every other generator's, "
            f"the warehouse, runs/ and quarantine/ (relative paths are under {data_dir})")])


def _resolved(data_dir: str, path: str) -> str:
    """Where `path` from the pipeline is: under the data directory unless absolute, links
    followed (a URI as written)."""
    full = data_path(data_dir, path)
    return full if "://" in full else os.path.realpath(full)
