"""/admin/profiles (the profile schema) and /admin/segments: the versioned routes, plus a
segment's size estimate."""

from __future__ import annotations

from herald.admin import audience_bodies as bodies
from herald.admin import audiences
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
