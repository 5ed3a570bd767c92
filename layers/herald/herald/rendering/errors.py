"""The two ways a template fails: refused when a content is saved, or failing when rendered."""

from __future__ import annotations

from herald.domain.document import PositionedError
from herald.errors import DeliveryError


class TemplateSyntaxError(PositionedError):
    """A template that can't be saved; the message names the field and the line, and
    ``line``/``column`` (1-based, within the field's text) mark where."""

    code = "invalid_template"


class RenderError(DeliveryError):
    """A template that failed to render a message (a limit reached, a bad filter argument, …)."""

    code = "render_failed"
