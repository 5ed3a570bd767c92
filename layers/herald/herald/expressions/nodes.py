"""The syntax tree of a ZEN expression: one frozen dataclass per node kind of zen's ``ast.rs``.

Every node carries the :class:`Span` of its text (character offsets, end exclusive), so a
check can name the line and column it refuses and a reference can mark where it is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple


class Span(NamedTuple):
    """Character offsets of a node's text, end exclusive."""

    start: int
    end: int


class Node:
    """Base of every node; ``children`` lists the sub-expressions in source order."""

    __slots__ = ()
    span: Span

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Null(Node):
    span: Span


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Number(Node):
    text: str
    value: Decimal | None  # None when Python reads the literal differently from zen
    span: Span


@dataclass(frozen=True, slots=True)
class String(Node):
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Template(Node):
    """A backtick string: its text pieces (String) and ``${ }`` placeholders, in order."""

    parts: tuple[Node, ...]
    span: Span

    def children(self) -> tuple[Node, ...]:
        return self.parts


@dataclass(frozen=True, slots=True)
class Pointer(Node):
    """``#``: the current item inside a closure function (map, filter, some, …)."""

    span: Span


@dataclass(frozen=True, slots=True)
class Identifier(Node):
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Root(Node):
    """``$root``: the whole context."""

    span: Span


@dataclass(frozen=True, slots=True)
class Array(Node):
    items: tuple[Node, ...]
    span: Span

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class Object(Node):
    entries: tuple[tuple[Node, Node], ...]
    span: Span

    def children(self) -> tuple[Node, ...]:
        return tuple(n for entry in self.entries for n in entry)


@dataclass(frozen=True, slots=True)
class Assignments(Node):
    """``a.b = 1; c = 2; output``: zen writes into the context and returns it (or ``output``)."""

    entries: tuple[tuple[Node, Node], ...]
    output: Node | None
    assign_at: int  # offset of the first `=`
    span: Span

    def children(self) -> tuple[Node, ...]:
        nodes = tuple(n for entry in self.entries for n in entry)
        return (*nodes, self.output) if self.output is not None else nodes


@dataclass(frozen=True, slots=True)
class Closure(Node):
    """The second argument of a closure function, evaluated once per item (``as`` names it)."""

    body: Node
    alias: str | None
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.body,)


@dataclass(frozen=True, slots=True)
class Parenthesized(Node):
    inner: Node
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``target.key`` (key is a String) or ``target[key]`` (key is any expression)."""

    target: Node
    key: Node
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.target, self.key)


@dataclass(frozen=True, slots=True)
class Slice(Node):
    """``target[start:stop]``, either bound optional (zen includes ``stop``)."""

    target: Node
    start: Node | None
    stop: Node | None
    span: Span

    def children(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.target, self.start, self.stop) if n is not None)


@dataclass(frozen=True, slots=True)
class Interval(Node):
    """``[low..high]``, ``(low..high)``, ``[low..high)``… (zen accepts any bracket on each side)."""

    low: Node
    high: Node
    opening: str
    closing: str
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.low, self.high)


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.condition, self.then, self.otherwise)


@dataclass(frozen=True, slots=True)
class Unary(Node):
    operator: str  # "not", "+" or "-"
    operand: Node
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    operator: str
    left: Node
    right: Node
    span: Span
    operator_at: int  # offset of the operator, for messages

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function; a closure function's arguments are (list, :class:`Closure`)."""

    name: str
    arguments: tuple[Node, ...]
    span: Span

    def children(self) -> tuple[Node, ...]:
        return self.arguments


@dataclass(frozen=True, slots=True)
class MethodCall(Node):
    """``target.name(arguments)``: zen's methods are the date methods (``d(x).isBefore(y)``)."""

    name: str
    target: Node
    arguments: tuple[Node, ...]
    span: Span

    def children(self) -> tuple[Node, ...]:
        return (self.target, *self.arguments)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def unwrap(node: Node) -> Node:
    """The expression inside any parentheses."""
    while isinstance(node, Parenthesized):
        node = node.inner
    return node
