"""Content rendering: per-channel Liquid templates (python-liquid 2), compiled once and cached.

HTML fields are autoescaped (customer data can't inject markup); text fields are not. Resource
limits bound what a hostile or careless template can do (loops, output size, nesting).

python-liquid is imported on first use (~55 ms with its Babel filters): the decide function
never renders, and the admin function renders only on save and preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herald.domain.channel import HEADER_FIELDS, HTML_FIELDS, Channel
from herald.domain.content import Content
from herald.domain.customer import Customer
from herald.domain.warning import FieldWarning
from herald.errors import DeliveryError, ValidationError

MAX_CACHED_TEMPLATES = 4096


_compiled: dict[tuple[bool, str], Any] = {}
_environments: list = []  # [html, text] once created


def _envs() -> list:
    if not _environments:
        from liquid import Environment  # noqa: PLC0415 — see the module docstring

        class Limited(Environment):
            loop_iteration_limit = 10_000
            output_stream_limit = 512 * 1024
            context_depth_limit = 30
            local_namespace_limit = 64 * 1024

        _environments.extend([Limited(autoescape=True), Limited()])
    return _environments


def _liquid_error() -> type:
    from liquid.exceptions import LiquidError  # noqa: PLC0415

    return LiquidError


class TemplateSyntaxError(ValidationError):
    code = "invalid_template"


class RenderError(DeliveryError):
    code = "render_failed"


def _line_of(exc: Exception) -> int:
    token = getattr(exc, "token", None)
    source = getattr(token, "source", "") or ""
    start = getattr(token, "start_index", -1)
    if start is None or start < 0:
        return source.count("\n") + 1 if source else 1
    return source[:start].count("\n") + 1


def _compile(source: str, html: bool, field: str):
    key = (html, source)
    template = _compiled.get(key)
    if template is None:
        try:
            html_env, text_env = _envs()
            template = (html_env if html else text_env).from_string(source)
        except _liquid_error() as exc:
            line = _line_of(exc)
            raise TemplateSyntaxError(
                f"Liquid error in {field} at line {line}: {exc.message}", field=field
            ) from exc
        _check_filters(template, source, html, field)
        if len(_compiled) >= MAX_CACHED_TEMPLATES:
            _compiled.clear()
        _compiled[key] = template
    return template


def _check_filters(template: Any, source: str, html: bool, field: str) -> None:
    """Liquid reports an unknown filter only when the render reaches it: find them statically."""
    known = _envs()[0 if html else 1].filters
    for name, spans in template.analyze().filters.items():
        if name not in known:
            line = source[: spans[0].index].count("\n") + 1 if spans else 1
            raise TemplateSyntaxError(
                f"Liquid error in {field} at line {line}: unknown filter '{name}'", field=field
            )


def _templates(content: Content):
    """Every (field path, source, html?) of every channel and locale."""
    for path, block in content.blocks():
        for name, value in block.items():
            if name == "data":
                for key, item in value.items():
                    yield f"{path}.data.{key}", item, False
            else:
                yield f"{path}.{name}", value, name in HTML_FIELDS


def check_content(content: Content) -> None:
    """Compile every template of every channel and locale; raise naming field and line."""
    for field, source, html in _templates(content):
        _compile(source, html, field)


ROOTS = ("customer", "event", "message")


@dataclass(frozen=True, slots=True)
class VariableUse:
    field: str
    path: tuple[str, ...]
    line: int | None = None
    column: int | None = None


def variables(content: Content) -> list[VariableUse]:
    """The context variables each template reads (``customer.attributes.first_name``)."""
    uses = []
    for field, source, html in _templates(content):
        if "{" not in source:
            continue
        analysis = _compile(source, html, field).analyze()
        for found in analysis.globals.values():
            for variable in found:
                path = tuple(str(p) for p in variable.segments if isinstance(p, str | int))
                line = source[: variable.span.index].count("\n") + 1
                uses.append(VariableUse(field, path, line))
    return uses


def unknown_roots(content: Content) -> list[FieldWarning]:
    """Variables whose root is not customer, event or message: they always render empty."""
    return [
        FieldWarning(
            "unknown_variable",
            f"{'.'.join(u.path)} is not in the template context (customer, event, message)",
            u.field,
            u.line,
        )
        for u in variables(content)
        if u.path and u.path[0] not in ROOTS
    ]


def template_context(customer: Customer, event: dict, message: dict) -> dict:
    """What a template sees: ``customer`` (the profile, no policy state), ``event``, ``message``."""
    return {"customer": customer.to_doc(), "event": event, "message": message}


def _render(source: str, html: bool, field: str, context: dict) -> str:
    if "{" not in source:  # no Liquid markup at all: the text is its own rendering
        return source
    return _compile(source, html, field).render(**context)


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
    except _liquid_error() as exc:
        raise RenderError(f"{field}: {exc.message}", field=field) from exc
    except ValidationError as exc:  # a stored template that no longer compiles
        raise RenderError(exc.message, field=field) from exc
    return out


def render_all(content: Content, context: dict, locale: str | None = None) -> dict:
    """Every channel rendered (for previews); a failing channel reports its error instead."""
    result = {}
    for channel in content.channels:
        try:
            result[channel] = render(content, channel, context, locale)
        except RenderError as exc:
            result[channel] = {"error": exc.to_dict()}
    return result
