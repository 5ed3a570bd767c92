"""The decision engine: which rules match an event, which actions run, which messages go out.

Pure and in-process: it takes the published ruleset, the event, the customer's stored state and
the contact policy, and returns a :class:`Decision` — the messages to write (each with the
policy's verdict), the effects to run, the offers, and the decision trace. Reading and writing
AWS is the caller's job (:mod:`herald.service.decide`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald import expressions
from herald.domain import experiment, goal, policy
from herald.domain.action import ActionKind, Effect, OfferAction, SendAction
from herald.domain.channel import Category
from herald.domain.clock import iso
from herald.domain.content import ContentRef
from herald.domain.customer import Contact, CustomerState
from herald.domain.event import Event
from herald.domain.goal import Exposure
from herald.domain.message import EXPOSED, OUTGOING, MessageStatus, message_id_for
from herald.domain.rule import Rule
from herald.domain.trace import ActionTrace, Outcome, RuleTrace, Trace

_OUTCOMES = {status: Outcome(status) for status in ("queued", "deferred", "suppressed", "capped")}

# Effects that leave the decision's own write (a queue, a topic): run after it, at least once.
EXTERNAL_EFFECTS = frozenset({ActionKind.ROUTE, ActionKind.ALERT})


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    condition: expressions.Condition | None


class Ruleset:
    """An immutable snapshot of the published rules and content versions, indexed for deciding.

    ``revision`` identifies the snapshot; it changes whenever anything is published, rolled back,
    paused or archived, which is how a warm Lambda notices it must reload.
    """

    __slots__ = ("by_event", "content_versions", "paths_by_event", "revision", "rules")

    def __init__(self, rules: list[Rule], content_versions: dict[str, int], revision: str = "0"):
        self.revision = revision
        self.rules = {r.id: r for r in rules}
        self.content_versions = dict(content_versions)
        grouped: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            condition = expressions.compile_condition(rule.when) if rule.when else None
            grouped.setdefault(rule.on, []).append(CompiledRule(rule, condition))
        self.by_event: dict[str, tuple[CompiledRule, ...]] = {}
        self.paths_by_event: dict[str, dict] = {}  # event name -> projection plan
        for name, compiled in grouped.items():
            compiled.sort(key=lambda c: (-c.rule.priority, c.rule.id))
            self.by_event[name] = tuple(compiled)
            paths: set = set()
            for c in compiled:
                if c.condition is not None:
                    paths |= c.condition.paths
            self.paths_by_event[name] = expressions.plan(frozenset(paths))

    def __len__(self) -> int:
        return len(self.rules)

    def content_version(self, ref: ContentRef) -> int | None:
        """The pinned version, or the published one now (None: nothing published)."""
        return ref.version or self.content_versions.get(ref.id)


@dataclass(slots=True)
class PlannedMessage:
    """A message action that survived matching, with the contact policy's verdict."""

    message_id: str
    rule_id: str
    rule_version: int
    priority: int
    category: Category
    channel: str
    content_id: str
    content_version: int
    branch: str
    index: int
    verdict: policy.Verdict
    arm: str = ""


@dataclass(slots=True)
class PlannedEffect:
    """A route, alert or profile update to run alongside the messages."""

    rule_id: str
    action: Effect


@dataclass(slots=True)
class Offer:
    rule_id: str
    rule_version: int
    placement: str
    content_id: str
    content_version: int
    value: Any


@dataclass(slots=True)
class Decision:
    event: Event
    trace: Trace
    messages: tuple[PlannedMessage, ...] = ()  # every policy verdict, queued or not
    effects: tuple[PlannedEffect, ...] = ()
    offers: tuple[Offer, ...] = ()
    contact_log: tuple[Contact, ...] | None = None  # the new contact log, when it changed
    exposures: tuple[Exposure, ...] = ()  # new exposures of rules with a goal
    conversions: tuple[tuple[Exposure, float], ...] = ()  # exposures this event converts, value

    @property
    def exposures_changed(self) -> bool:
        return bool(self.exposures or self.conversions)

    @property
    def outgoing(self) -> list[PlannedMessage]:
        return [m for m in self.messages if m.verdict.status in OUTGOING]


