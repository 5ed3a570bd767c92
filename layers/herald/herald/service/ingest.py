"""Ingest: customer events onto the bus (``POST /events``) and profile upserts
(``PUT /customers/{id}``), for sources that speak HTTP rather than EventBridge."""

from __future__ import annotations

import uuid
from typing import Any

from herald.aws import bus
from herald.dal import customers
from herald.domain.clock import iso, parse_time, utcnow
from herald.domain.customer import parse_customer
from herald.domain.document import EVENT_NAME_PATTERN, ValidationError, check_json_fields
from herald.domain.event import RESERVED_FIELDS, check_detail
from herald.service import audience, catalogue

DEFAULT_SOURCE = "herald.api"
EVENT_FIELDS = {"type", "customer_id", "event_id", "occurred_at", "source", "data"}


def _string(body: dict, key: str, limit: int, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise ValidationError(f"{key} must be a 1-{limit} character string", field=key)
    return value


def publish_event(body: Any) -> str:
    """Put ``{type, customer_id, event_id?, occurred_at?, source?, data}`` on the bus."""
    if not isinstance(body, dict):
        raise ValidationError("the event must be a JSON object", field="body")
    extra = sorted(set(body) - EVENT_FIELDS)
    if extra:
        raise ValidationError(f"unknown field {extra[0]} (event fields go in data)", field=extra[0])
    check_json_fields(body)
    name = _string(body, "type", 128, required=True)
    if not EVENT_NAME_PATTERN.match(name):
        raise ValidationError(f"type is not an event name: {name!r}", field="type")
    customer_id = _string(body, "customer_id", 128, required=True)
    event_id = _string(body, "event_id", 128) or str(uuid.uuid4())
    source = _string(body, "source", 256) or DEFAULT_SOURCE
    if source.startswith("aws."):
        raise ValidationError("source must not start with aws. (reserved by AWS)", field="source")
    occurred_at = (
        iso(parse_time(body["occurred_at"], "occurred_at"))
        if body.get("occurred_at")
        else iso(utcnow())
    )
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise ValidationError("data must be an object of event fields", field="data")
    clash = [k for k in RESERVED_FIELDS if k in data]
    if clash:
        raise ValidationError(
            f"data.{clash[0]} is reserved: send it at the top level", field=f"data.{clash[0]}"
        )
    detail = {"customer_id": customer_id, "event_id": event_id, "occurred_at": occurred_at, **data}
    check_detail(detail, "data")
    bus.put_event(source, name, detail)
    return event_id


def _memberships(state) -> tuple[str, ...]:
    """The live segments the upserted profile is a member of (recomputed in the same write)."""
    live, now = audience.cache.current(), utcnow()
    return audience.memberships(live, audience.with_aggregates(live, state, now), now)


def upsert_customer(customer_id: str, body: Any) -> dict:
    """Create or replace a profile; the stored document's profile part is returned."""
    if not isinstance(body, dict):
        raise ValidationError("the customer must be a JSON object", field="body")
    if body.get("customer_id") not in (None, customer_id):
        raise ValidationError("customer_id differs from the URL's", field="customer_id")
    check_json_fields(body)
    stored = customers.upsert(parse_customer(body, customer_id), _memberships)
    catalogue.observe_profile(stored.profile)
    return {**stored.profile.to_doc(), "suppressed": dict(stored.suppressed)}
