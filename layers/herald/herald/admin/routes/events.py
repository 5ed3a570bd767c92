"""/admin/events: the event catalogue (names, fields, counts) and the profile attributes seen."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import bodies, events
from herald.admin.api import caller
from herald.admin.routes import answers

router = Router()


@router.get(
    "/events",
    summary="every event name seen, with its fields and a count",
    responses=answers(bodies.EventCatalogue),
)
def event_catalogue() -> dict:
    return events.event_catalogue(caller(router))
