"""A local interpreter for the state machines template.yaml declares (no Docker, no AWS).

moto's Step Functions can execute a definition but runs Lambda tasks in Docker, so locally the
definition is read from template.yaml and interpreted here, with Lambda tasks invoking the
functions in-process (``invoke(logical_id, payload)``, the way the local runner invokes every
function). What the broadcast state machine uses is supported, and nothing more: Task
(``arn:aws:states:::lambda:invoke``, Parameters, OutputPath, ResultPath, Retry), Choice
(BooleanEquals, StringEquals), Map (ItemsPath, ItemSelector, ItemProcessor, DISTRIBUTED or
INLINE: items run one after another here), Pass, Succeed and Fail. An unknown state type or
JSONPath form is an error, so the definition can't drift from what this runs unnoticed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from herald_dev.local import template as tpl

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
MAX_TRANSITIONS = 1_000_000


class ExecutionFailed(RuntimeError):
    pass


class Stopped(RuntimeError):
    """The execution was stopped (``stop()``), as StopExecution would."""


def _path(doc: Any, path: str, context: dict) -> Any:
    if path == "$":
        return doc
    if path.startswith("$$."):
        doc, keys = context, path[3:].split(".")
    elif path.startswith("$."):
        keys = path[2:].split(".")
    else:
        raise ExecutionFailed(f"unsupported JSONPath {path!r}")
    for key in keys:
        if not isinstance(doc, dict) or key not in doc:
            raise ExecutionFailed(f"States.Runtime: {path} not found")
        doc = doc[key]
    return doc


def _parameters(template: Any, doc: Any, context: dict) -> Any:
    """Parameters / ItemSelector: ``key.$`` takes a path's value, the rest is literal."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _path(doc, value, context)
            else:
                out[key] = _parameters(value, doc, context)
        return out
    if isinstance(template, list):
        return [_parameters(v, doc, context) for v in template]
    return template


def _substitute(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        for name, value in values.items():
            if node == f"${{{name}}}":
                return int(value) if value.isdigit() else value
            node = node.replace(f"${{{name}}}", value)
        return node
    if isinstance(node, dict):
        return {k: _substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values) for v in node]
    return node


@dataclass
class Execution:
    """One run: its states' transitions, the tasks invoked and how many attempts failed."""

    output: Any = None
    transitions: int = 0
    tasks: int = 0
    retried: int = 0
    stopped: bool = False
    history: list[str] = field(default_factory=list)


class StateMachine:
    def __init__(self, definition: dict, invoke: Callable[[str, dict], Any], functions: dict):
        self.definition = definition
        self.invoke = invoke
        self.functions = functions  # the FunctionName the definition names -> logical id
        self.stop_requested = False

    @classmethod
    def from_template(
        cls,
        logical_id: str,
        invoke: Callable[[str, dict], Any],
        template: dict | None = None,
        parameters: dict | None = None,
    ) -> StateMachine:
        """The definition of ``logical_id``, its substitutions resolved: a function's ARN
        stands for its logical id (what ``invoke`` receives), a parameter for its value."""
        template = template or tpl.load()
        props = template["Resources"][logical_id]["Properties"]
        values, functions = {}, {}
        resolver = tpl.Resolver(template)
        params = resolver.parameter_values(parameters)
        for name, ref in (props.get("DefinitionSubstitutions") or {}).items():
            if isinstance(ref, dict) and "Fn::GetAtt" in ref:
                target = ref["Fn::GetAtt"][0]
                values[name] = f"local-function:{target}"
                functions[values[name]] = target
            elif isinstance(ref, dict) and "Ref" in ref:
                values[name] = str(params.get(ref["Ref"], ref["Ref"]))
            else:
                values[name] = str(ref)
        return cls(_substitute(copy.deepcopy(props["Definition"]), values), invoke, functions)

    def stop(self) -> None:
        self.stop_requested = True

    def run(self, payload: dict) -> Execution:
        execution = Execution()
        execution.output = self._machine(self.definition, payload, {}, execution)
        return execution

    # ------------------------------------------------------------------ states
    def _machine(self, machine: dict, doc: Any, context: dict, execution: Execution) -> Any:
        name = machine["StartAt"]
        while True:
            if self.stop_requested:
                execution.stopped = True
                raise Stopped("the execution was stopped")
            execution.transitions += 1
            if execution.transitions > MAX_TRANSITIONS:
                raise ExecutionFailed("too many transitions: a loop that never ends?")
            state = machine["States"][name]
            execution.history.append(name)
            kind = state["Type"]
            if kind == "Task":
                doc = self._task(state, doc, context, execution)
            elif kind == "Map":
                doc = self._map(state, doc, context, execution)
            elif kind == "Pass":
                doc = self._result(state, doc, state.get("Result", doc))
            elif kind == "Choice":
                name = self._choice(state, doc, context)
                continue
            elif kind == "Succeed":
                return doc
            elif kind == "Fail":
                raise ExecutionFailed(state.get("Error", "States.Fail"))
            else:
                raise ExecutionFailed(f"unsupported state type {kind}")
            if state.get("End"):
                return doc
            name = state["Next"]

    def _result(self, state: dict, doc: Any, result: Any) -> Any:
        if "ResultPath" in state and state["ResultPath"] is None:
            return doc
        path = state.get("ResultPath", "$")
        if path == "$":
            return result
        if not path.startswith("$.") or "." in path[2:]:
            raise ExecutionFailed(f"unsupported ResultPath {path!r}")
        return {**doc, path[2:]: result}

    def _task(self, state: dict, doc: Any, context: dict, execution: Execution) -> Any:
        if state["Resource"] != LAMBDA_INVOKE:
            raise ExecutionFailed(f"unsupported task resource {state['Resource']}")
        params = _parameters(state.get("Parameters") or {}, doc, context)
        function = self.functions[params["FunctionName"]]
        retry = (state.get("Retry") or [{}])[0]
        attempts = 1 + int(retry.get("MaxAttempts", 0))
        for attempt in range(attempts):
            try:
                execution.tasks += 1
                payload = self.invoke(function, params.get("Payload", doc))
                break
            except Stopped:
                raise
            except Exception as exc:
                if attempt == attempts - 1:
                    raise ExecutionFailed(
                        f"{function} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                execution.retried += 1
        result = {"Payload": payload, "StatusCode": 200}
        out = self._result(state, doc, result)
        if state.get("OutputPath"):
            out = _path(out, state["OutputPath"], context)
        return out

    def _choice(self, state: dict, doc: Any, context: dict) -> str:
        for choice in state["Choices"]:
            value = _path(doc, choice["Variable"], context)
            if "BooleanEquals" in choice and value is choice["BooleanEquals"]:
                return choice["Next"]
            if "StringEquals" in choice and value == choice["StringEquals"]:
                return choice["Next"]
        if "Default" not in state:
            raise ExecutionFailed("States.NoChoiceMatched")
        return state["Default"]

    def _map(self, state: dict, doc: Any, context: dict, execution: Execution) -> Any:
        items = _path(doc, state.get("ItemsPath", "$"), context)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        results = []
        for index, item in enumerate(items):
            item_context = {**context, "Map": {"Item": {"Value": item, "Index": index}}}
            selector = state.get("ItemSelector") or state.get("Parameters")
            item_doc = _parameters(selector, doc, item_context) if selector else item
            results.append(self._machine(processor, item_doc, item_context, execution))
        return self._result(state, doc, results)
