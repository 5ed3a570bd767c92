"""/admin/contents: the versioned routes plus preview."""

from __future__ import annotations

from herald.admin import bodies, preview, versioned
from herald.admin.api import caller
from herald.admin.routes import EntityId, answers
from herald.admin.routes import versioned as versioned_routes

router = versioned_routes.build(
    versioned.contents,
    bodies.Content,
    bodies.ContentDraft,
    bodies.ContentView,
    bodies.ContentVersions,
)


@router.post(
    "/<entity_id>/preview",
    summary="render every channel for a customer and event (with warnings)",
    responses=answers(bodies.Rendered),
)
def render_preview(entity_id: EntityId, body: bodies.Preview) -> dict:
    return preview.preview(caller(router), entity_id, body.model_dump(exclude_unset=True))
