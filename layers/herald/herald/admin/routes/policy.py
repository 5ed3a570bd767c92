"""/admin/policy: the contact policy (PUT needs approvers)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import bodies, contact_policy
from herald.admin.api import caller
from herald.admin.routes import ERRORS

router = Router()


@router.get("/policy", summary="the contact policy: consent, quiet hours, caps", responses=ERRORS)
def get_policy() -> dict:
    return contact_policy.get(caller(router))


@router.put("/policy", summary="replace the contact policy (approvers)", responses=ERRORS)
def put_policy(body: bodies.Policy) -> dict:
    return contact_policy.put(caller(router), body.model_dump(exclude_unset=True))
