"""Consolidated profiles: the aggregates a profile schema declares, kept from events as they
arrive, in bounded day buckets (never a full recompute).

A schema (one versioned document, id ``profile``, ``rules/profile.yaml``)::

    id: profile
    aggregates:
      orders_90d:    {count: order.placed, within: P90D}
      spend_365d:    {sum: order.placed.amount, within: P365D}
      last_order_at: {last: order.placed}

``count`` counts events of a name, ``sum`` adds a numeric field of them (``<event>.<field>``:
the part after the last dot is the field), ``last`` keeps the time of the latest one. A window
(``within``, whole days, at most :data:`MAX_WINDOW_DAYS`) counts calendar days in UTC, today
included: ``P90D`` on 2026-12-02 takes events of 2026-09-04 to 2026-12-02. Each windowed
aggregate keeps one bucket per day that had an event, pruned to its window on every update,
so a customer's state is at most ``days`` numbers per aggregate whatever the traffic; with no
window an aggregate is one running total.

Every profile gets ``first_seen``, ``last_seen`` and a count per event name for free (at most
:data:`MAX_EVENT_NAMES` names; the rarest name makes room for a new one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from herald.domain.clock import iso, parse_duration
from herald.domain.document import EVENT_NAME_PATTERN, ValidationError, check_id, unknown_keys

PROFILE_ID = "profile"  # the schema is one document
MAX_AGGREGATES = 50
MAX_WINDOW_DAYS = 366
MAX_EVENT_NAMES = 100
AGGREGATE_NAME = r"^[a-z][a-z0-9_]{0,63}$"
ALL_TIME = "all"  # the bucket of an aggregate without a window


class AggregateKind(StrEnum):
    COUNT = "count"
    SUM = "sum"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One declared aggregate: what it reads (an event name, a field for ``sum``) and its
    window in days (None: since the first event)."""

    name: str
    kind: AggregateKind
    event: str
    field: str | None = None
    within_days: int | None = None

    def to_doc(self) -> dict:
        source = f"{self.event}.{self.field}" if self.field else self.event
        doc: dict[str, Any] = {str(self.kind): source}
        if self.within_days:
            doc["within"] = f"P{self.within_days}D"
        return doc

    def first_day(self, today: date) -> date | None:
        """The oldest day inside the window on ``today`` (None: no window)."""
        return today - timedelta(days=self.within_days - 1) if self.within_days else None


@dataclass(frozen=True, slots=True)
class ProfileSchema:
    aggregates: tuple[Aggregate, ...] = ()
    id: str = PROFILE_ID
    description: str | None = None

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {
            "id": self.id,
            "aggregates": {a.name: a.to_doc() for a in self.aggregates},
        }
        if self.description:
            doc["description"] = self.description
        return doc

    @property
    def names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.aggregates)

    def reading(self, event_name: str) -> tuple[Aggregate, ...]:
        return tuple(a for a in self.aggregates if a.event == event_name)


EMPTY_SCHEMA = ProfileSchema()


def parse_profile_schema(doc: Any) -> ProfileSchema:
    """Validate a profile schema document (the admin API's body, ``rules/profile.yaml``)."""
    import re  # noqa: PLC0415 — admin saves only

    if not isinstance(doc, dict):
        raise ValidationError("a profile schema must be an object", field="profile")
    unknown_keys(doc, {"id", "aggregates", "description"})
    schema_id = check_id(doc.get("id", PROFILE_ID))
    if schema_id != PROFILE_ID:
        raise ValidationError(f"the profile schema's id is {PROFILE_ID!r}", field="id")
    declared = doc.get("aggregates") or {}
    if not isinstance(declared, dict):
        raise ValidationError(
            "aggregates must be an object of name: definition", field="aggregates"
        )
    if len(declared) > MAX_AGGREGATES:
        raise ValidationError(f"at most {MAX_AGGREGATES} aggregates", field="aggregates")
    found = []
    for name, spec in declared.items():
        where = f"aggregates.{name}"
        if not isinstance(name, str) or not re.match(AGGREGATE_NAME, name):
            raise ValidationError(
                f"aggregate name {name!r} must be lower_snake_case (a letter first)", field=where
            )
        found.append(_aggregate(name, spec, where))
    description = doc.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1000):
        raise ValidationError("description must be text (1,000 characters)", field="description")
    return ProfileSchema(tuple(found), description=description)


