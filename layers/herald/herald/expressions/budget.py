"""The cost model: how many steps zen will take to evaluate a condition on a given context.

A step is roughly one node of the syntax tree evaluated once. Measured with zen-engine 2.1.3:
``count([1..1000000], # > 0)`` is 5,000,004 steps and runs in 0.17 s (34 ns a step), a
``count(map([1..1000], …))`` nested 1000 × 1000 is 8,012,007 steps in 74 ms (9 ns a step).
The model walks the tree once with *abstract values* that know an upper bound of their size:

* a context value (``event.items``) is the real data, looked up lazily: its size is its length;
* ``#`` inside a closure stands for any item of the list the closure goes over, so ``#.tags``
  has the size of the longest ``tags`` among those items;
* a derived list is bounded from its inputs: ``map`` keeps the size, ``filter`` keeps at most
  it, ``flatMap`` multiplies it by the size of the body's result, ``flatten``/``keys``/
  ``values`` are computed from the data, ``split``/``extract`` give at most one piece per
  character; a literal range ``[1..n]`` has n items (it is materialised when iterated).

A closure function costs ``size(list) × (cost(body) + 1)``, plus the list it builds (map,
filter, flatMap) or materialises (a range): that is also the memory bound, since zen allocates
one ~16-byte value per item. A function or operator that reads a whole list or text (``in``,
``contains``, ``sum``, ``upper``…) costs its size. The estimate errs on the high side: every
item is taken to be as large as the largest one, and both branches of ``? :`` as costly as the
costlier.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from herald.expressions import nodes as n
from herald.expressions.functions import CLOSURES
from herald.expressions.references import ROOTS

BUDGET = 1_000_000
"""Steps a condition may take on one event: ~9-34 ms of zen at the measured 9-34 ns a step,
and at most ~16 MB of materialised values (zen's values are ~16 bytes). That is the cost of a
few hundred ordinary events (~2 µs a rule), so one hostile rule can't stall a batch or exhaust
the function's 512 MB, yet it is generous for real conditions: ``some(event.items, #.price >
50)`` over 100,000 items is ~600,000 steps."""


class Value:
    """An abstract value: ``size`` bounds its length, ``member``/``items`` bound its parts."""

    __slots__ = ()

    def size(self) -> int:
        return 0

    def member(self, key: str | int | None) -> Value:
        return SCALAR

    def items(self) -> Value:
        return SCALAR


class _Scalar(Value):
    __slots__ = ()


SCALAR = _Scalar()


def _length(value: object) -> int:
    return len(value) if isinstance(value, list | str | dict) else 0


class Data(Value):
    """Any one of some concrete values from the context (computed on first use)."""

    __slots__ = ("_make", "_size", "_values")

    def __init__(self, values: list | None = None, make: Callable[[], list] | None = None):
        self._values = values
        self._make = make
        self._size: int | None = None

    @property
    def values(self) -> list:
        if self._values is None:
            self._values = self._make()
        return self._values

    def size(self) -> int:
        if self._size is None:
            self._size = max(map(_length, self.values), default=0)
        return self._size

    def member(self, key: str | int | None) -> Value:
        if isinstance(key, str):
            return Data(
                make=lambda: [v[key] for v in self.values if isinstance(v, dict) and key in v]
            )
        if isinstance(key, int):
            return Data(
                make=lambda: [v[key : key + 1][0] for v in self.values if _has_index(v, key)]
            )
        return Data(make=lambda: [x for v in self.values for x in _parts(v)])

    def items(self) -> Value:
        return Data(make=lambda: [x for v in self.values if isinstance(v, list) for x in v])


def _has_index(value: object, index: int) -> bool:
    return isinstance(value, list | str) and 0 <= index < len(value)


def _parts(value: object) -> list:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, list | str) else []


class Sequence(Value):
    """A derived list (or object) of at most ``count`` items, each bounded by ``item``."""

    __slots__ = ("count", "item")

    def __init__(self, count: int, item: Value):
        self.count = count
        self.item = item

    def size(self) -> int:
        return self.count

    def member(self, key: str | int | None) -> Value:
        return self.item

    def items(self) -> Value:
        return self.item


class Text(Value):
    """A derived text of at most ``length`` characters."""

    __slots__ = ("length",)

    def __init__(self, length: int):
        self.length = length

    def size(self) -> int:
        return self.length


class Union(Value):
    """Any of several values (both branches of ``? :``, both sides of ``??``…)."""

    __slots__ = ("options",)

    def __init__(self, options: tuple[Value, ...]):
        self.options = options

    def size(self) -> int:
        return max((o.size() for o in self.options), default=0)

    def member(self, key: str | int | None) -> Value:
        return Union(tuple(o.member(key) for o in self.options))

    def items(self) -> Value:
        return Union(tuple(o.items() for o in self.options))


def interval_size(node: n.Interval) -> int | None:
    """How many numbers a literal range holds (as zen's ``VmInterval::to_array``), else None."""
    low, high = _literal(node.low), _literal(node.high)
    if low is None or high is None:
        return None
    first = {"[": int(low), "(": int(low) + 1}.get(node.opening)
    last = {"]": int(high), ")": int(high) - 1}.get(node.closing)
    if first is None or last is None:
        return 0  # zen can't iterate a range with other brackets
    return max(0, last - first + 1)


def _literal(node: n.Node) -> Decimal | None:
    node = n.unwrap(node)
    if isinstance(node, n.Unary) and node.operator in "+-":
        inner = _literal(node.operand)
        return None if inner is None else (-inner if node.operator == "-" else inner)
    if isinstance(node, n.Number) and node.value is not None and node.value.is_finite():
        return max(_I64_MIN, min(node.value, _I64_MAX))  # zen's bounds are 64-bit integers
    return None


_I64_MIN, _I64_MAX = Decimal(-(2**63)), Decimal(2**63 - 1)


def reads_context(node: n.Node) -> bool:
    return any(
        isinstance(x, n.Root) or (isinstance(x, n.Identifier) and x.name in ROOTS)
        for x in n.walk(node)
    )


def is_bounded(closure_calls: list[n.Call]) -> bool:
    """True when no closure function goes over, or reads, context data: its cost is then known
    at save (and checked there), and the rest of the tree reads each value a fixed number of
    times."""
    return not any(reads_context(call) for call in closure_calls)


def cost(tree: n.Node, context: dict) -> int:
    """The estimated steps to evaluate ``tree`` on ``context`` (an upper bound)."""
    return _Estimate(context).visit(tree, ())[0]


class CostModel:
    """The estimate for one condition, prepared at compile time.

    Most conditions with closures are simple: a closure over a context list with a plain body
    (``some(event.items, #.price > 50)``), comparisons, ``in`` a context list. Their estimate is
    a constant plus a weight times the size of each context path they go over, computed here
    once, so the run-time check is a few dictionary lookups. Any other condition is estimated
    by walking its tree with the context (:func:`cost`); both give the same number.
    """

    __slots__ = ("constant", "terms", "tree")

    def __init__(self, tree: n.Node):
        self.tree = tree
        form = _linear(tree, inside=False)
        self.constant = form[0] if form is not None else None
        self.terms = tuple(form[1].items()) if form is not None else ()

    def cost(self, context: dict) -> int:
        if self.constant is None:
            return cost(self.tree, context)
        steps = self.constant
        for path, weight in self.terms:
            steps += weight * _size_at(context, path)
        return steps


_Form = tuple[int, dict[tuple, int]]  # constant, {context path: weight of its size}


def _size_at(context: dict, path: tuple) -> int:
    value: object = context
    for key in path:
        found = (
            isinstance(value, dict) and key in value
            if isinstance(key, str)
            else _has_index(value, key)
        )
        if not found:
            return 0
        value = value[key]
    return _length(value)


def _plain_path(node: n.Node) -> tuple | None:
    """``event.items`` -> ("event", "items"): a context path with literal keys, else None."""
    keys: list[str | int] = []
    while isinstance(node, n.Member):
        key = node.key
        if isinstance(key, n.String):
            keys.append(key.value)
        elif isinstance(key, n.Number) and key.value is not None and key.value == int(key.value):
            keys.append(int(key.value))
        else:
            return None
        node = node.target
    if isinstance(node, n.Identifier) and node.name in ROOTS:
        return (node.name, *reversed(keys))
    return None


def _plus(*forms: _Form | None, constant: int = 0) -> _Form | None:
    terms: dict[tuple, int] = {}
    for form in forms:
        if form is None:
            return None
        constant += form[0]
        for path, weight in form[1].items():
            terms[path] = terms.get(path, 0) + weight
    return constant, terms


def _size_form(node: n.Node, inside: bool) -> _Form | None:
    """The size the walk would find for ``node``'s value, as a form, if it is that simple."""
    node = n.unwrap(node)
    if isinstance(node, n.String):
        return len(node.value), {}
    if isinstance(node, n.Null | n.Bool | n.Number):
        return 0, {}
    if isinstance(node, n.Array):
        return len(node.items), {}
    if isinstance(node, n.Object):
        return len(node.entries), {}
    if isinstance(node, n.Interval):
        return interval_size(node) or 0, {}
    if isinstance(node, n.Call) and node.name in CLOSURES and node.name != "flatMap":
        if node.name not in ("map", "filter"):
            return 0, {}  # a number or true/false
        return _size_form(node.arguments[0], inside)  # as many items as the list, at most
    path = None if inside else _plain_path(node)
    return (0, {path: 1}) if path is not None else None


def _linear(node: n.Node, inside: bool) -> _Form | None:
    """The walk's estimate of ``node`` as a linear form of context sizes, or None. ``inside``:
    within a closure's body, where the form must be a constant (it is multiplied)."""
    if isinstance(node, n.Parenthesized):
        return _linear(node.inner, inside)
    if isinstance(node, n.Null | n.Bool | n.Number | n.String | n.Pointer | n.Identifier):
        return 1, {}
    if isinstance(node, n.Member | n.Unary | n.MethodCall | n.Interval):
        return _plus(*(_linear(c, inside) for c in node.children()), constant=1)
    if isinstance(node, n.Array | n.Object):
        size = len(node.children()) if isinstance(node, n.Array) else len(node.entries)
        return _plus(*(_linear(c, inside) for c in node.children()), constant=1 + size)
    if isinstance(node, n.Binary):
        form = _plus(_linear(node.left, inside), _linear(node.right, inside), constant=1)
        if node.operator in ("in", "not in"):
            return _plus(form, _size_form(node.right, inside))
        if node.operator == "+":
            return _plus(form, _size_form(node.left, inside), _size_form(node.right, inside))
        return form
    if isinstance(node, n.Conditional):
        then, otherwise = _linear(node.then, inside), _linear(node.otherwise, inside)
        if then is None or otherwise is None or then[1] or otherwise[1]:
            return None  # max() of two sizes is not linear
        return _plus(_linear(node.condition, inside), constant=1 + max(then[0], otherwise[0]))
    if isinstance(node, n.Template | n.Slice):
        sized = node.parts if isinstance(node, n.Template) else (node.target,)
        forms = [_linear(c, inside) for c in node.children()]
        return _plus(*forms, *(_size_form(c, inside) for c in sized), constant=1)
    if isinstance(node, n.Call) and node.name not in CLOSURES:
        forms = [_linear(c, inside) for c in node.arguments]
        return _plus(*forms, *(_size_form(c, inside) for c in node.arguments), constant=1)
    if isinstance(node, n.Call) and not inside and node.name != "flatMap":
        return _closure_form(node)
    return None


def _closure_form(node: n.Call) -> _Form | None:
    source, closure = node.arguments
    body = _linear(closure.body, inside=True)
    if body is None or body[1]:
        return None
    per_item = body[0] + 1 + (node.name in ("map", "filter"))
    form = _plus(_linear(source, inside=False), constant=1)
    if isinstance(n.unwrap(source), n.Interval):
        count = interval_size(n.unwrap(source)) or 0
        return _plus(form, constant=count * (per_item + 1))  # + the materialised range
    path = _plain_path(n.unwrap(source))
    if path is None:
        return None
    return _plus(form, (0, {path: per_item}))


_STRING_RESULTS = frozenset(
    ["upper", "lower", "trim", "string", "type", "monthString", "dateString", "weekdayString"]
)
_Scope = tuple[tuple[str | None, Value], ...]  # innermost last: (alias, item)


class _Estimate:
    def __init__(self, context: dict):
        self.context = context

    def visit(self, node: n.Node, scope: _Scope) -> tuple[int, Value]:
        method = _RULES.get(type(node))
        if method is not None:
            return method(self, node, scope)
        steps = 1  # a literal, or a node whose value the model need not follow
        for child in node.children():
            steps += self.visit(child, scope)[0]
        return steps, SCALAR

    def identifier(self, node: n.Identifier, scope: _Scope) -> tuple[int, Value]:
        for alias, item in reversed(scope):
            if alias == node.name:
                return 1, item
        if node.name in self.context:
            return 1, Data([self.context[node.name]])
        return 1, Data([])

    def root(self, node: n.Root, scope: _Scope) -> tuple[int, Value]:
        return 1, Data([self.context])

    def pointer(self, node: n.Pointer, scope: _Scope) -> tuple[int, Value]:
        return 1, scope[-1][1] if scope else SCALAR

    def string(self, node: n.String, scope: _Scope) -> tuple[int, Value]:
        return 1, Text(len(node.value))

    def parenthesized(self, node: n.Parenthesized, scope: _Scope) -> tuple[int, Value]:
        return self.visit(node.inner, scope)

    def member(self, node: n.Member, scope: _Scope) -> tuple[int, Value]:
        steps, target = self.visit(node.target, scope)
        key_steps, _ = self.visit(node.key, scope)
        key = node.key
        if isinstance(key, n.String):
            name: str | int | None = key.value
        elif isinstance(key, n.Number) and key.value is not None and key.value == int(key.value):
            name = int(key.value)
        else:
            name = None
        return steps + key_steps + 1, target.member(name)

    def slice(self, node: n.Slice, scope: _Scope) -> tuple[int, Value]:
        steps, target = self.visit(node.target, scope)
        for bound in (node.start, node.stop):
            if bound is not None:
                steps += self.visit(bound, scope)[0]
        return steps + 1 + target.size(), target

    def template(self, node: n.Template, scope: _Scope) -> tuple[int, Value]:
        steps, length = 1, 0
        for part in node.parts:
            part_steps, value = self.visit(part, scope)
            steps += part_steps + value.size()
            length += value.size()
        return steps, Text(length)

    def array(self, node: n.Array, scope: _Scope) -> tuple[int, Value]:
        steps, values = 1 + len(node.items), []
        for item in node.items:
            item_steps, value = self.visit(item, scope)
            steps += item_steps
            values.append(value)
        return steps, Sequence(len(values), Union(tuple(values)))

    def object(self, node: n.Object, scope: _Scope) -> tuple[int, Value]:
        steps, values = 1 + len(node.entries), []
        for key, value in node.entries:
            steps += self.visit(key, scope)[0]
            value_steps, v = self.visit(value, scope)
            steps += value_steps
            values.append(v)
        return steps, Sequence(len(values), Union(tuple(values)))

    def interval(self, node: n.Interval, scope: _Scope) -> tuple[int, Value]:
        steps = 1 + self.visit(node.low, scope)[0] + self.visit(node.high, scope)[0]
        return steps, Sequence(interval_size(node) or 0, SCALAR)

    def conditional(self, node: n.Conditional, scope: _Scope) -> tuple[int, Value]:
        steps, _ = self.visit(node.condition, scope)
        then_steps, then = self.visit(node.then, scope)
        else_steps, otherwise = self.visit(node.otherwise, scope)
        return steps + max(then_steps, else_steps) + 1, Union((then, otherwise))

    def unary(self, node: n.Unary, scope: _Scope) -> tuple[int, Value]:
        steps, value = self.visit(node.operand, scope)
        return steps + 1, value if node.operator == "+" else SCALAR

    def binary(self, node: n.Binary, scope: _Scope) -> tuple[int, Value]:
        left_steps, left = self.visit(node.left, scope)
        right_steps, right = self.visit(node.right, scope)
        steps = left_steps + right_steps + 1
        operator = node.operator
        if operator in ("and", "or", "??"):
            return steps, Union((left, right))
        if operator in ("in", "not in"):
            return steps + right.size(), SCALAR
        if operator == "+" and (left.size() or right.size()):
            return steps + left.size() + right.size(), Text(left.size() + right.size())
        return steps, SCALAR

    def methodcall(self, node: n.MethodCall, scope: _Scope) -> tuple[int, Value]:
        steps = 1 + sum(self.visit(child, scope)[0] for child in node.children())
        return steps, SCALAR

    def call(self, node: n.Call, scope: _Scope) -> tuple[int, Value]:
        if node.name in CLOSURES:
            return self.closure_call(node, scope)
        steps, values = 1, []
        for argument in node.arguments:
            argument_steps, value = self.visit(argument, scope)
            steps += argument_steps + value.size()  # reading a whole list or text
            values.append(value)
        return steps, _result(node.name, values)

    def closure_call(self, node: n.Call, scope: _Scope) -> tuple[int, Value]:
        source_node, closure = node.arguments
        steps, source = self.visit(source_node, scope)
        count = source.size()
        if not count:
            return steps + 1, Sequence(0, SCALAR)
        item = source.items()
        body_steps, body = self.visit(closure.body, (*scope, (closure.alias, item)))
        steps += 1 + count * (body_steps + 1)
        if isinstance(n.unwrap(source_node), n.Interval):
            steps += count  # the range is materialised as a list first
        if node.name == "map":
            return steps + count, Sequence(count, body)
        if node.name == "filter":
            return steps + count, Sequence(count, item)
        if node.name == "flatMap":
            total = count * max(1, body.size())
            return steps + total, Sequence(total, Union((body.items(), body)))
        return steps, SCALAR


_RULES = {
    node_type: getattr(_Estimate, node_type.__name__.lower())
    for node_type in (
        n.Identifier,
        n.Root,
        n.Pointer,
        n.String,
        n.Parenthesized,
        n.Member,
        n.Slice,
        n.Template,
        n.Array,
        n.Object,
        n.Interval,
        n.Conditional,
        n.Unary,
        n.Binary,
        n.MethodCall,
        n.Call,
    )
}


def _result(name: str, arguments: list[Value]) -> Value:
    """The abstract result of a non-closure function."""
    first = arguments[0] if arguments else SCALAR
    if name in ("flatten", "merge", "mergeDeep"):
        if isinstance(first, Data):
            return Data(make=lambda: [_flatten(v) for v in first.values if isinstance(v, list)])
        inner = first.items()  # at most every item of every inner list (or object)
        return Sequence(first.size() * max(1, inner.size()), Union((inner.items(), inner)))
    if name == "keys":
        if isinstance(first, Data):
            return Data(
                make=lambda: [
                    list(v) if isinstance(v, dict) else list(range(len(v)))
                    for v in first.values
                    if isinstance(v, dict | list)
                ]
            )
        return Sequence(first.size(), SCALAR)
    if name == "values":
        if isinstance(first, Data):
            return Data(
                make=lambda: [list(v.values()) for v in first.values if isinstance(v, dict)]
            )
        return Sequence(first.size(), first.items())
    if name in ("split", "extract"):
        return Sequence(first.size() + 1, Text(first.size()))
    if name == "fuzzyMatch":
        return Sequence(first.size(), SCALAR)
    if name in _STRING_RESULTS:
        return Text(first.size())
    return SCALAR


def _flatten(value: list) -> list:
    """One level flattened; the parts of objects too, which bounds what ``merge`` builds."""
    flat: list = []
    for item in value:
        if isinstance(item, list | dict):
            flat.extend(_parts(item))
        else:
            flat.append(item)
    return flat
