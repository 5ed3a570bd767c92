"""What one render of a template may consume, and the guards that hold it to that.

python-liquid's own limits (attributes of the environment) bound loop iterations, the output,
the variables a template assigns and context nesting. They don't bound what filters build:
``(1..100000000) | join: ','`` materialises a hundred million items before any of them counts,
``replace`` multiplies a text's length by its replacement's, ``times`` an integer's digits, and a
filter run in a loop repeats its work up to the loop limit. So, through python-liquid's
extension points (the filter and tag registers, ``node_class``, ``template_class`` and
``context_class``):

- every built-in filter is wrapped: array filters check the length of their input *before*
  materialising it (a range knows its length without being built); filters whose output grows
  with their arguments (``append``, ``prepend``, ``replace*``, ``join``, ``split``) compute its
  size before building it; every text, array or integer a filter returns is checked; and the
  items and characters filters go through are charged to a per-render budget;
- a range literal with literal bounds over the limit is refused when the template is saved;
- ``uniq`` runs in linear time for hashable items (python-liquid's is quadratic);
- loops charge their statements (iterations × the statements of their body) to the budget: the
  loop limit counts iterations, not what each does;
- a ``reversed`` loop (python-liquid materialises it to reverse it) and the output of an array
  (``{{ list }}``, ``{% echo %}``, ``{% cycle %}``, stringified item by item) are checked too.

Herald renders synchronously: the async render paths of python-liquid are not guarded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any

from liquid import BoundTemplate, RenderContext, Undefined, soft_str
from liquid.builtin.expressions import Literal, LoopExpression
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.builtin.filters.array import uniq as liquid_uniq
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.cycle_tag import CycleNode, CycleTag
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.builtin.tags.for_tag import ForTag
from liquid.builtin.tags.tablerow_tag import TablerowTag
from liquid.exceptions import (
    ContextDepthError,
    FilterArgumentError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)
from liquid.filter import flatten, sequence_filter, with_context
from liquid.stringify import to_liquid_string

if TYPE_CHECKING:
    from typing import TextIO

    from liquid import Environment
    from liquid.ast import Node
    from liquid.expression import Expression
    from liquid.stream import TokenStream

# ------------------------------------------------------------------------------ the limits

LOOP_ITERATIONS = 10_000
"""Loop iterations per render (nested loops multiply), python-liquid's ``loop_iteration_limit``."""

OUTPUT_BYTES = 512 * 1024
"""UTF-8 bytes a template may output: generous for every channel (an SMS is ~1 KB, a push
payload 4 KB, an email body rarely over 100 KB), python-liquid's ``output_stream_limit``."""

ASSIGNED_BYTES = 64 * 1024
"""Size of the variables a template assigns (``sys.getsizeof``), python-liquid's
``local_namespace_limit``."""

CONTEXT_DEPTH = 30
"""Nesting of render contexts, python-liquid's ``context_depth_limit``."""

MAX_ITEMS = 10_000
"""Items in a range or array a filter may take or make: as many as a loop may iterate, so an
array no loop could go through can't be built by a filter either."""

MAX_TEXT = 1_000_000
"""Characters in a text a filter may make: twice the output limit, room for a text shortened
(``truncate``, ``slice``) before it is output, and ~1 MB however the text is encoded."""

MAX_INTEGER_BITS = 10_000
"""An integer a filter may make: ~3,000 digits (Python refuses to print more than 4,300)."""

ITEMS_PER_RENDER = 500_000
"""Array items filters may go through in one render: ~0.1-0.2 s of sorting or mapping, 50 full
passes over the largest array, thousands of times what a real message needs."""

LOOP_STATEMENTS_PER_RENDER = 250_000
"""Statements loops may run in one render (each iteration runs its body's): ~0.2 s, 25 for
each of the 10,000 iterations a loop may run, or 2,500 for each of 100. The loop limit counts
iterations, not what each does: 10,000 iterations of 1,000 ``{% if %}`` ran 23 s."""

