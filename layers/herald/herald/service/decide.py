"""Deciding on one customer event: read, decide, write, then deliver and run effects.

Steady-state AWS calls per event: GetItem (customer), one TransactWriteItems (trace, messages,
contact log) and one SendMessage per outgoing message. The ruleset costs nothing per event
(see :mod:`herald.service.ruleset`), nor does the event catalogue (a sampled summary a minute).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from herald import engine
from herald.dal import customers, outcomes, records
from herald.dal.counters import Increment
from herald.domain.clock import iso, utcnow
from herald.domain.event import Event, from_envelope
from herald.domain.message import Message, MessageStatus
from herald.domain.outcome import MessageRef, OutcomeKind
from herald.domain.trace import Trace
from herald.errors import Conflict
from herald.observability import logger, metrics
from herald.service import actions, audience, budget_alerts, catalogue, dead_letters
from herald.service.ruleset import cache as ruleset_cache
from herald.settings import settings

MAX_DECIDE_ATTEMPTS = 4  # optimistic-lock retries when the customer changes mid-decision


@dataclass
class Outcome:
    event_id: str
    trace: Trace
    replay: bool = False
    queued: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)


def on_eventbridge(envelope: dict) -> dict:
    """The decide function's one call: an EventBridge event decided, or parked on the decide
    DLQ with the reason when it can never be decided."""
    try:
        outcome = handle(from_envelope(envelope))
    except Exception as exc:  # noqa: BLE001 - one mapping re-raises (retry) or parks with the reason
        reason = dead_letters.retry_or_park(settings().decide_dlq_url, envelope, exc)
        logger.warning("event parked", reason=reason, error=type(exc).__name__)
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        return {"status": "rejected", "reason": reason}
    logger.info(
        "decided",
        event_id=outcome.event_id,
        replay=outcome.replay,
        queued=len(outcome.queued),
        deferred=len(outcome.deferred),
    )
    metrics.add_metric(name="EventsDecided", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="MessagesQueued", unit=MetricUnit.Count, value=len(outcome.queued))
    return {
        "status": "replay" if outcome.replay else "decided",
        "event_id": outcome.event_id,
        "queued": outcome.queued,
        "deferred": outcome.deferred,
    }


def handle(event: Event, now: datetime | None = None) -> Outcome:
    """Decide on ``event``: write the decision, then deliver its messages and run its effects."""
    catalogue.observe_event(event)
    for attempt in range(MAX_DECIDE_ATTEMPTS):
        ruleset, contact_policy = ruleset_cache.get()
        stored = customers.get(event.customer_id)
        at = now or utcnow()
        live = audience.cache.get(ruleset.revision)
        # The rules see the profile with this event counted (aggregates, segments).
        customer = audience.observe(live, stored, event, at) if stored else None
        decision = engine.decide(ruleset, event, customer, at, contact_policy)
        messages = [_message(decision, m) for m in decision.messages]
        update = actions.profile_update(decision, customer)
        if stored is not None and customer is not None:
            derived = audience.derived_update(live, stored, customer, update.profile, at)
            update = replace(
                update,
                activity=derived.activity,
                aggregates=derived.aggregates,
                segments=derived.segments,
            )
        try:
            records.write_decision(
                decision.trace,
                messages,
                event.customer_id,
                stored.revision if stored else None,
                update,
                _increments(decision),
            )
        except records.Replay:
            return _resume(decision)
        except Conflict:
            if attempt == MAX_DECIDE_ATTEMPTS - 1:
                raise
            continue  # the customer changed (another decision, a profile update): decide again
        break
    outcome = Outcome(event.event_id, decision.trace)
    budget_alerts.after_decision(decision.trace)
    _run_effects(decision)
    for message in messages:
        _deliver(message, outcome)
    return outcome


def _increments(decision: engine.Decision) -> list[Increment]:
    """Counters that move with the decision: a conversion (and its revenue) per exposure this
    event converts. (Exposures are counted from the messages table's stream.)"""
    found = []
    for exposure, value in decision.conversions:
        ref = MessageRef(
            exposure.message_id,
            exposure.rule_id,
            exposure.version,
            exposure.arm,
            exposure.at[:13],
            "",
            "",
        )
        found += outcomes.increments(ref, OutcomeKind.CONVERTED, value)
    if decision.conversions:
        metrics.add_metric(
            name="Conversions", unit=MetricUnit.Count, value=len(decision.conversions)
        )
    return found


def _message(decision: engine.Decision, planned: engine.PlannedMessage) -> Message:
    event = decision.event
    now = decision.trace.decided_at
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
        arm=planned.arm or None,
    )


def _deliver(message: Message, outcome: Outcome) -> None:
    if message.status == MessageStatus.QUEUED:
        outcome.queued.append(message.message_id)
    elif message.status == MessageStatus.DEFERRED:
        outcome.deferred.append(message.message_id)
    else:
        return
    actions.deliver(message)


def _run_effects(decision: engine.Decision) -> None:
    """Routes and alerts, at least once: the stored trace says when they are done."""
    if actions.run_effects(decision):
        # A decision with messages keeps its trace out of the customer index (write_decision).
        trace = replace(decision.trace, effects_done=True)
        records.put_trace(trace, indexed=not decision.messages)


def _resume(decision: engine.Decision) -> Outcome:
    """A replay: send nothing new, but finish what a crashed first attempt left undone."""
    event = decision.event
    outcome = Outcome(event.event_id, decision.trace, replay=True)
    stored_trace = records.get_trace(event.customer_id, event.event_id)
    if stored_trace is not None and not stored_trace.effects_done:
        _run_effects(decision)  # a first attempt died between its write and its effects
    for planned in decision.messages:
        stored = records.get_message(planned.message_id)
        if stored is not None:
            # The send function skips a message sent meanwhile; a duplicate schedule is refused.
            _deliver(stored, outcome)
    logger.info(
        "replayed event: nothing new sent", event_id=event.event_id, requeued=len(outcome.queued)
    )
    return outcome
