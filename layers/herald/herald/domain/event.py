"""Customer events as the decide function receives them from EventBridge.

The event's name is the EventBridge ``detail-type`` (``cart.abandoned``); ``detail`` carries
``customer_id``, an optional ``event_id`` (else the EventBridge id) and the event's fields, which
rules read as ``event.<field>``.

Idempotency is per customer: the same ``event_id`` from two customers is two events, so one
customer's retry can never swallow another's event.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from herald.domain.clock import iso, utcnow
from herald.domain.customer import MAX_CUSTOMER_ID
from herald.domain.document import EVENT_NAME_PATTERN, ValidationError, check_json
from herald.errors import HeraldError

MAX_DETAIL_BYTES = 64 * 1024  # what decide accepts (EventBridge allows 256 KB)
MAX_EVENT_ID = 128
RESERVED_FIELDS = ("customer_id", "event_id", "occurred_at")


class BadEvent(HeraldError):
    """An event or queue record that can never be processed: dead-letter it, don't retry."""

    code = "bad_event"


@dataclass(frozen=True, slots=True)
class Event:
    """A customer event: ``name`` is the EventBridge detail-type, ``detail`` its fields."""

    name: str
    customer_id: str
    event_id: str
    occurred_at: str
    detail: dict
    source: str = "unknown"

    @property
    def decision_id(self) -> str:
        """The key of this event's decision: (customer, event id), hashed to a fixed size."""
        return _digest(self.customer_id, self.event_id)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def decision_id(customer_id: str, event_id: str) -> str:
    return _digest(customer_id, event_id)


def check_detail(detail: dict, field: str = "detail") -> int:
    """Size (bytes of compact JSON) of an event's detail, after refusing what can't be carried:
    nesting beyond the limit, NaN/Infinity, invalid Unicode, over ``MAX_DETAIL_BYTES``."""
    check_json(detail, field)
    size = len(json.dumps(detail, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_DETAIL_BYTES:
        raise ValidationError(
            f"{field} is larger than {MAX_DETAIL_BYTES // 1024} KB ({size:,} bytes)", field=field
        )
    return size


def from_eventbridge(
    *, detail_type: Any, detail: Any, envelope_id: Any, time: Any, source: Any
) -> Event:
    """An EventBridge event's parts → :class:`Event`; :class:`BadEvent` if it can't be used
    (retrying can't fix it: the caller parks it on the dead-letter queue with the reason)."""
    if not isinstance(detail_type, str) or not EVENT_NAME_PATTERN.match(detail_type):
        shown = detail_type[:80] if isinstance(detail_type, str) else detail_type
        raise BadEvent(
            f"detail-type is missing or not an event name: {shown!r}", field="detail-type"
        )
    if not isinstance(detail, dict):
        raise BadEvent("detail must be a JSON object", field="detail")
    customer_id = detail.get("customer_id")
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= MAX_CUSTOMER_ID:
        raise BadEvent("detail.customer_id is missing or not a string", field="detail.customer_id")
    event_id = detail.get("event_id") or envelope_id
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= MAX_EVENT_ID:
        raise BadEvent(
            "the event has no usable id (detail.event_id or id)", field="detail.event_id"
        )
    occurred_at = detail.get("occurred_at") or time or iso(utcnow())
    if not isinstance(occurred_at, str):
        raise BadEvent("detail.occurred_at must be an ISO time string", field="detail.occurred_at")
    try:
        check_detail(detail)
    except ValidationError as exc:
        raise BadEvent(exc.message, field=exc.field) from exc
    return Event(
        name=detail_type,
        customer_id=customer_id,
        event_id=event_id,
        occurred_at=occurred_at,
        detail=detail,
        source=str(source or "unknown"),
    )


def from_envelope(envelope: Any) -> Event:
    """A raw EventBridge envelope (a dict) → :class:`Event` (simulations, tests)."""
    if not isinstance(envelope, dict):
        raise BadEvent("event is not a JSON object", field="event")
    return from_eventbridge(
        detail_type=envelope.get("detail-type"),
        detail=envelope.get("detail"),
        envelope_id=envelope.get("id"),
        time=envelope.get("time"),
        source=envelope.get("source"),
    )
