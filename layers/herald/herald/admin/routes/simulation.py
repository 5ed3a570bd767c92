"""/admin/simulate: the decision trace of an event, nothing written or sent."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from herald.admin import simulation
from herald.admin.api import caller

router = Router()

SimulateBody = Annotated[
    dict[str, Any],
    Body(
        description="{event: {type, customer_id, data}, customer?, rules?: {id: version}, contents?}"
    ),
]


@router.post("/simulate", summary="run the engine on an event; nothing is sent")
def simulate(body: SimulateBody) -> dict:
    return simulation.simulate(caller(router), body)
