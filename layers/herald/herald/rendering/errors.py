"""The two ways a template fails: refused when a content is saved, or failing when rendered."""

from __future__ import annotations

from herald.domain.document import ValidationError
from herald.errors import DeliveryError


class TemplateSyntaxError(ValidationError):
    """A template that can't be saved; the message names the field and the line."""

    code = "invalid_template"


class RenderError(DeliveryError):
    """A template that failed to render a message (a limit reached, a bad filter argument, …)."""

    code = "render_failed"
