"""Real file-system faults for tests: a tiny disk that fills up, a read-only view of a folder.

Both need `mount` (root, as on the project's machines and CI). Elsewhere the tests using them
skip, except under CI=true, where a test that cannot make its fault fails instead of passing
unseen.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess

import pytest


def _mount(*args: str) -> None:
    out = subprocess.run(["mount", *args], capture_output=True, text=True)
    if out.returncode != 0:
        why = f"cannot mount ({out.stderr.strip() or out.returncode}): needs root"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@contextlib.contextmanager
def small_disk(folder, size: str = "3m"):
    """`folder` becomes a tmpfs of `size` (kernel units: 64k, 3m) until the block ends."""
    os.makedirs(folder, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    try:
        yield str(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@contextlib.contextmanager
def read_only_view(source, folder):
    """`folder` shows `source` read-only (a bind mount: even root cannot write through it)."""
    os.makedirs(folder, exist_ok=True)
    _mount("--bind", "-o", "ro", str(source), str(folder))
    try:
        yield str(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder, leave: int = 0) -> str:
    """Fill the disk holding `folder` with one file until fewer than `leave` bytes are free
    (0: until a write fails with ENOSPC). Returns the filler's path: remove it to free space."""
    path = os.path.join(str(folder), "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    chunk = b"\0" * 4096
    try:
        while not leave or _free(folder) > leave:
            os.write(fd, chunk)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)
    return path


def _free(folder) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize
