"""ingest: customer events onto the bus (POST /events → 202) and profile upserts
(PUT /customers/{id}) for HTTP sources (API Gateway REST, IAM auth); GET /health (open)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths

from herald.admin import api, ingest
from herald.observability import logger, metrics
from herald.settings import settings

settings().require("event_bus_name", "customers_table", "suppression_table")

app = APIGatewayRestResolver(enable_validation=True)
api.register_errors(app)

EventBody = Annotated[dict[str, Any], Body(description="{type, customer_id, event_id?, data}")]
CustomerBody = Annotated[dict[str, Any], Body(description="the customer profile")]


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/events", responses={202: {"description": "accepted onto the event bus"}})
def post_event(body: EventBody) -> Response[dict]:
    event_id = ingest.publish_event(body)
    return Response(202, content_types.APPLICATION_JSON, {"event_id": event_id})


@app.put("/customers/<customer_id>")
def put_customer(customer_id: str, body: CustomerBody) -> dict:
    return ingest.upsert_customer(customer_id, body)


@metrics.log_metrics
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@api.limit_body
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
