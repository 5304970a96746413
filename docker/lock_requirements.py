"""Print docker/requirements.txt: sparketl's runtime dependencies and everything they pull in,
pinned to the versions installed in the running environment (the project's tested venv).

    .venv/bin/python docker/lock_requirements.py > docker/requirements.txt

Only the `[project].dependencies` closure is written (no dev extras: pytest, ruff, ...).
Markers are evaluated for this interpreter and platform, which is what the image runs:
Linux, CPython of the same minor version (see the Dockerfile's PYTHON_VERSION).
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys

from packaging.requirements import Requirement

HEADER = """\
# The image's Python packages, every one pinned: sparketl's runtime dependencies (pyproject.toml
# [project].dependencies) and what they pull in, as resolved in the project's tested venv.
# pyspark must equal the Spark version of the apache/spark image in Dockerfile and compose.yaml
# (tests/docker/test_compose.py checks all three against each other and pyproject's ranges).
# Regenerate after a dependency changes (from the repository root, in the venv):
#   python docker/lock_requirements.py > docker/requirements.txt
"""


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str = "sparketl") -> dict[str, tuple[str, str]]:
    """normalized name -> (name as published, installed version), `root` itself left out."""
    found: dict[str, tuple[str, str]] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if _key(name) in found:
            continue
        dist = md.distribution(name)
        found[_key(name)] = (dist.metadata["Name"], dist.version)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    found.pop(_key(root), None)
    return found


def main() -> int:
    sys.stdout.write(HEADER)
    for _, (name, version) in sorted(closure().items()):
        sys.stdout.write(f"{name}=={version}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
