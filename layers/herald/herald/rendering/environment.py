"""The python-liquid environments Herald renders with: one autoescaping HTML, one for text.

This is the one module of the package that imports python-liquid at module level; the others
import it on first use (see the package docstring).

Beyond python-liquid's defaults, through its own extension points (its tag and filter
registers, ``template_class``):

- the limits of ``limits``: python-liquid's own resource limits, Herald's guards on every
  filter (``filter_guards``) and on loops and outputs (``tag_guards``), a per-render budget;
- ``{% include %}`` and ``{% render %}`` are refused when a template is parsed: there is no
  template loader, a content is self-contained;
- an error python-liquid can only place at the end of the template (an unclosed block, a tag
  whose expression stops short) is reported at the tag where the mistake is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liquid import Environment, Tag
from liquid.exceptions import LiquidSyntaxError
from liquid.token import TOKEN_EOF

from herald.rendering import filter_guards, limits, tag_guards

if TYPE_CHECKING:
    from liquid.ast import Node
    from liquid.stream import TokenStream


class _SelfContained(Tag):
    """``include``/``render``: refused at parse time, with the line of the tag."""

    block = False

    def parse(self, stream: TokenStream) -> Node:
        raise LiquidSyntaxError(
            "include/render are not available: content is self-contained", token=stream.current
        )


class _NoInclude(_SelfContained):
    name = "include"


class _NoRender(_SelfContained):
    name = "render"


class _AtItsOpeningTag(Tag):
    """Delegates to a registered tag; an error with no position is moved to the tag's token.

    python-liquid raises "expected tag endif, found end of expression" with the token that ends
    the template (no position), so the line of an unclosed ``{% if %}`` is lost. The tag that was
    being parsed is where the mistake is: innermost first, as tags parse their blocks.
    """

    def __init__(self, env: Environment, tag: Tag):
        super().__init__(env)
        self.tag = tag
        self.name, self.block, self.end = tag.name, tag.block, tag.end

    def parse(self, stream: TokenStream) -> Node:
        opening = stream.current
        try:
            return self.tag.parse(stream)
        except LiquidSyntaxError as err:
            if err.token is not None and err.token.start_index >= 0:
                raise
            if self.block and self.end and stream.current.kind == TOKEN_EOF:
                message = f"'{opening.value}' is never closed (expected '{self.end}')"
            else:
                message = err.message
            raise LiquidSyntaxError(message, token=opening) from err


class HeraldEnvironment(Environment):
    """python-liquid bounded by Herald's limits, self-contained, placing errors at their tag."""

    loop_iteration_limit = limits.LOOP_ITERATIONS
    output_stream_limit = limits.OUTPUT_BYTES
    context_depth_limit = limits.CONTEXT_DEPTH
    local_namespace_limit = limits.ASSIGNED_BYTES
    template_class = limits.BudgetedTemplate

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for tag in (*tag_guards.BOUNDED_TAGS, _NoInclude, _NoRender):
            self.add_tag(tag)
        self.tags = {name: _AtItsOpeningTag(self, tag) for name, tag in self.tags.items()}
        filter_guards.guard_filters(self)


HTML = HeraldEnvironment(autoescape=True)
TEXT = HeraldEnvironment()
