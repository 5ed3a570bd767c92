"""/admin/simulate: the decision trace of an event, nothing written or sent."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from herald.admin import bodies, simulation
from herald.admin.api import caller
from herald.admin.routes import answers

router = Router()


@router.post(
    "/simulate",
    summary="run the engine on an event; nothing is sent",
    responses=answers(bodies.SimulationResult),
)
def simulate(body: bodies.Simulation) -> dict:
    return simulation.simulate(caller(router), body.model_dump(by_alias=True, exclude_unset=True))