def _unknown_profile(customer_id: str) -> dict:
    return {"customer_id": customer_id, "attributes": {}, "consent": {}}


def decide(
    ruleset: Ruleset,
    event: Event,
    customer: CustomerState | None,
    now: datetime,
    contact_policy: policy.ContactPolicy | None = None,
) -> Decision:
    """Evaluate the event's rules in priority order and arbitrate the resulting messages
    (under ``contact_policy``, the default one when None)."""
    now_iso = iso(now)
    profile = customer.context if customer is not None else _unknown_profile(event.customer_id)
    context = expressions.project(
        {"event": event.detail, "customer": profile, "now": now_iso},
        ruleset.paths_by_event.get(event.name, {}),
    )
    rule_traces: list[RuleTrace] = []
    sends: list[tuple[SendAction, Rule, str, int]] = []
    effects: list[PlannedEffect] = []
    offers: list[Offer] = []
    for compiled in ruleset.by_event.get(event.name, ()):
        rule = compiled.rule
        if (rule.active_from or rule.active_until) and not rule.is_active(now):
            rule_traces.append(
                RuleTrace(
                    rule.id, rule.version, rule.priority, None, skipped="outside its active window"
                )
            )
            continue
        matched = True
        if compiled.condition is not None:
            try:  # over budget or failing on this event: skipped, neither branch runs
                matched = compiled.condition.evaluate(context) is True
            except (expressions.BudgetExceeded, expressions.EvaluationError) as exc:
                rule_traces.append(
                    RuleTrace(
                        rule.id,
                        rule.version,
                        rule.priority,
                        None,
                        None,
                        None,
                        exc.message,
                        exc.code,
                    )
                )
                continue
        actions = rule.then if matched else rule.else_
        branch = "then" if matched else "else"
        rule_traces.append(
            RuleTrace(rule.id, rule.version, rule.priority, matched, branch if actions else None)
        )
        for index, action in enumerate(actions):
            if isinstance(action, SendAction):
                sends.append((action, rule, branch, index))
            elif isinstance(action, OfferAction):
                version = ruleset.content_version(action.content)
                if version:
                    offers.append(
                        Offer(
                            rule.id,
                            rule.version,
                            action.placement,
                            action.content.id,
                            version,
                            action.value,
                        )
                    )
            else:
                effects.append(PlannedEffect(rule.id, action))
    messages, action_traces, contact_log = (
        _arbitrate(
            event, sends, ruleset, customer, now, now_iso, contact_policy or policy.default()
        )
        if sends
        else ([], [], None)
    )
    exposures = _exposures(ruleset, messages, now)
    conversions = _conversions(event, customer, context_for_goals(event, profile, now_iso), now)
    action_traces += [ActionTrace(e.rule_id, e.action.kind, Outcome.RUN) for e in effects]
    action_traces += [
        ActionTrace(
            o.rule_id,
            OfferAction.kind,
            Outcome.OFFERED,
            placement=o.placement,
            content=f"{o.content_id}@{o.content_version}",
        )
        for o in offers
    ]
    trace = Trace(
        event_id=event.event_id,
        event_name=event.name,
        customer_id=event.customer_id,
        decided_at=now_iso,
        ruleset_revision=ruleset.revision,
        rules=tuple(rule_traces),
        actions=tuple(action_traces),
        effects_done=not any(e.action.kind in EXTERNAL_EFFECTS for e in effects),
    )
    return Decision(
        event,
        trace,
        tuple(messages),
        tuple(effects),
        tuple(offers),
        contact_log,
        tuple(exposures),
        tuple(conversions),
    )


def context_for_goals(event: Event, profile: dict, now_iso: str) -> dict:
    return {"event": event.detail, "customer": profile, "now": now_iso}


def _exposures(ruleset: Ruleset, messages: list[PlannedMessage], now: datetime) -> list[Exposure]:
    """The exposures to remember for conversions: rules with a goal, arm drawn and eligible."""
    found = []
    for m in messages:
        rule = ruleset.rules.get(m.rule_id)
        if rule is not None and rule.goal is not None and m.verdict.status in EXPOSED:
            found.append(
                goal.exposure(m.rule_id, m.message_id, now, m.rule_version, m.arm, rule.goal)
            )
    return found


