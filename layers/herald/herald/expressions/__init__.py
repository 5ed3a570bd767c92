"""Rule conditions: GoRules ZEN expressions (zen-engine), validated on save, compiled once.

Evaluating a compiled expression costs mostly the conversion of its context from Python to
Rust, which grows with the context's size (a 40-attribute profile: ~9 µs; the two fields a
rule reads: ~1 µs). So each compiled condition records the context paths it reads
(``customer.attributes.tier``), and the engine passes a context projected to the union of the
paths the event's rules read, built once per event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import zen

from herald.errors import ValidationError

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PATH = re.compile(r"(?<![\w.$])(event|customer|now)((?:\.[A-Za-z_]\w*)*)(\s*\[)?")
_POSITION = re.compile(r"at \((\d+), (\d+)\)")
MAX_PATH_DEPTH = 2  # below the root: customer.attributes.tier -> ("customer", "attributes", "tier")


class ExpressionError(ValidationError):
    code = "invalid_expression"


def validate(expression: str, field: str = "when") -> None:
    """Raise :class:`ExpressionError` naming the position of a ZEN syntax error."""
    if len(expression) > 4096:
        raise ExpressionError("expression is longer than 4096 characters", field=field)
    problem = zen.validate_expression(expression)
    if problem:
        source = str(problem.get("source", problem))
        m = _POSITION.search(source)
        where = f" (column {int(m.group(1)) + 1})" if m else ""
        raise ExpressionError(f"invalid expression{where}: {source}", field=field)


def read_paths(expression: str) -> frozenset[tuple[str, ...]] | None:
    """The context paths an expression reads, or None when it reads a whole root dynamically."""
    code = _STRING.sub('""', expression)
    paths = set()
    for m in _PATH.finditer(code):
        root, rest, bracket = m.group(1), m.group(2), m.group(3)
        parts = tuple(p for p in rest.split(".") if p)
        if not parts and (bracket or root != "now"):
            # `event["x"]` or a bare `customer` passed to a function: needs the whole root.
            paths.add((root,))
            continue
        paths.add((root, *parts[:MAX_PATH_DEPTH]))
    return frozenset(paths)


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled ``when`` expression and the context paths it reads."""

    source: str
    compiled: zen.PyExpression
    paths: frozenset

    def evaluate(self, context: dict) -> object:
        return self.compiled.evaluate(context)


_cache: dict[str, Condition] = {}


def compile_condition(expression: str) -> Condition:
    """Compile (and cache by source text) a validated expression."""
    cached = _cache.get(expression)
    if cached is None:
        validate(expression)
        cached = Condition(expression, zen.compile_expression(expression), read_paths(expression))
        _cache[expression] = cached
    return cached


def plan(paths: frozenset) -> dict:
    """A projection plan: nested keys to copy, ``None`` meaning "the whole value"."""
    tree: dict = {}
    for path in sorted(paths, key=len):  # shorter first: a whole ancestor covers its children
        node = tree
        for depth, key in enumerate(path):
            if depth == len(path) - 1:
                node[key] = None
                break
            child = node.get(key, {})
            if child is None:
                break
            node[key] = child
            node = child
    return tree


def project(context: dict, tree: dict) -> dict:
    """The smallest context holding every path of the plan (missing paths stay missing)."""
    out = {}
    for key, sub in tree.items():
        if key in context:
            value = context[key]
            if sub is None:
                out[key] = value
            elif isinstance(value, dict):
                out[key] = project(value, sub)
    return out


def describe_error(exc: RuntimeError) -> str:
    """zen-engine raises RuntimeError with a JSON body and a Rust backtrace: keep the message."""
    text = str(exc).split("\n\nStack backtrace", 1)[0].strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:300]
    return str(body.get("source", body))[:300]
