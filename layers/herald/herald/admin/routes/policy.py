"""/admin/policy: the contact policy (PUT needs approvers)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import bodies, contact_policy
from herald.admin.api import caller
from herald.admin.routes import answers

router = Router()


@router.get(
    "/policy",
    summary="the contact policy: consent, quiet hours, caps",
    responses=answers(bodies.PolicyView),
)
def get_policy() -> dict:
    return contact_policy.get(caller(router))


@router.put(
    "/policy",
    summary="replace the contact policy (approvers)",
    responses=answers(bodies.PolicyView),
)
def put_policy(body: bodies.Policy) -> dict:
    return contact_policy.put(caller(router), body.model_dump(exclude_unset=True))
