"""/admin/rules: the versioned routes plus pause and archive."""

from __future__ import annotations

from herald.admin import catalog
from herald.admin.api import caller
from herald.admin.routes import versioned

router = versioned.build(catalog.rules)


@router.post("/<entity_id>/pause", summary="stop matching the rule (approvers)")
def pause(entity_id: str) -> dict:
    return catalog.rules.pause(caller(router), entity_id)


@router.delete("/<entity_id>", summary="archive the rule (approvers)")
def archive(entity_id: str) -> dict:
    return catalog.rules.archive(caller(router), entity_id)
