"""Files written whole or not at all: a reader never sees half a file, a failure keeps the old one.

The text goes to a temporary file beside the target (`<name>.<thread>.tmp`: one per thread, as
sinks publish in parallel), which is renamed over the target once written; a failed write (a full
disk) removes the temporary file, so the target keeps its old content, and removes the folders it
made for the target.
"""

from __future__ import annotations

import contextlib
import os
import threading


def write_text(path: str | os.PathLike[str], text: str, make_folders: bool = False) -> None:
    """Write `text` (UTF-8) to `path` atomically; `make_folders` creates its missing folders
    (removed again, when empty, if the write fails)."""
    path = os.fspath(path)
    made = _make_folders(os.path.dirname(os.path.abspath(path))) if make_folders else []
    tmp = f"{path}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        for folder in reversed(made):  # deepest first; one another writer filled stays
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise


def _make_folders(folder: str) -> list[str]:
    """Create `folder` and its missing parents; the ones created, outermost first."""
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    made = []
    try:
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except FileExistsError:  # made meanwhile by another writer: theirs to keep
                if not os.path.isdir(folder):
                    raise
                continue
            made.append(folder)
    except BaseException:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        raise
    return made
