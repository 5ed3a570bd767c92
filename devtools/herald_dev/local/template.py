"""Read template.yaml (CloudFormation tags included) and resolve its intrinsic functions.

The local runner and the tests take every resource shape, environment variable, route and
event pattern from here, so what runs locally cannot drift from what deploys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
NO_VALUE = object()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 10x faster
    pass


def _tag(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short in (
    "Ref",
    "GetAtt",
    "Sub",
    "If",
    "Not",
    "Equals",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Condition",
):
    _full = (
        "Ref" if _short == "Ref" else ("Condition" if _short == "Condition" else f"Fn::{_short}")
    )
    _Loader.add_constructor(f"!{_short}", _tag(_full))


def load(path: Path = TEMPLATE_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)


@dataclass
class Resolver:
    """Resolves Ref / GetAtt / Sub / If against local physical ids and parameter values."""

    template: dict
    parameters: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)  # logical id -> Ref value
    attrs: dict = field(default_factory=dict)  # (logical id, attribute) -> value
    region: str = "us-east-1"

    def parameter_values(self, overrides: dict | None = None) -> dict:
        values = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            values[name] = str(spec.get("Default", ""))
        values.update({k: str(v) for k, v in (overrides or {}).items()})
        self.parameters = values
        return values

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "herald-local",
        }.get(name)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if (value := self.pseudo(name)) is not None:
            return value
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise KeyError(f"template Ref to {name!r} has no local value")

    def getatt(self, name: str, attr: str) -> Any:
        try:
            return self.attrs[(name, attr)]
        except KeyError:
            raise KeyError(f"template GetAtt {name}.{attr} has no local value") from None

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            out = [self.resolve(v) for v in node]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.getatt(*arg)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                cond, yes, no = arg
                return self.resolve(yes if self.condition(cond) else no)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::Equals":
                a, b = (self.resolve(v) for v in arg)
                return str(a) == str(b)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(v) for v in self.resolve(items))
        out = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(m: re.Match) -> str:
            name = m.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, attr = name.split(".", 1)
                return str(self.getatt(logical, attr))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


@dataclass(frozen=True)
class FunctionSpec:
    """A function as the template declares it, environment resolved."""

    logical_id: str
    code_uri: str
    handler: str
    environment: dict
    events: dict


def functions(template: dict, resolver: Resolver) -> dict[str, FunctionSpec]:
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    global_env = (globals_fn.get("Environment") or {}).get("Variables") or {}
    specs = {}
    for logical_id, res in template["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        env = {**global_env, **((props.get("Environment") or {}).get("Variables") or {})}
        specs[logical_id] = FunctionSpec(
            logical_id,
            props["CodeUri"],
            props.get("Handler", globals_fn.get("Handler", "app.lambda_handler")),
            {k: str(v) for k, v in resolver.resolve(env).items()},
            props.get("Events") or {},
        )
    return specs
