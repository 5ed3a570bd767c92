"""Bodies and answers of the audience routes: the profile schema, segments and broadcasts (kept
apart from :mod:`herald.admin.bodies` so each concept's contract reads in one place)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from herald.admin.bodies import (
    MAX_VARIANTS,
    Answer,
    Body,
    ContentRef,
    Duration,
    EventName,
    Goal,
    Id,
    MessageChannel,
    Standing,
    Variant,
    Version,
)

AggregateName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class Aggregate(Body):
    """Exactly one of count, sum (``<event>.<field>``) or last; ``within`` a window in days."""

    count: EventName | None = None
    sum: str | None = Field(None, max_length=200, description="<event>.<field>")
    last: EventName | None = None
    within: Duration | None = Field(None, description="whole days, P1D to P366D")


class ProfileSchema(Body):
    """The aggregates kept on every profile from its events (one document: id ``profile``)."""

    id: Literal["profile"] = "profile"
    description: str | None = Field(None, max_length=1000)
    aggregates: dict[AggregateName, Aggregate] = Field(default_factory=dict, max_length=50)


class ProfileSchemaDraft(ProfileSchema):
    expected_version: Version


class ProfileSchemaView(ProfileSchema, Standing):
    pass


class ProfileSchemaVersions(Answer):
    items: list[ProfileSchemaView]


class Segment(Body):
    """A named condition over the profile (customer, now): its members are kept on each
    customer as ``customer.segments``."""

    id: Id
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    when: str = Field(min_length=1, max_length=4096, description="a ZEN condition")
    description: str | None = Field(None, max_length=1000)


class SegmentDraft(Segment):
    id: Id | None = None  # type: ignore[assignment]  # the URL names it
    expected_version: Version


class SegmentView(Segment, Standing):
    pass


class SegmentVersions(Answer):
    items: list[SegmentView]


class Estimate(Answer):
    """A segment's size from a random sample of the customer table, with its 95 % interval."""

    segment: str
    version: int
    sampled: int = Field(description="customers evaluated")
    matched: int
    share: float
    share_low: float
    share_high: float
    customers: int = Field(description="the table's item count (DynamoDB's, about 6 h old)")
    estimate: int
    low: int
    high: int


class NewBroadcast(Body):
    """A broadcast: the segment's members get the content (or one of the variants, with a
    holdout) on the channel, at ``send_at``: an instant (``2026-12-08T09:00:00Z``), or a local
    time without a zone (``2026-12-08T10:00``) applied in each customer's time zone."""

    id: Id
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    segment: Id
    channel: MessageChannel
    content: ContentRef | None = None
    variants: list[Variant] = Field(default_factory=list, max_length=MAX_VARIANTS)
    holdout: float = Field(0.0, ge=0, lt=1)
    goal: Goal | None = None
    send_at: str | None = Field(
        None, max_length=40, description="an ISO instant, or a local time without a zone"
    )
    category: Literal["marketing", "transactional"] = "marketing"


class BroadcastCounts(Answer):
    scanned: int = 0
    matched: int = 0
    queued: int = 0
    suppressed: int = 0
    capped: int = 0
    deferred: int = 0
    held_out: int = 0
    sent: int = 0
    failed: int = 0
    existing: int = Field(0, description="members an earlier run already wrote to")


class BroadcastView(Answer):
    id: str
    name: str
    segment: str
    channel: str
    content: str
    category: str
    variants: list[dict] = Field(default_factory=list)
    holdout: float = 0.0
    goal: dict | None = None
    send_at: str | None = None
    status: Literal[
        "draft", "submitted", "scheduled", "running", "paused", "cancelled", "completed"
    ]
    created_by: str
    created_at: str
    submitted_by: str | None
    approved_by: str | None
    run: int
    execution: str | None
    history: list[dict]
    counts: BroadcastCounts
    stats: dict[str, float] = Field(description="the outcome counters: sent, delivered, opened…")


class BroadcastSummary(Answer):
    id: str
    name: str
    status: str
    segment: str
    run: int


class BroadcastSummaries(Answer):
    items: list[BroadcastSummary]
