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
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.count("\\x1bc") == 4 and "\\u202e" in text


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
