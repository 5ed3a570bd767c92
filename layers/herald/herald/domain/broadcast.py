"""Broadcasts: one send to every member of a segment, at an instant or at a local time in each
customer's own time zone, through the same contact policy as event-driven messages.

Lifecycle (:class:`BroadcastStatus`)::

    draft ─submit─▶ submitted ─approve (another approver)─▶ scheduled ─(at start)─▶ running
      running ─pause─▶ paused ─resume─▶ running      any but completed ─cancel─▶ cancelled
      running ─(every scan segment done)─▶ completed

A broadcast's message to a customer has a deterministic id (:func:`message_id_for`), so a
re-run, a retried worker or a resumed broadcast finds the message it wrote and never sends it
twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from herald.domain.action import SendAction, parse_action
from herald.domain.channel import MESSAGE_CHANNELS, Category
from herald.domain.clock import iso, parse_time
from herald.domain.document import ValidationError, check_id, unknown_keys

BROADCAST_FIELDS = frozenset(
    {"id", "name", "segment", "channel", "content", "variants", "holdout", "goal", "send_at"}
    | {"category"}
)
RULE_PREFIX = "broadcast:"  # a broadcast's messages name it as their rule: counters, timeline
LOCAL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$")  # no zone
# The earliest and latest UTC offsets in use (Kiribati +14:00, Baker Island -12:00): a local
# send time happens somewhere between these two instants.
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=-12)


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for an approver
    SCHEDULED = "scheduled"  # approved: the schedule starts it
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


EDITABLE = frozenset({BroadcastStatus.DRAFT, BroadcastStatus.SUBMITTED})
SENDING = frozenset({BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING})  # messages may go out
FINISHED = frozenset({BroadcastStatus.CANCELLED, BroadcastStatus.COMPLETED})

# The per-state counts a broadcast's progress shows (sent and failed come from the send side).
COUNTS = (
    "scanned",
    "matched",
    "queued",
    "suppressed",
    "capped",
    "deferred",
    "held_out",
    "sent",
    "failed",
    "existing",  # members an earlier run already wrote to: not sent again
)


@dataclass(frozen=True, slots=True)
class SendAt:
    """An instant (``2026-12-08T09:00:00Z``), or a local time applied in each customer's time
    zone (``2026-12-08T10:00``, no zone); None: as soon as it is approved."""

    instant: datetime | None = None
    local: datetime | None = None  # naive: a wall-clock time

    def to_doc(self) -> str | None:
        if self.instant is not None:
            return iso(self.instant)
        if self.local is not None:
            return self.local.strftime("%Y-%m-%dT%H:%M")
        return None

    def first_instant(self, now: datetime) -> datetime:
        """When the broadcast must start: the instant, or where the local time comes first."""
        if self.instant is not None:
            return max(self.instant, now)
        if self.local is not None:
            return max(self.local.replace(tzinfo=UTC) - EARLIEST_OFFSET, now)
        return now

    def for_customer(self, timezone: str | None, default_zone: str = "UTC") -> datetime | None:
        """The instant the customer's message is due (None: now)."""
        if self.instant is not None:
            return self.instant
        if self.local is None:
            return None
        return local_instant(self.local.date(), self.local.time(), timezone or default_zone)


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone``.

    Across DST: a time that doesn't exist (the spring-forward gap, 02:30 in Paris on the last
    Sunday of March) is taken as the same offset as before the gap, i.e. one hour later on the
    clock (03:30); a time that happens twice (the autumn fall-back) is its first occurrence.
    An unknown zone is UTC.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def parse_send_at(value: Any, field_name: str = "send_at") -> SendAt:
    if value is None:
        return SendAt()
    if not isinstance(value, str):
        raise ValidationError(f"{field_name} must be an ISO time", field=field_name)
    local = LOCAL_TIME.match(value)
    if local:
        day, hours, minutes, seconds = local.groups()
        try:
            wall = datetime.fromisoformat(f"{day}T{hours}:{minutes}:{seconds or '00'}")
        except ValueError as exc:
            raise ValidationError(f"{field_name} is not a time: {value}", field=field_name) from exc
        return SendAt(local=wall)
    return SendAt(instant=parse_time(value, field_name))


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: str
    name: str
    segment: str
    action: SendAction  # channel, content or variants, holdout
    category: Category
    send_at: SendAt = field(default_factory=SendAt)
    goal: dict | None = None  # as a rule's goal: {event, within, value?}
    status: BroadcastStatus = BroadcastStatus.DRAFT
    created_by: str = ""
    created_at: str = ""
    submitted_by: str | None = None
    approved_by: str | None = None
    run: int = 0  # bumped by every start (approve, resume, re-run): names the execution
    execution: str | None = None  # the Step Functions execution of the current run
    history: tuple[dict, ...] = ()  # [{status, at, by}] every change of status

    @property
    def rule_id(self) -> str:
        """What its messages carry as their rule (outcome counters, the timeline)."""
        return f"{RULE_PREFIX}{self.id}"

    def definition(self) -> dict:
        """The document as the marketer wrote it (normalised)."""
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "segment": self.segment,
            "channel": str(self.action.channel),
            "content": str(self.action.content),
            "category": str(self.category),
        }
        if self.action.variants:
            doc["variants"] = [
                {"content": str(v.content), "weight": v.weight} for v in self.action.variants
            ]
        if self.action.holdout:
            doc["holdout"] = self.action.holdout
        if self.goal:
            doc["goal"] = dict(self.goal)
        if self.send_at.to_doc():
            doc["send_at"] = self.send_at.to_doc()
        return doc

    def to_doc(self) -> dict:
        return {
            **self.definition(),
            "status": str(self.status),
            "created_by": self.created_by,
            "created_at": self.created_at,
            "submitted_by": self.submitted_by,
            "approved_by": self.approved_by,
            "run": self.run,
            "execution": self.execution,
            "history": list(self.history),
        }

    def moved(self, status: BroadcastStatus, by: str, at: str, **changes: Any) -> Broadcast:
        entry = {"status": str(status), "at": at, "by": by}
        return replace(self, status=status, history=(*self.history, entry), **changes)


