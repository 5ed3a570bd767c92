"""Routes of a versioned document (rules or contents): list, read, draft, publish, roll back."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from herald.admin.api import caller
from herald.admin.catalog import Catalog
from herald.admin.routes.bodies import VersionBody

Document = Annotated[dict[str, Any], Body(description="the document (and expected_version on PUT)")]


def build(catalog: Catalog) -> Router:
    """The router of ``catalog``; mount it at ``/admin/rules`` or ``/admin/contents``."""
    router = Router()
    kind = catalog.kind

    @router.get("/", summary=f"every {kind}: state, latest and published version")
    def list_items() -> dict:
        return {"items": catalog.list(caller(router))}

    @router.post(
        "/",
        summary=f"create a {kind} (version 1, draft)",
        responses={201: {"description": "created"}},
    )
    def create(body: Document) -> Response[dict]:
        created = catalog.create(caller(router), body)
        return Response(201, content_types.APPLICATION_JSON, created)

    @router.get("/<entity_id>", summary=f"the {kind}'s latest version and published version")
    def get(entity_id: str) -> dict:
        return catalog.get(caller(router), entity_id)

    @router.put("/<entity_id>", summary=f"a new draft version of the {kind} (expected_version)")
    def save(entity_id: str, body: Document) -> dict:
        return catalog.save(caller(router), entity_id, body)

    @router.get("/<entity_id>/versions", summary=f"every version of the {kind}, newest first")
    def versions(entity_id: str) -> dict:
        return {"items": catalog.versions(caller(router), entity_id)}

    @router.post("/<entity_id>/publish", summary=f"make a version of the {kind} live (approvers)")
    def publish(entity_id: str, body: VersionBody) -> dict:
        return catalog.publish(caller(router), entity_id, body.version)

    @router.post("/<entity_id>/rollback", summary="make an older version live again (approvers)")
    def rollback(entity_id: str, body: VersionBody) -> dict:
        return catalog.rollback(caller(router), entity_id, body.version)

    return router
