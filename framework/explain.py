"""Explains a plan without running it: a rich tree for people, a JSON document for machines.

Both walk the plan's typed tasks: the JSON gives each task's own fields (`Task.facts`), the tree its
`headline` and `notes`; neither knows the kinds of task by name.
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape as _markup
from rich.syntax import Syntax
from rich.tree import Tree

from framework.dialects import spark_ident
from framework.plan import Plan, Task
from framework.templating import render_sql
from framework.text import printable, printable_lines

_TITLES = {
    "views": "SQL views",
    "prepare": "Prepare",
    "generate": "Generate raw data",
    "read": "Read sources",
    "transform": "Transform",
    "publish": "Publish warehouse tables",
}
# a note's first word, coloured
_NOTE_STYLES = {"cache": "yellow", "broadcast": "magenta", "check": "blue"}


def escape(text: str) -> str:
    """Shown as written: markup escaped, control characters and line breaks (which would break
    the tree) escaped too; a value in a step's params may hold anything."""
    return _markup(printable(text))


def rendered_sql(task: Task) -> str | None:
    """A SQL step's text with each ref() shown as the step output it names."""
    sql = getattr(task, "sql", None)
    if not sql:
        return None
    return render_sql(sql, ref=spark_ident)


def plan_json(plan: Plan) -> dict[str, Any]:
    stages = []
    for stage in plan.stages:
        tasks = []
        for t in stage.tasks:
            entry = {"key": t.key, "kind": t.kind, "id": t.id, "deps": list(t.deps),
                     "consumers": list(t.consumers), **t.facts()}
            if getattr(t, "cache", None):
                entry["cache"] = {"storage_level": t.cache, "reason": t.cache_reason}
            if sql := rendered_sql(t):
                entry["rendered_sql"] = sql
            tasks.append(entry)
        stages.append({"name": stage.name, "tasks": tasks})
    return {"pipeline": plan.pipeline, "file": plan.file, "spec_hash": plan.spec_hash,
            "data_dir": plan.data_dir, "selection": list(plan.selection),
            "prepare": list(plan.prepare), "stages": stages}


def plan_json_text(plan: Plan) -> str:
    return json.dumps(plan_json(plan), indent=2, sort_keys=False, default=str)


def plan_tree(plan: Plan) -> Tree:
    root = Tree(f"[bold]pipeline[/] {escape(plan.pipeline)}  [dim]{escape(plan.file)}[/]")
    for stage in plan.stages:
        if not stage.tasks:
            continue
        title = _TITLES.get(stage.name, stage.name.capitalize())
        count = f" ({len(stage.tasks)})" if stage.name != "prepare" else ""
        branch = root.add(f"[bold cyan]{title}[/]{count}")
        for task in stage.tasks:
            _add_task(branch, task)
    return root


def _add_task(branch: Tree, task: Task) -> None:
    node = branch.add(f"[green]{escape(task.id)}[/] {escape(task.headline())}")
    for note in task.notes():
        word, _, rest = note.partition(" ")
        style = _NOTE_STYLES.get(word)
        node.add(f"[{style}]{word}[/] {escape(rest)}" if style else escape(note))
    if sql := rendered_sql(task):
        node.add(Syntax(printable_lines(sql.strip()), "sql", theme="ansi_dark", word_wrap=True))
