"""Guards on loops and outputs: what python-liquid's loop and output limits don't see.

- a loop charges iterations × the statements of its body to the render's budget (the loop
  limit counts iterations, not what each runs);
- a ``reversed`` loop is checked before python-liquid builds the list it reverses;
- an array output (``{{ list }}``, ``{% echo %}``, ``{% cycle %}``) is counted before
  python-liquid builds its text whole (the output limit only sees it written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liquid import RenderContext
from liquid.builtin.expressions import LoopExpression
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.cycle_tag import CycleNode, CycleTag
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.builtin.tags.for_tag import ForTag
from liquid.builtin.tags.tablerow_tag import TablerowTag
from liquid.stringify import to_liquid_string

from herald.rendering.limits import (
    LOOP_ITERATIONS,
    MAX_ITEMS,
    BudgetedContext,
    joined_length,
    too_many_items,
)

if TYPE_CHECKING:
    from typing import TextIO

    from liquid.ast import Node
    from liquid.stream import TokenStream


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
            raise too_many_items(length, "the collection of a reversed loop")
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
        joined_length(value, "", "outputting an array")


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
