"""Goals and conversions: what a rule is for, and the exposures a later event converts.

A rule may declare ``goal: {event: order.placed, within: P7D, value: event.amount}``. Every
exposure of the rule (a message queued or deferred, or a customer held out) is remembered on
the customer, beside the contact log. A later event of the goal's name from that customer
converts the *most recent* exposure of the rule still within its window — once: that exposure
is marked, and its arm's ``converted`` and ``revenue`` counters grow, holdout included. The
value (optional) is a ZEN expression over the goal event, checked on save like a condition.

An exposure carries what converting it needs (the goal's event, its deadline and value
expression, the arm and the counter bucket), so a rule paused or changed since still has its
exposures converted as they were promised: the read is the customer item decide already reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from herald.domain.clock import iso, parse_duration
from herald.domain.document import (
    ValidationError,
    check_event_name,
    optional,
    require,
    unknown_keys,
)

MAX_VALUE = 256  # characters of a goal's value expression
# Bounds of the exposures kept on one customer: the most recent per rule, and rules per customer
# (the customer item stays far below DynamoDB's 400 KB whatever the traffic).
EXPOSURES_PER_RULE = 3
MAX_RULES_EXPOSED = 50


@dataclass(frozen=True, slots=True)
class Goal:
    event: str
    within: timedelta
    within_text: str  # as written (P7D), for the document
    value: str | None = None  # a ZEN expression giving a number

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {"event": self.event, "within": self.within_text}
        if self.value is not None:
            doc["value"] = self.value
        return doc


def parse_goal(doc: Any, path: str = "goal") -> Goal:
    """A goal's shape; the value expression's meaning is checked by :mod:`herald.expressions`."""
    if not isinstance(doc, dict):
        raise ValidationError(f"{path} must be an object {{event, within, value?}}", field=path)
    unknown_keys(doc, {"event", "within", "value"}, f"{path}.")
    event = check_event_name(require(doc, "event", str, f"{path}."), f"{path}.event")
    within_text = require(doc, "within", str, f"{path}.")
    within = parse_duration(within_text, f"{path}.within")
    value = optional(doc, "value", str, f"{path}.")
    if value is not None:
        if not value.strip():
            value = None
        elif len(value) > MAX_VALUE:
            raise ValidationError(
                f"{path}.value is longer than {MAX_VALUE} characters", field=f"{path}.value"
            )
    return Goal(event, within, within_text, value)


@dataclass(frozen=True, slots=True)
class Exposure:
    """One exposure of a rule with a goal, as kept on the customer."""

    rule_id: str
    message_id: str
    at: str  # ISO time of the decision
    version: int
    arm: str
    goal_event: str
    deadline: str  # ISO time: a goal event after this converts nothing
    value: str | None = None
    converted: bool = False

    def to_row(self) -> list:
        return [
            self.message_id,
            self.at,
            self.version,
            self.arm,
            self.goal_event,
            self.deadline,
            self.value,
            1 if self.converted else 0,
        ]

    @classmethod
    def from_row(cls, rule_id: str, row: list) -> Exposure:
        message_id, at, version, arm, goal_event, deadline, value, converted = row
        return cls(
            rule_id, message_id, at, int(version), arm, goal_event, deadline, value, bool(converted)
        )

    @property
    def day(self) -> str:
        return self.at[:10]


def exposure(
    rule_id: str, message_id: str, now: datetime, version: int, arm: str, goal: Goal
) -> Exposure:
    return Exposure(
        rule_id, message_id, iso(now), version, arm, goal.event, iso(now + goal.within), goal.value
    )


Exposures = dict[str, tuple[Exposure, ...]]  # rule id -> its most recent exposures, oldest first


def remember(current: Exposures, new: list[Exposure], now: datetime) -> Exposures:
    """``current`` plus ``new``, without what expired, within the bounds above."""
    now_iso = iso(now)
    merged: dict[str, list[Exposure]] = {
        rule: [e for e in found if e.deadline >= now_iso] for rule, found in current.items()
    }
    for item in new:
        merged.setdefault(item.rule_id, []).append(item)
    kept = {rule: tuple(found[-EXPOSURES_PER_RULE:]) for rule, found in merged.items() if found}
    if len(kept) > MAX_RULES_EXPOSED:  # the rules exposed longest ago go first
        newest = sorted(kept, key=lambda rule: kept[rule][-1].at)[-MAX_RULES_EXPOSED:]
        kept = {rule: kept[rule] for rule in newest}
    return kept


def converting(current: Exposures, event_name: str, now: datetime) -> list[Exposure]:
    """The exposures an event of ``event_name`` at ``now`` converts: per rule, the most recent
    exposure whose goal is this event and whose window holds ``now`` — unless it converted
    already (once per exposure; an older exposure is never converted instead)."""
    now_iso = iso(now)
    found = []
    for exposures in current.values():
        candidates = [
            e for e in exposures if e.goal_event == event_name and e.at <= now_iso <= e.deadline
        ]
        if candidates and not candidates[-1].converted:
            found.append(candidates[-1])
    return found


def mark_converted(current: Exposures, converted: list[Exposure]) -> Exposures:
    ids = {e.message_id for e in converted}
    return {
        rule: tuple(replace(e, converted=True) if e.message_id in ids else e for e in found)
        for rule, found in current.items()
    }
