"""/admin/contents: the versioned routes plus preview."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body

from herald.admin import catalog, preview
from herald.admin.api import caller
from herald.admin.routes import versioned

router = versioned.build(catalog.contents)

PreviewBody = Annotated[
    dict[str, Any], Body(description="{customer: profile or id, event: fields, version?}")
]


@router.post("/<entity_id>/preview", summary="render every channel for a customer and event")
def render_preview(entity_id: str, body: PreviewBody) -> dict:
    return preview.preview(caller(router), entity_id, body)
