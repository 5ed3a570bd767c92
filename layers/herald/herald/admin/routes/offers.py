"""/admin/offers (versioned, plus stats), /admin/taxonomies (versioned) and
/admin/feedback/topics."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from herald.admin import offer_bodies, versioned
from herald.admin.api import caller
from herald.admin.routes import EntityId, answers
from herald.admin.routes import versioned as versioned_routes

offers = versioned_routes.build(
    versioned.offers,
    offer_bodies.Offer,
    offer_bodies.OfferDraft,
    offer_bodies.OfferView,
    offer_bodies.OfferVersions,
)
taxonomies = versioned_routes.build(
    versioned.taxonomies,
    offer_bodies.Taxonomy,
    offer_bodies.TaxonomyDraft,
    offer_bodies.TaxonomyView,
    offer_bodies.TaxonomyVersions,
)
feedback = Router()


@offers.get(
    "/<entity_id>/stats",
    summary="impressions, accepts, accept rate with interval, propensity now, learnt vs random control",
    responses=answers(offer_bodies.OfferStats),
)
def offer_stats(entity_id: EntityId) -> dict:
    from herald.service import offers as offer_service  # noqa: PLC0415

    caller(offers).require_editor()
    return offer_service.stats(entity_id)


@feedback.get(
    "/feedback/topics",
    summary="per topic per week: count, negative share, redacted snippets",
    responses=answers(offer_bodies.FeedbackTopics),
)
def feedback_topics(
    from_: Annotated[
        str | None, Query(alias="from", max_length=40, description="ISO-8601 time")
    ] = None,
    to: Annotated[str | None, Query(max_length=40, description="ISO-8601 time")] = None,
) -> dict:
    from herald.service import customer_feedback  # noqa: PLC0415

    caller(feedback).require_editor()
    return customer_feedback.topics_report(from_, to)
