"""Routes of a versioned document (rules or contents): list, read, draft, publish, roll back.

No ``from __future__ import annotations`` here: each route's body type (``new``, ``draft``) is
bound when :func:`build` runs, and the event handler reads the evaluated annotations.
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from herald.admin.api import caller
from herald.admin.bodies import Summaries, VersionChoice
from herald.admin.routes import EntityId, answers
from herald.admin.versioned import Versioned


def document(body: BaseModel) -> dict[str, Any]:
    """The body as the domain reads it: the fields sent, by their JSON names."""
    return body.model_dump(by_alias=True, exclude_unset=True, exclude={"expected_version"})


def build(
    use_cases: Versioned,
    new: type[BaseModel],
    draft: type[BaseModel],
    view: type[BaseModel],
    views: type[BaseModel],
) -> Router:
    """The router of ``use_cases``; mount it at ``/admin/rules`` or ``/admin/contents``.

    ``new`` is the body of a create, ``draft`` that of a new version (with expected_version);
    ``view`` the answer about one version, ``views`` the list of versions.
    """
    router = Router()
    kind = use_cases.kind

    @router.get(
        "/",
        summary=f"every {kind}: state, latest and published version",
        responses=answers(Summaries),
    )
    def list_items() -> dict:
        return {"items": use_cases.list(caller(router))}

    @router.post(
        "/",
        summary=f"create a {kind} (version 1, draft)",
        responses=answers(view, 201, "created (with warnings, if any)"),
    )
    def create(body: new) -> Response[dict]:
        created = use_cases.create(caller(router), document(body))
        return Response(201, content_types.APPLICATION_JSON, created)

    @router.get("/<entity_id>", summary=f"the {kind}'s latest version", responses=answers(view))
    def get(entity_id: EntityId) -> dict:
        return use_cases.get(caller(router), entity_id)

    @router.put(
        "/<entity_id>",
        summary=f"a new draft version of the {kind} (expected_version: the latest you saw)",
        responses=answers(view),
    )
    def save(entity_id: EntityId, body: draft) -> dict:
        return use_cases.save(caller(router), entity_id, document(body), body.expected_version)

    @router.get(
        "/<entity_id>/versions",
        summary=f"every version of the {kind}, newest first",
        responses=answers(views),
    )
    def versions(entity_id: EntityId) -> dict:
        return {"items": use_cases.versions(caller(router), entity_id)}

    @router.post(
        "/<entity_id>/submit",
        summary=f"ask an approver to publish a version of the {kind} (audited; the approvals "
        "queue lists it until it is published)",
        responses=answers(view),
    )
    def submit(entity_id: EntityId, body: VersionChoice) -> dict:
        return use_cases.submit(caller(router), entity_id, body.version)

    @router.post(
        "/<entity_id>/publish",
        summary=f"make a version of the {kind} live (approvers)",
        responses=answers(view),
    )
    def publish(entity_id: EntityId, body: VersionChoice) -> dict:
        return use_cases.publish(caller(router), entity_id, body.version)

    @router.post(
        "/<entity_id>/rollback",
        summary="make an older version live again (approvers)",
        responses=answers(view),
    )
    def rollback(entity_id: EntityId, body: VersionChoice) -> dict:
        return use_cases.rollback(caller(router), entity_id, body.version)

    return router
