"""Bodies of the offers, taxonomies and feedback routes (pydantic, in the OpenAPI document).

They say the documents' shape; the domain (:mod:`herald.domain.offer`,
:mod:`herald.domain.taxonomy`) checks what JSON Schema can't (ZEN meaning, Liquid syntax,
placements named in content) and answers 422 with the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from herald.admin.bodies import Answer, Body, Id, Standing, Version
from herald.domain.offer import MAX_PLACEMENTS

Placement = Field(pattern=r"^[a-z0-9-]{1,64}$")


class PlacementContent(Body):
    headline: str = Field(min_length=1, max_length=10_000)
    body: str | None = Field(None, max_length=10_000)
    cta_url: str | None = Field(None, max_length=10_000)
    image_url: str | None = Field(None, max_length=10_000)


class Validity(Body):
    from_: str | None = Field(None, alias="from", description="ISO-8601 time")
    until: str | None = Field(None, description="ISO-8601 time")


class Offer(Body):
    id: Id
    name: str | None = Field(None, max_length=200)
    placements: list[str] = Field(min_length=1, max_length=MAX_PLACEMENTS)
    eligibility: str | None = Field(None, max_length=4096, description="a ZEN condition")
    value: float | str = Field(1.0, description="a number, or a ZEN number expression")
    lever: float = Field(0.0, ge=-100, le=100, description="percent")
    context_weight: float | str = Field(0.0, description="a number, or a ZEN number expression")
    valid: Validity | None = None
    content: dict[str, PlacementContent]
    category: str = Field("marketing", pattern="^(marketing|transactional)$")


class OfferDraft(Offer):
    id: Id | None = None  # type: ignore[assignment]
    expected_version: Version


class OfferView(Standing):
    model_config = ConfigDict(extra="allow")


class OfferVersions(Answer):
    items: list[OfferView]


class Topic(Body):
    id: Id
    name: str | None = Field(None, max_length=200)
    phrases: list[str] = Field(default_factory=list, max_length=200)
    keywords: list[str] = Field(default_factory=list, max_length=200)
    when: str | None = Field(None, max_length=4096, description="a ZEN condition")


class Taxonomy(Body):
    id: Id
    name: str | None = Field(None, max_length=200)
    topics: list[Topic] = Field(min_length=1, max_length=100)


class TaxonomyDraft(Taxonomy):
    id: Id | None = None  # type: ignore[assignment]
    expected_version: Version


class TaxonomyView(Standing):
    model_config = ConfigDict(extra="allow")


class TaxonomyVersions(Answer):
    items: list[TaxonomyView]


class OfferStats(Answer):
    """Impressions, accepts, accept rate (95% Wilson), propensity now per placement, and the
    learnt ranking against the random-control group (difference and lift with intervals)."""

    model_config = ConfigDict(extra="allow")
    offer_id: str
    placements: list[dict[str, Any]]


class FeedbackTopics(Answer):
    """Per topic per ISO week: count, negative share, redacted snippets."""

    model_config = ConfigDict(extra="allow")
    weeks: list[str]
    topics: list[dict[str, Any]]
