"""Preview: a content version rendered on every channel for a given customer and event."""

from __future__ import annotations

from typing import Any

from herald import rendering
from herald.admin.users import User
from herald.dal import customers
from herald.dal.versions import check_version, contents
from herald.errors import NotFound, ValidationError
from herald.model import check_id, parse_content, parse_customer

PREVIEW_CUSTOMER = "preview"


def customer_doc(value: Any, customer_id: str | None = None, field: str = "customer") -> dict:
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
        profile = parse_customer(value, value.get("customer_id") or customer_id or PREVIEW_CUSTOMER)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=f"{field}.{exc.field}") from exc
    return customers.unsaved(profile)


def preview(user: User, content_id: str, body: dict) -> dict:
    """Render every channel (and the customer's locale) of the latest or a given version."""
    user.require_editor()
    head = contents.head(check_id(content_id))
    version = body.get("version")
    version = head.latest_version if version is None else check_version(version)
    stored = contents.version(content_id, version)
    event = body.get("event") or {}
    if not isinstance(event, dict):
        raise ValidationError("event must be an object of event fields", field="event")
    customer = customer_doc(body.get("customer"))
    context = rendering.template_context(
        customer, event, {"id": "preview", "rule_id": None, "unsubscribe_url": "#unsubscribe"}
    )
    content = parse_content(stored.doc, version)
    return {
        "id": content_id,
        "version": version,
        "locale": customer.get("locale"),
        "rendered": rendering.render_all(content, context, customer.get("locale")),
    }
