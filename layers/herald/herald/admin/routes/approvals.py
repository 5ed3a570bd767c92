"""/admin/approvals and /admin/me: what waits for an approver, and what the caller may do."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import approvals, bodies, session
from herald.admin.api import caller
from herald.admin.routes import answers

router = Router()


@router.get(
    "/approvals",
    summary="versions submitted for approval, oldest first, each with why the caller may not "
    "publish it (if so)",
    responses=answers(bodies.Approvals),
)
def approvals_queue() -> dict:
    return {"items": approvals.queue(caller(router))}


@router.get(
    "/me",
    summary="the caller, their groups and what they may do",
    responses=answers(bodies.Me),
)
def me() -> dict:
    return session.me(caller(router))
