"""The decision trace: for one event, each rule considered (matched or not, which branch, or
why it was skipped) and each action (sent, suppressed, capped, deferred, held out, … and why).

The engine builds it; ``herald.dal.records`` stores it; marketers read it (simulate, timeline)
to answer "why did (or didn't) this customer get this?".

These classes are built on the decision's hot path (one per rule considered, one per action),
so they are plain slotted dataclasses, not frozen ones: a frozen dataclass sets each field
through ``object.__setattr__``, which made the engine 40% slower. Nothing changes them after
the engine built them; a finished trace is replaced (``dataclasses.replace``), never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from herald.domain.action import ActionKind


class Outcome(StrEnum):
    """What became of one action."""

    QUEUED = "queued"
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"
    CAPPED = "capped"
    HOLDOUT = "holdout"  # the customer is in the action's holdout group
    FAILED = "failed"  # e.g. the content has no published version
    NOT_CHOSEN = "not_chosen"  # max_messages_per_event went to higher priority
    RUN = "run"  # a route, alert or profile update
    OFFERED = "offered"


def _doc(obj: Any) -> dict:
    """A dataclass as a document, without the fields that are None."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is not None:
            out[f.name] = str(value) if isinstance(value, StrEnum) else value
    return out


@dataclass(slots=True)
class RuleTrace:
    rule_id: str
    version: int
    priority: int
    matched: bool | None  # None: not evaluated (skipped or failed)
    branch: str | None = None  # then | else; None when the branch has no actions
    skipped: str | None = None  # e.g. outside its active window
    error: str | None = None  # the condition failed or went over its budget
    code: str | None = None  # evaluation_error | over_budget, beside the error

    def to_doc(self) -> dict:
        doc = _doc(self)
        doc["matched"] = self.matched  # kept even when None: "not evaluated" is an answer
        if "skipped" not in doc and "error" not in doc:
            doc["branch"] = self.branch
        return doc


@dataclass(slots=True)
class ActionTrace:
    rule_id: str
    kind: ActionKind
    outcome: Outcome
    branch: str | None = None
    index: int | None = None
    channel: str | None = None
    content: str | None = None  # id@version
    placement: str | None = None
    reason: str | None = None
    message_id: str | None = None
    send_at: str | None = None

    def to_doc(self) -> dict:
        return _doc(self)


@dataclass(slots=True)
class Trace:
    event_id: str
    event_name: str
    customer_id: str
    decided_at: str
    ruleset_revision: str
    rules: tuple[RuleTrace, ...]
    actions: tuple[ActionTrace, ...]
    effects_done: bool = True  # False until routes and alerts have run (see service.actions)

    def to_doc(self) -> dict:
        return {
            "event_id": self.event_id,
            "event_name": self.event_name,
            "customer_id": self.customer_id,
            "decided_at": self.decided_at,
            "ruleset_revision": self.ruleset_revision,
            "rules": [r.to_doc() for r in self.rules],
            "actions": [a.to_doc() for a in self.actions],
            "effects_done": self.effects_done,
        }

    @classmethod
    def from_doc(cls, doc: dict) -> Trace:
        return cls(
            event_id=doc["event_id"],
            event_name=doc["event_name"],
            customer_id=doc["customer_id"],
            decided_at=doc["decided_at"],
            ruleset_revision=str(doc.get("ruleset_revision", "")),
            rules=tuple(RuleTrace(**r) for r in doc.get("rules", ())),
            actions=tuple(
                ActionTrace(
                    **{**a, "kind": ActionKind(a["kind"]), "outcome": Outcome(a["outcome"])}
                )
                for a in doc.get("actions", ())
            ),
            effects_done=bool(doc.get("effects_done", True)),
        )
