"""The SQL every template and macro renders to, per dialect, is the reviewed golden copy in
tests/sql/golden/ (update with `python scripts/update_golden_sql.py`, then review the diff)."""

from __future__ import annotations

import difflib

import pytest

from tests.sql.golden_sql import golden_files, on_disk

UPDATE = "run `python scripts/update_golden_sql.py` and review `git diff tests/sql/golden`"


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    return golden_files()


def test_every_template_has_its_golden_copy_and_no_other(fresh) -> None:
    stored = on_disk()
    assert sorted(set(fresh) - set(stored)) == [], f"not in the golden copy: {UPDATE}"
    assert sorted(set(stored) - set(fresh)) == [], f"golden files no template makes: {UPDATE}"


def test_both_dialects_cover_the_same_templates(fresh) -> None:
    spark = {n.split("/", 1)[1] for n in fresh if n.startswith("spark/")}
    postgres = {n.split("/", 1)[1] for n in fresh if n.startswith("postgres/")}
    assert spark == postgres and "macros.sql" in spark


def test_rendered_sql_matches_the_golden_copy(fresh) -> None:
    stored = on_disk()
    diffs = []
    for name in sorted(set(fresh) & set(stored)):
        if fresh[name] != stored[name]:
            diffs += difflib.unified_diff(stored[name].splitlines(), fresh[name].splitlines(),
                                          f"golden/{name}", f"rendered/{name}", lineterm="")
    assert not diffs, "\n".join([f"the rendered SQL changed: {UPDATE}", *diffs[:200]])
