"""Profiles and segments at decision time: the live profile schema and segments, cached per
container and reloaded when the ruleset revision moves (every publish bumps it), and what one
event or one profile change does to a customer's aggregates and memberships.

Costs nothing per event in steady state: the schema and the compiled segments come from the
cache, the aggregates' buckets travel on the customer item the decision reads and writes anyway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

from herald import expressions
from herald.dal import versions
from herald.domain import profile, segment
from herald.domain.clock import iso, parse_time
from herald.domain.customer import Customer, CustomerState, CustomerUpdate
from herald.domain.document import ValidationError
from herald.domain.event import Event
from herald.observability import logger
from herald.runtime import register_cache
from herald.settings import settings


@dataclass(frozen=True, slots=True)
class CompiledSegment:
    segment: segment.Segment
    condition: expressions.Condition


@dataclass(frozen=True, slots=True)
class Audience:
    """The live profile schema and segments (one snapshot)."""

    schema: profile.ProfileSchema = profile.EMPTY_SCHEMA
    segments: tuple[CompiledSegment, ...] = ()
    revision: str = ""

    def segment(self, segment_id: str) -> CompiledSegment | None:
        return next((s for s in self.segments if s.segment.id == segment_id), None)


def compile_segment(parsed: segment.Segment) -> CompiledSegment:
    """The segment's condition compiled; a condition that reads ``event`` is refused."""
    condition = expressions.compile_condition(parsed.when)
    if segment.reads_event(condition.paths):
        raise ValidationError(
            "a segment has no event: its condition reads customer and now only", field="when"
        )
    return CompiledSegment(parsed, condition)


def load(revision: str = "") -> Audience:
    """Read the live profile schema and segments (two queries on the sparse live indexes)."""
    schema = profile.EMPTY_SCHEMA
    for stored in versions.profiles.live():
        try:
            schema = profile.parse_profile_schema(stored.doc)
        except ValidationError as exc:  # validated on save; never stop the decisions
            logger.error("skipping invalid live profile schema", error=exc.message)
    compiled = []
    for stored in versions.segments.live()[: segment.MAX_SEGMENTS]:
        try:
            compiled.append(compile_segment(segment.parse_segment(stored.doc, stored.version)))
        except ValidationError as exc:
            logger.error("skipping invalid live segment", segment_id=stored.id, error=exc.message)
    compiled.sort(key=lambda c: c.segment.id)
    return Audience(schema, tuple(compiled), revision)


class AudienceCache:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.audience: Audience | None = None
        self.checked_at = 0.0

    def get(self, revision: str) -> Audience:
        """The snapshot for ``revision`` (the ruleset cache's: it moves with every publish)."""
        if self.audience is None or self.audience.revision != revision:
            self.audience = load(revision)
        return self.audience

    def current(self, clock=time.monotonic) -> Audience:
        """The live snapshot for callers with no ruleset at hand (``PUT /customers``): the
        revision is read at most every ``RULESET_REFRESH_SECONDS``, as the ruleset cache does,
        not once per call."""
        now = clock()
        if self.audience is None or now - self.checked_at >= settings().ruleset_refresh_seconds:
            self.get(str(versions.ruleset_revision()))
            self.checked_at = now
        assert self.audience is not None  # get() loaded it
        return self.audience


cache = register_cache(AudienceCache())


# --------------------------------------------------------------------------- evaluation


def segment_context(state: CustomerState, now: datetime) -> dict:
    return {"customer": state.context, "now": iso(now)}


def is_member(compiled: CompiledSegment, context: dict) -> bool:
    """Whether the customer of ``context`` matches; a condition failing or over its budget on
    this profile is not a match."""
    try:
        return compiled.condition.evaluate(context) is True
    except (expressions.BudgetExceeded, expressions.EvaluationError):
        return False


def memberships(audience: Audience, state: CustomerState, now: datetime) -> tuple[str, ...]:
    """The ids of the live segments ``state`` is a member of at ``now``."""
    if not audience.segments:
        return ()
    context = segment_context(state, now)
    return tuple(c.segment.id for c in audience.segments if is_member(c, context))


def with_aggregates(audience: Audience, state: CustomerState, now: datetime) -> CustomerState:
    """``state`` with its aggregates' values at ``now`` (the windows slide without events)."""
    values = profile.values(state.activity, audience.schema, now)
    if values == dict(state.aggregates):
        return state
    return replace(state, aggregates=values)


def observe(audience: Audience, state: CustomerState, event: Event, now: datetime) -> CustomerState:
    """``state`` after ``event``: aggregates updated, memberships recomputed (what the rules of
    this event see, and what the decision's write stores)."""
    try:
        occurred = parse_time(event.occurred_at, "occurred_at")
    except ValidationError:
        occurred = now
    activity = profile.observe(
        state.activity, audience.schema, event.name, event.detail, occurred, now
    )
    updated = replace(state, activity=activity)
    updated = replace(updated, aggregates=profile.values(activity, audience.schema, now))
    return replace(updated, segments=memberships(audience, updated, now))


def derived_update(
    audience: Audience,
    before: CustomerState,
    after: CustomerState,
    changed_profile: Customer | None,
    now: datetime,
) -> CustomerUpdate:
    """What the write stores of the derived state: activity, aggregates, memberships (these
    recomputed on the profile the write leaves, when an ``update_profile`` changed it)."""
    segments = after.segments
    if changed_profile is not None:
        segments = memberships(audience, replace(after, profile=changed_profile), now)
    return CustomerUpdate(
        activity=after.activity if after.activity != before.activity else None,
        aggregates=after.aggregates if dict(after.aggregates) != dict(before.aggregates) else None,
        segments=segments if segments != before.segments else None,
    )
