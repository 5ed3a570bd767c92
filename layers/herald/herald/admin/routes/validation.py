"""/admin/validate/{rules,contents}: what a save would answer, as an editor types.

Not ``/admin/rules/validate``: ``validate`` is a valid rule id, so that path would be both this
route and the rule called "validate" (``GET /admin/rules/validate``).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import bodies, versioned
from herald.admin.api import caller
from herald.admin.routes import answers
from herald.admin.routes.versioned import document

router = Router()
SUMMARY = "what saving this {} would answer: errors (with line and column) and warnings; nothing is stored"


@router.post(
    "/validate/rules", summary=SUMMARY.format("rule"), responses=answers(bodies.ValidationReport)
)
def validate_rule(body: bodies.RuleCheck) -> dict:
    return versioned.rules.validate(caller(router), document(body))


@router.post(
    "/validate/contents",
    summary=SUMMARY.format("content"),
    responses=answers(bodies.ValidationReport),
)
def validate_content(body: bodies.ContentCheck) -> dict:
    return versioned.contents.validate(caller(router), document(body))
