"""A route: an inquiry put on a contact-centre queue, with what an agent needs to act on it.

The message contract is ``events/schemas/route.message.schema.json``: the customer summary
(tier, value, recent messages), the triggering event, its sentiment and topics when it carries
them (``feedback.received``), the reason, the priority and the SLA deadline the priority
implies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from herald.domain.clock import iso

SLA = {"high": timedelta(hours=1), "normal": timedelta(hours=24), "low": timedelta(hours=72)}
RECENT_MESSAGES = 5


def customer_summary(profile: dict | None, customer_id: str, recent: list[dict]) -> dict:
    """Tier, value, locale and the most recent messages (newest first), for the agent."""
    attributes = (profile or {}).get("attributes") or {}
    value = attributes.get("lifetime_value")
    return {
        "customer_id": customer_id,
        "known": profile is not None,
        "tier": attributes.get("tier"),
        "value": value if isinstance(value, int | float) and not isinstance(value, bool) else None,
        "locale": (profile or {}).get("locale"),
        "recent_messages": recent[:RECENT_MESSAGES],
    }


def route_message(
    *,
    route_id: str,
    queue: str,
    priority: str,
    reason: str | None,
    event_name: str,
    event_id: str,
    detail: dict,
    summary: dict,
    now: datetime,
) -> dict[str, Any]:
    """The message a route puts on its queue (the documented contract)."""
    message: dict[str, Any] = {
        "route_id": route_id,
        "queue": queue,
        "priority": priority,
        "reason": reason,
        "created_at": iso(now),
        "sla_deadline": iso(now + SLA.get(priority, SLA["normal"])),
        "customer_id": summary["customer_id"],
        "customer": summary,
        "event_name": event_name,
        "event_id": event_id,
        "event": detail,
    }
    if isinstance(detail.get("sentiment"), str):
        message["sentiment"] = detail["sentiment"]
        message["scores"] = detail.get("scores") or {}
    if isinstance(detail.get("topics"), list):
        message["topics"] = [t for t in detail["topics"] if isinstance(t, str)]
    return message
