#!/usr/bin/env python3
"""Render every SQL template and macro for each dialect into tests/sql/golden/ (then review the
diff with `git diff tests/sql/golden`). tests/sql/test_golden_sql.py fails until this is run
after a change to sql_templates/."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sql.golden_sql import GOLDEN, write_golden  # noqa: E402


def main() -> int:
    written, removed = write_golden()
    for name in written:
        print(f"wrote   {GOLDEN.name}/{name}")
    for name in removed:
        print(f"removed {GOLDEN.name}/{name}")
    if not written and not removed:
        print("golden SQL is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
