"""Whatever reaches the terminal shows control characters escaped: a file name or a row that
holds ESC sequences (a full terminal reset `ESC c`, colours, a title change) never drives it."""

from __future__ import annotations

import io
import sys

from rich.console import Console as RichTerminal

from framework.errors import EtlError, Location, Problem, SpecError
from framework.richconsole import RichConsole
from framework.text import printable_lines

EVIL = "land/users/evil\x1bc\x1b]0;pwned\x07\x1b[31mRED\u202e.csv"


def _terminal() -> tuple[RichTerminal, io.StringIO]:
    out = io.StringIO()
    return RichTerminal(file=out, force_terminal=False, width=400, highlight=False), out


def test_printable_lines_keeps_line_breaks_and_escapes_the_rest():
    assert printable_lines("a\x1bb\nc\td") == "a\\x1bb\nc\\x09d"


def test_the_console_escapes_what_it_is_given():
    term, out = _terminal()
    console = RichConsole(term)
    console.warn(f"found {EVIL}")
    console.info(EVIL)
    console.task_finished("sink:t", "failed", EVIL)
    console.summary("t", ["table", "file"], [["t", EVIL]])
    console.show(f"FAILED a test\n  extra {{name: {EVIL}}}")  # a test's diff quotes data
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.count("\\x1bc") == 5 and "\\u202e" in text


def test_the_cli_error_report_escapes_messages_hints_and_problems(capsys, monkeypatch):
    from framework import cli

    monkeypatch.setattr(cli, "_terminal", lambda stderr=False: RichTerminal(
        file=sys.stderr, width=400, highlight=False))
    cli._report(EtlError(f"landing folder holds {EVIL}", hint=f"move {EVIL}"), [])
    cli._report(SpecError([Problem(f"bad {EVIL}", Location("p.yaml", 3, 1), "x", "fix it")]), [])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err.count("\\x1bc") == 3 and "hint:" in err


def test_human_size_reads_as_a_person_would():
    from framework.text import human_size

    assert [human_size(n) for n in (0, 1023, 1536, 5 * 1024**2, 3 * 1024**3, 2048 * 1024**3)] == \
        ["0 B", "1023 B", "1.5 KB", "5.0 MB", "3.0 GB", "2048.0 GB"]


def test_the_plan_tree_shows_params_and_sql_escaped(tmp_path):
    from rich.console import Console

    from framework.explain import plan_tree
    from framework.plan import build_plan
    from framework.validate import load_pipeline

    path = tmp_path / "p.yaml"
    path.write_text("pipeline: p\nvars: {v: x}\nsources:\n"
                    "  a: {path: a.csv, format: csv, schema: {columns: {c: string}}}\n"
                    "steps:\n  - {id: f, transform: filter, input: a,"
                    " params: {condition: \"c = '\\e[31m${v}'\"}}\n"
                    "  - {id: s, sql: \"select '\\e]0;t\\a' as t from {{ ref('f') }}\"}\n"
                    "sinks:\n  t: {from: s}\n")
    spec = load_pipeline(str(path), overrides={"v": "1\n\x1b[2J"})
    console = Console(record=True, width=300, force_terminal=False)
    console.print(plan_tree(build_plan(spec, str(tmp_path))))
    text = console.export_text()
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31m1\\x0a\\x1b[2J" in text and "\\x1b]0;t\\x07" in text


def test_etl_runs_shows_a_hostile_record_escaped(tmp_path):
    import json

    from click.testing import CliRunner

    from framework.cli import cli

    folder = tmp_path / "runs" / "d"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(
        {"run_id": "d\x1b[2J", "status": "succeeded\x1b]0;x\x07", "pipeline": "p\u202e",
         "error": "bad \x1bc", "tasks": []}))
    out = CliRunner().invoke(cli, ["runs", "--data-dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "\x1b" not in out.output and "\u202e" not in out.output and "\x07" not in out.output
    assert "\\x1b[2J" in out.output and "\\u202e" in out.output
