"""/admin/rules: the versioned routes plus pause and archive."""

from __future__ import annotations

from herald.admin import bodies, versioned
from herald.admin.api import caller
from herald.admin.routes import ERRORS
from herald.admin.routes import versioned as versioned_routes

router = versioned_routes.build(versioned.rules, bodies.Rule, bodies.RuleDraft)


@router.post("/<entity_id>/pause", summary="stop matching the rule (approvers)", responses=ERRORS)
def pause(entity_id: str) -> dict:
    return versioned.rules.pause(caller(router), entity_id)


@router.delete("/<entity_id>", summary="archive the rule (approvers)", responses=ERRORS)
def archive(entity_id: str) -> dict:
    return versioned.rules.archive(caller(router), entity_id)
