"""The command that reruns what a failed or interrupted run did not finish. Pure: the plan's
tasks and each task's status in, one line of advice out."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence

from framework.masking import mask_var
from framework.plan import Task

UNFINISHED = ("failed", "running", "pending")
_RERUNNABLE = ("step", "sink")  # what `--select` reruns; sources and generators come along
_SELECTABLE = ("generator", "source", "step", "sink")  # the names `--select` knows


def rerun_command(file: str, overrides: Sequence[str], data_dir: str,
                  secret_vars: Sequence[str] = (), target: str | None = None) -> str:
    """`etl run` of this file with the same --var overrides, target and data folder; a secret's
    value is never repeated."""
    parts = ["etl", "run", file] + (["--target", target] if target else [])
    for override in overrides:
        name, _, value = override.partition("=")
        parts += ["--var", f"{name}={mask_var(name, value, list(secret_vars))}"]
    if os.path.abspath(data_dir) != os.path.abspath("data"):
        parts += ["--data-dir", data_dir]
    return " ".join(shlex.quote(p) for p in parts)


def rerun_hint(tasks: Sequence[Task], status: Mapping[str, str], command: str,
               selection: Sequence[str] = (), first_failed: str | None = None) -> str:
    """Each unfinished step or sink that no other unfinished one feeds, with what depends on it
    (`first_failed` first, then plan order). With tasks in parallel these can be on separate
    branches: a sink that was still waiting when another branch failed is named too. When
    nothing finished, the whole command again (with its selection)."""
    rerunnable = [t for t in tasks if t.kind in _RERUNNABLE]
    unfinished = {t.key for t in rerunnable if status.get(t.key) in UNFINISHED}
    by_key = {t.key: t for t in tasks}

    def fed_by_unfinished(key: str) -> bool:
        todo, seen = list(by_key[key].deps), set()
        while todo:
            dep = todo.pop()
            if dep in unfinished:
                return True
            if dep not in seen and dep in by_key:
                seen.add(dep)
                todo.extend(by_key[dep].deps)
        return False

    roots = [t for t in tasks if t.key in unfinished and not fed_by_unfinished(t.key)]
    roots.sort(key=lambda t: t.key != first_failed)  # stable: plan order after
    if not roots or unfinished == {t.key for t in rerunnable}:
        again = "".join(f" --select {shlex.quote(s)}" for s in selection)
        return f"fix the cause above, then run again: {command}{again}"
    owners: dict[str, int] = {}
    for t in (t for t in tasks if t.kind in _SELECTABLE):
        owners[t.id] = owners.get(t.id, 0) + 1
    select = " ".join(f"--select {t.key if owners[t.id] > 1 else t.id}"
                      + ("+" if t.kind == "step" else "") for t in roots)
    return (f"fix the cause above; tables not published by this run are unchanged. Rerun "
            f"only what did not finish: {command} {select}")
