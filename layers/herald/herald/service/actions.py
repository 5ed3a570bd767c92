"""Where each action takes effect: one table from action kind to its effect.

- ``send`` → a message: written with the decision, then queued (or scheduled for after quiet
  hours) for the send function (:func:`deliver`);
- ``update_profile`` → the customer's attributes, changed in the decision's own transaction
  (:func:`profile_update`), so a replayed event can't apply it twice;
- ``route`` → a record on the high- or normal-priority route queue, for the contact centre;
- ``alert`` → a message on the alerts topic;
- ``offer`` → recorded in the trace (placements ask for offers through the decision API).

Routes and alerts run after the decision is written, at least once: the trace says whether they
are done, and a replay of the event finishes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from herald.aws import alerts, queues, scheduler
from herald.domain import goal, route
from herald.domain.action import ActionKind, AlertAction, RouteAction, RoutePriority
from herald.domain.clock import parse_time, utcnow
from herald.domain.customer import CustomerState, CustomerUpdate, unknown_customer, with_attributes
from herald.domain.event import Event
from herald.domain.message import Message, MessageStatus
from herald.engine import Decision, PlannedEffect
from herald.settings import settings


def _route(event: Event, effect: PlannedEffect) -> None:
    action = effect.action
    assert isinstance(action, RouteAction)
    config = settings()
    url = (
        config.route_high_queue_url
        if action.priority == RoutePriority.HIGH
        else config.route_queue_url
    )
    queues.put_json(url, _route_message(event, effect.rule_id, action))


def _route_message(event: Event, rule_id: str, action: RouteAction) -> dict:
    """The documented route contract (herald.domain.route): routes are rare (a complaint, a
    churn risk), so the customer summary reads the profile and the recent messages here."""
    from herald.dal import customers, records  # noqa: PLC0415 — routes only

    state = customers.get(event.customer_id)
    recent = [
        {
            "message_id": m.message_id,
            "channel": m.channel,
            "content_id": m.content_id,
            "status": str(m.status),
            "at": m.created_at,
        }
        for m in records.timeline(event.customer_id, limit=20)
        if isinstance(m, Message)
    ]
    return route.route_message(
        route_id=f"{event.event_id}:{rule_id}",
        queue=action.queue,
        priority=str(action.priority),
        reason=action.reason,
        event_name=event.name,
        event_id=event.event_id,
        detail=event.detail,
        summary=route.customer_summary(state.context if state else None, event.customer_id, recent),
        now=utcnow(),
    )


def _alert(event: Event, effect: PlannedEffect) -> None:
    action = effect.action
    assert isinstance(action, AlertAction)
    alerts.publish(action.topic, action.message, rule_id=effect.rule_id)


@dataclass(frozen=True, slots=True)
class EffectRunner:
    run: Callable[[Event, PlannedEffect], None] | None  # after the decision is written
    in_decision: bool = False  # applied inside the decision's write instead


EFFECTS: dict[ActionKind, EffectRunner] = {
    ActionKind.ROUTE: EffectRunner(_route),
    ActionKind.ALERT: EffectRunner(_alert),
    ActionKind.UPDATE_PROFILE: EffectRunner(None, in_decision=True),
}


def profile_update(decision: Decision, customer: CustomerState | None) -> CustomerUpdate:
    """What the decision changes on the customer: its contact log, the exposures a goal will
    convert (and those this event converted), and the attributes that ``update_profile``
    actions set (where two rules set one attribute, the higher priority wins)."""
    profile = None
    for effect in reversed(decision.effects):  # lowest priority first: the highest writes last
        if EFFECTS[effect.action.kind].in_decision:
            base = profile or (
                customer.profile if customer else unknown_customer(decision.event.customer_id)
            )
            profile = with_attributes(base, effect.action.set)
    exposures = None
    if decision.exposures_changed:
        now = parse_time(decision.trace.decided_at, "decided_at")
        current = customer.exposures if customer else {}
        exposures = goal.remember(current, list(decision.exposures), now)
        exposures = goal.mark_converted(exposures, [e for e, _ in decision.conversions])
    return CustomerUpdate(profile=profile, contact_log=decision.contact_log, exposures=exposures)


def run_effects(decision: Decision) -> bool:
    """Run the routes and alerts; whether there were any."""
    ran = False
    for effect in decision.effects:
        runner = EFFECTS[effect.action.kind]
        if runner.run is not None:
            runner.run(decision.event, effect)
            ran = True
    return ran


def deliver(message: Message) -> None:
    """Hand a written message to the send path: the queue now, or a schedule for later."""
    if message.status == MessageStatus.QUEUED:
        queues.put(
            settings().send_queue_url, queues.send_request(message.message_id, message.customer_id)
        )
    elif message.status == MessageStatus.DEFERRED and message.send_at:
        scheduler.defer(message.message_id, message.customer_id, message.send_at)
