"""A message's rendering: one channel of a content, in the customer's locale, with a context."""

from __future__ import annotations

from typing import Any

from herald.domain.channel import HEADER_FIELDS, HTML_FIELDS, Channel
from herald.domain.content import Content
from herald.domain.customer import Customer
from herald.domain.document import ValidationError
from herald.rendering.errors import RenderError
from herald.rendering.templates import compile_template, line_of, liquid_error


def template_context(customer: Customer, event: dict, message: dict) -> dict:
    """What a template sees: ``customer`` (the profile, no policy state), ``event``, ``message``."""
    return {"customer": customer.to_doc(), "event": event, "message": message}


def _render(source: str, html: bool, field: str, context: dict) -> str:
    if "{" not in source:  # no Liquid markup at all: the text is its own rendering
        return source
    return compile_template(source, html, field).render(**context)


def render(content: Content, channel: str, context: dict, locale: str | None = None) -> dict:
    """Render one channel of ``content``; raise :class:`RenderError` if a template fails."""
    if channel not in content.channels:
        raise RenderError(f"content {content.id}@{content.version} has no {channel} channel")
    block = content.block(channel, locale)
    single_line = HEADER_FIELDS.get(Channel(channel), frozenset())
    out: dict[str, Any] = {}
    field = f"channels.{channel}"
    try:
        for name, value in block.items():
            field = f"channels.{channel}.{name}"
            if name == "data":
                out[name] = {
                    k: _render(v, False, f"{field}.{k}", context) for k, v in value.items()
                }
            elif name in single_line:
                # A subject or title is one line: a CR/LF from event or profile data becomes a
                # space, so it can't start a new header (or break the MIME library) downstream.
                out[name] = " ".join(_render(value, False, field, context).split())
            else:
                out[name] = _render(value, name in HTML_FIELDS, field, context).strip()
    except liquid_error() as exc:
        raise RenderError(_failure(field, exc), field=field) from exc
    except ValidationError as exc:  # a stored template that no longer compiles
        raise RenderError(exc.message, field=field) from exc
    return out


def _failure(field: str, exc: Exception) -> str:
    """``channels.sms.text line 3: <what went wrong, a limit in plain words>``."""
    from liquid.exceptions import ResourceLimitError  # noqa: PLC0415

    from herald.rendering.limits import describe  # noqa: PLC0415 — python-liquid is loaded

    line = line_of(exc)
    where = f"{field} line {line}" if line else field
    what = describe(exc) if isinstance(exc, ResourceLimitError) else exc.message
    return f"{where}: {what}"


def render_all(content: Content, context: dict, locale: str | None = None) -> dict:
    """Every channel rendered (for previews); a failing channel reports its error instead."""
    result = {}
    for channel in content.channels:
        try:
            result[channel] = render(content, channel, context, locale)
        except RenderError as exc:
            result[channel] = {"error": exc.to_dict()}
    return result
