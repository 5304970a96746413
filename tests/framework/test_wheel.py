"""The built wheel holds what an installed `etl` reads besides its Python code: the built-in SQL
macros and table DDL (framework/sql) and the report page's assets. Built from a copy of the
project (the checkout is left as it is), unpacked, and used from a folder outside the checkout:
a new pipeline (`etl init`) renders its PostgreSQL DDL and views from the wheel's files alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("framework", "transforms"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    out = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--no-index", "-q", "-w", str(out), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = out.glob("sparketl-*.whl")
    return wheel


def test_the_wheel_carries_the_sql_and_report_files_an_install_reads(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {p.relative_to(ROOT).as_posix() for p in (ROOT / "framework").rglob("*")
                if p.is_file() and p.suffix in (".sql", ".j2", ".css", ".js")}
    assert packaged >= {"framework/sql/macros/dialect.sql", "framework/sql/ddl/table.sql",
                        "framework/report/page.html.j2"}
    assert packaged <= names, sorted(packaged - names)

    site, work = tmp_path / "site", tmp_path / "work"
    zipfile.ZipFile(wheel).extractall(site)
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "TERM": "dumb"}

    def etl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "framework.cli", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)

    where = subprocess.run([sys.executable, "-c", "import framework; print(framework.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    made = etl("init", "shop", "--dir", str(work))
    assert made.returncode == 0, made.stdout + made.stderr
    assert not (work / "shop" / "sql" / "macros").exists()  # the new pipeline has none
    out = work / "rendered"
    rendered = etl("sql", "render", str(work / "shop" / "shop.yaml"), "--dialect", "postgres",
                   "--out", str(out), "--data-dir", str(work / "data"))
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    ddl = sorted((out / "ddl").glob("*.sql"))
    assert ddl, sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert all("CREATE TABLE" in p.read_text() for p in ddl)
    assert list((out / "views").glob("*.sql"))
