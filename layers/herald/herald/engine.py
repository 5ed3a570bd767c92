"""The decision engine: which rules match an event, which actions run, which messages go out.

Pure and in-process: it takes the published ruleset, the event, the customer's stored document
and the contact policy, and returns a :class:`Decision` (the messages to write, the side effects
to run, and the decision trace). Reading and writing AWS is the caller's job.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald import expressions, policy
from herald.model import (
    AlertAction,
    Event,
    RouteAction,
    Rule,
    SendAction,
    UpdateProfileAction,
    iso,
    message_id_for,
    profile,
)


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


@dataclass(slots=True)
class PlannedMessage:
    """A message action that survived matching, with the contact policy's verdict."""

    message_id: str
    rule_id: str
    rule_version: int
    priority: int
    category: str
    channel: str
    content_id: str
    content_version: int
    branch: str
    index: int
    verdict: policy.Verdict


@dataclass(slots=True)
class Effect:
    """A route, alert or profile update to run alongside the messages."""

    rule_id: str
    action: RouteAction | AlertAction | UpdateProfileAction


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
    messages: list[PlannedMessage] = field(default_factory=list)  # every policy verdict
    effects: list[Effect] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    contact_log: list = field(default_factory=list)
    contact_log_changed: bool = False
    trace: dict = field(default_factory=dict)

    @property
    def outgoing(self) -> list[PlannedMessage]:
        return [m for m in self.messages if m.verdict.status in ("queued", "deferred")]


def _bucket(*parts: str) -> float:
    """A stable number in [0, 1) for deterministic holdouts and variant splits."""
    return zlib.crc32("\x1f".join(parts).encode()) / 0x1_0000_0000


def _pick_content(action: SendAction, customer_id: str, rule_id: str):
    if not action.variants:
        return action.content
    total = sum(v.weight for v in action.variants)
    point = _bucket(customer_id, rule_id, "variant") * total
    for variant in action.variants:
        point -= variant.weight
        if point < 0:
            return variant.content
    return action.variants[-1].content


def profile_context(customer_doc: dict | None, customer_id: str) -> dict:
    if not customer_doc:
        return {"customer_id": customer_id, "attributes": {}, "consent": {}}
    return profile(customer_doc)


def decide(
    ruleset: Ruleset,
    event: Event,
    customer_doc: dict | None,
    now: datetime,
    contact_policy: policy.ContactPolicy = policy.DEFAULT,
) -> Decision:
    """Evaluate the event's rules in priority order and arbitrate the resulting messages."""
    decision = Decision(event)
    candidates = ruleset.by_event.get(event.name, ())
    now_iso = iso(now)
    profile = profile_context(customer_doc, event.customer_id)
    context = expressions.project(
        {"event": event.detail, "customer": profile, "now": now_iso},
        ruleset.paths_by_event.get(event.name, {}),
    )
    trace_rules = []
    planned: list[tuple[SendAction, CompiledRule, str, int]] = []
    effects, offers = decision.effects, decision.offers
    for compiled in candidates:
        rule = compiled.rule
        if (rule.active_from or rule.active_until) and not rule.is_active(now):
            trace_rules.append(
                {
                    "rule_id": rule.id,
                    "version": rule.version,
                    "priority": rule.priority,
                    "matched": None,
                    "skipped": "outside its active window",
                }
            )
            continue
        condition = compiled.condition
        if condition is None:
            matched = True
        else:
            try:  # over budget or failing on this event: skipped, neither branch runs
                matched = condition.evaluate(context) is True
            except (expressions.BudgetExceeded, expressions.EvaluationError) as exc:
                trace_rules.append(
                    {
                        "rule_id": rule.id,
                        "version": rule.version,
                        "priority": rule.priority,
                        "matched": None,
                        "error": exc.message,
                        "code": exc.code,
                    }
                )
                continue
        actions = rule.then if matched else rule.else_
        branch = "then" if matched else "else"
        trace_rules.append(
            {
                "rule_id": rule.id,
                "version": rule.version,
                "priority": rule.priority,
                "matched": matched,
                "branch": branch if actions else None,
            }
        )
        for index, action in enumerate(actions):
            kind = action.kind
            if kind == "send":
                planned.append((action, compiled, branch, index))
            elif kind == "offer":
                version = action.content.version or ruleset.content_versions.get(action.content.id)
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
                effects.append(Effect(rule.id, action))
    decision.trace = {
        "event_id": event.event_id,
        "event_name": event.name,
        "customer_id": event.customer_id,
        "decided_at": now_iso,
        "ruleset_revision": ruleset.revision,
        "rules": trace_rules,
        "actions": _arbitrate(
            decision, planned, ruleset, customer_doc, now, now_iso, contact_policy
        ),
    }
    decision.trace["actions"].extend(
        {"rule_id": e.rule_id, "kind": e.action.kind, "outcome": "run"} for e in decision.effects
    )
    decision.trace["actions"].extend(
        {
            "rule_id": o.rule_id,
            "kind": "offer",
            "placement": o.placement,
            "content": f"{o.content_id}@{o.content_version}",
            "outcome": "offered",
        }
        for o in decision.offers
    )
    return decision


def _arbitrate(
    decision, planned, ruleset, customer_doc, now, now_iso, contact_policy
) -> list[dict]:
    """Contact policy first, then at most ``max_messages_per_event``, highest priority first."""
    event = decision.event
    if not planned:
        return []
    log = policy.recent_contacts(
        (customer_doc or {}).get("contact_log") or [], now, contact_policy.longest_window
    )
    decision.contact_log = log
    budget = contact_policy.max_messages_per_event
    trace = []
    # `planned` is already in rule-priority order (rules were iterated highest first).
    for action, compiled, branch, index in planned:
        rule = compiled.rule
        ref = _pick_content(action, event.customer_id, rule.id)
        entry: dict[str, Any] = {
            "rule_id": rule.id,
            "kind": "send",
            "branch": branch,
            "index": index,
            "channel": action.channel,
        }
        trace.append(entry)
        version = ref.version or ruleset.content_versions.get(ref.id)
        entry["content"] = f"{ref.id}@{version}" if version else ref.id
        if action.holdout and _bucket(event.customer_id, rule.id, "holdout") < action.holdout:
            entry.update(outcome="holdout", reason=f"in the {action.holdout:.0%} holdout group")
            continue
        if not version:
            entry.update(outcome="failed", reason=f"content {ref.id} has no published version")
            continue
        if budget <= 0:
            entry.update(
                outcome="not_chosen", reason="max_messages_per_event reached by higher priority"
            )
            continue
        verdict = policy.check(
            contact_policy,
            channel=action.channel,
            category=rule.category,
            customer=customer_doc,
            contact_log=log,
            now=now,
        )
        message_id = message_id_for(event.event_id, rule.id, branch, index)
        entry.update(outcome=verdict.status, message_id=message_id)
        if verdict.reason:
            entry["reason"] = verdict.reason
        if verdict.send_at:
            entry["send_at"] = iso(verdict.send_at)
        decision.messages.append(
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
            )
        )
        if verdict.status in ("queued", "deferred"):
            budget -= 1
            if rule.category == "marketing":
                log.append([action.channel, now_iso])
                decision.contact_log_changed = True
    return trace
