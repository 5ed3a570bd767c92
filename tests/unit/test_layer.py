"""The Lambda layer holds what the functions import, and its requirements list exactly that."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.conftest import REPO

LAYER = REPO / "layers" / "herald"
# Distribution names of the top-level modules the functions may import.
# Not boto3: Herald's code uses botocore directly, and what nothing imports stays out.
DISTRIBUTIONS = {
    "botocore": "botocore",
    "aws_lambda_powertools": "aws-lambda-powertools",
    "pynamodb": "pynamodb",
    "zen": "zen-engine",
    "liquid": "python-liquid",
    "pydantic": "pydantic",
}


def _top_level_imports(files: list[Path]) -> set[str]:
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def _shipped_code() -> list[Path]:
    return [*LAYER.joinpath("herald").rglob("*.py"), *REPO.joinpath("functions").glob("*/app.py")]


def _requirements() -> set[str]:
    names = set()
    for line in (LAYER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line.split("==")[0].split(">=")[0].split("<")[0].split("[")[0].strip())
    return names


def test_the_layer_requires_exactly_what_the_functions_import():
    imported = _top_level_imports(_shipped_code())
    third_party = {
        name
        for name in imported
        if name not in sys.stdlib_module_names and name not in {"herald", "functions"}
    }
    # Nothing but the known dependencies (no local tooling, no test or dev packages) ...
    unknown = third_party - set(DISTRIBUTIONS)
    assert unknown == set(), f"the layer imports packages it doesn't ship: {unknown}"
    # ... and every one of them listed, with nothing listed that nothing imports
    needed = {DISTRIBUTIONS[name] for name in third_party & set(DISTRIBUTIONS)}
    assert _requirements() == needed


def test_no_local_tooling_is_left_in_the_layer():
    names = {
        p.relative_to(LAYER / "herald").as_posix() for p in _shipped_code() if LAYER in p.parents
    }
    assert not [n for n in names if n.startswith(("local/", "cli", "rulesfiles", "faults", "dlq"))]
    assert "herald_dev" not in _top_level_imports(_shipped_code())


def test_the_layer_is_pinned_to_the_versions_the_tests_run_with():
    from herald_dev import layer_lock

    # Given the dev environment these tests run in, When the lock is computed from it,
    # Then constraints.txt says exactly that: every distribution the layer installs, at the
    # version installed here (run `make lock` after changing a dependency)
    expected = layer_lock.closure(layer_lock.requirements())
    pinned = layer_lock.read()
    assert pinned == expected, "layers/herald/constraints.txt drifted from .venv: run `make lock`"
    assert {"pydantic", "pydantic-core", "zen-engine", "botocore"} <= set(pinned)
    # and the layer's Makefile installs under those constraints
    assert "-c constraints.txt" in (LAYER / "Makefile").read_text()


def test_the_project_declares_every_layer_requirement():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from herald_dev import layer_lock

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    layer = {canonicalize_name(r.name) for r in layer_lock.requirements()}
    assert layer <= declared
