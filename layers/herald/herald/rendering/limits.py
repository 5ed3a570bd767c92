"""What one render of a template may consume, and the budget that counts it.

python-liquid's own limits (attributes of the environment) bound loop iterations, the output,
the variables a template assigns and context nesting. They don't bound what filters build:
``(1..100000000) | join: ','`` materialises a hundred million items before any of them counts,
``replace`` multiplies a text's length by its replacement's, ``times`` an integer's digits; nor
what a loop does per iteration. Herald's limits below are held, through python-liquid's
extension points (the filter and tag registers, ``node_class``, ``template_class`` and
``context_class``), by:

- ``filter_guards``: every built-in filter is wrapped (sizes checked before building, results
  checked after, work charged to the render's :class:`Budget`);
- ``tag_guards``: loops charge their statements to the budget, a reversed loop and the output of
  an array are checked before python-liquid builds them;
- :func:`oversized_ranges` here: a range literal over the limit is refused when saved.

Herald renders synchronously: the async render paths of python-liquid are not guarded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from liquid import BoundTemplate, RenderContext, soft_str
from liquid.builtin.expressions import Literal
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.exceptions import (
    ContextDepthError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)

if TYPE_CHECKING:
    from liquid.ast import Node
    from liquid.expression import Expression

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
work (characters of the slow filters count more: ``filter_guards.TEXT_COST``)."""


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


def too_many_items(count: int, what: str) -> LimitError:
    return LimitError(
        f"{what} has {count:,} items, over the limit of {MAX_ITEMS:,} items per array or range"
    )


def too_long(length: int, what: str) -> LimitError:
    return LimitError(
        f"{what} would make a text of {length:,} characters, over the limit of "
        f"{MAX_TEXT:,} characters per text"
    )


def length_of(value: object) -> int:
    """Items in a range, list or tuple, without materialising it (0 for anything else)."""
    if isinstance(value, range):
        return max(0, value.stop - value.start)  # len() overflows past sys.maxsize
    if isinstance(value, (list, tuple)):
        return len(value)
    return 0


def joined_length(items: Iterable[Any], separator: str, what: str) -> int:
    """Length of the items joined as text; stops as soon as it is over the limit."""
    total, step = 0, len(separator)
    for item in items:
        total += len(item if isinstance(item, str) else soft_str(item)) + step
        if total > MAX_TEXT + step:
            raise too_long(total, what)
    return max(0, total - step)


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
                    count = length_of(found.evaluate(static_context))
                    if count > MAX_ITEMS:
                        yield found.token.start_index, str(found), count
