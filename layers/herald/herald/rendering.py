"""Content rendering: per-channel Liquid templates (python-liquid 2), compiled once and cached.

HTML fields are autoescaped (customer data can't inject markup); text fields are not. Resource
limits bound what a hostile or careless template can do (loops, output size, nesting).
"""

from __future__ import annotations

from typing import Any

from liquid import Environment
from liquid.exceptions import LiquidError

from herald.errors import DeliveryError, ValidationError
from herald.model import Content

HTML_FIELDS = frozenset({"html"})
MAX_CACHED_TEMPLATES = 4096


class _Limited(Environment):
    loop_iteration_limit = 10_000
    output_stream_limit = 512 * 1024
    context_depth_limit = 30
    local_namespace_limit = 64 * 1024


_html_env = _Limited(autoescape=True)
_text_env = _Limited()
_compiled: dict[tuple[bool, str], Any] = {}


class TemplateSyntaxError(ValidationError):
    code = "invalid_template"


class RenderError(DeliveryError):
    code = "render_failed"


def _line_of(exc: LiquidError) -> int:
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
            template = (_html_env if html else _text_env).from_string(source)
        except LiquidError as exc:
            line = _line_of(exc)
            raise TemplateSyntaxError(
                f"Liquid error in {field} at line {line}: {exc.message}", field=field
            ) from exc
        if len(_compiled) >= MAX_CACHED_TEMPLATES:
            _compiled.clear()
        _compiled[key] = template
    return template


def check_content(content: Content) -> None:
    """Compile every template of every channel and locale; raise naming field and line."""
    blocks = [(f"channels.{ch}", block) for ch, block in content.channels.items()]
    for locale, overrides in content.locales.items():
        blocks += [(f"locales.{locale}.{ch}", block) for ch, block in overrides.items()]
    for path, block in blocks:
        for name, value in block.items():
            if name == "data":
                for key, item in value.items():
                    _compile(item, False, f"{path}.data.{key}")
            else:
                _compile(value, name in HTML_FIELDS, f"{path}.{name}")


def render(content: Content, channel: str, context: dict, locale: str | None = None) -> dict:
    """Render one channel of ``content``; raise :class:`RenderError` if a template fails."""
    if channel not in content.channels:
        raise RenderError(f"content {content.id}@{content.version} has no {channel} channel")
    block = content.block(channel, locale)
    out: dict[str, Any] = {}
    field = f"channels.{channel}"
    try:
        for name, value in block.items():
            field = f"channels.{channel}.{name}"
            if name == "data":
                out[name] = {k: _compile(v, False, f"{field}.{k}").render(**context) for k, v in value.items()}
            else:
                out[name] = _compile(value, name in HTML_FIELDS, field).render(**context).strip()
    except LiquidError as exc:
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
