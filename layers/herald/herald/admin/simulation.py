"""Simulation: the real engine on one event, against the live ruleset plus draft overrides.

Reads only: the live rules and contents, the stored policy and (unless given) the stored
customer. Nothing is written, queued or sent; the answer is the decision trace.
"""

from __future__ import annotations

import uuid
from typing import Any

from herald import engine
from herald.admin.preview import customer_state
from herald.admin.users import User
from herald.dal import contact_policy, customers
from herald.dal.versions import contents, rules, ruleset_revision
from herald.domain.clock import iso, parse_time, utcnow
from herald.domain.document import ValidationError, check_id, check_json_fields
from herald.domain.event import BadEvent, from_envelope
from herald.domain.rule import Rule, parse_rule
from herald.domain.version import check_version
from herald.errors import NotFound
from herald.service import ruleset

SOURCE = "herald.simulate"


def envelope(event: Any) -> dict:
    """``{type, customer_id, data}`` (the ingest shape) or an EventBridge envelope."""
    if not isinstance(event, dict):
        raise ValidationError("event must be an object", field="event")
    check_json_fields({"event": event})
    if "detail-type" in event:
        found = dict(event)
    else:
        data = event.get("data") or {}
        if not isinstance(data, dict):
            raise ValidationError("event.data must be an object", field="event.data")
        found = {
            "detail-type": event.get("type"),
            "source": SOURCE,
            "detail": {**data, "customer_id": event.get("customer_id")},
        }
        if event.get("event_id") is not None:
            found["detail"]["event_id"] = event["event_id"]
    found.setdefault("id", f"simulated-{uuid.uuid4()}")
    return found


def _overrides(value: Any, field: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must map ids to versions", field=field)
    return {check_id(k, f"{field}.{k}"): check_version(v, f"{field}.{k}") for k, v in value.items()}


def _stored(store, entity_id: str, version: int, field: str):
    try:
        return store.version(entity_id, version)
    except NotFound as exc:
        raise NotFound(exc.message, field=field) from exc


def _ruleset(rule_versions: dict[str, int], content_versions: dict[str, int]) -> engine.Ruleset:
    """The ruleset decide would load, with the given draft versions in place of the live ones."""
    live: dict[str, Rule] = {rule.id: rule for rule in ruleset.live_rules()}
    for rule_id, version in rule_versions.items():
        stored = _stored(rules, rule_id, version, f"rules.{rule_id}")
        live[rule_id] = parse_rule(stored.doc, version)
    versions = ruleset.live_content_versions()
    for content_id, version in content_versions.items():
        _stored(contents, content_id, version, f"contents.{content_id}")
        versions[content_id] = version
    return engine.Ruleset(list(live.values()), versions, f"{ruleset_revision()}+simulation")


def simulate(user: User, body: dict) -> dict:
    """Decide ``body.event`` as the decide function would, and return what would happen."""
    user.require_editor()
    try:
        event = from_envelope(envelope(body.get("event")))
    except BadEvent as exc:
        raise ValidationError(exc.message, field=f"event.{exc.field}") from exc
    rule_versions = _overrides(body.get("rules"), "rules")
    content_versions = _overrides(body.get("contents"), "contents")
    now = parse_time(body["now"], "now") if body.get("now") is not None else utcnow()
    if body.get("customer") is not None:
        customer = customer_state(body["customer"], event.customer_id)
    else:
        customer = customers.get(event.customer_id)
    decision = engine.decide(
        _ruleset(rule_versions, content_versions), event, customer, now, contact_policy.current()
    )
    return {
        "trace": decision.trace.to_doc(),
        "messages": [
            {
                "message_id": m.message_id,
                "rule_id": m.rule_id,
                "rule_version": m.rule_version,
                "channel": str(m.channel),
                "content": f"{m.content_id}@{m.content_version}",
                "status": str(m.verdict.status),
                "reason": m.verdict.reason,
                "send_at": iso(m.verdict.send_at) if m.verdict.send_at else None,
            }
            for m in decision.messages
        ],
        "offers": [
            {
                "rule_id": o.rule_id,
                "placement": o.placement,
                "content": f"{o.content_id}@{o.content_version}",
                "value": o.value,
            }
            for o in decision.offers
        ],
        "customer_known": customer is not None,
        "sent": False,
    }
