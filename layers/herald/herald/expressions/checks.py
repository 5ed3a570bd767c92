"""The checks a condition passes at save, after zen has accepted its syntax.

ZEN accepts things that are valid expressions but wrong conditions: ``customer.tier = "gold"``
assigns and returns the context, ``tier == gold`` compares two unknown names (both null, so it
is true for everyone), ``event.cart_total + 1`` is a number that never matches. And some are
valid but can take the process down: ``len(map([1..100000000], #))`` allocates gigabytes.
Each check raises a :class:`Problem` at the offending position, in the order a marketer should
fix them: size, assignments, names, then operands, nesting and ranges, then the result type,
then the cost.
"""

from __future__ import annotations

from herald.expressions import budget
from herald.expressions import nodes as n
from herald.expressions.functions import CLOSURES, FUNCTIONS, METHODS
from herald.expressions.problems import LimitProblem, Problem
from herald.expressions.references import ROOTS
from herald.expressions.types import Type, either

MAX_NODES = 1000
"""Nodes in a condition's tree. A 4096-character condition has at most ~2,000 (``1,1,1,…``);
real ones have 5-100, and 1,000 leaves room for lists of a few hundred values."""
MAX_DEPTH = 64
"""Levels of the tree: parentheses, operands of operands, ``a or b or c…`` (each `or` is one).
It keeps every walk over the tree (ours and zen's) shallow."""
MAX_CLOSURE_NESTING = 2
"""Closure functions (map, filter, count, …) inside the body of another: each level multiplies
the work by the size of a list, so a third level is refused outright."""
MAX_RANGE = 10_000
"""Numbers in a range used as a list (``map([1..n], …)``); ``x in [a..b]`` has no limit."""

ANY, BOOL, NUMBER, STRING = Type.ANY, Type.BOOL, Type.NUMBER, Type.STRING
DATE, ARRAY, OBJECT, INTERVAL, NULL = Type.DATE, Type.ARRAY, Type.OBJECT, Type.INTERVAL, Type.NULL
_COMPARABLE = frozenset({ANY, NUMBER, DATE})
_ARITHMETIC = {"+", "-", "*", "/", "%", "^"}
_ORDERING = {"<", ">", "<=", ">="}


def check(tree: n.Node, *, number: bool = False) -> list[n.Call]:
    """Raise the first :class:`Problem` of the tree (a valid ZEN expression); return its calls
    to closure functions. The result must be true or false (a condition), or with ``number`` a
    number (a goal's value)."""
    closures = check_shape(tree)
    _Names().visit(tree, ())
    result = _Types(tree).visit(tree)
    if number:
        check_number(tree, result)
    else:
        check_result(tree, result)
    if closures:  # without them, the cost is at most a few steps per character
        check_cost(tree)
    return closures


def check_shape(tree: n.Node) -> list[n.Call]:
    """Size, depth and assignments, in one pass; the calls to closure functions."""
    count, closures = 0, []
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise LimitProblem(
                f"the expression has more than {MAX_NODES} parts", node.span.start, "split the rule"
            )
        if depth > MAX_DEPTH:
            raise LimitProblem(
                f"the expression nests more than {MAX_DEPTH} levels deep",
                node.span.start,
                "simplify it; for a long list of alternatives use `x in [a, b, c]`",
            )
        if isinstance(node, n.Assignments):
            raise Problem("`=` assigns a value", node.assign_at, "use `==` to compare")
        if isinstance(node, n.Call) and node.name in CLOSURES:
            closures.append(node)
        stack.extend((child, depth + 1) for child in node.children())
    return closures


class _Names:
    """Every name starts from event, customer or now (or a closure's ``as`` name)."""

    def visit(self, node: n.Node, aliases: tuple[str, ...]) -> None:
        if isinstance(node, n.Identifier):
            self.identifier(node, aliases)
        elif isinstance(node, n.Root):
            raise Problem(
                "`$root` is not allowed", node.span.start, "start from event, customer or now"
            )
        elif isinstance(node, n.Call) and node.name in CLOSURES:
            items, closure = node.arguments
            self.visit(items, aliases)
            inner = (*aliases, closure.alias) if closure.alias else aliases
            self.visit(closure.body, inner)
        else:
            for child in node.children():
                self.visit(child, aliases)

    def identifier(self, node: n.Identifier, aliases: tuple[str, ...]) -> None:
        name, at = node.name, node.span.start
        if name in ROOTS or name in aliases:
            return
        if name == "$":
            raise Problem("`$` is not allowed", at, "start from event, customer or now")
        if name == "#":
            raise Problem(
                "`#` is only the current item inside map, filter, some, all, …",
                at,
                "outside them, start from event, customer or now",
            )
        if name.lower() in ("true", "false", "null"):
            raise Problem(f"`{name}` is not a known name", at, f"write `{name.lower()}`")
        raise Problem(
            f"`{name}` is not a known name",
            at,
            f'names start from event, customer or now; for text, quote it: "{name}"',
        )


