"""The error corpus: every malformed pipeline under tests/fixtures/bad/ and what it must report.

Each fixture says what it expects in comments:
    `# expect: fragment; fragment`           a problem on this very line
    `# expect col=7: fragment`               ... at this column
    `# expect line=3 col=1: fragment`        a problem on another line (placed anywhere)
Every fragment must appear in the problem's formatted text (location, path, message, hint), and
the number of reported problems must equal the number of expectations: no noise, nothing missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.testplugin import make_registry
from framework.errors import Location, Problem, SpecError
from framework.validate import load_pipeline

BAD = Path(__file__).parent.parent / "fixtures" / "bad"
EXPECT = re.compile(r"#\s*expect(?:\s+line=(\d+))?(?:\s+col=(\d+))?\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class Expectation:
    line: int
    col: int | None
    fragments: tuple[str, ...]

    def matches(self, problem: Problem) -> bool:
        loc = problem.location
        if loc is None or loc.line != self.line or (self.col is not None and loc.col != self.col):
            return False
        text = problem.format()
        return all(fragment in text for fragment in self.fragments)


def expectations(path: Path) -> list[Expectation]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            at, col, text = match.groups()
            found.append(Expectation(int(at) if at else number, int(col) if col else None,
                                     tuple(f.strip() for f in text.split("; "))))
    return found


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_pipeline(path, registry=make_registry(), env={})
    return info.value.problems


CORPUS = sorted(BAD.glob("*.yaml"))


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 35


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_fixture_reports_exactly_what_it_expects(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect' comment"
    problems = problems_of(path)
    shown = "\n".join(p.format() for p in problems)
    for exp in expected:
        assert any(exp.matches(p) for p in problems), f"missing {exp} in:\n{shown}"
    assert len(problems) == len(expected), f"expected {len(expected)} problems, got:\n{shown}"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_problem_names_the_file_and_line(path: Path) -> None:
    for problem in problems_of(path):
        assert problem.location is not None and problem.location.line >= 1
        assert problem.format().startswith(f"{path}:{problem.location.line}")


def test_several_mistakes_come_back_sorted_by_line() -> None:
    problems = problems_of(BAD / "several_mistakes.yaml")
    lines = [p.location.line for p in problems if p.location]
    assert lines == sorted(lines) and len(lines) == 7


def test_expectation_parser_can_fail() -> None:
    exp = Expectation(3, 1, ("unknown key",))
    assert not exp.matches(Problem("unknown key 'x'", None))
    assert not exp.matches(Problem("something else", Location("f.yaml", 3, 1)))
    assert not exp.matches(Problem("unknown key 'x'", Location("f.yaml", 3, 2)))
    assert exp.matches(Problem("unknown key 'x'", Location("f.yaml", 3, 1)))
