"""Preview: a content version rendered on every channel for a given customer and event."""

from __future__ import annotations

from typing import Any

from herald import rendering
from herald.admin.users import User
from herald.dal import customers
from herald.dal.versions import contents
from herald.domain.content import Content, parse_content
from herald.domain.customer import CustomerState, fresh, parse_customer
from herald.domain.document import ValidationError, check_id, check_json_fields
from herald.domain.version import check_version
from herald.domain.warning import FieldWarning
from herald.errors import NotFound

PREVIEW_CUSTOMER = "preview"


def customer_state(
    value: Any, customer_id: str | None = None, field: str = "customer"
) -> CustomerState:
    """A profile given inline (validated), or a stored customer's by id (a string)."""
    if isinstance(value, str):
        stored = customers.get(value) if 1 <= len(value) <= 128 else None
        if stored is None:
            raise NotFound(f"customer {value[:128]!r} does not exist", field=field)
        return stored
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a profile object or a customer id", field=field)
    try:
        check_json_fields(value)
        profile = parse_customer(value, value.get("customer_id") or customer_id or PREVIEW_CUSTOMER)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=f"{field}.{exc.field}") from exc
    return fresh(profile)


def _missing(path: tuple[str, ...], context: dict) -> bool:
    node: Any = context
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return True
    return False


def context_warnings(content: Content, context: dict) -> list[FieldWarning]:
    """Template variables that this preview's customer and event don't have: they render empty."""
    warnings = list(rendering.unknown_roots(content))
    seen: set[tuple[str, tuple]] = set()
    for use in rendering.variables(content):
        if use.path[0] not in context or (use.field, use.path) in seen:
            continue
        seen.add((use.field, use.path))
        if _missing(use.path, context):
            warnings.append(
                FieldWarning(
                    "unknown_variable",
                    f"{'.'.join(use.path)} is not in this preview's {use.path[0]}: it renders empty",
                    use.field,
                    use.line,
                    use.column,
                )
            )
    return warnings


def _content(content_id: str, body: dict) -> tuple[Content, int | None]:
    """The stored version to render (latest or given), or the unsaved ``draft`` in the body."""
    draft = body.get("draft")
    if draft is None:
        head = contents.head(content_id)
        version = body.get("version")
        version = head.latest_version if version is None else check_version(version)
        return parse_content(contents.version(content_id, version).doc, version), version
    if body.get("version") is not None:
        raise ValidationError("give a version or a draft, not both", field="version")
    if not isinstance(draft, dict):
        raise ValidationError("draft must be a content document", field="draft")
    try:
        content = parse_content({**draft, "id": content_id})
        rendering.check_content(content)  # a Liquid mistake: 422 naming the field and line
    except ValidationError as exc:
        exc.field = f"draft.{exc.field}" if exc.field else "draft"
        raise
    return content, None


def preview(user: User, content_id: str, body: dict) -> dict:
    """Render every channel of the latest or a given version — or of an unsaved ``draft``,
    whose content need not exist yet — in the customer's locale or the ``locale`` given."""
    user.require_editor()
    content, version = _content(check_id(content_id), body)
    event = body.get("event") or {}
    if not isinstance(event, dict):
        raise ValidationError("event must be an object of event fields", field="event")
    check_json_fields({"event": event})
    customer = customer_state(body.get("customer"))
    context = rendering.template_context(
        customer.profile,
        event,
        {"id": "preview", "rule_id": None, "unsubscribe_url": "#unsubscribe"},
    )
    locale = body.get("locale") or customer.profile.locale
    answer: dict[str, Any] = {
        "id": content_id,
        "version": version,
        "locale": locale,
        "rendered": rendering.render_all(content, context, locale),
    }
    warnings = context_warnings(content, context)
    if warnings:
        answer["warnings"] = [w.to_dict() for w in warnings]
    return answer