class _Types:
    """Infers each node's type, refusing operands that are statically wrong, ranges that would
    be materialised beyond MAX_RANGE, and closure functions nested beyond the limit."""

    def __init__(self, tree: n.Node):
        self.closures: list[str] = []  # the closure functions whose body we are in
        self.cheap_ranges = {  # `x in [a..b]` compares; it never builds the list
            id(n.unwrap(x.right))
            for x in n.walk(tree)
            if isinstance(x, n.Binary) and x.operator in ("in", "not in")
        }

    def visit(self, node: n.Node) -> Type:
        method = _TYPE_RULES.get(type(node))
        if method is not None:
            return method(self, node)
        for child in node.children():
            self.visit(child)
        return _LITERALS.get(type(node), ANY)

    def identifier(self, node: n.Identifier) -> Type:
        return _ROOT_TYPES.get(node.name, ANY)

    def parenthesized(self, node: n.Parenthesized) -> Type:
        return self.visit(node.inner)

    def slice(self, node: n.Slice) -> Type:
        target = self.visit(node.target)
        for bound in (node.start, node.stop):
            if bound is not None:
                self.expect(bound, frozenset({NUMBER}), "a slice [a:b]")
        if target not in (ANY, ARRAY, STRING):
            self.refuse(node.target, f"a slice [a:b] takes {either({STRING, ARRAY})}", target)
        return target

    def interval(self, node: n.Interval) -> Type:
        for bound in (node.low, node.high):
            found = self.visit(bound)
            if found not in _COMPARABLE:
                self.refuse(bound, "a range [a..b] goes from a number or a date", found)
        if id(node) in self.cheap_ranges:
            return INTERVAL
        size = budget.interval_size(node)
        if size is None:
            raise Problem(
                "a range used as a list needs numbers written out as its bounds",
                node.span.start,
                "like [1..10] (`x in [a..b]` may use any bounds)",
            )
        if size > MAX_RANGE:
            raise Problem(
                f"this range holds {size:,} numbers",
                node.span.start,
                f"a range used as a list may hold at most {MAX_RANGE:,} "
                "(`x in [a..b]` has no limit)",
            )
        return INTERVAL

    def conditional(self, node: n.Conditional) -> Type:
        self.expect(node.condition, frozenset({BOOL}), "`? :`")
        return _union(self.visit(node.then), self.visit(node.otherwise))

    def unary(self, node: n.Unary) -> Type:
        if node.operator == "not":
            self.expect(node.operand, frozenset({BOOL}), "`not`")
            return BOOL
        if node.operator == "-":
            self.expect(node.operand, frozenset({NUMBER}), "`-`")
            return NUMBER
        return self.visit(node.operand)

    def binary(self, node: n.Binary) -> Type:
        operator = node.operator
        if operator in ("and", "or"):
            self.expect(node.left, frozenset({BOOL}), f"`{operator}`")
            return self.visit(node.right)  # false (or true), else the right side's value
        left, right = self.visit(node.left), self.visit(node.right)
        if operator == "??":
            return right if left is NULL else _union(left, right)
        if operator in ("in", "not in"):
            if right not in (ANY, ARRAY, INTERVAL, OBJECT):
                self.refuse(
                    node.right,
                    f"`{operator}` looks into {either({ARRAY, INTERVAL, OBJECT})}",
                    right,
                )
            return BOOL
        if operator in _ORDERING:
            for side, found in ((node.left, left), (node.right, right)):
                if found not in _COMPARABLE:
                    advice = (
                        'for dates, compare d(…): d(now) > d("2026-01-01")'
                        if found is STRING
                        else ""
                    )
                    self.refuse(side, f"`{operator}` compares numbers or dates", found, advice)
            return BOOL
        if operator == "+":
            return self.plus(node, left, right)
        if operator in _ARITHMETIC:
            for side, found in ((node.left, left), (node.right, right)):
                if found not in (ANY, NUMBER):
                    self.refuse(side, f"`{operator}` works on numbers", found)
            return NUMBER
        return BOOL  # == and !=

    def plus(self, node: n.Binary, left: Type, right: Type) -> Type:
        for side, found in ((node.left, left), (node.right, right)):
            if found not in (ANY, NUMBER, STRING):
                self.refuse(side, "`+` adds numbers or joins text", found)
        if ANY not in (left, right) and left is not right:
            raise Problem(
                f"`+` cannot add {right.words} to {left.words}",
                n.unwrap(node.right).span.start,
                "convert one side with string(…) or number(…)",
            )
        return left if left is not ANY else right

    def call(self, node: n.Call) -> Type:
        builtin = FUNCTIONS[node.name]
        if builtin.closure:
            return self.closure_call(node)
        found = []
        for index, argument in enumerate(node.arguments):
            accepted = builtin.accepts(index)
            found.append(self.expect(argument, accepted, f"`{node.name}`"))
        return builtin.returns(found)

    def closure_call(self, node: n.Call) -> Type:
        items, closure = node.arguments
        self.expect(items, frozenset({ARRAY, INTERVAL}), f"`{node.name}`")
        if len(self.closures) >= MAX_CLOSURE_NESTING:
            chain = " inside ".join(f"`{name}`" for name in (node.name, *reversed(self.closures)))
            raise Problem(
                f"{chain} nests too deeply",
                node.span.start,
                f"functions that go over a list (map, filter, count, …) may nest "
                f"{MAX_CLOSURE_NESTING} deep",
            )
        self.closures.append(node.name)
        try:
            self.visit(closure.body)
        finally:
            self.closures.pop()
        return FUNCTIONS[node.name].signatures[0].returns

    def methodcall(self, node: n.MethodCall) -> Type:
        builtin = METHODS[node.name]
        target = self.visit(node.target)
        if target not in (ANY, DATE):  # zen needs a date value here, not a text to parse
            raise Problem(
                f"`.{node.name}()` works on a date, got {target.words}",
                n.unwrap(node.target).span.start,
                f"wrap it in d(…), e.g. d(now).{node.name}(…)",
            )
        found = [target]
        for index, argument in enumerate(node.arguments, start=1):
            found.append(self.expect(argument, builtin.accepts(index), f"`.{node.name}()`"))
        return builtin.returns(found)

    def expect(self, node: n.Node, accepted: frozenset[Type], who: str) -> Type:
        """Visit ``node`` and refuse it when its type is known and none of ``accepted``."""
        found = self.visit(node)
        if not accepted or ANY in accepted or found is ANY:
            return found
        allowed = accepted | {STRING, NUMBER} if DATE in accepted else accepted
        if found not in allowed:
            self.refuse(node, f"{who} expects {either(accepted)}", found)
        return found

    def refuse(self, node: n.Node, what: str, found: Type, advice: str = "") -> None:
        raise Problem(f"{what}, got {found.words}", n.unwrap(node).span.start, advice)


