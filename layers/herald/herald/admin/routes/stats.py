"""/admin/rules/{id}/stats and /admin/stats/overview: performance per rule and arm, and the
deliverability picture per channel."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from herald.admin import bodies, stats
from herald.admin.api import caller
from herald.admin.routes import EntityId, answers
from herald.domain.version import MAX_VERSION

router = Router()
Day = Annotated[
    str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a day, YYYY-MM-DD (UTC)")
]


@router.get(
    "/rules/<entity_id>/stats",
    summary="per arm: counts, rates with 95% intervals; variants vs holdout; sample ratio",
    responses=answers(bodies.RuleStats),
)
def rule_stats(
    entity_id: EntityId,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="default: the published version")
    ] = None,
    frm: Annotated[
        str | None,
        Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$", description="default: 30 days ago"),
    ] = None,
    to: Day = None,
) -> dict:
    return stats.rule_stats(caller(router), entity_id, version, frm, to)


@router.get(
    "/stats/overview",
    summary="per channel: sent, delivered, bounce, complaint and unsubscribe rates (24 h, 7 days)",
    responses=answers(bodies.StatsOverview),
)
def overview() -> dict:
    return stats.overview(caller(router))
