"""Treatment rules: when an event of a name arrives and a condition holds, run ``then``, else
``else``. One immutable item per version; at most one version is live at a time.

``parse_rule`` checks a document's shape; the condition's meaning (a boolean over ``event``,
``customer`` and ``now``, bounded in cost) is checked by :mod:`herald.expressions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald.domain.action import Action, OfferAction, SendAction, parse_actions
from herald.domain.channel import Category, Channel
from herald.domain.clock import iso, parse_time
from herald.domain.content import ContentRef
from herald.domain.document import (
    ValidationError,
    check_event_name,
    check_id,
    optional,
    require,
    unknown_keys,
)
from herald.domain.goal import Goal, parse_goal

RULE_FIELDS = frozenset(
    {"id", "name", "on", "priority", "when", "then", "else", "category", "active", "goal"}
)
MAX_PRIORITY = 1_000_000


@dataclass(frozen=True, slots=True)
class ContentUse:
    """Where a rule uses a content: the field (``then[0].send.content``), the ref, the channel."""

    field: str
    ref: ContentRef
    channel: Channel | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of a treatment rule."""

    id: str
    name: str
    on: str
    priority: int
    when: str | None
    then: tuple[Action, ...]
    else_: tuple[Action, ...] = ()
    category: Category = Category.MARKETING
    active_from: datetime | None = None
    active_until: datetime | None = None
    version: int = 1
    goal: Goal | None = None

    def content_uses(self) -> list[ContentUse]:
        """Every content the rule's actions use, for save- and publish-time checks."""
        uses = []
        for branch, actions in (("then", self.then), ("else", self.else_)):
            for i, action in enumerate(actions):
                channel = None
                if isinstance(action, SendAction):
                    channel = action.channel
                elif isinstance(action, OfferAction):
                    channel = Channel.WEB
                for ref in action.content_refs():
                    uses.append(ContentUse(f"{branch}[{i}].{action.kind}.content", ref, channel))
        return uses

    def is_active(self, now: datetime) -> bool:
        if self.active_from and now < self.active_from:
            return False
        return not (self.active_until and now > self.active_until)

    def to_doc(self) -> dict:
        """The rule as the document a marketer writes (inverse of :func:`parse_rule`)."""
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "on": self.on,
            "priority": self.priority,
        }
        if self.when is not None:
            doc["when"] = self.when
        doc["then"] = [a.to_doc() for a in self.then]
        if self.else_:
            doc["else"] = [a.to_doc() for a in self.else_]
        doc["category"] = str(self.category)
        if self.active_from or self.active_until:
            doc["active"] = {
                k: iso(v)
                for k, v in (("from", self.active_from), ("until", self.active_until))
                if v
            }
        if self.goal is not None:
            doc["goal"] = self.goal.to_doc()
        return doc

    def sends(self) -> list[SendAction]:
        """Every send action of both branches, in order."""
        return [a for a in (*self.then, *self.else_) if isinstance(a, SendAction)]


def parse_rule(doc: Any, version: int = 1) -> Rule:
    """Validate a rule document's shape (expressions and content refs are checked elsewhere)."""
    if not isinstance(doc, dict):
        raise ValidationError("a rule must be an object", field="rule")
    if True in doc:
        raise ValidationError(
            "'on' was read as the boolean true (a YAML 1.1 parser): load YAML with "
            "`herald rules validate` or quote the key",
            field="on",
        )
    unknown_keys(doc, RULE_FIELDS)
    rule_id = check_id(doc.get("id"))
    name = require(doc, "name", str)
    if not name.strip() or len(name) > 200:
        raise ValidationError("name must be 1-200 characters", field="name")
    on = check_event_name(require(doc, "on", str), "on")
    priority = optional(doc, "priority", int, default=0)
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValidationError(
            f"priority must be between -{MAX_PRIORITY:,} and {MAX_PRIORITY:,}", field="priority"
        )
    when = optional(doc, "when", str)
    if when is not None and not when.strip():
        when = None
    then = parse_actions(doc.get("then"), "then")
    if not then:
        raise ValidationError("then needs at least one action", field="then")
    else_ = parse_actions(doc.get("else"), "else")
    category = optional(doc, "category", str, default="marketing")
    if category not in tuple(Category):
        raise ValidationError(
            f"category must be one of {', '.join(Category)}, got {category!r}", field="category"
        )
    active_from = active_until = None
    active = doc.get("active")
    if active is not None:
        if not isinstance(active, dict):
            raise ValidationError("active must be an object {from, until}", field="active")
        unknown_keys(active, {"from", "until"}, "active.")
        if active.get("from") is not None:
            active_from = parse_time(active["from"], "active.from")
        if active.get("until") is not None:
            active_until = parse_time(active["until"], "active.until")
        if active_from and active_until and active_until <= active_from:
            raise ValidationError("active.until must be after active.from", field="active.until")
    goal = parse_goal(doc["goal"]) if doc.get("goal") is not None else None
    return Rule(
        id=rule_id,
        name=name,
        on=on,
        priority=priority,
        when=when,
        then=then,
        else_=else_,
        category=Category(category),
        active_from=active_from,
        active_until=active_until,
        version=version,
        goal=goal,
    )