TEXT_PER_RENDER = 10_000_000
"""Characters filters may read and make in one render: ten times the largest text, ~0.1 s of
work (characters of the slow filters count more, see ``TEXT_COST``)."""


class LimitError(ResourceLimitError):
    """A template went over one of Herald's limits; the message names it in plain words."""

    def __init__(self, message: str):
        super().__init__(message, token=None)


def describe(error: ResourceLimitError) -> str:
    """python-liquid's limit errors in plain words (Herald's own already are)."""
    if isinstance(error, LoopIterationLimitError):
        return f"loops would run more than {LOOP_ITERATIONS:,} iterations (the loop limit)"
    if isinstance(error, OutputStreamLimitError):
        return f"the output would be over {OUTPUT_BYTES // 1024} KB (the output limit)"
    if isinstance(error, LocalNamespaceLimitError):
        return (
            f"the variables the template assigns would take over {ASSIGNED_BYTES // 1024} KB "
            "(the limit on assigned variables)"
        )
    if isinstance(error, ContextDepthError):
        return f"templates nest more than {CONTEXT_DEPTH} levels deep (the nesting limit)"
    return str(error.message)


def _too_many_items(count: int, what: str) -> LimitError:
    return LimitError(
        f"{what} has {count:,} items, over the limit of {MAX_ITEMS:,} items per array or range"
    )


def _too_long(length: int, what: str) -> LimitError:
    return LimitError(
        f"{what} would make a text of {length:,} characters, over the limit of "
        f"{MAX_TEXT:,} characters per text"
    )


# ------------------------------------------------------------------ the per-render budget


class Budget:
    """What may still run in this render: statements in loops, and the array items and
    characters filters go through."""

    __slots__ = ("items", "statements", "text")

    def __init__(self) -> None:
        self.items = ITEMS_PER_RENDER
        self.text = TEXT_PER_RENDER
        self.statements = LOOP_STATEMENTS_PER_RENDER

    def spend_statements(self, count: int) -> None:
        self.statements -= count
        if self.statements < 0:
            raise LimitError(
                f"loops would run more than {LOOP_STATEMENTS_PER_RENDER:,} statements in one "
                "render (iterations × the statements of the loop's body): the limit on loop work"
            )

    def spend_items(self, count: int, name: str) -> None:
        self.items -= count
        if self.items < 0:
            raise LimitError(
                f"filters would go through more than {ITEMS_PER_RENDER:,} array items in one "
                f"render (the last was '{name}'): the limit on filter work"
            )

    def spend_text(self, count: int, name: str) -> None:
        self.text -= count
        if self.text < 0:
            raise LimitError(
                f"filters would go through more than {TEXT_PER_RENDER:,} characters in one "
                f"render (the last was '{name}'): the limit on filter work"
            )


class BudgetedContext(RenderContext):
    """A render context carrying the render's :class:`Budget`, made when a filter first needs
    it (most renders never do) and shared with contexts copied from this one."""

    __slots__ = ("_budget",)

    @property
    def budget(self) -> Budget:
        try:
            return self._budget
        except AttributeError:
            parent = self.parent_context
            self._budget = parent.budget if isinstance(parent, BudgetedContext) else Budget()
            return self._budget


class BudgetedTemplate(BoundTemplate):
    """A template whose every render gets a fresh budget."""

    context_class = BudgetedContext


# ------------------------------------------------------------------------- filter guards


_WORD = re.compile(r"\S+")


def _text(value: object) -> str:
    """A filter's value or argument as text, as python-liquid's string filters coerce it."""
    if isinstance(value, str):
        return value
    return "" if value is None else soft_str(value)


def _length(value: object) -> int:
    """Items in a range, list or tuple, without materialising it (0 for anything else)."""
    if isinstance(value, range):
        return max(0, value.stop - value.start)  # len() overflows past sys.maxsize
    if isinstance(value, (list, tuple)):
        return len(value)
    return 0