def _aggregate(name: str, spec: Any, where: str) -> Aggregate:
    if not isinstance(spec, dict):
        raise ValidationError(f"{where} must be {{count|sum|last: <event>, within?}}", field=where)
    unknown_keys(spec, {"count", "sum", "last", "within"}, f"{where}.")
    kinds = [k for k in AggregateKind if k in spec]
    if len(kinds) != 1:
        raise ValidationError(f"{where} needs exactly one of count, sum or last", field=where)
    kind = kinds[0]
    source = spec[kind]
    if not isinstance(source, str) or not source:
        raise ValidationError(f"{where}.{kind} must name an event", field=f"{where}.{kind}")
    event, field_name = source, None
    if kind == AggregateKind.SUM:
        event, _, field_name = source.rpartition(".")
        if not event or not field_name:
            raise ValidationError(
                f"{where}.sum is <event>.<field>, e.g. order.placed.amount", field=f"{where}.sum"
            )
    if not EVENT_NAME_PATTERN.match(event):
        raise ValidationError(
            f"{where}.{kind}: {event!r} is not an event name", field=f"{where}.{kind}"
        )
    within = None
    if "within" in spec:
        if kind == AggregateKind.LAST:
            raise ValidationError(f"{where}: last has no window", field=f"{where}.within")
        span = parse_duration(spec["within"], f"{where}.within")
        if span % timedelta(days=1) or span.days > MAX_WINDOW_DAYS:
            raise ValidationError(
                f"{where}.within is whole days, P1D to P{MAX_WINDOW_DAYS}D", field=f"{where}.within"
            )
        within = span.days
    return Aggregate(name, kind, event, field_name, within)


# --------------------------------------------------------------------------- activity


@dataclass(frozen=True, slots=True)
class Activity:
    """What a customer's events left: first/last seen, counts per event name and each
    aggregate's buckets (``{day or "all": number}``; ``last`` keeps ``{"at": iso}``)."""

    first_seen: str | None = None
    last_seen: str | None = None
    event_counts: Mapping[str, int] = field(default_factory=dict)
    buckets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def to_doc(self) -> dict:
        return {
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "event_counts": dict(self.event_counts),
            "buckets": {k: dict(v) for k, v in self.buckets.items()},
        }

    @property
    def size(self) -> int:
        """Stored numbers (bounded by the schema's windows and MAX_EVENT_NAMES)."""
        return len(self.event_counts) + sum(len(b) for b in self.buckets.values())


NO_ACTIVITY = Activity()


def stored_activity(doc: Mapping[str, Any] | None) -> Activity:
    if not doc:
        return NO_ACTIVITY
    return Activity(
        doc.get("first_seen"),
        doc.get("last_seen"),
        dict(doc.get("event_counts") or {}),
        {k: dict(v) for k, v in (doc.get("buckets") or {}).items()},
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if abs(value) < 1e15 else None


def observe(
    activity: Activity,
    schema: ProfileSchema,
    event_name: str,
    detail: Mapping[str, Any],
    occurred_at: datetime,
    now: datetime,
) -> Activity:
    """``activity`` after one event: O(aggregates reading it + their window), no recompute.

    An event from the future counts at ``now``; one older than an aggregate's window counts for
    nothing in it (but for first/last seen and the per-name count)."""
    at = min(occurred_at, now)
    at_iso = iso(at)
    counts = dict(activity.event_counts)
    if event_name not in counts and len(counts) >= MAX_EVENT_NAMES:
        del counts[min(counts, key=lambda k: (counts[k], k))]
    counts[event_name] = counts.get(event_name, 0) + 1
    buckets = {k: dict(v) for k, v in activity.buckets.items() if k in schema.names}
    today = now.date()
    day = at.date().isoformat()
    for aggregate in schema.aggregates:
        kept = buckets.setdefault(aggregate.name, {})
        first = aggregate.first_day(today)
        if first is not None:  # prune what slid out of the window: the bound on its size
            oldest = first.isoformat()
            for stale in [d for d in kept if d < oldest]:
                del kept[stale]
        if aggregate.event != event_name:
            continue
        if aggregate.kind == AggregateKind.LAST:
            if kept.get("at") is None or kept["at"] < at_iso:
                kept["at"] = at_iso
            continue
        if first is not None and at.date() < first:
            continue  # too old for this window
        amount = (
            1.0 if aggregate.kind == AggregateKind.COUNT else _number(detail.get(aggregate.field))
        )
        if amount is None:
            continue
        key = day if first is not None else ALL_TIME
        total = kept.get(key, 0) + amount
        kept[key] = int(total) if float(total).is_integer() else total
    return Activity(
        first_seen=min(activity.first_seen or at_iso, at_iso),
        last_seen=max(activity.last_seen or at_iso, at_iso),
        event_counts=counts,
        buckets={k: v for k, v in buckets.items() if v},
    )


def values(activity: Activity, schema: ProfileSchema, now: datetime) -> dict[str, Any]:
    """Each declared aggregate's value at ``now``: counts and sums over the window's days (0
    with no event), ``last`` the time of the latest event (None before the first)."""
    today = now.date()
    found: dict[str, Any] = {}
    for aggregate in schema.aggregates:
        kept = activity.buckets.get(aggregate.name, {})
        if aggregate.kind == AggregateKind.LAST:
            found[aggregate.name] = kept.get("at")
            continue
        first = aggregate.first_day(today)
        oldest = first.isoformat() if first else ""
        total = sum(v for d, v in kept.items() if d >= oldest or d == ALL_TIME)
        found[aggregate.name] = int(total) if float(total).is_integer() else total
    return found


def derived_context(activity: Activity, schema: ProfileSchema, now: datetime) -> dict[str, Any]:
    """What the profile adds to ``customer`` in rules, content and segments."""
    return {
        "aggregates": values(activity, schema, now),
        "first_seen": activity.first_seen,
        "last_seen": activity.last_seen,
        "event_counts": dict(activity.event_counts),
    }
