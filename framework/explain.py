"""Explains a plan without running it: a rich tree for people, a JSON document for machines."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.markup import escape as _markup
from rich.syntax import Syntax
from rich.tree import Tree

from framework.plan import Plan, Task
from framework.templating import render_sql
from framework.text import printable, printable_lines

_TITLES = {
    "generate": "Generate raw data",
    "read": "Read sources",
    "transform": "Transform",
    "publish": "Publish warehouse tables",
}


def escape(text: str) -> str:
    """Shown as written: markup escaped, control characters and line breaks (which would break
    the tree) escaped too; a value in a step's params may hold anything."""
    return _markup(printable(text))


def rendered_sql(task: Task) -> str | None:
    """A SQL step's text with each ref() shown as the step output it names."""
    sql = task.detail.get("sql")
    if not sql:
        return None
    return render_sql(sql, ref=lambda name: f"`{name}`")


def plan_json(plan: Plan) -> dict[str, Any]:
    stages = []
    for stage in plan.stages:
        tasks = []
        for t in stage.tasks:
            entry = {"key": t.key, "kind": t.kind, "id": t.id, "deps": list(t.deps),
                     "consumers": list(t.consumers), **t.detail}
            if t.cache:
                entry["cache"] = {"storage_level": t.cache, "reason": t.cache_reason}
            if t.detail.get("sql"):
                entry["rendered_sql"] = rendered_sql(t)
            tasks.append(entry)
        stages.append({"name": stage.name, "tasks": tasks})
    return {"pipeline": plan.pipeline, "file": plan.file, "spec_hash": plan.spec_hash,
            "data_dir": plan.data_dir, "selection": list(plan.selection),
            "prepare": list(plan.prepare), "stages": stages}


def plan_json_text(plan: Plan) -> str:
    return json.dumps(plan_json(plan), indent=2, sort_keys=False, default=str)


def plan_tree(plan: Plan) -> Tree:
    root = Tree(f"[bold]pipeline[/] {escape(plan.pipeline)}  [dim]{escape(plan.file)}[/]")
    prep = root.add("[bold cyan]Prepare[/]")
    for folder in plan.prepare:
        prep.add(f"folder {escape(folder)}")
    prep.add("clean staging leftovers of interrupted runs")
    for stage in plan.stages:
        if stage.name not in _TITLES or not stage.tasks:
            continue
        branch = root.add(f"[bold cyan]{_TITLES[stage.name]}[/] ({len(stage.tasks)})")
        for task in stage.tasks:
            _add_task(branch, task)
    return root


def _add_task(branch: Tree, task: Task) -> None:
    d = task.detail
    if task.kind == "generator":
        node = branch.add(f"[green]{escape(task.id)}[/] generator [bold]{escape(d['generator'])}[/]"
                          f" -> {escape(d['landing'])} ({d['format']})")
        node.add("params: " + escape(", ".join(f"{k}={v}" for k, v in d["params"].items())))
    elif task.kind == "source":
        node = branch.add(f"[green]{escape(task.id)}[/] {d['format']} {escape(d['path'])}")
        node.add(f"schema: {escape(_columns(d['schema']))}")
        node.add(f"malformed rows: {d['on_malformed']}; "
                 + ("0 rows allowed" if d["allow_empty"] else "0 rows refuse the run"))
        if d.get("encoding"):
            node.add(f"encoding: {escape(d['encoding'])}")
    elif task.kind == "step":
        node = branch.add(f"[green]{escape(task.id)}[/] = [bold]{escape(d['transform'])}[/]"
                          f"({escape(', '.join(d['inputs']))})")
        _add_step_facts(node, task)
    else:
        node = branch.add(f"[green]{escape(task.id)}[/] <- {escape(d['from'])}  "
                          f"[dim]{escape(d['path'])}[/]")
        node.add(f"mode {d['mode']}, {d['compression']}, targets {', '.join(d['targets'])}")
        if d.get("postgres_table"):
            node.add(f"PostgreSQL table {escape(d['postgres_table'])} (COPY into staging, "
                     f"swapped in one transaction)")
        if d.get("partition_by"):
            node.add("partitioned by " + ", ".join(d["partition_by"]))
        if d.get("repartition"):
            node.add(_repartition_text(d["repartition"]))
    if task.cache:
        node.add(f"[yellow]cache[/] {task.cache} ({task.cache_reason}); released after its "
                 f"last consumer")


def _add_step_facts(node: Tree, task: Task) -> None:
    d = task.detail
    if d.get("params"):
        node.add("params: " + escape(", ".join(f"{k}={v}" for k, v in d["params"].items())))
    if d.get("broadcast"):
        node.add("[magenta]broadcast[/] " + ", ".join(d["broadcast"]))
    if d.get("repartition"):
        node.add(_repartition_text(d["repartition"]))
    sql = rendered_sql(task)
    if sql:
        node.add(Syntax(printable_lines(sql.strip()), "sql", theme="ansi_dark", word_wrap=True))


def _columns(ddl: str) -> str:
    """`a` string, `b` int -> "2 declared columns: a, b" (the whole DDL is in the JSON plan)."""
    if ddl == "inferred":
        return "inferred (an extra pass over the data)"
    names = re.findall(r"`((?:[^`]|``)*)`", ddl)
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"{len(names)} declared columns: {shown}"


def _repartition_text(rep: dict) -> str:
    if rep.get("coalesce"):
        return f"coalesce to {rep['num']} partition(s) before writing"
    by = f" by {', '.join(rep['by'])}" if rep.get("by") else ""
    num = f" into {rep['num']}" if rep.get("num") else ""
    return f"repartition{num}{by}"
