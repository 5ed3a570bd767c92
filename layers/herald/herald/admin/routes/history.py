"""/admin/audit and /admin/customers/{id}/timeline: what changed, and what a customer got."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from herald.admin import bodies, history
from herald.admin.api import caller
from herald.admin.routes import CustomerId, answers
from herald.domain.document import ID_PATTERN

router = Router()


@router.get(
    "/audit",
    summary="who changed what, when, from which version to which (newest first)",
    responses=answers(bodies.AuditLog),
)
def audit_log(
    entity: Annotated[
        Literal["rule", "content", "policy", "offer", "taxonomy", "profile", "segment"] | None,
        Query(description="one kind of entity"),
    ] = None,
    entity_id: Annotated[
        str | None, Query(alias="id", pattern=ID_PATTERN.pattern, description="one id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    return {"items": history.audit_log(caller(router), entity, entity_id, limit)}


@router.get(
    "/customers/<customer_id>/timeline",
    summary="recent decisions and messages, with why",
    responses=answers(bodies.Timeline),
)
def timeline(
    customer_id: CustomerId, limit: Annotated[int, Query(ge=1, le=history.MAX_TIMELINE)] = 50
) -> dict:
    return history.timeline(caller(router), customer_id, limit)
