"""Compiling templates (once, cached), save-time checks, and the template fields of a content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from herald.domain.channel import HTML_FIELDS
from herald.domain.content import Content
from herald.rendering.errors import TemplateSyntaxError

MAX_CACHED_TEMPLATES = 4096

_compiled: dict[tuple[bool, str], Any] = {}


def environment(html: bool) -> Any:
    """The python-liquid environment for an HTML (autoescaped) or a text field."""
    from herald.rendering import environment as env  # noqa: PLC0415 — imports python-liquid

    return env.HTML if html else env.TEXT


def liquid_error() -> type:
    """python-liquid's base exception class (imported on first use)."""
    from liquid.exceptions import LiquidError  # noqa: PLC0415

    return LiquidError


def line_of(exc: Exception) -> int | None:
    """The line a python-liquid error points at (its token's position), if it has one."""
    token = getattr(exc, "token", None)
    start = getattr(token, "start_index", -1)
    if start is None or start < 0:
        return None
    return token.source.count("\n", 0, start) + 1


def position(source: str, index: int) -> tuple[int, int]:
    """(line, column), 1-based, of ``index`` in ``source``."""
    index = max(0, min(index, len(source)))
    line = source.count("\n", 0, index) + 1
    return line, index - (source.rfind("\n", 0, index) + 1) + 1


def _error_position(exc: Exception, source: str) -> tuple[int, int | None]:
    token = getattr(exc, "token", None)
    start = getattr(token, "start_index", -1)
    if start is None or start < 0:
        return 1, None
    return position(source, start)


def compile_template(source: str, html: bool, field: str) -> Any:
    """The compiled template for ``source`` (cached); raise naming ``field`` and the line."""
    key = (html, source)
    template = _compiled.get(key)
    if template is None:
        try:
            template = environment(html).from_string(source)
        except liquid_error() as exc:
            line, column = _error_position(exc, source)
            raise TemplateSyntaxError(
                f"Liquid error in {field} at line {line}: {exc.message}",
                field=field,
                line=line,
                column=column,
            ) from exc
        _check_filters(template, source, html, field)
        _check_ranges(template, source, field)
        if len(_compiled) >= MAX_CACHED_TEMPLATES:
            _compiled.clear()
        _compiled[key] = template
    return template


def _check_filters(template: Any, source: str, html: bool, field: str) -> None:
    """Liquid reports an unknown filter only when the render reaches it: find them statically."""
    known = environment(html).filters
    for name, spans in template.analyze(include_partials=False).filters.items():
        if name not in known:
            line, column = position(source, spans[0].index) if spans else (1, None)
            raise TemplateSyntaxError(
                f"Liquid error in {field} at line {line}: unknown filter '{name}'",
                field=field,
                line=line,
                column=column,
            )


def _check_ranges(template: Any, source: str, field: str) -> None:
    """A range literal over the limit fails every render that reaches it: refuse it now."""
    from herald.rendering.limits import MAX_ITEMS, oversized_ranges  # noqa: PLC0415

    for index, text, count in oversized_ranges(template):
        line, column = position(source, index)
        raise TemplateSyntaxError(
            f"Liquid error in {field} at line {line}: the range {text} has {count:,} items, "
            f"over the limit of {MAX_ITEMS:,} items per array or range",
            field=field,
            line=line,
            column=column,
        )


def fields(content: Content) -> Iterator[tuple[str, str, bool]]:
    """Every template of every channel and locale: ``(field, source, is_html)``."""
    for path, block in content.blocks():
        for name, value in block.items():
            if name == "data":
                for key, item in value.items():
                    yield f"{path}.data.{key}", item, False
            else:
                yield f"{path}.{name}", value, name in HTML_FIELDS


def check_content(content: Content) -> None:
    """Compile every template of every channel and locale; raise naming field and line."""
    for field, source, html in fields(content):
        compile_template(source, html, field)