def _as_sequence(value: object) -> Iterable[Any]:
    """What python-liquid's ``sequence_filter`` makes of a filter's left value."""
    if isinstance(value, (list, tuple)):
        return flatten(value)
    if isinstance(value, (dict, str)) or not isinstance(value, Iterable):
        return [value]
    return value


def _joined_length(items: Iterable[Any], separator: str, what: str) -> int:
    """Length of the items joined as text; stops as soon as it is over the limit."""
    total, step = 0, len(separator)
    for item in items:
        total += len(item if isinstance(item, str) else soft_str(item)) + step
        if total > MAX_TEXT + step:
            raise _too_long(total, what)
    return max(0, total - step)


def _items(value: object, *_: Any, **__: Any) -> int:
    return _length(value)


def _concat_items(value: object, other: object = None, *_: Any, **__: Any) -> int:
    return _length(value) + _length(other)


def _appended(value: object, other: object = "", *_: Any, **__: Any) -> int:
    return len(_text(value)) + len(_text(other))


def _replaced(value: object, old: object = "", new: object = "", *_: Any, **__: Any) -> int:
    text, old, new = _text(value), _text(old), _text(new)
    return len(text) + text.count(old) * (len(new) - len(old))


def _replaced_once(value: object, old: object = "", new: object = "", *_: Any, **__: Any) -> int:
    return len(_text(value)) + len(_text(new))


def _joined(value: object, separator: object = " ", *_: Any, **__: Any) -> int:
    return _joined_length(_as_sequence(value), _text(separator), "'join'")


def _split_items(value: object, separator: object = None, *_: Any, **__: Any) -> int:
    text = _text(value)
    if separator is None or isinstance(separator, Undefined) or separator == "":
        return len(text)  # split into characters
    separator = _text(separator)
    if separator != " ":
        return text.count(separator) + 1
    # " " splits on runs of whitespace: count the words, but no further than the limit
    if len(text) // 2 + 1 <= MAX_ITEMS:
        return len(text) // 2 + 1
    words = 0
    for words, _ in enumerate(_WORD.finditer(text), start=1):
        if words > MAX_ITEMS:
            break
    return words


ARRAY_FILTERS: dict[str, Callable[..., int]] = {
    **dict.fromkeys(
        (
            "join", "map", "sort", "sort_natural", "uniq", "reverse", "compact", "where",
            "reject", "find", "find_index", "has", "sum", "slice",
        ),
        _items,
    ),
    "concat": _concat_items,
}  # fmt: skip
"""Filters that go through their input's items: the count is checked before they run. Not
``first``/``last``/``size``, which don't (a range's size is arithmetic)."""

GROWING_FILTERS: dict[str, Callable[..., int]] = {
    "append": _appended,
    "prepend": _appended,
    "replace": _replaced,
    "replace_first": _replaced_once,
    "replace_last": _replaced_once,
    "join": _joined,
}
"""Filters whose output grows with their arguments: its length is computed before they run.
The others make at most a few times their input (``escape``, ``url_encode``, ``upcase``…),
which is itself bounded, and are checked after."""

SPLITTING_FILTERS = {"split": _split_items}
"""Filters that make an array out of a text: the number of items is computed before."""

TEXT_COST = {
    "strip_html": 100,
    "url_encode": 10,
    "url_decode": 10,
    "escapejs": 10,
    "escape_once": 5,
    "squish": 5,
}
"""What a character costs these filters, in the budget's characters: most text filters run in C
at a few ns a character, these in Python (``strip_html`` parses HTML: up to 1 µs a character),
so the budget stays ~0.1 s of work whichever filters spend it."""