def _conversions(
    event: Event, customer: CustomerState | None, context: dict, now: datetime
) -> list[tuple[Exposure, float]]:
    """The exposures this event converts, each with its value (0 when the goal has none, or
    when the value isn't a number on this event: the conversion still counts)."""
    if customer is None or not customer.exposures:
        return []
    found = []
    for exposure in goal.converting(customer.exposures, event.name, now):
        value = 0.0
        if exposure.value:
            try:
                result = expressions.compile_value(exposure.value).evaluate(context)
            except (
                expressions.BudgetExceeded,
                expressions.EvaluationError,
                expressions.ExpressionError,
            ):
                result = None
            if isinstance(result, int | float) and not isinstance(result, bool):
                value = float(result) if abs(result) < 1e12 else 0.0
        found.append((exposure, value))
    return found


def _arbitrate(
    event: Event,
    sends: list[tuple[SendAction, Rule, str, int]],
    ruleset: Ruleset,
    customer: CustomerState | None,
    now: datetime,
    now_iso: str,
    contact_policy: policy.ContactPolicy,
) -> tuple[list[PlannedMessage], list[ActionTrace], tuple[Contact, ...] | None]:
    """Contact policy first, then at most ``max_messages_per_event``, highest priority first."""
    decision_id = event.decision_id  # hashed once: every message id of the event derives from it
    log = policy.recent_contacts(
        customer.contact_log if customer else (), now, contact_policy.longest_window
    )
    log_changed = False
    budget = contact_policy.max_messages_per_event
    messages: list[PlannedMessage] = []
    traces: list[ActionTrace] = []
    # `sends` is already in rule-priority order (rules were iterated highest first).
    for action, rule, branch, index in sends:
        arm = experiment.assign(action, event.customer_id, rule.id)
        ref = arm.content or action.content
        version = ruleset.content_version(ref)
        content = f"{ref.id}@{version}" if version else ref.id
        verdict = None
        held_out = False
        if not version:
            outcome, reason = Outcome.FAILED, f"content {ref.id} has no published version"
        elif budget <= 0:
            outcome, reason = (
                Outcome.NOT_CHOSEN,
                "max_messages_per_event reached by higher priority",
            )
        else:
            verdict = policy.check(
                contact_policy,
                channel=action.channel,
                category=rule.category,
                customer=customer,
                contact_log=log,
                now=now,
            )
            outcome, reason = _OUTCOMES[verdict.status], verdict.reason
            # The holdout is drawn among customers the message could go to (after consent,
            # caps and quiet hours), so that held-out and treated customers are alike.
            if verdict.status in OUTGOING and arm.name == experiment.HOLDOUT:
                held_out = True
                outcome, reason = Outcome.HOLDOUT, f"in the {action.holdout:.0%} holdout group"
                verdict = policy.Verdict(MessageStatus.HELD_OUT, reason)
        message_id = message_id_for(decision_id, rule.id, branch, index) if verdict else None
        traces.append(
            ActionTrace(
                rule.id,
                action.kind,
                outcome,
                branch=branch,
                index=index,
                channel=str(action.channel),
                content=content,
                reason=reason,
                message_id=message_id,
                send_at=iso(verdict.send_at) if verdict and verdict.send_at else None,
            )
        )
        if verdict is None or message_id is None or version is None:
            continue  # not a message: nothing to send, or not chosen
        messages.append(
            PlannedMessage(
                message_id,
                rule.id,
                rule.version,
                rule.priority,
                rule.category,
                action.channel,
                ref.id,
                version,
                branch,
                index,
                verdict,
                arm.name,
            )
        )
        if held_out:
            budget -= 1  # the holdout's "treatment" is this rule's silence: no other message
            continue
        if verdict.status in OUTGOING:
            budget -= 1
            if rule.category == Category.MARKETING:
                log.append(Contact(action.channel, now_iso))
                log_changed = True
    return messages, traces, tuple(log) if log_changed else None
