"""The context variables a content's templates use, found by python-liquid's static analysis.

Liquid renders an undefined variable as an empty string, silently: ``{{ customer.attributes.
frist_name }}`` sends "Hi ,". Nothing about it is wrong syntax, so it is a warning, not an
error: :func:`variables` lists every use of a context variable (for comparing ``customer.*``
and ``event.*`` paths with what profiles and events carry), :func:`unknown_roots` flags the uses
whose root is none of the three a template is given.

Only *global* variables count: python-liquid's analysis tracks scope, so a loop variable
(``{% for item in event.items %}{{ item.sku }}``), ``forloop``, and names made by ``assign``,
``capture`` or ``increment`` are the template's own, not uses of the context. A name used
before the ``assign`` that makes it is global at that point, and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from herald.domain.content import Content
from herald.domain.warning import FieldWarning
from herald.rendering.templates import compile_template, fields

ROOTS = ("customer", "event", "message")
"""What a template is given (see ``template_context``)."""


@dataclass(frozen=True, slots=True)
class VariableUse:
    """One use of a context variable in a template.

    ``path`` is the variable's keys and indexes, ``("event", "items", 0, "sku")``, up to the
    first one computed at render time (``customer.attributes[event.key]`` is
    ``("customer", "attributes")``; ``event.key`` is a use of its own). Liquid's ``size``,
    ``first`` and ``last`` properties of arrays appear as keys. ``line`` and ``column`` are
    1-based.
    """

    field: str
    path: tuple[str | int, ...]
    line: int
    column: int

    def __str__(self) -> str:
        return ".".join(str(key) for key in self.path)


def variables(content: Content) -> list[VariableUse]:
    """Every use of a context variable in every template of ``content`` (channels, locales,
    push data), in field order, then by line and column.

    Raises :class:`~herald.rendering.errors.TemplateSyntaxError` if a template doesn't compile.
    """
    uses = []
    for field, source, html in fields(content):
        analysis = compile_template(source, html, field).analyze(include_partials=False)
        found = []
        for occurrences in analysis.globals.values():
            for variable in occurrences:
                line, column = variable.span.line_col(source)
                path = _static_path(variable.segments)
                found.append(VariableUse(field, path, line, column + 1))
        uses += sorted(found, key=lambda use: (use.line, use.column))
    return uses


def unknown_roots(content: Content) -> list[FieldWarning]:
    """A warning for each use of a variable that is not under ``customer``, ``event`` or
    ``message`` (``{{ first_name }}``): it would always render empty."""
    return [
        FieldWarning(
            code="unknown_variable",
            message=(
                f"{use.field} line {use.line}: '{use}' is not given to templates and will "
                f"render empty (variables start with {', '.join(ROOTS)})"
            ),
            field=use.field,
            line=use.line,
            column=use.column,
        )
        for use in variables(content)
        if use.path[0] not in ROOTS
    ]


def _static_path(segments: list) -> tuple[str | int, ...]:
    path: list[str | int] = []
    for segment in segments:
        if isinstance(segment, list):  # a key computed from another variable
            break
        path.append(segment)
    return tuple(path)
