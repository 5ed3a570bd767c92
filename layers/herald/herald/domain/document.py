"""Reading marketer documents (YAML files, API bodies, stored items) field by field.

Every problem raises :class:`ValidationError` whose ``field`` is the JSON path a
marketer must fix (``then[0].send.content``), and whose message names the expected type.
"""

from __future__ import annotations

import re
from typing import Any

from herald.errors import HeraldError


class ValidationError(HeraldError):
    """A document (rule, content, policy, event, customer) breaks the domain's rules: 422."""

    code = "validation_error"
    status = 422


class PositionedError(ValidationError):
    """A mistake inside a field's text (a ZEN condition, a Liquid template): ``line`` and
    ``column`` (1-based, within that text) mark where, when known."""

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


ID_PATTERN = re.compile(r"^[a-z0-9-]{1,64}$")
EVENT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}


def type_name(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def value_type(value: Any) -> str:
    """How a marketer would name the type of ``value`` (JSON terms)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _wrong_type(path: str, kind: type | tuple, value: Any) -> ValidationError:
    return ValidationError(f"{path} must be {type_name(kind)}, got {value_type(value)}", field=path)


def _is(value: Any, kind: type | tuple) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not a number
    return isinstance(value, kind)


def require(doc: dict, key: str, kind: type | tuple, path: str = "") -> Any:
    """``doc[key]``, which must be present, not null and of ``kind``."""
    if key not in doc or doc[key] is None:
        raise ValidationError(f"{path}{key} is required", field=f"{path}{key}")
    value = doc[key]
    if not _is(value, kind):
        raise _wrong_type(f"{path}{key}", kind, value)
    return value


def optional(doc: dict, key: str, kind: type | tuple, path: str = "", default: Any = None) -> Any:
    """``doc[key]`` if present and not null (it must be of ``kind``), else ``default``."""
    value = doc.get(key)
    if value is None:
        return default
    if not _is(value, kind):
        raise _wrong_type(f"{path}{key}", kind, value)
    return value


def unknown_keys(doc: dict, allowed: set[str] | frozenset[str], path: str = "") -> None:
    extra = sorted(str(k) for k in set(doc) - set(allowed))
    if extra:
        raise ValidationError(f"unknown field {path}{extra[0]}", field=f"{path}{extra[0]}")


def check_id(value: Any, field_name: str = "id") -> str:
    """A rule, content or other document id: ``[a-z0-9-]{1,64}``."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        shown = value[:80] if isinstance(value, str) else value
        raise ValidationError(
            f"{field_name} must match [a-z0-9-]{{1,64}}, got {shown!r}", field=field_name
        )
    return value


def document_head(doc: Any, allowed: frozenset[str], what: str) -> tuple[str, str]:
    """A marketer document's common checks: a mapping (``what`` names it: "an offer"), no
    unknown field, a valid ``id``, a 1-200 character ``name`` (the id when absent); returns
    the id and the name."""
    if not isinstance(doc, dict):
        raise ValidationError(f"{what} must be a mapping", field=what.split()[-1])
    unknown_keys(doc, allowed)
    doc_id = check_id(doc.get("id"))
    name = doc.get("name", doc_id)
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise ValidationError("name must be a 1-200 character string", field="name")
    return doc_id, name


def check_event_name(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not EVENT_NAME_PATTERN.match(value):
        shown = value[:80] if isinstance(value, str) else value
        raise ValidationError(
            f"{field_name} is not an event name (letters, digits, . _ : -): {shown!r}",
            field=field_name,
        )
    return value


MAX_JSON_DEPTH = 32  # a marketer's document or an event's data; deeper is a mistake or an attack


def check_json(value: Any, path: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse what JSON parsers let through but no AWS API or template can carry: values nested
    more than ``max_depth`` deep, NaN/Infinity, and unpaired surrogates (what invalid UTF-8 and
    ``"\\ud800"`` escapes decode to). Iterative, so depth can't exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node, where)
        elif isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                raise ValidationError(
                    f"{where} is not a finite number (NaN and Infinity are not JSON)", field=where
                )
        elif isinstance(node, dict | list):
            if depth >= max_depth:
                raise ValidationError(
                    f"{where} is nested more than {max_depth} levels deep", field=where
                )
            if isinstance(node, dict):
                for key, item in node.items():
                    child = f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]"
                    if isinstance(key, str):
                        _check_text(key, child)
                    stack.append((item, child, depth + 1))
            else:
                stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node))


def check_json_fields(body: dict) -> None:
    """:func:`check_json` on each field of a body, the error naming its path (``data.items[0]``)."""
    for key, value in body.items():
        _check_text(str(key), str(key)[:200])
        check_json(value, str(key))


def _check_text(text: str, where: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{where[:200]} contains invalid Unicode (an unpaired surrogate: invalid UTF-8 or a "
            "broken \\u escape)",
            field=where[:200],
        ) from exc
