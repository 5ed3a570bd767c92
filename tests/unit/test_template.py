"""template.yaml as CloudFormation will see it after the SAM transform."""

from __future__ import annotations

import ast
import re
from dataclasses import fields

import pytest

from herald.settings import Settings
from herald_dev.local import template as tpl
from tests.conftest import REPO


@pytest.fixture(scope="module")
def transformed() -> dict:
    import os

    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    doc, problems = decode(str(REPO / "template.yaml"))
    assert not problems
    for resource in doc["Resources"].values():  # sam build uploads these; any S3 URI will do
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:
                props[key] = "s3://bucket/key"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(doc, {}, NoManagedPolicies())


def _references(node, found: set) -> set:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(re.findall(r"\$\{([^}.!]+)", text))
                _references(value if isinstance(value, str) else value[1], found)
            else:
                _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)
    return found


def test_the_deployed_template_has_no_circular_dependency(transformed):
    resources = transformed["Resources"]
    edges = {}
    for name, resource in resources.items():
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else depends
        edges[name] = {
            d
            for d in _references(resource.get("Properties", {}), set()) | set(depends)
            if d in resources
        }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in edges[node]:
            assert state.get(target) != 1, (
                f"circular dependency: {' -> '.join([*path, node, target])}"
            )
            if target not in state:
                visit(target, [*path, node])
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [])


def test_every_function_points_at_a_handler_that_exists():
    for spec in tpl.functions(tpl.load(), _resolver()).values():
        module, _, function = spec.handler.partition(".")
        source = REPO / spec.code_uri / f"{module}.py"
        assert source.exists(), spec.logical_id
        names = set()
        for node in ast.parse(source.read_text()).body:  # `def handler` or `handler = ...`
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        assert function in names, spec.logical_id


def test_every_environment_variable_is_a_setting_herald_reads():
    known = {f.name.upper() for f in fields(Settings)} | {"AWS_REGION"}
    for spec in tpl.functions(tpl.load(), _resolver()).values():
        ours = {k for k in spec.environment if not k.startswith("POWERTOOLS_")}
        assert ours <= known, f"{spec.logical_id}: {sorted(ours - known)}"


def _resolver() -> tpl.Resolver:
    from herald_dev.local import stack

    return stack.describe().resolver
