"""The layer's lock: every distribution the layer installs, pinned to the version the tests ran with.

``layers/herald/requirements.txt`` names what the functions import (with ranges);
``layers/herald/constraints.txt`` pins those and everything they pull in to the versions
installed in the dev environment (``.venv``), where ``make test`` ran. The layer's Makefile
installs with ``-c constraints.txt``, so what deploys is what was tested.

``make lock`` (``python -m herald_dev.layer_lock``) rewrites the constraints from the dev
environment; ``tests/unit/test_layer.py`` fails when the two have drifted apart.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from herald_dev.local.template import REPO_ROOT

LAYER = REPO_ROOT / "layers" / "herald"
REQUIREMENTS = LAYER / "requirements.txt"
CONSTRAINTS = LAYER / "constraints.txt"
HEADER = """\
# The layer's dependencies, pinned to the versions `make test` ran with (generated from .venv
# by `make lock`; tests/unit/test_layer.py fails when this file and .venv disagree).
# layers/herald/Makefile installs requirements.txt under these constraints.
"""


def requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """The top-level requirements of the layer."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            found.append(Requirement(line))
    return found


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Every distribution ``roots`` need in this environment → its installed version.

    Markers are evaluated for the Lambda runtime's Python (3.12, Linux); extras are followed
    only where a requirement asks for them.
    """
    environment = {
        **default_environment(),
        "python_version": "3.12",
        "python_full_version": "3.12.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
    }
    pinned: dict[str, str] = {}
    todo = [(r, frozenset(r.extras)) for r in roots]
    seen: set[tuple[str, frozenset]] = set()
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        # PackageNotFoundError when not installed: the dev environment lacks a dependency
        distribution = metadata.distribution(requirement.name)
        pinned[name] = distribution.version
        for raw in distribution.requires or []:
            dependency = Requirement(raw)
            wanted = [{**environment, "extra": e} for e in extras] or [{**environment, "extra": ""}]
            if dependency.marker is None or any(dependency.marker.evaluate(w) for w in wanted):
                todo.append((dependency, frozenset(dependency.extras)))
    return dict(sorted(pinned.items()))


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}=={version}\n" for name, version in pins.items())


def read(path: Path = CONSTRAINTS) -> dict[str, str]:
    """The pins of a constraints file (name → version)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def main() -> int:
    text = render(closure(requirements()))
    CONSTRAINTS.write_text(text, encoding="utf-8")
    print(f"wrote {CONSTRAINTS.relative_to(REPO_ROOT)} ({text.count('==')} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