def _guard(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` registered as filter ``name``, held to the limits and charged to the budget."""
    count_items = ARRAY_FILTERS.get(name)
    size_text = GROWING_FILTERS.get(name)
    count_pieces = SPLITTING_FILTERS.get(name)
    cost = TEXT_COST.get(name, 1)
    wants_context = getattr(func, "with_context", False)

    @wraps(func)
    def guarded(value: Any, *args: Any, context: BudgetedContext, **kwargs: Any) -> Any:
        if count_items is not None:
            count = count_items(value, *args)
            if count > MAX_ITEMS:
                raise _too_many_items(count, f"the array or range given to '{name}'")
            context.budget.spend_items(count, name)
        if size_text is not None:
            length = size_text(value, *args, **kwargs)
            if length > MAX_TEXT:
                raise _too_long(length, f"'{name}'")
        if count_pieces is not None:
            count = count_pieces(value, *args)
            if count > MAX_ITEMS:
                raise LimitError(
                    f"'{name}' would make an array of more than {MAX_ITEMS:,} items, the limit "
                    "per array or range"
                )
            context.budget.spend_items(count, name)
        if wants_context:
            kwargs["context"] = context
        result = func(value, *args, **kwargs)
        if result is not value:
            _check_result(result, value, name, cost, context)
        return result

    guarded.with_context = True  # type: ignore[attr-defined] — python-liquid's filter protocol
    return guarded


def _check_result(result: Any, value: Any, name: str, cost: int, context: BudgetedContext) -> None:
    """Hold a filter's result to the limits; charge the text it read and made to the budget."""
    text = len(value) if isinstance(value, str) else 0
    if isinstance(result, str):
        if len(result) > MAX_TEXT:
            raise _too_long(len(result), f"'{name}'")
        text += len(result)
    elif isinstance(result, list):
        if len(result) > MAX_ITEMS:
            raise _too_many_items(len(result), f"the array '{name}' made")
    elif isinstance(result, int) and result.bit_length() > MAX_INTEGER_BITS:
        raise LimitError(
            f"'{name}' would make a number over {MAX_INTEGER_BITS:,} bits (~3,000 digits), "
            "the limit per number"
        )
    if text:
        context.budget.spend_text(text * cost, name)


_MISSING = object()


@with_context
@sequence_filter
def uniq(sequence: list[Any], key: object = None, *, context: BudgetedContext) -> list[Any]:
    """python-liquid's ``uniq`` (the first item of each distinct value, or distinct ``key``), in
    linear time when the values are hashable; when they aren't (mappings), python-liquid's own
    pairwise comparison runs, and its quadratic work is charged to the budget first."""
    try:
        values = sequence if key is None else [_value_at(obj, key) for obj in sequence]
        seen: set[Any] = set()
        out = []
        for obj, value in zip(sequence, values, strict=True):
            if value not in seen:
                seen.add(value)
                out.append(obj)
        return out
    except TypeError:  # an unhashable value
        context.budget.spend_items(len(sequence) * len(sequence) // 2, "uniq")
        return liquid_uniq(sequence, key)


def _value_at(obj: Any, key: object) -> Any:
    try:
        return obj[key]
    except KeyError:
        return _MISSING
    except TypeError as err:
        raise FilterArgumentError(f"can't read property '{key}' of {obj}", token=None) from err


UNGUARDED_FILTERS = frozenset(
    ("default", "safe", "size", "first", "last", "abs", "ceil", "floor", "round", "at_least",
     "at_most", "divided_by", "modulo")
)  # fmt: skip
"""Filters that make nothing larger than their input and don't go through items (``default``
returns one of its arguments; these numbers only shrink or keep their size): left as they are,
which keeps the common ones (``default``, ``round``) free."""


def guard_filters(env: Environment) -> None:
    """Wrap every filter registered with ``env`` (call after registering them)."""
    env.filters["uniq"] = uniq
    env.filters = {
        name: func if name in UNGUARDED_FILTERS else _guard(name, func)
        for name, func in env.filters.items()
    }


# --------------------------------------------------------------------- loops and outputs


class _BoundedLoopExpression(LoopExpression):
    """A loop expression that charges the loop's statements to the budget (iterations × the
    statements of its body, counted when parsed) and checks a ``reversed`` loop before
    python-liquid builds the reversed list (a forward loop is lazy and the loop limit stops it).

    A loop charges for all its iterations up front, even if it ``break``s early."""

    __slots__ = ("statements",)

    def evaluate(self, context: BudgetedContext) -> tuple[Any, int]:
        it, length = super().evaluate(context)
        if length <= LOOP_ITERATIONS:  # longer: python-liquid's loop limit says so next
            context.budget.spend_statements(length * self.statements)
        return it, length

    def _to_iter(self, obj: object, context: RenderContext) -> tuple[Any, int]:
        it, length = super()._to_iter(obj, context)
        if self.reversed and length > MAX_ITEMS:
            raise _too_many_items(length, "the collection of a reversed loop")
        return it, length

    @classmethod
    def of(cls, expr: LoopExpression, body: Node) -> _BoundedLoopExpression:
        bounded = cls(
            expr.token,
            expr.identifier,
            expr.iterable,
            limit=expr.limit,
            offset=expr.offset,
            reversed_=expr.reversed,
            cols=expr.cols,
        )
        bounded.statements = _statements(body)
        return bounded


def _statements(node: Node) -> int:
    """Nodes one pass over ``node`` renders; a nested loop counts one (it charges its own)."""
    if isinstance(getattr(node, "expression", None), _BoundedLoopExpression):
        return 1
    # static_context is only read by include/render, which Herald refuses at parse
    children = node.children(None, include_partials=False)  # type: ignore[arg-type]
    return 1 + sum(_statements(child) for child in children)


class BoundedForTag(ForTag):
    def parse(self, stream: TokenStream) -> Node:
        node = super().parse(stream)
        node.expression = _BoundedLoopExpression.of(node.expression, node.block)
        return node


class BoundedTablerowTag(TablerowTag):
    def parse(self, stream: TokenStream) -> Node:
        node = super().parse(stream)
        node.expression = _BoundedLoopExpression.of(node.expression, node.block)
        return node


def _check_output(value: object) -> None:
    """An array is output as its items' text, built whole before the output limit sees it."""
    if isinstance(value, list):
        _joined_length(value, "", "outputting an array")


class _BoundedOutputNode(OutputNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        value = self.expression.evaluate(context)
        if isinstance(value, list):
            _check_output(value)
        return buffer.write(to_liquid_string(value, context.autoescape))


class _BoundedEchoNode(EchoNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        value = self.expression.evaluate(context)
        if isinstance(value, list):
            _check_output(value)
        return buffer.write(to_liquid_string(value, context.autoescape))


class _BoundedCycleNode(CycleNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        for arg in self.args:  # outputs one of them, and keys its state by their text
            _check_output(arg.evaluate(context))
        return super().render_to_output(context, buffer)


class BoundedOutput(Output):
    node_class = _BoundedOutputNode


class BoundedEchoTag(EchoTag):
    node_class = _BoundedEchoNode


class BoundedCycleTag(CycleTag):
    node_class = _BoundedCycleNode


BOUNDED_TAGS = (BoundedForTag, BoundedTablerowTag, BoundedOutput, BoundedEchoTag, BoundedCycleTag)
"""Tags that replace python-liquid's own of the same name."""


# ------------------------------------------------------------------ known before rendering


def oversized_ranges(template: BoundTemplate) -> Iterator[tuple[int, str, int]]:
    """Range literals whose bounds are literals and whose items are over :data:`MAX_ITEMS`:
    ``(index in the source, the range as written, its number of items)``."""
    static_context = RenderContext(template)

    def expressions(node: Node) -> Iterator[Expression]:
        yield from node.expressions()
        for child in node.children(static_context, include_partials=False):
            yield from expressions(child)

    def ranges(expression: Expression) -> Iterator[RangeLiteral]:
        if isinstance(expression, RangeLiteral):
            yield expression
        for child in expression.children():
            yield from ranges(child)

    for node in template.nodes:
        for expression in expressions(node):
            for found in ranges(expression):
                if isinstance(found.start, Literal) and isinstance(found.stop, Literal):
                    count = _length(found.evaluate(static_context))
                    if count > MAX_ITEMS:
                        yield found.token.start_index, str(found), count