_ROOT_TYPES = {"event": OBJECT, "customer": OBJECT, "now": STRING}
_TYPE_RULES = {
    node_type: getattr(_Types, node_type.__name__.lower())
    for node_type in (
        n.Identifier,
        n.Parenthesized,
        n.Slice,
        n.Interval,
        n.Conditional,
        n.Unary,
        n.Binary,
        n.Call,
        n.MethodCall,
    )
}
_LITERALS = {
    n.Null: NULL,
    n.Bool: BOOL,
    n.Number: NUMBER,
    n.String: STRING,
    n.Template: STRING,
    n.Array: ARRAY,
    n.Object: OBJECT,
    n.Root: OBJECT,
}


def _union(a: Type, b: Type) -> Type:
    """Either of two types: known only when both agree or neither can be true/false."""
    if a is b:
        return a
    if ANY in (a, b) or BOOL in (a, b):
        return ANY
    return b if a is NULL else a


def check_result(tree: n.Node, result: Type) -> None:
    """The condition must give true or false (or a value known only at run time)."""
    if result in (BOOL, ANY):
        return
    hint = {
        NUMBER: "compare it, e.g. `event.cart_total > 100`",
        STRING: 'compare it, e.g. `customer.attributes.tier == "gold"`',
        ARRAY: "test its items with some(…), all(…) or none(…), or compare len(…)",
        INTERVAL: "test a value with `x in [a..b]`",
    }.get(result, "compare it with something")
    raise Problem(
        f"a condition must be true or false, but this expression gives {result.words}",
        _culprit(tree).span.start,
        hint,
    )


def check_number(tree: n.Node, result: Type) -> None:
    """A goal's value must give a number (or a value known only at run time)."""
    if result in (NUMBER, ANY):
        return
    raise Problem(
        f"a goal value must be a number, but this expression gives {result.words}",
        tree.span.start,
        "name a numeric field of the goal event, e.g. `event.amount`",
    )


def _culprit(node: n.Node) -> n.Node:
    """Where a non-boolean result comes from: the right side of `and`/`or`, inside parentheses."""
    node = n.unwrap(node)
    while isinstance(node, n.Binary) and node.operator in ("and", "or"):
        node = n.unwrap(node.right)
    return node


def check_cost(tree: n.Node) -> None:
    """Refuse what costs more than the budget even on an event with empty lists."""
    steps = budget.cost(tree, {})
    if steps > budget.BUDGET:
        raise Problem(
            f"this condition would take ~{steps:,} steps on any event (budget {budget.BUDGET:,})",
            tree.span.start,
            "go over fewer or shorter lists",
        )
