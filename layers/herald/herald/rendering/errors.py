"""The two ways a template fails: refused when a content is saved, or failing when rendered."""

from __future__ import annotations

from herald.domain.document import ValidationError
from herald.errors import DeliveryError


class TemplateSyntaxError(ValidationError):
    """A template that can't be saved; the message names the field and the line, and
    ``line``/``column`` (1-based, within the field's text) mark where."""

    code = "invalid_template"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        super().__init__(message, field=field)
        self.line = line
        self.column = column

    def to_dict(self) -> dict:
        body = super().to_dict()
        if self.line is not None:
            body["line"] = self.line
        if self.column is not None:
            body["column"] = self.column
        return body


class RenderError(DeliveryError):
    """A template that failed to render a message (a limit reached, a bad filter argument, …)."""

    code = "render_failed"
