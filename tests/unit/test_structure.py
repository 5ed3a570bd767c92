"""The shape the code keeps: the domain depends on nothing, data access never on the engine or
rendering, AWS only behind dal/, channels/ and aws/, typed customers and traces across layers,
and no module a hub that most others import."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "layers" / "herald"
AWS_LIBRARIES = ("boto3", "botocore", "pynamodb")


def _modules() -> dict[str, Path]:
    found = {}
    for path in (PACKAGE / "herald").rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts as a.b when that's a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
    return found


def _in(prefix: str) -> dict[str, set[str]]:
    return {
        name: _imports(path)
        for name, path in MODULES.items()
        if name == prefix or name.startswith(prefix + ".")
    }


def _offending(imports: dict[str, set[str]], forbidden: tuple[str, ...]) -> dict[str, list]:
    return {
        name: sorted(i for i in found if i.split(".")[0] in forbidden or i.startswith(forbidden))
        for name, found in imports.items()
        if any(i.split(".")[0] in forbidden or i.startswith(forbidden) for i in found)
    }


@pytest.mark.parametrize("layer", ["herald.service", "herald.admin", "herald.engine"])
def test_the_service_layer_calls_aws_only_through_dal_channels_and_adapters(layer):
    assert _offending(_in(layer), AWS_LIBRARIES) == {}


def test_the_domain_depends_on_nothing_but_itself_and_the_errors():
    for name, found in _in("herald.domain").items():
        herald = {i for i in found if i.startswith("herald")}
        assert herald <= {"herald.errors"} | {i for i in herald if i.startswith("herald.domain")}, (
            name
        )
        assert not [i for i in found if i.split(".")[0] in AWS_LIBRARIES], name


def test_data_access_never_depends_on_the_engine_rendering_or_use_cases():
    forbidden = ("herald.engine", "herald.rendering", "herald.expressions", "herald.service")
    assert _offending(_in("herald.dal"), forbidden) == {}
    assert _offending(_in("herald.dal"), ("herald.admin",)) == {}


def _dict_typed_customers_and_traces(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for arg in [*node.args.args, *node.args.kwonlyargs]:
            name = arg.arg.lower()
            annotation = ast.unparse(arg.annotation) if arg.annotation else ""
            if ("customer" in name or "trace" in name) and "dict" in annotation:
                found.append(f"{path.name}:{node.name}({arg.arg}: {annotation})")
    return found


def test_customers_and_traces_travel_as_domain_objects():
    outside_dal = [p for n, p in MODULES.items() if not n.startswith("herald.dal")]
    assert [hit for p in outside_dal for hit in _dict_typed_customers_and_traces(p)] == []


def test_no_module_is_imported_by_more_than_a_third_of_the_others():
    fan_in = Counter(
        target
        for name, path in MODULES.items()
        for target in _imports(path) & set(MODULES)
        if target != name and target != "herald"
    )
    limit = (len(MODULES) - 1) / 3
    assert {m: n for m, n in fan_in.items() if n > limit} == {}, f"limit {limit:.0f}"
