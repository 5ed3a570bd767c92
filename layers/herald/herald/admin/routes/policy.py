"""/admin/policy: the contact policy (PUT needs approvers)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from herald.admin import contact_policy
from herald.admin.api import caller

router = Router()

PolicyBody = Annotated[dict[str, Any], Body(description="the policy, expected_version optional")]


@router.get("/policy", summary="the contact policy: consent, quiet hours, caps")
def get_policy() -> dict:
    return contact_policy.get(caller(router))


@router.put("/policy", summary="replace the contact policy (approvers)")
def put_policy(body: PolicyBody) -> dict:
    return contact_policy.put(caller(router), body)
