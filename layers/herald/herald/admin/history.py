"""What happened: the audit trail of changes, and a customer's decisions and messages."""

from __future__ import annotations

from dataclasses import asdict

from herald.admin.users import User
from herald.dal import audit, customers, records, versions
from herald.domain.audit import ENTITIES
from herald.domain.clock import utcnow
from herald.domain.customer import MAX_CUSTOMER_ID
from herald.domain.document import ValidationError, check_id
from herald.domain.message import Message
from herald.domain.outcome import engagement
from herald.service import audience

MAX_TIMELINE = 200


def audit_log(
    user: User, entity: str | None, entity_id: str | None, limit: int = 100
) -> list[dict]:
    """Changes, newest first: everyone's, one kind of entity's, one id's, or one entity's."""
    user.require_editor()
    if entity is not None and entity not in ENTITIES:
        raise ValidationError(f"entity must be one of {', '.join(ENTITIES)}", field="entity")
    if entity_id is not None:
        check_id(entity_id)
    return [e.to_dict() for e in audit.search(entity, entity_id, min(limit, audit.MAX_LIMIT))]


def timeline(user: User, customer_id: str, limit: int = 50) -> dict:
    """The customer's recent decision traces and messages, newest first, each with its why;
    and, for a known customer, the profile Herald derives (aggregates now, activity,
    segments)."""
    user.require_editor()
    if not 1 <= len(customer_id) <= MAX_CUSTOMER_ID:
        raise ValidationError(f"customer id must be 1-{MAX_CUSTOMER_ID} characters", field="id")
    answer: dict = {
        "items": [
            _message(entry) if isinstance(entry, Message) else {"kind": "trace", **entry.to_doc()}
            for entry in records.timeline(customer_id, min(limit, MAX_TIMELINE))
        ]
    }
    state = customers.get(customer_id)
    if state is not None:
        answer["profile"] = _derived(state)
    return answer


def _derived(state) -> dict:
    """What rules see of the customer beyond their attributes: the live schema's aggregates
    at this moment (windows slide without events), activity and segment memberships."""
    live = audience.cache.get(str(versions.ruleset_revision()))
    now = utcnow()
    context = audience.with_aggregates(live, state, now).context
    return {
        name: context[name]
        for name in ("aggregates", "first_seen", "last_seen", "event_counts", "segments")
    }


def _message(message: Message) -> dict:
    """A message with what became of it: its outcomes and the furthest it got (engagement)."""
    shown = {"kind": "message", **asdict(message)}
    shown["outcomes"] = sorted(message.outcomes)
    shown["engagement"] = engagement(message.outcomes)
    return shown
