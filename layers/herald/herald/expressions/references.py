"""The context paths a condition reads, found in its syntax tree, each with its position.

A reference is a root name followed by the keys written after it (``customer.attributes.tier``,
``event["cart_total"]``) as far as they are fixed: a computed key (``event[customer.field]``)
or an index (``event.items[0]``) ends the path, since the value it reads is only known at run
time. For the engine's projection a path is cut to the root and ``MAX_PATH_DEPTH`` keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from herald.expressions import nodes as n
from herald.expressions.functions import CLOSURES
from herald.expressions.problems import position

ROOTS = frozenset({"event", "customer", "now"})
MAX_PATH_DEPTH = 2  # below the root: customer.attributes.tier -> ("customer", "attributes", "tier")


@dataclass(frozen=True, slots=True)
class Reference:
    """A path read from the context, e.g. ``("customer", "attributes", "tier")``, and where."""

    path: tuple[str, ...]
    line: int
    column: int
    span: n.Span


def references(tree: n.Node, source: str) -> tuple[Reference, ...]:
    """Every context path the expression reads, in source order."""
    found: list[Reference] = []
    _visit(tree, frozenset(), source, found)
    return tuple(sorted(found, key=lambda r: r.span.start))


def paths(found: tuple[Reference, ...]) -> frozenset[tuple[str, ...]]:
    """The paths to project, cut to the root and ``MAX_PATH_DEPTH`` keys."""
    return frozenset(r.path[: MAX_PATH_DEPTH + 1] for r in found)


def _visit(node: n.Node, aliases: frozenset[str], source: str, found: list[Reference]) -> None:
    if isinstance(node, n.Member | n.Identifier):
        base, keys = _chain(node)
        if isinstance(base, n.Identifier) and base.name in ROOTS and base.name not in aliases:
            path = [base.name]
            end = base.span.end
            for key in keys:
                if not isinstance(key, n.String):
                    break
                path.append(key.value)
                end = key.span.end
            line, column = position(source, base.span.start)
            found.append(Reference(tuple(path), line, column, n.Span(base.span.start, end)))
        elif not isinstance(base, n.Identifier):
            _visit(base, aliases, source, found)
        for key in keys:
            if not isinstance(key, n.String):
                _visit(key, aliases, source, found)
        return
    if isinstance(node, n.Call) and node.name in CLOSURES:
        items, closure = node.arguments
        _visit(items, aliases, source, found)
        inner = aliases | {closure.alias} if closure.alias else aliases
        _visit(closure.body, inner, source, found)
        return
    for child in node.children():
        _visit(child, aliases, source, found)


def _chain(node: n.Node) -> tuple[n.Node, list[n.Node]]:
    """``a.b[c].d`` -> (``a``, [b, c, d]): the base of a member chain and its keys in order."""
    keys: list[n.Node] = []
    while isinstance(node, n.Member):
        keys.append(node.key)
        node = node.target
    keys.reverse()
    return node, keys
