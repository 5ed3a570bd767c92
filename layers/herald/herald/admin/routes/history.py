"""/admin/audit and /admin/customers/{id}/timeline: what changed, and what a customer got."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from herald.admin import history
from herald.admin.api import caller
from herald.admin.routes import ERRORS

router = Router()


@router.get(
    "/audit", summary="who changed what, when, from which version to which", responses=ERRORS
)
def audit_log(
    entity: Annotated[str | None, Query(description="rule, content or policy")] = None,
    entity_id: Annotated[str | None, Query(alias="id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    return {"items": history.audit_log(caller(router), entity, entity_id, limit)}


@router.get(
    "/customers/<customer_id>/timeline",
    summary="recent decisions and messages, with why",
    responses=ERRORS,
)
def timeline(customer_id: str, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    return {"items": history.timeline(caller(router), customer_id, limit)}
