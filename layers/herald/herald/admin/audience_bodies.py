"""Bodies and answers of the audience routes: the profile schema, segments and broadcasts (kept
apart from :mod:`herald.admin.bodies` so each concept's contract reads in one place)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from herald.admin.bodies import Answer, Body, Duration, EventName, Id, Standing, Version

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
