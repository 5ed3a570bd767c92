"""What happened: the audit trail of changes, and a customer's decisions and messages."""

from __future__ import annotations

from dataclasses import asdict

from herald.admin.users import User
from herald.dal import audit, records
from herald.domain.audit import ENTITIES
from herald.domain.document import check_id
from herald.domain.message import Message
from herald.errors import ValidationError

MAX_TIMELINE = 200


def _limit(limit: int, most: int) -> int:
    if not 1 <= limit <= most:
        raise ValidationError(f"limit must be 1-{most}", field="limit")
    return limit


def audit_log(
    user: User, entity: str | None, entity_id: str | None, limit: int = 100
) -> list[dict]:
    """One entity's changes (``entity`` and ``id``) or everyone's, newest first."""
    user.require_editor()
    limit = _limit(limit, audit.MAX_LIMIT)
    if entity is None and entity_id is None:
        return [e.to_dict() for e in audit.recent(limit)]
    if entity not in ENTITIES:
        raise ValidationError(f"entity must be one of {', '.join(ENTITIES)}", field="entity")
    if entity_id is None:
        raise ValidationError("id is required with entity", field="id")
    if entity != "policy":
        check_id(entity_id)
    elif entity_id != "policy":
        raise ValidationError("the policy's id is policy", field="id")
    return [e.to_dict() for e in audit.for_entity(entity, entity_id, limit)]


def timeline(user: User, customer_id: str, limit: int = 50) -> list[dict]:
    """The customer's recent decision traces and messages, newest first, each with its why."""
    user.require_editor()
    if not 1 <= len(customer_id) <= 128:
        raise ValidationError("customer id must be 1-128 characters", field="id")
    return [
        {"kind": "message", **asdict(entry)}
        if isinstance(entry, Message)
        else {"kind": "trace", **entry.to_doc()}
        for entry in records.timeline(customer_id, _limit(limit, MAX_TIMELINE))
    ]
