"""/admin/profiles (the profile schema) and /admin/segments: the versioned routes, plus a
segment's size estimate."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import audience_bodies as bodies
from herald.admin import audiences, broadcasts
from herald.admin.api import caller
from herald.admin.routes import EntityId, answers
from herald.admin.routes import versioned as versioned_routes

profiles = versioned_routes.build(
    audiences.profiles,
    bodies.ProfileSchema,
    bodies.ProfileSchemaDraft,
    bodies.ProfileSchemaView,
    bodies.ProfileSchemaVersions,
)

segments = versioned_routes.build(
    audiences.segments,
    bodies.Segment,
    bodies.SegmentDraft,
    bodies.SegmentView,
    bodies.SegmentVersions,
)


@segments.get(
    "/<entity_id>/estimate",
    summary="the segment's size, estimated from a sample of the customers, with its interval",
    responses=answers(bodies.Estimate),
)
def estimate(entity_id: EntityId) -> dict:
    return audiences.estimate(caller(segments), entity_id)


broadcasts_router = Router()


@broadcasts_router.get("/", summary="every broadcast", responses=answers(bodies.BroadcastSummaries))
def list_broadcasts() -> dict:
    return {"items": broadcasts.every(caller(broadcasts_router))}


@broadcasts_router.post(
    "/", summary="create a broadcast (a draft)", responses=answers(bodies.BroadcastView, 201)
)
def create_broadcast(body: bodies.NewBroadcast) -> Response[dict]:
    doc = body.model_dump(exclude_unset=True)
    created = broadcasts.create(caller(broadcasts_router), doc)
    return Response(201, content_types.APPLICATION_JSON, created)


@broadcasts_router.get(
    "/<entity_id>",
    summary="the broadcast, its counts per state as it runs and its outcome stats",
    responses=answers(bodies.BroadcastView),
)
def get_broadcast(entity_id: EntityId) -> dict:
    return broadcasts.get(caller(broadcasts_router), entity_id)


def _action(name: str, summary: str):
    use_case = getattr(broadcasts, name)

    @broadcasts_router.post(
        f"/<entity_id>/{name}", summary=summary, responses=answers(bodies.BroadcastView)
    )
    def act(entity_id: EntityId) -> dict:
        return use_case(caller(broadcasts_router), entity_id)

    act.__name__ = f"{name}_broadcast"
    return act


for _name, _summary in (
    ("submit", "ask an approver to approve the broadcast"),
    ("approve", "approve and schedule it (another approver than its author)"),
    ("pause", "stop the running execution; what was queued and not sent waits"),
    ("resume", "a new run of a paused broadcast (nothing is sent twice)"),
    ("cancel", "stop for good: nothing queued but unsent goes out"),
    ("rerun", "run a completed broadcast again (new members only get it)"),
):
    _action(_name, _summary)
