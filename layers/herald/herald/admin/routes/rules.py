"""/admin/rules: the versioned routes plus pause and archive."""

from __future__ import annotations

from herald.admin import bodies, versioned
from herald.admin.api import caller
from herald.admin.routes import EntityId, answers
from herald.admin.routes import versioned as versioned_routes

router = versioned_routes.build(
    versioned.rules,
    bodies.Rule,
    bodies.RuleDraft,
    bodies.RuleView,
    bodies.RuleVersions,
)


@router.post(
    "/<entity_id>/pause",
    summary="stop matching the rule (approvers)",
    responses=answers(bodies.RuleView),
)
def pause(entity_id: EntityId) -> dict:
    return versioned.rules.pause(caller(router), entity_id)


@router.post(
    "/<entity_id>/resume",
    summary="make a paused rule's published version live again (approvers)",
    responses=answers(bodies.RuleView),
)
def resume(entity_id: EntityId) -> dict:
    return versioned.rules.resume(caller(router), entity_id)


@router.delete(
    "/<entity_id>", summary="archive the rule (approvers)", responses=answers(bodies.RuleView)
)
def archive(entity_id: EntityId) -> dict:
    return versioned.rules.archive(caller(router), entity_id)
