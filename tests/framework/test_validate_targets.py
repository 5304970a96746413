"""Validation of what a run writes: generators' landing folders and PostgreSQL column names."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.testplugin import make_registry
from framework.errors import SpecError
from framework.validate import load_pipeline


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_pipeline(path, registry=make_registry(), env={})
    return [p.format() for p in info.value.problems]


def _generators(first: str, second: str) -> str:
    gen = "{generator: shop, params: {users: 5}, "
    return ("pipeline: x\ngenerators:\n"
            f"  one: {gen}landing: {{path: '{first}'}}}}\n"
            f"  two: {gen}landing: {{path: '{second}'}}}}\n")


@pytest.mark.parametrize(("first", "second", "how"), [
    ("raw", "raw", "the folder of"),
    ("raw/shop", "./RAW//shop/", "the folder of"),  # as written, in any case
    ("raw", "raw/users", "a folder overlapping"),  # one's table folder is the other's folder
    ("/abs/raw/users", "/abs/raw", "a folder overlapping"),
])
def test_two_generators_never_share_a_landing_folder(tmp_path: Path, first: str, second: str,
                                                     how: str) -> None:
    [problem] = _problems(tmp_path, _generators(first, second))
    assert problem.startswith(f"{tmp_path / 'p.yaml'}:4:")  # at the second generator
    assert (f"generator 'two' lands in '{second}', {how} the landing folder of generator "
            f"'one' ('{first}', line 3)") in problem


@pytest.mark.parametrize("landing", ["warehouse/raw", "runs", "Quarantine/x", "."])
def test_a_landing_folder_inside_a_folder_the_run_writes_is_refused(tmp_path: Path,
                                                                   landing: str) -> None:
    [problem] = _problems(tmp_path, _generators("raw/a", landing))
    assert f"generator 'two' lands in '{landing}'" in problem and ":4:" in problem


def test_separate_landing_folders_and_a_relative_beside_an_absolute_one_are_kept(
        tmp_path: Path) -> None:
    for first, second in [("raw/a", "raw/ab"), ("raw", "/raw")]:
        path = tmp_path / "p.yaml"
        path.write_text(_generators(first, second), encoding="utf-8")
        spec = load_pipeline(path, registry=make_registry(), env={})
        assert [g.landing_path for g in spec.generators] == [first, second]


def test_a_declared_column_postgres_would_cut_is_refused_at_the_sink(tmp_path: Path) -> None:
    long_name = "n" * 63 + "é"  # 65 bytes in UTF-8
    text = ("pipeline: x\nwarehouse: {postgres: {dsn: 'postgresql://h/db'}}\nsources:\n"
            f"  s: {{path: p, format: csv, schema: {{columns: {{id: int, {long_name}: int}}}}}}\n"
            "sinks:\n"
            "  t: {from: s, targets: [parquet, postgres]}\n"
            "  u: {from: s, targets: [parquet]}\n")
    [problem] = _problems(tmp_path, text)
    assert f"{tmp_path / 'p.yaml'}:6:" in problem and "sinks.t.from" in problem
    assert f"sink 't' loads column '{long_name}' of source 's' into PostgreSQL" in problem
    assert "65 bytes" in problem and "rename the column in a step" in problem


def test_a_generator_id_is_an_identifier(tmp_path: Path) -> None:
    text = ("pipeline: x\ngenerators:\n  '../../out': {generator: shop, params: {users: 5}, "
            "landing: {path: raw}}\n")
    [problem] = _problems(tmp_path, text)
    assert ":3:" in problem and "'../../out' is not a valid generator id" in problem


def test_folders_a_run_writes_never_climb_out_of_the_data_dir(tmp_path: Path) -> None:
    text = ("pipeline: x\nwarehouse: {path: '../../ESCWH'}\ngenerators:\n"
            "  one: {generator: shop, params: {users: 5}, landing: {path: 'raw/../../up'}}\n"
            "  two: {generator: shop, params: {users: 5}, landing: {path: '/abs/ok'}}\n")
    problems = _problems(tmp_path, text)
    assert any(":2:" in p and "'../../ESCWH' climbs out of the data directory" in p
               for p in problems), problems
    assert any(":4:" in p and "'raw/../../up', which climbs out" in p for p in problems)
    assert not any("'/abs/ok'" in p for p in problems)


def test_a_relative_folder_that_stays_inside_is_fine() -> None:
    from framework.validate import climbs_out

    assert [climbs_out(p) for p in ("raw", "a/../b", "./x", "/abs/..", "..", "a/../../b",
                                    "s3a://b/../x", "")] == \
        [False, False, False, False, True, True, False, False]