def parse_broadcast(doc: Any, created_by: str = "", created_at: str = "") -> Broadcast:
    """Validate a broadcast definition (``POST /admin/broadcasts``)."""
    if not isinstance(doc, dict):
        raise ValidationError("a broadcast must be an object", field="broadcast")
    unknown_keys(doc, BROADCAST_FIELDS)
    broadcast_id = check_id(doc.get("id"))
    name = doc.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise ValidationError("name must be 1-200 characters", field="name")
    segment = check_id(doc.get("segment"), "segment")
    channel = doc.get("channel")
    if channel not in MESSAGE_CHANNELS:
        raise ValidationError("channel must be email, sms or push", field="channel")
    send = {k: doc[k] for k in ("content", "variants", "holdout") if k in doc}
    if "content" not in send and doc.get("variants"):
        send["content"] = doc["variants"][0].get("content") if doc["variants"] else None
    action = parse_action({"send": {"channel": channel, **send}}, "")
    assert isinstance(action, SendAction)
    category = doc.get("category", Category.MARKETING)
    if category not in tuple(Category):
        raise ValidationError("category must be marketing or transactional", field="category")
    goal = doc.get("goal")
    if goal is not None and not isinstance(goal, dict):
        raise ValidationError("goal must be an object {event, within, value?}", field="goal")
    return Broadcast(
        broadcast_id,
        name,
        segment,
        action,
        Category(category),
        parse_send_at(doc.get("send_at")),
        goal,
        created_by=created_by,
        created_at=created_at,
    )


def stored_broadcast(doc: dict) -> Broadcast:
    """A broadcast from its stored document (validated when written)."""
    parsed = parse_broadcast(
        {k: v for k, v in doc.items() if k in BROADCAST_FIELDS},
        doc.get("created_by", ""),
        doc.get("created_at", ""),
    )
    return replace(
        parsed,
        status=BroadcastStatus(doc.get("status", "draft")),
        submitted_by=doc.get("submitted_by"),
        approved_by=doc.get("approved_by"),
        run=int(doc.get("run") or 0),
        execution=doc.get("execution"),
        history=tuple(doc.get("history") or ()),
    )


def message_id_for(broadcast_id: str, customer_id: str) -> str:
    """The broadcast's one message to the customer: the same id on every run and retry."""
    key = f"broadcast\x1f{broadcast_id}\x1f{customer_id}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def scan_segments(customers: int, per_segment: int = 20_000, most: int = 1_000) -> int:
    """Parallel-scan segments for a table of ``customers`` (about ``per_segment`` each)."""
    return max(1, min(most, -(-customers // per_segment)))
