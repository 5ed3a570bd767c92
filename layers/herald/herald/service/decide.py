"""Deciding on one customer event: read, decide, write, enqueue.

Steady-state AWS calls per event: GetItem (customer), one TransactWriteItems (trace, messages,
contact log) and one SendMessage per outgoing message. The ruleset costs nothing per event
(see :mod:`herald.dal.ruleset`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from herald import engine, runtime
from herald.dal import customers, records
from herald.dal.ruleset import cache as ruleset_cache
from herald.errors import BadEvent, Conflict
from herald.model import Message, iso, parse_eventbridge, profile, utcnow
from herald.observability import logger
from herald.settings import settings

MAX_DETAIL_BYTES = 64 * 1024
MAX_DECIDE_ATTEMPTS = 4  # optimistic-lock retries when the customer changes mid-decision


@dataclass
class Outcome:
    event_id: str
    replay: bool = False
    queued: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    trace: dict = field(default_factory=dict)


def handle_event(envelope: dict, now: datetime | None = None) -> Outcome:
    """Decide on an EventBridge envelope. Raises :class:`BadEvent` for unusable input."""
    event = parse_eventbridge(envelope)
    try:  # Lambda decodes invalid UTF-8 to lone surrogates, which no AWS API can carry
        size = len(json.dumps(event.detail, ensure_ascii=False, separators=(",", ":")).encode())
    except UnicodeEncodeError as exc:
        raise BadEvent(
            "the event contains invalid UTF-8 (unpaired surrogates)", field="detail"
        ) from exc
    if size > MAX_DETAIL_BYTES:
        raise BadEvent(f"event detail is larger than {MAX_DETAIL_BYTES // 1024} KB", field="detail")
    for attempt in range(MAX_DECIDE_ATTEMPTS):
        ruleset, contact_policy = ruleset_cache.get()
        customer = customers.get(event.customer_id)
        decision = engine.decide(ruleset, event, customer, now or utcnow(), contact_policy)
        if _external_effects(decision):
            decision.trace["effects_done"] = False
        messages = [_message(decision, m) for m in decision.messages]
        changes = _customer_changes(decision, customer)
        try:
            records.write_decision(
                decision.trace,
                messages,
                event.customer_id,
                (customer or {}).get("rev"),
                changes,
            )
        except records.Replay:
            return _resume(event.event_id, decision)
        except Conflict:
            if attempt == MAX_DECIDE_ATTEMPTS - 1:
                raise
            continue  # the customer changed (another decision, a profile update): decide again
        break
    outcome = Outcome(event.event_id, trace=decision.trace)
    _run_effects(decision)
    for message in messages:
        if message.status == "queued":
            enqueue(message)
            outcome.queued.append(message.message_id)
        elif message.status == "deferred":
            schedule(message)
            outcome.deferred.append(message.message_id)
    return outcome


def _message(decision: engine.Decision, planned: engine.PlannedMessage) -> Message:
    event = decision.event
    now = decision.trace["decided_at"]
    return Message(
        message_id=planned.message_id,
        customer_id=event.customer_id,
        event_id=event.event_id,
        event_name=event.name,
        rule_id=planned.rule_id,
        rule_version=planned.rule_version,
        content_id=planned.content_id,
        content_version=planned.content_version,
        channel=planned.channel,
        category=planned.category,
        status=planned.verdict.status,
        reason=planned.verdict.reason,
        send_at=iso(planned.verdict.send_at) if planned.verdict.send_at else None,
        created_at=now,
        updated_at=now,
        event=event.detail,
    )


def _customer_changes(decision: engine.Decision, customer: dict | None) -> dict:
    changes: dict = {}
    if decision.contact_log_changed:
        changes["contact_log"] = decision.contact_log
    updates = [e.action.set for e in decision.effects if e.action.kind == "update_profile"]
    if updates:
        doc = profile(customer or {})
        doc["customer_id"] = decision.event.customer_id
        attributes = dict(doc.get("attributes") or {})
        for values in updates:
            attributes.update(values)
        doc["attributes"] = attributes
        changes["doc"] = doc
    return changes


def _resume(event_id: str, decision: engine.Decision) -> Outcome:
    """A replay: send nothing new, but finish what a crashed first attempt left queued."""
    outcome = Outcome(event_id, replay=True, trace=decision.trace)
    stored_trace = records.get_trace(event_id)
    if stored_trace and stored_trace.get("effects_done") is False:
        _run_effects(decision)  # a first attempt died between its write and its effects
    for planned in decision.messages:
        stored = records.get_message(planned.message_id)
        if stored is not None and stored.status == "queued":
            enqueue(stored)  # the send function skips it if it was sent meanwhile
            outcome.queued.append(stored.message_id)
        elif stored is not None and stored.status == "deferred":
            schedule(stored)  # a first attempt that died before scheduling; a duplicate is refused
            outcome.deferred.append(stored.message_id)
    logger.info("replayed event: nothing new sent", event_id=event_id, requeued=len(outcome.queued))
    return outcome


def enqueue(message: Message) -> None:
    runtime.client("sqs").send_message(
        QueueUrl=settings().send_queue_url,
        MessageBody=json.dumps(
            {"message_id": message.message_id, "customer_id": message.customer_id}
        ),
    )


def schedule(message: Message) -> None:
    """Quiet hours: a one-time EventBridge Scheduler schedule puts it on the queue later."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    config = settings()
    at = message.send_at[:19]  # at(yyyy-mm-ddThh:mm:ss), UTC
    try:
        runtime.client("scheduler").create_schedule(
            Name=f"msg-{message.message_id}",
            GroupName=config.scheduler_group,
            ScheduleExpression=f"at({at})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": config.send_queue_arn,
                "RoleArn": config.scheduler_role_arn,
                "Input": json.dumps(
                    {"message_id": message.message_id, "customer_id": message.customer_id}
                ),
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConflictException":  # already scheduled: a replay
            raise


def _external_effects(decision: engine.Decision) -> bool:
    return any(e.action.kind in ("route", "alert") for e in decision.effects)


def _run_effects(decision: engine.Decision) -> None:
    """Routes and alerts, at least once: the trace records when they are done."""
    if not _external_effects(decision):
        return
    config = settings()
    event = decision.event
    for effect in decision.effects:
        action = effect.action
        if action.kind == "route":
            url = (
                config.route_high_queue_url if action.priority == "high" else config.route_queue_url
            )
            runtime.client("sqs").send_message(
                QueueUrl=url,
                MessageBody=json.dumps(
                    {
                        "route_id": f"{event.event_id}:{effect.rule_id}",
                        "queue": action.queue,
                        "priority": action.priority,
                        "reason": action.reason,
                        "customer_id": event.customer_id,
                        "event_name": event.name,
                        "event": event.detail,
                    }
                ),
            )
        elif action.kind == "alert":
            runtime.client("sns").publish(
                TopicArn=config.alerts_topic_arn,
                Subject=f"Herald alert: {action.topic}"[:100],
                Message=action.message,
                MessageAttributes={
                    "topic": {"DataType": "String", "StringValue": action.topic},
                    "rule_id": {"DataType": "String", "StringValue": effect.rule_id},
                },
            )
    decision.trace["effects_done"] = True
    records.put_trace(decision.trace)


MAX_DEAD_LETTER_BYTES = 200 * 1024


def dead_letter(envelope: object, reason: str) -> None:
    """Park an unusable event on the decide DLQ with its reason: retrying can't help it."""
    body = json.dumps(envelope, default=str)  # ASCII escapes: survives invalid UTF-8 too
    truncated = len(body.encode()) > MAX_DEAD_LETTER_BYTES
    if truncated:
        body = json.dumps({"truncated": True, "head": body[: MAX_DEAD_LETTER_BYTES // 2]})
    runtime.client("sqs").send_message(
        QueueUrl=settings().decide_dlq_url,
        MessageBody=body,
        MessageAttributes={"herald_reason": {"DataType": "String", "StringValue": reason[:1000]}},
    )
